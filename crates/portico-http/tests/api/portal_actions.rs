//! Portal actions through the one action gate, with billing details as the first action: the
//! form and its Post/Redirect/Get, and every refusal (read-only token, viewer, role changed
//! after issuance, feature switched off, missing or foreign CSRF token, invalid input), each
//! leaving the customer as it was.

use serde_json::{Value, json};

use crate::portal_security::PAGES;
use crate::support::{Cookie, Person, Portal, TestApp};

/// A full form of billing details, with the page's CSRF token.
fn details(csrf: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf", csrf.to_owned()),
        ("name", "Renamed GmbH".to_owned()),
        ("email", "ap@renamed.example".to_owned()),
        ("line1", "Hauptstraße 5".to_owned()),
        ("line2", String::new()),
        ("postal_code", "10115".to_owned()),
        ("city", "Berlin".to_owned()),
        ("state", String::new()),
        ("country", "de".to_owned()),
        ("tax_id", "DE123456789".to_owned()),
        (
            "invoice_recipients",
            "ap2@renamed.example\n\n cfo@renamed.example ".to_owned(),
        ),
    ]
}

/// Sets one field of a billing-details form.
fn set(form: &mut [(&'static str, String)], name: &str, value: &str) {
    let field = form
        .iter_mut()
        .find(|(k, _)| *k == name)
        .expect("a field of the form");
    field.1 = value.to_owned();
}

async fn post_details(
    app: &TestApp,
    cookie: &Cookie,
    form: &[(&str, String)],
) -> crate::support::Resp {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.submit("/portal/account", Some(cookie), &form).await
}

/// The customer as the vendor API shows it.
async fn customer(app: &TestApp, p: &Person) -> Value {
    app.get(&app.a.key, &format!("/api/v1/customers/{}", p.customer))
        .await
        .json
}

/// Enters the portal with a session for `body` and returns the cookie and the account page's
/// CSRF token.
async fn enter_with(app: &TestApp, body: Value) -> (Cookie, String) {
    let r = app.portal_session(&app.a.key, body).await;
    let cookie = app.enter(r.json["token"].as_str().unwrap()).await;
    let page = app.browse("/portal/account", Some(&cookie)).await;
    page.expect(200);
    let csrf = page.csrf();
    (cookie, csrf)
}

/// Asserts that a refused change left the customer as it was.
async fn unchanged(app: &TestApp, p: &Person, before: &Value) {
    assert_eq!(&customer(app, p).await, before, "the customer changed");
}

portico_testkit::backend_tests! {
    async fn billing_details_are_changed_in_the_portal(app: Portal) {
        let p = app.person(&app.a.key, "bd", "billing").await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": p.customer, "contact": p.contact})).await;
        let page = app.browse("/portal/account", Some(&cookie)).await;
        assert!(page.text.contains("action=\"/portal/account\""), "{}", page.text);
        assert!(page.text.contains("value=\"bd GmbH\""), "the form holds today's name: {}", page.text);
        // The country is chosen by its name; no country yet, so the region is free text.
        assert!(page.text.contains("<option value=\"DE\">Germany</option>"), "{}", page.text);
        assert!(page.text.contains("<option value=\"\" selected>Choose a country</option>"), "{}", page.text);
        assert!(page.text.contains("name=\"state\" type=\"text\""), "{}", page.text);

        let r = post_details(&app, &cookie, &details(&csrf)).await;
        r.expect(303);
        assert_eq!(r.header("location"), Some("/portal/account?done=saved"));
        let after = app.browse("/portal/account?done=saved", Some(&cookie)).await;
        after.expect(200);
        assert!(after.text.contains("Your changes have been saved."), "{}", after.text);
        assert!(after.text.contains("value=\"Renamed GmbH\""), "{}", after.text);
        assert!(after.text.contains("<option value=\"DE\" selected>Germany</option>"), "{}", after.text);
        assert!(after.text.contains("ap2@renamed.example\ncfo@renamed.example</textarea>"), "{}", after.text);
        // A `done` the server did not set says nothing.
        let other = app.browse("/portal/account?done=%3Cscript%3E", Some(&cookie)).await;
        assert!(!other.text.contains("class=\"flash"), "{}", other.text);

        let c = customer(&app, &p).await;
        assert_eq!(c["name"], "Renamed GmbH");
        assert_eq!(c["email"], "ap@renamed.example");
        assert_eq!(c["tax_id"], "DE123456789");
        assert_eq!(c["invoice_recipients"], json!(["ap2@renamed.example", "cfo@renamed.example"]));
        assert_eq!(
            c["address"],
            json!({"line1": "Hauptstraße 5", "line2": null, "city": "Berlin", "state": null,
                   "postal_code": "10115", "country": "DE"})
        );
    }

    async fn an_invalid_value_shows_the_form_again_and_changes_nothing(app: Portal) {
        let p = app.person(&app.a.key, "iv", "owner").await;
        let before = customer(&app, &p).await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": p.customer})).await;
        let mut form = details(&csrf);
        set(&mut form, "email", "not-an-address");
        let r = post_details(&app, &cookie, &form).await;
        r.expect(400);
        assert!(r.text.contains("Please correct the highlighted fields."), "{}", r.text);
        assert!(r.text.contains("Enter a valid email address."), "{}", r.text);
        assert!(r.text.contains("name=\"email\" type=\"email\" maxlength=\"254\" autocomplete=\"email\" value=\"not-an-address\" aria-invalid=\"true\""), "{}", r.text);
        assert!(r.text.contains("value=\"Renamed GmbH\""), "the customer's input is kept: {}", r.text);
        unchanged(&app, &p, &before).await;

        // Tax IDs are checked against the country's format, offline, in the customer's language.
        let mut form = details(&csrf);
        set(&mut form, "tax_id", "DE 12345678");
        let r = post_details(&app, &cookie, &form).await;
        r.expect(400);
        assert!(r.text.contains("This tax ID does not have the format of the country above, for example DE123456789."), "{}", r.text);
        assert!(r.text.contains("value=\"DE 12345678\" aria-invalid=\"true\""), "{}", r.text);
        unchanged(&app, &p, &before).await;
        let mut form = details(&csrf);
        set(&mut form, "country", "fr");
        set(&mut form, "tax_id", "FR123");
        let r = app
            .send(
                app.client
                    .post(app.local("/portal/account"))
                    .header("cookie", cookie.header())
                    .header("accept-language", "fr")
                    .form(&form.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>()),
            )
            .await;
        r.expect(400);
        assert!(r.text.contains("par exemple FR12345678901"), "{}", r.text);
        unchanged(&app, &p, &before).await;
        // A valid one is saved as the country writes it.
        let mut form = details(&csrf);
        set(&mut form, "tax_id", "de 123.456.789");
        post_details(&app, &cookie, &form).await.expect(303);
        assert_eq!(customer(&app, &p).await["tax_id"], "DE123456789");
        let before = customer(&app, &p).await;

        let mut form = details(&csrf);
        set(&mut form, "country", "Deutschland");
        let r = post_details(&app, &cookie, &form).await;
        r.expect(400);
        assert!(r.text.contains("Choose a country from the list."), "{}", r.text);
        unchanged(&app, &p, &before).await;

        let mut form = details(&csrf);
        set(&mut form, "invoice_recipients", "a@renamed.example\nnot-an-address");
        let r = post_details(&app, &cookie, &form).await;
        r.expect(400);
        assert!(r.text.contains("Enter up to 5 different valid email addresses, one per line."), "{}", r.text);
        let six = (1..=6).map(|i| format!("ap{i}@renamed.example")).collect::<Vec<_>>().join("\n");
        set(&mut form, "invoice_recipients", &six);
        post_details(&app, &cookie, &form).await.expect(400);
        unchanged(&app, &p, &before).await;
    }

    /// Without the script, changing the country to one whose post needs a region shows the
    /// form again with that country's regions and says what is missing; a region that is not
    /// the country's is refused the same way; one of its regions is saved as its code.
    async fn a_region_is_required_where_the_country_has_a_list_and_checked_against_it(app: Portal) {
        let p = app.person(&app.a.key, "rg", "owner").await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": p.customer})).await;
        post_details(&app, &cookie, &details(&csrf)).await.expect(303);
        let before = customer(&app, &p).await;

        let mut form = details(&csrf);
        set(&mut form, "country", "US");
        set(&mut form, "tax_id", "12-3456789");
        let r = post_details(&app, &cookie, &form).await;
        r.expect(400);
        assert!(
            r.text.contains("Choose the state, province or territory of this address from the list."),
            "{}",
            r.text
        );
        // The US list is shown and sent, the other countries' lists and the free text are not.
        assert!(r.text.contains("<div class=\"field\" data-region-for=\"US\"><label for=\"f-state-US\">"), "{}", r.text);
        assert!(r.text.contains("<select id=\"f-state-US\" name=\"state\" autocomplete=\"address-level1\" required aria-invalid=\"true\""), "{}", r.text);
        assert!(r.text.contains("<div class=\"field\" data-region-for=\"CA\" hidden>"), "{}", r.text);
        assert!(r.text.contains("data-region-for=\"\" hidden>"), "{}", r.text);
        assert!(r.text.contains("<option value=\"IL\">Illinois</option>"), "{}", r.text);
        unchanged(&app, &p, &before).await;

        set(&mut form, "state", "ON");
        post_details(&app, &cookie, &form).await.expect(400);
        unchanged(&app, &p, &before).await;

        set(&mut form, "state", "IL");
        set(&mut form, "city", "Springfield");
        set(&mut form, "postal_code", "62701");
        post_details(&app, &cookie, &form).await.expect(303);
        let c = customer(&app, &p).await;
        assert_eq!((&c["address"]["country"], &c["address"]["state"]), (&json!("US"), &json!("IL")));
        assert_eq!(c["tax_id"], "12-3456789");
        let page = app.browse("/portal/account", Some(&cookie)).await;
        assert!(page.text.contains("<option value=\"IL\" selected>Illinois</option>"), "{}", page.text);
    }

    async fn a_read_only_token_shows_no_action_form_and_its_post_is_refused(app: Portal) {
        let p = app.person(&app.a.key, "ro", "owner").await;
        let before = customer(&app, &p).await;
        let r = app
            .post(&app.a.key, &format!("/api/v1/customers/{}/portal-token", p.alias), json!({"scopes": ["read"]}))
            .await;
        r.expect(200);
        let cookie = app.enter(r.json["token"].as_str().unwrap()).await;
        let mut csrf = None;
        for path in PAGES {
            let page = app.browse(path, Some(&cookie)).await;
            page.expect(200);
            let forms = page.text.matches("<form").count();
            let logout = page.text.matches("action=\"/portal/logout\"").count();
            assert_eq!(forms, logout, "{path} has an action form: {}", page.text);
            csrf = Some(page.csrf());
        }
        let account = app.browse("/portal/account", Some(&cookie)).await;
        assert!(account.text.contains("to change these details"), "{}", account.text);
        let r = post_details(&app, &cookie, &details(&csrf.unwrap())).await;
        r.expect(403);
        assert!(r.text.contains("You do not have permission to do this."), "{}", r.text);
        unchanged(&app, &p, &before).await;
    }

    async fn sec23_a_viewer_posting_a_change_gets_403_and_nothing_changes(app: Portal) {
        let p = app.person(&app.a.key, "vw", "viewer").await;
        let before = customer(&app, &p).await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": p.customer, "contact": p.contact})).await;
        let page = app.browse("/portal/account", Some(&cookie)).await;
        assert!(!page.text.contains("action=\"/portal/account\""), "a viewer sees a form: {}", page.text);
        post_details(&app, &cookie, &details(&csrf)).await.expect(403);
        unchanged(&app, &p, &before).await;

        // An owner demoted to viewer after the session was issued is refused on the next POST.
        let q = app.person(&app.a.key, "dm", "owner").await;
        let before = customer(&app, &q).await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": q.customer, "contact": q.contact})).await;
        app.patch(&app.a.key, &format!("/api/v1/contacts/{}", q.contact), json!({"role": "viewer"}))
            .await
            .expect(200);
        post_details(&app, &cookie, &details(&csrf)).await.expect(403);
        unchanged(&app, &q, &before).await;
    }

    async fn an_action_needs_this_sessions_csrf_token_and_the_feature_switched_on(app: Portal) {
        let p = app.person(&app.a.key, "cs", "owner").await;
        let before = customer(&app, &p).await;
        let (cookie, csrf) = enter_with(&app, json!({"customer": p.customer})).await;
        let (_, other_csrf) = enter_with(&app, json!({"customer": p.customer})).await;
        let mut form = details(&csrf);
        form.remove(0);
        post_details(&app, &cookie, &form).await.expect(403);
        post_details(&app, &cookie, &details(&other_csrf)).await.expect(403);
        // No session at all: the friendly page, 401.
        app.submit("/portal/account", None, &[("csrf", csrf.as_str()), ("name", "X")])
            .await
            .expect(401);
        unchanged(&app, &p, &before).await;

        app.patch(&app.a.key, "/api/v1/portal-settings", json!({"features": {"account": false}}))
            .await
            .expect(200);
        post_details(&app, &cookie, &details(&csrf)).await.expect(403);
        app.browse("/portal/account", Some(&cookie)).await.expect(404);
        unchanged(&app, &p, &before).await;
    }
}
