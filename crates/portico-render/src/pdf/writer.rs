//! A minimal PDF 1.4 writer: pages of drawing operators, two standard fonts, an xref table.
//!
//! Content streams stay uncompressed: an invoice page is a few kilobytes of text, and leaving
//! out Flate keeps the crate free of dependencies and the output easy to inspect.

use std::fmt::Write as _;
use std::io::Write as _;

use super::fonts::{Font, encode};

/// ISO A4 in points; the page size of invoices nearly everywhere outside North America.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

/// Objects 1–5 are fixed; each page then takes two numbers, its dictionary and its content.
const CATALOG: usize = 1;
const PAGE_TREE: usize = 2;
const INFO: usize = 5;
const FIRST_PAGE: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rgb(pub f32, pub f32, pub f32);

/// One page's content stream. Coordinates are points from the bottom-left corner.
#[derive(Debug, Default)]
pub(super) struct Page {
    /// Not a `String`: text inside the operators is WinAnsi, not UTF-8.
    content: Vec<u8>,
}

impl Page {
    /// Draws `text` with its baseline starting at (`x`, `y`).
    pub(super) fn text(&mut self, font: Font, size: f32, x: f32, y: f32, color: Rgb, text: &str) {
        self.encoded_text(font, size, x, y, color, &encode(text));
    }

    /// Draws `text` so that it ends at `right`, as amounts in a column do.
    pub(super) fn text_right(
        &mut self,
        font: Font,
        size: f32,
        right: f32,
        y: f32,
        color: Rgb,
        text: &str,
    ) {
        let bytes = encode(text);
        let x = right - font.width(&bytes, size);
        self.encoded_text(font, size, x, y, color, &bytes);
    }

    fn encoded_text(&mut self, font: Font, size: f32, x: f32, y: f32, color: Rgb, text: &[u8]) {
        let _ = write!(
            self.content,
            "BT /{} {} Tf {} rg 1 0 0 1 {} {} Tm ",
            font.resource(),
            num(size),
            rgb(color),
            num(x),
            num(y)
        );
        self.content.extend(string_literal(text));
        self.content.extend_from_slice(b" Tj ET\n");
    }

    pub(super) fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Rgb) {
        let _ = writeln!(
            self.content,
            "{} rg {} {} {} {} re f",
            rgb(color),
            num(x),
            num(y),
            num(width),
            num(height)
        );
    }

    pub(super) fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32, color: Rgb) {
        let _ = writeln!(
            self.content,
            "{} RG {} w {} {} {} {} re S",
            rgb(color),
            num(line),
            num(x),
            num(y),
            num(w),
            num(h)
        );
    }

    pub(super) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Rgb) {
        let _ = writeln!(
            self.content,
            "{} RG {} w {} {} m {} {} l S",
            rgb(color),
            num(width),
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1)
        );
    }

    fn into_content(self) -> Vec<u8> {
        self.content
    }
}

/// The complete file: header, catalog, page tree, fonts, document info, then every page with
/// its content stream, the cross-reference table and the trailer.
pub(super) fn document(pages: Vec<Page>, title: &str) -> Vec<u8> {
    let mut file = ObjectWriter::new();
    let page_ids: Vec<usize> = (0..pages.len()).map(|i| FIRST_PAGE + 2 * i).collect();
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();

    file.object(
        CATALOG,
        format!("<< /Type /Catalog /Pages {PAGE_TREE} 0 R >>").as_bytes(),
    );
    file.object(
        PAGE_TREE,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} /MediaBox [0 0 {} {}] >>",
            kids.join(" "),
            pages.len(),
            num(PAGE_WIDTH),
            num(PAGE_HEIGHT)
        )
        .as_bytes(),
    );
    for (id, font) in (3..).zip(Font::ALL) {
        // Widths are optional for the standard 14 fonts, but a viewer that substitutes another
        // font then still places every glyph where the right-aligned layout expects it.
        let widths = font.widths().map(|w| w.to_string()).join(" ");
        let dict = format!(
            "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding /FirstChar 32 /LastChar 255 /Widths [{widths}] >>",
            font.base_font()
        );
        file.object(id, dict.as_bytes());
    }
    let info = format!(
        "<< /Title {} /Producer (Portico) >>",
        utf16_hex_string(title)
    );
    file.object(INFO, info.as_bytes());
    let resources = Font::ALL
        .iter()
        .zip(3..)
        .map(|(font, id)| format!("/{} {id} 0 R", font.resource()))
        .collect::<Vec<_>>()
        .join(" ");
    for (page, id) in pages.into_iter().zip(page_ids) {
        let dict = format!(
            "<< /Type /Page /Parent {PAGE_TREE} 0 R /Resources << /Font << {resources} >> >> /Contents {} 0 R >>",
            id + 1
        );
        file.object(id, dict.as_bytes());
        file.stream(id + 1, &page.into_content());
    }
    file.finish()
}

