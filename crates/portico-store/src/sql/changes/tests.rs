//! The change log's payloads, and two nodes on a real database: what one commit of many changes
//! drops on the other, what a lost listening connection drops, and whether writers of different
//! accounts wait for each other.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::prelude::*;
use crate::sql::{Backend, SqlStore, begin_write};
use portico_core::event::Actor;
use portico_core::model::CustomerRef;
use portico_core::model::{Customer, CustomerPatch, NewCustomer};
use sqlx::Connection;

fn change(n: u8, customer: bool) -> Change {
    let now = Timestamp::from_millis(1_700_000_000_000);
    Change {
        account: AccountId::new(now, [n; 10]),
        customer: customer.then(|| CustomerId::new(now, [n; 10])),
    }
}

#[test]
fn payloads_carry_every_change_within_the_size_limit() {
    let changes: Vec<Change> = (0..=255u8)
        .flat_map(|n| [change(n, false), change(n, true)])
        .collect();
    let sent = payloads(&changes);
    assert!(sent.len() > 1, "{} changes fit one payload", changes.len());
    assert!(sent.iter().all(|p| !p.is_empty() && p.len() <= MAX_PAYLOAD));
    let back: Vec<Change> = sent
        .iter()
        .flat_map(|p| parse_payload(p).expect("parses"))
        .collect();
    assert_eq!(back, changes);
    assert_eq!(payloads(&changes[..1]).len(), 1);
}

#[test]
fn a_payload_of_anything_else_is_refused() {
    let good = payloads(&[change(1, true)]).remove(0);
    for bad in [
        "hello".to_owned(),
        format!("{good} extra"),
        format!("{good}\\n\\n"),
        good.replace(' ', "  "),
    ] {
        assert!(parse_payload(&bad).is_none(), "{bad:?}");
    }
}

/// Two stores (nodes) on one fresh, migrated database.
async fn two_nodes(
    backend: portico_testkit::Backend,
) -> (SqlStore, SqlStore, portico_testkit::TestDatabase) {
    let db = portico_testkit::TestDatabase::create(backend).await;
    let a = SqlStore::connect(&db.url).await.unwrap();
    a.migrate().await.unwrap();
    let b = SqlStore::connect(&db.url).await.unwrap();
    (a, b, db)
}

fn now() -> Timestamp {
    Timestamp::from_millis(1_767_225_600_000)
}

async fn customer(store: &SqlStore, account: &AccountId, name: &str) -> CustomerRef {
    // The API's own reading of a body, with its defaults.
    let input: NewCustomer =
        serde_json::from_value(serde_json::json!({"name": name, "currency": "EUR"})).unwrap();
    let customer = Customer::create(CustomerId::new(now(), rand::random()), input, now()).unwrap();
    let mut uow = store.begin(account, Actor::Operator, now()).await.unwrap();
    uow.customers().insert(&customer).await.unwrap();
    uow.commit().await.unwrap();
    CustomerRef::Id(customer.id)
}

