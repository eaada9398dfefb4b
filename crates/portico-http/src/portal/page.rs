//! The portal's HTML: the page frame every portal page shares, and the friendly pages shown when
//! a link or session does not work (never a stack trace or a blank page).

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use portico_core::model::Account;
use portico_render::{Locale, Msg, t, tf};

use super::brand::{DEFAULT_BRAND, Rgb, Theme};

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

/// A whole HTML document around `main`, for pages outside a session (errors, logged out).
pub fn document(locale: Locale, title: &str, account: Option<&Account>, main: &str) -> String {
    layout(&Layout {
        locale,
        title,
        account,
        controls: "",
        nav: "",
        main,
        event: "portico:ready",
        home: None,
    })
}

/// What a page puts into the frame every portal page shares.
pub struct Layout<'a> {
    pub locale: Locale,
    pub title: &'a str,
    pub account: Option<&'a Account>,
    /// The session's controls, in the brand bar.
    pub controls: &'a str,
    /// The navigation, under the brand bar.
    pub nav: &'a str,
    pub main: &'a str,
    /// The `postMessage` event `portal.js` sends to a framing vendor page on load.
    pub event: &'a str,
    /// Where the brand links to (the overview in a session).
    pub home: Option<&'a str>,
}

/// The HTML document: head with the one stylesheet, the account's theme and the small script,
/// the brand bar, `main`, and a footer with the support contact.
pub fn layout(l: &Layout<'_>) -> String {
    let locale = l.locale;
    let vendor = l.account.map(vendor_name);
    let name = vendor.unwrap_or(t(locale, Msg::PortalTitle));
    let picked = l
        .account
        .and_then(|a| a.settings.branding.primary_color.as_deref())
        .and_then(Rgb::parse)
        .unwrap_or(DEFAULT_BRAND);
    let theme = Theme::new(picked);
    let origins = l
        .account
        .map(|a| a.settings.allowed_origins.join(" "))
        .unwrap_or_default();
    let mut out = String::with_capacity(8192);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · {portal}</title>\
         <link rel=\"stylesheet\" href=\"/assets/portal.css?v={version}\">\
         <link rel=\"stylesheet\" href=\"/assets/theme/{color}.css\">\
         <meta name=\"theme-color\" content=\"{theme_color}\">\
         <meta name=\"portico-origins\" content=\"{origins}\">\
         <script src=\"/assets/portal.js?v={version}\" defer></script></head>\
         <body data-portico-event=\"{event}\">\
         <a class=\"skip\" href=\"#main\">{skip}</a><header class=\"top\"><div class=\"bar\">",
        lang = locale.as_str(),
        title = esc(l.title),
        portal = esc(name),
        version = super::assets::version(),
        color = &picked.hex()[1..],
        theme_color = theme.brand.hex(),
        origins = esc(&origins),
        event = esc(l.event),
        skip = esc(t(locale, Msg::SkipToContent)),
    );
    let logo = l
        .account
        .and_then(|a| a.settings.branding.logo_url.as_deref())
        .filter(|u| u.starts_with("https://") || u.starts_with("data:image/"));
    let brand = match logo {
        Some(url) => format!(
            "<img src=\"{}\" alt=\"{}\" height=\"32\">",
            esc(url),
            esc(&tf(locale, Msg::VendorLogo, &[("vendor", name)]))
        ),
        None => format!("<span class=\"vendor\">{}</span>", esc(name)),
    };
    match l.home {
        Some(home) => {
            let _ = write!(out, "<a class=\"brand\" href=\"{}\">{brand}</a>", esc(home));
        }
        None => {
            let _ = write!(out, "<span class=\"brand\">{brand}</span>");
        }
    }
    let _ = write!(
        out,
        "{controls}</div>{nav}</header><main id=\"main\" tabindex=\"-1\">{main}</main>",
        controls = l.controls,
        nav = l.nav,
        main = l.main
    );
    if let Some(account) = l.account {
        let branding = &account.settings.branding;
        let contact = match (&branding.support_email, &branding.support_url) {
            (Some(email), _) => Some(format!("<a href=\"mailto:{e}\">{e}</a>", e = esc(email))),
            (None, Some(url)) => Some(format!("<a href=\"{u}\">{u}</a>", u = esc(url))),
            (None, None) => None,
        };
        if let Some(contact) = contact {
            let text = esc(t(locale, Msg::FooterQuestions));
            let _ = write!(
                out,
                "<footer class=\"foot\"><p>{}</p></footer>",
                text.replace("{support}", &contact)
            );
        }
    }
    out.push_str("</body></html>");
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
                    "<p><a class=\"button\" href=\"{}\" data-portico-close>{}</a></p>",
                    esc(url),
                    esc(&tf(locale, Msg::BackToVendor, &[("vendor", vendor)]))
                );
            }
        }
        main.push_str("</section>");
        let event = if self.title == Msg::LoggedOutTitle {
            "portico:logout"
        } else {
            "portico:ready"
        };
        html(
            self.status,
            self.account,
            layout(&Layout {
                locale,
                title: t(locale, self.title),
                account: self.account,
                controls: "",
                nav: "",
                main: &main,
                event,
                home: None,
            }),
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
