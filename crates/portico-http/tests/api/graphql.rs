//! The GraphQL dialect at `/graphql`: Bunny's `portalSessionCreate` request exactly as its
//! documentation prints it, followed into the portal; read queries, scopes, tenancy
//! (SECURITY.md line 20 for GraphQL), limits, authentication and the explorer page.

use portico_core::scope::ApiScope;
use reqwest::Method;
use serde_json::{Value, json};

use portico_http::ratelimit::Quota;

use crate::support::{On, Options, Resp, TestApp, key_with};

/// The mutation from Bunny's "Standalone customer portal" guide, byte for byte.
const BUNNY_MUTATION: &str = "mutation portalSessionCreate ($tenantCode: String!, $expiry: Int!) {
  portalSessionCreate (tenantCode: $tenantCode, expiry: $expiry) {
      errors
      token
  }
}";

/// The same mutation with `expiry` optional, as a client relying on the default sends it.
const OPTIONAL_EXPIRY: &str = "mutation ($tenantCode: String!, $expiry: Int) {
  portalSessionCreate(tenantCode: $tenantCode, expiry: $expiry) { errors token }
}";

/// The mutation as Bunny's published Node client (`@bunnyapp/api-client` 2.x) sends it: every
/// variable declared non-null, and `returnUrl: null` when the caller gave none.
const BUNNY_CLIENT_MUTATION: &str =
    "mutation portalSessionCreate ($tenantCode: String!, $expiry: Int!, $returnUrl: String!) {
  portalSessionCreate (tenantCode: $tenantCode, expiry: $expiry, returnUrl: $returnUrl) {
      errors
      token
  }
}";

const CUSTOMER_QUERY: &str = "query ($id: ID, $code: String) {
  customer(id: $id, code: $code) {
    id code name email currency portalEnabled
    subscriptions { id status quantity plan { id name interval unitAmount currency } currentPeriodEnd cancelAtPeriodEnd }
    invoices(first: 10) { id number status total amountDue currency issuedAt dueAt }
    paymentMethods { id kind brand last4 expMonth expYear isDefault }
  }
}";

/// `POST /graphql` with `key` and `{query, variables}`.
async fn gql(app: &TestApp, key: &str, query: &str, variables: Value) -> Resp {
    app.post(
        key,
        "/graphql",
        json!({"query": query, "variables": variables}),
    )
    .await
}

/// Bunny's request for `tenant_code` with `expiry`, answered 200 with its one payload.
async fn bunny(app: &TestApp, key: &str, tenant_code: &str, expiry: Option<i64>) -> Value {
    let r = match expiry {
        Some(e) => {
            gql(
                app,
                key,
                BUNNY_MUTATION,
                json!({"tenantCode": tenant_code, "expiry": e}),
            )
            .await
        }
        None => {
            gql(
                app,
                key,
                OPTIONAL_EXPIRY,
                json!({"tenantCode": tenant_code}),
            )
            .await
        }
    };
    r.expect(200);
    assert!(r.json.get("errors").is_none(), "{}", r.text);
    r.json["data"]["portalSessionCreate"].clone()
}

/// A token from Bunny's request; fails if the answer has errors.
async fn bunny_token(app: &TestApp, key: &str, tenant_code: &str, expiry: Option<i64>) -> String {
    let payload = bunny(app, key, tenant_code, expiry).await;
    assert_eq!(payload["errors"], Value::Null, "{payload}");
    payload["token"].as_str().expect("a token").to_owned()
}

/// A GET as a browser without a cookie jar: redirects are not followed.
async fn open(app: &TestApp, path: &str, cookie: Option<&str>) -> Resp {
    let mut req = app.client.get(app.url(path));
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    app.send(req).await
}

/// `name=value` of the answer's `Set-Cookie`.
fn cookie_of(r: &Resp) -> String {
    let raw = r.header("set-cookie").expect("a Set-Cookie");
    raw.split(';').next().unwrap().to_owned()
}

/// The claims of a JWT, decoded without verifying (base64url without padding).
fn claims(token: &str) -> Value {
    let part = token.split('.').nth(1).expect("a JWT");
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut bytes = Vec::new();
    for c in part.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            other => panic!("not base64url: {other}"),
        };
        bits = (bits << 6) | u32::from(v);
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            bytes.push((bits >> nbits) as u8);
            bits &= (1 << nbits) - 1;
        }
    }
    serde_json::from_slice(&bytes).unwrap()
}

