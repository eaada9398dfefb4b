//! A minimal PDF 1.4 writer: pages of drawing operators, embedded subset fonts, an xref table.
//!
//! Text is written as glyph ids (`Identity-H`) of fonts subset to the glyphs the document uses,
//! each with a `ToUnicode` map so that viewers copy and search the real characters. Content
//! streams stay uncompressed: an invoice page is a few kilobytes of operators, easy to inspect.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;

use subsetter::GlyphRemapper;

use super::fonts::{FaceKey, Font, FontFile, Fonts, Glyph};
use super::image::PdfImage;

/// ISO A4 in points; the page size of invoices nearly everywhere outside North America.
pub(super) const PAGE_WIDTH: f32 = 595.28;
pub(super) const PAGE_HEIGHT: f32 = 841.89;

/// Objects 1–3 are fixed; then each font takes six numbers, each image two, each page two.
const CATALOG: usize = 1;
const PAGE_TREE: usize = 2;
const INFO: usize = 3;
const FIRST_FONT: usize = 4;
/// The Type 0 font, its CID font, descriptor, font file, `ToUnicode` and `CIDToGIDMap`.
const OBJECTS_PER_FONT: usize = 6;

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Rgb(pub f32, pub f32, pub f32);

#[derive(Debug)]
enum Op {
    /// Operators that need nothing from the document.
    Raw(String),
    Text {
        size: f32,
        x: f32,
        y: f32,
        color: Rgb,
        glyphs: Vec<Glyph>,
    },
    /// The document's image number `index`, scaled into the box.
    Image {
        index: usize,
        x: f32,
        y: f32,
        width: f32,
        height: f32,
    },
}

/// One page's drawing. Coordinates are points from the bottom-left corner.
#[derive(Debug)]
pub(super) struct Page {
    fonts: Fonts,
    ops: Vec<Op>,
}

impl Page {
    pub(super) fn new(fonts: Fonts) -> Self {
        Self {
            fonts,
            ops: Vec::new(),
        }
    }

    /// Draws `text` with its baseline starting at (`x`, `y`).
    pub(super) fn text(&mut self, font: Font, size: f32, x: f32, y: f32, color: Rgb, text: &str) {
        let glyphs = self.fonts.glyphs(font, text);
        self.ops.push(Op::Text {
            size,
            x,
            y,
            color,
            glyphs,
        });
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
        let glyphs = self.fonts.glyphs(font, text);
        let width = glyphs.iter().map(|g| g.advance).sum::<f32>() * size / 1000.0;
        self.ops.push(Op::Text {
            size,
            x: right - width,
            y,
            color,
            glyphs,
        });
    }

    /// Every character drawn on the page that no font has.
    pub(super) fn missing_characters(&self) -> impl Iterator<Item = char> + '_ {
        self.ops.iter().flat_map(|op| match op {
            Op::Text { glyphs, .. } => glyphs
                .iter()
                .filter(|g| g.missing())
                .map(|g| g.ch)
                .collect(),
            Op::Raw(_) | Op::Image { .. } => Vec::new(),
        })
    }

    /// Draws the document's image `index` into the box with its lower-left corner at (`x`, `y`).
    pub(super) fn image(&mut self, index: usize, x: f32, y: f32, width: f32, height: f32) {
        self.ops.push(Op::Image {
            index,
            x,
            y,
            width,
            height,
        });
    }

    pub(super) fn fill_rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: Rgb) {
        self.ops.push(Op::Raw(format!(
            "{} rg {} {} {} {} re f\n",
            rgb(color),
            num(x),
            num(y),
            num(width),
            num(height)
        )));
    }

    pub(super) fn stroke_rect(&mut self, x: f32, y: f32, w: f32, h: f32, line: f32, color: Rgb) {
        self.ops.push(Op::Raw(format!(
            "{} RG {} w {} {} {} {} re S\n",
            rgb(color),
            num(line),
            num(x),
            num(y),
            num(w),
            num(h)
        )));
    }

    pub(super) fn line(&mut self, from: (f32, f32), to: (f32, f32), width: f32, color: Rgb) {
        self.ops.push(Op::Raw(format!(
            "{} RG {} w {} {} m {} {} l S\n",
            rgb(color),
            num(width),
            num(from.0),
            num(from.1),
            num(to.0),
            num(to.1)
        )));
    }
}

/// The glyphs of one font that the document uses, renumbered for its subset, and the
/// characters each stands for.
#[derive(Default)]
struct FontUse {
    remapper: GlyphRemapper,
    /// Characters the font lacks, each with a CID of its own after the subset's glyphs, drawn
    /// as the empty box but still copied and searched as themselves.
    missing: BTreeMap<char, u16>,
    /// CID → (character, advance in 1/1000 em).
    glyphs: BTreeMap<u16, (char, f32)>,
}

