//! Delivery: at least once, from the outbox. Each run fans new events out to the endpoints that
//! want them, then claims the deliveries that are due, sends them (between transactions, never
//! inside one) and settles each attempt: done, tried again later with backoff and jitter, or
//! failed after about three days, which disables an endpoint that had no success meanwhile.

use std::time::{Duration, Instant};

use portico_core::Timestamp;
use portico_store::{ClaimedDelivery, DeliveryAttempt, DeliveryStatus};
use rand::Rng;

use super::signature::{WebhookSecret, signature_header};
use crate::{App, AppError, AppResult};

/// How long one attempt may take, connection included.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of a receiver's answer is read (and kept, for the delivery log).
pub const RESPONSE_LIMIT: usize = 4 * 1024;
/// How long a worker holds the deliveries it claimed: longer than an attempt can take, so that
/// another worker takes over only from one that stopped.
const LEASE_SECS: i64 = 60;
/// Deliveries claimed per statement.
const BATCH: u32 = 100;
/// Events fanned out per transaction. Every event is marked once fanned out, endpoints or not,
/// so under a burst of issuance this is the number of events each write of the worker settles:
/// fewer, larger writes. (On PostgreSQL each call is a transaction of its own; on a SQLite file
/// the store's writer takes at most 100 events a call, in a group of its own between the
/// requests' groups.)
const FAN_OUT_BATCH: u32 = 1_000;
/// Events one run fans out at most before it sends what is due; the next run takes the rest.
const FAN_OUT_PER_RUN: usize = 20 * FAN_OUT_BATCH as usize;

/// The wait after each failed attempt, the first after the first failure; after the last, the
/// delivery has failed. About three days in all.
pub const RETRY_SCHEDULE_SECS: [i64; 10] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    10 * 3600,
    14 * 3600,
    14 * 3600,
    14 * 3600,
];

/// When to try again after `attempts` failed attempts, or `None` when that was the last. The
/// wait is the schedule's, give or take a fifth at random, so that endpoints that failed
/// together are not all retried at once.
pub fn next_attempt(attempts: i64, now: Timestamp, jitter: f64) -> Option<Timestamp> {
    let index = usize::try_from(attempts).ok()?.checked_sub(1)?;
    let wait = *RETRY_SCHEDULE_SECS.get(index)? as f64;
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    Some(Timestamp::from_millis(
        now.as_millis() + (wait * factor * 1000.0) as i64,
    ))
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Events fanned out to endpoints.
    pub events: usize,
    /// Attempts made, and how many of them the receiver accepted.
    pub attempts: usize,
    pub succeeded: usize,
}

/// Fans out every new event, then sends every delivery due now, once.
#[tracing::instrument(skip_all)]
pub async fn run_once(app: &App) -> AppResult<RunReport> {
    let mut report = RunReport::default();
    let now = app.clock.now();
    loop {
        let n = app.store.fan_out_webhook_events(now, FAN_OUT_BATCH).await?;
        metrics::counter!("portico_webhook_events_fanned_out_total").increment(n as u64);
        report.events += n;
        // A store may take fewer than asked at a time: none left ends the fan-out, and so does
        // a run's worth, so that events arriving as fast as they are fanned out never keep the
        // run from sending.
        if n == 0 || report.events >= FAN_OUT_PER_RUN {
            break;
        }
    }
    loop {
        let claim = portico_auth::secret::random_token();
        let now = app.clock.now();
        let claimed = app
            .store
            .claim_webhook_deliveries(&claim, now, now.plus_secs(LEASE_SECS), BATCH)
            .await?;
        let n = claimed.len();
        let mut sends = tokio::task::JoinSet::new();
        for delivery in claimed {
            let app = app.clone();
            sends.spawn(async move { attempt(&app, delivery).await });
        }
        while let Some(done) = sends.join_next().await {
            let succeeded = done.map_err(|e| AppError::Internal(Box::new(e)))??;
            report.attempts += 1;
            report.succeeded += usize::from(succeeded);
        }
        if n < BATCH as usize {
            break;
        }
    }
    Ok(report)
}

/// Runs [`run_once`] every `every` until the task is aborted; a failed run is logged and the
/// next tick tries again.
pub async fn run_forever(app: App, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match run_once(&app).await {
            Ok(report) if report.attempts > 0 || report.events > 0 => tracing::debug!(
                events = report.events,
                attempts = report.attempts,
                succeeded = report.succeeded,
                "webhook run"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "webhook delivery run failed"),
        }
    }
}

