//! Billing records: subscriptions, invoices, transactions and payment methods.

use portico_core::PaymentMethodId;
use portico_core::model::{
    ChangeQuote, Invoice, InvoicePatch, NewInvoice, NewPaymentMethod, NewSubscription,
    NewTransaction, PaymentAttempt, PaymentMethod, PaymentMethodPatch, Subscription,
    SubscriptionPatch, Transaction, TransactionPatch,
};

use super::{crud, resource};
use crate::PathId;
use crate::operations;
use crate::types::{
    CancelSubscription, PauseSubscription, PayRequest, RefundRequest, SubscriptionChangeRequest,
    SubscriptionChanged,
};

resource!(
    /// Subscriptions: a customer on a plan.
    ///
    /// ```no_run
    /// # async fn example(plan: portico_client::PlanId) -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{NewSubscription, SubscriptionPatch, SubscriptionStatus};
    /// use portico_client::{Client, SubscriptionFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let sub = client
    ///     .subscriptions()
    ///     .create(&NewSubscription {
    ///         customer: "wayne".into(),
    ///         plan,
    ///         quantity: 3,
    ///         status: None,
    ///         current_period_start: None,
    ///         billing_cycle_anchor: None,
    ///         cancel_at_period_end: false,
    ///         metadata: Default::default(),
    ///     })
    ///     .await?;
    /// client
    ///     .subscriptions()
    ///     .update(&sub.id, &SubscriptionPatch { quantity: Some(5), ..Default::default() })
    ///     .await?;
    /// let canceled = client.subscriptions().cancel(&sub.id, Some("moved to yearly")).await?;
    /// assert_eq!(canceled.status, SubscriptionStatus::Canceled);
    /// let filter = SubscriptionFilter { customer: Some("wayne".into()), ..Default::default() };
    /// let all = client.subscriptions().pages(filter).all().await?;
    /// # Ok(()) }
    /// ```
    Subscriptions,
    subscriptions
);

crud!(
    Subscriptions, SubscriptionFilter, Subscription, "subscription",
    create: SUBSCRIPTIONS_CREATE(NewSubscription),
    get: SUBSCRIPTIONS_GET,
    update: SUBSCRIPTIONS_UPDATE(SubscriptionPatch),
);

impl Subscriptions<'_> {
    /// Cancels a subscription now, with an optional reason; a canceled one is a conflict.
    pub async fn cancel(
        &self,
        id: impl PathId,
        reason: Option<&str>,
    ) -> crate::Result<Subscription> {
        let body = CancelSubscription {
            reason: reason.map(str::to_owned),
            ..CancelSubscription::default()
        };
        self.call
            .send(operations::SUBSCRIPTIONS_CANCEL, &[id.path_id()], &body)
            .await
    }

    /// Cancels with a mode, reason and comment, as a POST: the call's `Idempotency-Key`
    /// makes a retried call cancel once.
    pub async fn cancel_with(
        &self,
        id: impl PathId,
        how: &CancelSubscription,
    ) -> crate::Result<Subscription> {
        self.call
            .send(
                operations::SUBSCRIPTIONS_CANCEL_BY_POST,
                &[id.path_id()],
                how,
            )
            .await
    }

    /// What a change of plan or quantity would cost, without making it.
    pub async fn preview_change(
        &self,
        id: impl PathId,
        change: &SubscriptionChangeRequest,
    ) -> crate::Result<ChangeQuote> {
        self.call
            .send(
                operations::SUBSCRIPTIONS_PREVIEW_CHANGE,
                &[id.path_id()],
                change,
            )
            .await
    }

    /// Makes a change of plan or quantity; with `quote` set, only if it still costs that.
    /// Money due now is charged through the account's provider, once per call.
    pub async fn change(
        &self,
        id: impl PathId,
        change: &SubscriptionChangeRequest,
    ) -> crate::Result<SubscriptionChanged> {
        self.call
            .send(operations::SUBSCRIPTIONS_CHANGE, &[id.path_id()], change)
            .await
    }

    /// Takes back a cancellation at the end of the period.
    pub async fn resume(&self, id: impl PathId) -> crate::Result<Subscription> {
        self.call
            .send(operations::SUBSCRIPTIONS_RESUME, &[id.path_id()], &())
            .await
    }

    /// Pauses collection for `periods` (1 to 3) periods after the current one.
    pub async fn pause(&self, id: impl PathId, periods: u32) -> crate::Result<Subscription> {
        let body = PauseSubscription { periods };
        self.call
            .send(operations::SUBSCRIPTIONS_PAUSE, &[id.path_id()], &body)
            .await
    }

    /// Resumes paused collection early.
    pub async fn unpause(&self, id: impl PathId) -> crate::Result<Subscription> {
        self.call
            .send(operations::SUBSCRIPTIONS_UNPAUSE, &[id.path_id()], &())
            .await
    }
}

