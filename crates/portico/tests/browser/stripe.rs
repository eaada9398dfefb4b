//! Stripe Elements in the browser, against localstripe's stand-in for Stripe.js: the demo's
//! past-due customer replaces the expired card through the card form Stripe.js mounts, then pays
//! the overdue invoice with it — with a card that pays at once, and with one whose bank asks for
//! a check, which the customer completes on the portal's payment-step page; at 1280 and 390 px,
//! with axe-core on each portal page. The pages that load Stripe.js name its origin in the CSP;
//! the same page of an account on the test provider does not, and with JavaScript off the card
//! form and the payment step say they need it.

use std::time::Duration;

use portico_app::payments::{self, ProviderSettings, stripe};
use portico_core::model::{CustomerRef, PortalPage};
use portico_core::page::PageRequest;
use portico_http::{Clock, SystemClock};
use portico_testkit::browser::{Browser, BrowserOptions};
use portico_testkit::localstripe::{LocalStripe, localstripe};

use crate::support::{Portal, assert_accessible, axe_source, click, expect_h1, page_text};

const PAST_DUE: &str = "globex";

/// The demo with its account on Stripe (localstripe).
async fn demo_on_stripe() -> Portal {
    let portal = Portal::start_with(Some(&localstripe().url)).await;
    let settings = ProviderSettings {
        provider: stripe::NAME.into(),
        secret: Some(LocalStripe::secret_key().into()),
        public_key: Some("pk_test_demo".into()),
        webhook_secret: Some("whsec_demo".to_owned().into()),
    };
    let by = portico_app::Caller::operator(portal.account.id.clone());
    payments::configure(&portal.state.app, &by, settings, SystemClock.now())
        .await
        .unwrap();
    portal
}

/// A card that pays at once, and one whose bank asks for a check (on setup and on payment).
const PAYS: &str = "4242424242424242";
const CHALLENGED: &str = "4000000000003220";

/// Completes the bank's check that localstripe's Stripe.js draws over the page (its first
/// button confirms, the second fails the check).
async fn complete_the_banks_check(b: &mut Browser) {
    let confirm = "body > div:last-child > button:first-of-type";
    b.wait_for(confirm, Duration::from_secs(10)).await;
    let label = b.find(confirm).await.unwrap();
    assert_eq!(b.element_text(&label).await, "Complete authentication");
    b.click(&label).await;
}

