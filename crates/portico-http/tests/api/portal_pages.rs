//! The portal's pages as data: lists that page by keyset (page 200 costs what page 1 does),
//! cursors that do not parse, drafts that never show, values that are escaped on every page, the
//! plans of a customer's subscriptions read at once, overdue invoices, prices of several units,
//! and an unknown page inside a session.

use portico_core::model::{Invoice, InvoiceStatus, Metadata, NewInvoice, NewInvoiceLine};
use portico_core::{AccountId, Timestamp};
use portico_http::Clock;
use serde_json::json;

use crate::support::{Cookie, Portal, Resp, logs};

/// Opens the portal for `customer` with every page on.
async fn enter(app: &Portal, customer: &str) -> Cookie {
    let (_, token) = app.issue(&app.a.key, customer).await;
    app.enter(&token).await
}

async fn customer(app: &Portal, name: &str) -> String {
    app.post(
        &app.a.key,
        "/api/v1/customers",
        json!({"name": name, "email": "ap@x.example", "currency": "EUR"}),
    )
    .await
    .expect(201)
    .id()
}

/// Makes `n` invoices of `customer` straight in the store (quicker than over HTTP) and returns
/// their ids and numbers, newest first.
async fn invoices(
    app: &Portal,
    account: &AccountId,
    customer: &str,
    n: usize,
    status: InvoiceStatus,
) -> Vec<(String, String)> {
    let mut made = Vec::with_capacity(n);
    for _ in 0..n {
        let inv = invoice(app, account, customer, status, None).await;
        made.push((inv.id.to_string(), inv.number));
    }
    made.reverse();
    made
}

/// One invoice of a seat at €12.34, due at `due_at`, made straight in the store.
async fn invoice(
    app: &Portal,
    account: &AccountId,
    customer: &str,
    status: InvoiceStatus,
    due_at: Option<Timestamp>,
) -> Invoice {
    let input = NewInvoice {
        customer: customer.to_owned(),
        subscription: None,
        currency: None,
        status: Some(status),
        lines: vec![NewInvoiceLine {
            description: "Seat".into(),
            quantity: 1,
            unit_amount: 1234,
            period_start: None,
            period_end: None,
        }],
        tax_rate_bps: 0,
        issued_at: None,
        due_at,
        paid_at: None,
        metadata: Metadata::new(),
    };
    let by = portico_app::Caller::operator(account.clone());
    portico_app::invoices::create(&app.state.app, &by, input, app.clock.now())
        .await
        .unwrap()
}

/// The invoice numbers a list page shows, in order.
fn numbers(page: &Resp) -> Vec<String> {
    page.text
        .split("<th scope=\"row\" class=\"\" data-label=\"Number\"><a href=\"/portal/invoices/")
        .skip(1)
        .map(|row| {
            let start = row.find("\">").unwrap() + 2;
            row[start..start + row[start..].find('<').unwrap()].to_owned()
        })
        .collect()
}

/// The text of a page's `<title>`.
fn title(page: &Resp) -> &str {
    let start = page.text.find("<title>").expect("a title") + "<title>".len();
    &page.text[start..start + page.text[start..].find("</title>").unwrap()]
}

/// The target of the link with `rel`, if the page has one.
fn link(page: &Resp, rel: &str) -> Option<String> {
    let end = page.text.find(&format!("\" rel=\"{rel}\""))?;
    let start = page.text[..end].rfind("href=\"")? + 6;
    Some(page.text[start..end].replace("&amp;", "&"))
}

/// Statements the server ran on `table` while `f` ran, from the captured log.
async fn statements_on<F: Future<Output = Resp>>(table: &str, f: F) -> (Resp, usize) {
    let before = logs::text().len();
    let r = f.await;
    let needle = format!("FROM {table}");
    let ran = logs::text()[before..]
        .lines()
        .filter(|l| l.contains("\"sqlx::query\"") && l.contains(&needle))
        .count();
    (r, ran)
}

