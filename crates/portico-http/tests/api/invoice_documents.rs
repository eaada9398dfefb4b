//! Invoices as tax documents over HTTP: the invoice settings and logo through the vendor API,
//! and the PDF a customer downloads, which keeps the billing details it was issued with.

use std::process::Command;

use serde_json::json;

use crate::support::{Cookie, Portal};

/// A 120 × 40 opaque PNG.
fn png() -> Vec<u8> {
    include_bytes!("logo.png").to_vec()
}

/// The PDF of `invoice` as the customer downloads it, and its text as pdftotext reads it.
async fn pdf_text(app: &Portal, cookie: &Cookie, invoice: &str, name: &str) -> (String, String) {
    let response = app
        .client
        .get(app.local(&format!("/portal/invoices/{invoice}/pdf")))
        .header("cookie", cookie.header())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let bytes = response.bytes().await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/samples");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    let run = |tool: &str, args: &[&str]| {
        let out = Command::new(tool)
            .args(args)
            .arg(&path)
            .args(if tool == "pdftotext" {
                &["-"][..]
            } else {
                &[][..]
            })
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run {tool} ({e}): apt-get install -y poppler-utils")
            });
        assert!(
            out.status.success(),
            "{tool}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    (
        run("pdftotext", &["-enc", "UTF-8"]).replace('\u{a0}', " "),
        run("pdfimages", &["-list"]),
    )
}

portico_testkit::backend_tests! {
    async fn invoice_settings_and_logo_go_through_the_api(app: Portal) {
        let k = &app.a.key;
        let empty = app.get(k, "/api/v1/invoice-settings").await;
        assert_eq!(empty.expect(200).json["legal_name"], serde_json::Value::Null);
        let set = app
            .patch(k, "/api/v1/invoice-settings", json!({
                "legal_name": " Acme Cloud GmbH ", "tax_id": "DE987654321",
                "address": {"line1": "Friedrichstraße 68", "city": "Berlin", "postal_code": "10117", "country": "de"},
                "registration": "Amtsgericht Berlin-Charlottenburg, HRB 123456 B",
                "payment_instructions": "IBAN DE89 3704 0044 0532 0130 00",
                "footer": "Geschäftsführer: Erika Mustermann",
            }))
            .await;
        set.expect(200);
        assert_eq!(set.json["legal_name"], "Acme Cloud GmbH");
        assert_eq!(set.json["address"]["country"], "DE");
        assert_eq!(app.get(k, "/api/v1/invoice-settings").await.json, set.json);
        app.patch(k, "/api/v1/invoice-settings", json!({"footer": "x".repeat(301)}))
            .await
            .expect_error(400, "BAD_REQUEST", "invoice.footer");
        app.patch(k, "/api/v1/invoice-settings", json!({"logo": null}))
            .await
            .expect(400);

        let put = |body: Vec<u8>, content_type: &'static str| {
            app.request(reqwest::Method::PUT, "/api/v1/invoice-settings/logo", k)
                .header("content-type", content_type)
                .body(body)
        };
        // Checked by its bytes: a PNG sent as "image/jpeg" is a PNG, an SVG sent as PNG is refused.
        let uploaded = app.send(put(png(), "image/jpeg")).await;
        uploaded.expect(200);
        assert_eq!(uploaded.json["logo"]["content_type"], "image/png");
        assert_eq!((uploaded.json["logo"]["width"].as_u64(), uploaded.json["logo"]["height"].as_u64()), (Some(120), Some(40)));
        assert_eq!(uploaded.json["legal_name"], "Acme Cloud GmbH", "the rest is kept");
        app.send(put(b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(), "image/png"))
            .await
            .expect_error(400, "BAD_REQUEST", "PNG or JPEG");
        let mut huge = png();
        huge.resize(600 * 1024, 0);
        app.send(put(huge, "image/png")).await.expect_error(400, "BAD_REQUEST", "512 KiB");
        let served = app.send(app.request(reqwest::Method::GET, "/api/v1/invoice-settings/logo", k)).await;
        served.expect(200);
        assert_eq!(served.header("content-type"), Some("image/png"));
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
        // Another account has none.
        app.send(app.request(reqwest::Method::GET, "/api/v1/invoice-settings/logo", &app.b.key)).await.expect(404);

        let removed = app.send(app.request(reqwest::Method::DELETE, "/api/v1/invoice-settings/logo", k)).await;
        assert_eq!(removed.expect(200).json["logo"], serde_json::Value::Null);
        app.send(app.request(reqwest::Method::GET, "/api/v1/invoice-settings/logo", k)).await.expect(404);
    }

    async fn an_issued_invoice_keeps_its_billing_details_and_the_next_one_shows_the_edit(app: Portal) {
        let k = &app.a.key;
        app.patch(k, "/api/v1/invoice-settings", json!({
            "legal_name": "Acme Cloud GmbH", "tax_id": "DE987654321",
            "payment_instructions": "IBAN DE89 3704 0044 0532 0130 00\r\nBIC COBADEFFXXX",
        }))
        .await
        .expect(200);
        app.send(
            app.request(reqwest::Method::PUT, "/api/v1/invoice-settings/logo", k)
                .header("content-type", "image/png")
                .body(png()),
        )
        .await
        .expect(200);
        let s = app.seed(k, "kept").await;
        let (_, token) = app.issue(k, &s.customer).await;
        let cookie = app.enter(&token).await;
        let (before, images) = pdf_text(&app, &cookie, &s.invoice, "http-invoice-issued.pdf").await;
        assert!(before.contains("kept GmbH") && before.contains("Acme Cloud GmbH"), "{before}");
        assert!(before.contains("IBAN DE89 3704 0044 0532 0130 00\nBIC COBADEFFXXX"), "{before}");
        assert_eq!(images.lines().count(), 3, "the logo is drawn:\n{images}");

        app.patch(k, &format!("/api/v1/customers/{}", s.customer), json!({
            "name": "Łódź Spółka z o.o.", "tax_id": "PL1234567890",
            "address": {"line1": "ul. Piotrkowska 104", "city": "Łódź", "postal_code": "90-926", "country": "PL"},
        }))
        .await
        .expect(200);
        app.patch(k, "/api/v1/invoice-settings", json!({"legal_name": "Acme Cloud SE"})).await.expect(200);

        let (after, _) = pdf_text(&app, &cookie, &s.invoice, "http-invoice-issued-after-edit.pdf").await;
        assert_eq!(after, before, "an issued invoice never changes");

        let next = app
            .post(k, "/api/v1/invoices", json!({
                "customer": s.customer, "lines": [{"description": "Pro", "quantity": 1, "unit_amount": 2900}],
                "tax_rate_bps": 2300,
            }))
            .await
            .expect(201)
            .id();
        let (text, _) = pdf_text(&app, &cookie, &next, "http-invoice-next.pdf").await;
        for expected in ["Łódź Spółka z o.o.", "ul. Piotrkowska 104", "90-926 Łódź", "Tax ID: PL1234567890", "Acme Cloud SE"] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("kept GmbH"), "{text}");
    }
}