/// Renames a customer without telling any node, as only a lost change would: what a node
/// answers afterwards shows whether it still had the old name cached.
async fn rename_behind_the_caches(url: &str, customer: &CustomerRef, name: &str) {
    let CustomerRef::Id(id) = customer else {
        panic!("by id")
    };
    let raw = crate::sql::db::Pool::connect(url).await.unwrap();
    let done = query(
        "UPDATE customers SET name = $1 WHERE id = $2",
        params![name, id],
    )
    .execute(&raw)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

/// An account made on node A with customers "Changed" and "Kept", both cached on node B.
async fn cached_on_b(
    a: &SqlStore,
    b: &SqlStore,
    subdomain: &str,
) -> (AccountId, CustomerRef, CustomerRef) {
    let account = a
        .create_account(subdomain, "Two Nodes Inc", now())
        .await
        .unwrap()
        .id;
    let changed = customer(a, &account, "Changed").await;
    let kept = customer(a, &account, "Kept").await;
    b.sync(Duration::ZERO).await.unwrap();
    assert_eq!(name(b, &account, &changed).await, "Changed");
    assert_eq!(name(b, &account, &kept).await, "Kept");
    (account, changed, kept)
}

/// One commit of more changes than a node once read in a round (1,000, past which it dropped
/// its whole cache) drops only those scopes on another node.
async fn one_commit_of_many_changes_drops_only_those_scopes_on_another_node(
    backend: portico_testkit::Backend,
) {
    let (a, b, db) = two_nodes(backend).await;
    let (account, changed, kept) = cached_on_b(&a, &b, "batch").await;

    rename_behind_the_caches(&db.url, &changed, "Changed in the batch").await;
    rename_behind_the_caches(&db.url, &kept, "Kept, renamed behind the caches").await;
    let mut tx = begin_write(&a.pool, &a.cache).await.unwrap();
    for n in 0..1_500u32 {
        let other = CustomerId::new(
            now(),
            [(n % 256) as u8, (n / 256) as u8, 0, 0, 0, 0, 0, 0, 0, 0],
        );
        tx.customer_changed(&account, &other);
    }
    let CustomerRef::Id(changed_id) = &changed else {
        panic!("by id")
    };
    tx.customer_changed(&account, changed_id);
    tx.commit().await.unwrap();

    b.sync(Duration::ZERO).await.unwrap();
    assert_eq!(name(&b, &account, &changed).await, "Changed in the batch");
    assert_eq!(
        name(&b, &account, &kept).await,
        "Kept",
        "node B dropped a scope nobody changed"
    );
    let names = rename_and_sync(
        &a,
        &b,
        &db.url,
        &account,
        (&kept, "Renamed"),
        (&changed, "-"),
    )
    .await;
    assert_eq!(names.0, "Renamed");
}

async fn name(node: &SqlStore, account: &AccountId, customer: &CustomerRef) -> String {
    node.customer(account, customer).await.unwrap().name
}

/// Renames `changed` on node A (which announces it) and `unannounced` behind the caches, lets
/// node B catch up, and returns the names B answers for both.
async fn rename_and_sync(
    a: &SqlStore,
    b: &SqlStore,
    url: &str,
    account: &AccountId,
    (changed, name_on_a): (&CustomerRef, &str),
    (unannounced, name_behind): (&CustomerRef, &str),
) -> (String, String) {
    let patch = CustomerPatch {
        name: Some(name_on_a.into()),
        ..Default::default()
    };
    let mut uow = a.begin(account, Actor::Operator, now()).await.unwrap();
    let current = uow.customers().lock(changed).await.unwrap().unwrap();
    uow.customers()
        .save(&patch.apply(current, now()).unwrap())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    rename_behind_the_caches(url, unannounced, name_behind).await;
    b.sync(Duration::ZERO).await.unwrap();
    (
        name(b, account, changed).await,
        name(b, account, unannounced).await,
    )
}

/// The backend id of a node's listening connection in `database`.
async fn listener_pid(admin: &mut sqlx::PgConnection, database: &str) -> i32 {
    let sql = format!(
        "SELECT pid FROM pg_stat_activity WHERE datname = $1 \
         AND (query = '{LISTENER_ROUND_TRIP}' OR query = 'LISTEN \"{CHANNEL}\"')"
    );
    sqlx::query_scalar(&sql)
        .bind(database)
        .fetch_one(admin)
        .await
        .unwrap()
}

/// Notifications sent while a node's listening connection is down are lost; the node cannot
/// know which, so it drops its whole cache, listens again, and then drops only what changes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_lost_listener_drops_the_whole_cache_once_and_listening_resumes() {
    let (a, b, db) = two_nodes(portico_testkit::Backend::Postgres).await;
    let database = db.url.rsplit('/').next().unwrap().to_owned();
    let base = portico_testkit::postgres_base_url();
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    let (account, changed, kept) = cached_on_b(&a, &b, "lost").await;

    // Node B's listening connection goes away, and a change with it.
    let pid = listener_pid(&mut admin, &database).await;
    let ended: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(pid)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(ended);
    let names = rename_and_sync(
        &a,
        &b,
        &db.url,
        &account,
        (&changed, "Missed"),
        (&kept, "Behind 1"),
    )
    .await;
    assert_eq!(
        names,
        ("Missed".into(), "Behind 1".into()),
        "the whole cache was dropped"
    );

    // Listening again: changes arrive, and the rest of the cache stays.
    b.sync(Duration::ZERO).await.unwrap();
    assert_ne!(listener_pid(&mut admin, &database).await, pid);
    assert_eq!(name(&b, &account, &kept).await, "Behind 1");
    let names = rename_and_sync(
        &a,
        &b,
        &db.url,
        &account,
        (&changed, "Seen"),
        (&kept, "Behind 2"),
    )
    .await;
    assert_eq!(names, ("Seen".into(), "Behind 1".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_one_commit_of_many_changes_drops_only_those_scopes_on_another_node() {
    one_commit_of_many_changes_drops_only_those_scopes_on_another_node(
        portico_testkit::Backend::Sqlite,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_one_commit_of_many_changes_drops_only_those_scopes_on_another_node() {
    one_commit_of_many_changes_drops_only_those_scopes_on_another_node(
        portico_testkit::Backend::Postgres,
    )
    .await;
}

/// PostgreSQL: a write that has announced its changes but not committed holds up no write of
/// another account (the old counter row did, until it committed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_open_write_holds_up_no_other_accounts_write() {
    let (a, _b, _db) = two_nodes(portico_testkit::Backend::Postgres).await;
    assert_eq!(a.backend, Backend::Postgres);
    let (first, second) = (change(1, true), change(2, false));
    let mut open = begin_write(&a.pool, &a.cache).await.unwrap();
    notify(&mut open, std::slice::from_ref(&first))
        .await
        .unwrap();

    let mut other = begin_write(&a.pool, &a.cache).await.unwrap();
    other.account_changed(&second.account);
    tokio::time::timeout(Duration::from_secs(5), other.commit())
        .await
        .expect("the second write waited for the first")
        .unwrap();
    open.commit().await.unwrap();
}

/// A customer read by alias is kept under its id as well (issuance reads it by alias, then
/// checks it by id), and a change of that customer drops it under both.
async fn a_customer_read_by_alias_is_cached_by_id_too(backend: portico_testkit::Backend) {
    let (a, _b, db) = two_nodes(backend).await;
    let account = a
        .create_account("alias", "Alias Inc", now())
        .await
        .unwrap()
        .id;
    let id = customer(&a, &account, "Aliased").await;
    let CustomerRef::Id(customer_id) = &id else {
        panic!("by id")
    };
    let mut uow = a.begin(&account, Actor::Operator, now()).await.unwrap();
    let current = uow.customers().lock(&id).await.unwrap().unwrap();
    let patch = CustomerPatch {
        alias: Some(Some("acme".into())),
        ..Default::default()
    };
    uow.customers()
        .save(&patch.apply(current, now()).unwrap())
        .await
        .unwrap();
    uow.commit().await.unwrap();
    let alias = CustomerRef::Alias("acme".into());
    assert_eq!(a.customer(&account, &alias).await.unwrap().id, *customer_id);

    rename_behind_the_caches(&db.url, &id, "Renamed behind the cache").await;
    assert_eq!(name(&a, &account, &id).await, "Aliased", "not cached by id");

    let mut tx = begin_write(&a.pool, &a.cache).await.unwrap();
    tx.customer_changed(&account, customer_id);
    tx.commit().await.unwrap();
    assert_eq!(name(&a, &account, &id).await, "Renamed behind the cache");
    assert_eq!(name(&a, &account, &alias).await, "Renamed behind the cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_customer_read_by_alias_is_cached_by_id_too() {
    a_customer_read_by_alias_is_cached_by_id_too(portico_testkit::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_customer_read_by_alias_is_cached_by_id_too() {
    a_customer_read_by_alias_is_cached_by_id_too(portico_testkit::Backend::Postgres).await;
}

/// The exchange keeps the portal session its write read, for the read that answers the browser
/// right after; revoking the session (which announces its customer) drops it.
async fn an_exchange_keeps_the_portal_session_it_read(backend: portico_testkit::Backend) {
    use portico_core::PortalSessionId;
    use portico_core::model::{PortalPage, PortalSession};
    use portico_core::scope::PortalScopes;

    let (a, _b, db) = two_nodes(backend).await;
    let account = a
        .create_account("exchange", "Exchange Inc", now())
        .await
        .unwrap()
        .id;
    let CustomerRef::Id(customer) = customer(&a, &account, "Entering").await else {
        panic!("by id")
    };
    let session = PortalSession {
        id: PortalSessionId::new(now(), rand::random()),
        customer,
        contact: None,
        scopes: PortalScopes::read_only(),
        return_url: None,
        locale: None,
        page: PortalPage::Overview,
        issued_at: now(),
        expires_at: now().plus_secs(3_600),
        revoked_at: None,
        issued_by: "cli".into(),
        flow: None,
    };
    a.create_portal_session(&account, &session, false, None)
        .await
        .unwrap();
    let hash = [7; 32];
    a.create_redirect_token(&account, &session.id, &hash, now().plus_secs(30))
        .await
        .unwrap();
    let (_, id) = a
        .exchange_redirect_token(&hash, now(), [1; 32], [2; 32], None)
        .await
        .unwrap()
        .expect("the token is spent");

    let raw = crate::sql::db::Pool::connect(&db.url).await.unwrap();
    let behind = "https://behind.example/";
    query(
        "UPDATE portal_sessions SET return_url = $1 WHERE id = $2",
        params![behind, &id],
    )
    .execute(&raw)
    .await
    .unwrap();
    let read = a.portal_session(&account, &id).await.unwrap();
    assert_eq!(read.return_url, None, "the exchange's read was not kept");

    a.revoke_portal_session(&account, &id, now(), &Actor::Operator, None)
        .await
        .unwrap();
    let read = a.portal_session(&account, &id).await.unwrap();
    assert!(read.revoked_at.is_some(), "a revoked session was served");
    assert_eq!(read.return_url.as_deref(), Some(behind));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_an_exchange_keeps_the_portal_session_it_read() {
    an_exchange_keeps_the_portal_session_it_read(portico_testkit::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_an_exchange_keeps_the_portal_session_it_read() {
    an_exchange_keeps_the_portal_session_it_read(portico_testkit::Backend::Postgres).await;
}
