//! Invoice PDFs, laid out like a vendor's own invoice and paged when the lines run long.

mod fonts;
mod image;
mod writer;

use portico_core::model::{
    Account, Customer, Invoice, InvoiceLine, InvoiceSettings, InvoiceStatus,
};
use portico_core::{Money, Timestamp};

use crate::Locale;
use crate::address::format_address;
use crate::format::{
    format_date, format_date_range, format_integer, format_money, format_percent_bps,
};
use crate::messages::{Msg, t, tf};
use fonts::{CJK_FONT_NAME, Font, Fonts, is_cjk};

pub use fonts::FallbackFonts;
pub use image::{CheckedLogo, LogoError, MAX_LOGO_BYTES, MAX_LOGO_SIDE, check_logo};
use writer::{PAGE_HEIGHT, PAGE_WIDTH, Page, Rgb};

/// What an invoice PDF shows: the invoice, whom it bills, and who sends it.
#[derive(Debug, Clone, Copy)]
pub struct InvoicePdf<'a> {
    /// The vendor's display name, also set large at the top as a text logo.
    pub vendor_name: &'a str,
    /// Printed at the foot of every page, so the customer knows whom to ask.
    pub support_email: Option<&'a str>,
    pub invoice: &'a Invoice,
    /// The bill-to block: name, address, email and tax id.
    pub customer: &'a Customer,
    /// The seller block, payment instructions and footer.
    pub seller: &'a InvoiceSettings,
    /// When the document is made: an open invoice due before then is marked Overdue.
    pub as_of: Timestamp,
    /// The vendor's logo (PNG or JPEG), drawn instead of the name at the top; a logo that does
    /// not decode is left out.
    pub logo: Option<&'a [u8]>,
    /// Where characters the built-in font lacks (CJK) come from.
    pub fonts: FallbackFonts,
}

impl<'a> InvoicePdf<'a> {
    /// Takes the vendor's name and support address from the account's branding and the seller
    /// block from its invoice settings.
    pub fn new(
        account: &'a Account,
        customer: &'a Customer,
        invoice: &'a Invoice,
        as_of: Timestamp,
    ) -> Self {
        let branding = &account.settings.branding;
        Self {
            vendor_name: branding.display_name.as_deref().unwrap_or(&account.name),
            support_email: branding.support_email.as_deref(),
            invoice,
            customer,
            seller: &account.settings.invoice,
            as_of,
            logo: None,
            fonts: FallbackFonts::system(),
        }
    }

    /// Open, unpaid and past its due date.
    pub fn overdue(&self) -> bool {
        self.invoice.is_overdue(self.as_of)
    }
}

/// The invoice as a PDF file, texts and amounts in `locale`. It takes milliseconds but is pure
/// CPU work: async callers should run it under `spawn_blocking`.
pub fn invoice_pdf(pdf: &InvoicePdf<'_>, locale: Locale) -> Vec<u8> {
    let title = format!(
        "{} – {}",
        tf(
            locale,
            Msg::InvoiceTitle,
            &[("number", &pdf.invoice.number)]
        ),
        pdf.vendor_name
    );
    let logo = pdf.logo.and_then(|data| image::PdfImage::decode(data).ok());
    let mut layout = Layout::new(pdf, locale);
    layout.logo = logo.as_ref().map(|l| (l.width, l.height));
    let pages = layout.render();
    writer::document(pages, &title, logo.as_slice())
}

const MARGIN: f32 = 56.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Content stops here; below are the "continued" note and the footer.
const BOTTOM: f32 = 96.0;
const FOOTER_RULE: f32 = 62.0;
const FOOTER_TEXT: f32 = 46.0;

/// The box the logo is scaled into, keeping its proportions.
const LOGO_WIDTH: f32 = 200.0;
const LOGO_HEIGHT: f32 = 48.0;

/// Table columns: text starts at `DESC_X`; the numbers are right-aligned at their column's edge.
const DESC_X: f32 = LEFT + 8.0;
const DESC_WIDTH: f32 = 236.0;
const QTY_RIGHT: f32 = 350.0;
const UNIT_RIGHT: f32 = 445.0;
const AMOUNT_RIGHT: f32 = RIGHT - 8.0;
/// Where the labels of the meta block and of the totals start.
const LABEL_X: f32 = 330.0;

