//! Offline format checks of tax IDs by country: EU VAT numbers per member state, the UK, Swiss,
//! Norwegian, Australian (ABN, with its check digits), US (EIN) and Canadian (BN) numbers.
//!
//! Only the shape is checked, never whether the number is registered (no remote lookup). A
//! country without a known format accepts 3 to 30 letters, digits and separators.

use crate::error::{self, Invalid, ValidationResult};

/// Why a tax ID does not fit its country.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxIdMismatch {
    /// A number of the right shape, to show the customer ("DE123456789").
    pub example: String,
}

/// One country's numbers: the prefix they start with (added when left out), and the shapes
/// that may follow it: `d` a digit, `a` a letter, `x` either, anything else itself.
struct Format {
    country: &'static str,
    prefix: &'static str,
    shapes: &'static [&'static str],
}

const FORMATS: &[Format] = &[
    Format {
        country: "AT",
        prefix: "ATU",
        shapes: &["dddddddd"],
    },
    Format {
        country: "BE",
        prefix: "BE",
        shapes: &["0ddddddddd", "1ddddddddd"],
    },
    Format {
        country: "BG",
        prefix: "BG",
        shapes: &["ddddddddd", "dddddddddd"],
    },
    Format {
        country: "CY",
        prefix: "CY",
        shapes: &["dddddddda"],
    },
    Format {
        country: "CZ",
        prefix: "CZ",
        shapes: &["dddddddd", "ddddddddd", "dddddddddd"],
    },
    Format {
        country: "DE",
        prefix: "DE",
        shapes: &["ddddddddd"],
    },
    Format {
        country: "DK",
        prefix: "DK",
        shapes: &["dddddddd"],
    },
    Format {
        country: "EE",
        prefix: "EE",
        shapes: &["ddddddddd"],
    },
    Format {
        country: "GR",
        prefix: "EL",
        shapes: &["ddddddddd"],
    },
    Format {
        country: "ES",
        prefix: "ES",
        shapes: &["xdddddddx"],
    },
    Format {
        country: "FI",
        prefix: "FI",
        shapes: &["dddddddd"],
    },
    Format {
        country: "FR",
        prefix: "FR",
        shapes: &["xxddddddddd"],
    },
    Format {
        country: "HR",
        prefix: "HR",
        shapes: &["ddddddddddd"],
    },
    Format {
        country: "HU",
        prefix: "HU",
        shapes: &["dddddddd"],
    },
    Format {
        country: "IE",
        prefix: "IE",
        shapes: &["ddddddda", "dddddddaa", "dxddddda"],
    },
    Format {
        country: "IT",
        prefix: "IT",
        shapes: &["ddddddddddd"],
    },
    Format {
        country: "LT",
        prefix: "LT",
        shapes: &["ddddddddd", "dddddddddddd"],
    },
    Format {
        country: "LU",
        prefix: "LU",
        shapes: &["dddddddd"],
    },
    Format {
        country: "LV",
        prefix: "LV",
        shapes: &["ddddddddddd"],
    },
    Format {
        country: "MT",
        prefix: "MT",
        shapes: &["dddddddd"],
    },
    Format {
        country: "NL",
        prefix: "NL",
        shapes: &["dddddddddBdd"],
    },
    Format {
        country: "PL",
        prefix: "PL",
        shapes: &["dddddddddd"],
    },
    Format {
        country: "PT",
        prefix: "PT",
        shapes: &["ddddddddd"],
    },
    Format {
        country: "RO",
        prefix: "RO",
        shapes: &[
            "dd",
            "ddd",
            "dddd",
            "ddddd",
            "dddddd",
            "ddddddd",
            "dddddddd",
            "ddddddddd",
            "dddddddddd",
        ],
    },
    Format {
        country: "SE",
        prefix: "SE",
        shapes: &["dddddddddd01"],
    },
    Format {
        country: "SI",
        prefix: "SI",
        shapes: &["dddddddd"],
    },
    Format {
        country: "SK",
        prefix: "SK",
        shapes: &["dddddddddd"],
    },
    Format {
        country: "GB",
        prefix: "GB",
        shapes: &["ddddddddd", "dddddddddddd", "GDddd", "HAddd"],
    },
    Format {
        country: "CH",
        prefix: "CHE",
        shapes: &["ddddddddd", "dddddddddMWST", "dddddddddTVA", "dddddddddIVA"],
    },
    Format {
        country: "NO",
        prefix: "NO",
        shapes: &["dddddddddMVA"],
    },
    Format {
        country: "AU",
        prefix: "",
        shapes: &["ddddddddddd"],
    },
    Format {
        country: "US",
        prefix: "",
        shapes: &["ddddddddd"],
    },
    Format {
        country: "CA",
        prefix: "",
        shapes: &["ddddddddd", "dddddddddaadddd"],
    },
];

