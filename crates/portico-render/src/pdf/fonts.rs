//! The two standard PDF fonts the invoice uses: WinAnsi encoding and Adobe's glyph widths.
//!
//! Helvetica is one of the 14 fonts every PDF viewer has, so nothing is embedded; but the
//! writer must know each glyph's width itself to right-align amounts.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

impl Font {
    pub(super) const ALL: [Font; 2] = [Font::Regular, Font::Bold];

    /// The name the page resources give the font.
    pub(super) fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }

    pub(super) fn base_font(self) -> &'static str {
        match self {
            Font::Regular => "Helvetica",
            Font::Bold => "Helvetica-Bold",
        }
    }

    /// Glyph widths in 1/1000 em of the codes 32 to 255.
    pub(super) fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }

    /// Width in points of WinAnsi-encoded `text` set at `size`.
    pub(super) fn width(self, text: &[u8], size: f32) -> f32 {
        let table = self.widths();
        let units: u32 = text
            .iter()
            .map(|&b| {
                usize::from(b)
                    .checked_sub(0x20)
                    .map_or(0, |i| u32::from(table[i]))
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// Encodes text for `/WinAnsiEncoding` (Windows-1252). Characters the encoding lacks become `?`
/// so that a missing glyph is visible instead of silently dropped.
pub(super) fn encode(text: &str) -> Vec<u8> {
    text.chars().filter_map(winansi).collect()
}

fn winansi(c: char) -> Option<u8> {
    let byte = match c {
        // Soft hyphens only matter where text reflows; a PDF line never does.
        '\u{ad}' => return None,
        ' '..='~' | '\u{a0}'..='\u{ff}' => c as u8,
        '\t' | '\n' | '\r' | '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' => b' ',
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => b'?',
    };
    Some(byte)
}

// Advance widths (1/1000 em) of the WinAnsi codes 0x20..=0xFF, taken from Adobe's
// Helvetica.afm and Helvetica-Bold.afm; 0 marks a code WinAnsi leaves undefined.
#[rustfmt::skip]
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0x30
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // 0x50
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // 0x60
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, 0, // 0x70
    556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 578, 537, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500, // 0xF0
];
#[rustfmt::skip]
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // 0x20
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0x30
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // 0x40
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // 0x50
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // 0x60
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, 0, // 0x70
    556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, // 0x80
    0, 278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, // 0x90
    278, 333, 556, 556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, // 0xA0
    400, 584, 333, 333, 333, 611, 556, 278, 333, 333, 365, 556, 834, 834, 834, 611, // 0xB0
    722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667, 278, 278, 278, 278, // 0xC0
    722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667, 611, // 0xD0
    556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, // 0xE0
    611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556, // 0xF0
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_maps_to_windows_1252() {
        assert_eq!(encode("A€’é"), [b'A', 0x80, 0x92, 0xE9]);
        assert_eq!(encode("1\u{202f}234,56\u{a0}€"), b"1 234,56\xa0\x80");
        assert_eq!(encode("Ärger – „gut“"), b"\xc4rger \x96 \x84gut\x93");
        assert_eq!(encode("日本\u{ad}x"), b"??x");
        assert_eq!(encode("a\tb\u{2212}1"), b"a b-1");
    }

    #[test]
    fn widths_come_from_the_afm_files() {
        assert_eq!(Font::Regular.width(b"A", 1000.0), 667.0);
        assert_eq!(Font::Bold.width(b"A", 1000.0), 722.0);
        assert_eq!(Font::Regular.width(&[0x80], 1000.0), 556.0);
        assert_eq!(Font::Regular.width(b"0123456789", 10.0), 55.6);
        assert_eq!(Font::Bold.width(b"i", 1000.0), 278.0);
        assert_eq!(Font::Regular.width(b"\x01", 10.0), 0.0);
    }

    #[test]
    fn every_encoded_character_has_a_width() {
        let all: String = (' '..='\u{ff}')
            .chain("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ".chars())
            .collect();
        for byte in encode(&all) {
            for font in Font::ALL {
                assert!(font.width(&[byte], 1.0) > 0.0, "{byte:#x} in {font:?}");
            }
        }
    }
}