const INK: Rgb = Rgb(0.11, 0.13, 0.17);
const MUTED: Rgb = Rgb(0.42, 0.45, 0.5);
const RULE: Rgb = Rgb(0.86, 0.88, 0.91);
const BAND: Rgb = Rgb(0.95, 0.96, 0.97);
const GREEN: Rgb = Rgb(0.08, 0.5, 0.24);
const RED: Rgb = Rgb(0.72, 0.11, 0.11);

const TEXT: f32 = 10.0;
const LEADING: f32 = 13.5;
/// The seller block, payment instructions and footer lines.
const SMALL: f32 = 8.5;
const SMALL_LEADING: f32 = 11.0;
const ROW_PADDING: f32 = 7.0;
const MAX_ROW_LINES: usize = 30;

/// Lays the invoice out top to bottom, opening a new page whenever the next block would not
/// fit. `y` is the top of the free space on the last page.
struct Layout<'a> {
    pdf: &'a InvoicePdf<'a>,
    locale: Locale,
    fonts: Fonts,
    /// The logo's size in pixels, when there is one (the document's image 0).
    logo: Option<(u32, u32)>,
    pages: Vec<Page>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(pdf: &'a InvoicePdf<'a>, locale: Locale) -> Self {
        let fonts = Fonts::new(pdf.fonts);
        Self {
            pdf,
            locale,
            fonts,
            logo: None,
            pages: vec![Page::new(fonts)],
            y: TOP,
        }
    }

    fn render(mut self) -> Vec<Page> {
        self.masthead();
        self.parties();
        self.headline();
        self.table_header();
        for line in &self.pdf.invoice.lines {
            self.line_row(line);
        }
        self.totals();
        self.payment_instructions();
        self.missing_fonts_note();
        self.footers();
        self.pages
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::new(self.fonts));
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn t(&self, msg: Msg) -> &'static str {
        t(self.locale, msg)
    }

    fn money(&self, amount: i64) -> String {
        format_money(Money::new(amount, self.pdf.invoice.currency), self.locale)
    }

    /// Vendor name as a text logo on the left with the seller block under it, the document
    /// title and number on the right.
    fn masthead(&mut self) {
        let title = self.t(Msg::Invoice);
        let title_width = self.fonts.width(Font::Regular, title, 24.0);
        let logo_room = RIGHT - LEFT - title_width - 24.0;
        let (logo, size) = fit_shrinking(
            self.fonts,
            Font::Bold,
            self.pdf.vendor_name,
            logo_room,
            24.0,
            13.0,
        );
        let number = self.pdf.invoice.number.clone();
        let seller = self.seller_lines(LABEL_X - LEFT - 24.0);
        let image = self
            .logo
            .map(|(w, h)| fit_box(w, h, logo_room.min(LOGO_WIDTH), LOGO_HEIGHT));
        let page = self.page();
        let mut y = TOP - 42.0;
        match image {
            Some((width, height)) => {
                page.image(0, LEFT, TOP - height, width, height);
                y = TOP - height - 14.0;
            }
            None => page.text(Font::Bold, size, LEFT, TOP - 22.0, INK, &logo),
        }
        page.text_right(Font::Regular, 24.0, RIGHT, TOP - 22.0, MUTED, title);
        page.text_right(Font::Regular, 10.5, RIGHT, TOP - 40.0, MUTED, &number);
        for (font, text) in &seller {
            page.text(*font, SMALL, LEFT, y, MUTED, text);
            y -= SMALL_LEADING;
        }
        let rule = (y + SMALL_LEADING - 14.0).min(TOP - 56.0);
        page.line((LEFT, rule), (RIGHT, rule), 0.75, RULE);
        self.y = rule - 28.0;
    }

    /// The seller's legal name, address, tax ID and registration, each wrapped to `width`.
    fn seller_lines(&self, width: f32) -> Vec<(Font, String)> {
        let seller = self.pdf.seller;
        let mut lines = Vec::new();
        let mut push = |font: Font, text: &str| {
            for line in wrap(self.fonts, font, SMALL, text, width) {
                lines.push((font, line));
            }
        };
        if let Some(name) = &seller.legal_name {
            push(Font::Bold, name);
        }
        for line in format_address(&seller.address, self.locale) {
            push(Font::Regular, &line);
        }
        if let Some(tax_id) = &seller.tax_id {
            push(
                Font::Regular,
                &tf(self.locale, Msg::TaxIdValue, &[("id", tax_id)]),
            );
        }
        if let Some(registration) = &seller.registration {
            push(Font::Regular, registration);
        }
        lines
    }

    /// Bill-to on the left, the invoice's number, dates and status on the right.
    fn parties(&mut self) {
        let top = self.y;
        let left_end = self.bill_to(top);
        let right_end = self.meta(top);
        self.y = left_end.min(right_end) - 34.0;
    }

    fn bill_to(&mut self, top: f32) -> f32 {
        let customer = self.pdf.customer;
        let width = LABEL_X - LEFT - 24.0;
        let label = self.t(Msg::BillTo).to_uppercase();
        let mut lines: Vec<(Font, Rgb, String)> =
            wrap(self.fonts, Font::Bold, 11.0, &customer.name, width)
                .into_iter()
                .map(|l| (Font::Bold, INK, l))
                .collect();
        let mut push = |color: Rgb, text: &str| {
            for line in wrap(self.fonts, Font::Regular, TEXT, text, width) {
                lines.push((Font::Regular, color, line));
            }
        };
        for line in format_address(&customer.address, self.locale) {
            push(INK, &line);
        }
        if let Some(email) = &customer.email {
            push(MUTED, email);
        }
        if let Some(tax_id) = &customer.tax_id {
            push(MUTED, &tf(self.locale, Msg::TaxIdValue, &[("id", tax_id)]));
        }
        let page = self.page();
        page.text(Font::Bold, 8.0, LEFT, top, MUTED, &label);
        let mut y = top - 18.0;
        for (font, color, text) in &lines {
            let size = if *font == Font::Bold { 11.0 } else { TEXT };
            page.text(*font, size, LEFT, y, *color, text);
            y -= LEADING;
        }
        y + LEADING
    }

    fn meta(&mut self, top: f32) -> f32 {
        let invoice = self.pdf.invoice;
        let date = |ts| format_date(ts, self.locale);
        let mut rows = vec![(Msg::InvoiceNumber, invoice.number.clone())];
        if let Some(issued) = invoice.issued_at {
            rows.push((Msg::IssueDate, date(issued)));
        }
        if let Some(due) = invoice.due_at {
            rows.push((Msg::DueDate, date(due)));
        }
        if let (InvoiceStatus::Paid, Some(paid)) = (invoice.status, invoice.paid_at) {
            rows.push((Msg::PaidOn, date(paid)));
        }
        let status = if self.pdf.overdue() {
            Msg::InvoiceOverdue
        } else {
            Msg::from(invoice.status)
        };
        rows.push((Msg::Status, self.t(status).to_owned()));
        let (locale, fonts) = (self.locale, self.fonts);
        let page = self.page();
        let mut y = top;
        for (label, value) in rows {
            let value = fit(fonts, Font::Regular, TEXT, &value, RIGHT - LABEL_X - 100.0);
            page.text(Font::Regular, 9.5, LABEL_X, y, MUTED, t(locale, label));
            page.text_right(Font::Regular, TEXT, RIGHT, y, INK, &value);
            y -= LEADING + 2.0;
        }
        y + LEADING + 2.0
    }

    /// The sentence a reader looks for first ("€1,234.56 due Mar 5, 2026"), with a stamp for
    /// invoices that are settled or not (yet) payable.
    fn headline(&mut self) {
        let invoice = self.pdf.invoice;
        let date = |ts| format_date(ts, self.locale);
        let text = match (invoice.status, invoice.paid_at, invoice.due_at) {
            (InvoiceStatus::Paid, Some(paid), _) => Some(tf(
                self.locale,
                Msg::AmountPaidOn,
                &[
                    ("amount", &self.money(invoice.total)),
                    ("date", &date(paid)),
                ],
            )),
            (InvoiceStatus::Void, _, _) | (InvoiceStatus::Paid, None, _) => None,
            (_, _, Some(due)) => Some(tf(
                self.locale,
                Msg::AmountDueBy,
                &[
                    ("amount", &self.money(invoice.amount_due)),
                    ("date", &date(due)),
                ],
            )),
            (_, _, None) => None,
        };
        let stamp = match invoice.status {
            _ if self.pdf.overdue() => Some((Msg::InvoiceOverdue, RED)),
            InvoiceStatus::Paid => Some((Msg::from(invoice.status), GREEN)),
            InvoiceStatus::Void | InvoiceStatus::Draft => Some((Msg::from(invoice.status), MUTED)),
            InvoiceStatus::Uncollectible => Some((Msg::from(invoice.status), RED)),
            InvoiceStatus::Open => None,
        }
        .map(|(label, color)| (self.t(label).to_uppercase(), color));
        if text.is_none() && stamp.is_none() {
            return;
        }
        let (y, fonts) = (self.y - 4.0, self.fonts);
        let page = self.page();
        if let Some(text) = text {
            page.text(Font::Bold, 15.0, LEFT, y, INK, &text);
        }
        if let Some((label, color)) = stamp {
            draw_stamp(fonts, page, &label, RIGHT, y, color);
        }
        self.y = y - 30.0;
    }

    fn table_header(&mut self) {
        let labels = [
            self.t(Msg::LineDescription),
            self.t(Msg::Quantity),
            self.t(Msg::UnitPrice),
            self.t(Msg::Amount),
        ]
        .map(str::to_uppercase);
        let y = self.y;
        let page = self.page();
        page.fill_rect(LEFT, y - 22.0, RIGHT - LEFT, 22.0, BAND);
        let baseline = y - 14.0;
        page.text(Font::Bold, 8.0, DESC_X, baseline, MUTED, &labels[0]);
        page.text_right(Font::Bold, 8.0, QTY_RIGHT, baseline, MUTED, &labels[1]);
        page.text_right(Font::Bold, 8.0, UNIT_RIGHT, baseline, MUTED, &labels[2]);
        page.text_right(Font::Bold, 8.0, AMOUNT_RIGHT, baseline, MUTED, &labels[3]);
        self.y = y - 22.0;
    }

    fn line_row(&mut self, line: &InvoiceLine) {
        let description = description_lines(self.fonts, &line.description);
        let period = match (line.period_start, line.period_end) {
            (Some(start), Some(end)) => Some(format_date_range(start, end, self.locale)),
            _ => None,
        };
        let extra_lines = description.len().saturating_sub(1) as f32;
        let height = 2.0 * ROW_PADDING
            + TEXT
            + LEADING * extra_lines
            + if period.is_some() { 11.0 } else { 0.0 };
        self.ensure_space(height, true);
        let (quantity, unit, amount) = (
            format_integer(line.quantity, self.locale),
            self.money(line.unit_amount),
            self.money(line.amount),
        );
        let y = self.y;
        let page = self.page();
        // Cap height is about 0.72 em: this leaves equal air above and below the text.
        let mut baseline = y - ROW_PADDING - 0.8 * TEXT;
        page.text_right(Font::Regular, TEXT, QTY_RIGHT, baseline, INK, &quantity);
        page.text_right(Font::Regular, TEXT, UNIT_RIGHT, baseline, INK, &unit);
        page.text_right(Font::Regular, TEXT, AMOUNT_RIGHT, baseline, INK, &amount);
        for text in &description {
            page.text(Font::Regular, TEXT, DESC_X, baseline, INK, text);
            baseline -= LEADING;
        }
        if let Some(period) = period {
            page.text(Font::Regular, 8.5, DESC_X, baseline + 2.0, MUTED, &period);
        }
        page.line((LEFT, y - height), (RIGHT, y - height), 0.5, RULE);
        self.y = y - height;
    }

    /// Subtotal, tax, total and what is left to pay, kept together on one page.
    fn totals(&mut self) {
        let invoice = self.pdf.invoice;
        let mut rows = vec![(
            self.t(Msg::Subtotal).to_owned(),
            self.money(invoice.subtotal),
            false,
        )];
        if invoice.tax_rate_bps > 0 || invoice.tax != 0 {
            let rate = format_percent_bps(invoice.tax_rate_bps, self.locale);
            rows.push((
                tf(self.locale, Msg::PdfTaxWithRate, &[("rate", &rate)]),
                self.money(invoice.tax),
                false,
            ));
        }
        rows.push((
            self.t(Msg::Total).to_owned(),
            self.money(invoice.total),
            true,
        ));
        if invoice.amount_paid != 0 {
            rows.push((
                self.t(Msg::AmountPaid).to_owned(),
                self.money(invoice.amount_paid),
                false,
            ));
        }
        let due = (invoice.status != InvoiceStatus::Void).then(|| {
            (
                self.t(Msg::AmountDue).to_owned(),
                self.money(invoice.amount_due),
            )
        });
        let height =
            14.0 + 20.0 * rows.len() as f32 + if due.is_some() { 34.0 } else { 0.0 } + 30.0;
        self.ensure_space(height, false);
        let thanks = self.t(Msg::ThankYou);
        let top = self.y - 26.0;
        let mut y = top;
        let page = self.page();
        for (label, value, strong) in &rows {
            let font = if *strong { Font::Bold } else { Font::Regular };
            if *strong {
                page.line((LABEL_X, y + 14.0), (RIGHT, y + 14.0), 0.5, RULE);
            }
            let color = if *strong { INK } else { MUTED };
            page.text(font, TEXT, LABEL_X, y, color, label);
            page.text_right(font, TEXT, AMOUNT_RIGHT, y, INK, value);
            y -= 20.0;
        }
        if let Some((label, value)) = due {
            y -= 6.0;
            page.fill_rect(LABEL_X - 8.0, y - 9.0, RIGHT - LABEL_X + 8.0, 27.0, BAND);
            page.text(Font::Bold, 12.0, LABEL_X, y, INK, &label);
            page.text_right(Font::Bold, 12.0, AMOUNT_RIGHT, y, INK, &value);
            y -= 28.0;
        }
        page.text(Font::Regular, 9.5, LEFT, top, MUTED, thanks);
        self.y = y;
    }

    /// Opens a new page when `height` more points would run into the footer; a table continues
    /// under a repeated header.
    fn ensure_space(&mut self, height: f32, in_table: bool) {
        if self.y - height >= BOTTOM {
            return;
        }
        let note = self.t(Msg::ContinuedOnNextPage);
        self.page()
            .text_right(Font::Regular, 8.5, RIGHT, BOTTOM - 16.0, MUTED, note);
        self.pages.push(Page::new(self.fonts));
        self.continuation_header();
        if in_table {
            self.table_header();
        }
    }

    fn continuation_header(&mut self) {
        let title = tf(
            self.locale,
            Msg::InvoiceTitle,
            &[("number", &self.pdf.invoice.number)],
        );
        let title_width = self.fonts.width(Font::Regular, &title, TEXT);
        let (logo, size) = fit_shrinking(
            self.fonts,
            Font::Bold,
            self.pdf.vendor_name,
            RIGHT - LEFT - title_width - 24.0,
            14.0,
            10.0,
        );
        let page = self.page();
        page.text(Font::Bold, size, LEFT, TOP - 12.0, INK, &logo);
        page.text_right(Font::Regular, TEXT, RIGHT, TOP - 12.0, MUTED, &title);
        page.line((LEFT, TOP - 26.0), (RIGHT, TOP - 26.0), 0.75, RULE);
        self.y = TOP - 44.0;
    }

    /// How to pay by bank transfer, on invoices that are still to be paid.
    fn payment_instructions(&mut self) {
        let invoice = self.pdf.invoice;
        let unpaid = matches!(
            invoice.status,
            InvoiceStatus::Open | InvoiceStatus::Uncollectible
        ) && invoice.amount_due > 0;
        let Some(instructions) = self.pdf.seller.payment_instructions.as_deref() else {
            return;
        };
        if !unpaid {
            return;
        }
        let lines: Vec<String> = instructions
            .lines()
            .flat_map(|line| wrap(self.fonts, Font::Regular, TEXT, line, RIGHT - LEFT))
            .collect();
        let heading = self.t(Msg::PdfPaymentInstructions);
        // A long text may run over pages, a line at a time; the heading stays with its first.
        self.ensure_space(16.0 + 2.0 * LEADING, false);
        let y = self.y - 8.0;
        self.page().text(Font::Bold, TEXT, LEFT, y, INK, heading);
        self.y = y - 4.0;
        for line in lines {
            self.ensure_space(LEADING, false);
            let y = self.y - LEADING;
            self.page().text(Font::Regular, TEXT, LEFT, y, INK, &line);
            self.y = y;
        }
    }

    /// Names the font a reader's characters need when the server lacks it, just above the last
    /// page's footer, so that empty boxes never pass for the text.
    fn missing_fonts_note(&mut self) {
        let mut missing: Vec<char> = self
            .pages
            .iter()
            .flat_map(Page::missing_characters)
            .collect();
        if missing.is_empty() {
            return;
        }
        missing.sort_unstable();
        missing.dedup();
        let mut names: Vec<String> = Vec::new();
        if missing.iter().any(|c| is_cjk(*c)) {
            names.push(CJK_FONT_NAME.to_owned());
        }
        let others: Vec<String> = missing
            .iter()
            .filter(|c| !is_cjk(**c))
            .take(8)
            .map(|c| format!("U+{:04X}", u32::from(*c)))
            .collect();
        if !others.is_empty() {
            names.push(others.join(" "));
        }
        let note = tf(
            self.locale,
            Msg::PdfFontMissing,
            &[("font", &names.join(", "))],
        );
        let note = fit(self.fonts, Font::Regular, 8.0, &note, RIGHT - LEFT);
        let page = self.page();
        page.text(Font::Regular, 8.0, LEFT, FOOTER_RULE + 10.0, RED, &note);
    }

    /// Whom to ask on the left, "Page 2 of 3" on the right; drawn last, when the count is known.
    fn footers(&mut self) {
        let contact = match self.pdf.support_email {
            Some(email) => tf(self.locale, Msg::FooterQuestions, &[("support", email)]),
            None => self.pdf.vendor_name.to_owned(),
        };
        let contact = fit(
            self.fonts,
            Font::Regular,
            8.5,
            &contact,
            RIGHT - LEFT - 120.0,
        );
        let footer: Vec<String> = self
            .pdf
            .seller
            .footer
            .as_deref()
            .map(|f| wrap(self.fonts, Font::Regular, 7.5, f, RIGHT - LEFT))
            .unwrap_or_default();
        let count = self.pages.len().to_string();
        let locale = self.locale;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let number = (i + 1).to_string();
            let of = tf(locale, Msg::PageOf, &[("page", &number), ("pages", &count)]);
            page.line((LEFT, FOOTER_RULE), (RIGHT, FOOTER_RULE), 0.5, RULE);
            page.text(Font::Regular, 8.5, LEFT, FOOTER_TEXT, MUTED, &contact);
            page.text_right(Font::Regular, 8.5, RIGHT, FOOTER_TEXT, MUTED, &of);
            // At most three lines (300 characters) fit under the contact line.
            for (line, y) in footer.iter().zip([34.0, 25.0, 16.0]) {
                page.text(Font::Regular, 7.5, LEFT, y, MUTED, line);
            }
        }
    }
}

