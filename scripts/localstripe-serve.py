"""Runs localstripe (a stateful fake of the Stripe API that also serves a Stripe.js stand-in)
for the tests, with three changes to the stock server, applied here at start-up:

1. It listens on 127.0.0.1 only, on a port the kernel picks (`--port 0`, the default), and
   prints `http://127.0.0.1:PORT` on its first line of output once it accepts connections.
   The stock server listens on every interface on a fixed port.
2. It keeps its state in memory only. The stock server writes its whole state to the shared
   file /tmp/localstripe.pickle after every change, so servers run side by side would
   overwrite each other's file.
3. It honours the `Idempotency-Key` header as Stripe does: a repeated key (per secret key)
   answers the first response and does nothing more, and the same key on another path is
   refused with 400. The stock server ignores the header, so a repeated charge would charge
   twice there where Stripe charges once.

It stops when its standard input closes, so it ends with the test process that started it.
"""

import argparse
import asyncio
import os
import socket
import sys
import threading

from aiohttp import web

from localstripe import resources, server


def no_dump(self):
    pass


resources.Store.dump_to_disk = no_dump

_answers = {}
_locks = {}


@web.middleware
async def idempotency(request, handler):
    key = request.headers.get('Idempotency-Key')
    if request.method != 'POST' or not key:
        return await handler(request)
    scope = (request.headers.get('Authorization', ''), key)
    lock = _locks.setdefault(scope, asyncio.Lock())
    async with lock:
        if scope in _answers:
            path, status, body, content_type = _answers[scope]
            if path != request.path:
                return server.json_response(
                    {'error': {'type': 'idempotency_error',
                               'message': 'Keys for idempotent requests can '
                                          'only be used for the same request'}},
                    status=400)
            return web.Response(status=status, body=body,
                                content_type=content_type,
                                headers={'Idempotent-Replayed': 'true'})
        try:
            response = await handler(request)
        except web.HTTPException as e:
            response = e
        body = response.body if isinstance(response.body, bytes) else b''
        _answers[scope] = (request.path, response.status, body,
                           response.content_type)
        return response


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--port', type=int, default=0)
    args = parser.parse_args()

    server.app.middlewares.insert(0, idempotency)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', args.port))
    sock.listen(128)
    port = sock.getsockname()[1]

    def exit_with_parent():
        sys.stdin.buffer.read()
        os._exit(0)

    threading.Thread(target=exit_with_parent, daemon=True).start()

    async def announce(_app):
        print('http://127.0.0.1:%d' % port, flush=True)

    server.app.on_startup.append(announce)
    web.run_app(server.app, sock=sock, access_log=None, print=None)


if __name__ == '__main__':
    main()
