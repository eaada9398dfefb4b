//! A database made by an earlier release (`tests/upgrade/`, made by `scripts/upgrade-fixture`)
//! migrates forward with this code, and every record reads back as that release read it.

use std::path::PathBuf;

use portico_store::SqlStore;
use portico_store::prelude::*;
use portico_testkit::{Backend, Fixture, TestDatabase, backend_tests};
use sqlx::Connection;

use super::records;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/upgrade")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A fresh database holding the earlier release's dump, not yet migrated by this code.
struct Released {
    db: TestDatabase,
    backend: Backend,
}

impl Fixture for Released {
    async fn start(backend: Backend) -> Self {
        let db = TestDatabase::create(backend).await;
        match backend {
            Backend::Sqlite => {
                let url = format!("{}?mode=rwc", db.url);
                let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
                sqlx::raw_sql(&fixture("sqlite.sql"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
                sqlx::raw_sql(&fixture("postgres.sql"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.unwrap();
            }
        }
        Released { db, backend }
    }
}

fn expected(backend: Backend) -> Vec<String> {
    let name = match backend {
        Backend::Sqlite => "expected-sqlite.txt",
        Backend::Postgres => "expected-postgres.txt",
    };
    fixture(name).lines().map(str::to_owned).collect()
}

use portico_core::PageRequest;
use portico_store::SubscriptionFilter;

backend_tests! {
    async fn a_database_of_the_previous_release_migrates_forward_and_reads_back_equal(released: Released) {
        let release = fixture("RELEASE");
        let store = SqlStore::connect(&released.db.url).await.unwrap();
        let before = applied(&released.db.url).await;
        assert_eq!(before, 5, "the release {} ran migrations 1 to 5", release.trim());
        store.migrate().await.unwrap();
        assert!(applied(&released.db.url).await >= before);

        // What migrations since the release added, with the values they gave existing rows.
        let account = store.account_by_subdomain(records::SUBDOMAIN).await.unwrap();
        let subs = store
            .list_subscriptions(&account.id, SubscriptionFilter::default(), PageRequest::first(100))
            .await
            .unwrap()
            .data;
        assert!(!subs.is_empty());
        let mut added = Vec::new();
        for sub in &subs {
            // Migration 7: a subscription is anchored where its paid periods begin.
            assert_eq!(sub.billing_cycle_anchor, sub.trial_end.unwrap_or(sub.current_period_start));
            added.push(format!("billing_cycle_anchor: {:?}, ", sub.billing_cycle_anchor));
        }
        // Migration 10: no cancel comment or scheduled change yet; plans allow any quantity
        // from one (a different value leaves its text in the line, which then differs).
        added.push("cancel_comment: None, scheduled_change: None, ".to_owned());
        added.push("min_quantity: 1, max_quantity: None, ".to_owned());
        // Migration 17: a portal session of before is locked to no task, and no subscription is
        // paused.
        added.push(", flow: None".to_owned());
        added.push("pause_collection: None, ".to_owned());
        // Settings stored before the subscription rules existed read with the default rules.
        added.push(format!(
            ", subscription_changes: {:?}",
            portico_core::model::SubscriptionChanges::default()
        ));
        // Migration 15 and the settings of since: no seller block yet, the default clock rules.
        added.push(format!(", invoice: {:?}", portico_core::model::InvoiceSettings::default()));
        added.push(format!(", billing: {:?}", portico_core::model::BillingRules::default()));
        // Migration 20: customers of before have no further invoice recipients.
        added.push("invoice_recipients: [], ".to_owned());

        let read = records::read_everything(&store).await;
        let expected = expected(released.backend);
        assert_eq!(read.len(), expected.len(), "records read: {read:#?}");
        for (now, then) in read.iter().zip(&expected) {
            let now = added.iter().fold(now.clone(), |line, field| line.replace(field.as_str(), ""));
            assert_eq!(&now, then, "read differently after the upgrade");
        }
    }
}

/// How many migrations the database has had.
async fn applied(url: &str) -> i64 {
    portico_testkit::RawConnection::connect(url)
        .await
        .scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .await
}
