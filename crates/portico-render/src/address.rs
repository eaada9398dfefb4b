//! Postal addresses as the lines of a label: in the order the country's post expects, with the
//! country named in the reader's language.

use portico_core::model::Address;

use crate::Locale;
use crate::countries::country_name;

/// The address as the lines of a label; empty parts leave no blank lines. The US writes
/// `Springfield, IL 62701`, Canada and Australia `Toronto ON M5V 3L9`; elsewhere the postal
/// code leads the city and a region has its own line. The country is named in `locale` (an
/// unknown code, stored before codes were checked, stays as it is).
pub fn format_address(address: &Address, locale: Locale) -> Vec<String> {
    let part = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or("").to_owned();
    let (city, state, postal) = (
        part(&address.city),
        part(&address.state),
        part(&address.postal_code),
    );
    let code = part(&address.country).to_ascii_uppercase();
    let mut lines = vec![part(&address.line1), part(&address.line2)];
    match code.as_str() {
        "US" => {
            let region = join_nonempty(&[&state, &postal], " ");
            lines.push(join_nonempty(&[&city, &region], ", "));
        }
        "CA" | "AU" => lines.push(join_nonempty(&[&city, &state, &postal], " ")),
        _ => {
            lines.push(join_nonempty(&[&postal, &city], " "));
            lines.push(state);
        }
    }
    lines.push(country_name(&code, locale).map_or(code, str::to_owned));
    lines.retain(|line| !line.is_empty());
    lines
}

fn join_nonempty(parts: &[&str], separator: &str) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(separator)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(
        line1: &str,
        line2: &str,
        city: &str,
        state: &str,
        postal: &str,
        country: &str,
    ) -> Address {
        let opt = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Address {
            line1: opt(line1),
            line2: opt(line2),
            city: opt(city),
            state: opt(state),
            postal_code: opt(postal),
            country: opt(country),
        }
    }

    #[test]
    fn addresses_follow_the_country_and_name_it_in_the_readers_language() {
        let berlin = address("Torstraße 1", "", "Berlin", "", "10119", "DE");
        assert_eq!(
            format_address(&berlin, Locale::De),
            ["Torstraße 1", "10119 Berlin", "Deutschland"]
        );
        assert_eq!(
            format_address(&berlin, Locale::Fr),
            ["Torstraße 1", "10119 Berlin", "Allemagne"]
        );
        let springfield = address(
            "100 Industrial Way",
            "Suite 5",
            "Springfield",
            "IL",
            "62701",
            "US",
        );
        assert_eq!(
            format_address(&springfield, Locale::En),
            [
                "100 Industrial Way",
                "Suite 5",
                "Springfield, IL 62701",
                "United States"
            ]
        );
        let toronto = address("1 Front St W", "", "Toronto", "ON", "M5J 2X5", "CA");
        assert_eq!(
            format_address(&toronto, Locale::Es),
            ["1 Front St W", "Toronto ON M5J 2X5", "Canadá"]
        );
        let sydney = address("1 Macquarie St", "", "Sydney", "NSW", "2000", "au");
        assert_eq!(
            format_address(&sydney, Locale::En),
            ["1 Macquarie St", "Sydney NSW 2000", "Australia"]
        );
        let madrid = address("Calle Mayor 1", "", "Madrid", "Madrid", "28013", "es");
        assert_eq!(
            format_address(&madrid, Locale::Es),
            ["Calle Mayor 1", "28013 Madrid", "Madrid", "España"]
        );
        assert!(format_address(&Address::default(), Locale::En).is_empty());
        let city_only = address("", "", "Lyon", "", "", "");
        assert_eq!(format_address(&city_only, Locale::Fr), ["Lyon"]);
        let unknown = address("", "", "Pristina", "", "", "XK");
        assert_eq!(format_address(&unknown, Locale::En), ["Pristina", "XK"]);
    }
}
