//! The one validation error of the domain: which field is wrong and why.

use std::fmt;

/// A rejected input, naming the field so that an API client can point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub field: String,
    pub message: String,
}

impl Invalid {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for Invalid {}

pub type ValidationResult<T> = Result<T, Invalid>;

/// Checks a required text field: trimmed, not empty, at most `max` characters.
pub fn required_text(field: &str, value: &str, max: usize) -> ValidationResult<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Invalid::new(field, "must not be empty"));
    }
    bounded_text(field, value, max)
}

/// Checks an optional text field; an empty string counts as absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> ValidationResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => bounded_text(field, v, max).map(Some),
    }
}

fn bounded_text(field: &str, value: &str, max: usize) -> ValidationResult<String> {
    if value.chars().count() > max {
        return Err(Invalid::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Invalid::new(field, "must not contain control characters"));
    }
    if value.chars().any(is_invisible_format) {
        return Err(Invalid::new(
            field,
            "must not contain bidirectional controls or invisible formatting characters",
        ));
    }
    Ok(value.to_owned())
}

/// Characters that change how text around them reads without showing themselves: bidirectional
/// overrides and isolates (a name that renders as another, "invoice spoofing"), zero-width
/// spaces and joiners of words, the byte-order mark and the soft hyphen. The zero-width
/// (non-)joiners U+200C and U+200D stay allowed: Persian, Indic scripts and emoji need them.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// A deliberately small e-mail check: one `@`, something on each side, a dot in the domain.
pub fn email(field: &str, value: &str) -> ValidationResult<String> {
    let value = required_text(field, value, 254)?;
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.contains(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(value)
    } else {
        Err(Invalid::new(field, "must be an e-mail address"))
    }
}

/// An absolute `http(s)` URL, as used for logos, support pages and return links.
pub fn url(field: &str, value: &str) -> ValidationResult<String> {
    let value = required_text(field, value, 2048)?;
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !value.contains(char::is_whitespace) =>
        {
            Ok(value)
        }
        _ => Err(Invalid::new(field, "must be an absolute http or https URL")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_controls_and_invisible_characters_are_refused() {
        for bad in [
            "Acme\u{202E}gnp.exe",
            "Acme\u{2066}Ltd",
            "Ac\u{200B}me",
            "\u{FEFF}Acme",
            "Acme\u{200F}",
            "Acme\u{00AD}Corp",
        ] {
            let e = required_text("name", bad, 100).unwrap_err();
            assert_eq!(e.field, "name", "{bad:?}");
            assert!(e.message.contains("invisible"), "{bad:?}");
            assert!(
                optional_text("address.line1", Some(bad), 100).is_err(),
                "{bad:?}"
            );
        }
        for good in [
            "Müller & Söhne",
            "شرکت\u{200C}ها",
            "Family 👨\u{200D}👩\u{200D}👧",
            "株式会社",
        ] {
            assert_eq!(required_text("name", good, 100).unwrap(), good);
        }
    }

    #[test]
    fn emails() {
        assert!(email("email", "ana@example.com").is_ok());
        for bad in [
            "",
            "ana",
            "ana@",
            "@x.com",
            "ana@x",
            "a b@x.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(email("email", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn urls() {
        assert!(url("u", "https://example.com/back").is_ok());
        for bad in [
            "javascript:alert(1)",
            "//evil.com",
            "https://",
            "ftp://x",
            "https:///x",
        ] {
            assert!(url("u", bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn text_limits() {
        assert_eq!(required_text("name", "  Ada  ", 10).unwrap(), "Ada");
        assert!(required_text("name", "   ", 10).is_err());
        assert!(required_text("name", "abcdefghijk", 10).is_err());
        assert!(required_text("name", "a\u{0}b", 10).is_err());
        for spoof in [
            "Acme\u{202E}fdp.exe",
            "Ac\u{200B}me",
            "\u{2067}Acme",
            "Acme\u{FEFF}",
        ] {
            let e = required_text("name", spoof, 20).unwrap_err();
            assert!(e.message.contains("bidirectional"), "{spoof:?}: {e:?}");
        }
        // Scripts that need joiners keep them.
        assert!(
            required_text(
                "name",
                "\u{0645}\u{06CC}\u{200C}\u{0634}\u{0648}\u{062F}",
                20
            )
            .is_ok()
        );
        assert!(optional_text("x", Some("Zeile\u{00AD}1"), 20).is_err());
        assert_eq!(optional_text("x", Some(" "), 5).unwrap(), None);
    }
}

/// Why a change to an existing record was refused: bad input, or a state that does not allow it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// The record's current state forbids the change (e.g. editing a paid invoice).
    #[error("{0}")]
    Conflict(String),
}

pub fn conflict<T>(message: impl Into<String>) -> Result<T, Refused> {
    Err(Refused::Conflict(message.into()))
}