fn fits(shape: &str, text: &str) -> bool {
    shape.len() == text.len()
        && shape.bytes().zip(text.bytes()).all(|(s, c)| match s {
            b'd' => c.is_ascii_digit(),
            b'a' => c.is_ascii_uppercase(),
            b'x' => c.is_ascii_alphanumeric(),
            _ => s == c,
        })
}

/// The ABN's check: weights 10, 1, 3, …, 19 over the digits with 1 taken from the first; the
/// sum divides by 89.
fn abn_checks(digits: &str) -> bool {
    const WEIGHTS: [u32; 11] = [10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19];
    let values: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if values.len() != 11 || values[0] == 0 {
        return false;
    }
    let sum: u32 = values
        .iter()
        .zip(WEIGHTS)
        .enumerate()
        .map(|(i, (v, w))| if i == 0 { (v - 1) * w } else { v * w })
        .sum();
    sum.is_multiple_of(89)
}

fn example(format: &Format) -> String {
    let mut digits = "123456789012".chars().cycle();
    let body: String = format.shapes[0]
        .chars()
        .map(|c| match c {
            'd' | 'x' => digits.next().unwrap_or('1'),
            'a' => 'X',
            other => other,
        })
        .collect();
    match format.country {
        "AU" => "51 824 753 556".to_owned(),
        "US" => "12-3456789".to_owned(),
        _ => format!("{}{body}", format.prefix),
    }
}

/// A tax ID of the right shape for `country` (ISO 3166-1 alpha-2, any case), to show as an
/// example.
pub fn tax_id_example(country: &str) -> String {
    let country = country.trim().to_ascii_uppercase();
    FORMATS
        .iter()
        .find(|f| f.country == country)
        .map_or_else(|| ANY_EXAMPLE.to_owned(), example)
}

/// The example for countries without a known format.
const ANY_EXAMPLE: &str = "AB123456789";

/// Checks a customer's tax ID (the API's and the portal's rule): bounded text that fits the
/// format of the address's country, given back normalised; the refusal names `tax_id` and
/// shows an example of the right shape.
pub fn customer_tax_id(
    country: Option<&str>,
    id: Option<&str>,
) -> ValidationResult<Option<String>> {
    let Some(id) = error::optional_text("tax_id", id, 50)? else {
        return Ok(None);
    };
    let country = country.unwrap_or("");
    check_tax_id(country, &id).map(Some).map_err(|m| {
        let whose = if country.is_empty() {
            "a tax ID".to_owned()
        } else {
            format!("a tax ID of {country}")
        };
        Invalid::new(
            "tax_id",
            format!(
                "does not have the format of {whose}, for example {}",
                m.example
            ),
        )
    })
}

