//! Invoice PDFs read back by Poppler (`pdftotext`, `pdfinfo`), as a customer's viewer would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use portico_core::model::{
    Address, Customer, Invoice, InvoiceLine, InvoiceSettings, InvoiceStatus, Metadata,
};
use portico_core::{Currency, CustomerId, InvoiceId, Timestamp};
use portico_render::{FallbackFonts, InvoicePdf, Locale, invoice_pdf};

fn at(date: &str) -> Timestamp {
    Timestamp::parse_rfc3339("t", &format!("{date}T09:30:00Z")).unwrap()
}

fn customer() -> Customer {
    let now = at("2026-01-10");
    Customer {
        id: CustomerId::new(now, [7; 10]),
        alias: None,
        name: "Globex Corporation".into(),
        email: Some("billing@globex.test".into()),
        currency: Currency::EUR,
        address: Address {
            line1: Some("Torstraße 1".into()),
            line2: None,
            city: Some("Berlin".into()),
            state: None,
            postal_code: Some("10119".into()),
            country: Some("DE".into()),
        },
        tax_id: Some("DE123456789".into()),
        invoice_recipients: Vec::new(),
        portal_enabled: true,
        metadata: Metadata::new(),
        created_at: now,
        updated_at: now,
    }
}

fn line(description: &str, quantity: i64, unit_amount: i64) -> InvoiceLine {
    InvoiceLine {
        description: description.into(),
        quantity,
        unit_amount,
        amount: quantity * unit_amount,
        period_start: None,
        period_end: None,
    }
}

/// Subtotal €1,028.80 + 20 % tax = €1,234.56, open and due on 4 April 2026.
fn invoice(customer: &Customer, lines: Vec<InvoiceLine>) -> Invoice {
    let issued = at("2026-03-05");
    let subtotal: i64 = lines.iter().map(|l| l.amount).sum();
    let tax = portico_core::money::tax_amount(subtotal, 2000).unwrap();
    Invoice {
        id: InvoiceId::new(issued, [3; 10]),
        number: "ACME-0042".into(),
        customer: customer.id.clone(),
        subscription: None,
        status: InvoiceStatus::Open,
        currency: Currency::EUR,
        lines,
        subtotal,
        tax_rate_bps: 2000,
        tax,
        total: subtotal + tax,
        amount_paid: 0,
        amount_due: subtotal + tax,
        issued_at: Some(issued),
        due_at: Some(at("2026-04-04")),
        paid_at: None,
        metadata: Metadata::new(),
        created_at: issued,
        updated_at: issued,
    }
}

fn standard_lines() -> Vec<InvoiceLine> {
    let mut plan = line("Pro plan – 5 seats", 5, 17_900);
    plan.period_start = Some(at("2026-03-01"));
    plan.period_end = Some(at("2026-04-01"));
    vec![
        plan,
        line("Priority support", 1, 9_900),
        line("Extra storage (100 GB)", 2, 1_740),
    ]
}

fn render(invoice: &Invoice, customer: &Customer, locale: Locale) -> Vec<u8> {
    render_with(invoice, customer, locale, FallbackFonts::none())
}

fn render_with(
    invoice: &Invoice,
    customer: &Customer,
    locale: Locale,
    fonts: FallbackFonts,
) -> Vec<u8> {
    let seller = InvoiceSettings::default();
    render_pdf(invoice, customer, &seller, "2026-03-06", locale, fonts)
}

/// The seller block of a German vendor, with bank details and a footer.
fn seller() -> InvoiceSettings {
    InvoiceSettings {
        legal_name: Some("Acme Cloud GmbH".into()),
        address: Address {
            line1: Some("Friedrichstraße 68".into()),
            line2: Some("Aufgang B, 3. Etage".into()),
            city: Some("Berlin".into()),
            state: None,
            postal_code: Some("10117".into()),
            country: Some("DE".into()),
        },
        tax_id: Some("DE987654321".into()),
        registration: Some("Amtsgericht Berlin-Charlottenburg, HRB 123456 B".into()),
        payment_instructions: Some(
            "Bank transfer to Acme Cloud GmbH\nIBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX\nReference: ACME-0042".into(),
        ),
        footer: Some("Geschäftsführer: Erika Mustermann · Sitz der Gesellschaft: Berlin".into()),
        logo: None,
    }
}

