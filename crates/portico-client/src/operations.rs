//! Every operation of the OpenAPI document that the client calls, as one table. The resource
//! methods build their URLs from these entries and from nothing else, so the table is exactly
//! what the client calls; the tests hold it against the server's document in both directions.

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Method {
    Get,
    Post,
    Patch,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    pub(crate) fn to_http(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

/// One documented operation: a method, a path template such as
/// `/api/v1/customers/{id_or_alias}` whose `{…}` parts the call fills in order, and the schema
/// names (as in the OpenAPI document's components) of its JSON request body and answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Operation {
    pub method: Method,
    pub path: &'static str,
    pub request: Option<&'static str>,
    pub answer: Option<&'static str>,
}

impl Operation {
    /// Vendor-API POSTs carry an `Idempotency-Key`; `/oauth/token` is no such POST.
    pub fn takes_idempotency_key(&self) -> bool {
        self.method == Method::Post && self.path.starts_with("/api/v1/")
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method.as_str(), self.path)
    }
}

macro_rules! operations {
    (@name) => { None };
    (@name $schema:ident) => { Some(stringify!($schema)) };
    ($(
        $(#[$doc:meta])*
        $name:ident = $method:ident $path:literal $(($request:ident))? $(-> $answer:ident)?;
    )+) => {
        $(
            $(#[$doc])*
            pub const $name: Operation = Operation {
                method: Method::$method,
                path: $path,
                request: operations!(@name $($request)?),
                answer: operations!(@name $($answer)?),
            };
        )+

        /// Every operation above.
        pub const ALL: &[Operation] = &[$($name),+];
    };
}

operations! {
    HEALTHZ = Get "/healthz" -> Health;
    READYZ = Get "/readyz" -> Health;
    OPENAPI = Get "/api/v1/openapi.json";
    OAUTH_TOKEN = Post "/oauth/token" (TokenRequest) -> TokenResponse;

    CUSTOMERS_CREATE = Post "/api/v1/customers" (NewCustomer) -> Customer;
    CUSTOMERS_LIST = Get "/api/v1/customers" -> List_Customer;
    CUSTOMERS_GET = Get "/api/v1/customers/{id_or_alias}" -> Customer;
    CUSTOMERS_UPDATE = Patch "/api/v1/customers/{id_or_alias}" (CustomerPatch) -> Customer;
    CUSTOMERS_DELETE = Delete "/api/v1/customers/{id_or_alias}" -> Customer;

    CONTACTS_CREATE = Post "/api/v1/contacts" (NewContact) -> Contact;
    CONTACTS_LIST = Get "/api/v1/contacts" -> List_Contact;
    CONTACTS_GET = Get "/api/v1/contacts/{id}" -> Contact;
    CONTACTS_UPDATE = Patch "/api/v1/contacts/{id}" (ContactPatch) -> Contact;
    CONTACTS_DELETE = Delete "/api/v1/contacts/{id}" -> Contact;

    PRODUCTS_CREATE = Post "/api/v1/products" (NewProduct) -> Product;
    PRODUCTS_LIST = Get "/api/v1/products" -> List_Product;
    PRODUCTS_GET = Get "/api/v1/products/{id}" -> Product;
    PRODUCTS_UPDATE = Patch "/api/v1/products/{id}" (ProductPatch) -> Product;
    PRODUCTS_DELETE = Delete "/api/v1/products/{id}" -> Product;

    PLANS_CREATE = Post "/api/v1/plans" (NewPlan) -> Plan;
    PLANS_LIST = Get "/api/v1/plans" -> List_Plan;
    PLANS_GET = Get "/api/v1/plans/{id}" -> Plan;
    PLANS_UPDATE = Patch "/api/v1/plans/{id}" (PlanPatch) -> Plan;
    PLANS_DELETE = Delete "/api/v1/plans/{id}" -> Plan;

    SUBSCRIPTIONS_CREATE = Post "/api/v1/subscriptions" (NewSubscription) -> Subscription;
    SUBSCRIPTIONS_LIST = Get "/api/v1/subscriptions" -> List_Subscription;
    SUBSCRIPTIONS_GET = Get "/api/v1/subscriptions/{id}" -> Subscription;
    SUBSCRIPTIONS_UPDATE = Patch "/api/v1/subscriptions/{id}" (SubscriptionPatch) -> Subscription;
    SUBSCRIPTIONS_CANCEL = Delete "/api/v1/subscriptions/{id}" (CancelSubscription) -> Subscription;
    SUBSCRIPTIONS_PREVIEW_CHANGE = Post "/api/v1/subscriptions/{id}/preview-change"
        (SubscriptionChangeRequest) -> ChangeQuote;
    SUBSCRIPTIONS_CHANGE = Post "/api/v1/subscriptions/{id}/change" (SubscriptionChangeRequest)
        -> SubscriptionChanged;
    SUBSCRIPTIONS_CANCEL_BY_POST = Post "/api/v1/subscriptions/{id}/cancel" (CancelSubscription)
        -> Subscription;
    SUBSCRIPTIONS_RESUME = Post "/api/v1/subscriptions/{id}/resume" -> Subscription;
    SUBSCRIPTIONS_PAUSE = Post "/api/v1/subscriptions/{id}/pause" (PauseSubscription)
        -> Subscription;
    SUBSCRIPTIONS_UNPAUSE = Post "/api/v1/subscriptions/{id}/unpause" -> Subscription;

    INVOICES_CREATE = Post "/api/v1/invoices" (NewInvoice) -> Invoice;
    INVOICES_LIST = Get "/api/v1/invoices" -> List_Invoice;
    INVOICES_GET = Get "/api/v1/invoices/{id}" -> Invoice;
    INVOICES_UPDATE = Patch "/api/v1/invoices/{id}" (InvoicePatch) -> Invoice;
    INVOICES_DELETE = Delete "/api/v1/invoices/{id}" -> Invoice;
    INVOICES_PAY = Post "/api/v1/invoices/{id}/pay" (PayRequest) -> PaymentAttempt;

    TRANSACTIONS_CREATE = Post "/api/v1/transactions" (NewTransaction) -> Transaction;
    TRANSACTIONS_LIST = Get "/api/v1/transactions" -> List_Transaction;
    TRANSACTIONS_GET = Get "/api/v1/transactions/{id}" -> Transaction;
    TRANSACTIONS_UPDATE = Patch "/api/v1/transactions/{id}" (TransactionPatch) -> Transaction;
    TRANSACTIONS_DELETE = Delete "/api/v1/transactions/{id}" -> Transaction;
    TRANSACTIONS_REFUND = Post "/api/v1/transactions/{id}/refund" (RefundRequest) -> Transaction;

    PAYMENT_METHODS_CREATE = Post "/api/v1/payment-methods" (NewPaymentMethod) -> PaymentMethod;
    PAYMENT_METHODS_LIST = Get "/api/v1/payment-methods" -> List_PaymentMethod;
    PAYMENT_METHODS_GET = Get "/api/v1/payment-methods/{id}" -> PaymentMethod;
    PAYMENT_METHODS_UPDATE = Patch "/api/v1/payment-methods/{id}" (PaymentMethodPatch)
        -> PaymentMethod;
    PAYMENT_METHODS_DELETE = Delete "/api/v1/payment-methods/{id}" -> PaymentMethod;

    API_KEYS_CREATE = Post "/api/v1/api-keys" (NewApiKey) -> CreatedApiKey;
    API_KEYS_LIST = Get "/api/v1/api-keys" -> List_ApiKey;
    API_KEYS_REVOKE = Delete "/api/v1/api-keys/{id}" -> ApiKey;

    OAUTH_CLIENTS_CREATE = Post "/api/v1/oauth-clients" (NewOAuthClient) -> CreatedOAuthClient;
    OAUTH_CLIENTS_LIST = Get "/api/v1/oauth-clients" -> List_OAuthClient;
    OAUTH_CLIENTS_REVOKE = Delete "/api/v1/oauth-clients/{id}" -> OAuthClient;

    PORTAL_SETTINGS_GET = Get "/api/v1/portal-settings" -> PortalSettings;
    PORTAL_SETTINGS_UPDATE = Patch "/api/v1/portal-settings" (PortalSettingsPatch)
        -> PortalSettings;
    INVOICE_SETTINGS_GET = Get "/api/v1/invoice-settings" -> InvoiceSettings;
    INVOICE_SETTINGS_UPDATE = Patch "/api/v1/invoice-settings" (InvoiceSettingsPatch)
        -> InvoiceSettings;
    /// The body is the image itself (PNG or JPEG), not JSON.
    INVOICE_LOGO_PUT = Put "/api/v1/invoice-settings/logo" -> InvoiceSettings;
    /// The answer is the image itself.
    INVOICE_LOGO_GET = Get "/api/v1/invoice-settings/logo";
    INVOICE_LOGO_DELETE = Delete "/api/v1/invoice-settings/logo" -> InvoiceSettings;
    PAYMENT_PROVIDER_GET = Get "/api/v1/payment-provider" -> PaymentProvider;
    PAYMENT_PROVIDER_SET = Put "/api/v1/payment-provider" (PaymentProviderSettings)
        -> PaymentProvider;

    PORTAL_SESSIONS_CREATE = Post "/api/v1/portal-sessions" (NewPortalSession)
        -> PortalSessionCreated;
    PORTAL_SESSIONS_LIST = Get "/api/v1/portal-sessions" -> List_PortalSession;
    PORTAL_SESSIONS_GET = Get "/api/v1/portal-sessions/{id}" -> PortalSession;
    PORTAL_SESSIONS_REVOKE = Delete "/api/v1/portal-sessions/{id}" -> PortalSession;
    PORTAL_SESSIONS_REVOKE_ALL = Delete "/api/v1/customers/{id_or_alias}/portal-sessions"
        -> Revoked;
    PORTAL_TOKEN = Post "/api/v1/customers/{id_or_alias}/portal-token"
        (CustomerPortalTokenRequest)
        -> CustomerPortalTokenResponse;
    SHAREABLE_ACCESS = Get "/api/v1/shareabletokens/access/{enduserId}" -> PortalAccess;
    SHAREABLE_LINK = Get "/api/v1/shareabletokens/{enduserId}" -> SignedLink;

    WEBHOOK_ENDPOINTS_CREATE = Post "/api/v1/webhook-endpoints" (NewWebhookEndpoint)
        -> WebhookEndpointWithSecret;
    WEBHOOK_ENDPOINTS_LIST = Get "/api/v1/webhook-endpoints" -> List_WebhookEndpoint;
    WEBHOOK_ENDPOINTS_GET = Get "/api/v1/webhook-endpoints/{id}" -> WebhookEndpoint;
    WEBHOOK_ENDPOINTS_UPDATE = Patch "/api/v1/webhook-endpoints/{id}" (WebhookEndpointPatch)
        -> WebhookEndpoint;
    WEBHOOK_ENDPOINTS_DELETE = Delete "/api/v1/webhook-endpoints/{id}" -> WebhookEndpoint;
    WEBHOOK_ENDPOINTS_ROTATE_SECRET = Post "/api/v1/webhook-endpoints/{id}/rotate-secret"
        -> WebhookEndpointWithSecret;
    WEBHOOK_DELIVERIES_LIST = Get "/api/v1/webhook-endpoints/{id}/deliveries"
        -> List_WebhookDelivery;
    WEBHOOK_DELIVERIES_REDELIVER = Post "/api/v1/webhook-deliveries/{id}/redeliver"
        -> WebhookDelivery;

    EVENTS_LIST = Get "/api/v1/events" -> List_Event;
    EVENTS_GET = Get "/api/v1/events/{id}" -> Event;

    TEST_CLOCKS_CREATE = Post "/api/v1/test-clocks" (NewTestClock) -> TestClock;
    TEST_CLOCKS_LIST = Get "/api/v1/test-clocks" -> List_TestClock;
    TEST_CLOCKS_GET = Get "/api/v1/test-clocks/{id}" -> TestClock;
    TEST_CLOCKS_DELETE = Delete "/api/v1/test-clocks/{id}" -> TestClock;
    TEST_CLOCKS_ATTACH = Post "/api/v1/test-clocks/{id}/customers" (TestClockCustomer)
        -> TestClock;
    TEST_CLOCKS_ADVANCE = Post "/api/v1/test-clocks/{id}/advance" (TestClockAdvance)
        -> TestClockAdvanced;
}

/// `POST /graphql`: the GraphQL dialect, which the OpenAPI document does not describe.
pub const GRAPHQL: Operation = Operation {
    method: Method::Post,
    path: "/graphql",
    request: None,
    answer: None,
};