/// Checks `id` against the format of `country` (ISO 3166-1 alpha-2, any case) and returns it
/// normalised: upper case, without spaces, dots or dashes, with the country's prefix (an EIN
/// keeps its dash, an ABN its spaces).
pub fn check_tax_id(country: &str, id: &str) -> Result<String, TaxIdMismatch> {
    let compact: String = id
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '\u{a0}'))
        .flat_map(char::to_uppercase)
        .collect();
    let country = country.trim().to_ascii_uppercase();
    let Some(format) = FORMATS.iter().find(|f| f.country == country) else {
        let plain =
            (3..=30).contains(&compact.len()) && compact.chars().all(|c| c.is_ascii_alphanumeric());
        return if plain {
            Ok(compact)
        } else {
            Err(TaxIdMismatch {
                example: ANY_EXAMPLE.to_owned(),
            })
        };
    };
    let body = compact.strip_prefix(format.prefix).unwrap_or(&compact);
    let valid = format.shapes.iter().any(|shape| fits(shape, body))
        && (format.country != "AU" || abn_checks(body));
    if !valid {
        return Err(TaxIdMismatch {
            example: example(format),
        });
    }
    Ok(match format.country {
        "US" => format!("{}-{}", &body[..2], &body[2..]),
        "AU" => format!(
            "{} {} {} {}",
            &body[..2],
            &body[2..5],
            &body[5..8],
            &body[8..]
        ),
        _ => format!("{}{body}", format.prefix),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_numbers_are_accepted_and_normalised() {
        for (country, input, normalised) in [
            ("DE", "DE 123 456 789", "DE123456789"),
            ("de", "123456789", "DE123456789"),
            ("AT", "atu12345678", "ATU12345678"),
            ("BE", "BE0123.456.789", "BE0123456789"),
            ("FR", "FR 32 123456789", "FR32123456789"),
            ("GR", "EL123456789", "EL123456789"),
            ("ES", "ESX1234567X", "ESX1234567X"),
            ("ES", "B12345678", "ESB12345678"),
            ("IE", "IE1234567WA", "IE1234567WA"),
            ("IE", "IE1A23456B", "IE1A23456B"),
            ("NL", "NL123456789B01", "NL123456789B01"),
            ("PL", "PL1234567890", "PL1234567890"),
            ("SE", "SE123456789001", "SE123456789001"),
            ("RO", "RO12", "RO12"),
            ("CY", "CY12345678L", "CY12345678L"),
            ("GB", "GB123456789", "GB123456789"),
            ("GB", "GBGD123", "GBGD123"),
            ("CH", "CHE-123.456.789 MWST", "CHE123456789MWST"),
            ("NO", "NO 123 456 789 MVA", "NO123456789MVA"),
            ("AU", "51 824 753 556", "51 824 753 556"),
            ("AU", "51824753556", "51 824 753 556"),
            ("US", "12-3456789", "12-3456789"),
            ("US", "123456789", "12-3456789"),
            ("CA", "123456789RT0001", "123456789RT0001"),
            ("CA", "123456789", "123456789"),
            ("JP", "T1234567890123", "T1234567890123"),
        ] {
            assert_eq!(
                check_tax_id(country, input).as_deref(),
                Ok(normalised),
                "{country} {input}"
            );
        }
    }

    #[test]
    fn malformed_numbers_are_refused_with_an_example() {
        for (country, input, example) in [
            ("DE", "DE12345678", "DE123456789"),
            ("DE", "FR123456789", "DE123456789"),
            ("AT", "AT12345678", "ATU12345678"),
            ("BE", "BE2123456789", "BE0123456789"),
            ("FR", "FR123456789", "FR12345678901"),
            ("NL", "NL123456789001", "NL123456789B01"),
            ("SE", "SE1234567890", "SE123456789001"),
            ("GB", "GB12345678", "GB123456789"),
            ("CH", "CH123456789", "CHE123456789"),
            ("NO", "NO123456789", "NO123456789MVA"),
            ("AU", "51 824 753 557", "51 824 753 556"),
            ("US", "1234567", "12-3456789"),
            ("CA", "12345678", "123456789"),
            ("JP", "T<1>", "AB123456789"),
        ] {
            assert_eq!(
                check_tax_id(country, input),
                Err(TaxIdMismatch {
                    example: example.into()
                }),
                "{country} {input}"
            );
        }
    }

    #[test]
    fn every_format_accepts_its_own_example() {
        for format in FORMATS {
            let example = example(format);
            assert!(
                check_tax_id(format.country, &example).is_ok(),
                "{}: {example}",
                format.country
            );
        }
    }
}