/// A 300 × 100 PNG logo, transparent on its left half.
fn logo_png() -> Vec<u8> {
    let (width, height) = (300, 100);
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgba);
    let mut writer = encoder.write_header().unwrap();
    let pixels: Vec<u8> = (0..width * height)
        .flat_map(|i| [20, 90, 200, if i % width < width / 2 { 0 } else { 255 }])
        .collect();
    writer.write_image_data(&pixels).unwrap();
    writer.finish().unwrap();
    out
}

fn render_for(
    invoice: &Invoice,
    customer: &Customer,
    seller: &InvoiceSettings,
    as_of: &str,
    locale: Locale,
) -> Vec<u8> {
    render_pdf(
        invoice,
        customer,
        seller,
        as_of,
        locale,
        FallbackFonts::none(),
    )
}

fn render_pdf(
    invoice: &Invoice,
    customer: &Customer,
    seller: &InvoiceSettings,
    as_of: &str,
    locale: Locale,
    fonts: FallbackFonts,
) -> Vec<u8> {
    let pdf = InvoicePdf {
        vendor_name: "Acme Cloud",
        support_email: Some("help@acme.test"),
        invoice,
        customer,
        seller,
        as_of: at(as_of),
        logo: None,
        fonts,
    };
    invoice_pdf(&pdf, locale)
}

