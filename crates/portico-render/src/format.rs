//! Money, numbers and dates written the way each portal language writes them (CLDR).

use portico_core::{Currency, Money, Timestamp};

use crate::Locale;

/// CLDR puts a no-break space between amount and symbol, so a line never breaks inside a price.
const NBSP: char = '\u{a0}';
/// CLDR French groups digits with a narrow no-break space.
const NNBSP: char = '\u{202f}';

/// How a locale writes a number.
struct NumberStyle {
    decimal: char,
    group: char,
    /// Shortest integer part that gets grouped: CLDR `es` writes `1234` but `12.345`.
    group_from_digits: usize,
    /// `1.234,56 €` rather than `€1,234.56`.
    symbol_after: bool,
}

fn number_style(locale: Locale) -> NumberStyle {
    let style = |decimal, group, group_from_digits, symbol_after| NumberStyle {
        decimal,
        group,
        group_from_digits,
        symbol_after,
    };
    match locale {
        Locale::En => style('.', ',', 4, false),
        Locale::De => style(',', '.', 4, true),
        Locale::Fr => style(',', NNBSP, 4, true),
        Locale::Es => style(',', '.', 5, true),
    }
}

/// Currency symbols as CLDR gives them per language; `fr` and `es` spell out foreign dollars and
/// pounds so that `$` is never ambiguous to their readers.
const SYMBOLS: &[(&str, [&str; 4])] = &[
    //        en     de     fr     es
    ("EUR", ["€", "€", "€", "€"]),
    ("USD", ["$", "$", "$US", "US$"]),
    ("GBP", ["£", "£", "£GB", "GBP"]),
    ("JPY", ["¥", "¥", "JPY", "JPY"]),
    ("CHF", ["CHF", "CHF", "CHF", "CHF"]),
];

fn locale_index(locale: Locale) -> usize {
    match locale {
        Locale::En => 0,
        Locale::De => 1,
        Locale::Fr => 2,
        Locale::Es => 3,
    }
}

/// The symbol a reader of `locale` knows the currency by; the ISO code when there is none.
pub fn currency_symbol(currency: Currency, locale: Locale) -> String {
    SYMBOLS
        .iter()
        .find(|(code, _)| *code == currency.code())
        .map_or_else(
            || currency.code().to_owned(),
            |(_, symbols)| symbols[locale_index(locale)].to_owned(),
        )
}

/// The sign of a negative amount wherever a customer reads one: a true minus sign (U+2212),
/// as typography and CLDR have it, not the hyphen-minus of code.
pub const MINUS: &str = "\u{2212}";

/// `€1,234.56` (en), `1.234,56 €` (de), `1 234,56 €` (fr), `1234,56 €` (es), with the
/// currency's own number of decimals (`¥1,235`); a negative amount as `−€220.50`.
pub fn format_money(money: Money, locale: Locale) -> String {
    let style = number_style(locale);
    let digits = u32::from(money.currency.minor_digits());
    let abs = money.amount.unsigned_abs();
    let scale = 10u64.pow(digits);
    let mut number = group(abs / scale, &style);
    if digits > 0 {
        number.push(style.decimal);
        number.push_str(&format!("{:0width$}", abs % scale, width = digits as usize));
    }
    let sign = if money.amount < 0 { MINUS } else { "" };
    let symbol = currency_symbol(money.currency, locale);
    if style.symbol_after {
        format!("{sign}{number}{NBSP}{symbol}")
    } else if symbol.ends_with(|c: char| c.is_alphabetic()) {
        // CLDR currency spacing: a code such as `CHF` must not run into the digits.
        format!("{sign}{symbol}{NBSP}{number}")
    } else {
        format!("{sign}{symbol}{number}")
    }
}

/// A whole number with the locale's digit grouping, for quantities: `1,000` / `1.000`.
pub fn format_integer(value: i64, locale: Locale) -> String {
    let sign = if value < 0 { MINUS } else { "" };
    format!(
        "{sign}{}",
        group(value.unsigned_abs(), &number_style(locale))
    )
}

/// A tax rate given in basis points as a percentage: `19%` (en), `19 %` (de, es), `7,5 %` (fr
/// with a narrow no-break space).
pub fn format_percent_bps(bps: i64, locale: Locale) -> String {
    let style = number_style(locale);
    let sign = if bps < 0 { MINUS } else { "" };
    let abs = bps.unsigned_abs();
    let mut number = group(abs / 100, &style);
    let fraction = format!("{:02}", abs % 100);
    let fraction = fraction.trim_end_matches('0');
    if !fraction.is_empty() {
        number.push(style.decimal);
        number.push_str(fraction);
    }
    match locale {
        Locale::En => format!("{sign}{number}%"),
        Locale::Fr => format!("{sign}{number}{NNBSP}%"),
        Locale::De | Locale::Es => format!("{sign}{number}{NBSP}%"),
    }
}

