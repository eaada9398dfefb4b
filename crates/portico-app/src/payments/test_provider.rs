//! The built-in `test` provider, the demo's: it behaves like a third-party checkout with a
//! card page of its own (served under `/test-provider/`), and decides outcomes by documented
//! test card numbers:
//!
//! | number              | outcome                                                    |
//! |---------------------|------------------------------------------------------------|
//! | 4242 4242 4242 4242 | charges succeed                                            |
//! | 4000 0000 0000 0002 | charges are declined (`card_declined`)                     |
//! | 4000 0000 0000 9995 | charges are declined (`insufficient_funds`)                |
//! | 4000 0000 0000 3220 | charges need a challenge step on the provider's page      |
//! | 4000 0000 0000 0069 | charges succeed; the card expires at the end of next month |
//! | 4000 0000 0000 0119 | charges never answer (the caller's timeout ends them)     |
//! | 4000 0000 0000 0341 | the first two charges are declined, later ones succeed    |
//!
//! Any other number that passes the Luhn check succeeds. The card number is read once to make
//! the payment method and is not kept anywhere: what comes back to the portal is brand, last 4,
//! expiry and a reference that names the outcome. Everything the provider must remember between
//! pages travels in values signed with the account's secret, so any node can serve any page.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use portico_core::model::{ChargeOutcome, Customer, DeclineCode};
use portico_core::{AccountId, Currency, CustomerId, Invalid, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{
    ChargeRequest, PaymentProvider, ProviderAccount, ProviderError, RefundOutcome, RefundRequest,
    ReturnParams, SetupRequest, SetupResult, SetupStart, VerifiedEvent,
};
use crate::{App, AppError, AppResult};

pub const NAME: &str = "test";
/// Where the server serves the provider's pages.
pub const PATH: &str = "/test-provider";
/// The query parameter the provider's pages add to the return URL.
pub const RESULT_PARAM: &str = "result";

/// How a card behaves when charged, as its reference records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Behaviour {
    Succeeds,
    Declined,
    InsufficientFunds,
    Challenge,
    Hangs,
    /// Declined twice (`card_declined`), then succeeds: to watch dunning recover.
    DeclinedTwice,
}

impl Behaviour {
    fn code(self) -> &'static str {
        match self {
            Behaviour::Succeeds => "ok",
            Behaviour::Declined => "decline",
            Behaviour::InsufficientFunds => "funds",
            Behaviour::Challenge => "challenge",
            Behaviour::Hangs => "hang",
            Behaviour::DeclinedTwice => "twice",
        }
    }

    fn of_reference(reference: &str) -> Option<Behaviour> {
        let code = reference.strip_prefix("tpm_")?.split('_').next()?;
        [
            Behaviour::Succeeds,
            Behaviour::Declined,
            Behaviour::InsufficientFunds,
            Behaviour::Challenge,
            Behaviour::Hangs,
            Behaviour::DeclinedTwice,
        ]
        .into_iter()
        .find(|b| b.code() == code)
    }
}

/// The provider. It keeps a ledger of the charges it made, by idempotency key, as a real
/// provider does: a repeated key answers the first outcome and charges nothing more.
#[derive(Debug, Default)]
pub struct TestProvider {
    ledger: Mutex<Ledger>,
}

#[derive(Debug, Default)]
struct Ledger {
    /// The outcome of each idempotency key, by account.
    outcomes: HashMap<(AccountId, String), ChargeOutcome>,
    /// How many charges were made (not answered from `outcomes`), by account.
    charges: HashMap<AccountId, usize>,
    /// How many charges each payment method made, by account and reference.
    by_method: HashMap<(AccountId, String), usize>,
}

