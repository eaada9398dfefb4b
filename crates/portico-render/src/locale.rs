//! The portal's languages, and how a request picks one of them.

use std::fmt;

/// A language the portal speaks. Regional tags (`de-AT`, `fr_CA`) use their base language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
    Es,
}

/// A header is client input: past this many entries nobody is stating a real preference.
const MAX_ACCEPT_ENTRIES: usize = 32;

impl Locale {
    pub const ALL: [Locale; 4] = [Locale::En, Locale::De, Locale::Fr, Locale::Es];

    /// Reads a language tag such as `de`, `de-AT` or `fr_CA`; only the primary subtag counts,
    /// in any letter case.
    pub fn parse(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?;
        match primary.to_ascii_lowercase().as_str() {
            "en" => Some(Locale::En),
            "de" => Some(Locale::De),
            "fr" => Some(Locale::Fr),
            "es" => Some(Locale::Es),
            _ => None,
        }
    }

    /// The BCP 47 tag, for `<html lang>` and `Content-Language`.
    pub fn as_str(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::De => "de",
            Locale::Fr => "fr",
            Locale::Es => "es",
        }
    }

    /// The language's name in itself, as a language switcher shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Locale::En => "English",
            Locale::De => "Deutsch",
            Locale::Fr => "Français",
            Locale::Es => "Español",
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Picks the portal language: the session's locale if supported, else the supported language
/// the browser's `Accept-Language` prefers most, else the account's default, else English.
pub fn negotiate(
    session_locale: Option<&str>,
    accept_language: Option<&str>,
    account_default: &str,
) -> Locale {
    let fallback = Locale::parse(account_default).unwrap_or_default();
    session_locale
        .and_then(Locale::parse)
        .or_else(|| accept_language.and_then(|header| best_accepted(header, fallback)))
        .unwrap_or(fallback)
}

/// The supported locale with the highest q-value; ties go to the earlier entry, as browsers
/// list languages in order of preference. `*` accepts anything, so it means the account default.
fn best_accepted(header: &str, wildcard: Locale) -> Option<Locale> {
    let entries: Vec<(&str, u16)> = header
        .split(',')
        .take(MAX_ACCEPT_ENTRIES)
        .filter_map(parse_entry)
        .collect();
    let refused = |locale: Locale| {
        entries
            .iter()
            .any(|&(tag, q)| q == 0 && Locale::parse(tag) == Some(locale))
    };
    let mut best: Option<(u16, Locale)> = None;
    for &(tag, q) in &entries {
        let locale = match tag {
            "*" => wildcard,
            _ => match Locale::parse(tag) {
                Some(locale) => locale,
                None => continue,
            },
        };
        if q > 0 && !refused(locale) && best.is_none_or(|(best_q, _)| q > best_q) {
            best = Some((q, locale));
        }
    }
    best.map(|(_, locale)| locale)
}

