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
        self.get(
            &rows::SUBSCRIPTIONS,
            account,
            id.as_str(),
            "subscription",
            rows::subscription,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_subscriptions(
        &self,
        account: &AccountId,
        filter: SubscriptionFilter,
        page: PageRequest<SubscriptionId>,
    ) -> StoreResult<List<Subscription>> {
        let load = async {
            let mut filters = self
                .customer_filters(account, filter.customer.as_ref())
                .await?;
            filters.extend(filter.status.map(|s| ("status", s.as_str().into())));
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
            self.get(
                &rows::INVOICES,
                account,
                id.as_str(),
                "invoice",
                rows::invoice,
            )
            .await
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
            let mut filters = self
                .customer_filters(account, filter.customer.as_ref())
                .await?;
            filters.extend(filter.status.map(|s| ("status", s.as_str().into())));
            filters.extend(
                filter
                    .subscription
                    .as_ref()
                    .map(|s| ("subscription_id", s.into())),
            );
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
        self.get(
            &rows::TRANSACTIONS,
            account,
            id.as_str(),
            "transaction",
            rows::transaction,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_transactions(
        &self,
        account: &AccountId,
        filter: TransactionFilter,
        page: PageRequest<TransactionId>,
    ) -> StoreResult<List<Transaction>> {
        let load = async {
            let mut filters = self
                .customer_filters(account, filter.customer.as_ref())
                .await?;
            filters.extend(filter.invoice.as_ref().map(|i| ("invoice_id", i.into())));
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
        self.get(
            &rows::PAYMENT_METHODS,
            account,
            id.as_str(),
            "payment method",
            rows::payment_method,
        )
        .await
    }
    #[tracing::instrument(level = "debug", skip_all)]
    async fn list_payment_methods(
        &self,
        account: &AccountId,
        customer: Option<&CustomerRef>,
        page: PageRequest<PaymentMethodId>,
    ) -> StoreResult<List<PaymentMethod>> {
        let load = async {
            let filters = self.customer_filters(account, customer).await?;
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
