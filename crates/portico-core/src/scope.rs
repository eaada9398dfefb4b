//! What a credential may do: API scopes for vendor keys, portal scopes for customer sessions.

use std::fmt;

use crate::error::{Invalid, ValidationResult};

macro_rules! scope_set {
    ($(#[$doc:meta])* $set:ident, $scope:ident { $($variant:ident = $name:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $scope { $($variant),+ }

        impl $scope {
            pub const ALL: &'static [$scope] = &[$($scope::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($scope::$variant => $name),+ }
            }

            pub fn parse(name: &str) -> Option<Self> {
                match name { $($name => Some($scope::$variant),)+ _ => None }
            }

            fn bit(self) -> u32 {
                1 << (self as u32)
            }
        }

        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $set(u32);

        impl $set {
            pub const fn empty() -> Self { Self(0) }

            pub fn all() -> Self {
                $scope::ALL.iter().copied().collect()
            }

            pub fn contains(self, scope: $scope) -> bool {
                self.0 & scope.bit() != 0
            }

            pub fn with(self, scope: $scope) -> Self {
                Self(self.0 | scope.bit())
            }

            pub fn intersect(self, other: Self) -> Self {
                Self(self.0 & other.0)
            }

            pub fn is_empty(self) -> bool {
                self.0 == 0
            }

            pub fn is_subset_of(self, other: Self) -> bool {
                self.0 & !other.0 == 0
            }

            pub fn iter(self) -> impl Iterator<Item = $scope> {
                $scope::ALL.iter().copied().filter(move |s| self.contains(*s))
            }

            /// Parses names separated by spaces or commas; an unknown name is an error naming `field`.
            pub fn parse(field: &str, text: &str) -> ValidationResult<Self> {
                text.split(|c: char| c == ' ' || c == ',')
                    .filter(|s| !s.is_empty())
                    .map(|name| {
                        $scope::parse(name)
                            .ok_or_else(|| Invalid::new(field, format!("unknown scope `{name}`")))
                    })
                    .collect()
            }

            pub fn parse_list(field: &str, names: &[String]) -> ValidationResult<Self> {
                Self::parse(field, &names.join(" "))
            }

            /// Space-separated names, as in an OAuth `scope` or a token claim.
            pub fn to_text(self) -> String {
                self.iter().map($scope::as_str).collect::<Vec<_>>().join(" ")
            }

            pub fn names(self) -> Vec<String> {
                self.iter().map(|s| s.as_str().to_owned()).collect()
            }
        }

        impl FromIterator<$scope> for $set {
            fn from_iter<T: IntoIterator<Item = $scope>>(iter: T) -> Self {
                iter.into_iter().fold(Self::empty(), Self::with)
            }
        }

        impl<E> FromIterator<$scope> for Result<$set, E> {
            fn from_iter<T: IntoIterator<Item = $scope>>(iter: T) -> Self {
                Ok(iter.into_iter().collect())
            }
        }

        impl fmt::Debug for $set {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($set), self.to_text())
            }
        }
    };
}

scope_set!(
    /// Scopes of an API key or OAuth token.
    ApiScopes, ApiScope {
        SecurityRead = "security:read",
        SecurityWrite = "security:write",
        CustomersRead = "customers:read",
        CustomersWrite = "customers:write",
        BillingRead = "billing:read",
        BillingWrite = "billing:write",
        WebhooksWrite = "webhooks:write",
        SettingsWrite = "settings:write",
        WebhooksRead = "webhooks:read",
    }
);

scope_set!(
    /// Scopes of a portal session: what the customer may see and change.
    PortalScopes, PortalScope {
        SubscriptionsRead = "subscriptions:read",
        SubscriptionsWrite = "subscriptions:write",
        InvoicesRead = "invoices:read",
        PaymentMethodsRead = "payment_methods:read",
        PaymentMethodsWrite = "payment_methods:write",
        AccountRead = "account:read",
        AccountWrite = "account:write",
    }
);

impl ApiScopes {
    /// A `…:write` scope implies its `…:read`.
    pub fn allows(self, needed: ApiScope) -> bool {
        let implied = match needed {
            ApiScope::SecurityRead => Some(ApiScope::SecurityWrite),
            ApiScope::CustomersRead => Some(ApiScope::CustomersWrite),
            ApiScope::BillingRead => Some(ApiScope::BillingWrite),
            ApiScope::WebhooksRead => Some(ApiScope::WebhooksWrite),
            _ => None,
        };
        self.contains(needed) || implied.is_some_and(|w| self.contains(w))
    }

    /// The first scope of `other` that these do not allow. A credential may create, or revoke,
    /// only credentials whose scopes it holds itself; otherwise a `settings:write` key could
    /// mint every other power, or take it away from the keys that hold it.
    pub fn first_missing(self, other: ApiScopes) -> Option<ApiScope> {
        other.iter().find(|s| !self.allows(*s))
    }
}

impl PortalScopes {
    /// Whether any scope allows a change (a session without one only reads).
    pub fn can_manage(self) -> bool {
        [
            PortalScope::SubscriptionsWrite,
            PortalScope::PaymentMethodsWrite,
            PortalScope::AccountWrite,
        ]
        .into_iter()
        .any(|s| self.contains(s))
    }

    /// The read-only portal scopes, all that a `viewer` contact gets.
    pub fn read_only() -> Self {
        [
            PortalScope::SubscriptionsRead,
            PortalScope::InvoicesRead,
            PortalScope::PaymentMethodsRead,
            PortalScope::AccountRead,
        ]
        .into_iter()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_missing_follows_implied_reads() {
        let writer = ApiScopes::empty().with(ApiScope::CustomersWrite);
        let reader = ApiScopes::empty().with(ApiScope::CustomersRead);
        assert_eq!(writer.first_missing(reader), None);
        assert_eq!(reader.first_missing(writer), Some(ApiScope::CustomersWrite));
        assert_eq!(ApiScopes::all().first_missing(ApiScopes::all()), None);
        assert_eq!(writer.first_missing(ApiScopes::empty()), None);
    }

    #[test]
    fn parse_and_print() {
        let s = ApiScopes::parse("scopes", "customers:read,billing:write security:write").unwrap();
        assert!(s.contains(ApiScope::BillingWrite));
        assert!(s.allows(ApiScope::BillingRead));
        assert!(!s.allows(ApiScope::SettingsWrite));
        assert_eq!(s.to_text(), "security:write customers:read billing:write");
        assert_eq!(
            ApiScopes::parse("scopes", "root").unwrap_err().field,
            "scopes"
        );
    }

    #[test]
    fn intersection_never_widens() {
        let asked = PortalScopes::all();
        let viewer = PortalScopes::read_only();
        let s = asked.intersect(viewer);
        assert!(s.is_subset_of(viewer));
        assert!(!s.contains(PortalScope::SubscriptionsWrite));
    }
}