/// The size in points of a `width` × `height` picture scaled to fill the box as far as its
/// proportions allow.
fn fit_box(width: u32, height: u32, max_width: f32, max_height: f32) -> (f32, f32) {
    let (w, h) = (width.max(1) as f32, height.max(1) as f32);
    let scale = (max_width / w).min(max_height / h);
    (w * scale, h * scale)
}

/// A line's description wrapped to its column; capped so that no row can outgrow a page
/// (core allows 500 characters, about 20 lines, but the PDF must not trust its caller).
fn description_lines(fonts: Fonts, description: &str) -> Vec<String> {
    let mut lines = wrap(fonts, Font::Regular, TEXT, description, DESC_WIDTH);
    if lines.len() > MAX_ROW_LINES {
        lines.truncate(MAX_ROW_LINES);
        if let Some(last) = lines.last_mut() {
            *last = fit(fonts, Font::Regular, TEXT, &format!("{last}…"), DESC_WIDTH);
        }
    }
    lines
}

/// A status word in a coloured frame, its right edge at `right`, centred on baseline `y`.
fn draw_stamp(fonts: Fonts, page: &mut Page, label: &str, right: f32, y: f32, color: Rgb) {
    let size = 11.0;
    let width = fonts.width(Font::Bold, label, size) + 20.0;
    page.stroke_rect(right - width, y - 7.0, width, 23.0, 1.5, color);
    page.text_right(Font::Bold, size, right - 10.0, y, color, label);
}

