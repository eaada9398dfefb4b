//! Customers: the vendor's paying tenants.

use portico_core::model::{Customer, CustomerRef};
use portico_core::{CustomerId, Timestamp};

use super::UnitOfWork;
use crate::StoreResult;
use crate::sql::rows::{self, CUSTOMERS, params, query};
use crate::sql::statements::no_account;
use crate::sql::statements::{
    alias_exists, find_customer, for_update, revoke_live_sessions, save, soft_delete,
};
use crate::sql::write_error;

pub struct Customers<'u>(pub(super) &'u mut UnitOfWork);

impl Customers<'_> {
    /// A live customer by id or alias, locked until the unit ends; `None` when there is none.
    pub async fn lock(&mut self, customer: &CustomerRef) -> StoreResult<Option<Customer>> {
        let (conn, backend, account) = self.0.parts();
        find_customer(conn, account, customer, for_update(backend)).await
    }

    /// A customer by id, deleted or not (the owner of older records), without locking it.
    pub async fn any(&mut self, id: &CustomerId) -> StoreResult<Option<Customer>> {
        let (conn, _, account) = self.0.parts();
        query(
            &format!("{} WHERE account_id = $1 AND id = $2", CUSTOMERS.select()),
            params![account, id],
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| rows::customer(&row))
        .transpose()
    }

    /// Puts the customer on the account's test clock `clock`, which bills it from then on
    /// instead of the real clock; `false` when the account has no such clock.
    pub async fn attach_test_clock(
        &mut self,
        customer: &CustomerId,
        clock: &str,
    ) -> StoreResult<bool> {
        let (conn, _, account) = self.0.parts();
        let done = query(
            "UPDATE customers SET test_clock_id = $3 WHERE account_id = $1 AND id = $2 \
             AND EXISTS (SELECT 1 FROM test_clocks t WHERE t.account_id = $1 AND t.id = $3)",
            params![account, customer, clock],
        )
        .execute(&mut *conn)
        .await?;
        self.0.customer_changed(customer);
        Ok(done.rows_affected() == 1)
    }

    /// A new customer; its alias must be free in the account (`Conflict` otherwise).
    pub async fn insert(&mut self, customer: &Customer) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        crate::sql::statements::insert(conn, &CUSTOMERS, account, rows::customer_values(customer)?)
            .await
            .map_err(|e| write_error(e, || alias_exists(customer), no_account(account)))?;
        self.0.customer_changed(&customer.id);
        Ok(())
    }

    /// Writes the customer back whole.
    pub async fn save(&mut self, customer: &Customer) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(conn, &CUSTOMERS, account, rows::customer_values(customer)?)
            .await
            .map_err(|e| write_error(e, || alias_exists(customer), no_account(account)))?;
        self.0.customer_changed(&customer.id);
        Ok(())
    }

    /// Hides the customer from every lookup and frees its alias; its contacts go with it.
    pub async fn delete(&mut self, customer: &CustomerId, now: Timestamp) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        soft_delete(conn, &CUSTOMERS, account, customer.as_str(), now).await?;
        // Its people lose portal access with it, and give their external ids back.
        query(
            "UPDATE contacts SET deleted_at = $3, updated_at = $3 \
             WHERE account_id = $1 AND customer_id = $2 AND deleted_at IS NULL",
            params![account, customer, now],
        )
        .execute(&mut *conn)
        .await?;
        self.0.customer_changed(customer);
        Ok(())
    }

    /// Ends the customer's live portal sessions for good; returns how many.
    pub async fn end_portal_sessions(
        &mut self,
        customer: &CustomerId,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let (conn, _, account) = self.0.parts();
        let ended =
            revoke_live_sessions(conn, account, "customer_id", customer.as_str(), now).await?;
        self.0.customer_changed(customer);
        self.0.record_revoked(&ended)
    }
}
