//! Billing details edited in the portal reach the next invoice's PDF and leave the ones issued
//! before as they were: at 1280 px with JavaScript (the region follows the country select) and
//! at 390 px without it (the server shows the country's regions and asks for one). A tax ID of
//! the wrong shape is refused in the customer's language and changes nothing.

use std::time::Duration;

use portico_core::model::{CustomerRef, Invoice, InvoiceStatus, PortalPage};
use portico_core::page::PageRequest;
use portico_store::InvoiceFilter;
use portico_testkit::browser::{Browser, BrowserOptions};
use serde_json::json;

use crate::support::{
    CUSTOMER, Portal, assert_accessible, axe_source, browser_cookie, click, expect_h1, normalize,
    open_invoice, page_text, require_program, wait_until,
};

/// What the customer enters, in the words of the page's language.
struct Edit {
    locale: &'static str,
    heading: &'static str,
    name: &'static str,
    line1: &'static str,
    postal_code: &'static str,
    city: &'static str,
    /// The country as the select names it in `locale`, and its code.
    country: (&'static str, &'static str),
    /// The region as the select names it, and its code.
    region: (&'static str, &'static str),
    bad_tax_id: &'static str,
    tax_id_error: &'static str,
    tax_id: &'static str,
    recipients: &'static str,
    saved: &'static str,
    /// Texts the next invoice's PDF must show, and the old one must not.
    new_pdf: &'static [&'static str],
    /// Texts the invoice issued before must still show.
    old_pdf: &'static [&'static str],
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_details_reach_the_next_invoice_at_1280_with_javascript() {
    let edit = Edit {
        locale: "de",
        heading: "Rechnungsdaten",
        name: "Superdesk Inc.",
        line1: "100 Industrial Way",
        postal_code: "62701",
        city: "Springfield",
        country: ("Vereinigte Staaten", "US"),
        region: ("Illinois", "IL"),
        bad_tax_id: "12-34",
        tax_id_error: "Diese Steuernummer hat nicht das Format des oben gewählten Landes, zum Beispiel 12-3456789.",
        tax_id: "123456789",
        recipients: "buchhaltung@superdesk.example\nfinance@superdesk.example",
        saved: "Ihre Änderungen wurden gespeichert.",
        new_pdf: &[
            "Superdesk Inc.",
            "100 Industrial Way",
            "Springfield, IL 62701",
            "Vereinigte Staaten",
            "USt-IdNr.: 12-3456789",
        ],
        old_pdf: &[
            "Superdesk GmbH",
            "Rosenthaler Straße 40",
            "10178 Berlin",
            "Deutschland",
            "USt-IdNr.: DE123456789",
        ],
    };
    run(&edit, BrowserOptions::default(), "1280").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_details_reach_the_next_invoice_at_390_without_javascript() {
    let edit = Edit {
        locale: "fr",
        heading: "Informations de facturation",
        name: "Superdesk Pty Ltd",
        line1: "1 Macquarie Street",
        postal_code: "2000",
        city: "Sydney",
        country: ("Australie", "AU"),
        region: ("New South Wales", "NSW"),
        bad_tax_id: "51 824 753 557",
        tax_id_error: "Ce numéro fiscal n’a pas le format du pays indiqué ci-dessus, par exemple 51 824 753 556.",
        tax_id: "51824753556",
        recipients: "comptabilite@superdesk.example",
        saved: "Vos modifications ont été enregistrées.",
        new_pdf: &[
            "Superdesk Pty Ltd",
            "1 Macquarie Street",
            "Sydney NSW 2000",
            "Australie",
            "N° de TVA : 51 824 753 556",
        ],
        old_pdf: &[
            "Superdesk GmbH",
            "Rosenthaler Straße 40",
            "10178 Berlin",
            "Allemagne",
            "N° de TVA : DE123456789",
        ],
    };
    let options = BrowserOptions {
        width: 390,
        height: 844,
        javascript: false,
    };
    run(&edit, options, "390").await;
}

async fn run(edit: &Edit, options: BrowserOptions, width: &str) {
    let pdftotext = require_program("pdftotext", "poppler-utils");
    let javascript = options.javascript;
    let axe = javascript.then(axe_source);
    let portal = Portal::start().await;
    let before = paid_invoice(&portal).await;
    let customer_before = customer(&portal).await;

    let mut b = Browser::start(options.clone()).await;
    // Chromium opens no narrower than 500 px; the phone's width is set after the start.
    b.set_window_size(options.width, options.height).await;
    b.goto(
        &portal
            .link(CUSTOMER, PortalPage::Account, Some(edit.locale))
            .await,
    )
    .await;
    expect_h1(&mut b, edit.heading).await;

    fill(&mut b, "#f-name", edit.name).await;
    fill(&mut b, "#f-line1", edit.line1).await;
    fill(&mut b, "#f-postal_code", edit.postal_code).await;
    fill(&mut b, "#f-city", edit.city).await;
    choose(&mut b, "#f-country", edit.country).await;
    let region = format!("#f-state-{}", edit.country.1);
    if javascript {
        // The region list of the chosen country appears at once.
        wait_until(
            &mut b,
            &format!("const s = document.querySelector('{region}'); return s && !s.disabled && s.offsetParent !== null;"),
            Duration::from_secs(5),
            "the region select",
        )
        .await;
    } else {
        // Without the script the server asks for the region, in the customer's language, and
        // shows the country's list.
        submit(&mut b).await;
        let text = page_text(&mut b).await;
        assert!(
            text.contains(region_error(edit.locale)),
            "the form asks for the region: {text}"
        );
        b.screenshot(&format!("billing-details-region-{width}"))
            .await;
        assert_eq!(customer(&portal).await, customer_before, "nothing changed");
    }
    choose(&mut b, &region, edit.region).await;
    fill(&mut b, "#f-invoice_recipients", edit.recipients).await;

    // A tax ID of the wrong shape: the error in the customer's language, nothing changed.
    fill(&mut b, "#f-tax_id", edit.bad_tax_id).await;
    submit(&mut b).await;
    let text = page_text(&mut b).await;
    assert!(text.contains(&normalize(edit.tax_id_error)), "{text}");
    let invalid = b.find("#f-tax_id[aria-invalid=true]").await;
    assert!(invalid.is_some(), "the tax ID field is marked");
    let name = format!("billing-details-tax-id-error-{width}");
    screenshot(&mut b, &name, "#f-tax_id", &options).await;
    if let Some(axe) = &axe {
        assert_accessible(&mut b, axe, "billing details with an error").await;
    }
    assert_eq!(customer(&portal).await, customer_before, "nothing changed");

    // The customer's input stayed; with the right tax ID it is saved.
    fill(&mut b, "#f-tax_id", edit.tax_id).await;
    submit(&mut b).await;
    let text = page_text(&mut b).await;
    assert!(text.contains(&normalize(edit.saved)), "{text}");
    b.screenshot(&format!("billing-details-saved-{width}"))
        .await;
    if let Some(axe) = &axe {
        assert_accessible(&mut b, axe, "billing details saved").await;
    }
    let saved = customer(&portal).await;
    assert_eq!(saved["name"], edit.name);
    assert_eq!(saved["address"]["country"], edit.country.1);
    assert_eq!(saved["address"]["state"], edit.region.1);
    let recipients: Vec<&str> = edit.recipients.lines().collect();
    assert_eq!(saved["invoice_recipients"], json!(recipients));

    // An invoice issued now shows the new details; the one issued before keeps the old ones.
    let after = open_invoice(&portal, "Team plan", 4900).await;
    let kept = portal
        .store
        .issued_parties(&portal.account.id, &after.id)
        .await
        .unwrap()
        .expect("the new invoice keeps its parties");
    assert_eq!(kept.customer_invoice_recipients, recipients);
    let cookie = browser_cookie(&mut b).await;
    let new_pdf = pdf_text(&portal, &cookie, &after, &pdftotext, width).await;
    let old_pdf = pdf_text(&portal, &cookie, &before, &pdftotext, width).await;
    for needle in edit.new_pdf {
        assert!(
            new_pdf.contains(needle),
            "the new invoice lacks {needle:?}:\n{new_pdf}"
        );
        assert!(
            !old_pdf.contains(needle),
            "the old invoice shows {needle:?}:\n{old_pdf}"
        );
    }
    for needle in edit.old_pdf {
        assert!(
            old_pdf.contains(needle),
            "the old invoice lacks {needle:?}:\n{old_pdf}"
        );
    }
    b.quit().await;
}

fn region_error(locale: &str) -> &'static str {
    match locale {
        "fr" => "Choisissez dans la liste l’État, la province ou le territoire de cette adresse.",
        _ => "Choose the state, province or territory of this address from the list.",
    }
}

