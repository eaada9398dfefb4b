//! Transactions: payments, refunds and credits, and how a pending one settles.

use serde::{Deserialize, Serialize};

use super::Invoice;
use crate::error::{self, Invalid, Refused, ValidationResult, conflict};
use crate::model::{Customer, nullable, text_enum};
use crate::{Currency, CustomerId, InvoiceId, PaymentMethodId, Timestamp, TransactionId};

text_enum!(TransactionKind { Payment = "payment", Refund = "refund", Credit = "credit" });
text_enum!(TransactionStatus { Pending = "pending", Succeeded = "succeeded", Failed = "failed" });

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Transaction {
    pub id: TransactionId,
    pub customer: CustomerId,
    pub kind: TransactionKind,
    pub status: TransactionStatus,
    /// Always positive; `kind` says which way the money went.
    pub amount: i64,
    pub currency: Currency,
    pub invoice: Option<InvoiceId>,
    pub payment_method: Option<PaymentMethodId>,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTransaction {
    /// Customer id or alias.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9._@:-]{1,100}$"))]
    pub customer: String,
    pub kind: TransactionKind,
    #[serde(default = "succeeded")]
    pub status: TransactionStatus,
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 10000000000i64))]
    pub amount: i64,
    /// Defaults to the invoice's currency, else the customer's.
    pub currency: Option<Currency>,
    pub invoice: Option<InvoiceId>,
    pub payment_method: Option<PaymentMethodId>,
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub description: Option<String>,
    /// When it happened; defaults to now, set it to import history.
    pub created_at: Option<Timestamp>,
}

fn succeeded() -> TransactionStatus {
    TransactionStatus::Succeeded
}

impl Transaction {
    pub fn create(
        id: TransactionId,
        customer: &Customer,
        invoice: Option<&Invoice>,
        input: NewTransaction,
        now: Timestamp,
    ) -> ValidationResult<Transaction> {
        if !(1..=10_000_000_000).contains(&input.amount) {
            return Err(Invalid::new(
                "amount",
                "must be between 1 and 10000000000 minor units",
            ));
        }
        let currency = input
            .currency
            .or(invoice.map(|i| i.currency))
            .unwrap_or(customer.currency);
        if let Some(inv) = invoice
            && inv.currency != currency
        {
            return Err(Invalid::new(
                "currency",
                format!("must match the invoice's {}", inv.currency),
            ));
        }
        Ok(Transaction {
            id,
            customer: customer.id.clone(),
            kind: input.kind,
            status: input.status,
            amount: input.amount,
            currency,
            invoice: invoice.map(|i| i.id.clone()),
            payment_method: input.payment_method,
            description: error::optional_text("description", input.description.as_deref(), 500)?,
            created_at: input.created_at.unwrap_or(now),
            updated_at: now,
        })
    }

    /// Whether this transaction, once succeeded, pays down its invoice.
    pub fn pays_invoice(&self) -> bool {
        self.kind == TransactionKind::Payment
            && self.status == TransactionStatus::Succeeded
            && self.invoice.is_some()
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransactionPatch {
    /// A pending transaction may become `succeeded` or `failed`.
    pub status: Option<TransactionStatus>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub description: Option<Option<String>>,
}

impl TransactionPatch {
    pub fn apply(self, mut txn: Transaction, now: Timestamp) -> Result<Transaction, Refused> {
        if let Some(next) = self.status
            && next != txn.status
        {
            if txn.status != TransactionStatus::Pending {
                return conflict(format!(
                    "a {} transaction cannot change its status",
                    txn.status
                ));
            }
            txn.status = next;
        }
        if let Some(d) = self.description {
            txn.description = error::optional_text("description", d.as_deref(), 500)?;
        }
        txn.updated_at = now;
        Ok(txn)
    }
}
