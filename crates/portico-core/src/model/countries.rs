//! Countries (ISO 3166-1 alpha-2) and, for those whose post needs one, their regions (ISO 3166-2
//! subdivisions): which codes exist and which region codes a country's addresses may carry.

mod table;

use crate::error::Invalid;

/// One region of a country: its ISO 3166-2 code without the country prefix (`IL` for `US-IL`)
/// and its English name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every ISO 3166-1 alpha-2 code, in order.
pub fn country_codes() -> &'static [&'static str] {
    table::CODES
}

/// Whether `code` (upper case) is an ISO 3166-1 alpha-2 code.
pub fn is_country(code: &str) -> bool {
    table::CODES.binary_search(&code).is_ok()
}

/// The countries whose addresses need a region from a list, in order.
pub fn countries_with_regions() -> impl Iterator<Item = &'static str> {
    table::REGIONS.iter().map(|(country, _)| *country)
}

/// The regions of `country` (upper case) by name, if its addresses need one.
pub fn regions(country: &str) -> Option<impl Iterator<Item = Region>> {
    table::REGIONS
        .iter()
        .find(|(c, _)| *c == country)
        .map(|(_, list)| list.iter().map(|&(code, name)| Region { code, name }))
}

/// The region of `country` that `input` names: its code with or without the country prefix
/// (`IL`, `us-il`) or its name (`Illinois`), in any letter case.
pub fn find_region(country: &str, input: &str) -> Option<Region> {
    let input = input.trim();
    let code = input
        .get(..country.len() + 1)
        .filter(|prefix| prefix.eq_ignore_ascii_case(&format!("{country}-")))
        .map_or(input, |_| &input[country.len() + 1..]);
    regions(country)?
        .find(|r| r.code.eq_ignore_ascii_case(code) || r.name.eq_ignore_ascii_case(input))
}

/// Checks an address's region against its country: where the country has a list, the region
/// must be on it (and is given back as its code); elsewhere it is free text, kept as it is.
pub fn check_region(
    field: &str,
    country: Option<&str>,
    region: Option<String>,
) -> Result<Option<String>, Invalid> {
    let Some(country) = country.filter(|c| regions(c).is_some()) else {
        return Ok(region);
    };
    let example = regions(country)
        .and_then(|mut list| list.next())
        .map_or("", |r| r.code);
    match region.as_deref().map(|r| find_region(country, r)) {
        Some(Some(found)) => Ok(Some(found.code.to_owned())),
        Some(None) => Err(Invalid::new(
            field,
            format!("must be a region of {country}: its ISO 3166-2 code such as {example}"),
        )),
        None => Err(Invalid::new(
            field,
            format!("is required for {country}: its ISO 3166-2 code such as {example}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_list_is_iso_3166_1() {
        assert_eq!(country_codes().len(), 249);
        assert!(country_codes().windows(2).all(|w| w[0] < w[1]), "sorted");
        for code in ["DE", "US", "AX", "XK"] {
            assert_eq!(is_country(code), code != "XK", "{code}");
        }
        assert!(!is_country("de"));
    }

    #[test]
    fn us_canadian_and_australian_regions_are_listed() {
        let count = |c| regions(c).map(Iterator::count);
        assert_eq!(count("US"), Some(57));
        assert_eq!(count("CA"), Some(13));
        assert_eq!(count("AU"), Some(8));
        assert_eq!(count("DE"), None);
        assert_eq!(
            countries_with_regions().collect::<Vec<_>>(),
            ["AU", "CA", "US"]
        );
    }

    #[test]
    fn regions_are_found_by_code_or_name() {
        for (country, input, code) in [
            ("US", "IL", "IL"),
            ("US", "us-il", "IL"),
            ("US", " Illinois ", "IL"),
            ("CA", "qc", "QC"),
            ("CA", "Quebec", "QC"),
            ("AU", "NSW", "NSW"),
            ("AU", "AU-VIC", "VIC"),
        ] {
            assert_eq!(
                find_region(country, input).map(|r| r.code),
                Some(code),
                "{country} {input}"
            );
        }
        for (country, input) in [("US", "ON"), ("CA", "IL"), ("US", "CA-ON"), ("DE", "BE")] {
            assert_eq!(find_region(country, input), None, "{country} {input}");
        }
    }

    #[test]
    fn a_region_is_checked_only_where_the_country_has_a_list() {
        assert_eq!(
            check_region("state", Some("US"), Some("Texas".into())),
            Ok(Some("TX".into()))
        );
        let wrong = check_region("state", Some("US"), Some("Bavaria".into())).unwrap_err();
        assert_eq!(wrong.field, "state");
        assert!(wrong.message.contains("region of US"), "{}", wrong.message);
        let missing = check_region("state", Some("CA"), None).unwrap_err();
        assert!(missing.message.contains("required"), "{}", missing.message);
        assert_eq!(
            check_region("state", Some("DE"), Some("Bayern".into())),
            Ok(Some("Bayern".into()))
        );
        assert_eq!(
            check_region("state", None, Some("x".into())),
            Ok(Some("x".into()))
        );
    }
}
