//! Typed, prefixed ids (`cus_…`): 48 bits of creation time and 80 random bits, in lowercase
//! Crockford base32, so that ids sort by creation and a wrong kind of id never parses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::Timestamp;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// Length of the encoded body after the prefix: 128 bits in 5-bit digits.
const BODY_LEN: usize = 26;

/// The random part of a new id; the caller supplies it so the domain stays free of I/O.
pub type Entropy = [u8; 10];

fn encode(millis: i64, entropy: Entropy) -> String {
    let mut bytes = [0u8; 16];
    bytes[..6].copy_from_slice(&millis.clamp(0, (1 << 48) - 1).to_be_bytes()[2..]);
    bytes[6..].copy_from_slice(&entropy);
    let value = u128::from_be_bytes(bytes);
    (0..BODY_LEN)
        .rev()
        .map(|digit| ALPHABET[((value >> (digit * 5)) & 31) as usize] as char)
        .collect()
}

fn body_is_valid(body: &str) -> bool {
    body.len() == BODY_LEN
        // The first digit carries only the top three bits of 128.
        && body.as_bytes()[0] <= b'7'
        && body.bytes().all(|b| ALPHABET.contains(&b))
}

/// Whether `s` has the form of a Portico id of any kind, present or future: a short lowercase
/// prefix, `_`, and a valid body. Identifiers a vendor chooses may not, so that a lookup by
/// "id or vendor's id" can never take one for the other.
pub fn has_id_form(s: &str) -> bool {
    s.split_once('_').is_some_and(|(prefix, body)| {
        (1..=8).contains(&prefix.len())
            && prefix.bytes().all(|b| b.is_ascii_lowercase())
            && body_is_valid(body)
    })
}

/// An id string that does not parse as the expected kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid {kind} id")]
pub struct BadId {
    pub kind: &'static str,
}

macro_rules! define_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A new id created at `now` with the given random bits.
            pub fn new(now: Timestamp, entropy: Entropy) -> Self {
                Self(format!("{}_{}", $prefix, encode(now.as_millis(), entropy)))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = BadId;

            fn from_str(s: &str) -> Result<Self, BadId> {
                match s.strip_prefix(concat!($prefix, "_")) {
                    Some(body) if body_is_valid(body) => Ok(Self(s.to_owned())),
                    _ => Err(BadId { kind: $kind }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "_[0-7][0-9a-hjkmnp-tv-z]{25}$")))
                    .examples([concat!($prefix, "_01jd0v4m3g6k2x8r9t7w5y1q3z")])
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

define_id!(
    /// A vendor account: one tenant of Portico.
    AccountId, "acct", "account"
);
define_id!(
    /// An API key's public half; the secret is never stored.
    ApiKeyId, "key", "API key"
);
define_id!(CustomerId, "cus", "customer");
define_id!(ContactId, "ctc", "contact");
define_id!(ProductId, "prod", "product");
define_id!(PlanId, "plan", "plan");
define_id!(SubscriptionId, "sub", "subscription");
define_id!(InvoiceId, "inv", "invoice");
define_id!(TransactionId, "txn", "transaction");
define_id!(PaymentMethodId, "pm", "payment method");
define_id!(
    /// One try at charging an invoice through the payment provider.
    PaymentAttemptId, "pay", "payment attempt"
);
define_id!(
    /// A portal session; also the `jti` of the portal token that opened it.
    PortalSessionId, "ps", "portal session"
);
define_id!(OAuthClientId, "cli", "OAuth client");
define_id!(SigningKeyId, "sk", "signing key");
define_id!(WebhookEndpointId, "we", "webhook endpoint");
define_id!(EventId, "evt", "event");
define_id!(WebhookDeliveryId, "whd", "webhook delivery");

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn kinds_do_not_mix() {
        let id = CustomerId::new(Timestamp::from_secs(1_700_000_000), [7; 10]);
        assert!(id.as_str().starts_with("cus_"));
        assert_eq!(id.as_str().parse::<CustomerId>().unwrap(), id);
        assert!(id.as_str().parse::<InvoiceId>().is_err());
        for bad in [
            "",
            "cus_",
            "cus_123",
            "' OR 1=1--",
            "../x",
            "CUS_01jd0v4m3g6k2x8r9t7w5y1q3z",
        ] {
            assert!(bad.parse::<CustomerId>().is_err(), "{bad} parsed");
        }
    }

    #[test]
    fn every_kind_has_the_id_form() {
        let now = Timestamp::from_secs(1_700_000_000);
        for id in [
            AccountId::new(now, [1; 10]).to_string(),
            ApiKeyId::new(now, [1; 10]).to_string(),
            CustomerId::new(now, [1; 10]).to_string(),
            ContactId::new(now, [1; 10]).to_string(),
            ProductId::new(now, [1; 10]).to_string(),
            PlanId::new(now, [1; 10]).to_string(),
            SubscriptionId::new(now, [1; 10]).to_string(),
            InvoiceId::new(now, [1; 10]).to_string(),
            TransactionId::new(now, [1; 10]).to_string(),
            PaymentMethodId::new(now, [1; 10]).to_string(),
            PaymentAttemptId::new(now, [1; 10]).to_string(),
            PortalSessionId::new(now, [1; 10]).to_string(),
            OAuthClientId::new(now, [1; 10]).to_string(),
            SigningKeyId::new(now, [1; 10]).to_string(),
            WebhookEndpointId::new(now, [1; 10]).to_string(),
            EventId::new(now, [1; 10]).to_string(),
            WebhookDeliveryId::new(now, [1; 10]).to_string(),
        ] {
            assert!(has_id_form(&id), "{id}");
        }
        for other in [
            "superdesk-123",
            "ctc_123",
            "ctc-01jd0v4m3g6k2x8r9t7w5y1q3z",
            "CTC_01jd0v4m3g6k2x8r9t7w5y1q3z",
            "_01jd0v4m3g6k2x8r9t7w5y1q3z",
            "ctc_01jd0v4m3g6k2x8r9t7w5y1q3zz",
        ] {
            assert!(!has_id_form(other), "{other}");
        }
    }

    proptest! {
        #[test]
        fn ids_round_trip_and_sort_by_time(a in 0i64..(1 << 40), b in 0i64..(1 << 40), e1: [u8; 10], e2: [u8; 10]) {
            let x = InvoiceId::new(Timestamp::from_millis(a), e1);
            let y = InvoiceId::new(Timestamp::from_millis(b), e2);
            prop_assert_eq!(x.as_str().parse::<InvoiceId>().unwrap(), x.clone());
            if a < b {
                prop_assert!(x < y);
            }
        }
    }
}
