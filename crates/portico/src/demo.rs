//! The demo account `acme`: a realistic catalogue, customers in every subscription state, and more
//! than a year of invoices, payments and payment methods. It takes payments through the built-in
//! test provider, so the past-due customer can replace its expired card and pay.

use anyhow::Context;
use portico_app::{App, Caller};
use portico_core::model::*;
use portico_core::{Currency, PlanId, Timestamp};
use portico_store::StoreError;

pub const SUBDOMAIN: &str = "acme";

struct Prices {
    starter: PlanId,
    team: PlanId,
    business: PlanId,
    team_yearly: PlanId,
}

/// One demo customer and the story of its account.
struct Story {
    alias: &'static str,
    name: &'static str,
    email: &'static str,
    currency: &'static str,
    country: &'static str,
    city: &'static str,
    /// Street, postal code and region (where the country has one) of a real-looking address.
    street: &'static str,
    postal_code: &'static str,
    region: Option<&'static str>,
    tax_id: Option<&'static str>,
    /// Further addresses that receive the invoices.
    recipients: &'static [&'static str],
    tax_bps: i64,
    plan: fn(&Prices) -> PlanId,
    monthly_amount: i64,
    quantity: i64,
    months: i32,
    state: State,
    contacts: &'static [(&'static str, &'static str, Role, bool)],
    cards: &'static [(&'static str, &'static str, i32, i32)],
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Active,
    Trialing,
    PastDue,
    Canceled,
    CancelAtPeriodEnd,
    Yearly,
}

const STORIES: &[Story] = &[
    Story {
        alias: "superdesk-123",
        name: "Superdesk GmbH",
        email: "billing@superdesk.example",
        currency: "EUR",
        country: "DE",
        city: "Berlin",
        street: "Rosenthaler Straße 40",
        postal_code: "10178",
        region: None,
        tax_id: Some("DE123456789"),
        recipients: &["buchhaltung@superdesk.example"],
        tax_bps: 1900,
        plan: |p| p.team.clone(),
        monthly_amount: 4900,
        quantity: 5,
        months: 14,
        state: State::Active,
        contacts: &[
            ("anna@superdesk.example", "Anna Schmidt", Role::Owner, true),
            (
                "jonas@superdesk.example",
                "Jonas Weber",
                Role::Billing,
                true,
            ),
            ("lea@superdesk.example", "Lea Fischer", Role::Viewer, true),
        ],
        cards: &[("visa", "4242", 8, 2028), ("mastercard", "5454", 3, 2027)],
    },
    Story {
        alias: "northwind",
        name: "Northwind Traders",
        email: "ap@northwind.example",
        currency: "USD",
        country: "US",
        city: "Seattle",
        street: "1200 Westlake Ave N",
        postal_code: "98109",
        region: Some("WA"),
        tax_id: Some("91-1234567"),
        recipients: &[],
        tax_bps: 0,
        plan: |p| p.business.clone(),
        monthly_amount: 14900,
        quantity: 1,
        months: 0,
        state: State::Trialing,
        contacts: &[(
            "nancy@northwind.example",
            "Nancy Davolio",
            Role::Owner,
            true,
        )],
        cards: &[],
    },
    Story {
        alias: "globex",
        name: "Globex Corporation",
        email: "finance@globex.example",
        currency: "USD",
        country: "US",
        city: "Springfield",
        street: "100 Industrial Way",
        postal_code: "62701",
        region: Some("IL"),
        tax_id: None,
        recipients: &[],
        tax_bps: 825,
        plan: |p| p.starter.clone(),
        monthly_amount: 1900,
        quantity: 3,
        months: 13,
        state: State::PastDue,
        contacts: &[
            ("hank@globex.example", "Hank Scorpio", Role::Owner, true),
            ("frank@globex.example", "Frank Grimes", Role::Viewer, false),
        ],
        cards: &[("amex", "0005", 1, 2026)],
    },
    Story {
        alias: "initech",
        name: "Initech LLC",
        email: "bill.lumbergh@initech.example",
        currency: "USD",
        country: "US",
        city: "Austin",
        street: "4120 Freidrich Lane",
        postal_code: "78744",
        region: Some("TX"),
        tax_id: None,
        recipients: &[],
        tax_bps: 625,
        plan: |p| p.team.clone(),
        monthly_amount: 4900,
        quantity: 2,
        months: 12,
        state: State::Canceled,
        contacts: &[(
            "peter@initech.example",
            "Peter Gibbons",
            Role::Billing,
            true,
        )],
        cards: &[("discover", "1117", 11, 2027)],
    },
    Story {
        alias: "umbrella",
        name: "Umbrella Health SAS",
        email: "compta@umbrella.example",
        currency: "EUR",
        country: "FR",
        city: "Lyon",
        street: "20 Rue de la République",
        postal_code: "69002",
        region: None,
        tax_id: Some("FR32123456789"),
        recipients: &[],
        tax_bps: 2000,
        plan: |p| p.business.clone(),
        monthly_amount: 14900,
        quantity: 1,
        months: 15,
        state: State::CancelAtPeriodEnd,
        contacts: &[
            (
                "claire@umbrella.example",
                "Claire Dubois",
                Role::Owner,
                true,
            ),
            ("marc@umbrella.example", "Marc Laurent", Role::Billing, true),
        ],
        cards: &[],
    },
    Story {
        alias: "hooli",
        name: "Hooli Ltd",
        email: "payables@hooli.example",
        currency: "GBP",
        country: "GB",
        city: "London",
        street: "30 St Mary Axe",
        postal_code: "EC3A 8BF",
        region: None,
        tax_id: Some("GB123456789"),
        recipients: &[],
        tax_bps: 2000,
        plan: |p| p.team_yearly.clone(),
        monthly_amount: 0,
        quantity: 25,
        months: 24,
        state: State::Yearly,
        contacts: &[("gavin@hooli.example", "Gavin Belson", Role::Owner, true)],
        cards: &[("visa", "1881", 6, 2029)],
    },
];

