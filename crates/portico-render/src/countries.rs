//! Countries by their names in the portal's languages (CLDR), for country selects and for the
//! country line of printed addresses; the API and the database keep ISO 3166-1 codes.

mod names;

use names::{NAMES, ORDER};

use crate::Locale;

fn column(locale: Locale) -> usize {
    match locale {
        Locale::En => 0,
        Locale::De => 1,
        Locale::Fr => 2,
        Locale::Es => 3,
    }
}

/// The name of the country `code` (ISO 3166-1 alpha-2, any case) in `locale`, if it is one.
pub fn country_name(code: &str, locale: Locale) -> Option<&'static str> {
    let code = code.trim().to_ascii_uppercase();
    NAMES
        .binary_search_by(|(c, _)| (*c).cmp(code.as_str()))
        .ok()
        .map(|i| NAMES[i].1[column(locale)])
}

/// Every country as (code, name), in the alphabetical order of its name in `locale` (accents
/// and case folded: "Österreich" sorts with "Oman", as a German reader looks for it).
pub fn countries_by_name(locale: Locale) -> impl Iterator<Item = (&'static str, &'static str)> {
    let col = column(locale);
    ORDER[col].iter().map(move |&i| {
        let (code, names) = &NAMES[usize::from(i)];
        (*code, names[col])
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use portico_core::model::countries::country_codes;

    use super::*;

    #[test]
    fn every_iso_country_has_a_name_in_every_language() {
        let codes: Vec<&str> = NAMES.iter().map(|(c, _)| *c).collect();
        assert_eq!(
            codes,
            country_codes(),
            "the table has exactly the ISO 3166-1 codes"
        );
        for locale in Locale::ALL {
            let mut seen = HashSet::new();
            for code in country_codes() {
                let name = country_name(code, locale).unwrap_or_default();
                assert!(
                    name.chars().count() > 2 && name != *code,
                    "{code} in {locale}: {name:?}"
                );
                assert!(seen.insert(name), "{name} twice in {locale}");
            }
        }
        assert_eq!(country_name("de", Locale::De), Some("Deutschland"));
        assert_eq!(country_name("US", Locale::Fr), Some("États-Unis"));
        assert_eq!(country_name("GB", Locale::Es), Some("Reino Unido"));
        assert_eq!(country_name("XK", Locale::En), None);
    }

    #[test]
    fn each_language_lists_every_country_once_in_its_alphabetical_order() {
        for locale in Locale::ALL {
            let listed: Vec<&str> = countries_by_name(locale).map(|(c, _)| c).collect();
            let unique: HashSet<&str> = listed.iter().copied().collect();
            assert_eq!((listed.len(), unique.len()), (NAMES.len(), NAMES.len()));
        }
        let position = |locale, name: &str| {
            countries_by_name(locale)
                .position(|(_, n)| n == name)
                .unwrap_or_else(|| panic!("{name} missing in {locale}"))
        };
        for (locale, before, between, after) in [
            (Locale::De, "Oman", "Österreich", "Pakistan"),
            (Locale::En, "Afghanistan", "Åland Islands", "Albania"),
            (Locale::Fr, "Estonie", "États-Unis", "Éthiopie"),
            (Locale::Es, "Alemania", "Andorra", "Angola"),
            (Locale::En, "Czechia", "Denmark", "Djibouti"),
        ] {
            let (a, b, c) = (
                position(locale, before),
                position(locale, between),
                position(locale, after),
            );
            assert!(
                a < b && b < c,
                "{locale}: {before} {a}, {between} {b}, {after} {c}"
            );
        }
        assert_eq!(
            countries_by_name(Locale::De).next(),
            Some(("AF", "Afghanistan"))
        );
    }
}