fn group(value: u64, style: &NumberStyle) -> String {
    let digits = value.to_string();
    if digits.len() < style.group_from_digits {
        return digits;
    }
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 * 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(style.group);
        }
        out.push(digit);
    }
    out
}

const MONTHS_SHORT: [[&str; 12]; 4] = [
    [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ],
    [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ],
    [
        "janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
        "déc.",
    ],
    [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic",
    ],
];

const MONTHS_LONG: [[&str; 12]; 4] = [
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ],
];

/// The UTC calendar date as (year, month index 0–11, day): billing dates are UTC in Portico.
fn calendar(ts: Timestamp) -> (i32, usize, u8) {
    let date = ts.date();
    let month = usize::from(u8::from(date.month())).saturating_sub(1);
    (date.year(), month, date.day())
}

/// A date with an abbreviated month (CLDR `yMMMd`): `Mar 5, 2026`, `5. März 2026`,
/// `5 mars 2026`, `5 mar 2026`.
pub fn format_date(ts: Timestamp, locale: Locale) -> String {
    let (year, month, day) = calendar(ts);
    let name = MONTHS_SHORT[locale_index(locale)][month];
    match locale {
        Locale::En => format!("{name} {day}, {year}"),
        Locale::De => format!("{day}. {name} {year}"),
        Locale::Fr | Locale::Es => format!("{day} {name} {year}"),
    }
}

/// A date with the month written out (CLDR long): `March 5, 2026`, `5. März 2026`,
/// `5 mars 2026`, `5 de marzo de 2026`.
pub fn format_date_long(ts: Timestamp, locale: Locale) -> String {
    let (year, month, day) = calendar(ts);
    let name = MONTHS_LONG[locale_index(locale)][month];
    match locale {
        Locale::En => format!("{name} {day}, {year}"),
        Locale::De => format!("{day}. {name} {year}"),
        Locale::Fr => format!("{day} {name} {year}"),
        Locale::Es => format!("{day} de {name} de {year}"),
    }
}

/// A period such as a subscription's or an invoice line's: `Mar 5, 2026 – Apr 5, 2026`.
pub fn format_date_range(start: Timestamp, end: Timestamp, locale: Locale) -> String {
    format!(
        "{}\u{a0}– {}",
        format_date(start, locale),
        format_date(end, locale)
    )
}