/// The demo vendor's logo on its invoices: an indigo mark with a white peak, a 72 × 72 PNG
/// (the test below checks it as an upload would be).
const LOGO: &[u8] = include_bytes!("demo-logo.png");

/// Seeds the demo account unless it exists; returns it either way.
pub async fn seed(app: &App, now: Timestamp) -> anyhow::Result<Account> {
    let store = app.store.as_ref();
    match store.account_by_subdomain(SUBDOMAIN).await {
        Ok(account) => return Ok(account),
        Err(StoreError::NotFound { .. }) => {}
        Err(e) => return Err(e).context("cannot look up the demo account"),
    }
    let account = store.create_account(SUBDOMAIN, "Acme Cloud", now).await?;
    let mut settings = account.settings.clone();
    settings.branding = Branding {
        display_name: Some("Acme Cloud".into()),
        logo_url: None,
        primary_color: Some("#4f46e5".into()),
        support_email: Some("support@acme.example".into()),
        support_url: Some("https://acme.example/support".into()),
    };
    settings.default_return_url = Some("https://app.acme.example/settings/billing".into());
    settings.invoice = InvoiceSettings {
        legal_name: Some("Acme Cloud GmbH".into()),
        address: Address {
            line1: Some("Friedrichstraße 68".into()),
            line2: None,
            city: Some("Berlin".into()),
            state: None,
            postal_code: Some("10117".into()),
            country: Some("DE".into()),
        },
        tax_id: Some("DE987654321".into()),
        registration: Some("Amtsgericht Berlin-Charlottenburg, HRB 201234 B".into()),
        payment_instructions: Some(
            "Bank transfer to Acme Cloud GmbH, Commerzbank Berlin\n\
             IBAN DE89 3704 0044 0532 0130 00 · BIC COBADEFFXXX\n\
             Please give the invoice number as the reference."
                .into(),
        ),
        footer: Some(
            "Acme Cloud GmbH · Managing director: Erika Mustermann · Registered office: Berlin"
                .into(),
        ),
        logo: None,
    };
    let by = Caller::operator(account.id.clone());
    portico_app::accounts::update_portal_settings(app, &by, |_| settings, now).await?;
    let (logo, info) = InvoiceLogo::with_info("image/png", LOGO.to_vec(), 72, 72, now);
    let account =
        portico_app::invoice_settings::set_logo(app, &by, Some((logo, info)), now).await?;
    let provider = portico_app::payments::ProviderSettings {
        provider: portico_app::payments::test_provider::NAME.into(),
        ..Default::default()
    };
    portico_app::payments::configure(app, &by, provider, now).await?;

    let history_start = now.plus_months(-26);
    let product = portico_app::catalog::create_product(
        app,
        &by,
        NewProduct {
            name: "Acme Cloud".into(),
            description: Some("Hosted workspace for teams".into()),
            self_service: true,
            active: true,
        }
        .validate()?,
        history_start,
    )
    .await?;
    let support = portico_app::catalog::create_product(
        app,
        &by,
        NewProduct {
            name: "Priority Support".into(),
            description: Some("Four-hour response, named engineer".into()),
            self_service: false,
            active: true,
        }
        .validate()?,
        history_start,
    )
    .await?;

    let mut prices = Vec::new();
    for code in ["EUR", "USD", "GBP"] {
        let currency = Currency::parse("currency", code)?;
        let plan = |name: &str, interval, amount, trial_days| NewPlan {
            product: product.id.clone(),
            name: name.to_owned(),
            interval,
            interval_count: 1,
            unit_amount: amount,
            currency,
            self_service: true,
            trial_days,
            min_quantity: 1,
            max_quantity: Some(50),
            active: true,
        };
        let starter = plan("Starter", Interval::Month, 1900, 0);
        let team = plan("Team", Interval::Month, 4900, 0);
        let business = plan("Business", Interval::Month, 14900, 14);
        let team_yearly = plan("Team (yearly)", Interval::Year, 49000, 0);
        let mut ids = Vec::new();
        for p in [starter, team, business, team_yearly] {
            ids.push(
                portico_app::catalog::create_plan(app, &by, p.validate()?, history_start)
                    .await?
                    .id,
            );
        }
        portico_app::catalog::create_plan(
            app,
            &by,
            NewPlan {
                product: support.id.clone(),
                name: "Priority Support".into(),
                interval: Interval::Month,
                interval_count: 1,
                unit_amount: 29900,
                currency,
                self_service: false,
                trial_days: 0,
                min_quantity: 1,
                max_quantity: None,
                active: true,
            }
            .validate()?,
            history_start,
        )
        .await?;
        let [starter, team, business, team_yearly]: [PlanId; 4] = ids
            .try_into()
            .map_err(|_| anyhow::anyhow!("four plans expected"))?;
        prices.push((
            currency,
            Prices {
                starter,
                team,
                business,
                team_yearly,
            },
        ));
    }

    for story in STORIES {
        let currency = Currency::parse("currency", story.currency)?;
        let prices = prices
            .iter()
            .find(|(c, _)| *c == currency)
            .map(|(_, p)| p)
            .context("demo prices for every currency")?;
        seed_customer(app, &account, story, currency, prices, now).await?;
    }
    Ok(account)
}