resource!(
    /// Invoices: numbered per account, editable only while draft.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{InvoicePatch, InvoiceStatus, NewInvoice, NewInvoiceLine};
    /// use portico_client::{Client, InvoiceFilter, Page};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let draft = client
    ///     .invoices()
    ///     .create(&NewInvoice {
    ///         customer: "wayne".into(),
    ///         subscription: None,
    ///         currency: None,
    ///         status: Some(InvoiceStatus::Draft),
    ///         lines: vec![NewInvoiceLine {
    ///             description: "Setup".into(),
    ///             quantity: 1,
    ///             unit_amount: 50_000,
    ///             period_start: None,
    ///             period_end: None,
    ///         }],
    ///         tax_rate_bps: 1900,
    ///         issued_at: None,
    ///         due_at: None,
    ///         paid_at: None,
    ///         metadata: Default::default(),
    ///     })
    ///     .await?;
    /// let open = client
    ///     .invoices()
    ///     .update(&draft.id, &InvoicePatch {
    ///         status: Some(InvoiceStatus::Open),
    ///         ..Default::default()
    ///     })
    ///     .await?;
    /// assert_eq!(open.total, 59_500);
    /// let filter = InvoiceFilter { status: Some(InvoiceStatus::Open), ..Default::default() };
    /// let unpaid = client.invoices().list(&filter, &Page::first(100)).await?;
    /// # Ok(()) }
    /// ```
    Invoices,
    invoices
);

crud!(
    Invoices, InvoiceFilter, Invoice, "invoice",
    create: INVOICES_CREATE(NewInvoice),
    get: INVOICES_GET,
    update: INVOICES_UPDATE(InvoicePatch),
    delete: INVOICES_DELETE "Deletes a draft invoice; any other is a conflict (void it instead).",
);

impl Invoices<'_> {
    /// Charges what the invoice has due through the account's payment provider, with the
    /// customer's default payment method unless one is named. The answer is the attempt:
    /// `succeeded`, `declined` with its code, or `requires_action` with the URL where the
    /// customer confirms. The call's `Idempotency-Key` (one per call, kept across its retries)
    /// goes through to the provider, so a retried call charges once.
    pub async fn pay(
        &self,
        id: impl PathId,
        payment_method: Option<&PaymentMethodId>,
    ) -> crate::Result<PaymentAttempt> {
        let body = PayRequest {
            payment_method: payment_method.cloned(),
        };
        self.call
            .send(operations::INVOICES_PAY, &[id.path_id()], &body)
            .await
    }
}

resource!(
    /// Transactions: payments, refunds and credits; a succeeded payment pays down its invoice.
    ///
    /// ```no_run
    /// # use portico_client::InvoiceId;
    /// # async fn example(invoice: InvoiceId) -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{NewTransaction, TransactionKind, TransactionStatus};
    /// use portico_client::{Client, TransactionFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let payment = client
    ///     .transactions()
    ///     .create(&NewTransaction {
    ///         customer: "wayne".into(),
    ///         kind: TransactionKind::Payment,
    ///         status: TransactionStatus::Succeeded,
    ///         amount: 59_500,
    ///         currency: None,
    ///         invoice: Some(invoice.clone()),
    ///         payment_method: None,
    ///         description: None,
    ///         created_at: None,
    ///     })
    ///     .await?;
    /// let filter = TransactionFilter { invoice: Some(invoice), ..Default::default() };
    /// let of_invoice = client.transactions().pages(filter).all().await?;
    /// assert!(of_invoice.iter().any(|t| t.id == payment.id));
    /// # Ok(()) }
    /// ```
    Transactions,
    transactions
);

crud!(
    Transactions, TransactionFilter, Transaction, "transaction",
    create: TRANSACTIONS_CREATE(NewTransaction),
    get: TRANSACTIONS_GET,
    update: TRANSACTIONS_UPDATE(TransactionPatch),
    delete: TRANSACTIONS_DELETE
        "Deletes a pending or failed transaction; a succeeded one is a conflict.",
);

impl Transactions<'_> {
    /// Refunds a payment made through the account's payment provider: `amount`, or all that
    /// is left of it. The answer is the refund transaction. The call's `Idempotency-Key` (one
    /// per call, kept across its retries) goes through to the provider, so a retried call
    /// refunds once.
    pub async fn refund(&self, id: impl PathId, amount: Option<i64>) -> crate::Result<Transaction> {
        let body = RefundRequest { amount };
        self.call
            .send(operations::TRANSACTIONS_REFUND, &[id.path_id()], &body)
            .await
    }
}

resource!(
    /// Payment methods: cards and bank accounts as the payment provider describes them.
    ///
    /// ```no_run
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use portico_client::model::{NewPaymentMethod, PaymentMethodKind, PaymentMethodPatch};
    /// use portico_client::{Client, PaymentMethodFilter};
    ///
    /// let client = Client::new("http://127.0.0.1:8080", "portico_sk_…")?;
    /// let card = client
    ///     .payment_methods()
    ///     .create(&NewPaymentMethod {
    ///         customer: "wayne".into(),
    ///         kind: PaymentMethodKind::Card,
    ///         brand: Some("visa".into()),
    ///         last4: "4242".into(),
    ///         exp_month: Some(12),
    ///         exp_year: Some(2030),
    ///         is_default: Some(true),
    ///         provider_ref: None,
    ///     })
    ///     .await?;
    /// client
    ///     .payment_methods()
    ///     .update(&card.id, &PaymentMethodPatch { exp_year: Some(2031), ..Default::default() })
    ///     .await?;
    /// let filter = PaymentMethodFilter { customer: Some("wayne".into()) };
    /// let cards = client.payment_methods().pages(filter).all().await?;
    /// # Ok(()) }
    /// ```
    PaymentMethods,
    payment_methods
);

crud!(
    PaymentMethods, PaymentMethodFilter, PaymentMethod, "payment method",
    create: PAYMENT_METHODS_CREATE(NewPaymentMethod),
    get: PAYMENT_METHODS_GET,
    update: PAYMENT_METHODS_UPDATE(PaymentMethodPatch),
    delete: PAYMENT_METHODS_DELETE "Removes a payment method.",
);
