//! The vendor's branding as a page shows it: name, logo, support contact, and the primary
//! colour made safe to use, so that text on it and links in it keep WCAG AA contrast (4.5:1)
//! whatever colour the vendor picked.

use portico_core::model::Account;

/// What a page shows of the vendor; without an account (a link that names none), the plain
/// portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brand {
    /// The vendor's display name, else its account name.
    pub vendor: Option<String>,
    /// The colour the vendor picked, or the default.
    pub color: Rgb,
    /// A logo the page may load: `https:` or an inline image.
    pub logo: Option<String>,
    pub support: Option<Support>,
    /// The origins that may frame the portal, for `portal.js` to talk to.
    pub origins: String,
}

/// Where customers ask for help: an e-mail address before a web page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Support {
    Email(String),
    Url(String),
}

impl Brand {
    pub fn of(account: Option<&Account>) -> Brand {
        let Some(account) = account else {
            return Brand {
                vendor: None,
                color: DEFAULT_BRAND,
                logo: None,
                support: None,
                origins: String::new(),
            };
        };
        let b = &account.settings.branding;
        let support = match (&b.support_email, &b.support_url) {
            (Some(email), _) => Some(Support::Email(email.clone())),
            (None, Some(url)) => super::layout::web_url(url).map(|u| Support::Url(u.to_owned())),
            (None, None) => None,
        };
        Brand {
            vendor: Some(vendor_name(account).to_owned()),
            color: b
                .primary_color
                .as_deref()
                .and_then(Rgb::parse)
                .unwrap_or(DEFAULT_BRAND),
            logo: b
                .logo_url
                .clone()
                .filter(|u| u.starts_with("https://") || u.starts_with("data:image/")),
            support,
            origins: account.settings.allowed_origins.join(" "),
        }
    }
}

/// The name customers know the vendor by.
pub fn vendor_name(account: &Account) -> &str {
    account
        .settings
        .branding
        .display_name
        .as_deref()
        .unwrap_or(&account.name)
}

/// The colour the portal uses when the vendor set none.
pub const DEFAULT_BRAND: Rgb = Rgb(0x3b, 0x5b, 0xdb);

/// WCAG AA for normal text.
const AA: f64 = 4.5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` or `#rgb`, any case; anything else is `None`.
    pub fn parse(text: &str) -> Option<Rgb> {
        let hex = text.trim().strip_prefix('#')?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).ok();
        match hex.len() {
            6 => {
                let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
                Some(Rgb(byte(0)?, byte(2)?, byte(4)?))
            }
            3 => Some(Rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            _ => None,
        }
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance as WCAG 2 defines it.
    fn luminance(self) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(self.0) + 0.7152 * channel(self.1) + 0.0722 * channel(self.2)
    }

    fn mix_toward_black(self, keep: f64) -> Rgb {
        let scale = |c: u8| (f64::from(c) * keep).round().clamp(0.0, 255.0) as u8;
        Rgb(scale(self.0), scale(self.1), scale(self.2))
    }
}

pub const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
pub const INK: Rgb = Rgb(0x11, 0x18, 0x27);
/// The page background the portal's CSS uses.
pub const PAGE: Rgb = Rgb(0xf6, 0xf8, 0xfa);

/// The WCAG contrast ratio of two colours, 1 to 21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// The colour darkened in small steps until `good` holds (black at the latest).
fn darken_until(color: Rgb, good: impl Fn(Rgb) -> bool) -> Rgb {
    let mut keep: f64 = 1.0;
    let mut c = color;
    while !good(c) && keep > 0.0 {
        keep -= 0.05;
        c = color.mix_toward_black(keep.max(0.0));
    }
    c
}

/// The colours a page is drawn with for one brand colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    /// Fills: buttons, the current navigation item, the header stripe.
    pub brand: Rgb,
    /// Text on `brand`: white or near-black, whichever reads better.
    pub on_brand: Rgb,
    /// Links and accents on white and on the page background: the brand colour, darkened
    /// until it reaches AA on both.
    pub accent: Rgb,
}

thread_local! {
    /// The last theme worked out on this thread: nearly every page has the same brand colour
    /// as the one before it, and working one out takes many contrast computations.
    static LAST_THEME: std::cell::Cell<Option<(Rgb, Theme)>> = const { std::cell::Cell::new(None) };
}

impl Theme {
    /// [`Theme::new`], remembered for the last colour asked on this thread.
    pub fn of(picked: Rgb) -> Theme {
        if let Some((rgb, theme)) = LAST_THEME.get()
            && rgb == picked
        {
            return theme;
        }
        let theme = Theme::new(picked);
        LAST_THEME.set(Some((picked, theme)));
        theme
    }

    pub fn new(picked: Rgb) -> Theme {
        let (mut brand, on_brand) = if contrast(picked, WHITE) >= contrast(picked, INK) {
            (picked, WHITE)
        } else {
            (picked, INK)
        };
        // Mid-tones read poorly with either text colour: such a fill is darkened under white.
        let on_brand = if contrast(brand, on_brand) < AA {
            brand = darken_until(picked, |c| contrast(c, WHITE) >= AA);
            WHITE
        } else {
            on_brand
        };
        let accent = darken_until(picked, |c| {
            contrast(c, WHITE) >= AA && contrast(c, PAGE) >= AA
        });
        Theme {
            brand,
            on_brand,
            accent,
        }
    }

    /// The theme for a vendor's setting; an unusable value falls back to the default.
    pub fn from_setting(color: Option<&str>) -> Theme {
        Theme::new(color.and_then(Rgb::parse).unwrap_or(DEFAULT_BRAND))
    }

    /// The CSS custom properties the stylesheet reads.
    pub fn css(self) -> String {
        format!(
            ":root{{--brand:{};--on-brand:{};--accent:{}}}\n",
            self.brand.hex(),
            self.on_brand.hex(),
            self.accent.hex()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hex_colours() {
        assert_eq!(Rgb::parse("#4F46E5"), Some(Rgb(0x4f, 0x46, 0xe5)));
        assert_eq!(Rgb::parse("#fff"), Some(WHITE));
        assert_eq!(Rgb::parse("red"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ééé"), None);
    }

    #[test]
    fn every_brand_colour_gets_readable_text_and_links() {
        for c in (0..=255u8).step_by(15) {
            for brand in [
                Rgb(c, c, c),
                Rgb(c, 255 - c, 40),
                Rgb(255, 230, c),
                Rgb(0, c, 255),
            ] {
                let theme = Theme::new(brand);
                assert!(contrast(theme.brand, theme.on_brand) >= AA, "{brand:?}");
                assert!(contrast(theme.accent, WHITE) >= AA, "{brand:?}");
                assert!(contrast(theme.accent, PAGE) >= AA, "{brand:?}");
            }
        }
    }

    #[test]
    fn yellow_gets_dark_text_and_indigo_white() {
        assert_eq!(Theme::new(Rgb(0xff, 0xd4, 0x00)).on_brand, INK);
        for picked in [
            Rgb(0xff, 0xd4, 0x00),
            Rgb(0x4f, 0x46, 0xe5),
            Rgb(0xff, 0xd4, 0x00),
        ] {
            assert_eq!(Theme::of(picked), Theme::new(picked));
        }
        assert_eq!(Theme::new(Rgb(0x4f, 0x46, 0xe5)).on_brand, WHITE);
    }
}
