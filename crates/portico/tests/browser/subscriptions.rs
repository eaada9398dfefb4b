//! A customer changes a subscription in the browser: cancels at the end of the period and
//! resumes; asks for more seats than the plan allows and is told so; schedules a downgrade and
//! withdraws it; adds seats; upgrades with the proration paid through the test provider; and
//! cancels now. With JavaScript on at 1280 px (axe-core on each page) and off at 390 px, where
//! every button and link is at least 44 px tall.

use std::time::Duration;

use portico_core::PageRequest;
use portico_core::model::{
    CancelMode, CustomerRef, PortalPage, Subscription, SubscriptionStatus, TransactionKind,
    TransactionStatus,
};
use portico_store::{SubscriptionFilter, TransactionFilter};
use portico_testkit::browser::{Browser, BrowserOptions};
use serde_json::json;

use crate::support::{
    CUSTOMER, Portal, assert_accessible, axe_source, click, expect_h1, page_text, wait_until,
};

// Generous: the suite runs beside other browsers and servers on a busy machine.
const WAIT: Duration = Duration::from_secs(30);

/// The smallest tap target a phone user is asked to hit.
const TAP_PX: f64 = 44.0;

/// One walk through the portal at one width, with or without JavaScript.
pub struct Walk {
    pub b: Browser,
    axe: Option<String>,
    width: u32,
    name: &'static str,
}

impl Walk {
    pub async fn start(name: &'static str, width: u32, height: u32, javascript: bool) -> Walk {
        let mut b = Browser::start(BrowserOptions {
            javascript,
            ..BrowserOptions::default()
        })
        .await;
        b.set_window_size(width, height).await;
        Walk {
            b,
            axe: javascript.then(axe_source),
            width,
            name,
        }
    }

    pub async fn click(&mut self, css: &str) {
        click(&mut self.b, css).await;
    }

    /// Checks the page: axe-core with JavaScript on, tap targets on a phone; and keeps a
    /// screenshot named after the walk, the page, the width and JavaScript.
    pub async fn look(&mut self, page: &str) {
        let what = format!("{page} at {} px", self.width);
        if let Some(axe) = &self.axe {
            assert_accessible(&mut self.b, axe, &what).await;
        }
        if self.width < 600 {
            assert_tap_targets(&mut self.b, &what).await;
        }
        let js = if self.axe.is_some() { "js" } else { "nojs" };
        let shot = format!("{}-{page}-{}-{js}", self.name, self.width);
        self.b.screenshot(&shot).await;
    }

    /// Waits for the flash of kind `good` or `bad` to say `text`.
    pub async fn expect_flash(&mut self, kind: &str, text: &str) {
        let script = format!(
            "const f = document.querySelector('.flash.{kind}'); return !!f && f.textContent === {};",
            serde_json::to_string(text).unwrap()
        );
        wait_until(&mut self.b, &script, WAIT, &format!("the flash {text:?}")).await;
    }

    /// Sets a form field's value as typing would (works without the page's JavaScript).
    pub async fn set(&mut self, css: &str, value: &str) {
        let set = self
            .b
            .execute(
                "const e = document.querySelector(arguments[0]); if (!e) return false;\
                 e.value = arguments[1]; return true;",
                vec![json!(css), json!(value)],
            )
            .await;
        assert_eq!(set, json!(true), "no {css} to fill in");
    }

    /// Chooses the plan whose label says `name` on the change page.
    async fn choose_plan(&mut self, name: &str) {
        let chosen = self
            .b
            .execute(
                "const l = [...document.querySelectorAll('label.choice')]\
                   .find(l => l.textContent.trim().startsWith(arguments[0] + ' —'));\
                 if (!l) return false; l.querySelector('input').click(); return true;",
                vec![json!(name)],
            )
            .await;
        assert_eq!(chosen, json!(true), "no plan {name:?} to choose");
    }
}

/// Every visible button, link and form control is at least [`TAP_PX`] tall; links inside a
/// sentence are exempt (WCAG 2.5.8), as are the radio buttons whose whole label is the target.
pub async fn assert_tap_targets(b: &mut Browser, page: &str) {
    let small = b
        .execute(
            "const min = arguments[0];\
             return [...document.querySelectorAll('a, button, select, textarea, input, label.choice')]\
               .filter(e => !(e.matches('input[type=hidden], input[type=radio], input[type=checkbox]')))\
               .filter(e => !(e.matches('a') && e.closest('p, li.text') && !e.matches('.button')))\
               .filter(e => { const r = e.getBoundingClientRect(); const s = getComputedStyle(e);\
                 return r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && s.visibility !== 'hidden'; })\
               .filter(e => e.getBoundingClientRect().height < min)\
               .map(e => `${e.tagName.toLowerCase()}.${e.className} \"${(e.innerText || e.value || e.name || '').trim().slice(0, 40)}\" ${e.getBoundingClientRect().height.toFixed(1)} px`);",
            vec![json!(TAP_PX)],
        )
        .await;
    let small: Vec<String> = serde_json::from_value(small).unwrap();
    assert!(
        small.is_empty(),
        "targets under {TAP_PX} px on {page}:\n{}",
        small.join("\n")
    );
}