impl FontUse {
    fn cid(&mut self, glyph: &Glyph) -> u16 {
        let cid = if glyph.missing() {
            let next = self
                .remapper
                .num_gids()
                .saturating_add(self.missing.len() as u16);
            *self.missing.entry(glyph.ch).or_insert(next)
        } else {
            self.remapper.remap(glyph.id)
        };
        self.glyphs.entry(cid).or_insert((glyph.ch, glyph.advance));
        cid
    }

    /// The `CIDToGIDMap` stream when some CIDs stand for missing characters: two bytes per
    /// CID, the subset's glyphs in order, then zeros.
    fn cid_to_gid_map(&self) -> Option<Vec<u8>> {
        if self.missing.is_empty() {
            return None;
        }
        let glyphs = self.remapper.num_gids();
        let mut map = Vec::with_capacity(2 * (usize::from(glyphs) + self.missing.len()));
        for gid in 0..glyphs {
            map.extend_from_slice(&gid.to_be_bytes());
        }
        map.resize(map.len() + 2 * self.missing.len(), 0);
        Some(map)
    }
}

/// Encodes the pages' text as CIDs, counting the glyphs each font needs. Every glyph is
/// renumbered first, so that the CIDs of missing characters come after all of them.
fn encode_pages(pages: &[Page]) -> (Vec<Vec<u8>>, BTreeMap<FaceKey, FontUse>) {
    let mut uses: BTreeMap<FaceKey, FontUse> = BTreeMap::new();
    let texts = || {
        pages.iter().flat_map(|p| &p.ops).filter_map(|op| match op {
            Op::Text { glyphs, .. } => Some(glyphs),
            Op::Raw(_) | Op::Image { .. } => None,
        })
    };
    for glyph in texts().flatten().filter(|g| !g.missing()) {
        uses.entry(glyph.face).or_default().remapper.remap(glyph.id);
    }
    let mut contents = Vec::with_capacity(pages.len());
    for page in pages {
        let mut content = Vec::new();
        for op in &page.ops {
            match op {
                Op::Raw(ops) => content.extend_from_slice(ops.as_bytes()),
                Op::Image {
                    index,
                    x,
                    y,
                    width,
                    height,
                } => {
                    let _ = writeln!(
                        content,
                        "q {} 0 0 {} {} {} cm /Im{index} Do Q",
                        num(*width),
                        num(*height),
                        num(*x),
                        num(*y)
                    );
                }
                Op::Text {
                    size,
                    x,
                    y,
                    color,
                    glyphs,
                } => {
                    let _ = write!(
                        content,
                        "BT {} rg 1 0 0 1 {} {} Tm",
                        rgb(*color),
                        num(*x),
                        num(*y)
                    );
                    for run in glyphs.chunk_by(|a, b| a.face == b.face) {
                        let face = run[0].face;
                        let used = uses.entry(face).or_default();
                        let _ = write!(content, " /{} {} Tf <", face.resource(), num(*size));
                        for glyph in run {
                            let _ = write!(content, "{:04X}", used.cid(glyph));
                        }
                        content.extend_from_slice(b"> Tj");
                    }
                    content.extend_from_slice(b" ET\n");
                }
            }
        }
        contents.push(content);
    }
    (contents, uses)
}

