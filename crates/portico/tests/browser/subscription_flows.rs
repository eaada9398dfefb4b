//! Single-task links and read-only contacts in the browser. Each kind of flow link opens on its
//! task, refuses any other page with a way back, and ends as the vendor asked (a confirmation
//! page with its message, or back to the return URL); a viewer contact sees no form but logging
//! out, and its POSTs to every subscription action are refused with nothing changed. An update
//! whose charge needs the bank's challenge ends the task when it passes and returns to the task
//! when it fails. With JavaScript on at 1280 px (axe-core) and off at 390 px (44 px targets).

use portico_app::access::{Target, issue_flow};
use std::time::Duration;

use portico_core::model::{
    AfterCompletion, ContactRef, CustomerRef, FlowType, NewPortalSession, PortalFlow, PortalPage,
    Subscription,
};
use portico_core::{PageRequest, PlanId};
use serde_json::json;

use crate::subscriptions::{Walk, add_default_card, subscription};
use crate::support::{CUSTOMER, Portal, csrf_in, expect_h1, page_text};

const RETURN_URL: &str = "https://app.acme.example/settings/billing";

// Generous: the suite runs beside other browsers and servers on a busy machine.
const WAIT: Duration = Duration::from_secs(30);

/// A link to the demo customer's portal, for `contact` when given, locked to `flow` when given.
async fn link(portal: &Portal, contact: Option<&str>, flow: Option<PortalFlow>) -> String {
    let request = NewPortalSession {
        customer: CUSTOMER.to_owned(),
        contact: contact.map(str::to_owned),
        // A flow starts on its task.
        page: flow.is_none().then_some(PortalPage::Subscriptions),
        return_url: Some(RETURN_URL.to_owned()),
        ..NewPortalSession::default()
    }
    .validate()
    .unwrap();
    let by = portico_app::Caller::operator(portal.account.id.clone());
    let customer = CustomerRef::parse(CUSTOMER);
    let target = match contact {
        Some(c) => Target::CustomerContact(customer, ContactRef::parse(c)),
        None => Target::Customer(customer),
    };
    let now = portal.state.app.clock.now();
    issue_flow(&portal.state.app, &by, &target, request, flow, now)
        .await
        .unwrap_or_else(|e| panic!("cannot issue a portal link: {e}"))
        .url(&portal.state.app)
}

/// Another page of the portal is refused with a way back to the task, which leads there.
async fn only_the_task(w: &mut Walk, portal: &Portal, kind: &str, task_heading: &str) {
    w.b.goto(&format!("{}/portal/invoices", portal.base)).await;
    expect_h1(&mut w.b, "This link is for one task").await;
    w.look(&format!("{kind}-elsewhere")).await;
    w.click("section.notice a.button").await;
    expect_h1(&mut w.b, task_heading).await;
}

/// The confirmation page that ends a task, with the vendor's message.
async fn done(w: &mut Walk, kind: &str, message: &str) {
    expect_h1(&mut w.b, "All done").await;
    let text = page_text(&mut w.b).await;
    assert!(text.contains(message), "{kind}: {text}");
    assert!(text.contains("Back to Acme Cloud"), "{kind}: {text}");
    w.look(&format!("{kind}-done")).await;
}

