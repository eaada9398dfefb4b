//! Prometheus metrics: the process-wide recorder that the HTTP layer and the store report to, the
//! request metrics of every served request, and the scrape endpoint, served on an address of its
//! own (`metrics_listen`) so that it need not be public.
//!
//! Labels name what is bounded: a route's template (never its path, which holds ids and
//! tokens), a status class, a known method, a limiter's name.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Upper bounds of the buckets of every duration, in seconds.
const SECONDS: &[f64] = &[
    0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Upper bounds of the buckets of the group-commit writer's batch sizes.
const BATCH_SIZES: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];
/// How often histograms are folded when nobody scrapes, so that their samples do not pile up.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder on first call (later calls return the same handle).
/// Until it is installed, every metric call is a no-op.
pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS)
                .and_then(|b| {
                    b.set_buckets_for_metric(
                        Matcher::Full("portico_store_write_group_size".to_owned()),
                        BATCH_SIZES,
                    )
                })
                .unwrap_or_else(|_| PrometheusBuilder::new())
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("another metrics recorder is installed; /metrics shows nothing");
            }
            describe();
            handle
        })
        .clone()
}

fn describe() {
    metrics::describe_counter!(
        "portico_http_requests_total",
        "Requests answered, by method, route template and status class."
    );
    metrics::describe_histogram!(
        "portico_http_request_duration_seconds",
        metrics::Unit::Seconds,
        "Time from a request's headers to its answer, by method, route template and status class."
    );
    metrics::describe_counter!(
        "portico_rate_limited_total",
        "Requests refused with 429, by limiter."
    );
    metrics::describe_histogram!(
        "portico_store_write_group_size",
        "Writes committed together by the group-commit writer."
    );
    metrics::describe_histogram!(
        "portico_store_write_group_duration_seconds",
        metrics::Unit::Seconds,
        "Time of one group-commit transaction, by outcome."
    );
    metrics::describe_histogram!(
        "portico_store_sync_duration_seconds",
        metrics::Unit::Seconds,
        "Time each request waits to catch up with the change log before its first read."
    );
    metrics::describe_counter!(
        "portico_store_cache_lookups_total",
        "Read-cache lookups, by result (hit or miss)."
    );
    metrics::describe_gauge!(
        "portico_billing_clock_lag_seconds",
        metrics::Unit::Seconds,
        "How long the billing clock's oldest due action (a renewal or a charge) has waited; 0 \
         when nothing is due."
    );
    metrics::describe_gauge!(
        "portico_billing_clock_due",
        "Billing clock actions due and not yet processed (ended periods and due charges)."
    );
    metrics::describe_counter!(
        "portico_billing_renewals_total",
        "Periods the billing clock renewed subscriptions into."
    );
    metrics::describe_counter!(
        "portico_billing_charges_total",
        "Charges of renewal invoices by the billing clock, by outcome (paid or failed)."
    );
    metrics::describe_counter!(
        "portico_webhook_attempts_total",
        "Webhook delivery attempts, by outcome (succeeded; pending, to be tried again; failed)."
    );
    metrics::describe_gauge!(
        "portico_webhook_queue_depth",
        "Webhook deliveries waiting to be sent, and events not yet fanned out to endpoints."
    );
}

/// The scrape endpoint: `GET /metrics`.
pub fn router(handle: PrometheusHandle) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move { scrape(&handle) }
        }),
    )
}

fn scrape(handle: &PrometheusHandle) -> Response {
    handle.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Folds histogram samples every few seconds, until aborted.
pub async fn upkeep_forever(handle: PrometheusHandle) {
    let mut ticks = tokio::time::interval(UPKEEP_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        handle.run_upkeep();
    }
}

/// The start of a request being counted and timed by its route template, method and status
/// class; `None` when no recorder is installed, as its labels would cost allocations spent for
/// nothing.
pub struct RequestTiming {
    route: String,
    method: &'static str,
    started: Instant,
}

impl RequestTiming {
    pub fn start(req: &Request) -> Option<Self> {
        HANDLE.get()?;
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
        Some(Self {
            route,
            method: method_label(req.method()),
            started: Instant::now(),
        })
    }

    /// Counts the request with the status of its answer.
    pub fn finish(self, response: &Response) {
        let labels = [
            ("method", self.method.to_owned()),
            ("route", self.route),
            ("status", status_class(response.status()).to_owned()),
        ];
        metrics::counter!("portico_http_requests_total", &labels).increment(1);
        metrics::histogram!("portico_http_request_duration_seconds", &labels)
            .record(self.started.elapsed().as_secs_f64());
    }
}

/// A method as a label: any other than the standard ones is `other`, so that a client cannot
/// add label values at will.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_bounded() {
        assert_eq!(method_label(&Method::GET), "GET");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::SEE_OTHER), "3xx");
        assert_eq!(status_class(StatusCode::TOO_MANY_REQUESTS), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
