//! Payments through the account's provider: an attempt at charging an invoice, recorded before
//! the provider is asked and settled by what it answered.

use serde::{Deserialize, Serialize};

use super::{
    Invoice, InvoiceStatus, PaymentMethod, Transaction, TransactionKind, TransactionStatus,
};
use crate::error::{Invalid, Refused, conflict};
use crate::model::text_enum;
use crate::{
    Currency, CustomerId, InvoiceId, PaymentAttemptId, PaymentMethodId, Timestamp, TransactionId,
};

text_enum!(PaymentAttemptStatus {
    Pending = "pending",
    RequiresAction = "requires_action",
    Succeeded = "succeeded",
    Declined = "declined",
    Abandoned = "abandoned",
});

text_enum!(
    /// Why a provider declined a charge, in words every provider's codes map to; the portal
    /// explains each in the customer's language.
    DeclineCode {
        CardDeclined = "card_declined",
        InsufficientFunds = "insufficient_funds",
        ExpiredCard = "expired_card",
        AuthenticationFailed = "authentication_failed",
        ProcessingError = "processing_error",
    }
);

/// The longest idempotency key a caller may give; the provider's limits are larger.
pub const MAX_IDEMPOTENCY_KEY: usize = 200;

/// Whether `key` may name an attempt: 1 to 200 visible ASCII characters.
pub fn check_idempotency_key(key: &str) -> Result<(), Invalid> {
    if key.is_empty()
        || key.len() > MAX_IDEMPOTENCY_KEY
        || !key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(Invalid::new(
            "idempotency_key",
            format!("must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"),
        ));
    }
    Ok(())
}