fn samples_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/samples");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs a Poppler tool on the file and returns its stdout; a missing tool fails the test with
/// the command that installs it, and any complaint on stderr (a broken xref, a bad stream
/// length) fails it too.
fn poppler(tool: &str, args: &[&str], file: &Path) -> String {
    let output = Command::new(tool)
        .args(args)
        .arg(file)
        .args(if tool == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run `{tool}` ({e}); install Poppler: apt-get install -y poppler-utils")
        });
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{tool} failed: {stderr}");
    assert!(stderr.trim().is_empty(), "{tool} complained: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// The text a viewer extracts, with no-break spaces made plain so amounts compare simply.
fn extract_text(pdf: &[u8], name: &str) -> String {
    let path = samples_dir().join(name);
    std::fs::write(&path, pdf).unwrap();
    plain(&poppler("pdftotext", &["-enc", "UTF-8"], &path))
}

/// Fails with the whole text when any of `expected` is not in it.
fn assert_has(text: &str, expected: &[&str]) {
    for expected in expected {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
}

fn plain(text: &str) -> String {
    text.replace(['\u{a0}', '\u{202f}'], " ")
}

fn page_count(name: &str) -> usize {
    let info = poppler("pdfinfo", &[], &samples_dir().join(name));
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap()
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

fn ascii_number(bytes: &[u8], at: usize) -> usize {
    let digits: String = bytes[at..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    digits.parse().unwrap()
}

/// Checks the file's skeleton by hand: header, every xref entry pointing at its `n 0 obj`,
/// stream lengths, trailer and `%%EOF`. Returns the number of objects.
fn check_structure(pdf: &[u8]) -> usize {
    assert!(pdf.starts_with(b"%PDF-1.4\n"));
    assert!(pdf.ends_with(b"%%EOF\n"));
    let startxref = find(pdf, b"startxref\n", 0).unwrap();
    let xref_at = ascii_number(pdf, startxref + b"startxref\n".len());
    assert!(pdf[xref_at..].starts_with(b"xref\n0 "));
    let size = ascii_number(pdf, xref_at + b"xref\n0 ".len());
    let entries = find(pdf, b"\n", xref_at + 5).unwrap() + 1;
    assert_eq!(&pdf[entries..entries + 20], b"0000000000 65535 f \n");
    for id in 1..size {
        let entry = &pdf[entries + 20 * id..entries + 20 * (id + 1)];
        assert_eq!(&entry[10..], b" 00000 n \n", "xref entry {id}");
        let offset = ascii_number(entry, 0);
        let header = format!("{id} 0 obj\n");
        assert!(
            pdf[offset..].starts_with(header.as_bytes()),
            "xref entry {id} points at {offset}, not at `{id} 0 obj`"
        );
        let end = find(pdf, b"endobj", offset).unwrap();
        if let Some(length_at) = find(&pdf[..end], b"/Length ", offset) {
            let length = ascii_number(pdf, length_at + 8);
            let data = find(pdf, b"stream\n", length_at).unwrap() + 7;
            assert_eq!(&pdf[data + length..data + length + 10], b"\nendstream");
        }
    }
    let trailer = find(pdf, b"trailer", xref_at).unwrap();
    let trailer = String::from_utf8_lossy(&pdf[trailer..]);
    assert!(trailer.contains(&format!("/Size {size} ")), "{trailer}");
    assert!(trailer.contains("/Root 1 0 R"), "{trailer}");
    assert!(trailer.ends_with(&format!("startxref\n{xref_at}\n%%EOF\n")));
    size - 1
}

#[test]
fn the_file_structure_is_sound() {
    let customer = customer();
    let pdf = render(&invoice(&customer, standard_lines()), &customer, Locale::En);
    std::fs::write(samples_dir().join("invoice-structure.pdf"), &pdf).unwrap();
    // Catalog, page tree, info, two fonts of six objects each, and one page with its content.
    assert_eq!(check_structure(&pdf), 17);
    for font in ["DejaVuSans", "DejaVuSansBold"] {
        let base_font = format!("+{font} /Encoding /Identity-H /DescendantFonts");
        assert!(find(&pdf, base_font.as_bytes(), 0).is_some(), "{font}");
    }
    assert_eq!(
        String::from_utf8_lossy(&pdf).matches("/FontFile2 ").count(),
        2,
        "both fonts are embedded"
    );
    assert!(find(&pdf, b"/ToUnicode ", 0).is_some());
    assert!(find(&pdf, b"/Count 1 ", 0).is_some());
    // Subset, not whole: the two built-in fonts are some 170 kB each.
    assert!(pdf.len() < 80_000, "{} bytes", pdf.len());
    let fonts = poppler(
        "pdffonts",
        &[],
        &samples_dir().join("invoice-structure.pdf"),
    );
    assert_eq!(fonts.matches("CID TrueType").count(), 2, "{fonts}");
    assert_eq!(
        fonts.matches(" yes yes yes ").count(),
        2,
        "embedded, subset, unicode:\n{fonts}"
    );
}

#[test]
fn an_english_invoice_reads_back() {
    let customer = customer();
    let pdf = render(&invoice(&customer, standard_lines()), &customer, Locale::En);
    let text = extract_text(&pdf, "invoice-en.pdf");
    assert_has(
        &text,
        &[
            "Acme Cloud",
            "Invoice",
            "ACME-0042",
            "BILL TO",
            "Globex Corporation",
            "Torstraße 1",
            "10119 Berlin",
            "Tax ID: DE123456789",
            "Date of issue",
            "Mar 5, 2026",
            "Apr 4, 2026",
            "€1,234.56 due Apr 4, 2026",
            "Pro plan – 5 seats",
            "Mar 1, 2026 – Apr 1, 2026",
            "Extra storage (100 GB)",
            "€179.00",
            "€895.00",
            "€1,028.80",
            "VAT (20%)",
            "€205.76",
            "Total",
            "€1,234.56",
            "Amount due",
            "Questions? Contact help@acme.test",
            "Page 1 of 1",
        ],
    );
    assert_eq!(page_count("invoice-en.pdf"), 1);
}

#[test]
fn a_long_invoice_runs_over_pages_and_loses_no_line() {
    let customer = customer();
    let lines = (1..=120)
        .map(|i| line(&format!("Usage item #{i:03}"), i, 25))
        .collect();
    let pdf = render(&invoice(&customer, lines), &customer, Locale::En);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-long.pdf");
    let pages = page_count("invoice-long.pdf");
    assert!(pages >= 2, "120 lines on {pages} page(s)");
    for i in 1..=120 {
        let description = format!("Usage item #{i:03}");
        assert_eq!(text.matches(&description).count(), 1, "{description}");
    }
    assert!(text.contains(&format!("Page {pages} of {pages}")));
    assert!(text.contains("Continued on the next page"));
    // The table header repeats on every page.
    assert_eq!(text.matches("UNIT PRICE").count(), pages);
}

#[test]
fn a_paid_german_invoice_reads_back_in_german() {
    let customer = customer();
    let mut invoice = invoice(&customer, standard_lines());
    invoice.status = InvoiceStatus::Paid;
    invoice.amount_paid = invoice.total;
    invoice.amount_due = 0;
    invoice.paid_at = Some(at("2026-03-09"));
    let pdf = render(&invoice, &customer, Locale::De);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-paid-de.pdf");
    assert_has(
        &text,
        &[
            "Rechnung",
            "ACME-0042",
            "RECHNUNGSEMPFÄNGER",
            "USt-IdNr.: DE123456789",
            "Rechnungsdatum",
            "5. März 2026",
            "1.234,56 € bezahlt am 9. März 2026",
            "BEZAHLT",
            "1. März 2026 – 1. Apr. 2026",
            "179,00 €",
            "1.028,80 €",
            "USt. (20 %)",
            "205,76 €",
            "Gesamtbetrag",
            "1.234,56 €",
            "Bezahlter Betrag",
            "Fälliger Betrag",
            "0,00 €",
            "Fragen? Wenden Sie sich an help@acme.test",
            "Seite 1 von 1",
        ],
    );
    assert!(!text.contains("Invoice"), "English left in:\n{text}");
}

#[test]
fn every_locale_renders_its_title_tax_label_and_total() {
    let customer = customer();
    let invoice = invoice(&customer, standard_lines());
    for (locale, title, tax, total) in [
        (Locale::En, "Invoice", "VAT (20%)", "€1,234.56"),
        (Locale::De, "Rechnung", "USt. (20 %)", "1.234,56 €"),
        (Locale::Fr, "Facture", "TVA (20 %)", "1 234,56 €"),
        (Locale::Es, "Factura", "IVA (20 %)", "1234,56 €"),
    ] {
        let pdf = render(&invoice, &customer, locale);
        let text = extract_text(&pdf, &format!("invoice-locale-{locale}.pdf"));
        assert_has(&text, &[title, tax, total]);
    }
}

#[test]
fn a_void_invoice_is_stamped_and_owes_nothing() {
    let customer = customer();
    let mut invoice = invoice(&customer, standard_lines());
    invoice.status = InvoiceStatus::Void;
    let pdf = render(&invoice, &customer, Locale::Fr);
    let text = extract_text(&pdf, "invoice-void-fr.pdf");
    assert!(text.contains("ANNULÉE"), "{text}");
    assert!(text.contains("N° de TVA : DE123456789"), "{text}");
    assert!(!text.contains("Montant dû"), "{text}");
    assert!(!text.contains("à régler"), "{text}");
}

#[test]
fn hostile_text_cannot_break_the_file() {
    let mut customer = customer();
    customer.name = "Evil (Corp) \\ ) Tj ET BT (".into();
    customer.email = None;
    customer.tax_id = None;
    customer.address = Address::default();
    let lines = vec![
        line("endstream endobj %%EOF 日本語 ((((", 1, 100),
        line(&"W".repeat(500), 1, 100),
    ];
    let pdf = render(&invoice(&customer, lines), &customer, Locale::Es);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-hostile.pdf");
    assert!(text.contains("Evil (Corp) \\ ) Tj ET BT ("), "{text}");
    assert!(
        text.contains("endstream endobj %%EOF 日本語 (((("),
        "{text}"
    );
    assert!(
        text.contains("la fuente Noto Sans CJK no está instalada"),
        "{text}"
    );
}

#[test]
fn polish_greek_and_cyrillic_names_read_back_exactly() {
    let mut customer = customer();
    customer.name = "Łódź Spółka z o.o.".into();
    customer.address = Address {
        line1: Some("ul. Piotrkowska 104".into()),
        line2: None,
        city: Some("Łódź".into()),
        state: None,
        postal_code: Some("90-926".into()),
        country: Some("PL".into()),
    };
    customer.tax_id = Some("PL1234567890".into());
    let lines = vec![
        line("Ελληνικά: συνδρομή Pro", 1, 1_000),
        line("Подписка «Про» — ООО «Ромашка»", 2, 500),
        line("Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ", 1, 250),
    ];
    let pdf = render(&invoice(&customer, lines), &customer, Locale::En);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-unicode.pdf");
    assert_has(
        &text,
        &[
            "Łódź Spółka z o.o.",
            "90-926 Łódź",
            "Poland",
            "Ελληνικά: συνδρομή Pro",
            "Подписка «Про» — ООО «Ромашка»",
            "Zażółć gęślą jaźń ĄĆĘŁŃÓŚŹŻ",
        ],
    );
    assert!(!text.contains("Some characters cannot be shown"), "{text}");
}

/// A credit (a negative amount) prints with a true minus sign (U+2212), which the embedded font
/// subset has a glyph for: it reads back as that character, never as a hyphen or a box.
#[test]
fn a_credit_prints_with_a_true_minus_sign() {
    let customer = customer();
    let mut lines = standard_lines();
    lines.push(line("Unused time on Basic", 1, -22_050));
    for (locale, credit) in [
        (Locale::En, "\u{2212}€220.50"),
        (Locale::De, "\u{2212}220,50 €"),
    ] {
        let pdf = render(&invoice(&customer, lines.clone()), &customer, locale);
        check_structure(&pdf);
        let text = extract_text(&pdf, &format!("invoice-credit-{}.pdf", locale.as_str()));
        assert_has(&text, &["Unused time on Basic", credit]);
        assert!(!text.contains("-€") && !text.contains("-220"), "{text}");
        assert!(!text.contains("Some characters cannot be shown"), "{text}");
    }
}

/// Addresses print their country by its name in the document's language, and a region the
/// way the country's post writes it.
#[test]
fn addresses_name_their_country_in_the_documents_language() {
    let mut customer = customer();
    customer.address = Address {
        line1: Some("100 Industrial Way".into()),
        line2: None,
        city: Some("Springfield".into()),
        state: Some("IL".into()),
        postal_code: Some("62701".into()),
        country: Some("US".into()),
    };
    for (locale, seller_country, customer_country) in [
        (Locale::De, "Deutschland", "Vereinigte Staaten"),
        (Locale::Fr, "Allemagne", "États-Unis"),
    ] {
        let invoice = invoice(&customer, vec![line("Pro", 1, 1_000)]);
        let pdf = render_pdf(
            &invoice,
            &customer,
            &seller(),
            "2026-03-06",
            locale,
            FallbackFonts::none(),
        );
        let text = extract_text(&pdf, &format!("invoice-countries-{locale}.pdf"));
        assert_has(
            &text,
            &["Springfield, IL 62701", customer_country, seller_country],
        );
        assert!(
            !text.lines().any(|l| l.trim() == "US" || l.trim() == "DE"),
            "{text}"
        );
    }
}

/// Without a CJK font the text still reads back (the boxes map to their characters) and the
/// document names the font that is missing; with one, it is embedded and nothing is missing.
#[test]
fn cjk_text_prints_with_a_cjk_font_and_names_it_when_missing() {
    let mut customer = customer();
    customer.name = "株式会社テスト 한국".into();
    let invoice = invoice(&customer, vec![line("プロプラン 月額", 1, 1_000)]);

    let pdf = render_with(&invoice, &customer, Locale::En, FallbackFonts::none());
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-cjk-missing.pdf");
    assert!(
        text.contains("the font Noto Sans CJK is not installed on the server"),
        "{text}"
    );
    assert_has(&text, &["株式会社テスト 한국", "プロプラン 月額"]);

    let fonts = FallbackFonts::system();
    assert!(
        fonts.has_cjk(),
        "no CJK font on this system: install one (apt-get install -y fonts-noto-cjk)"
    );
    let pdf = render_with(&invoice, &customer, Locale::De, fonts);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-cjk.pdf");
    assert_has(
        &text,
        &["株式会社テスト 한국", "プロプラン 月額", "Rechnung"],
    );
    assert!(!text.contains("nicht installiert"), "{text}");
    let listed = poppler("pdffonts", &[], &samples_dir().join("invoice-cjk.pdf"));
    assert!(listed.contains("NotoSansCJK"), "{listed}");
    assert_eq!(listed.matches(" yes yes yes ").count(), 3, "{listed}");
}

/// Amounts end at the column's edge whatever their digits: each right-aligned text starts
/// where its width, measured from the font, puts it.
#[test]
fn right_aligned_amounts_share_their_right_edge() {
    let customer = customer();
    let lines = vec![
        line("A", 1, 1),
        line("B", 1, 111_111),
        line("C", 1, 9_999_999),
    ];
    let pdf = render(&invoice(&customer, lines), &customer, Locale::En);
    let path = samples_dir().join("invoice-align.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let html = poppler("pdftotext", &["-bbox"], &path);
    let right_edge = |word: &str| -> f32 {
        let line = html
            .lines()
            .find(|l| l.ends_with(&format!(">{word}</word>")))
            .unwrap_or_else(|| panic!("{word} not found in {html}"));
        let x_max = line.split("xMax=\"").nth(1).unwrap();
        x_max[..x_max.find('"').unwrap()].parse().unwrap()
    };
    let edges = [
        right_edge("€0.01"),
        right_edge("€1,111.11"),
        right_edge("€99,999.99"),
    ];
    for edge in edges {
        assert!((edge - edges[0]).abs() < 0.5, "{edges:?}");
    }
}

#[test]
fn the_seller_block_payment_instructions_and_footer_read_back() {
    let customer = customer();
    let invoice = invoice(&customer, standard_lines());
    let pdf = render_for(&invoice, &customer, &seller(), "2026-03-06", Locale::En);
    check_structure(&pdf);
    let text = extract_text(&pdf, "invoice-seller.pdf");
    assert_has(
        &text,
        &[
            "Acme Cloud GmbH",
            "Friedrichstraße 68",
            "Aufgang B, 3. Etage",
            "10117 Berlin",
            "Tax ID: DE987654321",
            "Amtsgericht Berlin-Charlottenburg, HRB 123456 B",
            "Payment instructions",
            "Bank transfer to Acme Cloud GmbH",
            "IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX",
            "Reference: ACME-0042",
            "Geschäftsführer: Erika Mustermann · Sitz der Gesellschaft: Berlin",
        ],
    );
    assert!(!text.contains("OVERDUE"), "not yet due:\n{text}");

    // Paid: nothing left to transfer, so no instructions.
    let mut paid = invoice.clone();
    paid.status = InvoiceStatus::Paid;
    paid.amount_paid = paid.total;
    paid.amount_due = 0;
    paid.paid_at = Some(at("2026-03-09"));
    let pdf = render_for(&paid, &customer, &seller(), "2026-03-10", Locale::En);
    let text = extract_text(&pdf, "invoice-seller-paid.pdf");
    assert!(text.contains("Acme Cloud GmbH"), "{text}");
    assert!(!text.contains("Payment instructions"), "{text}");
}

#[test]
fn an_unpaid_invoice_past_its_due_date_is_marked_overdue() {
    let customer = customer();
    let invoice = invoice(&customer, standard_lines());
    let pdf = render_for(&invoice, &customer, &seller(), "2026-04-05", Locale::En);
    let text = extract_text(&pdf, "invoice-overdue.pdf");
    assert!(text.contains("OVERDUE"), "{text}");
    assert!(text.contains("Payment instructions"), "{text}");
    let pdf = render_for(&invoice, &customer, &seller(), "2026-04-05", Locale::De);
    let text = extract_text(&pdf, "invoice-overdue-de.pdf");
    assert!(text.contains("ÜBERFÄLLIG"), "{text}");
    // The day it is due it is not overdue yet.
    let pdf = render_for(&invoice, &customer, &seller(), "2026-04-04", Locale::En);
    let text = extract_text(&pdf, "invoice-due-today.pdf");
    assert!(
        !text.contains("OVERDUE") && !text.contains("Overdue"),
        "{text}"
    );
}

#[test]
fn a_long_three_line_address_wraps_and_is_never_cut() {
    let mut customer = customer();
    customer.name =
        "Internationale Handelsgesellschaft für Büroausstattung und Verbrauchsmaterial mbH".into();
    customer.address = Address {
        line1: Some("Kurfürstendamm 234, Hinterhaus, Aufgang C, 4. Obergeschoss links".into()),
        line2: Some(
            "c/o Buchhaltung und Rechnungsprüfung, z. Hd. Frau Dr. Annemarie Schmidt-Wegener"
                .into(),
        ),
        city: Some("Berlin-Charlottenburg-Wilmersdorf".into()),
        state: None,
        postal_code: Some("10719".into()),
        country: Some("DE".into()),
    };
    customer.email =
        Some("rechnungseingang.buchhaltung@internationale-handelsgesellschaft.example".into());
    let invoice = invoice(&customer, standard_lines());
    let mut seller = seller();
    seller.address.line2 = customer.address.line2.clone();
    let pdf = render_for(&invoice, &customer, &seller, "2026-03-06", Locale::En);
    let text = extract_text(&pdf, "invoice-long-address.pdf");
    assert!(!text.contains('…'), "something was cut:\n{text}");
    let words: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_has(
        &words,
        &[
            customer.name.as_str(),
            "Kurfürstendamm 234, Hinterhaus, Aufgang C, 4. Obergeschoss links",
            "c/o Buchhaltung und Rechnungsprüfung, z. Hd. Frau Dr. Annemarie Schmidt-Wegener",
            "10719 Berlin-Charlottenburg-Wilmersdorf",
        ],
    );
    assert!(text.contains("rechnungseingang.buchhaltung@"), "{text}");
}

#[test]
fn the_logo_is_drawn_with_its_transparency() {
    let customer = customer();
    let invoice = invoice(&customer, standard_lines());
    let logo = logo_png();
    let seller = seller();
    let pdf = InvoicePdf {
        vendor_name: "Acme Cloud",
        support_email: None,
        invoice: &invoice,
        customer: &customer,
        seller: &seller,
        as_of: at("2026-03-06"),
        logo: Some(&logo),
        fonts: FallbackFonts::none(),
    };
    let file = invoice_pdf(&pdf, Locale::En);
    check_structure(&file);
    let path = samples_dir().join("invoice-logo.pdf");
    std::fs::write(&path, &file).unwrap();
    let images = poppler("pdfimages", &["-list"], &path);
    let rows: Vec<&str> = images.lines().skip(2).collect();
    assert_eq!(rows.len(), 2, "the logo and its soft mask:\n{images}");
    assert!(
        rows[0].contains("image     300   100  rgb     3   8  image"),
        "{images}"
    );
    assert!(
        rows[1].contains("smask     300   100  gray    1   8  image"),
        "{images}"
    );
    // The logo takes the name's place; the seller block still names the vendor.
    let text = extract_text(&file, "invoice-logo.pdf");
    assert!(text.starts_with("Invoice"), "{text}");
    assert!(text.contains("Acme Cloud GmbH"), "{text}");

    // Bytes that are not an image are left out, and the name stands in.
    let pdf = InvoicePdf {
        logo: Some(b"<svg onload=alert(1)>"),
        ..pdf
    };
    let file = invoice_pdf(&pdf, Locale::En);
    let path = samples_dir().join("invoice-logo-refused.pdf");
    std::fs::write(&path, &file).unwrap();
    assert_eq!(poppler("pdfimages", &["-list"], &path).lines().count(), 2);
}