/// Waits for the browser to be at the vendor's return URL. The vendor's page is not served
/// here: the browser's address says where it went.
async fn at_vendor(w: &mut Walk) {
    let deadline = std::time::Instant::now() + WAIT;
    while !w.b.current_url().await.starts_with(RETURN_URL) {
        assert!(
            std::time::Instant::now() < deadline,
            "not back at the vendor: {}",
            w.b.current_url().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn flows(width: u32, height: u32, javascript: bool) {
    let portal = Portal::start().await;
    let sub = subscription(&portal).await;
    let flow = |kind, after_completion| PortalFlow {
        kind,
        subscription: matches!(
            kind,
            FlowType::SubscriptionCancel | FlowType::SubscriptionUpdate
        )
        .then(|| sub.id.clone()),
        plan: None,
        quantity: None,
        after_completion,
    };
    let confirm = |message: &str| AfterCompletion::Confirmation {
        message: Some(message.to_owned()),
    };
    let mut w = Walk::start("flow", width, height, javascript).await;

    // Cancel, ending on a confirmation with the vendor's message.
    let cancel = flow(
        FlowType::SubscriptionCancel,
        confirm("Sorry to see you go."),
    );
    w.b.goto(&link(&portal, None, Some(cancel)).await).await;
    expect_h1(&mut w.b, "Cancel subscription").await;
    w.look("cancel").await;
    assert!(
        w.b.find("nav.tabs").await.is_none(),
        "a task has no tabs to leave it by"
    );
    only_the_task(&mut w, &portal, "cancel", "Cancel subscription").await;
    w.click("form.cancel button[type=submit]").await;
    done(&mut w, "cancel", "Sorry to see you go.").await;
    assert!(subscription(&portal).await.cancel_at_period_end);

    // An update naming the quantity opens on its preview and goes back to the vendor.
    let mut update = flow(FlowType::SubscriptionUpdate, AfterCompletion::Redirect);
    update.quantity = Some(6);
    w.b.goto(&link(&portal, None, Some(update)).await).await;
    expect_h1(&mut w.b, "Review your change").await;
    w.look("update").await;
    only_the_task(&mut w, &portal, "update", "Review your change").await;
    w.click("section.preview form button[type=submit]").await;
    at_vendor(&mut w).await;
    assert_eq!(subscription(&portal).await.quantity, 6);

    // Billing details, ending on the default confirmation.
    let details = flow(FlowType::BillingDetailsUpdate, AfterCompletion::default());
    w.b.goto(&link(&portal, None, Some(details)).await).await;
    expect_h1(&mut w.b, "Billing details").await;
    w.look("details").await;
    only_the_task(&mut w, &portal, "details", "Billing details").await;
    w.set("#f-name", "Superdesk Berlin GmbH").await;
    w.click("main form button[type=submit]").await;
    done(&mut w, "details", "Your change has been saved.").await;

    // Payment methods: the page of the task and nothing else.
    let cards = flow(FlowType::PaymentMethodUpdate, AfterCompletion::default());
    w.b.goto(&link(&portal, None, Some(cards)).await).await;
    expect_h1(&mut w.b, "Payment methods").await;
    w.look("payment-methods").await;
    only_the_task(&mut w, &portal, "payment-methods", "Payment methods").await;
    w.b.quit().await;
}

/// The demo's Business plan in the currency of the subscription's plan.
async fn business(portal: &Portal, sub: &Subscription) -> PlanId {
    let current = portal
        .store
        .plan(&portal.account.id, &sub.plan)
        .await
        .unwrap();
    let plans = portal
        .store
        .list_plans(&portal.account.id, None, PageRequest::first(100))
        .await
        .unwrap();
    plans
        .data
        .into_iter()
        .find(|p| p.name == "Business" && p.currency == current.currency)
        .expect("the demo's Business plan")
        .id
}

/// Confirms the preview the update link opened on; the bank's challenge follows.
async fn confirm_to_the_challenge(w: &mut Walk, portal: &Portal, update: &PortalFlow) {
    w.b.goto(&link(portal, None, Some(update.clone())).await)
        .await;
    expect_h1(&mut w.b, "Review your change").await;
    w.click("section.preview form button[type=submit]").await;
    w.b.wait_for("form[action^='/test-provider/challenge/']", WAIT)
        .await;
}

/// An upgrade through an update link whose charge needs the bank's challenge: failed, the
/// customer is back on the task with the reason and leaves by its Cancel link for the vendor;
/// passed, the change is made and the task ends on its confirmation page.
async fn challenged(width: u32, height: u32, javascript: bool) {
    let portal = Portal::start().await;
    let before = subscription(&portal).await;
    let to = business(&portal, &before).await;
    let mut w = Walk::start("flow-challenge", width, height, javascript).await;
    w.b.goto(&portal.link(CUSTOMER, PortalPage::Subscriptions, None).await)
        .await;
    expect_h1(&mut w.b, "Subscriptions").await;
    add_default_card(&mut w, "4000 0000 0000 3220", "3220").await;
    let update = PortalFlow {
        kind: FlowType::SubscriptionUpdate,
        subscription: Some(before.id.clone()),
        plan: Some(to.clone()),
        quantity: None,
        after_completion: AfterCompletion::Confirmation {
            message: Some("Welcome to Business.".to_owned()),
        },
    };

    confirm_to_the_challenge(&mut w, &portal, &update).await;
    w.b.screenshot(&format!("flow-challenge-bank-{width}"))
        .await;
    w.click("button[value=decline]").await;
    expect_h1(&mut w.b, "Change plan").await;
    w.expect_flash("bad", "The payment was not confirmed with your bank.")
        .await;
    w.look("declined").await;
    let s = subscription(&portal).await;
    assert_eq!((&s.plan, &s.scheduled_change), (&before.plan, &None));
    w.click("form.change a.button.secondary").await;
    at_vendor(&mut w).await;

    confirm_to_the_challenge(&mut w, &portal, &update).await;
    w.click("button[value=approve]").await;
    done(&mut w, "passed", "Welcome to Business.").await;
    assert_eq!(subscription(&portal).await.plan, to);
    w.b.quit().await;
}

async fn viewer(width: u32, height: u32, javascript: bool) {
    let portal = Portal::start().await;
    let before = subscription(&portal).await;
    let mut w = Walk::start("viewer", width, height, javascript).await;
    w.b.goto(&link(&portal, Some("user-lea"), None).await).await;
    expect_h1(&mut w.b, "Subscriptions").await;
    for (path, heading) in [
        ("/portal/subscriptions", "Subscriptions"),
        ("/portal/payment-method", "Payment methods"),
        ("/portal/account", "Billing details"),
        ("/portal", "Welcome, Superdesk GmbH"),
    ] {
        w.b.goto(&format!("{}{path}", portal.base)).await;
        expect_h1(&mut w.b, heading).await;
        let forms = w
            .b
            .execute(
                "return [...document.querySelectorAll('form[method=post]')].map(f => f.getAttribute('action'));",
                vec![],
            )
            .await;
        assert_eq!(forms, json!(["/portal/logout"]), "{path}: only logging out");
        w.look(&format!("page{}", path.replace('/', "-"))).await;
    }

    // Its session may not change anything, however the form is made.
    let cookie =
        w.b.cookies()
            .await
            .into_iter()
            .find(|c| c["httpOnly"] == json!(true))
            .expect("the session cookie");
    let cookie = format!(
        "{}={}",
        cookie["name"].as_str().unwrap(),
        cookie["value"].as_str().unwrap()
    );
    let csrf = csrf_in(&w.b.source().await);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for action in [
        "cancel",
        "change",
        "pause",
        "unpause",
        "resume",
        "reactivate",
        "withdraw-change",
    ] {
        let url = format!(
            "{}/portal/subscriptions/{}/{action}",
            portal.base, before.id
        );
        let form = [
            ("csrf", csrf.as_str()),
            ("mode", "at_period_end"),
            ("plan", before.plan.as_str()),
            ("quantity", "9"),
            ("periods", "1"),
        ];
        let r = client
            .post(&url)
            .header("cookie", &cookie)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{action}");
    }
    assert_eq!(subscription(&portal).await, before, "nothing changed");
    w.b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flow_link_with_javascript_at_1280_px() {
    flows(1280, 900, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_flow_link_without_javascript_at_390_px() {
    flows(390, 844, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_link_through_the_banks_challenge_with_javascript_at_1280_px() {
    challenged(1280, 900, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_link_through_the_banks_challenge_without_javascript_at_390_px() {
    challenged(390, 844, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_forms_and_changes_nothing_with_javascript_at_1280_px() {
    viewer(1280, 900, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_sees_no_forms_and_changes_nothing_without_javascript_at_390_px() {
    viewer(390, 844, false).await;
}
