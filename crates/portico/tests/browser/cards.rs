//! Every documented test card through the test provider's page, then paying one open invoice
//! with the cards that decline, lack funds and need a challenge: with JavaScript on at 1280 px
//! (axe-core on each portal page) and off at 390 px, where every form still works.

use std::time::Duration;

use portico_core::model::{InvoiceStatus, PortalPage};
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{
    CUSTOMER, Portal, assert_accessible, axe_source, click, expect_h1, open_invoice, page_text,
};

/// The cards added, each with what it does when charged.
const CARDS: [(&str, &str); 5] = [
    ("4242 4242 4242 4242", "4242"),
    ("4000 0000 0000 0002", "0002"),
    ("4000 0000 0000 9995", "9995"),
    ("4000 0000 0000 3220", "3220"),
    ("4000 0000 0000 0069", "0069"),
];

struct Visit {
    b: Browser,
    axe: Option<String>,
    width: u32,
}

impl Visit {
    async fn click(&mut self, css: &str) {
        click(&mut self.b, css).await;
    }

    /// Checks the portal page with axe-core when JavaScript is on, and keeps a screenshot.
    async fn look(&mut self, name: &str) {
        if let Some(axe) = &self.axe {
            let page = format!("{name} at {} px", self.width);
            assert_accessible(&mut self.b, axe, &page).await;
        }
        let js = if self.axe.is_some() { "js" } else { "nojs" };
        self.b
            .screenshot(&format!("cards-{name}-{}-{js}", self.width))
            .await;
    }

    /// The flash message after an action, and the page's whole text.
    async fn flash(&mut self, kind: &str) -> String {
        self.b
            .wait_for(&format!("p.flash.{kind}"), Duration::from_secs(10))
            .await;
        page_text(&mut self.b).await
    }

    /// Adds a card through the provider's page.
    async fn add_card(&mut self, number: &str) {
        self.click("div.actions form[action='/portal/payment-method/add'] button")
            .await;
        self.b
            .wait_for("input#card-number", Duration::from_secs(10))
            .await;
        assert!(self.b.current_url().await.contains("/test-provider/setup/"));
        for (field, value) in [
            ("input#card-number", number),
            ("input#card-expiry", "12/30"),
            ("input#card-cvc", "123"),
        ] {
            let input = self.b.find(field).await.expect(field);
            self.b.type_into(&input, value).await;
        }
        self.click("form button[type=submit]").await;
    }

    /// Chooses the card ending in `last4` in the invoice's pay form and submits it.
    async fn pay_with(&mut self, last4: &str) {
        let labels = self.b.find_all("fieldset.choices div.choice label").await;
        let mut chosen = None;
        for (i, label) in labels.iter().enumerate() {
            if self
                .b
                .element_text(label)
                .await
                .contains(&format!("ending in {last4}"))
            {
                chosen = Some(i + 1);
            }
        }
        let n = chosen.unwrap_or_else(|| panic!("no card ending in {last4} to pay with"));
        self.click(&format!(
            "fieldset.choices div.choice:nth-of-type({n}) input[type=radio]"
        ))
        .await;
        self.click("section.pay button[type=submit]").await;
    }
}

async fn every_card_then_pay(width: u32, height: u32, javascript: bool) {
    let portal = Portal::start().await;
    // One open invoice of the customer's, due in two weeks: the one the cards are tried on.
    let invoice = open_invoice(&portal, "Onboarding workshop", 6170).await;

    let mut b = Browser::start(BrowserOptions {
        javascript,
        ..BrowserOptions::default()
    })
    .await;
    b.set_window_size(width, height).await;
    let axe = javascript.then(axe_source);
    let mut v = Visit { b, axe, width };
    v.b.goto(&portal.link(CUSTOMER, PortalPage::PaymentMethod, None).await)
        .await;
    expect_h1(&mut v.b, "Payment methods").await;
    v.look("payment-methods").await;

    // Each documented number makes a card: the number decides what a charge does, not whether
    // the card can be added.
    for (number, last4) in CARDS {
        v.add_card(number).await;
        let text = v.flash("good").await;
        assert!(
            text.contains("Your card has been added."),
            "{number}: {text}"
        );
        assert!(
            text.contains(&format!("ending in {last4}")),
            "{number}: {text}"
        );
    }
    v.look("five-cards").await;
    let text = page_text(&mut v.b).await;
    assert!(
        !text.contains("4000 0000") && !text.contains("4242 4242"),
        "no page shows a card number: {text}"
    );

    v.b.goto(&format!("{}/portal/invoices/{}", portal.base, invoice.id))
        .await;
    let pay =
        v.b.wait_for("section.pay button[type=submit]", Duration::from_secs(10))
            .await;
    let label = v.b.element_text(&pay).await;
    assert_eq!(label, "Pay €61.70");
    v.look("invoice-to-pay").await;

    // A decline and a lack of funds each say why, in words, and leave the invoice open.
    for (last4, reason) in [
        (
            "0002",
            "Your card was declined. Please use another card or contact your bank.",
        ),
        ("9995", "Your card has insufficient funds."),
    ] {
        v.pay_with(last4).await;
        let text = v.flash("bad").await;
        assert!(text.contains(reason), "paying with {last4}: {text}");
        assert!(
            v.b.find("section.pay button[type=submit]").await.is_some(),
            "the invoice is still open after paying with {last4}: {text}"
        );
        v.look(&format!("declined-{last4}")).await;
    }

    // The challenge card goes through the bank's confirmation step and comes back paid.
    v.pay_with("3220").await;
    v.b.wait_for(
        "form[action^='/test-provider/challenge/']",
        Duration::from_secs(10),
    )
    .await;
    let text = page_text(&mut v.b).await;
    assert!(
        text.contains("confirm a payment of €61.70"),
        "the challenge names the amount: {text}"
    );
    v.b.screenshot(&format!("cards-challenge-{width}")).await;
    v.click("button[value=approve]").await;
    let text = v.flash("good").await;
    assert!(text.contains("Payment received. Thank you!"), "{text}");
    assert!(
        v.b.find("section.pay").await.is_none(),
        "nothing left to pay"
    );
    v.look("paid-after-challenge").await;

    let paid = portal
        .store
        .invoice(&portal.account.id, &invoice.id)
        .await
        .expect("the invoice");
    assert_eq!(paid.status, InvoiceStatus::Paid);
    let attempts = portal
        .store
        .list_transactions(
            &portal.account.id,
            portico_store::TransactionFilter {
                invoice: Some(invoice.id.clone()),
                ..Default::default()
            },
            portico_core::PageRequest::first(100),
        )
        .await
        .expect("the invoice's transactions");
    let succeeded = attempts
        .data
        .iter()
        .filter(|t| t.status == portico_core::model::TransactionStatus::Succeeded)
        .count();
    assert_eq!(succeeded, 1, "one charge succeeded: {:?}", attempts.data);
    v.b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_test_card_and_a_decline_a_lack_of_funds_and_a_challenge_at_1280_px() {
    every_card_then_pay(1280, 900, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_test_card_and_every_payment_outcome_without_javascript_at_390_px() {
    every_card_then_pay(390, 844, false).await;
}