/// One `tag;q=0.8` entry as (tag, q in thousandths); `None` when malformed, so that a broken
/// entry is ignored rather than guessed at.
fn parse_entry(entry: &str) -> Option<(&str, u16)> {
    let mut parts = entry.split(';');
    let tag = parts.next()?.trim();
    let tag_ok = tag == "*"
        || (!tag.is_empty()
            && tag.len() <= 35
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    if !tag_ok {
        return None;
    }
    let mut q = 1000;
    for param in parts {
        let (name, value) = param.trim().split_once('=')?;
        if name.trim().eq_ignore_ascii_case("q") {
            q = parse_qvalue(value.trim())?;
        }
    }
    Some((tag, q))
}

/// RFC 9110 `qvalue`: `0` to `1` with at most three decimals, as thousandths (no floats).
fn parse_qvalue(text: &str) -> Option<u16> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = frac
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, digit| acc * 10 + u16::from(digit - b'0'));
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_parse_to_their_base_language() {
        for (tag, want) in [
            ("de", Some(Locale::De)),
            ("de-AT", Some(Locale::De)),
            ("fr_CA", Some(Locale::Fr)),
            ("EN-us", Some(Locale::En)),
            ("es-419", Some(Locale::Es)),
            (" fr ", Some(Locale::Fr)),
            ("", None),
            ("english", None),
            ("d", None),
            ("*", None),
            ("it", None),
            ("zh-Hans", None),
            ("-de", None),
        ] {
            assert_eq!(Locale::parse(tag), want, "tag {tag:?}");
        }
    }

    #[test]
    fn locales_round_trip_through_their_tag() {
        for locale in Locale::ALL {
            assert_eq!(Locale::parse(locale.as_str()), Some(locale));
            assert_eq!(locale.to_string(), locale.as_str());
        }
    }

    #[test]
    fn the_session_locale_wins_when_supported() {
        assert_eq!(negotiate(Some("fr"), Some("de"), "es"), Locale::Fr);
        assert_eq!(negotiate(Some("es-MX"), None, "de"), Locale::Es);
        assert_eq!(negotiate(Some("it"), Some("de"), "es"), Locale::De);
        assert_eq!(negotiate(Some(""), None, "fr"), Locale::Fr);
    }

    #[test]
    fn accept_language_goes_by_q_value() {
        let pick = |header| negotiate(None, Some(header), "en");
        assert_eq!(pick("it, de;q=0.5, fr;q=0.8"), Locale::Fr);
        assert_eq!(pick("de-CH, de;q=0.9, en;q=0.8"), Locale::De);
        assert_eq!(pick("en;q=0.1,es;q=1.0"), Locale::Es);
        assert_eq!(pick("fr;Q=0.9, es;q=0.95"), Locale::Es);
        assert_eq!(pick("fr ; q=0.9 , de;q=0.3"), Locale::Fr);
        assert_eq!(pick("pt-BR, es;q=0.001"), Locale::Es);
    }

    #[test]
    fn equal_q_values_keep_the_browser_order() {
        let pick = |header| negotiate(None, Some(header), "en");
        assert_eq!(pick("es;q=0.8, fr;q=0.8"), Locale::Es);
        assert_eq!(pick("de, fr"), Locale::De);
    }

    #[test]
    fn q_zero_refuses_a_language() {
        assert_eq!(negotiate(None, Some("de;q=0, fr;q=0.1"), "en"), Locale::Fr);
        assert_eq!(negotiate(None, Some("de;q=0"), "es"), Locale::Es);
        assert_eq!(
            negotiate(None, Some("*, de;q=0, es;q=0.5"), "de"),
            Locale::Es
        );
    }

    #[test]
    fn a_wildcard_means_the_account_default() {
        assert_eq!(negotiate(None, Some("it, *;q=0.5"), "de"), Locale::De);
        assert_eq!(negotiate(None, Some("*"), "xx"), Locale::En);
        assert_eq!(negotiate(None, Some("*;q=0.1, fr;q=0.9"), "de"), Locale::Fr);
        assert_eq!(negotiate(None, Some("fr;q=0.1, *;q=0.9"), "es"), Locale::Es);
    }

    #[test]
    fn garbage_is_ignored_entry_by_entry() {
        let header = "it;q=abc, fr;q=2, ;;;, de;q=0.0001, ,,, en-US;q=1.5, es=1, fr;q";
        assert_eq!(negotiate(None, Some(header), "es"), Locale::Es);
        assert_eq!(negotiate(None, Some("\u{0}de, fr"), "en"), Locale::Fr);
        assert_eq!(negotiate(None, Some("dé, <script>"), "de"), Locale::De);
        assert_eq!(negotiate(None, Some(""), "fr"), Locale::Fr);
        assert_eq!(negotiate(None, Some("de;q=-1, fr;q=0.5"), "en"), Locale::Fr);
    }

    #[test]
    fn long_headers_are_cut_off() {
        let mut header = "it, ".repeat(MAX_ACCEPT_ENTRIES);
        header.push_str("fr");
        assert_eq!(negotiate(None, Some(&header), "de"), Locale::De);
    }

    #[test]
    fn the_account_default_then_english_close_the_chain() {
        assert_eq!(negotiate(None, None, "de"), Locale::De);
        assert_eq!(negotiate(None, None, "de-AT"), Locale::De);
        assert_eq!(negotiate(None, Some("it, pt"), "fr"), Locale::Fr);
        assert_eq!(negotiate(None, None, "pt"), Locale::En);
        assert_eq!(negotiate(None, None, ""), Locale::En);
    }

    #[test]
    fn qvalues_follow_the_grammar() {
        assert_eq!(parse_qvalue("1"), Some(1000));
        assert_eq!(parse_qvalue("1.000"), Some(1000));
        assert_eq!(parse_qvalue("0.5"), Some(500));
        assert_eq!(parse_qvalue("0.05"), Some(50));
        assert_eq!(parse_qvalue("0"), Some(0));
        assert_eq!(parse_qvalue("0."), Some(0));
        for bad in ["1.001", "2", "0.0001", "", ".5", "0,5", "abc", "-0"] {
            assert_eq!(parse_qvalue(bad), None, "{bad:?}");
        }
    }
}