/// The body of an event's delivery: the same bytes on every attempt.
pub fn body(event: &portico_core::event::Event) -> AppResult<Vec<u8>> {
    serde_json::to_vec(&serde_json::json!({
        "type": event.kind.as_str(),
        "timestamp": event.created_at,
        "data": event.data,
    }))
    .map_err(|e| AppError::Internal(Box::new(e)))
}

/// The secrets that sign now: the current one, and the previous one during its overlap.
fn signing_secrets(
    app: &App,
    delivery: &ClaimedDelivery,
    now: Timestamp,
) -> AppResult<Vec<WebhookSecret>> {
    let endpoint = &delivery.endpoint;
    let open = |sealed: &str| {
        WebhookSecret::open(sealed, app.keys.master(), &endpoint.account, &endpoint.id).map_err(
            |e| {
                AppError::Internal(format!("cannot open the secret of {}: {e}", endpoint.id).into())
            },
        )
    };
    let mut secrets = vec![open(&endpoint.secret_sealed)?];
    if let (Some(previous), Some(until)) = (
        &endpoint.previous_secret_sealed,
        endpoint.previous_secret_expires_at,
    ) && now < until
    {
        secrets.push(open(previous)?);
    }
    Ok(secrets)
}

/// One attempt of one delivery, settled; whether the receiver accepted it.
async fn attempt(app: &App, delivery: ClaimedDelivery) -> AppResult<bool> {
    let now = app.clock.now();
    let body = body(&delivery.event)?;
    let id = delivery.event.id.as_str();
    let timestamp = now.as_secs();
    let signature = signature_header(&signing_secrets(app, &delivery, now)?, id, timestamp, &body);
    let started = Instant::now();
    let sent = app
        .webhooks
        .send(&delivery.endpoint.url, id, timestamp, &signature, body)
        .await;
    let latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match sent {
        Ok((status, _)) if (200..300).contains(&status) => (Some(i64::from(status)), None),
        Ok((status, answer)) => (
            Some(i64::from(status)),
            Some(format!("answered {status}: {answer}")),
        ),
        Err(why) => (None, Some(why)),
    };
    let attempts = delivery.attempts + 1;
    let (outcome, next_attempt_at, disable_reason) = match error {
        None => (DeliveryStatus::Succeeded, None, None),
        Some(_) => match next_attempt(attempts, now, rand::thread_rng().r#gen()) {
            Some(next) => (DeliveryStatus::Pending, Some(next), None),
            None => (
                DeliveryStatus::Failed,
                None,
                Some(format!(
                    "every delivery failed for {} days (the last: event {id}, {attempts} attempts)",
                    delivery.created_at.secs_until(now) / 86_400
                )),
            ),
        },
    };
    metrics::counter!("portico_webhook_attempts_total", "outcome" => outcome.as_str()).increment(1);
    if let Some(why) = &error {
        tracing::info!(endpoint = %delivery.endpoint.id, event = id, attempts, error = %why, "webhook attempt failed");
    }
    let settled = app
        .store
        .settle_webhook_delivery(
            &delivery,
            &DeliveryAttempt {
                at: now,
                status_code,
                latency_ms,
                error,
                outcome,
                next_attempt_at,
                disable_reason,
            },
        )
        .await?;
    if !settled {
        tracing::warn!(endpoint = %delivery.endpoint.id, event = id, "a webhook delivery outlived its claim");
    }
    Ok(outcome == DeliveryStatus::Succeeded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_for_about_three_days_with_jitter() {
        let t0 = Timestamp::from_secs(1_700_000_000);
        assert_eq!(next_attempt(0, t0, 0.5), None);
        assert_eq!(next_attempt(1, t0, 0.5), Some(t0.plus_secs(5)));
        assert_eq!(
            next_attempt(1, t0, 0.0),
            Some(Timestamp::from_millis(t0.as_millis() + 4_000))
        );
        assert_eq!(next_attempt(1, t0, 1.0), Some(t0.plus_secs(6)));
        let total: i64 = RETRY_SCHEDULE_SECS.iter().sum();
        assert!((60 * 3600..84 * 3600).contains(&total), "{total}");
        assert!(RETRY_SCHEDULE_SECS.windows(2).all(|w| w[0] <= w[1]));
        assert!(next_attempt(10, t0, 0.5).is_some());
        assert_eq!(next_attempt(11, t0, 0.5), None);
    }
}