impl TestProvider {
    /// How many charges the provider has made for the account; a repeated key makes none.
    pub fn charges(&self, account: &AccountId) -> usize {
        self.lock().charges.get(account).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What the provider signs into its links and results.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Signed {
    Setup {
        account: AccountId,
        customer: CustomerId,
        return_url: String,
    },
    SetupResult {
        account: AccountId,
        customer: CustomerId,
        brand: String,
        last4: String,
        exp_month: i32,
        exp_year: i32,
        reference: String,
    },
    Challenge {
        account: AccountId,
        charge: String,
        amount: i64,
        currency: Currency,
        return_url: String,
    },
    ChallengeResult {
        account: AccountId,
        charge: String,
        approved: bool,
    },
}

impl Signed {
    fn account(&self) -> &AccountId {
        match self {
            Signed::Setup { account, .. }
            | Signed::SetupResult { account, .. }
            | Signed::Challenge { account, .. }
            | Signed::ChallengeResult { account, .. } => account,
        }
    }
}

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    // A block-sized key, which HMAC takes without a failure path.
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(&Sha256::digest(secret));
    let mut mac = <Hmac<Sha256> as Mac>::new(&key.into());
    mac.update(b"portico-test-provider\0");
    mac.update(payload.as_bytes());
    mac
}

fn sign(secret: &[u8], value: &Signed) -> String {
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(value).unwrap_or_default());
    let tag = URL_SAFE_NO_PAD.encode(mac(secret, &payload).finalize().into_bytes());
    format!("{payload}.{tag}")
}

/// The value of a token, unchecked: only to find the account whose secret checks it.
fn peek(token: &str) -> Option<Signed> {
    let (payload, _) = token.split_once('.')?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn verify(secret: &[u8], token: &str) -> Result<Signed, ProviderError> {
    let rejected = || ProviderError::Rejected("the provider's link is not valid".into());
    let (payload, tag) = token.split_once('.').ok_or_else(rejected)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| rejected())?;
    mac(secret, payload)
        .verify_slice(&tag)
        .map_err(|_| rejected())?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).map_err(|_| rejected())?)
        .map_err(|_| rejected())
}

/// The signed value a page of the provider added to the return URL.
fn returned_value(
    account: &ProviderAccount,
    returned: &ReturnParams,
) -> Result<Signed, ProviderError> {
    let token = returned
        .get(RESULT_PARAM)
        .ok_or_else(|| ProviderError::Rejected("the return has no result".into()))?;
    verify(&account.secret, token)
}

fn with_param(url: &str, name: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{name}={value}")
}

fn charge_reference(account: &AccountId, key: &str) -> String {
    let digest = Sha256::digest(format!("{account}\0{key}").as_bytes());
    format!("tch_{}", &hex::encode(digest)[..24])
}

