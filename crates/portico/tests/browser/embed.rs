//! Embedding: a vendor page on another origin opens the portal with `/embed.js` and receives
//! `portico:ready`, and after an action in the frame what it changed; a page on an origin the
//! account does not allow cannot frame the portal.

use std::time::Duration;

use axum::response::Html;
use portico_core::model::PortalPage;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{CUSTOMER, Portal, normalize, session_cookie, set_cookie, wait_until};

/// Serves one vendor page on a free port of 127.0.0.1; returns its origin.
async fn vendor_site(portal: &str, link: &str) -> (String, tokio::task::JoinHandle<()>) {
    let page = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Vendor app</title>
<script src="{portal}/embed.js"></script></head><body><h1>Vendor app</h1>
<a id="billing" href="{link}" data-portico-open>Billing</a><ul id="events"></ul>
<script>
window.porticoEvents = [];
['portico:ready', 'portico:close', 'portico:logout', 'portico:subscription.updated',
 'portico:subscription.canceled', 'portico:payment_method.updated', 'portico:customer.updated'].forEach(function (type) {{
  window.addEventListener(type, function (e) {{
    window.porticoEvents.push(type + ' ' + e.detail.path);
    var li = document.createElement('li'); li.textContent = type; document.getElementById('events').appendChild(li);
  }});
}});
</script></body></html>"#
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/", axum::routing::get(move || async move { Html(page) }));
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (origin, server)
}

/// Opens the vendor page at `origin`, clicks its billing link and waits for the framed portal's
/// `portico:ready`; the ready events so far.
async fn open_from_vendor(b: &mut Browser, origin: &str) -> serde_json::Value {
    b.goto(&format!("{origin}/")).await;
    let open = b.find("#billing").await.expect("the vendor's billing link");
    b.click(&open).await;
    wait_until(
        b,
        "return window.porticoEvents.filter(e => e.startsWith('portico:ready'))",
        Duration::from_secs(15),
        "portico:ready from the framed portal",
    )
    .await
}

async fn link_again(portal: &Portal) -> String {
    portal.link(CUSTOMER, PortalPage::Overview, None).await
}