/// A card's expiry as printed on cards everywhere: `08/27`.
pub fn format_card_expiry(month: i32, year: i32) -> String {
    format!("{:02}/{:02}", month, year.rem_euclid(100))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cur(code: &str) -> Currency {
        Currency::parse("currency", code).unwrap()
    }

    fn money(amount: i64, code: &str, locale: Locale) -> String {
        format_money(Money::new(amount, cur(code)), locale)
    }

    fn day(date: &str) -> Timestamp {
        Timestamp::parse_rfc3339("t", &format!("{date}T12:00:00Z")).unwrap()
    }

    #[test]
    fn money_in_english() {
        let en = |amount, code| money(amount, code, Locale::En);
        assert_eq!(en(123_456, "EUR"), "€1,234.56");
        assert_eq!(en(123_456, "USD"), "$1,234.56");
        assert_eq!(en(99, "GBP"), "£0.99");
        assert_eq!(en(1_235, "JPY"), "¥1,235");
        assert_eq!(en(123_456, "CHF"), "CHF\u{a0}1,234.56");
        assert_eq!(en(123_456, "SEK"), "SEK\u{a0}1,234.56");
        assert_eq!(en(-1_250, "EUR"), "\u{2212}€12.50");
        assert_eq!(en(-1_250, "CHF"), "\u{2212}CHF\u{a0}12.50");
        assert_eq!(en(0, "USD"), "$0.00");
        assert_eq!(en(5, "USD"), "$0.05");
        assert_eq!(en(100_000, "USD"), "$1,000.00");
        assert_eq!(en(99_999, "USD"), "$999.99");
        assert_eq!(en(123_456_789, "EUR"), "€1,234,567.89");
        assert_eq!(en(1_234_567, "KWD"), "KWD\u{a0}1,234.567");
    }

    #[test]
    fn money_in_german() {
        let de = |amount, code| money(amount, code, Locale::De);
        assert_eq!(de(123_456, "EUR"), "1.234,56\u{a0}€");
        assert_eq!(de(-1_250, "EUR"), "\u{2212}12,50\u{a0}€");
        assert_eq!(de(999, "EUR"), "9,99\u{a0}€");
        assert_eq!(de(123_456, "USD"), "1.234,56\u{a0}$");
        assert_eq!(de(123_456, "GBP"), "1.234,56\u{a0}£");
        assert_eq!(de(1_235, "JPY"), "1.235\u{a0}¥");
        assert_eq!(de(123_456, "CHF"), "1.234,56\u{a0}CHF");
        assert_eq!(de(123_456_789, "EUR"), "1.234.567,89\u{a0}€");
        assert_eq!(de(123_456, "DKK"), "1.234,56\u{a0}DKK");
    }

    #[test]
    fn money_in_french() {
        let fr = |amount, code| money(amount, code, Locale::Fr);
        assert_eq!(fr(123_456, "EUR"), "1\u{202f}234,56\u{a0}€");
        assert_eq!(fr(-1_250, "EUR"), "\u{2212}12,50\u{a0}€");
        assert_eq!(fr(99_999, "EUR"), "999,99\u{a0}€");
        assert_eq!(fr(123_456, "USD"), "1\u{202f}234,56\u{a0}$US");
        assert_eq!(fr(123_456, "GBP"), "1\u{202f}234,56\u{a0}£GB");
        assert_eq!(fr(1_235, "JPY"), "1\u{202f}235\u{a0}JPY");
        assert_eq!(fr(123_456, "CHF"), "1\u{202f}234,56\u{a0}CHF");
        assert_eq!(fr(123_456_789, "EUR"), "1\u{202f}234\u{202f}567,89\u{a0}€");
    }

    #[test]
    fn money_in_spanish_groups_only_from_five_digits() {
        let es = |amount, code| money(amount, code, Locale::Es);
        assert_eq!(es(123_456, "EUR"), "1234,56\u{a0}€");
        assert_eq!(es(1_234_567, "EUR"), "12.345,67\u{a0}€");
        assert_eq!(es(123_456_789, "EUR"), "1.234.567,89\u{a0}€");
        assert_eq!(es(-1_250, "EUR"), "\u{2212}12,50\u{a0}€");
        assert_eq!(es(123_456, "USD"), "1234,56\u{a0}US$");
        assert_eq!(es(123_456, "GBP"), "1234,56\u{a0}GBP");
        assert_eq!(es(1_235, "JPY"), "1235\u{a0}JPY");
        assert_eq!(es(12_345, "JPY"), "12.345\u{a0}JPY");
    }

    #[test]
    fn extreme_amounts_do_not_overflow() {
        let min = money(i64::MIN, "EUR", Locale::En);
        assert_eq!(min, "\u{2212}€92,233,720,368,547,758.08");
        let max = money(i64::MAX, "JPY", Locale::De);
        assert_eq!(max, "9.223.372.036.854.775.807\u{a0}¥");
    }

    #[test]
    fn symbols_fall_back_to_the_code() {
        assert_eq!(currency_symbol(Currency::EUR, Locale::Fr), "€");
        assert_eq!(currency_symbol(cur("NOK"), Locale::De), "NOK");
        assert_eq!(currency_symbol(Currency::USD, Locale::Es), "US$");
    }

    #[test]
    fn integers_and_percentages() {
        assert_eq!(format_integer(1_000, Locale::En), "1,000");
        assert_eq!(format_integer(1_000, Locale::De), "1.000");
        assert_eq!(format_integer(1_000, Locale::Fr), "1\u{202f}000");
        assert_eq!(format_integer(1_000, Locale::Es), "1000");
        assert_eq!(format_integer(-25_000, Locale::Es), "\u{2212}25.000");
        assert_eq!(format_integer(7, Locale::En), "7");
        assert_eq!(format_percent_bps(1_900, Locale::En), "19%");
        assert_eq!(format_percent_bps(1_900, Locale::De), "19\u{a0}%");
        assert_eq!(format_percent_bps(750, Locale::Fr), "7,5\u{202f}%");
        assert_eq!(format_percent_bps(2_100, Locale::Es), "21\u{a0}%");
        assert_eq!(format_percent_bps(-750, Locale::Fr), "\u{2212}7,5\u{202f}%");
        assert_eq!(format_percent_bps(1_234, Locale::En), "12.34%");
        assert_eq!(format_percent_bps(5, Locale::De), "0,05\u{a0}%");
        assert_eq!(format_percent_bps(0, Locale::En), "0%");
        assert_eq!(format_percent_bps(10_000, Locale::En), "100%");
    }

    #[test]
    fn medium_dates_in_every_month() {
        let want: [(Locale, [&str; 12]); 4] = [
            (
                Locale::En,
                [
                    "Jan 5, 2026",
                    "Feb 5, 2026",
                    "Mar 5, 2026",
                    "Apr 5, 2026",
                    "May 5, 2026",
                    "Jun 5, 2026",
                    "Jul 5, 2026",
                    "Aug 5, 2026",
                    "Sep 5, 2026",
                    "Oct 5, 2026",
                    "Nov 5, 2026",
                    "Dec 5, 2026",
                ],
            ),
            (
                Locale::De,
                [
                    "5. Jan. 2026",
                    "5. Feb. 2026",
                    "5. März 2026",
                    "5. Apr. 2026",
                    "5. Mai 2026",
                    "5. Juni 2026",
                    "5. Juli 2026",
                    "5. Aug. 2026",
                    "5. Sept. 2026",
                    "5. Okt. 2026",
                    "5. Nov. 2026",
                    "5. Dez. 2026",
                ],
            ),
            (
                Locale::Fr,
                [
                    "5 janv. 2026",
                    "5 févr. 2026",
                    "5 mars 2026",
                    "5 avr. 2026",
                    "5 mai 2026",
                    "5 juin 2026",
                    "5 juil. 2026",
                    "5 août 2026",
                    "5 sept. 2026",
                    "5 oct. 2026",
                    "5 nov. 2026",
                    "5 déc. 2026",
                ],
            ),
            (
                Locale::Es,
                [
                    "5 ene 2026",
                    "5 feb 2026",
                    "5 mar 2026",
                    "5 abr 2026",
                    "5 may 2026",
                    "5 jun 2026",
                    "5 jul 2026",
                    "5 ago 2026",
                    "5 sept 2026",
                    "5 oct 2026",
                    "5 nov 2026",
                    "5 dic 2026",
                ],
            ),
        ];
        for (locale, months) in want {
            for (i, expected) in months.iter().enumerate() {
                let ts = day(&format!("2026-{:02}-05", i + 1));
                assert_eq!(format_date(ts, locale), *expected);
            }
        }
    }

    #[test]
    fn long_dates() {
        let ts = day("2026-03-05");
        assert_eq!(format_date_long(ts, Locale::En), "March 5, 2026");
        assert_eq!(format_date_long(ts, Locale::De), "5. März 2026");
        assert_eq!(format_date_long(ts, Locale::Fr), "5 mars 2026");
        assert_eq!(format_date_long(ts, Locale::Es), "5 de marzo de 2026");
        let ts = day("2025-12-31");
        assert_eq!(format_date_long(ts, Locale::En), "December 31, 2025");
        assert_eq!(format_date_long(ts, Locale::De), "31. Dezember 2025");
        assert_eq!(format_date_long(ts, Locale::Fr), "31 décembre 2025");
        assert_eq!(format_date_long(ts, Locale::Es), "31 de diciembre de 2025");
    }

    #[test]
    fn dates_are_utc_calendar_days() {
        let late = Timestamp::parse_rfc3339("t", "2026-03-05T23:59:59Z").unwrap();
        assert_eq!(format_date(late, Locale::En), "Mar 5, 2026");
        let early = Timestamp::parse_rfc3339("t", "2026-03-06T00:00:00Z").unwrap();
        assert_eq!(format_date(early, Locale::En), "Mar 6, 2026");
    }

    #[test]
    fn ranges_and_expiry() {
        let (a, b) = (day("2026-03-05"), day("2026-04-05"));
        assert_eq!(
            format_date_range(a, b, Locale::En),
            "Mar 5, 2026\u{a0}– Apr 5, 2026"
        );
        assert_eq!(
            format_date_range(a, b, Locale::De),
            "5. März 2026\u{a0}– 5. Apr. 2026"
        );
        assert_eq!(format_card_expiry(8, 2027), "08/27");
        assert_eq!(format_card_expiry(12, 2030), "12/30");
    }

    proptest! {
        #[test]
        fn money_reads_back_as_its_decimal(amount in any::<i64>(), code in "(EUR|USD|JPY|KWD|CHF|SEK)", li in 0usize..4) {
            let locale = Locale::ALL[li];
            let m = Money::new(amount, cur(&code));
            let decimal = number_style(locale).decimal;
            let text = format_money(m, locale);
            // Only a true minus sign marks a negative amount; a hyphen never appears.
            prop_assert!(!text.contains('-'), "{}", text);
            let read_back: String = text
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '\u{2212}' || *c == decimal)
                .map(|c| match c {
                    '\u{2212}' => '-',
                    c if c == decimal => '.',
                    c => c,
                })
                .collect();
            prop_assert_eq!(read_back, m.decimal());
        }
    }
}
