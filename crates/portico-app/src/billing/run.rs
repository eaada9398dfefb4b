//! Finding due work and running it: claims of due subscriptions (disjoint between workers on
//! any number of nodes), each run up to `now` — its due charges, then its renewals one period
//! at a time, each period's charge after it.

use std::time::Duration;

use portico_core::{AccountId, SubscriptionId, Timestamp};
use portico_store::{ClockScope, DueSubscription};

use super::dunning;
use super::renew::{self, Step};
use crate::{App, AppResult};

/// How long a worker holds a subscription it claimed; a worker that stopped loses it then.
pub const LEASE: Duration = Duration::from_secs(60);
/// Subscriptions claimed at once.
const BATCH: u32 = 50;
/// At most this many periods of one subscription in one run (a subscription imported years
/// back catches up over several runs).
const MAX_PERIODS: usize = 240;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunReport {
    /// Subscriptions it ran.
    pub subscriptions: usize,
    pub renewed: usize,
    /// Subscriptions that ended (a cancellation at the period end, a trial without a card).
    pub ended: usize,
    pub paid: usize,
    pub failed: usize,
    /// Charges left due for a later run, and subscriptions whose run failed.
    pub left: usize,
}

impl RunReport {
    fn add(&mut self, other: RunReport) {
        self.subscriptions += other.subscriptions;
        self.renewed += other.renewed;
        self.ended += other.ended;
        self.paid += other.paid;
        self.failed += other.failed;
        self.left += other.left;
    }
}

/// Runs one subscription up to `now`.
pub async fn run_subscription(
    app: &App,
    account: &AccountId,
    id: &SubscriptionId,
    now: Timestamp,
) -> AppResult<RunReport> {
    let mut report = RunReport {
        subscriptions: 1,
        ..RunReport::default()
    };
    for _ in 0..MAX_PERIODS {
        let collected = dunning::collect(app, account, id, now).await?;
        report.paid += collected.paid;
        report.failed += collected.failed;
        report.left += collected.left;
        match renew::renew(app, account, id, now).await? {
            Step::Renewed(_) => report.renewed += 1,
            Step::Ended => {
                report.ended += 1;
                break;
            }
            Step::Nothing => break,
        }
    }
    metrics::counter!("portico_billing_renewals_total").increment(report.renewed as u64);
    metrics::counter!("portico_billing_charges_total", "outcome" => "paid")
        .increment(report.paid as u64);
    metrics::counter!("portico_billing_charges_total", "outcome" => "failed")
        .increment(report.failed as u64);
    Ok(report)
}

/// Runs every subscription of `scope` whose next action is due at `now`, batch by batch,
/// until none is left that no worker holds. A subscription whose run failed, or that still has
/// a charge due (the provider did not answer), stays claimed until its lease ends, so that a
/// run ends and the next one tries it again.
#[tracing::instrument(skip_all)]
pub async fn run_due(app: &App, scope: &ClockScope, now: Timestamp) -> AppResult<RunReport> {
    let claim = format!("clk_{}", hex::encode(rand::random::<[u8; 12]>()));
    let lease_ms = i64::try_from(LEASE.as_millis()).unwrap_or(i64::MAX);
    let mut report = RunReport::default();
    loop {
        // Leases are counted on the wall clock, whatever time the run bills up to.
        let wall = app.clock.now();
        let until = Timestamp::from_millis(wall.as_millis().saturating_add(lease_ms));
        let batch = app
            .store
            .claim_due_subscriptions(scope, &claim, now, wall, until, BATCH)
            .await?;
        if batch.is_empty() {
            return Ok(report);
        }
        for due in batch {
            let DueSubscription {
                account,
                subscription,
            } = &due;
            match run_subscription(app, account, subscription, now).await {
                Ok(done) => {
                    report.add(done);
                    if done.left == 0 {
                        app.store.release_subscription(&due, &claim).await?;
                    }
                }
                Err(e) => {
                    tracing::error!(%account, %subscription, error = %e,
                        "billing clock: the subscription's run failed");
                    report.left += 1;
                }
            }
        }
    }
}

/// Runs the real clock every `every` until the task is aborted, and after each run reports
/// what is left in the metrics; a failed run is logged and the next tick tries again.
pub async fn run_forever(app: App, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now = app.clock.now();
        match run_due(&app, &ClockScope::Real, now).await {
            Ok(report) if report != RunReport::default() => tracing::info!(
                subscriptions = report.subscriptions,
                renewed = report.renewed,
                ended = report.ended,
                paid = report.paid,
                failed = report.failed,
                left = report.left,
                "billing clock run"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "billing clock run failed"),
        }
        if let Err(e) = report_backlog(&app, app.clock.now()).await {
            tracing::warn!(error = %e, "cannot read the billing clock's backlog");
        }
    }
}

/// Sets the backlog gauges: the clock's lag (how long the oldest due action has waited), its
/// due actions, and the webhook queue's depth.
pub async fn report_backlog(app: &App, now: Timestamp) -> AppResult<()> {
    let backlog = app.store.backlog(now).await?;
    let lag_ms = backlog.clock_oldest_due_at.map_or(0, |due| {
        now.as_millis().saturating_sub(due.as_millis()).max(0)
    });
    #[allow(clippy::cast_precision_loss)] // a lag in seconds, far below 2^52
    {
        metrics::gauge!("portico_billing_clock_lag_seconds").set(lag_ms as f64 / 1000.0);
        metrics::gauge!("portico_billing_clock_due").set(backlog.clock_due as f64);
        metrics::gauge!("portico_webhook_queue_depth").set(backlog.webhook_queue as f64);
    }
    Ok(())
}
