//! Wiring: open the store, build the HTTP app, serve until a shutdown signal.

use std::sync::Arc;

use anyhow::Context;
use portico_auth::signing::MasterKey;
use portico_core::Timestamp;
use portico_http::ratelimit::Quota;
use portico_http::{AppState, SessionPolicy, SystemClock};
use portico_store::{SqlStore, Store};
use secrecy::ExposeSecret;
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// The wall clock, for commands; the server reads time through its `Clock`.
pub fn now() -> Timestamp {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    Timestamp::from_millis(millis)
}

/// Logs go to stderr (stdout is for command output such as a new key), JSON unless configured
/// otherwise; `PORTICO_LOG` filters (default `info`).
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("PORTICO_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// Connects and applies pending migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = SqlStore::connect(url)
        .await
        .context("cannot open the database")?;
    store
        .migrate()
        .await
        .context("cannot migrate the database")?;
    Ok(Arc::new(store))
}

/// The master key from the configuration, else from its file; the first start writes a new one
/// there (readable by the owner only).
pub fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    let invalid =
        |source: &str| anyhow::anyhow!("{source}: the master key must be 32 bytes in base64");
    if let Some(key) = &config.master_key {
        return MasterKey::from_base64(key.expose_secret().trim())
            .map_err(|_| invalid("master_key"));
    }
    let path = &config.master_key_file;
    match std::fs::read_to_string(path) {
        Ok(text) => {
            MasterKey::from_base64(text.trim()).map_err(|_| invalid(&path.display().to_string()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate(&mut rand::rngs::OsRng);
            write_private(path, key.to_base64().as_bytes())
                .with_context(|| format!("cannot write a new master key to {}", path.display()))?;
            tracing::warn!(path = %path.display(), "created a new master key; keep this file, or set PORTICO_MASTER_KEY on every node");
            Ok(key)
        }
        Err(e) => {
            Err(e).with_context(|| format!("cannot read the master key file {}", path.display()))
        }
    }
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)
}

/// The HTTP layer's state for this configuration.
/// The use cases on `store`, for the command line: no HTTP state, no rate limits.
pub fn app(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<portico_app::App> {
    Ok(portico_app::App::new(
        store,
        Arc::new(SystemClock),
        config.public_url.clone(),
        master_key(config)?,
    )
    .with_webhook_targets(webhook_targets(config))
    .with_payments(payments(config)))
}

/// The built-in test provider and Stripe at the configured API.
fn payments(config: &Config) -> portico_app::payments::Payments {
    portico_app::payments::Payments::default().with_stripe(Arc::new(
        portico_app::payments::StripeProvider::new(&config.stripe_api_base),
    ))
}

fn webhook_targets(config: &Config) -> portico_app::webhooks::targets::TargetPolicy {
    portico_app::webhooks::targets::TargetPolicy {
        allow_private: config.webhooks_allow_private_targets,
    }
}

pub fn app_state(config: &Config, store: Arc<dyn Store>) -> anyhow::Result<AppState> {
    let api = Quota {
        per_second: config.api_rate_limit,
        burst: config.api_rate_limit.saturating_mul(2),
    };
    let exchange = Quota {
        per_second: config.exchange_rate_limit,
        burst: config.exchange_rate_limit.saturating_mul(3),
    };
    Ok(AppState::new(
        store,
        Arc::new(SystemClock),
        config.public_url.clone(),
        master_key(config)?,
    )
    .with_sessions(SessionPolicy {
        idle_timeout_secs: config.session_idle_timeout_secs,
        absolute_timeout_secs: config.session_absolute_timeout_secs,
    })
    .with_rate_limits(api, exchange)
    .with_failure_limit(
        Quota {
            per_second: config.auth_failure_rate_limit,
            burst: config.auth_failure_rate_limit.saturating_mul(10),
        },
        config.trusted_proxies.clone(),
    )
    .with_webhook_targets(webhook_targets(config))
    .with_payments(payments(config)))
}

/// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: Config, store: Arc<dyn Store>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    tracing::info!(listen = %config.listen, public_url = %config.public_url, backend = store.backend(), "serving");
    let metrics = match config.metrics_listen {
        Some(addr) => Some(serve_metrics(addr, config.server_limits).await?),
        None => None,
    };
    let janitor = tokio::spawn(purge_expired_forever(store.clone()));
    let state = app_state(&config, store)?;
    let webhooks = tokio::spawn(portico_app::webhooks::run_forever(
        state.app.clone(),
        WEBHOOKS_EVERY,
    ));
    let clock = tokio::spawn(portico_app::billing::run_forever(
        state.app.clone(),
        CLOCK_EVERY,
    ));
    portico_http::serve(
        listener,
        portico_http::router(state),
        config.server_limits,
        shutdown_signal(),
    )
    .await;
    janitor.abort();
    webhooks.abort();
    clock.abort();
    for task in metrics.into_iter().flatten() {
        task.abort();
    }
    Ok(())
}

/// Installs the metrics recorder and serves `GET /metrics` on `addr` until aborted; returns the
/// tasks that do so.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    limits: portico_http::ServerLimits,
) -> anyhow::Result<[tokio::task::JoinHandle<()>; 2]> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} for metrics"))?;
    tracing::info!(metrics_listen = %addr, "serving metrics");
    let handle = portico_http::metrics::install();
    let upkeep = tokio::spawn(portico_http::metrics::upkeep_forever(handle.clone()));
    let server = tokio::spawn(portico_http::serve(
        listener,
        portico_http::metrics::router(handle),
        limits,
        std::future::pending(),
    ));
    Ok([upkeep, server])
}

/// How often new events are fanned out to webhook endpoints and due deliveries sent.
const WEBHOOKS_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often the billing clock looks for due renewals and charges.
const CLOCK_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How often expired tokens, sessions and idempotency keys are deleted.
const PURGE_EVERY: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Deletes expired records at start and then every [`PURGE_EVERY`], until aborted. A failed
/// round is logged and retried at the next tick: a full table is no reason to stop serving.
async fn purge_expired_forever(store: Arc<dyn Store>) {
    let mut ticks = tokio::time::interval(PURGE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // The first tick completes at once.
        ticks.tick().await;
        match store.purge_expired(now()).await {
            Ok(counts) if counts.total() > 0 => tracing::info!(
                redirect_tokens = counts.redirect_tokens,
                browser_sessions = counts.browser_sessions,
                oauth_tokens = counts.oauth_tokens,
                idempotency_keys = counts.idempotency_keys,
                provider_events = counts.provider_events,
                "purged expired records"
            ),
            Ok(_) => {}
            // The alternate anyhow form shows the cause chain (the sqlx error) too.
            Err(e) => tracing::warn!(
                error = format!("{:#}", anyhow::Error::new(e)),
                "purging expired records failed"
            ),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn metrics_are_served_on_their_own_address() {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let tasks = serve_metrics(addr, portico_http::ServerLimits::default())
            .await
            .unwrap();
        let url = format!("http://{addr}/metrics");
        let first = reqwest::get(&url).await.unwrap();
        assert_eq!(first.status(), 200);
        // The first scrape is counted once it is answered, so the second one shows it.
        let second = reqwest::get(&url).await.unwrap().text().await.unwrap();
        assert!(
            second.contains(
                r#"portico_http_requests_total{method="GET",route="/metrics",status="2xx"}"#
            ),
            "{second}"
        );
        assert!(
            second.contains("# HELP portico_http_requests_total Requests answered"),
            "{second}"
        );
        for task in tasks {
            task.abort();
        }
    }
}