#[async_trait]
impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create_customer(
        &self,
        _account: &ProviderAccount,
        _customer: &Customer,
    ) -> Result<Option<String>, ProviderError> {
        Ok(None)
    }

    async fn begin_setup(
        &self,
        account: &ProviderAccount,
        request: &SetupRequest,
    ) -> Result<SetupStart, ProviderError> {
        let token = sign(
            &account.secret,
            &Signed::Setup {
                account: account.account.clone(),
                customer: request.customer.clone(),
                return_url: request.return_url.clone(),
            },
        );
        Ok(SetupStart::Redirect {
            url: format!("{}{PATH}/setup/{token}", account.portal_origin),
        })
    }

    async fn complete_setup(
        &self,
        account: &ProviderAccount,
        returned: &ReturnParams,
    ) -> Result<SetupResult, ProviderError> {
        match returned_value(account, returned)? {
            Signed::SetupResult {
                account: a,
                customer,
                brand,
                last4,
                exp_month,
                exp_year,
                reference,
            } if a == account.account => Ok(SetupResult {
                customer,
                brand,
                last4,
                exp_month,
                exp_year,
                reference,
            }),
            _ => Err(ProviderError::Rejected("not a setup result".into())),
        }
    }

    async fn charge(
        &self,
        account: &ProviderAccount,
        request: &ChargeRequest,
    ) -> Result<ChargeOutcome, ProviderError> {
        let behaviour = Behaviour::of_reference(&request.payment_method)
            .ok_or_else(|| ProviderError::Rejected("no such payment method".into()))?;
        if behaviour == Behaviour::Hangs {
            tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
            return Err(ProviderError::Unavailable("no answer".into()));
        }
        // One lock from looking up the key to recording the outcome: calls with the same key
        // that cross get the first one's outcome, and only the first charges.
        let mut ledger = self.lock();
        let key = (account.account.clone(), request.idempotency_key.clone());
        if let Some(outcome) = ledger.outcomes.get(&key) {
            return Ok(outcome.clone());
        }
        let reference = charge_reference(&account.account, &request.idempotency_key);
        let method = (account.account.clone(), request.payment_method.clone());
        let earlier = ledger.by_method.get(&method).copied().unwrap_or(0);
        *ledger.by_method.entry(method).or_default() += 1;
        let outcome = match behaviour {
            Behaviour::DeclinedTwice if earlier < 2 => ChargeOutcome::Declined {
                reference: Some(reference),
                code: DeclineCode::CardDeclined,
            },
            Behaviour::DeclinedTwice => ChargeOutcome::Succeeded { reference },
            Behaviour::Succeeds | Behaviour::Hangs => ChargeOutcome::Succeeded { reference },
            Behaviour::Declined => ChargeOutcome::Declined {
                reference: Some(reference),
                code: DeclineCode::CardDeclined,
            },
            Behaviour::InsufficientFunds => ChargeOutcome::Declined {
                reference: Some(reference),
                code: DeclineCode::InsufficientFunds,
            },
            Behaviour::Challenge => {
                let token = sign(
                    &account.secret,
                    &Signed::Challenge {
                        account: account.account.clone(),
                        charge: reference.clone(),
                        amount: request.amount,
                        currency: request.currency,
                        return_url: request.return_url.clone(),
                    },
                );
                ChargeOutcome::RequiresAction {
                    reference,
                    url: format!("{}{PATH}/challenge/{token}", account.portal_origin),
                }
            }
        };
        *ledger.charges.entry(account.account.clone()).or_default() += 1;
        ledger.outcomes.insert(key, outcome.clone());
        Ok(outcome)
    }

    async fn charge_outcome(
        &self,
        account: &ProviderAccount,
        reference: &str,
        returned: &ReturnParams,
    ) -> Result<ChargeOutcome, ProviderError> {
        match returned_value(account, returned)? {
            Signed::ChallengeResult {
                account: a,
                charge,
                approved,
            } if a == account.account && charge == reference => Ok(if approved {
                ChargeOutcome::Succeeded { reference: charge }
            } else {
                ChargeOutcome::Declined {
                    reference: Some(charge),
                    code: DeclineCode::AuthenticationFailed,
                }
            }),
            _ => Err(ProviderError::Rejected("not this charge's result".into())),
        }
    }

    async fn refund(
        &self,
        account: &ProviderAccount,
        request: &RefundRequest,
    ) -> Result<RefundOutcome, ProviderError> {
        let charged = self.lock().outcomes.values().any(
            |o| matches!(o, ChargeOutcome::Succeeded { reference } if *reference == request.charge),
        );
        if !charged {
            return Err(ProviderError::Rejected(format!(
                "no succeeded charge {}",
                request.charge
            )));
        }
        Ok(RefundOutcome {
            reference: charge_reference(
                &account.account,
                &format!("refund/{}", request.idempotency_key),
            )
            .replacen("tch_", "tre_", 1),
            succeeded: true,
        })
    }

    fn verify_event(
        &self,
        _account: &ProviderAccount,
        _headers: &[(String, String)],
        _body: &[u8],
        _now: Timestamp,
    ) -> Result<VerifiedEvent, ProviderError> {
        // Its outcomes come back with the customer; it sends no events.
        Err(ProviderError::Unsupported(NAME))
    }
}

// --- the provider's own pages ---

/// A card as typed on the provider's page.
#[derive(Clone, Default)]
pub struct CardForm {
    pub number: String,
    /// `MM/YY` or `MM/YYYY`.
    pub expiry: String,
    pub cvc: String,
}

impl std::fmt::Debug for CardForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardForm(<redacted>)")
    }
}

/// What the card page shows: where the customer came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupPage {
    pub return_url: String,
}

/// What the challenge page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengePage {
    pub amount: i64,
    pub currency: Currency,
    pub return_url: String,
}

/// The account's opened settings for a token of its provider's pages; `NotFound` for anything
/// that is not a valid link of the test provider.
async fn open_token(app: &App, token: &str) -> AppResult<(ProviderAccount, Signed)> {
    let not_found = || AppError::not_found("test provider page", "link");
    let account = peek(token).ok_or_else(not_found)?.account().clone();
    let (provider, opened) = match super::provider_of(app, &account).await {
        Ok(found) => found,
        Err(AppError::Conflict(_) | AppError::NotFound { .. }) => return Err(not_found()),
        Err(e) => return Err(e),
    };
    if provider.name() != NAME {
        return Err(not_found());
    }
    let value = verify(&opened.secret, token).map_err(|_| not_found())?;
    Ok((opened, value))
}

