//! The fonts invoices are set in: DejaVu Sans (regular and bold) built in, and a CJK font from
//! the system when one is installed.
//!
//! Text is set glyph by glyph from each font's `cmap` and advance widths, without shaping:
//! enough for Latin, Greek, Cyrillic and CJK, which is what billing names and addresses hold.
//! A character no font has is drawn as the font's empty box (still copied as itself), and the
//! document then names the font that is missing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ttf_parser::{Face, GlyphId};

/// DejaVu Sans reduced to Latin, Greek, Cyrillic and common symbols (see `fonts/LICENSE`).
static REGULAR_DATA: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
static BOLD_DATA: &[u8] = include_bytes!("../../fonts/DejaVuSans-Bold.ttf");

/// The name a missing CJK font goes by, and the file names, best first, that provide one.
pub(super) const CJK_FONT_NAME: &str = "Noto Sans CJK";
const CJK_FILES: &[(&str, u32)] = &[
    ("NotoSansCJK-Regular.ttc", 0),
    ("NotoSansCJKsc-Regular.otf", 0),
    ("NotoSansCJKjp-Regular.otf", 0),
    ("NotoSansSC-Regular.otf", 0),
    ("SourceHanSans-Regular.ttc", 0),
    ("SourceHanSansSC-Regular.otf", 0),
    ("DroidSansFallbackFull.ttf", 0),
    ("wqy-zenhei.ttc", 0),
];
const FONT_DIRS: &[&str] = &[
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    "/usr/X11R6/lib/X11/fonts",
    "/Library/Fonts",
    "/System/Library/Fonts",
];

/// A style the layout asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

/// One font file and the face in it that the document uses.
#[derive(Debug)]
pub(super) struct FontFile {
    data: &'static [u8],
    index: u32,
    /// The PostScript name, for the PDF's `/BaseFont`.
    pub(super) name: String,
    /// Outlines in a CFF table (embedded as `FontFile3`), not in `glyf` (`FontFile2`).
    pub(super) cff: bool,
    pub(super) units_per_em: f32,
    pub(super) ascent: f32,
    pub(super) descent: f32,
    pub(super) cap_height: f32,
    pub(super) bbox: [f32; 4],
}

impl FontFile {
    fn parse(data: &'static [u8], index: u32) -> Option<Self> {
        let face = Face::parse(data, index).ok()?;
        let name = face
            .names()
            .into_iter()
            .find(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME && n.is_unicode())
            .and_then(|n| n.to_string())
            .unwrap_or_else(|| "Font".to_owned());
        let name: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
        let bbox = face.global_bounding_box();
        Some(Self {
            data,
            index,
            name,
            cff: face.tables().cff.is_some(),
            units_per_em: f32::from(face.units_per_em()),
            ascent: f32::from(face.ascender()),
            descent: f32::from(face.descender()),
            cap_height: f32::from(face.capital_height().unwrap_or(face.ascender())),
            bbox: [bbox.x_min, bbox.y_min, bbox.x_max, bbox.y_max].map(f32::from),
        })
    }

    fn face(&self) -> Option<Face<'static>> {
        Face::parse(self.data, self.index).ok()
    }

    pub(super) fn data(&self) -> &'static [u8] {
        self.data
    }

    pub(super) fn index(&self) -> u32 {
        self.index
    }

    /// A glyph's advance in 1/1000 em, as PDF widths are given.
    pub(super) fn advance(&self, glyph: u16) -> f32 {
        let units = self
            .face()
            .and_then(|f| f.glyph_hor_advance(GlyphId(glyph)))
            .unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }
}

/// The built-in regular or bold font (anything else asks for regular).
fn builtin(key: FaceKey) -> &'static FontFile {
    static REGULAR: OnceLock<FontFile> = OnceLock::new();
    static BOLD: OnceLock<FontFile> = OnceLock::new();
    let (cell, data) = match key {
        FaceKey::Bold => (&BOLD, BOLD_DATA),
        _ => (&REGULAR, REGULAR_DATA),
    };
    // The built-in fonts are tested below: parsing them cannot fail.
    cell.get_or_init(|| FontFile::parse(data, 0).unwrap_or_else(|| unreachable!()))
}

