//! A customer changes a subscription in the browser: cancels at the end of the period and
//! resumes, then changes plan through the preview, each page checked for accessibility.

use std::time::Duration;

use portico_core::model::PortalPage;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{
    CUSTOMER, Portal, assert_accessible, axe_source, click, expect_h1, page_text, wait_until,
};

// Generous: the suite runs beside other browsers and servers on a busy machine.
const WAIT: Duration = Duration::from_secs(30);

/// Waits for the page after a redirect to say `text` (the previous page's flash may still be
/// showing meanwhile).
async fn expect_flash(b: &mut Browser, text: &str) {
    let script = format!(
        "const f = document.querySelector('.flash.good'); return !!f && f.textContent === {};",
        serde_json::to_string(text).unwrap()
    );
    wait_until(b, &script, WAIT, &format!("the flash {text:?}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_resume_and_a_plan_change_through_the_preview() {
    let portal = Portal::start().await;
    let axe = axe_source();
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(&portal.link(CUSTOMER, PortalPage::Subscriptions, None).await)
        .await;
    expect_h1(&mut b, "Subscriptions").await;

    click(&mut b, "section.sub a[href$='/cancel']").await;
    expect_h1(&mut b, "Cancel subscription").await;
    let text = page_text(&mut b).await;
    assert!(text.contains("Team stays active until"), "{text}");
    assert!(
        text.contains("the service stops and no further invoices are issued"),
        "{text}"
    );
    assert_accessible(&mut b, &axe, "cancel").await;
    b.screenshot("subscription-cancel-1280").await;
    b.execute(
        "document.querySelector('#f-reason').value = 'Too expensive'; return true;",
        vec![],
    )
    .await;
    let comment = b.find("#f-comment").await.expect("a comment field");
    b.type_into(&comment, "We will be back").await;
    click(&mut b, "form.cancel button[type=submit]").await;
    expect_flash(
        &mut b,
        "Your subscription will end at the end of the period.",
    )
    .await;
    let badge = b.find("section.sub .badge.warn").await.expect("a badge");
    assert!(b.element_text(&badge).await.starts_with("Cancels on"));
    assert_accessible(&mut b, &axe, "subscriptions, canceling").await;
    b.screenshot("subscription-cancel-scheduled-1280").await;

    click(&mut b, "section.sub form[action$='/resume'] button").await;
    expect_flash(&mut b, "Your subscription continues.").await;
    assert!(b.find("section.sub .badge.warn").await.is_none());

    click(&mut b, "section.sub a[href$='/change']").await;
    expect_h1(&mut b, "Change plan").await;
    let text = page_text(&mut b).await;
    for needle in [
        "Monthly",
        "Yearly",
        "Business",
        "Team (yearly)",
        "New quantity",
    ] {
        assert!(text.contains(needle), "the picker lacks {needle:?}: {text}");
    }
    assert_accessible(&mut b, &axe, "change plan").await;
    b.screenshot("subscription-change-1280").await;
    b.execute(
        "[...document.querySelectorAll('label.choice')]\
           .find(l => l.textContent.includes('Business')).querySelector('input').click();\
         return true;",
        vec![],
    )
    .await;
    click(&mut b, "form.change button[type=submit]").await;
    expect_h1(&mut b, "Review your change").await;
    let text = page_text(&mut b).await;
    for needle in [
        "The change takes effect now.",
        "Credit for unused time on Team",
        "Remaining time on Business",
        "Tax (19%)",
        "Due today",
        "Next invoice on",
        // The credit, with a true minus sign.
        "\u{2212}€",
    ] {
        assert!(
            text.contains(needle),
            "the preview lacks {needle:?}: {text}"
        );
    }
    assert!(!text.contains("-€"), "{text}");
    assert_accessible(&mut b, &axe, "preview").await;
    b.screenshot("subscription-preview-1280").await;
    click(&mut b, "section.preview form button[type=submit]").await;
    expect_flash(&mut b, "Your subscription has been changed.").await;
    let heading = b.find("section.sub h2").await.expect("a subscription");
    assert!(b.element_text(&heading).await.starts_with("Business"));
    b.screenshot("subscription-changed-1280").await;
    b.quit().await;
}
