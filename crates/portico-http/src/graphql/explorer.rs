//! `GET /graphql`: a small self-contained explorer (query, variables, API key, answer, and the
//! schema in SDL). It loads nothing from elsewhere, so its CSP allows only its own inline script
//! and style (by a per-answer nonce) and requests to this origin. Full GraphiQL would need a CDN.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

const EXAMPLE: &str = "mutation portalSessionCreate ($tenantCode: String!, $expiry: Int!) {
  portalSessionCreate (tenantCode: $tenantCode, expiry: $expiry) {
      errors
      token
  }
}";

const EXAMPLE_VARIABLES: &str = r#"{"tenantCode": "superdesk-123", "expiry": 24}"#;

const STYLE: &str = "body{font:15px/1.4 system-ui,sans-serif;margin:0;padding:1rem;max-width:70rem}\
label{display:block;margin:.5rem 0 .2rem;font-weight:600}\
textarea,input{width:100%;box-sizing:border-box;font:13px/1.4 ui-monospace,monospace}\
textarea{min-height:10rem}button{margin:.6rem 0;padding:.4rem 1.2rem;font-size:1rem}\
pre{background:#f4f4f4;padding:.6rem;overflow:auto;white-space:pre-wrap}";

const SCRIPT: &str = r#"document.getElementById('form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const out = document.getElementById('answer');
  let variables = null;
  const text = document.getElementById('variables').value.trim();
  if (text) {
    try { variables = JSON.parse(text); } catch (e) { out.textContent = 'Variables: ' + e; return; }
  }
  out.textContent = '…';
  try {
    const r = await fetch('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'authorization': 'Bearer ' + document.getElementById('key').value.trim(),
      },
      body: JSON.stringify({ query: document.getElementById('query').value, variables }),
    });
    const body = await r.text();
    let shown = body;
    try { shown = JSON.stringify(JSON.parse(body), null, 2); } catch (e) {}
    out.textContent = r.status + '\n' + shown;
  } catch (e) {
    out.textContent = String(e);
  }
});"#;

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub async fn page() -> Response {
    let nonce = hex::encode(rand::random::<[u8; 16]>());
    let sdl = super::schema().sdl();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portico GraphQL explorer</title>
<style nonce="{nonce}">{STYLE}</style>
</head>
<body>
<main>
<h1>Portico GraphQL explorer</h1>
<p>Queries are sent as <code>POST /graphql</code> with your API key as a bearer token. The key
stays in this page and is not stored.</p>
<form id="form">
<label for="key">API key</label>
<input id="key" type="password" autocomplete="off" placeholder="portico_sk_…">
<label for="query">Query</label>
<textarea id="query" spellcheck="false">{query}</textarea>
<label for="variables">Variables (JSON)</label>
<textarea id="variables" spellcheck="false">{variables}</textarea>
<button type="submit">Run</button>
</form>
<h2>Answer</h2>
<pre id="answer" aria-live="polite"></pre>
<details>
<summary>Schema</summary>
<pre>{sdl}</pre>
</details>
</main>
<script nonce="{nonce}">{SCRIPT}</script>
</body>
</html>
"#,
        query = esc(EXAMPLE),
        variables = esc(EXAMPLE_VARIABLES),
        sdl = esc(&sdl),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; \
         frame-ancestors 'none'"
    );
    let mut response = (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
