//! Invoice PDFs, laid out like a vendor's own invoice and paged when the lines run long.

mod fonts;
mod writer;

use portico_core::Money;
use portico_core::model::{Account, Customer, Invoice, InvoiceLine, InvoiceStatus};

use crate::Locale;
use crate::format::{
    format_address, format_date, format_date_range, format_integer, format_money,
    format_percent_bps,
};
use crate::messages::{Msg, t, tf};
use fonts::{Font, encode};
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
}

impl<'a> InvoicePdf<'a> {
    /// Takes the vendor's name and support address from the account's branding.
    pub fn new(account: &'a Account, customer: &'a Customer, invoice: &'a Invoice) -> Self {
        let branding = &account.settings.branding;
        Self {
            vendor_name: branding.display_name.as_deref().unwrap_or(&account.name),
            support_email: branding.support_email.as_deref(),
            invoice,
            customer,
        }
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
    let pages = Layout::new(pdf, locale).render();
    writer::document(pages, &title)
}

const MARGIN: f32 = 56.0;
const LEFT: f32 = MARGIN;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TOP: f32 = PAGE_HEIGHT - MARGIN;
/// Content stops here; below are the "continued" note and the footer.
const BOTTOM: f32 = 96.0;
const FOOTER_RULE: f32 = 62.0;
const FOOTER_TEXT: f32 = 46.0;

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
const ROW_PADDING: f32 = 7.0;
const MAX_ROW_LINES: usize = 30;

/// Lays the invoice out top to bottom, opening a new page whenever the next block would not
/// fit. `y` is the top of the free space on the last page.
struct Layout<'a> {
    pdf: &'a InvoicePdf<'a>,
    locale: Locale,
    pages: Vec<Page>,
    y: f32,
}

