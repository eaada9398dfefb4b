"""Drives a running Portico with Meteroid's published Python SDK, unmodified, as a vendor moving
from Meteroid would: only the base URL and the API key change. Prints one JSON document of what
the SDK returned, for the Rust test that runs this script to check.

Usage: meteroid_sdk.py BASE_URL API_KEY CUSTOMER_ALIAS
"""

import json
import sys

import meteroid
from meteroid import Meteroid, NotFoundError, BadRequestError


def token(answer):
    return {
        "token": answer.token,
        "portal_url": answer.portal_url,
        "portal_link": answer.portal_link,
        "api_url": answer.api_url,
        "expires_at": answer.expires_at.isoformat(),
    }


def main():
    base, key, customer = sys.argv[1:4]
    client = Meteroid(api_key=key, base_url=base, max_retries=0, timeout=30)
    out = {"version": meteroid.__version__}
    portal = client.customers
    out["default"] = token(portal.create_portal_token(customer))
    out["with_expiry"] = token(portal.create_portal_token(customer, expires_in_seconds=3600))
    out["read_only"] = token(
        portal.create_portal_token(customer, expires_in_seconds=600, scopes=["read"])
    )
    out["read_and_manage"] = token(
        portal.create_portal_token(customer, scopes=["read", "manage"])
    )
    out["explicit_nulls"] = token(
        portal.create_portal_token(customer, expires_in_seconds=None, scopes=None)
    )
    try:
        portal.create_portal_token("no-such-customer")
        out["not_found"] = None
    except NotFoundError as e:
        out["not_found"] = {"status": e.status_code, "code": str(e.body.code), "message": e.body.message}
    try:
        portal.create_portal_token(customer, expires_in_seconds=59)
        out["bad_expiry"] = None
    except BadRequestError as e:
        out["bad_expiry"] = {"status": e.status_code, "code": str(e.body.code), "message": e.body.message}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