/// The CJK font the invoices fall back to for characters DejaVu Sans lacks.
#[derive(Debug, Clone, Copy, Default)]
pub struct FallbackFonts {
    cjk: Option<&'static FontFile>,
}

impl FallbackFonts {
    /// No fallback: CJK text prints as empty boxes and the document names the missing font.
    pub fn none() -> Self {
        Self::default()
    }

    /// The fonts found in the system's font directories, looked for once per process (a CJK
    /// font is some 20 MB, read once and kept).
    pub fn system() -> Self {
        static SYSTEM: OnceLock<FallbackFonts> = OnceLock::new();
        *SYSTEM.get_or_init(|| {
            let mut dirs: Vec<PathBuf> = FONT_DIRS.iter().map(PathBuf::from).collect();
            if let Some(home) = std::env::var_os("HOME") {
                let home = PathBuf::from(home);
                dirs.push(home.join(".local/share/fonts"));
                dirs.push(home.join(".fonts"));
            }
            Self::from_dirs(&dirs)
        })
    }

    /// The best CJK font under `dirs` (searched a few levels deep). Each call that finds one
    /// reads it into memory for the rest of the process: call it once.
    pub fn from_dirs(dirs: &[PathBuf]) -> Self {
        for (file, index) in CJK_FILES {
            for dir in dirs {
                let Some(path) = find_file(dir, file, 4) else {
                    continue;
                };
                let Ok(data) = std::fs::read(&path) else {
                    continue;
                };
                let data: &'static [u8] = Box::leak(data.into_boxed_slice());
                if let Some(font) = FontFile::parse(data, *index) {
                    return Self {
                        cjk: Some(Box::leak(Box::new(font))),
                    };
                }
            }
        }
        Self::none()
    }

    /// Whether a CJK font was found.
    pub fn has_cjk(&self) -> bool {
        self.cjk.is_some()
    }
}

fn find_file(dir: &Path, name: &str, depth: usize) -> Option<PathBuf> {
    let candidate = dir.join(name);
    if candidate.is_file() {
        return Some(candidate);
    }
    if depth == 0 {
        return None;
    }
    let mut subdirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    subdirs.sort();
    subdirs
        .iter()
        .find_map(|sub| find_file(sub, name, depth - 1))
}

/// Which font file a piece of text is set in: the built-in regular and bold, then the fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum FaceKey {
    Regular,
    Bold,
    Cjk,
}

impl FaceKey {
    /// The name the page resources give the font.
    pub(super) fn resource(self) -> &'static str {
        match self {
            FaceKey::Regular => "F1",
            FaceKey::Bold => "F2",
            FaceKey::Cjk => "F3",
        }
    }
}

/// One character set: the font it is drawn with and its glyph there (0, the empty box, when
/// no font has it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Glyph {
    pub(super) face: FaceKey,
    pub(super) id: u16,
    pub(super) ch: char,
    /// Advance in 1/1000 em.
    pub(super) advance: f32,
}

impl Glyph {
    pub(super) fn missing(&self) -> bool {
        self.id == 0
    }
}

/// The fonts a document is set in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fonts {
    fallback: FallbackFonts,
}

impl Fonts {
    pub(super) fn new(fallback: FallbackFonts) -> Self {
        Self { fallback }
    }

