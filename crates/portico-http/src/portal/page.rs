//! The portal's HTML: the page frame every portal page shares, and the friendly pages shown when
//! a link or session does not work (never a stack trace or a blank page).

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_core::model::Account;
use portico_render::{Locale, Msg, t, tf};

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The Content-Security-Policy of portal pages: only our own assets, framing only by the
/// account's allowed origins.
pub fn content_security_policy(account: Option<&Account>) -> String {
    let origins = account
        .map(|a| a.settings.allowed_origins.join(" "))
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| "'none'".to_owned());
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; script-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors {origins}"
    )
}

/// An HTML answer with the portal's headers.
pub fn html(status: StatusCode, account: Option<&Account>, body: String) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(account)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// A whole HTML document around `main`.
pub fn document(locale: Locale, title: &str, account: Option<&Account>, main: &str) -> String {
    let vendor = account.map(vendor_name);
    let color = account
        .and_then(|a| a.settings.branding.primary_color.clone())
        .unwrap_or_else(|| "#3b5bdb".to_owned());
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {portal}</title><link rel=\"stylesheet\" href=\"/assets/portal.css\">\
         <meta name=\"theme-color\" content=\"{color}\"></head><body>\
         <a class=\"skip\" href=\"#main\">{skip}</a>\
         <header class=\"top\"><span class=\"vendor\">{vendor}</span></header>\
         <main id=\"main\">{main}</main></body></html>",
        lang = locale.as_str(),
        title = esc(title),
        portal = esc(vendor.unwrap_or(t(locale, Msg::PortalTitle))),
        color = esc(&color),
        skip = esc(t(locale, Msg::SkipToContent)),
        vendor = esc(vendor.unwrap_or(t(locale, Msg::PortalTitle))),
    );
    out
}

pub fn vendor_name(account: &Account) -> &str {
    account
        .settings
        .branding
        .display_name
        .as_deref()
        .unwrap_or(&account.name)
}

/// A friendly page for a link or session that does not work.
pub struct ErrorPage<'a> {
    pub status: StatusCode,
    pub title: Msg,
    pub body: Msg,
    pub account: Option<&'a Account>,
    pub return_url: Option<&'a str>,
}

impl ErrorPage<'_> {
    pub fn render(&self, locale: Locale) -> Response {
        let mut main = format!(
            "<section class=\"notice\"><h1>{}</h1>",
            esc(t(locale, self.title))
        );
        let vendor = self.account.map(vendor_name);
        let fill = [
            ("vendor", vendor.unwrap_or("")),
            ("support", support(self.account)),
        ];
        let _ = write!(main, "<p>{}</p>", esc(&tf(locale, self.body, &fill)));
        if let Some(vendor) = vendor {
            if self.body != Msg::LoggedOutBody {
                let _ = write!(
                    main,
                    "<p>{}</p>",
                    esc(&tf(locale, Msg::AskForNewLink, &[("vendor", vendor)]))
                );
            }
            let back = self.return_url.or(self
                .account
                .and_then(|a| a.settings.default_return_url.as_deref()));
            if let Some(url) = back {
                let _ = write!(
                    main,
                    "<p><a class=\"button\" href=\"{}\">{}</a></p>",
                    esc(url),
                    esc(&tf(locale, Msg::BackToVendor, &[("vendor", vendor)]))
                );
            }
        }
        main.push_str("</section>");
        html(
            self.status,
            self.account,
            document(locale, t(locale, self.title), self.account, &main),
        )
    }
}

fn support(account: Option<&Account>) -> &str {
    account
        .and_then(|a| a.settings.branding.support_email.as_deref())
        .unwrap_or("support")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn csp_frames_only_allowed_origins() {
        assert!(content_security_policy(None).ends_with("frame-ancestors 'none'"));
    }
}
