//! PostgreSQL over TLS. Runs against the test cluster started with `PORTICO_PG_SSL=1`, whose
//! certificate directory `PORTICO_TEST_POSTGRES_TLS_DIR` names (`scripts/test` sets both).

use std::path::PathBuf;

use portico_store::{SqlStore, Store};
use sqlx::{Connection, Row};

/// The cluster's CA directory, or `None` (and a note) when this run has no TLS cluster.
fn tls_dir() -> Option<PathBuf> {
    match std::env::var("PORTICO_TEST_POSTGRES_TLS_DIR") {
        Ok(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!(
                "skipped: PORTICO_TEST_POSTGRES_TLS_DIR is not set (scripts/test sets it; or start \
                 the cluster with PORTICO_PG_SSL=1 scripts/pg-cluster start and point it at \
                 its tls/ directory)"
            );
            None
        }
    }
}

/// The test cluster's port.
fn port() -> u16 {
    let base = portico_testkit::postgres_base_url();
    let authority = base
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("no host in {base}"));
    let port = authority.rsplit(':').next().unwrap_or_default();
    port.parse().unwrap_or_else(|_| panic!("no port in {base}"))
}

/// A URL of the test cluster through `host`, with `query` appended and a unique application name
/// by which the test finds the connections it made.
fn cluster_url(host: &str, query: &str) -> (String, String) {
    let app = format!("portico_tls_{:016x}", rand::random::<u64>());
    let url = format!(
        "postgres://portico@{host}:{}/postgres?application_name={app}&{query}",
        port()
    );
    (url, app)
}

/// A URL of the test cluster through `host` that verifies its certificate (`mode`) against the CA
/// in the cluster's file `ca`.
fn verifying_url(dir: &std::path::Path, host: &str, mode: &str, ca: &str) -> (String, String) {
    let path = dir.join(ca);
    assert!(path.is_file(), "{} is missing", path.display());
    cluster_url(
        host,
        &format!("sslmode={mode}&sslrootcert={}", path.display()),
    )
}

/// Whether every connection with this application name is encrypted, and how many there are,
/// as the server sees them.
async fn encrypted(app: &str) -> (bool, i64) {
    let mut admin = sqlx::PgConnection::connect(&portico_testkit::postgres_base_url())
        .await
        .unwrap();
    let row = sqlx::query(
        "SELECT coalesce(bool_and(s.ssl), false) AS all_ssl, count(*) AS n \
         FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
         WHERE a.application_name = $1",
    )
    .bind(app)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    (row.get("all_ssl"), row.get("n"))
}

/// Connects a store, makes it use the database (and its change listener), and checks what the
/// server saw of its connections.
async fn store_connections_are_encrypted(url: &str, app: &str) -> (bool, i64) {
    let store = SqlStore::connect(url).await.unwrap();
    store.ping().await.unwrap();
    store.sync(std::time::Duration::ZERO).await.unwrap();
    let seen = encrypted(app).await;
    drop(store);
    seen
}

#[tokio::test]
async fn sslmode_require_encrypts_every_connection_of_the_store() {
    let Some(_) = tls_dir() else { return };
    let (url, app) = cluster_url("127.0.0.1", "sslmode=require");
    connects_encrypted(&url, &app).await;

    // The same check tells a plain connection apart.
    let (url, app) = cluster_url("127.0.0.1", "sslmode=disable");
    let (all_ssl, n) = store_connections_are_encrypted(&url, &app).await;
    assert!(n >= 2);
    assert!(!all_ssl, "sslmode=disable still encrypted");
}

/// A store on this URL connects, and only over TLS.
async fn connects_encrypted(url: &str, app: &str) {
    let (all_ssl, n) = store_connections_are_encrypted(url, app).await;
    assert!(n >= 2, "the pool and the change listener connected: {n}");
    assert!(all_ssl, "a connection of the store is not encrypted");
}

/// A store on this URL does not connect, for the reason named.
async fn refused(url: &str, reason: &str) {
    match SqlStore::connect(url).await {
        Ok(_) => panic!("connected to {url}"),
        Err(e) => assert!(format!("{e:?}").contains(reason), "not {reason}: {e:?}"),
    }
}

#[tokio::test]
async fn verify_full_accepts_the_clusters_ca_for_its_host_name() {
    let Some(dir) = tls_dir() else { return };
    let (url, app) = verifying_url(&dir, "localhost", "verify-full", "ca.crt");
    connects_encrypted(&url, &app).await;

    // The session itself says so, on the store's own driver.
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    let ssl: bool = sqlx::query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("ssl");
    assert!(ssl);
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_of_another_ca() {
    let Some(dir) = tls_dir() else { return };
    let (url, _) = verifying_url(&dir, "localhost", "verify-full", "unrelated-ca.crt");
    refused(&url, "UnknownIssuer").await;
}

#[tokio::test]
async fn verify_full_refuses_a_host_name_the_certificate_does_not_name() {
    let Some(dir) = tls_dir() else { return };
    // The certificate names `localhost`, not the address it resolves to.
    let (url, _) = verifying_url(&dir, "127.0.0.1", "verify-full", "ca.crt");
    refused(&url, "NotValidForName").await;
}

#[tokio::test]
async fn verify_ca_checks_the_issuer() {
    let Some(dir) = tls_dir() else { return };
    let (url, app) = verifying_url(&dir, "localhost", "verify-ca", "ca.crt");
    connects_encrypted(&url, &app).await;
    let (url, _) = verifying_url(&dir, "localhost", "verify-ca", "unrelated-ca.crt");
    refused(&url, "UnknownIssuer").await;
}
