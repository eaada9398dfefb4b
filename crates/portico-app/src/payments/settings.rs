//! An account's payment provider: chosen by the vendor, its secrets sealed at rest with the
//! master key (as signing keys are) and opened only for a call.

use portico_core::event::EventType;
use portico_core::{Invalid, Timestamp};
use portico_store::PaymentProviderRecord;
use serde::Serialize;
use zeroize::Zeroizing;

use super::ProviderAccount;
use crate::access::portal_origin;
use crate::{App, AppError, AppResult, Caller};

/// What a vendor sets. Secrets are taken, sealed and never shown again.
#[derive(Clone, Default)]
pub struct ProviderSettings {
    pub provider: String,
    /// The secret API key; the test provider makes its own when none is given.
    pub secret: Option<Zeroizing<String>>,
    pub public_key: Option<String>,
    pub webhook_secret: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("provider", &self.provider)
            .field("public_key", &self.public_key)
            .finish_non_exhaustive()
    }
}

/// The account's provider as the API shows it: which one, and whether its secrets are set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProviderSummary {
    pub provider: String,
    pub public_key: Option<String>,
    pub secret_set: bool,
    pub webhook_secret_set: bool,
}

/// Sets the caller's account's payment provider.
#[tracing::instrument(skip_all, fields(account = %by.account))]
pub async fn configure(
    app: &App,
    by: &Caller,
    settings: ProviderSettings,
    now: Timestamp,
) -> AppResult<ProviderSummary> {
    if app.payments.get(&settings.provider).is_none() {
        return Err(Invalid::new(
            "provider",
            format!("no payment provider '{}' in this build", settings.provider),
        )
        .into());
    }
    if settings.provider == super::stripe::NAME
        && !settings
            .public_key
            .as_deref()
            .is_some_and(|k| k.starts_with("pk_"))
    {
        return Err(
            Invalid::new("public_key", "Stripe's publishable key (pk_…) is required").into(),
        );
    }
    let secret = match settings.secret {
        Some(s) => Zeroizing::new(s.as_bytes().to_vec()),
        None if settings.provider == super::test_provider::NAME => {
            Zeroizing::new(rand::random::<[u8; 32]>().to_vec())
        }
        None => return Err(Invalid::new("secret", "is required").into()),
    };
    let mut rng = rand::rngs::OsRng;
    let master = app.keys.master();
    let mut seal = |what: &str, value: &[u8]| {
        let context = context(&by.account, &settings.provider, what);
        master
            .seal(value, context.as_bytes(), &mut rng)
            .map_err(|e| AppError::Internal(format!("cannot seal a secret: {e}").into()))
    };
    let sealed_secret = seal("secret", &secret)?;
    let sealed_webhook_secret = settings
        .webhook_secret
        .as_ref()
        .map(|w| seal("webhook_secret", w.as_bytes()))
        .transpose()?;
    let record = PaymentProviderRecord {
        account: by.account.clone(),
        provider: settings.provider,
        public_key: settings.public_key,
        sealed_secret: Some(sealed_secret),
        sealed_webhook_secret,
        created_at: now,
        updated_at: now,
    };
    let summary = summary(&record);
    let mut uow = app.begin(by, now).await?;
    uow.payment_providers().put(&record).await?;
    uow.record(EventType::PaymentProviderUpdated, None, &summary)?;
    uow.commit().await?;
    Ok(summary)
}

pub fn summary(record: &PaymentProviderRecord) -> ProviderSummary {
    ProviderSummary {
        provider: record.provider.clone(),
        public_key: record.public_key.clone(),
        secret_set: record.sealed_secret.is_some(),
        webhook_secret_set: record.sealed_webhook_secret.is_some(),
    }
}

/// What a sealed secret is bound to: a secret moved to another account or provider does not
/// open.
fn context(account: &portico_core::AccountId, provider: &str, what: &str) -> String {
    format!("{account}/payment_provider/{provider}/{what}")
}

/// The record's secrets, opened for one call.
pub(super) async fn open(app: &App, record: &PaymentProviderRecord) -> AppResult<ProviderAccount> {
    let master = app.keys.master();
    let open = |what: &str, sealed: &str| {
        let context = context(&record.account, &record.provider, what);
        master.open(sealed, context.as_bytes()).map_err(|e| {
            AppError::Internal(
                format!(
                    "cannot open the payment provider's {what} ({e}); is PORTICO_MASTER_KEY the one it was sealed with?"
                )
                .into(),
            )
        })
    };
    let secret = match &record.sealed_secret {
        Some(sealed) => open("secret", sealed)?,
        None => Zeroizing::new(Vec::new()),
    };
    let webhook_secret = record
        .sealed_webhook_secret
        .as_deref()
        .map(|s| open("webhook_secret", s))
        .transpose()?;
    let account = app.store.account(&record.account).await?;
    Ok(ProviderAccount {
        account: record.account.clone(),
        secret,
        public_key: record.public_key.clone(),
        webhook_secret,
        portal_origin: portal_origin(&app.public_url, &account.subdomain),
    })
}
