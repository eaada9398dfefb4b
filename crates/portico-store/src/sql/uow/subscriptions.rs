//! Subscriptions: a customer on a plan, period after period.

use portico_core::CustomerId;
use portico_core::SubscriptionId;
use portico_core::model::{Subscription, SubscriptionStatus};

use super::UnitOfWork;
use crate::StoreResult;
use crate::sql::rows::{self, SUBSCRIPTIONS, params, query};
use crate::sql::statements::{find, for_update, insert, locked_child, no_such, save};
use crate::sql::write_error;

pub struct Subscriptions<'u>(pub(super) &'u mut UnitOfWork);

impl Subscriptions<'_> {
    /// A subscription, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, id: &SubscriptionId) -> StoreResult<Option<Subscription>> {
        let (conn, backend, account) = self.0.parts();
        locked_child(
            conn,
            backend,
            &SUBSCRIPTIONS,
            account,
            id.as_str(),
            rows::subscription,
        )
        .await
    }

    /// A subscription, without locking it.
    pub async fn find(&mut self, id: &SubscriptionId) -> StoreResult<Option<Subscription>> {
        let (conn, _, account) = self.0.parts();
        find(
            conn,
            &SUBSCRIPTIONS,
            account,
            id.as_str(),
            "",
            rows::subscription,
        )
        .await
    }

    /// The customer's subscriptions that are not canceled, locked; the customer is locked by
    /// the caller.
    pub async fn lock_live_of(&mut self, customer: &CustomerId) -> StoreResult<Vec<Subscription>> {
        let (conn, backend, account) = self.0.parts();
        let sql = format!(
            "{} WHERE account_id = $1 AND customer_id = $2 AND status <> $3{}",
            SUBSCRIPTIONS.select(),
            for_update(backend)
        );
        let canceled = SubscriptionStatus::Canceled.as_str();
        query(&sql, params![account, customer, canceled])
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(rows::subscription)
            .collect()
    }

    /// A new subscription of a customer the caller has locked, on a plan it has found; a plan
    /// deleted since is `Invalid`.
    pub async fn insert(&mut self, subscription: &Subscription) -> StoreResult<()> {
        self.write(subscription, false).await
    }

    pub async fn save(&mut self, subscription: &Subscription) -> StoreResult<()> {
        self.write(subscription, true).await
    }

    /// Inserts (or with `existing`, writes back) the subscription's row.
    async fn write(&mut self, subscription: &Subscription, existing: bool) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        let values = rows::subscription_values(subscription)?;
        let done = if existing {
            save(conn, &SUBSCRIPTIONS, account, values).await
        } else {
            insert(conn, &SUBSCRIPTIONS, account, values).await
        };
        done.map_err(|e| {
            write_error(
                e,
                || format!("subscription {}", subscription.id),
                |_| no_such("plan", "plan", &subscription.plan),
            )
        })?;
        self.0.customer_changed(&subscription.customer);
        Ok(())
    }
}