/// The complete file: header, catalog, page tree, document info, the fonts, then every page
/// with its content stream, the cross-reference table and the trailer.
pub(super) fn document(pages: Vec<Page>, title: &str, images: &[PdfImage]) -> Vec<u8> {
    let fonts = pages.first().map(|p| p.fonts);
    let (contents, uses) = encode_pages(&pages);
    let first_image = FIRST_FONT + OBJECTS_PER_FONT * uses.len();
    let first_page = first_image + 2 * images.len();
    let page_ids: Vec<usize> = (0..contents.len()).map(|i| first_page + 2 * i).collect();
    let kids: Vec<String> = page_ids.iter().map(|id| format!("{id} 0 R")).collect();

    let mut file = ObjectWriter::new();
    file.object(
        CATALOG,
        format!("<< /Type /Catalog /Pages {PAGE_TREE} 0 R >>").as_bytes(),
    );
    file.object(
        PAGE_TREE,
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} /MediaBox [0 0 {} {}] >>",
            kids.join(" "),
            contents.len(),
            num(PAGE_WIDTH),
            num(PAGE_HEIGHT)
        )
        .as_bytes(),
    );
    let info = format!(
        "<< /Title {} /Producer (Portico) >>",
        utf16_hex_string(title)
    );
    file.object(INFO, info.as_bytes());
    let mut resources = String::new();
    for ((key, used), id) in uses.iter().zip((FIRST_FONT..).step_by(OBJECTS_PER_FONT)) {
        let Some(font) = fonts.and_then(|f| f.file(*key)) else {
            continue;
        };
        write_font(&mut file, id, font, used);
        let _ = write!(resources, "/{} {id} 0 R ", key.resource());
    }
    let mut xobjects = String::new();
    for (index, (image, id)) in images.iter().zip((first_image..).step_by(2)).enumerate() {
        write_image(&mut file, id, image);
        let _ = write!(xobjects, "/Im{index} {id} 0 R ");
    }
    for (content, id) in contents.into_iter().zip(page_ids) {
        let dict = format!(
            "<< /Type /Page /Parent {PAGE_TREE} 0 R /Resources << /Font << {resources}>> /XObject << {xobjects}>> >> /Contents {} 0 R >>",
            id + 1
        );
        file.object(id, dict.as_bytes());
        file.stream(id + 1, "", &content);
    }
    file.finish()
}

/// A font as six objects from `id` on: the Type 0 font, its CID font, the descriptor, the
/// subset font file, the `ToUnicode` map and the `CIDToGIDMap` (an empty dictionary when the
/// identity serves).
fn write_font(file: &mut ObjectWriter, id: usize, font: &FontFile, used: &FontUse) {
    let (cid_font, descriptor, font_file, to_unicode) = (id + 1, id + 2, id + 3, id + 4);
    let cid_to_gid = used.cid_to_gid_map();
    let name = format!("{}+{}", subset_tag(&used.remapper), font.name);
    file.object(
        id,
        format!(
            "<< /Type /Font /Subtype /Type0 /BaseFont /{name} /Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
        )
        .as_bytes(),
    );
    let widths: String = used
        .glyphs
        .iter()
        .map(|(id, (_, advance))| format!("{id} [{}]", num(*advance)))
        .collect::<Vec<_>>()
        .join(" ");
    let (subtype, extra) = match (font.cff, &cid_to_gid) {
        (true, _) => ("CIDFontType0", String::new()),
        (false, None) => ("CIDFontType2", " /CIDToGIDMap /Identity".to_owned()),
        (false, Some(_)) => ("CIDFontType2", format!(" /CIDToGIDMap {} 0 R", id + 5)),
    };
    file.object(
        cid_font,
        format!(
            "<< /Type /Font /Subtype /{subtype} /BaseFont /{name} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 1000 /W [{widths}]{extra} >>"
        )
        .as_bytes(),
    );
    let scale = |v: f32| num(v * 1000.0 / font.units_per_em);
    let file_key = if font.cff { "FontFile3" } else { "FontFile2" };
    file.object(
        descriptor,
        format!(
            "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{}] /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /{file_key} {font_file} 0 R >>",
            font.bbox.map(scale).join(" "),
            scale(font.ascent),
            scale(font.descent),
            scale(font.cap_height),
        )
        .as_bytes(),
    );
    let subset = subset_font(font, &used.remapper);
    let dict = if font.cff {
        " /Subtype /CIDFontType0C"
    } else {
        ""
    };
    file.stream(font_file, dict, &subset);
    file.stream(to_unicode, "", to_unicode_cmap(&used.glyphs).as_bytes());
    match cid_to_gid {
        Some(map) => file.stream(id + 5, "", &map),
        None => file.object(id + 5, b"<< >>"),
    }
}

/// An image as two objects from `id` on: the image and its soft mask (an empty dictionary
/// when it has none).
fn write_image(file: &mut ObjectWriter, id: usize, image: &PdfImage) {
    let (filter, mask) = match (image.jpeg, &image.alpha) {
        (true, _) => ("DCTDecode", String::new()),
        (false, None) => ("FlateDecode", String::new()),
        (false, Some(_)) => ("FlateDecode", format!(" /SMask {} 0 R", id + 1)),
    };
    let dict = format!(
        " /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /{} /BitsPerComponent 8 /Filter /{filter}{mask}",
        image.width, image.height, image.color_space
    );
    file.stream(id, &dict, &image.data);
    match &image.alpha {
        Some(alpha) => {
            let dict = format!(
                " /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                image.width, image.height
            );
            file.stream(id + 1, &dict, alpha);
        }
        None => file.object(id + 1, b"<< >>"),
    }
}

