//! Browser tests of the customer portal: headless Chromium through WebDriver against the real
//! server (in-process, SQLite) seeded with the demo account. One binary, modules by feature.
//! Chromium, chromedriver, pdftotext and axe-core are required; a missing one fails the test
//! with the command that installs it (scripts/test installs them all).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "browser/support.rs"]
mod support;

#[path = "browser/billing_details.rs"]
mod billing_details;
#[path = "browser/cards.rs"]
mod cards;
#[path = "browser/clients.rs"]
mod clients;
#[path = "browser/embed.rs"]
mod embed;
#[path = "browser/locales.rs"]
mod locales;
#[path = "browser/no_js.rs"]
mod no_js;
#[path = "browser/pages.rs"]
mod pages;
#[path = "browser/payments.rs"]
mod payments;
#[path = "browser/pdf.rs"]
mod pdf;
#[path = "browser/stripe.rs"]
mod stripe;
#[path = "browser/subscription_flows.rs"]
mod subscription_flows;
#[path = "browser/subscriptions.rs"]
mod subscriptions;