/// Keeps a screenshot `name` that shows the field `css`: scrolled to it where the page runs
/// scripts, else of a window tall enough for the whole form.
async fn screenshot(b: &mut Browser, name: &str, css: &str, options: &BrowserOptions) {
    if options.javascript {
        b.execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'});",
            vec![json!(css)],
        )
        .await;
        b.screenshot(name).await;
    } else {
        b.set_window_size(options.width, 2000).await;
        wait_until(
            b,
            "return window.innerHeight > 1000;",
            Duration::from_secs(5),
            "a tall window",
        )
        .await;
        b.screenshot(name).await;
        b.set_window_size(options.width, options.height).await;
    }
}

/// Replaces the text of the field `css` by typing `text` into it.
async fn fill(b: &mut Browser, css: &str, text: &str) {
    b.execute(
        "document.querySelector(arguments[0]).value = '';",
        vec![json!(css)],
    )
    .await;
    let Some(field) = b.find(css).await else {
        panic!("no {css}: {}", page_text(b).await);
    };
    b.type_into(&field, text).await;
}

/// Picks the option the select `css` names `name`, by clicking it as a user would, and checks
/// that its value is `code`.
async fn choose(b: &mut Browser, css: &str, (name, code): (&str, &str)) {
    let value = b
        .execute(
            "const o = Array.from(document.querySelectorAll(arguments[0] + ' option')).find(o => o.text === arguments[1]);\
             return o ? o.value : null;",
            vec![json!(css), json!(name)],
        )
        .await;
    assert_eq!(value, code, "{css} offers {name} as {code}");
    click(b, &format!("{css} option[value='{code}']")).await;
    let chosen = b
        .execute(
            "return document.querySelector(arguments[0]).value;",
            vec![json!(css)],
        )
        .await;
    assert_eq!(chosen, code, "{name} is chosen in {css}");
}