/// Word-wraps `text` to `width`; a word longer than a whole line is broken between letters.
fn wrap(fonts: Fonts, font: Font, size: f32, text: &str, width: f32) -> Vec<String> {
    let fits = |s: &str| fonts.width(font, s, size) <= width;
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_owned()
        } else {
            format!("{current} {word}")
        };
        if fits(&candidate) {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            lines.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            current.push(c);
            if !fits(&current) && current.chars().count() > 1 {
                current.pop();
                lines.push(std::mem::replace(&mut current, c.to_string()));
            }
        }
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `text` cut to `width` with an ellipsis, for one-line fields like an email address.
fn fit(fonts: Fonts, font: Font, size: f32, text: &str, width: f32) -> String {
    if fonts.width(font, text, size) <= width {
        return text.to_owned();
    }
    let mut cut = text.to_owned();
    while !cut.is_empty() && fonts.width(font, &format!("{cut}…"), size) > width {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// Shrinks the font size down to `min` for `text` to fit `width`, then cuts what still does not.
fn fit_shrinking(
    fonts: Fonts,
    font: Font,
    text: &str,
    width: f32,
    max: f32,
    min: f32,
) -> (String, f32) {
    let text_width = fonts.width(font, text, max);
    let size = if text_width <= width {
        max
    } else {
        (max * width / text_width).floor().max(min)
    };
    (fit(fonts, font, size, text, width), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fonts() -> Fonts {
        Fonts::new(FallbackFonts::none())
    }

    #[test]
    fn wrapping_respects_the_width() {
        let lines = wrap(
            fonts(),
            Font::Regular,
            10.0,
            "Pro plan, 12 seats, billed monthly in advance for the whole team",
            120.0,
        );
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(fonts().width(Font::Regular, line, 10.0) <= 120.0, "{line}");
        }
        assert_eq!(
            lines.join(" "),
            "Pro plan, 12 seats, billed monthly in advance for the whole team"
        );
    }

    #[test]
    fn long_words_break_between_letters() {
        let word = "x".repeat(200);
        let lines = wrap(fonts(), Font::Regular, 10.0, &word, 100.0);
        assert!(lines.len() > 5);
        assert_eq!(lines.concat(), word);
        assert_eq!(wrap(fonts(), Font::Regular, 10.0, "", 100.0), [""]);
    }

    #[test]
    fn huge_descriptions_are_cut_to_fit_a_page() {
        let lines = description_lines(fonts(), &"lorem ipsum ".repeat(2_000));
        assert_eq!(lines.len(), MAX_ROW_LINES);
        assert!(lines.last().unwrap().ends_with('…'));
        let height = 2.0 * ROW_PADDING + TEXT + LEADING * (MAX_ROW_LINES as f32) + 11.0;
        assert!(
            height < TOP - 44.0 - 22.0 - BOTTOM,
            "a full row fits a continuation page"
        );
    }

    #[test]
    fn fitting_cuts_with_an_ellipsis() {
        assert_eq!(fit(fonts(), Font::Regular, 10.0, "short", 100.0), "short");
        let cut = fit(fonts(), Font::Regular, 10.0, &"long ".repeat(40), 100.0);
        assert!(cut.ends_with('…'));
        assert!(fonts().width(Font::Regular, &cut, 10.0) <= 100.0);
        let (text, size) = fit_shrinking(
            fonts(),
            Font::Bold,
            &"Wide Vendor ".repeat(8),
            300.0,
            24.0,
            13.0,
        );
        assert_eq!(size, 13.0);
        assert!(fonts().width(Font::Bold, &text, size) <= 300.0);
    }
}