    pub(super) fn file(&self, key: FaceKey) -> Option<&'static FontFile> {
        match key {
            FaceKey::Regular | FaceKey::Bold => Some(builtin(key)),
            FaceKey::Cjk => self.fallback.cjk,
        }
    }

    /// The glyphs `text` is drawn with in `font`. White space of every kind is a plain space
    /// (no PDF line reflows) and soft hyphens are dropped.
    pub(super) fn glyphs(&self, font: Font, text: &str) -> Vec<Glyph> {
        let primary = match font {
            Font::Regular => FaceKey::Regular,
            Font::Bold => FaceKey::Bold,
        };
        let faces: Vec<(FaceKey, Face<'static>)> = [primary, FaceKey::Cjk]
            .into_iter()
            .filter_map(|key| Some((key, self.file(key)?.face()?)))
            .collect();
        let mut glyphs = Vec::with_capacity(text.len());
        for ch in text.chars() {
            let ch = match ch {
                '\u{ad}' => continue,
                '\u{a0}' | '\u{202f}' => ch,
                c if c.is_whitespace() => ' ',
                c if c.is_control() => continue,
                c => c,
            };
            let found = faces.iter().find_map(|(key, face)| {
                let id = face.glyph_index(ch)?;
                let file = self.file(*key)?;
                Some((*key, id.0, file))
            });
            let (face, id, file) = found.unwrap_or((primary, 0, builtin(primary)));
            glyphs.push(Glyph {
                face,
                id,
                ch,
                advance: file.advance(id),
            });
        }
        glyphs
    }

    /// Width in points of `text` set in `font` at `size`.
    pub(super) fn width(&self, font: Font, text: &str, size: f32) -> f32 {
        self.glyphs(font, text)
            .iter()
            .map(|g| g.advance)
            .sum::<f32>()
            * size
            / 1000.0
    }
}

/// Whether `c` is written in a CJK script (Han, kana, Hangul and their punctuation).
pub(super) fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{1100}'..='\u{11ff}'
        | '\u{2e80}'..='\u{2fdf}'
        | '\u{3000}'..='\u{30ff}'
        | '\u{3130}'..='\u{318f}'
        | '\u{31c0}'..='\u{9fff}'
        | '\u{a960}'..='\u{a97f}'
        | '\u{ac00}'..='\u{d7ff}'
        | '\u{f900}'..='\u{faff}'
        | '\u{fe30}'..='\u{fe4f}'
        | '\u{ff00}'..='\u{ffef}'
        | '\u{20000}'..='\u{3134f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_fonts_parse_and_cover_european_scripts() {
        let fonts = Fonts::new(FallbackFonts::none());
        for font in [Font::Regular, Font::Bold] {
            for glyph in fonts.glyphs(font, "Łódź Spółka – Ελληνικά Кириллица €1,234.56 №")
            {
                assert!(!glyph.missing(), "{:?} in {font:?}", glyph.ch);
                assert!(glyph.advance > 0.0, "{:?}", glyph.ch);
            }
        }
        assert_eq!(builtin(FaceKey::Regular).name, "DejaVuSans");
        assert_eq!(builtin(FaceKey::Bold).name, "DejaVuSansBold");
        assert!(!builtin(FaceKey::Regular).cff);
    }

    #[test]
    fn widths_come_from_the_font() {
        let fonts = Fonts::new(FallbackFonts::none());
        // DejaVu Sans: 2048 units per em, "0" advances 1303 units, bold "0" 1425.
        let zero = fonts.width(Font::Regular, "0", 1000.0);
        assert!((zero - 636.23).abs() < 0.01, "{zero}");
        let bold = fonts.width(Font::Bold, "0", 1000.0);
        assert!((bold - 695.80).abs() < 0.01, "{bold}");
        assert_eq!(
            fonts.width(Font::Regular, "0123456789", 10.0),
            10.0 * fonts.width(Font::Regular, "0", 10.0)
        );
        assert!(fonts.width(Font::Bold, "Total", 10.0) > fonts.width(Font::Regular, "Total", 10.0));
    }

    #[test]
    fn spaces_are_normalised_and_soft_hyphens_dropped() {
        let fonts = Fonts::new(FallbackFonts::none());
        let chars: String = fonts
            .glyphs(Font::Regular, "a\tb\u{ad}c\nd\u{a0}e\u{1}")
            .iter()
            .map(|g| g.ch)
            .collect();
        assert_eq!(chars, "a bc d\u{a0}e");
    }

    #[test]
    fn characters_without_a_font_are_empty_boxes() {
        let fonts = Fonts::new(FallbackFonts::none());
        let glyphs = fonts.glyphs(Font::Regular, "a日");
        assert!(!glyphs[0].missing());
        assert!(glyphs[1].missing());
        assert_eq!(glyphs[1].ch, '日');
        assert!(is_cjk('日') && is_cjk('ひ') && is_cjk('한') && !is_cjk('Ł'));
    }
}
