//! Billing records: subscriptions, invoices, transactions and payment methods, as pages and the
//! API read them.

use super::*;

#[async_trait]
impl BillingStore for SqlStore {
    #[tracing::instrument(level = "debug", skip_all)]
    async fn subscription(
        &self,
        account: &AccountId,
        id: &SubscriptionId,
    ) -> StoreResult<Subscription> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::SUBSCRIPTIONS,
            account,
            id.as_str(),
            "",
            rows::subscription,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("subscription", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_subscriptions(
        &self,
        account: &AccountId,
        filter: SubscriptionFilter,
        page: PageRequest<SubscriptionId>,
    ) -> StoreResult<List<Subscription>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(status) = filter.status {
                filters.push(("status", status.as_str().into()));
            }
            self.list(
                &rows::SUBSCRIPTIONS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::subscription,
            )
            .await
        };
        let args = format!(
            "{:?}/{}",
            filter.status.map(|s| s.as_str()),
            page_key(&page)
        );
        self.customer_list(
            "subscriptions",
            account,
            filter.customer.as_ref(),
            args,
            load,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn invoice(&self, account: &AccountId, id: &InvoiceId) -> StoreResult<Invoice> {
        let load = async {
            let mut conn = self.pool.acquire().await?;
            find(
                &mut conn,
                &rows::INVOICES,
                account,
                id.as_str(),
                "",
                rows::invoice,
            )
            .await?
            .ok_or_else(|| StoreError::not_found("invoice", id))
        };
        let key = ("invoice", format!("{account}/{id}"));
        let scope = |i: &Invoice| Change::customer(account, &i.customer);
        self.cached(key, CACHE_TTL, scope, load).await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn invoices_by_ids(
        &self,
        account: &AccountId,
        ids: &[InvoiceId],
    ) -> StoreResult<Vec<Invoice>> {
        let ids: Vec<&str> = ids.iter().map(InvoiceId::as_str).collect();
        self.by_ids(&rows::INVOICES, account, &ids, rows::invoice)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_invoices(
        &self,
        account: &AccountId,
        filter: InvoiceFilter,
        page: PageRequest<InvoiceId>,
    ) -> StoreResult<List<Invoice>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(status) = filter.status {
                filters.push(("status", status.as_str().into()));
            }
            if let Some(subscription) = &filter.subscription {
                filters.push(("subscription_id", subscription.into()));
            }
            if filter.exclude_drafts {
                filters.push(("status <>", InvoiceStatus::Draft.as_str().into()));
            }
            self.list(
                &rows::INVOICES,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::invoice,
            )
            .await
        };
        let args = format!(
            "{:?}/{:?}/{}/{}",
            filter.status.map(|s| s.as_str()),
            filter.subscription.as_ref().map(|s| s.as_str()),
            filter.exclude_drafts,
            page_key(&page)
        );
        self.customer_list("invoices", account, filter.customer.as_ref(), args, load)
            .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn transaction(
        &self,
        account: &AccountId,
        id: &TransactionId,
    ) -> StoreResult<Transaction> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::TRANSACTIONS,
            account,
            id.as_str(),
            "",
            rows::transaction,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("transaction", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_transactions(
        &self,
        account: &AccountId,
        filter: TransactionFilter,
        page: PageRequest<TransactionId>,
    ) -> StoreResult<List<Transaction>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = &filter.customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            if let Some(invoice) = &filter.invoice {
                filters.push(("invoice_id", invoice.into()));
            }
            self.list(
                &rows::TRANSACTIONS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::transaction,
            )
            .await
        };
        let args = format!(
            "{:?}/{}",
            filter.invoice.as_ref().map(|s| s.as_str()),
            page_key(&page)
        );
        self.customer_list(
            "transactions",
            account,
            filter.customer.as_ref(),
            args,
            load,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn payment_method(
        &self,
        account: &AccountId,
        id: &PaymentMethodId,
    ) -> StoreResult<PaymentMethod> {
        let mut conn = self.pool.acquire().await?;
        find(
            &mut conn,
            &rows::PAYMENT_METHODS,
            account,
            id.as_str(),
            "",
            rows::payment_method,
        )
        .await?
        .ok_or_else(|| StoreError::not_found("payment method", id))
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_payment_methods(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<PaymentMethodId>,
    ) -> StoreResult<List<PaymentMethod>> {
        let load = async {
            let mut filters = vec![];
            if let Some(customer) = customer {
                let mut conn = self.pool.acquire().await?;
                let id = self.customer_id_of(&mut conn, account, customer).await?;
                filters.push(("customer_id", Value::from(&id)));
            }
            self.list(
                &rows::PAYMENT_METHODS,
                account,
                filters,
                page.limit,
                cursor(&page),
                rows::payment_method,
            )
            .await
        };
        let args = page_key(&page);
        self.customer_list("payment_methods", account, customer, args, load)
            .await
    }
}
