//! With JavaScript off, the portal still works: links navigate, pagination pages, logout logs out.

use std::time::Duration;

use portico_core::model::PortalPage;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{CUSTOMER, Portal, expect_h1, h1};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn navigation_and_logout_without_javascript() {
    let portal = Portal::start().await;
    let mut b = Browser::start(BrowserOptions {
        javascript: false,
        ..BrowserOptions::default()
    })
    .await;
    b.goto(&portal.link(CUSTOMER, PortalPage::Overview, None).await)
        .await;
    assert_eq!(h1(&mut b).await, "Welcome, Superdesk GmbH");

    for (href, heading) in [
        ("/portal/subscriptions", "Subscriptions"),
        ("/portal/transactions", "Transactions"),
        ("/portal/payment-method", "Payment methods"),
        ("/portal/account", "Billing details"),
        ("/portal/invoices", "Invoices"),
    ] {
        let link = b
            .find(&format!("nav.tabs a[href='{href}']"))
            .await
            .unwrap_or_else(|| panic!("a navigation link to {href}"));
        b.click(&link).await;
        b.wait_for(
            &format!("nav.tabs a[href='{href}'][aria-current=page]"),
            Duration::from_secs(10),
        )
        .await;
        assert_eq!(h1(&mut b).await, heading);
    }

    let older = b.find("a[rel=next]").await.expect("an Older link");
    b.click(&older).await;
    b.wait_for("a[rel=prev]", Duration::from_secs(10)).await;
    // The second page is named by the last invoice of the first (a keyset cursor).
    let url = b.current_url().await;
    assert!(url.contains("/portal/invoices?after=inv_"), "{url}");
    let first = b.find("tbody th a").await.expect("an invoice link");
    let number = b.element_text(&first).await;
    b.click(&first).await;
    expect_h1(&mut b, &format!("Invoice {number}")).await;
    b.screenshot("no-js-invoice-1280").await;

    let logout = b.find("form.logout button").await.expect("a logout button");
    b.click(&logout).await;
    expect_h1(&mut b, "You have been logged out").await;
    b.screenshot("logged-out-1280").await;

    b.goto(&format!("{}/portal/invoices", portal.base)).await;
    // The logout cleared the cookie: the browser is simply not signed in.
    assert_eq!(h1(&mut b).await, "You are not signed in");
    b.quit().await;
}