fn lifetime(token: &str) -> i64 {
    let c = claims(token);
    c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap()
}

/// The one GraphQL error of an answer whose field came back `null`.
#[track_caller]
fn gql_error(r: &Resp) -> (String, String) {
    r.expect(200);
    let errors = r.json["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors: {}", r.text));
    assert_eq!(errors.len(), 1, "{}", r.text);
    (
        errors[0]["message"].as_str().unwrap().to_owned(),
        errors[0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

portico_testkit::backend_tests! {
    async fn return_url_given_omitted_or_null_as_bunnys_client_sends_it(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        let back = "https://app.vendor.example/settings/billing";
        let payload = |r: &Resp| r.json["data"]["portalSessionCreate"].clone();
        // Given: the session's way back is that URL, shown on the portal page.
        let r = gql(&app, &app.a.key, BUNNY_CLIENT_MUTATION,
            json!({"tenantCode": ours.customer_alias, "expiry": 24, "returnUrl": back})).await;
        r.expect(200);
        assert_eq!(payload(&r)["errors"], Value::Null, "{}", r.text);
        let token = payload(&r)["token"].as_str().unwrap().to_owned();
        let session = claims(&token)["jti"].as_str().unwrap().to_owned();
        let stored = app.get(&app.a.key, &format!("/api/v1/portal-sessions/{session}")).await;
        assert_eq!(stored.json["return_url"], back);
        let entered = open(&app, &format!("/portal/subscriptions?token={token}"), None).await;
        entered.expect(303);
        let page = open(&app, "/portal/subscriptions", Some(&cookie_of(&entered))).await;
        page.expect(200);
        assert!(page.text.contains(&format!("class=\"back\" href=\"{back}\"")), "{}", page.text);

        // Null, with the variable declared `String!` as the published client does.
        let r = gql(&app, &app.a.key, BUNNY_CLIENT_MUTATION,
            json!({"tenantCode": ours.customer_alias, "expiry": 24, "returnUrl": null})).await;
        assert_eq!(r.json["errors"], Value::Null, "{}", r.text);
        let token = payload(&r)["token"].as_str().unwrap().to_owned();
        let session = claims(&token)["jti"].as_str().unwrap().to_owned();
        let stored = app.get(&app.a.key, &format!("/api/v1/portal-sessions/{session}")).await;
        assert_eq!(stored.json["return_url"], Value::Null);

        // Omitted.
        let token = bunny_token(&app, &app.a.key, &ours.customer_alias, None).await;
        assert!(token.contains('.'));

        // Not a URL: the payload says why, and no token.
        let r = gql(&app, &app.a.key, BUNNY_CLIENT_MUTATION,
            json!({"tenantCode": ours.customer_alias, "expiry": 24, "returnUrl": "javascript:alert(1)"})).await;
        assert_eq!(payload(&r)["token"], Value::Null, "{}", r.text);
        assert!(payload(&r)["errors"][0].as_str().unwrap().starts_with("returnUrl:"), "{}", r.text);

        // A null where the argument needs a value is still refused.
        let r = gql(&app, &app.a.key, BUNNY_CLIENT_MUTATION,
            json!({"tenantCode": null, "expiry": 24, "returnUrl": null})).await;
        r.expect(200);
        assert!(r.json["errors"][0]["message"].is_string(), "{}", r.text);
        assert_eq!(r.json["data"], Value::Null, "{}", r.text);
    }

    async fn the_engines_own_refusals_are_labelled_client_errors(app: TestApp) {
        // Refused while reading the arguments (a resolver's path is set) or while validating
        // (none): either way the client's, with the API's code.
        for query in [
            "mutation { portalSessionCreate(tenantCode: \"x\", expiry: 381133517236) { errors } }",
            "{ nothing }",
            "mutation ($t: String!) { portalSessionCreate(tenantCode: $t) { token } }",
        ] {
            let r = gql(&app, &app.a.key, query, json!({})).await;
            r.expect(200);
            assert_eq!(r.json["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{query}: {}", r.text);
        }
    }

    async fn bunny_request_opens_a_logged_in_portal_page(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        let body = json!({
            "query": BUNNY_MUTATION,
            "variables": {"tenantCode": ours.customer_alias, "expiry": 123},
        });
        let r = app.post(&app.a.key, "/graphql", body).await;
        r.expect(200);
        assert!(r.header("content-type").unwrap().starts_with("application/json"));
        let token = r.json["data"]["portalSessionCreate"]["token"].as_str().unwrap().to_owned();
        assert_eq!(
            r.json,
            json!({"data": {"portalSessionCreate": {"errors": null, "token": token}}}),
            "exactly Bunny's answer"
        );
        let c = claims(&token);
        assert_eq!(c["sub"], ours.customer.as_str());
        assert_eq!(c["aud"], "portal");
        assert_eq!(lifetime(&token), 123 * 3600, "expiry is in hours");

        let entered = open(&app, &format!("/portal?token={token}"), None).await;
        entered.expect(303);
        assert_eq!(entered.header("location"), Some("/portal"));
        let cookie = cookie_of(&entered);
        let page = open(&app, "/portal", Some(&cookie)).await;
        page.expect(200);
        assert!(page.text.contains("ay GmbH"), "the customer's page: {}", page.text);
    }

    async fn deep_links_land_on_their_pages(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        for page in ["subscriptions", "transactions", "payment-method"] {
            let token = bunny_token(&app, &app.a.key, &ours.customer_alias, None).await;
            let entered = open(&app, &format!("/portal/{page}?token={token}"), None).await;
            entered.expect(303);
            let location = format!("/portal/{page}");
            assert_eq!(entered.header("location"), Some(location.as_str()));
            let shown = open(&app, &location, Some(&cookie_of(&entered))).await;
            shown.expect(200);
            // The navigation marks the page shown as the current one.
            let current = format!("href=\"{location}\" aria-current=\"page\"");
            assert!(shown.text.contains(&current), "{page}: {}", shown.text);
            let anonymous = open(&app, &location, None).await;
            assert_ne!(anonymous.status, 200, "{page} without the cookie");
        }
    }

    async fn expiry_is_in_hours_with_bunnys_default_and_bounds(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        let alias = &ours.customer_alias;
        let token = bunny_token(&app, &app.a.key, alias, None).await;
        assert_eq!(lifetime(&token), 24 * 3600, "the default is 24 hours");
        let token = bunny_token(&app, &app.a.key, &ours.customer, Some(1)).await;
        assert_eq!(lifetime(&token), 3600, "a cus_ id works as tenantCode too");
        let token = bunny_token(&app, &app.a.key, alias, Some(720)).await;
        assert_eq!(lifetime(&token), 720 * 3600);
        for bad in [0, 721, -1, i64::from(i32::MAX)] {
            let payload = bunny(&app, &app.a.key, alias, Some(bad)).await;
            assert_eq!(
                payload,
                json!({"errors": ["expiry must be between 1 and 720 hours"], "token": null}),
                "expiry {bad}"
            );
        }
        // Past 32 bits it is not an Int at all, as the schema says.
        for wide in [i64::from(i32::MAX) + 1, 1_000_000_000_000] {
            let r = gql(&app, &app.a.key, BUNNY_MUTATION, json!({"tenantCode": alias, "expiry": wide})).await;
            let (message, _) = gql_error(&r);
            assert!(message.contains("Int"), "expiry {wide}: {message}");
            assert_eq!(r.json["data"], Value::Null, "expiry {wide}: {}", r.text);
        }
    }

    async fn tenant_problems_come_back_in_errors(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        let theirs = app.seed(&app.b.key, "bee").await;
        let not_found = json!({"errors": ["Tenant not found"], "token": null});
        for code in ["no-such-tenant", "", &theirs.customer_alias, &theirs.customer] {
            assert_eq!(bunny(&app, &app.a.key, code, Some(1)).await, not_found, "{code:?}");
        }
        // B's own key finds B's customer: the refusal above was tenancy, not a broken lookup.
        bunny_token(&app, &app.b.key, &theirs.customer_alias, Some(1)).await;

        app.patch(
            &app.a.key,
            &format!("/api/v1/customers/{}", ours.customer),
            json!({"portal_enabled": false}),
        )
        .await
        .expect(200);
        let payload = bunny(&app, &app.a.key, &ours.customer_alias, None).await;
        assert_eq!(payload["token"], Value::Null);
        let errors = payload["errors"].as_array().unwrap();
        assert!(errors[0].as_str().unwrap().contains("portal access is disabled"), "{payload}");
    }

    async fn each_field_needs_its_scope(app: TestApp) {
        let ours = app.seed(&app.a.key, "ay").await;
        let reader = key_with(&app, &[ApiScope::CustomersRead, ApiScope::BillingRead]).await;
        let r = gql(&app, &reader, BUNNY_MUTATION, json!({"tenantCode": ours.customer_alias, "expiry": 1}))
            .await;
        let (message, code) = gql_error(&r);
        assert!(message.contains("security:write"), "{message}");
        assert_eq!(code, "FORBIDDEN");
        assert_eq!(r.json["data"]["portalSessionCreate"], Value::Null, "{}", r.text);

        let customers_only = key_with(&app, &[ApiScope::CustomersRead]).await;
        let r = gql(&app, &customers_only, "{ customers { nodes { id name } } }", json!({})).await;
        r.expect(200);
        assert!(r.json.get("errors").is_none(), "{}", r.text);
        assert_eq!(r.json["data"]["customers"]["nodes"][0]["id"], ours.customer.as_str());
        let r = gql(&app, &customers_only, "{ customers { nodes { id invoices { id } } } }", json!({}))
            .await;
        let (message, _) = gql_error(&r);
        assert!(message.contains("billing:read"), "{message}");

        let billing_only = key_with(&app, &[ApiScope::BillingRead]).await;
        let r = gql(&app, &billing_only, "{ customers { hasMore } }", json!({})).await;
        let (message, _) = gql_error(&r);
        assert!(message.contains("customers:read"), "{message}");
        assert_eq!(r.json["data"]["customers"], Value::Null);

        let issuer = key_with(&app, &[ApiScope::SecurityWrite]).await;
        bunny_token(&app, &issuer, &ours.customer_alias, None).await;
    }

    async fn reads_show_the_callers_account_only(app: TestApp) {
        let theirs = app.seed(&app.b.key, "bee").await;
        let ours = app.seed(&app.a.key, "ay").await;
        let k = &app.a.key;

        // Another account's customer, by id or by code, is null: the same as no customer at all.
        for variables in [
            json!({"id": theirs.customer}),
            json!({"code": theirs.customer_alias}),
            json!({"id": "cus_doesnotexist"}),
            json!({"id": theirs.invoice}),
            json!({"code": "nobody"}),
        ] {
            let r = gql(&app, k, CUSTOMER_QUERY, variables.clone()).await;
            r.expect(200);
            assert_eq!(r.json, json!({"data": {"customer": null}}), "{variables}");
        }

        let r = gql(&app, k, CUSTOMER_QUERY, json!({"code": ours.customer_alias})).await;
        r.expect(200);
        assert!(r.json.get("errors").is_none(), "{}", r.text);
        let c = &r.json["data"]["customer"];
        assert_eq!(c["id"], ours.customer.as_str());
        assert_eq!(c["code"], "ay-cust");
        assert_eq!(c["name"], "ay GmbH");
        assert_eq!(c["email"], "billing@ay.example");
        assert_eq!(c["currency"], "EUR");
        assert_eq!(c["portalEnabled"], true);
        let sub = &c["subscriptions"][0];
        assert_eq!(sub["id"], ours.subscription.as_str());
        assert_eq!(sub["quantity"], 2);
        assert_eq!(sub["cancelAtPeriodEnd"], false);
        assert!(sub["currentPeriodEnd"].as_str().unwrap().ends_with('Z'), "{sub}");
        assert_eq!(
            sub["plan"],
            json!({"id": ours.plan, "name": "Pro monthly", "interval": "month", "unitAmount": 2900, "currency": "EUR"})
        );
        let invoice = &c["invoices"][0];
        assert_eq!(invoice["id"], ours.invoice.as_str());
        assert_eq!(invoice["total"], 6902, "2 × 29.00 + 19 % tax");
        assert_eq!(invoice["currency"], "EUR");
        assert_eq!(
            c["paymentMethods"],
            json!([{"id": ours.payment_method, "kind": "card", "brand": "visa", "last4": "4242",
                    "expMonth": 12, "expYear": 2030, "isDefault": true}])
        );
        let by_id = gql(&app, k, CUSTOMER_QUERY, json!({"id": ours.customer})).await;
        assert_eq!(by_id.json, r.json, "by id and by code alike");

        // The list holds A's customers only, page by page.
        app.post(k, "/api/v1/customers", json!({"alias": "ay-2", "name": "Second", "currency": "EUR"}))
            .await
            .expect(201);
        let page = "query ($after: String) { customers(first: 1, after: $after) { nodes { id code } hasMore endCursor } }";
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let r = gql(&app, k, page, json!({"after": after})).await;
            r.expect(200);
            let conn = &r.json["data"]["customers"];
            for node in conn["nodes"].as_array().unwrap() {
                seen.push(node["code"].as_str().unwrap().to_owned());
            }
            if conn["hasMore"] != true {
                break;
            }
            after = conn["endCursor"].clone();
        }
        assert_eq!(seen, ["ay-2", "ay-cust"], "newest first, and none of B's");
        let r = gql(&app, k, "{ customers(first: 100) { nodes { id } } }", json!({})).await;
        assert!(!r.text.contains(&theirs.customer), "{}", r.text);
        let (message, _) = gql_error(&gql(&app, k, "{ customers(first: 0) { hasMore } }", json!({})).await);
        assert!(message.contains("first must be between 1 and 100"), "{message}");
        let (message, _) = gql_error(&gql(&app, k, "{ customers(after: \"x\") { hasMore } }", json!({})).await);
        assert!(message.contains("after"), "{message}");
    }

    async fn bombs_never_reach_a_server_error(app: TestApp) {
        let k = &app.a.key;
        let limited = |r: &Resp, needle: &str| {
            assert!(r.status < 500, "{}: {}", r.status, r.text);
            assert!(r.text.contains(needle), "{needle}: {}", r.text);
        };
        // Depth: the introspection types nest without end.
        let deep = format!(
            "{{ __schema {{ types {{ fields {{ type {{ {}name{} }} }} }} }} }}",
            "ofType { ".repeat(20),
            " }".repeat(20)
        );
        limited(&gql(&app, k, &deep, json!({})).await, "nested too deep");
        // Complexity: 100 customers × 100 invoices, and aliases of one expensive field.
        let wide = "{ customers(first: 100) { nodes { invoices(first: 100) { id total } } } }";
        limited(&gql(&app, k, wide, json!({})).await, "too complex");
        let aliases: String = (0..50).map(|i| format!("a{i}: customers(first: 100) {{ hasMore }} ")).collect();
        limited(&gql(&app, k, &format!("{{ {aliases} }}"), json!({})).await, "too complex");
        let aliases: String = (0..200).map(|i| format!("a{i}: customers(first: 100) {{ hasMore }} ")).collect();
        limited(&gql(&app, k, &format!("{{ {aliases} }}"), json!({})).await, "at most 100 aliases");
        // Parser recursion: deep nesting just under the size limit.
        let nested = format!("{}{}", "{a".repeat(20_000), "}".repeat(20_000));
        let r = gql(&app, k, &nested, json!({})).await;
        assert!(r.status < 500, "{}: {}", r.status, r.text);
        assert!(r.json["errors"].is_array() || r.status >= 400, "{}", r.text);
        // Size: over 64 KiB of query text is refused before parsing.
        let huge = format!("{{ customers {{ hasMore }} }} #{}", "x".repeat(64 * 1024));
        gql(&app, k, &huge, json!({})).await.expect_error(400, "BAD_REQUEST", "query");

        // Introspection as GraphiQL and code generators send it still passes.
        let introspection = "{ __schema { queryType { name } mutationType { name } types { kind name
            fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } } } } }
            fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name
            ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }";
        let r = gql(&app, k, introspection, json!({})).await;
        r.expect(200);
        assert!(r.json.get("errors").is_none(), "{}", r.text);
        assert_eq!(r.json["data"]["__schema"]["mutationType"]["name"], "MutationRoot");
        // And the server is still up.
        bunny_token(&app, k, &app.seed(k, "ay").await.customer_alias, None).await;
    }

    async fn sec29_one_portal_session_create_per_request(app: TestApp) {
        let k = &app.a.key;
        let p = app.seed(k, "alias").await;
        let one = format!("portalSessionCreate(tenantCode: \"{}\") {{ token }}", p.customer_alias);
        let list = format!("/api/v1/portal-sessions?customer={}", p.customer);
        let sessions = || app.get(k, &list);
        let before = sessions().await.list_ids().len();
        for query in [
            format!("mutation {{ a: {one} b: {one} }}"),
            format!("mutation {{ ...S ...S }} fragment S on MutationRoot {{ {one} }}"),
            format!("mutation {{ {one} ... on MutationRoot {{ again: {one} }} }}"),
        ] {
            let (message, code) = gql_error(&gql(&app, k, &query, json!({})).await);
            assert!(message.contains("at most 1 time"), "{query}: {message}");
            assert_eq!(code, "BAD_REQUEST");
        }
        assert_eq!(sessions().await.list_ids().len(), before, "no session was issued");
        // One is still fine.
        let r = gql(&app, k, &format!("mutation {{ {one} }}"), json!({})).await;
        r.expect(200);
        assert!(r.json["data"]["portalSessionCreate"]["token"].is_string(), "{}", r.text);
        assert_eq!(sessions().await.list_ids().len(), before + 1);
    }

    async fn transport_errors_are_the_apis(app: TestApp) {
        let query = json!({"query": "{ customers { hasMore } }"});
        let r = app.send(app.client.post(app.url("/graphql")).json(&query)).await;
        r.expect_error(401, "UNAUTHORIZED", "");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let r = app.post("portico_sk_nope_nope", "/graphql", query.clone()).await;
        r.expect_error(401, "UNAUTHORIZED", "");
        let r = app.post(&app.b.key.replace("portico_sk_", "portico_sk_x"), "/graphql", query).await;
        r.expect_error(401, "UNAUTHORIZED", "");

        let k = &app.a.key;
        app.post(k, "/graphql", json!({"variables": {}})).await.expect_error(400, "BAD_REQUEST", "query");
        app.post(k, "/graphql", json!({"query": "{ customers { hasMore } }", "variables": "x"}))
            .await
            .expect_error(400, "BAD_REQUEST", "variables");
        let r = app.send(app.request(Method::POST, "/graphql", k).body("{ customers { hasMore } }")).await;
        r.expect_error(400, "BAD_REQUEST", "Content-Type");

        // Query errors are GraphQL answers: 200 with `errors`.
        let r = gql(&app, k, "{ nosuchfield }", json!({})).await;
        r.expect(200);
        assert!(r.json["errors"][0]["message"].as_str().unwrap().contains("nosuchfield"), "{}", r.text);
        let r = gql(&app, k, "mutation { portalSessionCreate { token } }", json!({})).await;
        r.expect(200);
        assert!(r.text.contains("tenantCode"), "{}", r.text);
        let r = app
            .post(k, "/graphql", json!({"query": "query A { customers { hasMore } } query B { __typename }", "operationName": "B"}))
            .await;
        assert_eq!(r.expect(200).json, json!({"data": {"__typename": "QueryRoot"}}));
    }

    async fn graphql_shares_the_api_rate_limit_of_its_credential(on: On) {
        let quota = Quota { per_second: 1, burst: 3 };
        let app = TestApp::start_with(on.0, Options { api_quota: Some(quota), ..Options::default() }).await;
        let k = &app.a.key;
        app.get(k, "/api/v1/customers").await.expect(200);
        app.get(k, "/api/v1/customers").await.expect(200);
        gql(&app, k, "{ customers { hasMore } }", json!({})).await.expect(200);
        let r = gql(&app, k, "{ customers { hasMore } }", json!({})).await;
        r.expect_error(429, "TOO_MANY_REQUESTS", "");
        assert!(r.header("retry-after").is_some(), "{:?}", r.headers);
        gql(&app, &app.b.key, "{ customers { hasMore } }", json!({})).await.expect(200);
    }

    async fn explorer_page_is_self_contained(app: TestApp) {
        let r = app.send(app.client.get(app.url("/graphql"))).await;
        r.expect(200);
        assert!(r.header("content-type").unwrap().starts_with("text/html"));
        assert!(r.text.contains("portalSessionCreate"), "shows the schema and the example");
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(csp.contains("script-src 'nonce-"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!r.text.contains("src=\"http"), "nothing loaded from elsewhere");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        let again = app.send(app.client.get(app.url("/graphql"))).await;
        assert_ne!(again.header("content-security-policy"), Some(csp), "a fresh nonce each time");
    }
}