async fn seed_customer(
    app: &App,
    account: &Account,
    story: &Story,
    currency: Currency,
    prices: &Prices,
    now: Timestamp,
) -> anyhow::Result<()> {
    let yearly = story.state == State::Yearly;
    let step = if yearly { 12 } else { 1 };
    let periods = if yearly {
        story.months / 12
    } else {
        story.months
    };
    // The subscription started `periods` whole periods ago, so the current one contains now.
    let started = now.plus_months(-(periods * step)).minus_secs(3 * 86_400);
    let acct = &account.id;
    let by = Caller::operator(acct.clone());
    let store = app.store.as_ref();

    let customer = portico_app::customers::create(
        app,
        &by,
        NewCustomer {
            alias: Some(story.alias.into()),
            name: story.name.into(),
            email: Some(story.email.into()),
            currency,
            address: Address {
                line1: Some(story.street.into()),
                line2: None,
                city: Some(story.city.into()),
                state: story.region.map(Into::into),
                postal_code: Some(story.postal_code.into()),
                country: Some(story.country.into()),
            },
            tax_id: story.tax_id.map(Into::into),
            invoice_recipients: story.recipients.iter().map(|&r| r.into()).collect(),
            portal_enabled: true,
            metadata: Metadata::new(),
            test_clock: None,
        }
        .validate()?,
        started.minus_secs(86_400),
    )
    .await?;

    for (email, name, role, access) in story.contacts {
        portico_app::contacts::create(
            app,
            &by,
            NewContact {
                customer: customer.id.to_string(),
                external_id: Some(format!("user-{}", email.split('@').next().unwrap_or("x"))),
                email: (*email).into(),
                name: Some((*name).into()),
                portal_access: *access,
                role: *role,
            }
            .validate()?,
            started,
        )
        .await?;
    }

    let mut default_card = None;
    for (brand, last4, month, year) in story.cards {
        let pm = portico_app::payment_methods::create(
            app,
            &by,
            NewPaymentMethod {
                customer: customer.id.to_string(),
                kind: PaymentMethodKind::Card,
                brand: Some((*brand).into()),
                last4: (*last4).into(),
                exp_month: Some(*month),
                exp_year: Some(*year),
                is_default: None,
                // The test provider's reference of a card whose charges succeed.
                provider_ref: Some(format!("tpm_ok_demo{last4}")),
            },
            started,
        )
        .await?;
        default_card.get_or_insert(pm.id);
    }
    if story.cards.is_empty() && story.state != State::Trialing {
        let pm = portico_app::payment_methods::create(
            app,
            &by,
            NewPaymentMethod {
                customer: customer.id.to_string(),
                kind: PaymentMethodKind::SepaDebit,
                brand: Some("Crédit Lyonnais".into()),
                last4: "3000".into(),
                exp_month: None,
                exp_year: None,
                is_default: None,
                provider_ref: Some("tpm_ok_demo3000".into()),
            },
            started,
        )
        .await?;
        default_card = Some(pm.id);
    }

    let plan_id = (story.plan)(prices);
    let plan = store.plan(acct, &plan_id).await?;
    let status = match story.state {
        State::Trialing => None,
        State::PastDue => Some(SubscriptionStatus::PastDue),
        _ => Some(SubscriptionStatus::Active),
    };
    let current_start = match story.state {
        State::Trialing => now.minus_secs(2 * 86_400),
        _ => started.plus_months(periods * step),
    };
    let sub = portico_app::subscriptions::create(
        app,
        &by,
        NewSubscription {
            customer: customer.id.to_string(),
            plan: plan_id,
            quantity: story.quantity,
            status,
            current_period_start: Some(current_start),
            billing_cycle_anchor: None,
            cancel_at_period_end: story.state == State::CancelAtPeriodEnd,
            metadata: Metadata::new(),
        },
        started,
    )
    .await?;

    // One invoice per past period, paid two days after issue; the story's state decides the end.
    let amount = if yearly {
        plan.unit_amount
    } else {
        story.monthly_amount
    };
    let last = match story.state {
        State::Trialing => -1,
        _ => periods,
    };
    for i in 0..=last {
        let period_start = started.plus_months(i * step);
        let period_end = started.plus_months((i + 1) * step);
        let is_last = i == last;
        let unpaid = is_last && story.state == State::PastDue;
        // The past-due customer's last invoice fell due the day after it was issued: overdue.
        let due_days = if unpaid { 1 } else { 14 };
        let status = if is_last && story.state == State::Canceled {
            InvoiceStatus::Void
        } else {
            InvoiceStatus::Open
        };
        let invoice = portico_app::invoices::create(
            app,
            &by,
            NewInvoice {
                customer: customer.id.to_string(),
                subscription: Some(sub.id.clone()),
                currency: None,
                status: Some(status),
                lines: vec![NewInvoiceLine {
                    description: format!("{} × {}", plan.name, story.quantity),
                    quantity: story.quantity,
                    unit_amount: amount,
                    period_start: Some(period_start),
                    period_end: Some(period_end),
                }],
                tax_rate_bps: story.tax_bps,
                issued_at: Some(period_start),
                due_at: Some(period_start.plus_secs(due_days * 86_400)),
                paid_at: None,
                metadata: Metadata::new(),
            },
            period_start,
        )
        .await?;
        if status == InvoiceStatus::Void {
            continue;
        }
        let payment = |status, at: Timestamp| NewTransaction {
            customer: customer.id.to_string(),
            kind: TransactionKind::Payment,
            status,
            amount: invoice.total,
            currency: None,
            invoice: Some(invoice.id.clone()),
            payment_method: default_card.clone(),
            description: Some(format!("Payment for {}", invoice.number)),
            created_at: Some(at),
        };
        let paid_at = period_start.plus_secs(2 * 86_400);
        if unpaid {
            // Three tries on the expired card, all before now, each declined for its expiry.
            for retry in 0..3 {
                let at = period_start.plus_secs(43_200 + retry * 86_400).min(now);
                let failed = NewTransaction {
                    description: Some(DeclineCode::ExpiredCard.as_str().into()),
                    ..payment(TransactionStatus::Failed, at)
                };
                portico_app::transactions::create(app, &by, failed, at).await?;
            }
        } else if paid_at < now {
            portico_app::transactions::create(
                app,
                &by,
                payment(TransactionStatus::Succeeded, paid_at),
                paid_at,
            )
            .await?;
        }
    }

    match story.state {
        State::Canceled => {
            portico_app::subscriptions::cancel(
                app,
                &by,
                &sub.id,
                Some("Moved to an in-house tool".into()),
                now.minus_secs(20 * 86_400),
            )
            .await?;
        }
        State::Active if story.months > 6 => {
            // A goodwill credit and a refund, so the transaction list shows every kind.
            for (kind, amount, text) in [
                (
                    TransactionKind::Credit,
                    1000,
                    "Goodwill credit for the March outage",
                ),
                (
                    TransactionKind::Refund,
                    4900,
                    "Refund: seat removed mid-period",
                ),
            ] {
                let at = now.minus_secs(40 * 86_400);
                portico_app::transactions::create(
                    app,
                    &by,
                    NewTransaction {
                        customer: customer.id.to_string(),
                        kind,
                        status: TransactionStatus::Succeeded,
                        amount,
                        currency: None,
                        invoice: None,
                        payment_method: default_card.clone(),
                        description: Some(text.into()),
                        created_at: Some(at),
                    },
                    at,
                )
                .await?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use portico_app::Clock;
    use portico_core::PageRequest;
    use portico_store::{InvoiceFilter, Store, TransactionFilter};

    use super::*;

    /// What the demo shows must hold together: each address is one of its country (a region
    /// where the post needs one, a postal code of the country's shape), no payment is dated
    /// after now, and the past-due customer has an overdue invoice.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_is_coherent() {
        let db = portico_testkit::TestDatabase::create(portico_testkit::Backend::Sqlite).await;
        let store: Arc<dyn Store> = Arc::new(db.store().await);
        let clock = portico_app::clock::SystemClock;
        let now = clock.now();
        let master = portico_auth::signing::MasterKey::generate(&mut rand::rngs::OsRng);
        let app = App::new(store.clone(), Arc::new(clock), "http://127.0.0.1", master);
        let account = seed(&app, now).await.unwrap();
        let customers = store
            .list_customers(&account.id, None, PageRequest::first(50))
            .await
            .unwrap()
            .data;
        assert_eq!(customers.len(), STORIES.len());
        for c in &customers {
            let a = &c.address;
            assert_eq!(a.clone().validate().as_ref(), Ok(a), "{}", c.name);
            let country = a.country.as_deref().unwrap_or_default();
            let postal = a.postal_code.as_deref().unwrap_or_default();
            let digits = |n: usize| postal.len() == n && postal.bytes().all(|b| b.is_ascii_digit());
            let fits = match country {
                "DE" | "FR" | "US" => digits(5),
                "GB" => postal.len() >= 6 && postal.contains(' '),
                other => panic!("no postal rule for {other}"),
            };
            assert!(
                fits,
                "{}: {postal} is not a postal code of {country}",
                c.name
            );
            let regions = countries::regions(country).is_some();
            assert_eq!(
                a.state.is_some(),
                regions,
                "{}: region {:?}",
                c.name,
                a.state
            );
            assert_eq!(
                c.tax_id.clone(),
                customer_tax_id(Some(country), c.tax_id.as_deref()).unwrap(),
                "{}",
                c.name
            );
        }

        let mut seen = 0;
        let mut page = PageRequest::first(100);
        loop {
            let list = store
                .list_transactions(&account.id, TransactionFilter::default(), page)
                .await
                .unwrap();
            seen += list.data.len();
            for t in &list.data {
                assert!(
                    t.created_at <= now,
                    "{} is dated {}, after now",
                    t.id,
                    t.created_at
                );
            }
            match list.data.last() {
                Some(last) if list.has_more => page = PageRequest::after(100, last.id.clone()),
                _ => break,
            }
        }
        assert!(seen > 50, "a history of payments: {seen}");

        let past_due = InvoiceFilter {
            customer: Some(CustomerRef::parse("globex")),
            status: Some(InvoiceStatus::Open),
            ..InvoiceFilter::default()
        };
        let open = store
            .list_invoices(&account.id, past_due, PageRequest::first(10))
            .await
            .unwrap()
            .data;
        assert!(
            open.iter().any(|i| i.due_at.is_some_and(|due| due < now)),
            "the past-due customer has an overdue invoice: {open:?}"
        );
    }

    #[test]
    fn the_demo_logo_passes_the_upload_check() {
        let checked = portico_render::pdf::check_logo(LOGO).unwrap();
        assert_eq!(
            (checked.content_type, checked.width, checked.height),
            ("image/png", 72, 72)
        );
    }
}
