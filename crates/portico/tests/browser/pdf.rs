//! An invoice PDF downloaded with the browser's session cookie, read back with `pdftotext`.

use portico_core::Money;
use portico_core::model::{CustomerRef, InvoiceStatus, PortalPage};
use portico_core::page::PageRequest;
use portico_render::{Locale, format_money};
use portico_store::InvoiceFilter;
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{CUSTOMER, OTHER, Portal, browser_cookie, require_program};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_pdf_download() {
    let pdftotext = require_program("pdftotext", "poppler-utils");
    let portal = Portal::start().await;
    let list = |customer: &'static str| {
        let portal = &portal;
        async move {
            portal
                .store
                .list_invoices(
                    &portal.account.id,
                    InvoiceFilter {
                        customer: Some(CustomerRef::parse(customer)),
                        status: Some(InvoiceStatus::Paid),
                        ..InvoiceFilter::default()
                    },
                    PageRequest::first(5),
                )
                .await
                .unwrap()
                .data
        }
    };
    let invoice = list(CUSTOMER)
        .await
        .into_iter()
        .next()
        .expect("a paid invoice");
    let other = list(OTHER)
        .await
        .into_iter()
        .next()
        .expect("another customer's invoice");

    let mut b = Browser::start(BrowserOptions::default()).await;
    b.goto(&portal.link(CUSTOMER, PortalPage::Invoices, None).await)
        .await;
    let link = b
        .find(&format!("a[href='/portal/invoices/{}/pdf']", invoice.id))
        .await
        .expect("a PDF link in the invoice list");
    let label = b
        .execute(
            "return arguments[0].getAttribute('aria-label')",
            vec![serde_json::json!({"element-6066-11e4-a52e-4f735466cecf": link})],
        )
        .await;
    assert_eq!(
        label,
        format!("Download invoice {} as PDF", invoice.number).as_str()
    );

    // The browser's session cookie, presented by a plain HTTP client.
    let cookie = browser_cookie(&mut b).await;
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{}{path}", portal.base))
            .header("cookie", &cookie)
            .send()
    };

    let resp = get(format!("/portal/invoices/{}/pdf", invoice.id))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/pdf");
    assert_eq!(
        header("content-disposition"),
        format!("attachment; filename=\"invoice-{}.pdf\"", invoice.number)
    );
    let bytes = resp.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "a PDF file");

    // Kept beside the other samples, to look at.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/samples");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("demo-invoice-paid.pdf");
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new(pdftotext)
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(
        out.status.success(),
        "pdftotext failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = crate::support::normalize(&String::from_utf8_lossy(&out.stdout));
    let images = std::process::Command::new(require_program("pdfimages", "poppler-utils"))
        .arg("-list")
        .arg(&file)
        .output()
        .expect("run pdfimages");
    let images = String::from_utf8_lossy(&images.stdout);
    assert!(
        images.contains("image      72    72  rgb") && images.contains("smask      72    72"),
        "the demo logo is on the invoice:\n{images}"
    );
    let total = format_money(Money::new(invoice.total, invoice.currency), Locale::En);
    for needle in [
        invoice.number.as_str(),
        total.as_str(),
        "Acme Cloud",
        "Superdesk GmbH",
        // The demo's seller block and the customer's address in its country's form.
        "Acme Cloud GmbH",
        "Tax ID: DE987654321",
        "Amtsgericht Berlin-Charlottenburg, HRB 201234 B",
        "Rosenthaler Straße 40",
        "10178 Berlin",
    ] {
        assert!(text.contains(needle), "the PDF lacks {needle:?}:\n{text}");
    }

    // Another customer's invoice: the same 404 as a missing one, never its PDF.
    let resp = get(format!("/portal/invoices/{}/pdf", other.id))
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_ne!(
        resp.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    // Without a session there is no PDF either.
    let resp = client
        .get(format!(
            "{}/portal/invoices/{}/pdf",
            portal.base, invoice.id
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    b.quit().await;
}
