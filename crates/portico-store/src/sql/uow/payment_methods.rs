//! Payment methods: the cards and accounts a customer pays with, one of them the default.

use portico_core::model::PaymentMethod;
use portico_core::{CustomerId, PaymentMethodId, Timestamp};

use super::UnitOfWork;
use crate::StoreResult;
use crate::sql::rows::{self, PAYMENT_METHODS, params, query};
use crate::sql::statements::{
    clear_default_payment_method, find, insert, locked_child, no_account, save,
    soft_delete_keeping_updated_at,
};
use crate::sql::write_error;

pub struct PaymentMethods<'u>(pub(super) &'u mut UnitOfWork);

impl PaymentMethods<'_> {
    /// A payment method, locked (after its customer) until the unit ends.
    pub async fn lock(&mut self, id: &PaymentMethodId) -> StoreResult<Option<PaymentMethod>> {
        let (conn, backend, account) = self.0.parts();
        let table = &PAYMENT_METHODS;
        locked_child(
            conn,
            backend,
            table,
            account,
            id.as_str(),
            rows::payment_method,
        )
        .await
    }

    /// A live payment method, without locking it.
    pub async fn find(&mut self, id: &PaymentMethodId) -> StoreResult<Option<PaymentMethod>> {
        let (conn, _, account) = self.0.parts();
        find(
            conn,
            &PAYMENT_METHODS,
            account,
            id.as_str(),
            "",
            rows::payment_method,
        )
        .await
    }

    /// Whether the customer has any live payment method.
    pub async fn any_of(&mut self, customer: &CustomerId) -> StoreResult<bool> {
        let (conn, _, account) = self.0.parts();
        Ok(query(
            "SELECT id FROM payment_methods \
             WHERE account_id = $1 AND customer_id = $2 AND deleted_at IS NULL LIMIT 1",
            params![account, customer],
        )
        .fetch_optional(&mut *conn)
        .await?
        .is_some())
    }

    /// Clears the default flag on the customer's payment methods, before another takes it.
    pub async fn clear_default(
        &mut self,
        customer: &CustomerId,
        now: Timestamp,
    ) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        clear_default_payment_method(conn, account, customer, now).await?;
        self.0.customer_changed(customer);
        Ok(())
    }

    /// A new payment method of a customer the caller has locked.
    pub async fn insert(&mut self, pm: &PaymentMethod) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        insert(
            conn,
            &PAYMENT_METHODS,
            account,
            rows::payment_method_values(pm),
        )
        .await
        .map_err(|e| {
            write_error(
                e,
                || format!("payment method {}", pm.id),
                no_account(account),
            )
        })?;
        self.0.customer_changed(&pm.customer);
        Ok(())
    }

    pub async fn save(&mut self, pm: &PaymentMethod) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        save(
            conn,
            &PAYMENT_METHODS,
            account,
            rows::payment_method_values(pm),
        )
        .await?;
        self.0.customer_changed(&pm.customer);
        Ok(())
    }

    /// Removes the payment method. The row stays for the transactions paid with it; the
    /// record's own times are left as they were.
    pub async fn remove(&mut self, pm: &PaymentMethod, now: Timestamp) -> StoreResult<()> {
        let (conn, _, account) = self.0.parts();
        soft_delete_keeping_updated_at(conn, account, &pm.id, now).await?;
        self.0.customer_changed(&pm.customer);
        Ok(())
    }
}