async fn replace_the_card_through_elements_and_pay(width: u32, height: u32, number: &str) {
    let challenged = number == CHALLENGED;
    let tag = if challenged {
        "stripe-challenge"
    } else {
        "stripe"
    };
    let portal = demo_on_stripe().await;
    let axe = axe_source();
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.set_window_size(width, height).await;
    b.goto(&portal.link(PAST_DUE, PortalPage::PaymentMethod, None).await)
        .await;
    expect_h1(&mut b, "Payment methods").await;
    click(
        &mut b,
        "form[action='/portal/payment-method/add'] input[name=replace] + button",
    )
    .await;
    // Stripe.js (here localstripe's stand-in) mounts its card inputs in the form.
    b.wait_for(
        "#card-element input[placeholder=number]",
        Duration::from_secs(10),
    )
    .await;
    expect_h1(&mut b, "Add a card").await;
    assert_accessible(&mut b, &axe, &format!("Stripe card form at {width} px")).await;
    b.screenshot(&format!("{tag}-card-form-{width}")).await;
    for (field, value) in [
        ("number", number),
        ("exp_month", "12"),
        ("exp_year", "30"),
        ("cvc", "123"),
        ("postal_code", "10115"),
    ] {
        let input = b
            .find(&format!("#card-element input[placeholder={field}]"))
            .await
            .expect(field);
        b.type_into(&input, value).await;
    }
    click(&mut b, "#stripe-card button[type=submit]").await;
    if challenged {
        complete_the_banks_check(&mut b).await;
    }
    b.wait_for("p.flash.good", Duration::from_secs(15)).await;
    let text = page_text(&mut b).await;
    assert!(text.contains("Your card has been added."), "{text}");
    let last4 = &number[12..];
    assert!(text.contains(&format!("Visa ending in {last4}")), "{text}");
    assert!(
        !text.contains("ending in 0005"),
        "the expired card was replaced: {text}"
    );
    assert!(!b.source().await.contains(number));
    assert_accessible(
        &mut b,
        &axe,
        &format!("card added through Stripe at {width} px"),
    )
    .await;
    b.screenshot(&format!("{tag}-card-added-{width}")).await;

    // The overdue invoice is paid with the new card, off-session at Stripe.
    b.goto(&format!("{}/portal", portal.base)).await;
    click(&mut b, "div.alert a[href$='#pay']").await;
    let pay = b
        .wait_for("section.pay button[type=submit]", Duration::from_secs(10))
        .await;
    b.click(&pay).await;
    if challenged {
        // The bank asks for its check: the portal's step page, where Stripe.js runs it.
        expect_h1(&mut b, "Confirm your payment").await;
        let url = b.current_url().await;
        assert!(
            url.contains(&format!("{}/pay_", stripe::ACTION_PATH)),
            "{url}"
        );
        assert!(!url.contains("secret"), "{url}");
        let step = b
            .wait_for("#stripe-step button[type=submit]", Duration::from_secs(10))
            .await;
        let text = page_text(&mut b).await;
        assert!(
            text.contains("Your bank asks you to confirm the payment of $"),
            "{text}"
        );
        assert_accessible(&mut b, &axe, &format!("payment step at {width} px")).await;
        b.screenshot(&format!("{tag}-payment-step-{width}")).await;
        b.click(&step).await;
        complete_the_banks_check(&mut b).await;
    }
    b.wait_for("p.flash.good", Duration::from_secs(15)).await;
    let text = page_text(&mut b).await;
    assert!(text.contains("Payment received. Thank you!"), "{text}");
    assert!(text.contains("Paid"), "the invoice says paid: {text}");
    assert!(
        b.find("section.pay").await.is_none(),
        "nothing is left to pay"
    );
    assert_accessible(
        &mut b,
        &axe,
        &format!("invoice paid through Stripe at {width} px"),
    )
    .await;
    b.screenshot(&format!("{tag}-paid-{width}")).await;
    assert_eq!(
        localstripe()
            .payment_intents_tagged(portal.account.id.as_str())
            .await,
        1
    );
    b.quit().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_elements_replace_the_expired_card_and_pay_at_1280_px() {
    replace_the_card_through_elements_and_pay(1280, 900, PAYS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_elements_replace_the_expired_card_and_pay_at_390_px() {
    replace_the_card_through_elements_and_pay(390, 844, PAYS).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_a_payment_the_bank_checks_goes_through_the_step_page_at_1280_px() {
    replace_the_card_through_elements_and_pay(1280, 900, CHALLENGED).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_a_payment_the_bank_checks_goes_through_the_step_page_at_390_px() {
    replace_the_card_through_elements_and_pay(390, 844, CHALLENGED).await;
}

/// Whether the element `css` names is laid out on the page (not hidden).
async fn shown(b: &mut Browser, css: &str) -> bool {
    let script = "return document.querySelector(arguments[0]).offsetParent !== null";
    let answer = b.execute(script, vec![css.into()]).await;
    answer.as_bool().expect("the element exists")
}

/// The card page's Content-Security-Policy, read by a plain HTTP client with the session.
async fn card_page_policy(portal: &Portal) -> (String, String) {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .unwrap();
    let page = client
        .get(portal.link(PAST_DUE, PortalPage::PaymentMethod, None).await)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::support::csrf_in(&page);
    let added = client
        .post(format!("{}/portal/payment-method/add", portal.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let policy = added
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (policy, added.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_stripe_accounts_card_page_may_load_stripe_js() {
    let on_stripe = demo_on_stripe().await;
    let (policy, page) = card_page_policy(&on_stripe).await;
    let origin = &localstripe().url;
    assert!(
        policy.contains(&format!("script-src 'self' {origin};")),
        "{policy}"
    );
    assert!(
        policy.contains(&format!("connect-src {origin};")),
        "{policy}"
    );
    assert!(page.contains(&format!("<script src=\"{origin}/js.stripe.com/v3/\">")));
    assert!(page.contains("The card form needs JavaScript."), "{page}");

    let on_test = Portal::start().await;
    let (policy, _) = card_page_policy(&on_test).await;
    assert!(policy.contains("script-src 'self';"), "{policy}");
    assert!(
        !policy.contains("127.0.0.1") && !policy.contains("stripe"),
        "{policy}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_stripe_card_form_says_it_needs_it() {
    let portal = demo_on_stripe().await;
    let mut b = Browser::start(BrowserOptions {
        javascript: false,
        ..Default::default()
    })
    .await;
    b.goto(&portal.link(PAST_DUE, PortalPage::PaymentMethod, None).await)
        .await;
    click(
        &mut b,
        "form[action='/portal/payment-method/add'] input[name=replace] + button",
    )
    .await;
    expect_h1(&mut b, "Add a card").await;
    let text = page_text(&mut b).await;
    assert!(text.contains("The card form needs JavaScript."), "{text}");
    assert!(!shown(&mut b, "#stripe-card button[type=submit]").await);
    b.screenshot("stripe-card-form-no-js").await;
    b.quit().await;
}

/// The past-due customer's expired card replaced, outside the browser, by `number` set up at
/// Stripe the way Stripe.js sets it up.
async fn replace_the_card_at_stripe(portal: &Portal, number: &str) {
    let app = &portal.state.app;
    let by = portico_app::Caller::operator(portal.account.id.clone());
    let customer = portal
        .store
        .customer(&portal.account.id, &CustomerRef::parse(PAST_DUE))
        .await
        .unwrap();
    let expired = portal
        .store
        .list_payment_methods(
            &portal.account.id,
            Some(&CustomerRef::Id(customer.id.clone())),
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .data
        .into_iter()
        .find(|pm| pm.is_default)
        .unwrap();
    let input = payments::SetupInput {
        customer: customer.id.clone(),
        return_url: format!("{}/portal/payment-method/added", portal.base),
    };
    let payments::SetupStart::Embedded {
        client_secret,
        public_key,
    } = payments::begin_setup(app, &by, input, SystemClock.now())
        .await
        .unwrap()
    else {
        panic!("Stripe's card form is embedded");
    };
    let seti = localstripe()
        .confirm_setup(&public_key, &client_secret, number)
        .await;
    let returned = [("setup_intent".to_owned(), seti)].into();
    payments::complete_setup(
        app,
        &by,
        &customer.id,
        &returned,
        Some(&expired.id),
        SystemClock.now(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_payment_step_says_it_needs_it() {
    let portal = demo_on_stripe().await;
    replace_the_card_at_stripe(&portal, CHALLENGED).await;
    let mut b = Browser::start(BrowserOptions {
        javascript: false,
        ..Default::default()
    })
    .await;
    b.goto(&portal.link(PAST_DUE, PortalPage::Overview, None).await)
        .await;
    click(&mut b, "div.alert a[href$='#pay']").await;
    click(&mut b, "section.pay button[type=submit]").await;
    expect_h1(&mut b, "Confirm your payment").await;
    let text = page_text(&mut b).await;
    assert!(
        text.contains("Confirming the payment with your bank needs JavaScript."),
        "{text}"
    );
    // Without Stripe.js the button would do nothing: it stays out of sight.
    assert!(!shown(&mut b, "#stripe-step button[type=submit]").await);
    b.screenshot("stripe-payment-step-no-js").await;
    // The invoice leads back to the step while the bank's check waits.
    click(&mut b, "p.crumb a").await;
    let text = page_text(&mut b).await;
    assert!(
        text.contains("Your bank asks you to confirm this payment."),
        "{text}"
    );
    assert!(
        b.find(&format!("p.flash a[href*='{}/pay_']", stripe::ACTION_PATH))
            .await
            .is_some()
    );
    b.quit().await;
    assert_eq!(
        localstripe()
            .payment_intents_tagged(portal.account.id.as_str())
            .await,
        1
    );
}