portico_testkit::backend_tests! {
    async fn invoice_pages_go_by_keyset_so_page_200_costs_what_page_1_does(app: Portal) {
        logs::capture();
        let account = app.a.account.clone();
        let c = customer(&app, "Deep GmbH").await;
        let all = invoices(&app, &account, &c, 2003, InvoiceStatus::Open).await;
        let cookie = enter(&app, &c).await;

        let (first, ran_first) = statements_on("invoices", app.browse("/portal/invoices", Some(&cookie))).await;
        first.expect(200);
        assert_eq!(numbers(&first), all[..10].iter().map(|x| x.1.clone()).collect::<Vec<_>>());
        assert_eq!(link(&first, "prev"), None, "the first page has no Newer link");
        let mut older = link(&first, "next").expect("an Older link");
        assert_eq!(older, format!("/portal/invoices?after={}", all[9].0));

        // Following Older 199 times: each page is named by the last invoice of the one before.
        let mut page = first;
        for n in 2..=200 {
            page = app.browse(&older, Some(&cookie)).await;
            page.expect(200);
            if n < 200 {
                older = link(&page, "next").unwrap_or_else(|| panic!("page {n} has no Older link"));
            }
        }
        let expected: Vec<String> = all[1990..2000].iter().map(|x| x.1.clone()).collect();
        assert_eq!(numbers(&page), expected, "page 200");
        assert_eq!(link(&page, "prev"), Some(format!("/portal/invoices?before={}", all[1990].0)));
        assert_eq!(link(&page, "next"), Some(format!("/portal/invoices?after={}", all[1999].0)));

        // Newer goes back a page at a time; the last page has no Older link.
        let newer = app.browse(&link(&page, "prev").unwrap(), Some(&cookie)).await;
        assert_eq!(numbers(&newer), all[1980..1990].iter().map(|x| x.1.clone()).collect::<Vec<_>>());
        assert!(link(&newer, "prev").is_some() && link(&newer, "next").is_some());
        let last = app.browse(&format!("/portal/invoices?after={}", all[1999].0), Some(&cookie)).await;
        assert_eq!(numbers(&last), all[2000..].iter().map(|x| x.1.clone()).collect::<Vec<_>>());
        assert_eq!(link(&last, "next"), None);
        let back_to_start = app.browse(&format!("/portal/invoices?before={}", all[10].0), Some(&cookie)).await;
        assert_eq!(numbers(&back_to_start), all[..10].iter().map(|x| x.1.clone()).collect::<Vec<_>>());
        assert_eq!(link(&back_to_start, "prev"), None, "nothing is newer than the newest");

        // Page 200 asked for afresh (a new invoice empties the customer's cached lists, and a
        // keyset page stays what it was) reads the invoices with one statement, as page 1 did.
        invoices(&app, &account, &c, 1, InvoiceStatus::Open).await;
        let url = format!("/portal/invoices?after={}", all[1989].0);
        let (again, ran_200) = statements_on("invoices", app.browse(&url, Some(&cookie))).await;
        assert_eq!(numbers(&again), expected);
        assert_eq!((ran_first, ran_200), (1, 1), "statements on invoices for page 1 and page 200");
    }

    async fn transaction_pages_go_by_keyset_and_name_their_invoices(app: Portal) {
        let k = &app.a.key;
        let c = customer(&app, "Payer GmbH").await;
        let issued = invoices(&app, &app.a.account.clone(), &c, 1, InvoiceStatus::Open).await;
        let mut made = Vec::new();
        for i in 0..12 {
            let body = json!({"customer": c, "kind": "payment", "status": "succeeded", "amount": 100 + i, "invoice": issued[0].0});
            made.push(app.post(k, "/api/v1/transactions", body).await.expect(201).id());
        }
        made.reverse();
        let cookie = enter(&app, &c).await;
        let first = app.browse("/portal/transactions", Some(&cookie)).await;
        first.expect(200);
        let for_invoice = format!("For invoice {}", issued[0].1);
        assert_eq!(first.text.matches(&for_invoice).count(), 10, "{}", first.text);
        assert_eq!(link(&first, "prev"), None);
        assert_eq!(link(&first, "next"), Some(format!("/portal/transactions?after={}", made[9])));
        let second = app.browse(&link(&first, "next").unwrap(), Some(&cookie)).await;
        assert_eq!(second.text.matches(&for_invoice).count(), 2);
        assert!(second.text.contains("€1.01") && second.text.contains("€1.00"), "{}", second.text);
        assert_eq!(link(&second, "prev"), Some(format!("/portal/transactions?before={}", made[10])));
        assert_eq!(link(&second, "next"), None);
        let back = app.browse(&link(&second, "prev").unwrap(), Some(&cookie)).await;
        assert!(back.text.contains("€1.11") && back.text.contains("€1.02") && !back.text.contains("€1.01"), "{}", back.text);
    }

    async fn a_malformed_cursor_is_a_friendly_400(app: Portal) {
        let c = customer(&app, "Cursor GmbH").await;
        invoices(&app, &app.a.account.clone(), &c, 3, InvoiceStatus::Paid).await;
        let cookie = enter(&app, &c).await;
        for path in [
            "/portal/invoices?after=nonsense",
            "/portal/invoices?before=inv_",
            "/portal/invoices?after=%FF%FE",
            "/portal/invoices?after=txn_00000000000000000000000000",
            "/portal/invoices?after=inv_0&before=inv_0",
            "/portal/transactions?before=%3Cscript%3E",
            "/portal/transactions?after=inv_00000000000000000000000000",
        ] {
            let r = app.browse(path, Some(&cookie)).await;
            r.expect(400);
            assert!(r.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{path}");
            assert!(r.text.contains("This link is not valid"), "{path}: {}", r.text);
            assert!(!r.text.contains("<script>"), "{path}");
        }
        // A cursor of the right kind that names nothing is just an empty page, with a way back.
        let r = app.browse("/portal/invoices?after=inv_00000000000000000000000000", Some(&cookie)).await;
        r.expect(200);
        assert!(r.text.contains("No invoices"), "{}", r.text);
        assert_eq!(link(&r, "prev"), Some("/portal/invoices".to_owned()));
    }

    async fn drafts_never_show_on_a_page_or_in_the_read_api(app: Portal) {
        let account = app.a.account.clone();
        let c = customer(&app, "Drafty GmbH").await;
        let issued = invoices(&app, &account, &c, 12, InvoiceStatus::Open).await;
        // The newest invoices are drafts: a page filtered after loading would come up short.
        let drafts = invoices(&app, &account, &c, 5, InvoiceStatus::Draft).await;
        let draft = &drafts[0];
        app.post(
            &app.a.key,
            "/api/v1/transactions",
            json!({"customer": c, "kind": "payment", "status": "pending", "amount": 777, "invoice": draft.0}),
        )
        .await
        .expect(201);
        let cookie = enter(&app, &c).await;

        let list = app.browse("/portal/invoices", Some(&cookie)).await;
        assert_eq!(numbers(&list), issued[..10].iter().map(|x| x.1.clone()).collect::<Vec<_>>(), "ten issued invoices on page 1");
        let older = app.browse(&link(&list, "next").unwrap(), Some(&cookie)).await;
        assert_eq!(numbers(&older), issued[10..].iter().map(|x| x.1.clone()).collect::<Vec<_>>());
        for path in ["/portal", "/portal/invoices", "/portal/transactions", "/portal/subscriptions", "/portal/account", "/portal/payment-method"] {
            let r = app.browse(path, Some(&cookie)).await;
            r.expect(200);
            for (id, number) in &drafts {
                assert!(!r.text.contains(number.as_str()) && !r.text.contains(id.as_str()), "{path} shows draft {number}");
            }
        }
        let tx = app.browse("/portal/transactions", Some(&cookie)).await;
        assert!(tx.text.contains("€7.77"), "{}", tx.text);
        for suffix in ["", "/pdf"] {
            let r = app.browse(&format!("/portal/invoices/{}{suffix}", draft.0), Some(&cookie)).await;
            r.expect(404);
        }
        let summary = app.browse("/portal/api/v1/summary", Some(&cookie)).await;
        summary.expect(200);
        // Twelve open invoices of €12.34 are due; the drafts' amounts are not.
        assert_eq!(summary.json["open_balance"], json!([{"amount": 12 * 1234, "currency": "EUR"}]));
        for (id, number) in &drafts {
            assert!(!summary.text.contains(number.as_str()) && !summary.text.contains(id.as_str()));
        }
    }

    async fn values_are_escaped_on_every_page(app: Portal) {
        let evil = "<script>alert(1)</script>";
        let s = app.seed(&app.a.key, "esc").await;
        let k = &app.a.key;
        app.patch(k, &format!("/api/v1/customers/{}", s.customer), json!({
            "name": format!("{evil} GmbH"),
            "address": {"line1": evil, "city": "\"><img src=x onerror=alert(2)>", "country": "DE"},
        })).await.expect(200);
        app.patch(k, &format!("/api/v1/plans/{}", s.plan), json!({"name": format!("{evil} plan")})).await.expect(200);
        app.post(k, "/api/v1/transactions", json!({
            "customer": s.customer, "kind": "credit", "status": "succeeded", "amount": 100, "description": evil,
        })).await.expect(201);
        let (_, token) = app.issue(k, &s.customer).await;
        let cookie = app.enter(&token).await;
        let mut pages: Vec<String> = ["/portal", "/portal/subscriptions", "/portal/transactions", "/portal/invoices",
            "/portal/payment-method", "/portal/account"].map(str::to_owned).to_vec();
        pages.push(format!("/portal/invoices/{}", s.invoice));
        for path in &pages {
            let r = app.browse(path, Some(&cookie)).await;
            r.expect(200);
            assert!(!r.text.contains("<script>alert") && !r.text.contains("<img src=x"), "{path} is not escaped: {}", r.text);
            assert!(r.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; GmbH"), "{path} lacks the escaped name");
        }
        let sub = app.browse("/portal/subscriptions", Some(&cookie)).await;
        assert!(sub.text.contains("&lt;script&gt;alert(1)&lt;/script&gt; plan"), "{}", sub.text);
        let tx = app.browse("/portal/transactions", Some(&cookie)).await;
        assert!(tx.text.contains(">&lt;script&gt;alert(1)&lt;/script&gt;<"), "{}", tx.text);
        let account = app.browse("/portal/account", Some(&cookie)).await;
        assert!(account.text.contains("value=\"&quot;&gt;&lt;img src=x onerror=alert(2)&gt;\""), "{}", account.text);
    }

    async fn the_plans_of_all_subscriptions_are_read_at_once(app: Portal) {
        logs::capture();
        let k = &app.a.key;
        let c = customer(&app, "Many Plans GmbH").await;
        let product = app.post(k, "/api/v1/products", json!({"name": "Seats"})).await.expect(201).id();
        for i in 0..6 {
            let plan = app.post(k, "/api/v1/plans", json!({
                "product": product, "name": format!("Plan {i}"), "interval": "month", "unit_amount": 100 + i, "currency": "EUR",
            })).await.expect(201).id();
            app.post(k, "/api/v1/subscriptions", json!({"customer": c, "plan": plan, "quantity": 1})).await.expect(201);
        }
        let cookie = enter(&app, &c).await;
        let (page, ran) = statements_on("plans", app.browse("/portal/subscriptions", Some(&cookie))).await;
        page.expect(200);
        for i in 0..6 {
            assert!(page.text.contains(&format!("Plan {i}")), "{}", page.text);
        }
        assert_eq!(ran, 1, "statements on plans for six subscriptions");
    }

    async fn an_unknown_page_in_a_session_keeps_the_session_s_brand(app: Portal) {
        let c = customer(&app, "Lost GmbH").await;
        let cookie = enter(&app, &c).await;
        let overview = app.browse("/portal", Some(&cookie)).await;
        overview.expect(200);
        let brand = title(&overview).split_once(" · ").unwrap().1.to_owned();
        assert_ne!(brand, "Billing portal", "the account has a name of its own");
        let lost = app.browse("/portal/payment-methods", Some(&cookie)).await;
        lost.expect(404);
        assert_eq!(title(&lost), format!("Page not found · {brand}"), "{}", lost.text);
        // The session works: its navigation and a way to the overview, not a plea for a new link.
        assert!(lost.text.contains("<nav class=\"tabs\""), "{}", lost.text);
        assert!(!lost.text.contains("aria-current"), "no tab is this page: {}", lost.text);
        assert!(lost.text.contains("<a class=\"button\" href=\"/portal\">Go to the overview</a>"), "{}", lost.text);
        assert!(!lost.text.contains("new link"), "{}", lost.text);
        let stranger = app.browse("/portal/payment-methods", None).await;
        stranger.expect(404);
        assert_eq!(title(&stranger), "Page not found · Billing portal", "{}", stranger.text);
    }

    async fn an_open_invoice_past_its_due_date_is_overdue_on_every_page(app: Portal) {
        let c = customer(&app, "Late GmbH").await;
        let account = app.a.account.clone();
        let now = app.clock.now();
        let mut ids = Vec::new();
        for days in [1, 10] {
            let due = Some(now.plus_secs(days * 86_400));
            ids.push(invoice(&app, &account, &c, InvoiceStatus::Open, due).await.id.to_string());
        }
        let cookie = enter(&app, &c).await;
        let badges = |page: &Resp| -> Vec<String> {
            page.text.split("<span class=\"badge ").skip(1).map(|b| b[..b.find('<').unwrap()].to_owned()).collect()
        };
        let list = app.browse("/portal/invoices", Some(&cookie)).await;
        list.expect(200);
        assert_eq!(badges(&list), ["warn\">Open", "warn\">Open"], "neither is due yet");
        // Two days on, in a new session (the first has timed out by then).
        app.clock.advance_secs(2 * 86_400);
        let cookie = enter(&app, &c).await;
        let list = app.browse("/portal/invoices", Some(&cookie)).await;
        list.expect(200);
        let mut shown = badges(&list);
        shown.sort();
        assert_eq!(shown, ["bad\">Overdue", "warn\">Open"], "{}", list.text);
        let late = app.browse(&format!("/portal/invoices/{}", ids[0]), Some(&cookie)).await;
        late.expect(200);
        assert_eq!(badges(&late), ["bad\">Overdue"], "{}", late.text);
        let later = app.browse(&format!("/portal/invoices/{}", ids[1]), Some(&cookie)).await;
        later.expect(200);
        assert_eq!(badges(&later), ["warn\">Open"], "{}", later.text);
    }

    async fn a_price_for_several_units_says_what_one_costs(app: Portal) {
        let k = &app.a.key;
        let c = customer(&app, "Seats GmbH").await;
        let product = app.post(k, "/api/v1/products", json!({"name": "Seats"})).await.expect(201).id();
        let mut plans = Vec::new();
        for (name, cents) in [("Team", 4900), ("Solo", 1200)] {
            plans.push(app.post(k, "/api/v1/plans", json!({
                "product": product, "name": name, "interval": "month", "unit_amount": cents, "currency": "EUR",
            })).await.expect(201).id());
        }
        for (plan, quantity) in plans.iter().zip([5, 1]) {
            app.post(k, "/api/v1/subscriptions", json!({"customer": c, "plan": plan, "quantity": quantity})).await.expect(201);
        }
        let cookie = enter(&app, &c).await;
        let page = app.browse("/portal/subscriptions", Some(&cookie)).await;
        page.expect(200);
        assert!(page.text.contains("<dt>Price</dt><dd>€245.00 per month<br><span class=\"muted\">5\u{a0}×\u{a0}€49.00</span></dd>"), "{}", page.text);
        assert!(page.text.contains("<dt>Price</dt><dd>€12.00 per month</dd>"), "{}", page.text);
        assert_eq!(page.text.matches('×').count(), 1, "only the subscription of five units: {}", page.text);
        let german = app
            .send(app.client.get(app.local("/portal/subscriptions")).header("cookie", cookie.header()).header("accept-language", "de"))
            .await;
        german.expect(200);
        assert!(german.text.contains("<dt>Preis</dt><dd>245,00\u{a0}€ pro Monat<br><span class=\"muted\">5\u{a0}×\u{a0}49,00\u{a0}€</span></dd>"), "{}", german.text);
    }
}
