//! SECURITY.md lines 29 and 30, cost and time: the worst-case shapes of each parser are refused
//! quickly while `/healthz` keeps answering, and slow or idle clients are cut off.

use std::time::Duration;

use portico_core::scope::{ApiScope, ApiScopes};
use portico_http::Clock;
use serde_json::json;

use crate::support::{Resp, TestApp, new_key};

/// Far longer than any of these answers takes when the work is linear, far shorter than the
/// minutes the super-linear shapes took before they were refused.
const PROMPTLY: Duration = Duration::from_secs(20);

/// Runs `attacks` and, meanwhile, `GET /healthz`; all must finish within [`PROMPTLY`].
async fn while_healthz_answers<F: std::future::Future<Output = Vec<Resp>>>(
    app: &TestApp,
    attacks: F,
) -> Vec<Resp> {
    let health = async {
        tokio::task::yield_now().await;
        app.send(app.client.get(app.url("/healthz"))).await
    };
    let (answers, health) = tokio::time::timeout(PROMPTLY, async { tokio::join!(attacks, health) })
        .await
        .expect("the attack and /healthz answer promptly");
    health.expect(200);
    answers
}

/// `name0=1&name1=1&…`, as many unique parameters as fit in `size` bytes.
fn unique_form_parameters(size: usize) -> String {
    let mut body = String::with_capacity(size);
    for i in 0.. {
        let pair = format!("p{i}=1&");
        if body.len() + pair.len() > size {
            break;
        }
        body.push_str(&pair);
    }
    body
}

/// `{"p0": "1", "p1": "1", …}` in at most `size` bytes.
fn unique_json_members(size: usize) -> String {
    let mut body = String::with_capacity(size);
    body.push('{');
    for i in 0.. {
        let member = format!("\"p{i}\":\"1\",");
        if body.len() + member.len() + 16 > size {
            break;
        }
        body.push_str(&member);
    }
    body.push_str("\"last\":\"1\"}");
    body
}

/// Fragments `F0 … F{n-1}` on the query root, each spreading the one before it twice: about
/// 1 KiB of text whose expansion selects 2^n fields.
fn doubled_fragments(n: usize) -> String {
    let mut q = format!(
        "query {{ ...F{} }}\nfragment F0 on QueryRoot {{ __typename }}\n",
        n - 1
    );
    for i in 1..n {
        q.push_str(&format!(
            "fragment F{i} on QueryRoot {{ ...F{p} ...F{p} }}\n",
            p = i - 1
        ));
    }
    q
}

portico_testkit::backend_tests! {
    async fn sec29_doubled_graphql_fragments_are_refused_promptly(app: TestApp) {
        // The least credential that reaches the schema.
        let scopes = ApiScopes::empty().with(ApiScope::CustomersRead);
        let (key, _) = new_key(app.store.as_ref(), &app.a.account, scopes, None, app.clock.now()).await;
        // Forty as the issue measured them; thirty stays within the schema's own recursion
        // limit, which would otherwise refuse the chain before expanding it.
        let ask = |n: usize| {
            let query = doubled_fragments(n);
            app.send(app.request(reqwest::Method::POST, "/graphql", &key).json(&json!({"query": query})))
        };
        let answers = while_healthz_answers(&app, async {
            let (a, b) = tokio::join!(ask(40), ask(30));
            vec![a, b]
        })
        .await;
        for r in answers {
            r.expect(200);
            let message = r.json["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.contains("once its fragments are expanded"), "{}", r.text);
            assert_eq!(r.json["errors"][0]["extensions"]["code"], "BAD_REQUEST", "{}", r.text);
        }
    }

    async fn sec29_a_mebibyte_of_unique_token_parameters_is_refused_promptly(app: TestApp) {
        let size = portico_http::BODY_LIMIT - 64;
        let form = app.client.post(app.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(unique_form_parameters(size));
        let json = app.client.post(app.url("/oauth/token"))
            .header("content-type", "application/json")
            .body(unique_json_members(size));
        let answers = while_healthz_answers(&app, async {
            let (a, b) = tokio::join!(app.send(form), app.send(json));
            vec![a, b]
        })
        .await;
        for r in answers {
            r.expect(400);
            assert_eq!(r.json["error"], "invalid_request", "{}", r.text);
            let description = r.json["error_description"].as_str().unwrap_or_default();
            assert!(description.contains("at most"), "{description}");
        }
    }
}
