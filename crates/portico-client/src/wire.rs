//! Which schema of the OpenAPI document each request and answer type is, so that a call can
//! check its types against its entry in the operations table.

use portico_core::List;
use portico_core::model::*;

use crate::oauth::{TokenRequest, TokenResponse};
use crate::types::*;

/// A type that travels as a JSON body, named as the OpenAPI document's component of its shape.
pub trait Wire {
    /// `None` for "no body" and for free-form JSON.
    fn schema_name() -> Option<String>;
}

macro_rules! wire {
    ($($name:ident),+ $(,)?) => {
        $(
            impl Wire for $name {
                fn schema_name() -> Option<String> {
                    Some(stringify!($name).to_owned())
                }
            }
        )+
    };
}

wire!(
    Customer,
    NewCustomer,
    CustomerPatch,
    Contact,
    NewContact,
    ContactPatch,
    Product,
    NewProduct,
    ProductPatch,
    Plan,
    NewPlan,
    PlanPatch,
    Subscription,
    NewSubscription,
    SubscriptionPatch,
    CancelSubscription,
    SubscriptionChangeRequest,
    SubscriptionChanged,
    PauseSubscription,
    ChangeQuote,
    PayRequest,
    RefundRequest,
    PaymentProvider,
    PaymentProviderSettings,
    PaymentAttempt,
    Invoice,
    NewInvoice,
    InvoicePatch,
    Transaction,
    NewTransaction,
    TransactionPatch,
    PaymentMethod,
    NewPaymentMethod,
    PaymentMethodPatch,
    ApiKey,
    NewApiKey,
    CreatedApiKey,
    OAuthClient,
    NewOAuthClient,
    CreatedOAuthClient,
    PortalSettings,
    PortalSettingsPatch,
    InvoiceSettings,
    InvoiceSettingsPatch,
    PortalSession,
    NewPortalSession,
    PortalSessionCreated,
    Revoked,
    CustomerPortalTokenRequest,
    CustomerPortalTokenResponse,
    PortalAccess,
    SignedLink,
    Health,
    TokenRequest,
    TokenResponse,
    WebhookEndpoint,
    WebhookEndpointWithSecret,
    NewWebhookEndpoint,
    WebhookEndpointPatch,
    WebhookDelivery,
    Event,
);

/// utoipa names a page of `T` `List_T`.
impl<T: Wire> Wire for List<T> {
    fn schema_name() -> Option<String> {
        T::schema_name().map(|t| format!("List_{t}"))
    }
}

impl Wire for () {
    fn schema_name() -> Option<String> {
        None
    }
}

impl Wire for serde_json::Value {
    fn schema_name() -> Option<String> {
        None
    }
}

/// A record that lists page through by its id.
pub trait Listed {
    /// The record's id, the `starting_after` of the page that follows it.
    fn cursor(&self) -> &str;
}

macro_rules! listed {
    ($($name:ident),+ $(,)?) => {
        $(
            impl Listed for $name {
                fn cursor(&self) -> &str {
                    self.id.as_str()
                }
            }
        )+
    };
}

listed!(
    Customer,
    Contact,
    Product,
    Plan,
    Subscription,
    Invoice,
    Transaction,
    PaymentMethod,
    ApiKey,
    OAuthClient,
    PortalSession,
    WebhookEndpoint,
    WebhookDelivery,
    Event,
);

/// What names a record in a path: one of its id types, or text (an id, an alias, an external
/// id).
pub trait PathId {
    fn path_id(&self) -> &str;
}

impl PathId for str {
    fn path_id(&self) -> &str {
        self
    }
}

impl PathId for String {
    fn path_id(&self) -> &str {
        self
    }
}

impl<T: PathId + ?Sized> PathId for &T {
    fn path_id(&self) -> &str {
        (**self).path_id()
    }
}

macro_rules! path_ids {
    ($($name:ident),+ $(,)?) => {
        $(
            impl PathId for portico_core::$name {
                fn path_id(&self) -> &str {
                    self.as_str()
                }
            }
        )+
    };
}

path_ids!(
    CustomerId,
    ContactId,
    ProductId,
    PlanId,
    SubscriptionId,
    InvoiceId,
    TransactionId,
    PaymentMethodId,
    ApiKeyId,
    OAuthClientId,
    PortalSessionId,
    WebhookEndpointId,
    WebhookDeliveryId,
    EventId,
);