/// The font reduced to the used glyphs: a TrueType file, or for CFF fonts the bare CFF table
/// that `FontFile3` expects. An empty file if the font cannot be subset (viewers then
/// substitute a font, and the text still reads back through `ToUnicode`).
fn subset_font(font: &FontFile, remapper: &GlyphRemapper) -> Vec<u8> {
    let Ok(subset) = subsetter::subset(font.data(), font.index(), remapper) else {
        return Vec::new();
    };
    if !font.cff {
        return subset;
    }
    ttf_parser::RawFace::parse(&subset, 0)
        .ok()
        .and_then(|face| face.table(ttf_parser::Tag::from_bytes(b"CFF ")))
        .map(<[u8]>::to_vec)
        .unwrap_or_default()
}

/// Six capital letters that name this subset, the same for the same glyphs.
fn subset_tag(remapper: &GlyphRemapper) -> String {
    let mut hash: u32 = 2_166_136_261;
    for glyph in remapper.remapped_gids() {
        for byte in glyph.to_be_bytes() {
            hash = (hash ^ u32::from(byte)).wrapping_mul(16_777_619);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

/// The `ToUnicode` CMap: each glyph id to the character it was set for.
fn to_unicode_cmap(glyphs: &BTreeMap<u16, (char, f32)>) -> String {
    let mut cmap = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
         /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
         /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
         1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    let mapped: Vec<(&u16, &char)> = glyphs
        .iter()
        .filter(|(id, _)| **id != 0)
        .map(|(id, (ch, _))| (id, ch))
        .collect();
    for block in mapped.chunks(100) {
        let _ = writeln!(cmap, "{} beginbfchar", block.len());
        for (id, ch) in block {
            let _ = write!(cmap, "<{id:04X}> <");
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                let _ = write!(cmap, "{unit:04X}");
            }
            cmap.push_str(">\n");
        }
        cmap.push_str("endbfchar\n");
    }
    cmap.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    cmap
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

    /// A stream object; `dict` adds entries to its dictionary (with a leading space).
    fn stream(&mut self, id: usize, dict: &str, data: &[u8]) {
        let mut body = format!("<< /Length {}{dict} >>\nstream\n", data.len()).into_bytes();
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
    use super::super::fonts::FallbackFonts;
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
    fn titles_are_utf16() {
        assert_eq!(utf16_hex_string("Ré€"), "<FEFF005200E920AC>");
    }

    #[test]
    fn stream_lengths_match_their_data() {
        let mut page = Page::new(Fonts::new(FallbackFonts::none()));
        page.text(
            Font::Bold,
            12.0,
            10.0,
            20.0,
            Rgb(0.0, 0.0, 0.0),
            "Größe (€)",
        );
        let file = document(vec![page], "t", &[]);
        let find = |needle: &[u8], from: usize| {
            file[from..]
                .windows(needle.len())
                .position(|w| w == needle)
                .map(|i| i + from)
        };
        let mut from = 0;
        let mut streams = 0;
        while let Some(at) = find(b"/Length ", from) {
            let length_at = at + b"/Length ".len();
            let digits = file[length_at..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            let length: usize = std::str::from_utf8(&file[length_at..length_at + digits])
                .unwrap()
                .parse()
                .unwrap();
            let start = find(b"stream\n", length_at).unwrap() + b"stream\n".len();
            assert_eq!(&file[start + length..start + length + 10], b"\nendstream");
            from = start + length;
            streams += 1;
        }
        // The bold font's subset and its ToUnicode map, and the page.
        assert_eq!(streams, 3);
        assert!(find(b"/F2 12 Tf <", 0).is_some());
        assert!(find(b"/BaseFont /", 0).is_some());
    }

    #[test]
    fn to_unicode_maps_each_glyph_to_its_character() {
        let glyphs = BTreeMap::from([(0, ('\0', 0.0)), (1, ('Ł', 500.0)), (2, ('😀', 1000.0))]);
        let cmap = to_unicode_cmap(&glyphs);
        assert!(cmap.contains("2 beginbfchar\n<0001> <0141>\n<0002> <D83DDE00>\nendbfchar"));
    }

    #[test]
    fn subset_tags_are_six_capitals_and_stable() {
        let a = subset_tag(&GlyphRemapper::new_from_glyphs(&[3, 7]));
        assert_eq!(a.len(), 6);
        assert!(a.chars().all(|c| c.is_ascii_uppercase()));
        assert_eq!(a, subset_tag(&GlyphRemapper::new_from_glyphs(&[3, 7])));
        assert_ne!(a, subset_tag(&GlyphRemapper::new_from_glyphs(&[3, 8])));
    }
}