pub async fn setup_page(app: &App, token: &str) -> AppResult<SetupPage> {
    match open_token(app, token).await? {
        (_, Signed::Setup { return_url, .. }) => Ok(SetupPage { return_url }),
        _ => Err(AppError::not_found("test provider page", "link")),
    }
}

/// Takes the card typed on the page; answers where to send the browser (back to the portal,
/// with the signed result). The number is read here and nowhere kept.
pub async fn submit_card(
    app: &App,
    token: &str,
    card: &CardForm,
    now: Timestamp,
) -> AppResult<String> {
    let (
        opened,
        Signed::Setup {
            account,
            customer,
            return_url,
        },
    ) = open_token(app, token).await?
    else {
        return Err(AppError::not_found("test provider page", "link"));
    };
    let checked = check_card(card, now)?;
    let mut random = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut random);
    let result = Signed::SetupResult {
        account,
        customer,
        brand: checked.brand.to_owned(),
        last4: checked.last4,
        exp_month: checked.exp_month,
        exp_year: checked.exp_year,
        reference: format!("tpm_{}_{}", checked.behaviour.code(), hex::encode(random)),
    };
    Ok(with_param(
        &return_url,
        RESULT_PARAM,
        &sign(&opened.secret, &result),
    ))
}

pub async fn challenge_page(app: &App, token: &str) -> AppResult<ChallengePage> {
    match open_token(app, token).await? {
        (
            _,
            Signed::Challenge {
                amount,
                currency,
                return_url,
                ..
            },
        ) => Ok(ChallengePage {
            amount,
            currency,
            return_url,
        }),
        _ => Err(AppError::not_found("test provider page", "link")),
    }
}

/// The customer's answer to the challenge; answers where to send the browser.
pub async fn answer_challenge(app: &App, token: &str, approved: bool) -> AppResult<String> {
    let (
        opened,
        Signed::Challenge {
            account,
            charge,
            return_url,
            ..
        },
    ) = open_token(app, token).await?
    else {
        return Err(AppError::not_found("test provider page", "link"));
    };
    let result = Signed::ChallengeResult {
        account,
        charge,
        approved,
    };
    Ok(with_param(
        &return_url,
        RESULT_PARAM,
        &sign(&opened.secret, &result),
    ))
}

struct CheckedCard {
    brand: &'static str,
    last4: String,
    exp_month: i32,
    exp_year: i32,
    behaviour: Behaviour,
}

fn check_card(card: &CardForm, now: Timestamp) -> Result<CheckedCard, Invalid> {
    let digits: String = card
        .number
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if !(12..=19).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !luhn(&digits)
    {
        return Err(Invalid::new("number", "is not a valid card number"));
    }
    let cvc = card.cvc.trim();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::new("cvc", "must be 3 or 4 digits"));
    }
    let behaviour = match digits.as_str() {
        "4000000000000002" => Behaviour::Declined,
        "4000000000009995" => Behaviour::InsufficientFunds,
        "4000000000003220" => Behaviour::Challenge,
        "4000000000000119" => Behaviour::Hangs,
        "4000000000000341" => Behaviour::DeclinedTwice,
        _ => Behaviour::Succeeds,
    };
    let today = now.date();
    let (this_year, this_month) = (today.year(), i32::from(u8::from(today.month())));
    let (exp_month, exp_year) = if digits == "4000000000000069" {
        if this_month == 12 {
            (1, this_year + 1)
        } else {
            (this_month + 1, this_year)
        }
    } else {
        let expiry = parse_expiry(&card.expiry)
            .ok_or_else(|| Invalid::new("expiry", "must be a month and year, MM/YY"))?;
        if expiry < (this_year, this_month) {
            return Err(Invalid::new("expiry", "is in the past"));
        }
        (expiry.1, expiry.0)
    };
    let brand = match digits.as_bytes() {
        [b'4', ..] => "visa",
        [b'3', b'4' | b'7', ..] => "amex",
        [b'5', b'1'..=b'5', ..] => "mastercard",
        [b'2', ..] if (2221..=2720).contains(&digits[..4].parse::<u32>().unwrap_or(0)) => {
            "mastercard"
        }
        [b'6', b'0', b'1', b'1', ..] | [b'6', b'5', ..] => "discover",
        [b'3', b'5', ..] => "jcb",
        _ => "unknown",
    };
    Ok(CheckedCard {
        brand,
        last4: digits[digits.len() - 4..].to_owned(),
        exp_month,
        exp_year,
        behaviour,
    })
}

