//! Every portal page, entered through its own portal link, at desktop and phone widths: the
//! content that matters, a screenshot, an accessibility check, and the page weight.

use portico_core::model::{CustomerRef, Invoice, InvoiceStatus, PortalPage};
use portico_core::page::PageRequest;
use portico_store::InvoiceFilter;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{
    CUSTOMER, OTHER, Portal, assert_accessible, axe_source, h1, page_text, texts,
};

async fn invoices_of(portal: &Portal, customer: &str) -> Vec<Invoice> {
    portal
        .store
        .list_invoices(
            &portal.account.id,
            InvoiceFilter {
                customer: Some(CustomerRef::parse(customer)),
                ..InvoiceFilter::default()
            },
            PageRequest::first(100),
        )
        .await
        .unwrap()
        .data
        .into_iter()
        .filter(|i| i.status != InvoiceStatus::Draft)
        .collect()
}

fn slug(page: PortalPage) -> &'static str {
    match page {
        PortalPage::Overview => "overview",
        PortalPage::Subscriptions => "subscriptions",
        PortalPage::Transactions => "transactions",
        PortalPage::Invoices => "invoices",
        PortalPage::PaymentMethod => "payment-method",
        PortalPage::Account => "account",
    }
}

/// What each page must show for the demo customer (English).
async fn check_content(b: &mut Browser, page: PortalPage, mine: &[Invoice], theirs: &[Invoice]) {
    let heading = h1(b).await;
    let text = page_text(b).await;
    match page {
        PortalPage::Overview => {
            assert_eq!(heading, "Welcome, Superdesk GmbH");
            for needle in [
                "Current plan",
                "Team",
                "€245.00 per month",
                "Next invoice",
                "Default payment method",
                "Visa ending in 4242",
                "Open balance",
            ] {
                assert!(text.contains(needle), "overview lacks {needle:?}:\n{text}");
            }
        }
        PortalPage::Subscriptions => {
            assert_eq!(heading, "Subscriptions");
            for needle in [
                "Team",
                "Active",
                "€245.00 per month",
                "5 × €49.00",
                "Renews on",
            ] {
                assert!(
                    text.contains(needle),
                    "subscriptions lack {needle:?}:\n{text}"
                );
            }
        }
        PortalPage::Transactions => {
            assert_eq!(heading, "Transactions");
            for needle in [
                "Goodwill credit for the March outage",
                "Refund",
                "Succeeded",
            ] {
                assert!(
                    text.contains(needle),
                    "transactions lack {needle:?}:\n{text}"
                );
            }
            assert!(texts(b, "tbody tr").await.len() <= 10);
        }
        PortalPage::Invoices => {
            assert_eq!(heading, "Invoices");
            let numbers = texts(b, "tbody th a").await;
            let expected: Vec<String> = mine.iter().take(10).map(|i| i.number.clone()).collect();
            assert_eq!(
                numbers, expected,
                "the newest ten invoices of this customer"
            );
            for other in theirs {
                assert!(
                    !text.contains(&other.number),
                    "another customer's invoice {} shows",
                    other.number
                );
            }
            assert!(text.contains("Paid"), "status badges: {text}");
            assert!(text.contains("Older"), "pagination: {text}");
        }
        PortalPage::PaymentMethod => {
            assert_eq!(heading, "Payment methods");
            for needle in [
                "Visa ending in 4242",
                "Mastercard ending in 5454",
                "Expires 08/28",
                "Default",
            ] {
                assert!(
                    text.contains(needle),
                    "payment methods lack {needle:?}:\n{text}"
                );
            }
        }
        PortalPage::Account => {
            assert_eq!(heading, "Billing details");
            // An owner's full session edits the details in a form that holds today's values.
            let fields = b
                .execute(
                    "return Array.from(document.querySelectorAll('form.details input:not([type=hidden])'))\
                     .map(i => [document.querySelector('label[for=' + i.id + ']').innerText, i.value])",
                    vec![],
                )
                .await;
            assert_eq!(
                fields,
                serde_json::json!([
                    ["Name", "Superdesk GmbH"],
                    ["Email", "billing@superdesk.example"],
                    ["Address line 1", "Rosenthaler Straße 40"],
                    ["Address line 2", ""],
                    ["Postal code", "10178"],
                    ["City", "Berlin"],
                    ["State or region", ""],
                    ["Tax ID", "DE123456789"],
                ])
            );
            // The country is chosen by its name; its code is only the value sent.
            let country = b
                .execute(
                    "const s = document.querySelector('#f-country'); return [s.value, s.selectedOptions[0].text];",
                    vec![],
                )
                .await;
            assert_eq!(country, serde_json::json!(["DE", "Germany"]));
            assert!(text.contains("Save"), "no Save button:\n{text}");
        }
    }
    // Chrome on every page: navigation, the way back, logout, support contact.
    for needle in ["Back to Acme Cloud", "Log out", "support@acme.example"] {
        assert!(text.contains(needle), "{page:?} lacks {needle:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_at_desktop_and_phone_width() {
    let axe = axe_source();
    let portal = Portal::start().await;
    let mine = invoices_of(&portal, crate::support::CUSTOMER).await;
    let theirs = invoices_of(&portal, OTHER).await;
    assert!(
        mine.len() > 10 && !theirs.is_empty(),
        "demo data changed: {} and {} invoices",
        mine.len(),
        theirs.len()
    );
    let mut b = Browser::start(BrowserOptions::default()).await;
    for width in [1280u32, 390] {
        b.set_window_size(width, 900).await;
        for page in PortalPage::ALL {
            let link = portal.link(CUSTOMER, *page, None).await;
            b.goto(&link).await;
            assert_eq!(
                b.current_url().await,
                format!("{}{}", portal.base, page.path()),
                "the token is exchanged and the browser lands on the page without it"
            );
            check_content(&mut b, *page, &mine, &theirs).await;
            let source = b.source().await;
            assert!(
                source.len() < 50_000,
                "{page:?} weighs {} bytes",
                source.len()
            );
            b.screenshot(&format!("{}-{width}", slug(*page))).await;
            assert_accessible(&mut b, &axe, &format!("{page:?} at {width} px")).await;
        }

        // The second page of invoices, then one invoice.
        b.goto(&format!("{}/portal/invoices", portal.base)).await;
        let older = b.find("a[rel=next]").await.expect("an Older link");
        b.click(&older).await;
        b.wait_for("a[rel=prev]", std::time::Duration::from_secs(10))
            .await;
        let numbers = texts(&mut b, "tbody th a").await;
        let expected: Vec<String> = mine
            .iter()
            .skip(10)
            .take(10)
            .map(|i| i.number.clone())
            .collect();
        assert_eq!(numbers, expected, "the second page of invoices");
        assert!(b.find("a[rel=prev]").await.is_some(), "a Newer link");
        b.screenshot(&format!("invoices-page2-{width}")).await;

        let first = &mine[0];
        b.goto(&format!("{}/portal/invoices/{}", portal.base, first.id))
            .await;
        assert_eq!(h1(&mut b).await, format!("Invoice {}", first.number));
        let text = page_text(&mut b).await;
        let total = portico_render::format_money(
            portico_core::Money::new(first.total, first.currency),
            portico_render::Locale::En,
        );
        assert!(
            text.contains(&total),
            "invoice detail lacks the total {total}:\n{text}"
        );
        for needle in [
            "Bill to",
            "Superdesk GmbH",
            "Team × 5",
            "Subtotal",
            "Tax (19%)",
            "Download PDF",
        ] {
            assert!(
                text.contains(needle),
                "invoice detail lacks {needle:?}:\n{text}"
            );
        }
        b.screenshot(&format!("invoice-{width}")).await;
        assert_accessible(&mut b, &axe, &format!("invoice detail at {width} px")).await;
    }

    // Another customer's invoice is a 404 page, like an invoice that does not exist.
    for path in [
        format!("/portal/invoices/{}", theirs[0].id),
        format!("/portal/invoices/{}/pdf", theirs[0].id),
        "/portal/invoices/inv_doesnotexist".to_owned(),
    ] {
        b.goto(&format!("{}{path}", portal.base)).await;
        assert_eq!(h1(&mut b).await, "Page not found", "{path}");
        assert!(!page_text(&mut b).await.contains(&theirs[0].number));
    }
    b.screenshot("not-found-1280").await;
    b.quit().await;
}

/// A page whose feature switch is off disappears from the navigation and answers 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn switched_off_pages_are_hidden() {
    let mut portal = Portal::start().await;
    portal
        .update_settings(|s| {
            s.features.transactions = false;
            s.features.payment_methods = false;
        })
        .await;
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(&portal.link(CUSTOMER, PortalPage::Overview, None).await)
        .await;
    let nav = texts(&mut b, "nav.tabs a").await;
    assert_eq!(
        nav,
        ["Overview", "Subscriptions", "Invoices", "Billing details"]
    );
    let text = page_text(&mut b).await;
    assert!(!text.contains("Default payment method"), "{text}");
    for path in ["/portal/transactions", "/portal/payment-method"] {
        b.goto(&format!("{}{path}", portal.base)).await;
        assert_eq!(h1(&mut b).await, "Page not found", "{path}");
    }

    // A session that asked only for subscriptions sees nothing else, invoices included.
    let link = portal
        .link_with_scopes(
            CUSTOMER,
            PortalPage::Subscriptions,
            None,
            Some(&["subscriptions:read"]),
        )
        .await;
    b.goto(&link).await;
    assert_eq!(h1(&mut b).await, "Subscriptions");
    assert_eq!(
        texts(&mut b, "nav.tabs a").await,
        ["Overview", "Subscriptions"]
    );
    let invoice = invoices_of(&portal, CUSTOMER).await.remove(0);
    for path in [
        "/portal/invoices".to_owned(),
        format!("/portal/invoices/{}", invoice.id),
        format!("/portal/invoices/{}/pdf", invoice.id),
        "/portal/account".to_owned(),
    ] {
        b.goto(&format!("{}{path}", portal.base)).await;
        assert_eq!(h1(&mut b).await, "Page not found", "{path}");
    }
    b.goto(&format!("{}/portal", portal.base)).await;
    let text = page_text(&mut b).await;
    assert!(!text.contains("Open balance"), "{text}");
    b.quit().await;
}

/// The vendor's logo, and a light brand colour: its fills get dark text, its links a darker
/// shade, and the page still passes the contrast checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn branding_keeps_contrast() {
    let axe = axe_source();
    let mut portal = Portal::start().await;
    // Never loads (no network in tests); the alt text stands in, as it would for a reader.
    let logo = "https://logo.invalid/sunny.svg";
    portal
        .update_settings(|s| {
            s.branding.logo_url = Some(logo.to_owned());
            s.branding.primary_color = Some("#FFD400".to_owned());
            s.branding.display_name = Some("Sunny Apps".to_owned());
        })
        .await;
    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(&portal.link(CUSTOMER, PortalPage::Invoices, None).await)
        .await;
    let alt = b
        .execute("return document.querySelector('.brand img').alt", vec![])
        .await;
    assert_eq!(alt, "Sunny Apps logo");
    let colors = b
        .execute(
            "const s = getComputedStyle(document.documentElement);\
             return [s.getPropertyValue('--brand').trim(), s.getPropertyValue('--on-brand').trim(),\
                     getComputedStyle(document.querySelector('tbody th a')).color];",
            vec![],
        )
        .await;
    assert_eq!(colors[0], "#ffd400");
    assert_eq!(colors[1], "#111827", "dark text on a yellow fill");
    assert_ne!(
        colors[2], "rgb(255, 212, 0)",
        "links are darkened to stay readable"
    );
    assert!(page_text(&mut b).await.contains("Back to Sunny Apps"));
    b.screenshot("branding-1280").await;
    assert_accessible(&mut b, &axe, "a yellow-branded page").await;
    b.quit().await;
}