/// Sends the form and waits for the page it leads to (which says how it went).
async fn submit(b: &mut Browser) {
    b.execute("document.body.setAttribute('data-old', '1');", vec![])
        .await;
    click(b, "form.details button[type=submit]").await;
    wait_until(
        b,
        "return !document.body.hasAttribute('data-old') && document.querySelector('.flash');",
        Duration::from_secs(10),
        "the page after saving",
    )
    .await;
}

/// The customer as the vendor API shows it.
async fn customer(portal: &Portal) -> serde_json::Value {
    let c = portal
        .store
        .customer(&portal.account.id, &CustomerRef::parse(CUSTOMER))
        .await
        .unwrap();
    serde_json::to_value(c).unwrap()
}

/// One of the customer's invoices issued (and paid) before the edit.
async fn paid_invoice(portal: &Portal) -> Invoice {
    let filter = InvoiceFilter {
        customer: Some(CustomerRef::parse(CUSTOMER)),
        status: Some(InvoiceStatus::Paid),
        ..InvoiceFilter::default()
    };
    portal
        .store
        .list_invoices(&portal.account.id, filter, PageRequest::first(1))
        .await
        .unwrap()
        .data
        .into_iter()
        .next()
        .expect("a paid invoice")
}

/// Downloads the invoice's PDF with the browser's session, keeps it beside the other samples
/// and reads it back with pdftotext.
async fn pdf_text(
    portal: &Portal,
    cookie: &str,
    invoice: &Invoice,
    pdftotext: &std::path::Path,
    width: &str,
) -> String {
    let resp = reqwest::Client::new()
        .get(format!(
            "{}/portal/invoices/{}/pdf",
            portal.base, invoice.id
        ))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/samples");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!(
        "billing-details-{width}-{}.pdf",
        invoice.number.replace('/', "-")
    ));
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new(pdftotext)
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(out.status.success(), "pdftotext failed");
    normalize(&String::from_utf8_lossy(&out.stdout))
}
