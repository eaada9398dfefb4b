//! A minimal HTTP/1.1 keep-alive client: one request at a time on one connection, the response
//! read to its end by Content-Length (or chunked encoding), so that the load generator measures
//! the server and not a client library.

use std::net::SocketAddr;

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the client needs from a response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub status: u16,
    /// Bytes of the head, the blank line included.
    pub len: usize,
    pub content_length: Option<usize>,
    pub chunked: bool,
}

/// Parses a response head from the start of `buf`; `Ok(None)` when it is not complete yet.
pub fn parse_head(buf: &[u8]) -> Result<Option<Head>> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[..end]).context("response head is not UTF-8")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        bail!("not an HTTP/1 response: {status_line:?}");
    }
    let status: u16 = parts
        .next()
        .unwrap_or_default()
        .parse()
        .with_context(|| format!("bad status line {status_line:?}"))?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.parse().context("bad Content-Length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
    Ok(Some(Head {
        status,
        len: end + 4,
        content_length,
        chunked,
    }))
}

/// The values of every header called `name` in a complete response head.
pub fn header_values<'a>(head: &'a [u8], name: &str) -> Vec<&'a str> {
    let text = std::str::from_utf8(head).unwrap_or_default();
    text.split("\r\n")
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
        .collect()
}

/// Decodes a complete chunked body at the start of `buf`: `Ok(Some((body, consumed)))`, or
/// `Ok(None)` when more bytes are needed.
pub fn parse_chunked(buf: &[u8]) -> Result<Option<(Vec<u8>, usize)>> {
    let mut body = Vec::new();
    let mut at = 0;
    loop {
        let Some(eol) = buf[at..].windows(2).position(|w| w == b"\r\n") else {
            return Ok(None);
        };
        let size_text = std::str::from_utf8(&buf[at..at + eol]).context("bad chunk size")?;
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).context("bad chunk size")?;
        at += eol + 2;
        if size == 0 {
            // No trailers are expected; the last chunk ends with an empty line.
            if buf.len() < at + 2 {
                return Ok(None);
            }
            return Ok(Some((body, at + 2)));
        }
        if buf.len() < at + size + 2 {
            return Ok(None);
        }
        body.extend_from_slice(&buf[at..at + size]);
        at += size + 2;
    }
}

/// A complete response.
pub struct Response {
    pub status: u16,
    pub head: Vec<u8>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_values(&self.head, name).into_iter().next()
    }

    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.body).with_context(|| {
            format!(
                "response {} is not JSON: {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// One keep-alive connection.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
        })
    }

    /// Sends one request (complete bytes) and reads the whole response.
    pub async fn send(&mut self, request: &[u8]) -> Result<Response> {
        self.stream.write_all(request).await?;
        let head = loop {
            if let Some(head) = parse_head(&self.buf)? {
                break head;
            }
            self.fill().await?;
        };
        let head_bytes = self.buf[..head.len].to_vec();
        self.buf.drain(..head.len);
        let body = if head.chunked {
            loop {
                if let Some((body, used)) = parse_chunked(&self.buf)? {
                    self.buf.drain(..used);
                    break body;
                }
                self.fill().await?;
            }
        } else {
            let len = head.content_length.unwrap_or(0);
            while self.buf.len() < len {
                self.fill().await?;
            }
            self.buf.drain(..len).collect()
        };
        Ok(Response {
            status: head.status,
            head: head_bytes,
            body,
        })
    }

    async fn fill(&mut self) -> Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            bail!("connection closed by the server");
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// Builds a request with the headers every benchmark request carries.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: Option<&str>) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        out.push_str(name);
        out.push_str(": ");
        out.push_str(value);
        out.push_str("\r\n");
    }
    if let Some(body) = body {
        out.push_str("Content-Type: application/json\r\n");
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        out.push_str(body);
    } else {
        out.push_str("\r\n");
    }
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn head_is_parsed_once_complete() -> Result<()> {
        let raw =
            b"HTTP/1.1 303 See Other\r\ncontent-length: 2\r\nSet-Cookie: a=b; Path=/\r\n\r\nok";
        assert_eq!(parse_head(&raw[..20])?, None);
        let head = parse_head(raw)?.context("complete head")?;
        assert_eq!(head.status, 303);
        assert_eq!(head.content_length, Some(2));
        assert!(!head.chunked);
        assert_eq!(&raw[head.len..], b"ok");
        assert_eq!(
            header_values(&raw[..head.len], "set-cookie"),
            ["a=b; Path=/"]
        );
        Ok(())
    }

    #[test]
    fn chunked_body_is_decoded_and_partial_input_waits() -> Result<()> {
        let raw = b"4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\nNEXT";
        assert_eq!(parse_chunked(&raw[..12])?, None);
        let (body, used) = parse_chunked(raw)?.context("complete body")?;
        assert_eq!(body, b"Wikipedia");
        assert_eq!(&raw[used..], b"NEXT");
        Ok(())
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
    }
}