/// Appends numbered objects and remembers where each starts, for the xref table.
struct ObjectWriter {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl ObjectWriter {
    fn new() -> Self {
        // The comment of high bytes tells transfer tools the file is binary.
        let out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        Self {
            out,
            offsets: Vec::new(),
        }
    }

    /// Writes object `id`; ids must come in order 1, 2, 3… so the offsets line up.
    fn object(&mut self, id: usize, body: &[u8]) {
        self.offsets.push(self.out.len());
        self.out.extend(format!("{id} 0 obj\n").as_bytes());
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
    }

    fn stream(&mut self, id: usize, data: &[u8]) {
        let mut body = format!("<< /Length {} >>\nstream\n", data.len()).into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\nendstream");
        self.object(id, &body);
    }

    fn finish(mut self) -> Vec<u8> {
        let xref_at = self.out.len();
        let size = self.offsets.len() + 1;
        // Each entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, space, LF.
        let mut xref = format!("xref\n0 {size}\n0000000000 65535 f \n");
        for offset in &self.offsets {
            let _ = writeln!(xref, "{offset:010} 00000 n ");
        }
        let _ = write!(
            xref,
            "trailer\n<< /Size {size} /Root {CATALOG} 0 R /Info {INFO} 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        );
        self.out.extend(xref.as_bytes());
        self.out
    }
}

/// A PDF literal string: `\`, `(` and `)` escaped, control bytes written as octal escapes.
fn string_literal(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 2);
    out.push(b'(');
    for &byte in text {
        match byte {
            b'\\' | b'(' | b')' => out.extend_from_slice(&[b'\\', byte]),
            0..=0x1f => out.extend(format!("\\{byte:03o}").as_bytes()),
            _ => out.push(byte),
        }
    }
    out.push(b')');
    out
}

/// Document info strings are not WinAnsi: UTF-16BE with a byte-order mark carries any title.
fn utf16_hex_string(text: &str) -> String {
    let mut hex = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(hex, "{unit:04X}");
    }
    hex.push('>');
    hex
}

/// A coordinate with at most two decimals and no trailing zeros; PDF has no exponent syntax.
fn num(value: f32) -> String {
    if !value.is_finite() {
        return "0".to_owned();
    }
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    match text {
        "-0" | "" => "0".to_owned(),
        _ => text.to_owned(),
    }
}

fn rgb(Rgb(r, g, b): Rgb) -> String {
    format!("{} {} {}", num(r), num(g), num(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short_and_plain() {
        assert_eq!(num(100.0), "100");
        assert_eq!(num(595.28), "595.28");
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(0.0), "0");
        assert_eq!(num(-3.25), "-3.25");
        assert_eq!(num(f32::NAN), "0");
    }

    #[test]
    fn strings_are_escaped() {
        assert_eq!(string_literal(b"a(b)c\\d"), b"(a\\(b\\)c\\\\d)");
        assert_eq!(string_literal(b"x\ny"), b"(x\\012y)");
        assert_eq!(string_literal(&[0x80, 0xe9]), [b'(', 0x80, 0xe9, b')']);
    }

    #[test]
    fn titles_are_utf16() {
        assert_eq!(utf16_hex_string("Ré€"), "<FEFF005200E920AC>");
    }

    #[test]
    fn stream_lengths_match_their_data() {
        let mut page = Page::default();
        page.text(
            Font::Bold,
            12.0,
            10.0,
            20.0,
            Rgb(0.0, 0.0, 0.0),
            "Größe (€)",
        );
        let file = document(vec![page], "t");
        let find = |needle: &[u8]| {
            file.windows(needle.len())
                .position(|w| w == needle)
                .unwrap()
        };
        let length_at = find(b"/Length ") + b"/Length ".len();
        let digits = file[length_at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        let length: usize = std::str::from_utf8(&file[length_at..length_at + digits])
            .unwrap()
            .parse()
            .unwrap();
        let start = find(b"stream\n") + b"stream\n".len();
        assert_eq!(length, find(b"\nendstream") - start);
        assert!(find(b"(Gr\xf6\xdfe \\(\x80\\)) Tj") > start);
    }
}