/// What the provider answered to a charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded {
        reference: String,
    },
    Declined {
        reference: Option<String>,
        code: DeclineCode,
    },
    /// The customer must complete a step on the provider's page (3-D Secure and the like).
    RequiresAction {
        reference: String,
        url: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentAttempt {
    pub id: PaymentAttemptId,
    pub customer: CustomerId,
    pub invoice: InvoiceId,
    pub payment_method: PaymentMethodId,
    /// Sent to the provider with the charge: the same key never charges twice.
    pub idempotency_key: String,
    /// The provider that was asked (`test`, `stripe`).
    pub provider: String,
    pub amount: i64,
    pub currency: Currency,
    pub status: PaymentAttemptStatus,
    /// The provider's reference of the charge, once it answered.
    pub provider_ref: Option<String>,
    /// Why the provider declined, for declined attempts.
    pub decline_code: Option<DeclineCode>,
    /// Where the customer completes the provider's step, while that is required.
    pub action_url: Option<String>,
    /// The payment recorded for the outcome (succeeded or failed).
    pub transaction: Option<TransactionId>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl PaymentAttempt {
    /// A pending attempt at paying what `invoice` has due with `method`.
    pub fn start(
        id: PaymentAttemptId,
        invoice: &Invoice,
        method: &PaymentMethod,
        idempotency_key: String,
        provider: &str,
        now: Timestamp,
    ) -> Result<PaymentAttempt, Refused> {
        check_idempotency_key(&idempotency_key)?;
        check_payable(invoice)?;
        if method.customer != invoice.customer {
            return Err(Invalid::new(
                "payment_method",
                format!("payment method '{}' belongs to another customer", method.id),
            )
            .into());
        }
        if method.is_expired(now) {
            return conflict(format!(
                "payment method {} has expired; add another one",
                method.id
            ));
        }
        if method.provider_ref.is_none() {
            return conflict(format!(
                "payment method {} was not set up through the payment provider",
                method.id
            ));
        }
        Ok(PaymentAttempt {
            id,
            customer: invoice.customer.clone(),
            invoice: invoice.id.clone(),
            payment_method: method.id.clone(),
            idempotency_key,
            provider: provider.to_owned(),
            amount: invoice.amount_due,
            currency: invoice.currency,
            status: PaymentAttemptStatus::Pending,
            provider_ref: None,
            decline_code: None,
            action_url: None,
            transaction: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// Whether the attempt has its final outcome.
    pub fn is_settled(&self) -> bool {
        matches!(
            self.status,
            PaymentAttemptStatus::Succeeded
                | PaymentAttemptStatus::Declined
                | PaymentAttemptStatus::Abandoned
        )
    }

    /// Takes the provider's answer. A settled attempt keeps its outcome (the answer to a
    /// repeated charge with the same key is the same one); the result says whether it changed.
    pub fn settle(&mut self, outcome: &ChargeOutcome, now: Timestamp) -> bool {
        if self.is_settled() {
            return false;
        }
        let before = self.clone();
        match outcome {
            ChargeOutcome::Succeeded { reference } => {
                self.status = PaymentAttemptStatus::Succeeded;
                self.provider_ref = Some(reference.clone());
                self.action_url = None;
            }
            ChargeOutcome::Declined { reference, code } => {
                self.status = PaymentAttemptStatus::Declined;
                self.provider_ref = reference.clone().or(self.provider_ref.take());
                self.decline_code = Some(*code);
                self.action_url = None;
            }
            ChargeOutcome::RequiresAction { reference, url } => {
                self.status = PaymentAttemptStatus::RequiresAction;
                self.provider_ref = Some(reference.clone());
                self.action_url = Some(url.clone());
            }
        }
        if *self == before {
            return false;
        }
        self.updated_at = now;
        true
    }

    /// Gives up on an attempt that waits for the customer's step, so that another may start.
    pub fn abandon(&mut self, now: Timestamp) {
        if self.status == PaymentAttemptStatus::RequiresAction {
            self.status = PaymentAttemptStatus::Abandoned;
            self.action_url = None;
            self.updated_at = now;
        }
    }

    /// The payment a settled attempt records: succeeded, or failed with the decline's code.
    /// `None` while the outcome is open.
    pub fn payment(&self, id: TransactionId, now: Timestamp) -> Option<Transaction> {
        let (status, description) = match self.status {
            PaymentAttemptStatus::Succeeded => (TransactionStatus::Succeeded, None),
            PaymentAttemptStatus::Declined => (
                TransactionStatus::Failed,
                self.decline_code.map(|c| c.as_str().to_owned()),
            ),
            _ => return None,
        };
        Some(Transaction {
            id,
            customer: self.customer.clone(),
            kind: TransactionKind::Payment,
            status,
            amount: self.amount,
            currency: self.currency,
            invoice: Some(self.invoice.clone()),
            payment_method: Some(self.payment_method.clone()),
            description,
            created_at: now,
            updated_at: now,
        })
    }
}

/// `Conflict` unless the invoice is open (or uncollectible) with something due.
pub fn check_payable(invoice: &Invoice) -> Result<(), Refused> {
    match invoice.status {
        InvoiceStatus::Open | InvoiceStatus::Uncollectible if invoice.amount_due > 0 => Ok(()),
        InvoiceStatus::Paid => conflict(format!("invoice {} is already paid", invoice.number)),
        status => conflict(format!(
            "invoice {} is {status} and takes no payments",
            invoice.number
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::billing::fixtures::{customer, t};
    use crate::model::{NewInvoice, NewInvoiceLine, NewPaymentMethod, PaymentMethodKind};

    fn invoice(now: Timestamp) -> Invoice {
        let input = NewInvoice {
            customer: "x".into(),
            subscription: None,
            currency: None,
            status: Some(InvoiceStatus::Open),
            lines: vec![NewInvoiceLine {
                description: "Pro".into(),
                quantity: 1,
                unit_amount: 6170,
                period_start: None,
                period_end: None,
            }],
            tax_rate_bps: 0,
            issued_at: None,
            due_at: None,
            paid_at: None,
            metadata: Default::default(),
        };
        Invoice::create(
            InvoiceId::new(now, [4; 10]),
            "0001".into(),
            &customer(),
            input,
            now,
        )
        .unwrap()
    }

    fn card(now: Timestamp, exp_year: i32, provider_ref: Option<&str>) -> PaymentMethod {
        let input = NewPaymentMethod {
            customer: "x".into(),
            kind: PaymentMethodKind::Card,
            brand: Some("visa".into()),
            last4: "4242".into(),
            exp_month: Some(1),
            exp_year: Some(exp_year),
            is_default: None,
            provider_ref: provider_ref.map(Into::into),
        };
        PaymentMethod::create(
            PaymentMethodId::new(now, [5; 10]),
            &customer(),
            true,
            input,
            now,
        )
        .unwrap()
    }

    fn start(
        invoice: &Invoice,
        card: &PaymentMethod,
        now: Timestamp,
    ) -> Result<PaymentAttempt, Refused> {
        let id = PaymentAttemptId::new(now, [6; 10]);
        PaymentAttempt::start(id, invoice, card, "k1".into(), "test", now)
    }

    #[test]
    fn an_attempt_charges_what_is_due_with_a_usable_card() {
        let now = t("2026-03-02T00:00:00Z");
        let inv = invoice(now);
        let attempt = start(&inv, &card(now, 2030, Some("tpm_1")), now).unwrap();
        assert_eq!(
            (attempt.amount, attempt.status),
            (6170, PaymentAttemptStatus::Pending)
        );
        assert!(matches!(
            start(&inv, &card(now, 2025, Some("tpm_1")), now),
            Err(Refused::Conflict(m)) if m.contains("expired")
        ));
        assert!(matches!(
            start(&inv, &card(now, 2030, None), now),
            Err(Refused::Conflict(m)) if m.contains("payment provider")
        ));
        let mut paid = inv.clone();
        paid.apply_payment(6170, now).unwrap();
        assert!(matches!(
            start(&paid, &card(now, 2030, Some("tpm_1")), now),
            Err(Refused::Conflict(m)) if m.contains("already paid")
        ));
        let bad_key = PaymentAttempt::start(
            attempt.id.clone(),
            &inv,
            &card(now, 2030, Some("r")),
            "a b".into(),
            "test",
            now,
        );
        assert!(matches!(bad_key, Err(Refused::Invalid(i)) if i.field == "idempotency_key"));
    }

    #[test]
    fn an_outcome_settles_once_and_records_its_payment() {
        let now = t("2026-03-02T00:00:00Z");
        let later = t("2026-03-02T00:01:00Z");
        let inv = invoice(now);
        let mut attempt = start(&inv, &card(now, 2030, Some("tpm_1")), now).unwrap();
        let txn = || TransactionId::new(now, [7; 10]);
        assert_eq!(attempt.payment(txn(), now), None);
        let challenge = ChargeOutcome::RequiresAction {
            reference: "tch_1".into(),
            url: "https://provider/challenge".into(),
        };
        assert!(attempt.settle(&challenge, later));
        assert!(!attempt.settle(&challenge, later));
        assert_eq!(attempt.payment(txn(), now), None);
        let declined = ChargeOutcome::Declined {
            reference: None,
            code: DeclineCode::InsufficientFunds,
        };
        assert!(attempt.settle(&declined, later));
        assert_eq!(attempt.provider_ref.as_deref(), Some("tch_1"));
        assert_eq!(attempt.action_url, None);
        let payment = attempt.payment(txn(), later).unwrap();
        assert_eq!(payment.status, TransactionStatus::Failed);
        assert_eq!(payment.description.as_deref(), Some("insufficient_funds"));
        assert!(!payment.pays_invoice());
        // A settled attempt keeps its outcome.
        let ok = ChargeOutcome::Succeeded {
            reference: "tch_1".into(),
        };
        assert!(!attempt.settle(&ok, later));
        assert_eq!(attempt.status, PaymentAttemptStatus::Declined);

        let mut attempt = start(&inv, &card(now, 2030, Some("tpm_1")), now).unwrap();
        assert!(attempt.settle(&ok, later));
        let payment = attempt.payment(txn(), later).unwrap();
        assert!(payment.pays_invoice());
        assert_eq!(payment.amount, inv.amount_due);
    }
}
