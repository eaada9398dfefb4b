//! The frame every portal page shares (head, brand bar, footer), the portal's response headers,
//! and the friendly pages shown when a link or session does not work (never a stack trace or a
//! blank page). Markup is `maud`: every value is escaped unless it is markup itself.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use portico_core::model::Account;
use portico_render::{Locale, Msg, t, tf};

use super::brand::{Brand, Support, Theme};

/// The Content-Security-Policy of portal pages: only our own assets, framing only by the
/// account's allowed origins.
pub fn content_security_policy(account: Option<&Account>) -> String {
    policy(account, None)
}

/// The policy of a page that loads Stripe.js (for an account on the stripe provider): the one
/// external script, from Stripe.js's origin, which may frame its own pages (and the bank's
/// check) and talk to Stripe's API.
pub fn stripe_content_security_policy(
    account: Option<&Account>,
    stripe: &portico_app::payments::StripeProvider,
) -> String {
    policy(
        account,
        Some((
            &stripe.js_origin(),
            &stripe.frame_origins(),
            &stripe.api_origin(),
        )),
    )
}

fn policy(account: Option<&Account>, stripe: Option<(&str, &str, &str)>) -> String {
    let origins = account
        .map(|a| a.settings.allowed_origins.join(" "))
        .filter(|o| !o.is_empty())
        .unwrap_or_else(|| "'none'".to_owned());
    let (script, stripe) = match stripe {
        Some((js, frames, api)) => (
            format!("'self' {js}"),
            format!(" frame-src {frames}; connect-src {api};"),
        ),
        None => ("'self'".to_owned(), String::new()),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' https: data:; script-src {script};{stripe} \
         form-action 'self'; base-uri 'none'; frame-ancestors {origins}"
    )
}

/// An HTML answer with the portal's headers.
pub fn respond(status: StatusCode, account: Option<&Account>, body: Markup) -> Response {
    let mut response = (status, body.into_string()).into_response();
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
    let framed = account.is_some_and(|a| !a.settings.allowed_origins.is_empty());
    if !framed {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(UNFRAMED_POLICY),
        );
    } else if let Ok(csp) = HeaderValue::from_str(&content_security_policy(account)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// The policy of a page no origin may frame, as [`content_security_policy`] writes it.
const UNFRAMED_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' https: data:; \
     script-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// A link target from the vendor's settings. Escaping keeps a URL inside its attribute but does
/// not stop a `javascript:` URL from running, so only web URLs become links (input validation
/// already allows no others; this holds even for rows written before it did).
pub fn web_url(url: &str) -> Option<&str> {
    (url.starts_with("https://") || url.starts_with("http://")).then_some(url)
}

/// What a page puts into the frame every portal page shares.
pub struct Shell<'a> {
    pub locale: Locale,
    pub title: &'a str,
    pub brand: &'a Brand,
    /// The session's controls, in the brand bar.
    pub controls: Option<Markup>,
    /// The navigation, under the brand bar.
    pub nav: Option<Markup>,
    /// The `postMessage` event `portal.js` sends to a framing vendor page on load.
    pub event: &'a str,
    /// Where the brand links to (the overview in a session).
    pub home: Option<&'a str>,
}

/// The HTML document: head with the one stylesheet, the account's theme and the small script,
/// the brand bar, `main`, and a footer with the support contact.
pub fn document(s: &Shell<'_>, main: Markup) -> Markup {
    let locale = s.locale;
    let name = s
        .brand
        .vendor
        .as_deref()
        .unwrap_or(t(locale, Msg::PortalTitle));
    let theme = Theme::of(s.brand.color);
    let version = super::assets::version();
    let brand = html! {
        @match &s.brand.logo {
            Some(url) => img src=(url) alt=(tf(locale, Msg::VendorLogo, &[("vendor", name)])) height="32";
            None => span.vendor { (name) }
        }
    };
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (s.title) " · " (name) }
                link rel="stylesheet" href={ "/assets/portal.css?v=" (version) };
                link rel="stylesheet" href={ "/assets/theme/" (&s.brand.color.hex()[1..]) ".css" };
                meta name="theme-color" content=(theme.brand.hex());
                meta name="portico-origins" content=(s.brand.origins);
                script src={ "/assets/portal.js?v=" (version) } defer {}
            }
            body data-portico-event=(s.event) {
                a.skip href="#main" { (t(locale, Msg::SkipToContent)) }
                header.top {
                    div.bar {
                        @match s.home {
                            Some(home) => a.brand href=(home) { (brand) },
                            None => span.brand { (brand) },
                        }
                        @if let Some(controls) = &s.controls { (controls) }
                    }
                    @if let Some(nav) = &s.nav { (nav) }
                }
                main #main tabindex="-1" { (main) }
                @if let Some(support) = &s.brand.support {
                    footer.foot { p { (footer_text(locale, support)) } }
                }
            }
        }
    }
}

/// "Questions? Contact {support}" with the contact as a link, in the locale's word order.
fn footer_text(locale: Locale, support: &Support) -> Markup {
    let text = t(locale, Msg::FooterQuestions);
    let (before, after) = text.split_once("{support}").unwrap_or((text, ""));
    html! {
        (before)
        @match support {
            Support::Email(email) => a href={ "mailto:" (email) } { (email) },
            Support::Url(url) => a href=(url) { (url) },
        }
        (after)
    }
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
        let brand = Brand::of(self.account);
        let vendor = brand.vendor.as_deref();
        let support = self
            .account
            .and_then(|a| a.settings.branding.support_email.as_deref())
            .unwrap_or("support");
        let fill = [("vendor", vendor.unwrap_or("")), ("support", support)];
        let back = self
            .return_url
            .or(self
                .account
                .and_then(|a| a.settings.default_return_url.as_deref()))
            .and_then(web_url);
        let main = html! {
            section.notice {
                h1 { (t(locale, self.title)) }
                p { (tf(locale, self.body, &fill)) }
                @if let Some(vendor) = vendor {
                    @if self.body != Msg::LoggedOutBody {
                        p { (tf(locale, Msg::AskForNewLink, &[("vendor", vendor)])) }
                    }
                    @if let Some(url) = back {
                        p { a.button href=(url) data-portico-close { (tf(locale, Msg::BackToVendor, &[("vendor", vendor)])) } }
                    }
                }
            }
        };
        let event = if self.title == Msg::LoggedOutTitle {
            "portico:logout"
        } else {
            "portico:ready"
        };
        let shell = Shell {
            locale,
            title: t(locale, self.title),
            brand: &brand,
            controls: None,
            nav: None,
            event,
            home: None,
        };
        respond(self.status, self.account, document(&shell, main))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_unframed_policy_is_the_one_written_for_no_origins() {
        assert_eq!(content_security_policy(None), UNFRAMED_POLICY);
    }

    #[test]
    fn csp_frames_only_allowed_origins() {
        assert!(content_security_policy(None).ends_with("frame-ancestors 'none'"));
    }

    #[test]
    fn only_web_urls_become_links() {
        assert_eq!(web_url("https://x.example/a"), Some("https://x.example/a"));
        assert_eq!(web_url("javascript:alert(1)"), None);
        assert_eq!(web_url("data:text/html,x"), None);
    }
}
