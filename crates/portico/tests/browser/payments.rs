//! Paying in the browser: the demo's past-due customer, whose default card has expired, replaces
//! it on the test provider's page and pays the overdue invoice in one visit; at 1280 and 390 px,
//! with axe-core on each portal page.

use std::time::Duration;

use portico_core::model::PortalPage;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{Portal, assert_accessible, axe_source, click, expect_h1, h1, page_text};

/// The demo's past-due customer: an expired Amex, three failed payments, an overdue invoice.
const PAST_DUE: &str = "globex";

async fn past_due_customer_replaces_the_card_and_pays(width: u32, height: u32) {
    let portal = Portal::start().await;
    let axe = axe_source();
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.set_window_size(width, height).await;
    b.goto(&portal.link(PAST_DUE, PortalPage::Overview, None).await)
        .await;
    assert_eq!(h1(&mut b).await, "Welcome, Globex Corporation");
    let text = page_text(&mut b).await;
    assert!(text.contains("is overdue."), "{text}");
    assert!(
        text.contains("Your default card, American Express ending in 0005, has expired."),
        "{text}"
    );
    assert_accessible(&mut b, &axe, &format!("overview with alerts at {width} px")).await;
    b.screenshot(&format!("pay-overview-alerts-{width}")).await;

    // The alert leads to the payment methods, where the expired card is replaced in one step.
    click(&mut b, "div.alert a[href='/portal/payment-method']").await;
    expect_h1(&mut b, "Payment methods").await;
    assert_accessible(&mut b, &axe, &format!("payment methods at {width} px")).await;
    click(
        &mut b,
        "form[action='/portal/payment-method/add'] input[name=replace] + button",
    )
    .await;
    b.wait_for("input#card-number", Duration::from_secs(10))
        .await;
    assert!(b.current_url().await.contains("/test-provider/setup/"));
    b.screenshot(&format!("pay-provider-card-page-{width}"))
        .await;
    for (field, value) in [
        ("input#card-number", "4242 4242 4242 4242"),
        ("input#card-expiry", "12/30"),
        ("input#card-cvc", "123"),
    ] {
        let input = b.find(field).await.expect(field);
        b.type_into(&input, value).await;
    }
    click(&mut b, "form button[type=submit]").await;
    b.wait_for("p.flash.good", Duration::from_secs(10)).await;
    let text = page_text(&mut b).await;
    assert!(text.contains("Your card has been added."), "{text}");
    assert!(text.contains("Visa ending in 4242"), "{text}");
    assert!(
        !text.contains("ending in 0005"),
        "the expired card was replaced: {text}"
    );
    b.screenshot(&format!("pay-card-replaced-{width}")).await;

    // Back on the overview, the card alert is gone; the overdue invoice's alert leads to Pay.
    b.goto(&format!("{}/portal", portal.base)).await;
    let text = page_text(&mut b).await;
    assert!(!text.contains("has expired"), "{text}");
    click(&mut b, "div.alert a[href$='#pay']").await;
    let pay = b
        .wait_for("section.pay button[type=submit]", Duration::from_secs(10))
        .await;
    let label = b.element_text(&pay).await;
    assert!(label.starts_with("Pay $"), "{label}");
    assert_accessible(&mut b, &axe, &format!("invoice with Pay at {width} px")).await;
    b.screenshot(&format!("pay-invoice-{width}")).await;
    b.click(&pay).await;
    b.wait_for("p.flash.good", Duration::from_secs(10)).await;
    let text = page_text(&mut b).await;
    assert!(text.contains("Payment received. Thank you!"), "{text}");
    assert!(text.contains("Paid"), "the invoice says paid: {text}");
    assert!(
        b.find("section.pay").await.is_none(),
        "nothing is left to pay"
    );
    assert_accessible(&mut b, &axe, &format!("paid invoice at {width} px")).await;
    b.screenshot(&format!("pay-paid-{width}")).await;
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_due_customer_replaces_the_expired_card_and_pays_at_1280_px() {
    past_due_customer_replaces_the_card_and_pays(1280, 900).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_past_due_customer_replaces_the_expired_card_and_pays_at_390_px() {
    past_due_customer_replaces_the_card_and_pays(390, 844).await;
}