impl<'a> Layout<'a> {
    fn new(pdf: &'a InvoicePdf<'a>, locale: Locale) -> Self {
        Self {
            pdf,
            locale,
            pages: vec![Page::default()],
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
        self.footers();
        self.pages
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.pages.push(Page::default());
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

    /// Vendor name as a text logo on the left, the document title and number on the right.
    fn masthead(&mut self) {
        let title = self.t(Msg::Invoice);
        let title_width = Font::Regular.width(&encode(title), 24.0);
        let logo_room = RIGHT - LEFT - title_width - 24.0;
        let (logo, size) = fit_shrinking(Font::Bold, self.pdf.vendor_name, logo_room, 24.0, 13.0);
        let number = self.pdf.invoice.number.clone();
        let page = self.page();
        page.text(Font::Bold, size, LEFT, TOP - 22.0, INK, &logo);
        page.text_right(Font::Regular, 24.0, RIGHT, TOP - 22.0, MUTED, title);
        page.text_right(Font::Regular, 10.5, RIGHT, TOP - 40.0, MUTED, &number);
        page.line((LEFT, TOP - 56.0), (RIGHT, TOP - 56.0), 0.75, RULE);
        self.y = TOP - 84.0;
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
        let mut lines: Vec<(Font, Rgb, String)> = wrap(Font::Bold, 11.0, &customer.name, width)
            .into_iter()
            .map(|l| (Font::Bold, INK, l))
            .collect();
        for line in format_address(&customer.address) {
            lines.push((Font::Regular, INK, fit(Font::Regular, TEXT, &line, width)));
        }
        if let Some(email) = &customer.email {
            lines.push((Font::Regular, MUTED, fit(Font::Regular, TEXT, email, width)));
        }
        if let Some(tax_id) = &customer.tax_id {
            let text = tf(self.locale, Msg::TaxIdValue, &[("id", tax_id)]);
            lines.push((Font::Regular, MUTED, fit(Font::Regular, TEXT, &text, width)));
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
        rows.push((Msg::Status, self.t(Msg::from(invoice.status)).to_owned()));
        let locale = self.locale;
        let page = self.page();
        let mut y = top;
        for (label, value) in rows {
            let value = fit(Font::Regular, TEXT, &value, RIGHT - LABEL_X - 100.0);
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
            InvoiceStatus::Paid => Some(GREEN),
            InvoiceStatus::Void | InvoiceStatus::Draft => Some(MUTED),
            InvoiceStatus::Uncollectible => Some(RED),
            InvoiceStatus::Open => None,
        }
        .map(|color| (self.t(Msg::from(invoice.status)).to_uppercase(), color));
        if text.is_none() && stamp.is_none() {
            return;
        }
        let y = self.y - 4.0;
        let page = self.page();
        if let Some(text) = text {
            page.text(Font::Bold, 15.0, LEFT, y, INK, &text);
        }
        if let Some((label, color)) = stamp {
            draw_stamp(page, &label, RIGHT, y, color);
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
        let description = description_lines(&line.description);
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
                tf(self.locale, Msg::TaxWithRate, &[("rate", &rate)]),
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
        self.pages.push(Page::default());
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
        let title_width = Font::Regular.width(&encode(&title), TEXT);
        let (logo, size) = fit_shrinking(
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

    /// Whom to ask on the left, "Page 2 of 3" on the right; drawn last, when the count is known.
    fn footers(&mut self) {
        let contact = match self.pdf.support_email {
            Some(email) => tf(self.locale, Msg::FooterQuestions, &[("support", email)]),
            None => self.pdf.vendor_name.to_owned(),
        };
        let contact = fit(Font::Regular, 8.5, &contact, RIGHT - LEFT - 120.0);
        let count = self.pages.len().to_string();
        let locale = self.locale;
        for (i, page) in self.pages.iter_mut().enumerate() {
            let number = (i + 1).to_string();
            let of = tf(locale, Msg::PageOf, &[("page", &number), ("pages", &count)]);
            page.line((LEFT, FOOTER_RULE), (RIGHT, FOOTER_RULE), 0.5, RULE);
            page.text(Font::Regular, 8.5, LEFT, FOOTER_TEXT, MUTED, &contact);
            page.text_right(Font::Regular, 8.5, RIGHT, FOOTER_TEXT, MUTED, &of);
        }
    }
}

/// A line's description wrapped to its column; capped so that no row can outgrow a page
/// (core allows 500 characters, about 20 lines, but the PDF must not trust its caller).
fn description_lines(description: &str) -> Vec<String> {
    let mut lines = wrap(Font::Regular, TEXT, description, DESC_WIDTH);
    if lines.len() > MAX_ROW_LINES {
        lines.truncate(MAX_ROW_LINES);
        if let Some(last) = lines.last_mut() {
            *last = fit(Font::Regular, TEXT, &format!("{last}…"), DESC_WIDTH);
        }
    }
    lines
}

/// A status word in a coloured frame, its right edge at `right`, centred on baseline `y`.
fn draw_stamp(page: &mut Page, label: &str, right: f32, y: f32, color: Rgb) {
    let size = 11.0;
    let width = Font::Bold.width(&encode(label), size) + 20.0;
    page.stroke_rect(right - width, y - 7.0, width, 23.0, 1.5, color);
    page.text_right(Font::Bold, size, right - 10.0, y, color, label);
}

/// Word-wraps `text` to `width`; a word longer than a whole line is broken between letters.
fn wrap(font: Font, size: f32, text: &str, width: f32) -> Vec<String> {
    let fits = |s: &str| font.width(&encode(s), size) <= width;
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
fn fit(font: Font, size: f32, text: &str, width: f32) -> String {
    if font.width(&encode(text), size) <= width {
        return text.to_owned();
    }
    let mut cut = text.to_owned();
    while !cut.is_empty() && font.width(&encode(&format!("{cut}…")), size) > width {
        cut.pop();
    }
    format!("{}…", cut.trim_end())
}

/// Shrinks the font size down to `min` for `text` to fit `width`, then cuts what still does not.
fn fit_shrinking(font: Font, text: &str, width: f32, max: f32, min: f32) -> (String, f32) {
    let text_width = font.width(&encode(text), max);
    let size = if text_width <= width {
        max
    } else {
        (max * width / text_width).floor().max(min)
    };
    (fit(font, size, text, width), size)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_respects_the_width() {
        let lines = wrap(
            Font::Regular,
            10.0,
            "Pro plan, 12 seats, billed monthly in advance for the whole team",
            120.0,
        );
        assert!(lines.len() > 1);
        for line in &lines {
            assert!(Font::Regular.width(&encode(line), 10.0) <= 120.0, "{line}");
        }
        assert_eq!(
            lines.join(" "),
            "Pro plan, 12 seats, billed monthly in advance for the whole team"
        );
    }

    #[test]
    fn long_words_break_between_letters() {
        let word = "x".repeat(200);
        let lines = wrap(Font::Regular, 10.0, &word, 100.0);
        assert!(lines.len() > 5);
        assert_eq!(lines.concat(), word);
        assert_eq!(wrap(Font::Regular, 10.0, "", 100.0), [""]);
    }

    #[test]
    fn huge_descriptions_are_cut_to_fit_a_page() {
        let lines = description_lines(&"lorem ipsum ".repeat(2_000));
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
        assert_eq!(fit(Font::Regular, 10.0, "short", 100.0), "short");
        let cut = fit(Font::Regular, 10.0, &"long ".repeat(40), 100.0);
        assert!(cut.ends_with('…'));
        assert!(Font::Regular.width(&encode(&cut), 10.0) <= 100.0);
        let (text, size) = fit_shrinking(Font::Bold, &"Wide Vendor ".repeat(8), 300.0, 24.0, 13.0);
        assert_eq!(size, 13.0);
        assert!(Font::Bold.width(&encode(&text), size) <= 300.0);
    }
}