/// The demo customer's subscription, as stored.
pub async fn subscription(portal: &Portal) -> Subscription {
    let filter = SubscriptionFilter {
        customer: Some(CustomerRef::parse(CUSTOMER)),
        status: None,
    };
    let list = portal
        .store
        .list_subscriptions(&portal.account.id, filter, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(list.data.len(), 1, "the demo customer has one subscription");
    list.data.into_iter().next().unwrap()
}

/// The customer's payments that succeeded.
async fn payments(portal: &Portal, sub: &Subscription) -> usize {
    let filter = TransactionFilter {
        customer: Some(CustomerRef::parse(sub.customer.as_str())),
        ..Default::default()
    };
    let list = portal
        .store
        .list_transactions(&portal.account.id, filter, PageRequest::first(100))
        .await
        .unwrap();
    list.data
        .iter()
        .filter(|t| t.kind == TransactionKind::Payment && t.status == TransactionStatus::Succeeded)
        .count()
}

/// Adds a card through the test provider's page and makes it the default (the demo's own card
/// of the same number is not the provider's and is the default already).
pub async fn add_default_card(w: &mut Walk, number: &str, last4: &str) {
    w.click("nav.tabs a[href='/portal/payment-method']").await;
    expect_h1(&mut w.b, "Payment methods").await;
    w.click("div.actions form[action='/portal/payment-method/add'] button")
        .await;
    w.b.wait_for("input#card-number", Duration::from_secs(10))
        .await;
    for (field, value) in [
        ("input#card-number", number),
        ("input#card-expiry", "12/30"),
        ("input#card-cvc", "123"),
    ] {
        let input = w.b.find(field).await.expect(field);
        w.b.type_into(&input, value).await;
    }
    w.click("form button[type=submit]").await;
    w.expect_flash("good", "Your card has been added.").await;
    let made =
        w.b.execute(
            "const b = [...document.querySelectorAll('li.method')]\
               .filter(li => li.textContent.includes('ending in ' + arguments[0]))\
               .map(li => li.querySelector(\"form[action$='/default'] button\"))\
               .find(b => b);\
             if (!b) return false; b.click(); return true;",
            vec![json!(last4)],
        )
        .await;
    assert_eq!(
        made,
        json!(true),
        "no way to make the {last4} card the default"
    );
    w.expect_flash("good", "Your default payment method has been changed.")
        .await;
}

async fn walk(width: u32, height: u32, javascript: bool) {
    let mut portal = Portal::start().await;
    let mut w = Walk::start("subscription", width, height, javascript).await;
    w.b.goto(&portal.link(CUSTOMER, PortalPage::Subscriptions, None).await)
        .await;
    expect_h1(&mut w.b, "Subscriptions").await;
    w.look("list").await;
    let before = subscription(&portal).await;
    assert_eq!(before.quantity, 5);

    // Cancel at the end of the period, then take it back.
    w.click("section.sub a[href$='/cancel']").await;
    expect_h1(&mut w.b, "Cancel subscription").await;
    let text = page_text(&mut w.b).await;
    assert!(text.contains("Team stays active until"), "{text}");
    assert!(
        text.contains("the service stops and no further invoices are issued"),
        "{text}"
    );
    w.look("cancel").await;
    w.set("#f-reason", "Too expensive").await;
    w.set("#f-comment", "We will be back").await;
    w.click("form.cancel button[type=submit]").await;
    w.expect_flash(
        "good",
        "Your subscription will end at the end of the period.",
    )
    .await;
    let badge = w.b.find("section.sub .badge.warn").await.expect("a badge");
    assert!(w.b.element_text(&badge).await.starts_with("Cancels on"));
    w.look("cancel-scheduled").await;
    let s = subscription(&portal).await;
    assert!(s.cancel_at_period_end);
    assert_eq!(s.cancel_reason.as_deref(), Some("Too expensive"));
    w.click("section.sub form[action$='/resume'] button").await;
    w.expect_flash("good", "Your subscription continues.").await;
    assert!(w.b.find("section.sub .badge.warn").await.is_none());
    assert!(!subscription(&portal).await.cancel_at_period_end);

    // More seats than the plan allows: the form again, saying which, and nothing changed.
    w.click("section.sub a[href$='/change']").await;
    expect_h1(&mut w.b, "Change plan").await;
    let text = page_text(&mut w.b).await;
    for needle in [
        "Monthly",
        "Yearly",
        "Business",
        "Team (yearly)",
        "New quantity",
    ] {
        assert!(text.contains(needle), "the picker lacks {needle:?}: {text}");
    }
    w.look("change").await;
    // The browser refuses the number first; past it (a browser that does not check), the
    // server says the same.
    w.set("#f-quantity", "51").await;
    let refused = w
        .b
        .execute(
            "const q = document.querySelector('#f-quantity');             return !q.checkValidity() && q.validity.rangeOverflow;",
            vec![],
        )
        .await;
    assert_eq!(refused, json!(true), "the field takes no more than 50");
    w.b.execute(
        "document.querySelector('form.change').noValidate = true; return true;",
        vec![],
    )
    .await;
    w.click("form.change button[type=submit]").await;
    w.expect_flash("bad", "Please choose a quantity from 1 to 50.")
        .await;
    w.look("seats-beyond").await;
    let s = subscription(&portal).await;
    assert_eq!((s.quantity, &s.plan), (5, &before.plan), "nothing changed");
    assert!(s.scheduled_change.is_none());

    // A downgrade waits for the end of the period, shows, and is withdrawn.
    w.choose_plan("Starter").await;
    w.set("#f-quantity", "5").await;
    w.click("form.change button[type=submit]").await;
    expect_h1(&mut w.b, "Review your change").await;
    let text = page_text(&mut w.b).await;
    assert!(text.contains("at the end of the current period"), "{text}");
    w.look("downgrade-preview").await;
    w.click("section.preview form button[type=submit]").await;
    w.expect_flash(
        "good",
        "Your change is scheduled for the end of the period.",
    )
    .await;
    let text = page_text(&mut w.b).await;
    assert!(text.contains("Changes to Starter × 5 on"), "{text}");
    w.look("downgrade-scheduled").await;
    assert!(subscription(&portal).await.scheduled_change.is_some());
    w.click("section.sub form[action$='/withdraw-change'] button")
        .await;
    w.expect_flash("good", "The scheduled change has been withdrawn.")
        .await;
    let s = subscription(&portal).await;
    assert_eq!((s.scheduled_change, &s.plan), (None, &before.plan));

    // Six seats instead of five, within the plan's bounds.
    w.click("section.sub a[href$='/change']").await;
    expect_h1(&mut w.b, "Change plan").await;
    w.set("#f-quantity", "6").await;
    w.click("form.change button[type=submit]").await;
    expect_h1(&mut w.b, "Review your change").await;
    w.look("seats-preview").await;
    w.click("section.preview form button[type=submit]").await;
    w.expect_flash("good", "Your subscription has been changed.")
        .await;
    assert_eq!(subscription(&portal).await.quantity, 6);

    // An upgrade, its proration charged to a card of the test provider's.
    add_default_card(&mut w, "4242 4242 4242 4242", "4242").await;
    let paid_before = payments(&portal, &before).await;
    w.click("nav.tabs a[href='/portal/subscriptions']").await;
    expect_h1(&mut w.b, "Subscriptions").await;
    w.click("section.sub a[href$='/change']").await;
    expect_h1(&mut w.b, "Change plan").await;
    w.choose_plan("Business").await;
    w.click("form.change button[type=submit]").await;
    expect_h1(&mut w.b, "Review your change").await;
    let text = page_text(&mut w.b).await;
    for needle in [
        "The change takes effect now.",
        "Credit for unused time on Team",
        "Remaining time on Business",
        "Tax (19%)",
        "Due today",
        "Next invoice on",
        // The credit, with a true minus sign.
        "\u{2212}€",
        "Confirming charges this to your default payment method",
    ] {
        assert!(
            text.contains(needle),
            "the preview lacks {needle:?}: {text}"
        );
    }
    assert!(!text.contains("-€"), "{text}");
    w.look("upgrade-preview").await;
    w.click("section.preview form button[type=submit]").await;
    w.expect_flash("good", "Your subscription has been changed.")
        .await;
    let heading = w.b.find("section.sub h2").await.expect("a subscription");
    assert!(w.b.element_text(&heading).await.starts_with("Business"));
    w.look("upgraded").await;
    let s = subscription(&portal).await;
    assert_ne!(s.plan, before.plan);
    assert_eq!(payments(&portal, &s).await, paid_before + 1, "charged once");

    // Canceling now, once the account allows it.
    portal
        .update_settings(|settings| {
            settings.subscription_changes.cancel_modes =
                vec![CancelMode::AtPeriodEnd, CancelMode::Immediately];
        })
        .await;
    w.click("section.sub a[href$='/cancel']").await;
    expect_h1(&mut w.b, "Cancel subscription").await;
    w.click("input[name=mode][value=immediately]").await;
    w.look("cancel-now").await;
    w.click("form.cancel button[type=submit]").await;
    w.expect_flash("good", "Your subscription has been canceled.")
        .await;
    w.look("canceled").await;
    assert_eq!(
        subscription(&portal).await.status,
        SubscriptionStatus::Canceled
    );
    w.b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscription_change_with_javascript_at_1280_px() {
    walk(1280, 900, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subscription_change_without_javascript_at_390_px() {
    walk(390, 844, false).await;
}