/// The CSP of a portal page in a session, fetched over plain HTTP with a fresh link.
async fn framed_page_csp(portal: &Portal) -> String {
    let link = portal.link(CUSTOMER, PortalPage::Overview, None).await;
    let header = set_cookie(&link).await;
    for flag in [
        "HttpOnly",
        "Path=/",
        "Secure",
        "SameSite=None",
        "Partitioned",
    ] {
        assert!(
            header.split("; ").any(|f| f == flag),
            "an embeddable account's cookie works in frames: {flag} missing in {header}"
        );
    }
    let cookie = session_cookie(&link_again(portal).await).await;
    let page = reqwest::Client::new()
        .get(format!("{}/portal", portal.base))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embedding_in_an_allowed_origin_only() {
    let mut portal = Portal::start().await;
    // The vendor's origin is known only once its server listens: bind first, allow, then serve.
    let link = portal.link(CUSTOMER, PortalPage::Invoices, None).await;
    let (allowed, allowed_server) = vendor_site(&portal.base, &link).await;
    portal
        .update_settings(|s| s.allowed_origins = vec![allowed.clone()])
        .await;
    let client = reqwest::Client::new();
    let script = client
        .get(format!("{}/embed.js", portal.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(
        script.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=86400"),
        "embed.js is cached long"
    );

    let mut b = Browser::start(BrowserOptions::default()).await;
    let events = open_from_vendor(&mut b, &allowed).await;
    assert_eq!(events[0], "portico:ready /portal/invoices");
    b.screenshot("embed-1280").await;
    let frame = b
        .find("iframe.portico-frame")
        .await
        .expect("the portal iframe");
    b.switch_to_frame(Some(&frame)).await;
    let h1 = b.wait_for("h1", Duration::from_secs(10)).await;
    assert_eq!(normalize(&b.element_text(&h1).await), "Invoices");
    assert!(
        b.find("tbody th a").await.is_some(),
        "the invoice list inside the frame"
    );
    // Logging out inside the frame tells the vendor page.
    let logout = b.find("form.logout button").await.expect("a logout button");
    b.click(&logout).await;
    b.switch_to_frame(None).await;
    wait_until(
        &mut b,
        "return window.porticoEvents.some(e => e.startsWith('portico:logout'))",
        Duration::from_secs(10),
        "portico:logout from the framed portal",
    )
    .await;
    // "Back to Acme Cloud" inside the frame asks the vendor page to close the portal.
    let frame = b
        .find("iframe.portico-frame")
        .await
        .expect("the portal iframe");
    b.switch_to_frame(Some(&frame)).await;
    let back = b
        .wait_for("a[data-portico-close]", Duration::from_secs(10))
        .await;
    b.click(&back).await;
    b.switch_to_frame(None).await;
    wait_until(
        &mut b,
        "return window.porticoEvents.some(e => e.startsWith('portico:close')) && !document.querySelector('iframe.portico-frame')",
        Duration::from_secs(10),
        "portico:close and the modal gone",
    )
    .await;
    let events = b.execute("return window.porticoEvents", vec![]).await;
    assert_eq!(
        events,
        serde_json::json!([
            "portico:ready /portal/invoices",
            "portico:logout /portal/logout",
            "portico:close /portal/logout"
        ]),
    );

    // A page on an origin the account does not allow: Chromium refuses to render the portal in
    // its frame (frame-ancestors), and no event arrives.
    let link = portal.link(CUSTOMER, PortalPage::Invoices, None).await;
    let (stranger, stranger_server) = vendor_site(&portal.base, &link).await;
    let csp = framed_page_csp(&portal).await;
    assert!(
        csp.ends_with(&format!("frame-ancestors {allowed}")),
        "{csp}"
    );
    assert!(!csp.contains(&stranger));
    b.goto(&format!("{stranger}/")).await;
    let open = b.find("#billing").await.expect("the vendor's billing link");
    b.click(&open).await;
    let frame = b
        .wait_for("iframe.portico-frame", Duration::from_secs(5))
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let events = b.execute("return window.porticoEvents", vec![]).await;
    assert_eq!(
        events,
        serde_json::json!([]),
        "no event from a refused frame"
    );
    b.screenshot("embed-refused-1280").await;
    b.switch_to_frame(Some(&frame)).await;
    assert!(
        b.find("main").await.is_none(),
        "the portal must not render in the refused frame"
    );
    assert!(b.find("h1").await.is_none() || !b.source().await.contains("Invoices"));
    b.switch_to_frame(None).await;

    allowed_server.abort();
    stranger_server.abort();
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_in_the_frame_tells_the_vendor_page_what_changed() {
    let mut portal = Portal::start().await;
    let link = portal.link(CUSTOMER, PortalPage::Account, None).await;
    let (allowed, server) = vendor_site(&portal.base, &link).await;
    portal
        .update_settings(|s| s.allowed_origins = vec![allowed.clone()])
        .await;
    let mut b = Browser::start(BrowserOptions::default()).await;
    open_from_vendor(&mut b, &allowed).await;
    let frame = b
        .find("iframe.portico-frame")
        .await
        .expect("the portal iframe");
    b.switch_to_frame(Some(&frame)).await;
    let save = b
        .wait_for("form.details button[type=submit]", Duration::from_secs(10))
        .await;
    b.click(&save).await;
    b.switch_to_frame(None).await;
    wait_until(
        &mut b,
        "return window.porticoEvents.some(e => e.startsWith('portico:customer.updated'))",
        Duration::from_secs(10),
        "portico:customer.updated from the framed portal",
    )
    .await;
    let events = b.execute("return window.porticoEvents", vec![]).await;
    assert_eq!(
        events,
        serde_json::json!([
            "portico:ready /portal/account",
            "portico:ready /portal/account",
            "portico:customer.updated /portal/account"
        ]),
    );
    b.screenshot("embed-action-1280").await;
    server.abort();
    b.quit().await;
}
