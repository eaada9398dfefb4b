//! The pages of the built-in `test` payment provider, served under `/test-provider/`: a card
//! form and a challenge step, which behave like a third-party checkout (their own look, no
//! portal session, the link itself is the permission) and send the customer back to the portal.
//! The card number in the form is read once by the provider and never logged or stored.

use crate::portal::see_other;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};
use portico_app::AppError;
use portico_app::payments::test_provider::{self, CardForm};
use portico_core::Money;
use portico_render::Locale;
use portico_render::format::format_money;
use serde::Deserialize;

use crate::AppState;
use crate::portal::layout::respond;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/test-provider/setup/{token}",
            get(setup_page).post(setup_submit),
        )
        .route(
            "/test-provider/challenge/{token}",
            get(challenge_page).post(challenge_submit),
        )
}

/// The card as the form sends it. Its `Debug` never shows the number.
#[derive(Deserialize, Default)]
#[serde(default)]
struct CardFields {
    number: String,
    expiry: String,
    cvc: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChallengeFields {
    answer: String,
}

fn page(title: &str, main: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Test payments" }
                link rel="stylesheet" href={ "/assets/portal.css?v=" (crate::portal::assets::version()) };
            }
            body {
                header.top { div.bar { span.brand { span.vendor { "Test payments" } } } }
                main #main {
                    p.flash.warn role="note" { "Test mode: no real card is charged. Use the test numbers below." }
                    (main)
                }
            }
        }
    }
}

const TEST_NUMBERS: &[(&str, &str)] = &[
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "is declined"),
    ("4000 0000 0000 9995", "has insufficient funds"),
    ("4000 0000 0000 3220", "asks for a confirmation step"),
    ("4000 0000 0000 0069", "expires at the end of next month"),
    ("4000 0000 0000 0341", "is declined twice, then succeeds"),
];

fn card_form(token: &str, error: Option<(&str, &str)>) -> Markup {
    let bad = |field: &str| error.filter(|(f, _)| *f == field).map(|(_, m)| m);
    let field = |name: &str, label: &str, autocomplete: &str, placeholder: &str| {
        let id = format!("card-{name}");
        html! {
            div.field {
                label for=(id) { (label) }
                input #(id) name=(name) type="text" inputmode="numeric" autocomplete=(autocomplete)
                    placeholder=(placeholder) required aria-invalid=[bad(name).map(|_| "true")];
                @if let Some(m) = bad(name) { p.error { (m) } }
            }
        }
    };
    html! {
        h1 { "Add a card" }
        form.card.details method="post" action={ "/test-provider/setup/" (token) } {
            (field("number", "Card number", "cc-number", "4242 4242 4242 4242"))
            (field("expiry", "Expiry (MM/YY)", "cc-exp", "12/30"))
            (field("cvc", "Security code", "cc-csc", "123"))
            div.actions { button type="submit" { "Save card" } }
        }
        section.card {
            h2 { "Test numbers" }
            ul { @for (n, what) in TEST_NUMBERS { li { code { (n) } " " (what) } } }
        }
    }
}

/// A link of the provider that does not hold (tampered, another account's, not a test
/// provider's): the provider's own "not found".
fn not_found() -> Response {
    respond(
        StatusCode::NOT_FOUND,
        None,
        page(
            "Not found",
            html! { h1 { "This payment link is not valid" } },
        ),
    )
}

fn failed(e: AppError) -> Response {
    match e {
        AppError::NotFound { .. } => not_found(),
        e => crate::error::ApiError::from(e).into_response(),
    }
}

async fn setup_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    match test_provider::setup_page(&s.app, &token).await {
        Ok(_) => respond(
            StatusCode::OK,
            None,
            page("Add a card", card_form(&token, None)),
        ),
        Err(e) => failed(e),
    }
}

async fn setup_submit(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(fields): Form<CardFields>,
) -> Response {
    let card = CardForm {
        number: fields.number,
        expiry: fields.expiry,
        cvc: fields.cvc,
    };
    match test_provider::submit_card(&s.app, &token, &card, s.app.clock.now()).await {
        Ok(back) => see_other(&back),
        Err(AppError::Invalid(i)) => {
            let message = match i.field.as_str() {
                "number" => "Check the card number.",
                "expiry" => "Enter a month and year that has not passed, as MM/YY.",
                _ => "Enter the 3 or 4 digits on the back of the card.",
            };
            let form = card_form(&token, Some((&i.field, message)));
            respond(StatusCode::BAD_REQUEST, None, page("Add a card", form))
        }
        Err(e) => failed(e),
    }
}

async fn challenge_page(State(s): State<AppState>, Path(token): Path<String>) -> Response {
    let challenge = match test_provider::challenge_page(&s.app, &token).await {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    let amount = format_money(Money::new(challenge.amount, challenge.currency), Locale::En);
    let main = html! {
        h1 { "Confirm your payment" }
        section.card {
            p { "Your bank asks you to confirm a payment of " strong { (amount) } "." }
            form method="post" action={ "/test-provider/challenge/" (token) } {
                div.actions {
                    button type="submit" name="answer" value="approve" { "Confirm payment" }
                    button.secondary type="submit" name="answer" value="decline" { "Fail confirmation" }
                }
            }
        }
    };
    respond(StatusCode::OK, None, page("Confirm your payment", main))
}

async fn challenge_submit(
    State(s): State<AppState>,
    Path(token): Path<String>,
    Form(fields): Form<ChallengeFields>,
) -> Response {
    let approved = fields.answer == "approve";
    match test_provider::answer_challenge(&s.app, &token, approved).await {
        Ok(back) => see_other(&back),
        Err(e) => failed(e),
    }
}