/// `(year, month)` of `MM/YY` or `MM/YYYY`.
fn parse_expiry(text: &str) -> Option<(i32, i32)> {
    let (m, y) = text.trim().split_once('/')?;
    let month: i32 = m.trim().parse().ok()?;
    let y = y.trim();
    let year: i32 = match y.len() {
        2 => 2000 + y.parse::<i32>().ok()?,
        4 => y.parse().ok()?,
        _ => return None,
    };
    ((1..=12).contains(&month) && (2000..=2100).contains(&year)).then_some((year, month))
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 { d - 9 } else { d }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse_rfc3339("t", "2026-12-05T10:00:00Z").unwrap()
    }

    fn card(number: &str, expiry: &str) -> CardForm {
        CardForm {
            number: number.into(),
            expiry: expiry.into(),
            cvc: "123".into(),
        }
    }

    #[test]
    fn test_numbers_choose_their_outcome() {
        let cases = [
            ("4242 4242 4242 4242", Behaviour::Succeeds),
            ("4000 0000 0000 0002", Behaviour::Declined),
            ("4000 0000 0000 9995", Behaviour::InsufficientFunds),
            ("4000 0000 0000 3220", Behaviour::Challenge),
            ("4000-0000-0000-0119", Behaviour::Hangs),
            ("4000 0000 0000 0341", Behaviour::DeclinedTwice),
            ("5555 5555 5555 4444", Behaviour::Succeeds),
        ];
        for (number, behaviour) in cases {
            let checked = check_card(&card(number, "12/30"), now()).unwrap();
            assert_eq!(checked.behaviour, behaviour, "{number}");
            let reference = format!("tpm_{}_00", checked.behaviour.code());
            assert_eq!(Behaviour::of_reference(&reference), Some(behaviour));
        }
        let amex = check_card(&card("3782 822463 10005", "01/2031"), now()).unwrap();
        assert_eq!(
            (
                amex.brand,
                amex.last4.as_str(),
                amex.exp_month,
                amex.exp_year
            ),
            ("amex", "0005", 1, 2031)
        );
    }

    #[test]
    fn one_card_expires_next_month_whatever_is_typed() {
        let checked = check_card(&card("4000 0000 0000 0069", ""), now()).unwrap();
        assert_eq!((checked.exp_month, checked.exp_year), (1, 2027));
    }

    #[test]
    fn bad_cards_name_the_field() {
        let field = |c: CardForm| check_card(&c, now()).err().map(|e| e.field);
        assert_eq!(
            field(card("4242 4242 4242 4241", "12/30")).as_deref(),
            Some("number")
        );
        assert_eq!(field(card("4242", "12/30")).as_deref(), Some("number"));
        assert_eq!(
            field(card("4242 4242 4242 4242", "11/26")).as_deref(),
            Some("expiry")
        );
        assert_eq!(
            field(card("4242 4242 4242 4242", "13/30")).as_deref(),
            Some("expiry")
        );
        let mut no_cvc = card("4242 4242 4242 4242", "12/30");
        no_cvc.cvc = "1".into();
        assert_eq!(field(no_cvc).as_deref(), Some("cvc"));
        // The month of the expiry is still good.
        assert!(check_card(&card("4242 4242 4242 4242", "12/26"), now()).is_ok());
    }

    #[test]
    fn signed_values_do_not_survive_tampering_or_another_secret() {
        let value = Signed::ChallengeResult {
            account: AccountId::new(now(), [1; 10]),
            charge: "tch_1".into(),
            approved: false,
        };
        let token = sign(b"one", &value);
        assert!(verify(b"one", &token).is_ok());
        assert!(verify(b"two", &token).is_err());
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode(
            String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap())
                .unwrap()
                .replace("false", "true"),
        );
        assert!(verify(b"one", &format!("{forged}.{tag}")).is_err());
    }
}
