//! The portal's static files: one stylesheet, the theme colours of an account, the small script
//! portal pages load, and `/embed.js` for vendor pages. All are compiled into the binary.

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::brand::{Rgb, Theme};
use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/portal.css", get(stylesheet))
        .route("/assets/portal.js", get(portal_script))
        .route("/assets/stripe-card.js", get(stripe_card_script))
        .route("/assets/stripe-payment.js", get(stripe_payment_script))
        .route("/assets/theme/{file}", get(theme))
        .route("/embed.js", get(embed_script))
}

const STYLESHEET: &str = include_str!("../../assets/portal.css");
const PORTAL_JS: &str = include_str!("../../assets/portal.js");
const EMBED_JS: &str = include_str!("../../assets/embed.js");
const STRIPE_CARD_JS: &str = include_str!("../../assets/stripe-card.js");
const STRIPE_PAYMENT_JS: &str = include_str!("../../assets/stripe-payment.js");

/// A short hash of the stylesheet and script, for their URLs (`?v=`): a new build with changed
/// files gets new URLs, so long-cached copies never go stale.
pub fn version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::new()
            .chain_update(STYLESHEET)
            .chain_update(PORTAL_JS)
            .chain_update(STRIPE_CARD_JS)
            .chain_update(STRIPE_PAYMENT_JS)
            .finalize();
        hex::encode(&digest[..6])
    })
}

/// Assets are named by version (`?v=`) or by content (the theme's colour), so caches may keep
/// them a long time.
const LONG_CACHE: &str = "public, max-age=86400, stale-while-revalidate=604800";

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(LONG_CACHE));
    r
}

async fn stylesheet() -> Response {
    asset(STYLESHEET, "text/css; charset=utf-8")
}

async fn portal_script() -> Response {
    asset(PORTAL_JS, "text/javascript; charset=utf-8")
}

/// Mounts Stripe's card form and confirms the SetupIntent (pages of accounts on Stripe).
async fn stripe_card_script() -> Response {
    asset(STRIPE_CARD_JS, "text/javascript; charset=utf-8")
}

/// Takes the customer through the bank's check of a payment (accounts on Stripe).
async fn stripe_payment_script() -> Response {
    asset(STRIPE_PAYMENT_JS, "text/javascript; charset=utf-8")
}

/// The embed script is loaded cross-origin by vendor pages.
async fn embed_script() -> Response {
    let mut r = asset(EMBED_JS, "text/javascript; charset=utf-8");
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    r
}

/// `/assets/theme/4f46e5.css`: the custom properties for a brand colour, with the text colour
/// and link colour that keep AA contrast.
async fn theme(Path(file): Path<String>) -> Response {
    let color = file
        .strip_suffix(".css")
        .filter(|hex| hex.len() == 6)
        .and_then(|hex| Rgb::parse(&format!("#{hex}")));
    let Some(color) = color else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = Theme::new(color).css().into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(LONG_CACHE));
    r
}
