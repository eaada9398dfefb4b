//! Every page in German, French and Spanish (the session's locale): no English text left over
//! from the catalogue, and money and dates written the locale's way.

use portico_core::Money;
use portico_core::model::{CustomerRef, InvoiceStatus, PortalPage};
use portico_core::page::PageRequest;
use portico_render::messages::placeholders;
use portico_render::{Locale, Msg, format_date, format_money, t};
use portico_store::{InvoiceFilter, TransactionFilter};
use portico_testkit::browser::{Browser, BrowserOptions};

use crate::support::{CUSTOMER, Portal, normalize, page_text, session_cookie, set_cookie};

/// The fixed parts of an English catalogue text (split at its placeholders) worth looking for.
fn fragments(msg: Msg) -> Vec<String> {
    let mut text = t(Locale::En, msg).to_owned();
    for name in placeholders(t(Locale::En, msg)) {
        text = text.replace(&format!("{{{name}}}"), "\u{0}");
    }
    text.split('\u{0}')
        .map(|f| {
            f.trim()
                .trim_matches(|c: char| c.is_ascii_punctuation() || c == ' ')
                .to_owned()
        })
        .filter(|f| f.chars().filter(|c| c.is_alphabetic()).count() >= 4)
        .collect()
}

/// Whether `needle` occurs in `text` as whole words.
fn contains_words(text: &str, needle: &str) -> bool {
    text.match_indices(needle).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + needle.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Vendor data (plan names, transaction descriptions…) is the vendor's text, not ours.
fn strip_data(text: &str, data: &[String]) -> String {
    let mut out = text.to_owned();
    for d in data {
        out = out.replace(d.as_str(), " ");
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_in_german_french_and_spanish() {
    let portal = Portal::start().await;
    let account = &portal.account.id;
    let customer = || Some(CustomerRef::parse(CUSTOMER));
    let invoices = portal
        .store
        .list_invoices(
            account,
            InvoiceFilter {
                customer: customer(),
                ..InvoiceFilter::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .data;
    let invoice = invoices
        .iter()
        .find(|i| i.status == InvoiceStatus::Paid)
        .expect("a paid invoice")
        .clone();
    let mut data: Vec<String> = portal
        .store
        .list_transactions(
            account,
            TransactionFilter {
                customer: customer(),
                invoice: None,
            },
            PageRequest::first(100),
        )
        .await
        .unwrap()
        .data
        .into_iter()
        .filter_map(|t| t.description)
        .collect();
    data.extend(invoice.lines.iter().map(|l| normalize(&l.description)));
    data.extend(
        [
            "Acme Cloud",
            "Superdesk GmbH",
            "Team",
            "Rosenthaler Straße 40",
            "Mastercard",
            "Visa",
        ]
        .map(String::from),
    );
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));

    let mut paths: Vec<String> = PortalPage::ALL
        .iter()
        .map(|p| p.path().to_owned())
        .collect();
    paths.push(format!("/portal/invoices/{}", invoice.id));
    paths.push("/portal/invoices/inv_missing".to_owned());

    let mut b = Browser::start(BrowserOptions::default()).await;
    // English first: which catalogue texts each page shows.
    b.goto(
        &portal
            .link(CUSTOMER, PortalPage::Overview, Some("en"))
            .await,
    )
    .await;
    let mut english = Vec::new();
    for path in &paths {
        b.goto(&format!("{}{path}", portal.base)).await;
        let text = strip_data(&page_text(&mut b).await, &data);
        let used: Vec<(Msg, String)> = Msg::ALL
            .iter()
            .flat_map(|m| fragments(*m).into_iter().map(move |f| (*m, f)))
            .filter(|(_, f)| contains_words(&text, f))
            .collect();
        assert!(
            used.len() >= 5,
            "{path}: few catalogue texts found in English: {used:?}"
        );
        english.push(used);
    }

    for (tag, locale) in [("de", Locale::De), ("fr", Locale::Fr), ("es", Locale::Es)] {
        b.goto(&portal.link(CUSTOMER, PortalPage::Overview, Some(tag)).await)
            .await;
        for (path, used) in paths.iter().zip(&english) {
            b.goto(&format!("{}{path}", portal.base)).await;
            let lang = b
                .execute("return document.documentElement.lang", vec![])
                .await;
            assert_eq!(lang, tag, "{path}: <html lang>");
            let raw = page_text(&mut b).await;
            let text = strip_data(&raw, &data);
            for (msg, fragment) in used {
                let translated = normalize(t(locale, *msg));
                if translated.contains(fragment.as_str()) {
                    continue; // the same word in both languages ("Status", "Total")
                }
                assert!(
                    !contains_words(&text, fragment),
                    "{tag} {path}: English {fragment:?} ({}) shows:\n{raw}",
                    msg.name()
                );
            }
            assert!(
                !raw.contains("€")
                    || !raw
                        .split('€')
                        .skip(1)
                        .any(|s| s.starts_with(|c: char| c.is_ascii_digit())),
                "{tag} {path}: an amount in English format:\n{raw}"
            );
        }
        // The invoice in this locale's formats.
        b.goto(&format!("{}/portal/invoices/{}", portal.base, invoice.id))
            .await;
        let text = page_text(&mut b).await;
        let total = normalize(&format_money(
            Money::new(invoice.total, invoice.currency),
            locale,
        ));
        let issued = normalize(&format_date(invoice.issued_at.unwrap(), locale));
        assert!(
            text.contains(&total),
            "{tag}: the total {total:?} is missing:\n{text}"
        );
        assert!(
            text.contains(&issued),
            "{tag}: the date {issued:?} is missing:\n{text}"
        );
        b.screenshot(&format!("invoice-{tag}-1280")).await;
        b.goto(&format!("{}/portal", portal.base)).await;
        b.screenshot(&format!("overview-{tag}-1280")).await;
    }
    b.quit().await;
}

/// Without a session locale the browser's Accept-Language decides, else the account's default;
/// a session locale beats both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_negotiation() {
    let mut portal = Portal::start().await;
    portal
        .update_settings(|s| s.default_locale = "es".to_owned())
        .await;
    let client = reqwest::Client::new();
    let lang_of = |cookie: String, accept: Option<&'static str>| {
        let mut req = client
            .get(format!("{}/portal", portal.base))
            .header("cookie", cookie);
        if let Some(a) = accept {
            req = req.header("accept-language", a);
        }
        async move {
            let html = req.send().await.unwrap().text().await.unwrap();
            let start = html.find("lang=\"").unwrap() + 6;
            html[start..start + 2].to_owned()
        }
    };
    let header = set_cookie(&portal.link(CUSTOMER, PortalPage::Overview, None).await).await;
    assert!(
        header.contains("SameSite=Lax") && !header.contains("Partitioned"),
        "an account that allows no framing keeps Lax cookies: {header}"
    );
    let plain = session_cookie(&portal.link(CUSTOMER, PortalPage::Overview, None).await).await;
    assert_eq!(
        lang_of(plain.clone(), Some("fr-CH, fr;q=0.9, en;q=0.5")).await,
        "fr"
    );
    assert_eq!(lang_of(plain.clone(), Some("ja, zh;q=0.8")).await, "es");
    assert_eq!(lang_of(plain, None).await, "es");
    let german = session_cookie(
        &portal
            .link(CUSTOMER, PortalPage::Overview, Some("de"))
            .await,
    )
    .await;
    assert_eq!(lang_of(german, Some("fr")).await, "de");
}
