//! What a customer does to a subscription: cancel (a confirmation page that says when it ends
//! and what stops), resume, reactivate, and change plan or quantity (a picker, then a preview
//! that is exactly what confirming charges, then the confirmation). Every change is a POST
//! through the action gate, then Post/Redirect/Get with a flash.

use axum::Router;
use axum::extract::{MatchedPath, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{MethodRouter, get, post};
use maud::{Markup, html};
use portico_app::AppError;
use portico_app::plan_changes::{self, ChangeInput, Preview};
use portico_app::subscriptions::{self as use_case, Cancellation, Changed, Collection, Requester};
use portico_core::model::{
    CancelMode, CancelRefund, ChangeQuote, DeclineCode, Interval, PaymentAttemptStatus, Plan,
    PortalPage, Subscription, unused_credit,
};
use portico_core::page::PageRequest;
use portico_core::scope::PortalScope;
use portico_core::{PaymentAttemptId, PlanId, SubscriptionId};
use portico_render::format::{format_integer, format_percent_bps};
use portico_render::{Msg, format_date, t, tf};
use serde::Deserialize;

use super::parts::money;
use super::subscriptions::Abilities;
use super::{not_found, respond_page};
use crate::AppState;
use crate::portal::action::{Action, ActionForm};
use crate::portal::see_other;
use crate::portal::session::{Denied, Visit};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(&format!("{BASE}/cancel"), get(cancel_page))
        .route(&format!("{BASE}/change"), get(change_page))
        .route(&format!("{BASE}/preview"), get(preview_page))
}

const BASE: &str = "/portal/subscriptions/{id}";

/// The actions taken with one click, each at `{BASE}/{action}`.
const ONE_CLICK: [&str; 4] = ["resume", "reactivate", "unpause", "withdraw-change"];

/// The subscription actions (POSTs), for the portal's one list of them.
pub fn actions() -> Vec<(String, MethodRouter<AppState>)> {
    let mut all = vec![
        (format!("{BASE}/cancel"), post(cancel)),
        (format!("{BASE}/change"), post(change)),
        (format!("{BASE}/pause"), post(pause)),
    ];
    all.extend(ONE_CLICK.map(|a| (format!("{BASE}/{a}"), post(one_click))));
    all
}

/// The flash a subscription action redirects with, by its `done` value.
pub fn flash(done: &str) -> Option<Msg> {
    Some(match done {
        "canceled" => Msg::FlashCanceled,
        "cancel-scheduled" => Msg::FlashCancelScheduled,
        "resumed" => Msg::FlashResumed,
        "reactivated" => Msg::FlashReactivated,
        "changed" => Msg::FlashChanged,
        "change-scheduled" => Msg::FlashChangeScheduled,
        "change-withdrawn" => Msg::FlashChangeWithdrawn,
        "paused" => Msg::FlashPaused,
        "unpaused" => Msg::FlashUnpaused,
        // The provider declined what the change costs now: the subscription is as it was.
        declined => {
            Msg::from(DeclineCode::parse("done", declined.strip_prefix("declined-")?).ok()?)
        }
    })
}

/// Post/Redirect/Get: back to the subscriptions, which say what was done.
fn done(what: &str) -> Response {
    see_other(&format!("{}?done={what}", PortalPage::Subscriptions.path()))
}

/// After a change that may cost money now: the customer's step at the provider when the bank
/// asks for one (the change is made when it succeeds), the decline's reason when the provider
/// declined (nothing changed), else `what` was done.
fn finish_changed(v: &Visit, what: &str, result: Result<Changed, AppError>) -> Response {
    let result = result.map(
        |Changed {
             subscription,
             collection,
         }| (subscription, collection),
    );
    if let Ok((_, Collection::Charged(attempt))) = &result {
        tracing::info!(portal_session = %v.session.id, attempt = %attempt.id,
            status = %attempt.status, "subscription change charged");
        match (&attempt.status, &attempt.action_url) {
            (PaymentAttemptStatus::RequiresAction, Some(url)) => return see_other(url),
            (PaymentAttemptStatus::Declined, _) => {
                let code = attempt.decline_code.unwrap_or(DeclineCode::ProcessingError);
                return done(&format!("declined-{}", code.as_str()));
            }
            _ => {}
        }
    }
    finish(v, what, result.map(|(sub, _)| sub))
}

/// The customer's subscription named in the path; another's, or an id that does not parse, is
/// not found.
async fn own(s: &AppState, v: &Visit, id: &str) -> Result<Option<(Subscription, Plan)>, Denied> {
    let Ok(id) = id.parse::<SubscriptionId>() else {
        return Ok(None);
    };
    let sub = match s.app.store.subscription(&v.account.id, &id).await {
        Ok(sub) if sub.customer == v.customer.id => sub,
        Ok(_) | Err(portico_store::StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let plan = s.app.store.plan(&v.account.id, &sub.plan).await?;
    Ok(Some((sub, plan)))
}

/// A page of the subscriptions tab, or the refusal.
fn page(v: &Visit, status: StatusCode, title: Msg, main: Markup) -> Response {
    respond_page(
        v,
        status,
        PortalPage::Subscriptions,
        t(v.locale, title),
        None,
        main,
    )
}

/// Runs a subscription action and redirects with `what`; a refusal is its page.
fn finish(v: &Visit, what: &str, result: Result<Subscription, AppError>) -> Response {
    match result {
        Ok(sub) => {
            tracing::info!(portal_session = %v.session.id, subscription = %sub.id, what,
                "subscription changed in the portal");
            done(what)
        }
        Err(AppError::NotFound { .. }) => not_found(v),
        Err(e) => Denied::from(e).render(v.locale),
    }
}

// --- cancel, resume, reactivate ---

#[derive(Debug, Deserialize)]
pub struct CancelForm {
    mode: CancelMode,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
}

impl ActionForm for CancelForm {
    const SCOPE: PortalScope = PortalScope::SubscriptionsWrite;
}

/// The form of a one-click action: only the CSRF token, which the gate checks.
#[derive(Debug, Deserialize)]
pub struct OneClick {}

impl ActionForm for OneClick {
    const SCOPE: PortalScope = PortalScope::SubscriptionsWrite;
}

fn some(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `GET …/cancel`: when the subscription would end and what stops, the modes the account
/// allows, its reasons, and room for a comment.
async fn cancel_page(State(s): State<AppState>, v: Visit, Path(id): Path<String>) -> Response {
    if !Abilities::of(&v).cancel {
        return not_found(&v);
    }
    let (sub, plan) = match own(&s, &v, &id).await {
        Ok(Some(found)) if !found.0.is_canceled() && !found.0.cancel_at_period_end => found,
        Ok(_) => return not_found(&v),
        Err(d) => return d.render(v.locale),
    };
    let rules = &v.account.settings.subscription_changes;
    let refund = if rules.allows_cancel(CancelMode::Immediately)
        && rules.cancel_refund == CancelRefund::ProratedCredit
    {
        let by = v.caller();
        match use_case::tax_rate(&s.app, &by, &sub.id).await {
            Ok(rate) => unused_credit(&sub, &plan, rate, s.app.clock.now()),
            Err(e) => return Denied::from(e).render(v.locale),
        }
    } else {
        0
    };
    let l = v.locale;
    let end = format_date(sub.current_period_end, l);
    let name = plan.name.as_str();
    let modes = &rules.cancel_modes;
    let main = html! {
        h1 { (t(l, Msg::CancelSubscription)) }
        form.card.cancel method="post" action={ (PortalPage::Subscriptions.path()) "/" (sub.id) "/cancel" } {
            input type="hidden" name="csrf" value=(v.csrf_token());
            @if modes.contains(&CancelMode::AtPeriodEnd) {
                p.ends { (tf(l, Msg::CancelEndsAtPeriodEnd, &[("plan", name), ("date", &end)])) }
            }
            @if modes.contains(&CancelMode::Immediately) {
                p.ends { (tf(l, Msg::CancelEndsNow, &[("plan", name)])) }
                @if refund > 0 {
                    p.refund { (tf(l, Msg::CancelRefundNote, &[("amount", &money(l, refund, plan.currency))])) }
                }
            }
            fieldset {
                legend { (t(l, Msg::CancelWhen)) }
                @for (i, mode) in modes.iter().enumerate() {
                    @let label = match mode {
                        CancelMode::AtPeriodEnd => t(l, Msg::CancelAtPeriodEnd),
                        CancelMode::Immediately => t(l, Msg::CancelNow),
                    };
                    label.choice {
                        input type="radio" name="mode" value=(mode.as_str()) checked[i == 0] required;
                        " " (label)
                    }
                }
            }
            div.field {
                label for="f-reason" { (t(l, Msg::CancelReason)) }
                select #f-reason name="reason" {
                    option value="" { "—" }
                    @for reason in &rules.cancel_reasons {
                        option value=(reason) { (reason) }
                    }
                }
            }
            div.field {
                label for="f-comment" { (t(l, Msg::CancelComment)) }
                textarea #f-comment name="comment" maxlength="1000" rows="3" {}
            }
            div.actions {
                button.danger type="submit" { (t(l, Msg::ConfirmCancellation)) }
                a.button.secondary href=(way_back(&v, PortalPage::Subscriptions.path())) { (t(l, Msg::KeepSubscription)) }
            }
        }
    };
    page(&v, StatusCode::OK, Msg::CancelSubscription, main)
}

/// `POST …/cancel`.
async fn cancel(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<CancelForm>,
) -> Response {
    let Action { visit: v, form } = action;
    let Ok(id) = id.parse::<SubscriptionId>() else {
        return not_found(&v);
    };
    let c = Cancellation {
        mode: form.mode,
        reason: some(&form.reason),
        comment: some(&form.comment),
    };
    let what = match form.mode {
        CancelMode::Immediately => "canceled",
        CancelMode::AtPeriodEnd => "cancel-scheduled",
    };
    let who = Requester::Customer(&v.customer.id);
    let result = use_case::cancel_as(&s.app, &v.caller(), who, &id, c, s.app.clock.now()).await;
    finish(&v, what, result)
}

/// `POST …/resume` (take back a cancellation at the end of the period), `…/reactivate` (a
/// canceled subscription starts a new period) and `…/withdraw-change` (drop the change
/// scheduled for the end of the period): one click each.
async fn one_click(
    State(s): State<AppState>,
    Path(id): Path<String>,
    matched: MatchedPath,
    action: Action<OneClick>,
) -> Response {
    let v = action.visit;
    let what = matched.as_str().rsplit('/').next().unwrap_or_default();
    let Ok(id) = id.parse::<SubscriptionId>() else {
        return not_found(&v);
    };
    let (app, by, now) = (&s.app, v.caller(), s.app.clock.now());
    let who = Requester::Customer(&v.customer.id);
    let (result, done) = match what {
        "resume" => (use_case::resume(app, &by, who, &id, now).await, "resumed"),
        "reactivate" => {
            let result = use_case::reactivate(app, &by, who, &id, now).await;
            return finish_changed(&v, "reactivated", result);
        }
        "unpause" => (
            use_case::set_pause(app, &by, who, &id, None, now).await,
            "unpaused",
        ),
        "withdraw-change" => (
            plan_changes::withdraw(app, &by, who, &id, now).await,
            "change-withdrawn",
        ),
        _ => return not_found(&v),
    };
    finish(&v, done, result)
}

#[derive(Debug, Deserialize)]
pub struct PauseForm {
    periods: u32,
}

impl ActionForm for PauseForm {
    const SCOPE: PortalScope = PortalScope::SubscriptionsWrite;
}

/// `POST …/pause`: collection pauses for the chosen number of periods.
async fn pause(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<PauseForm>,
) -> Response {
    let Action { visit: v, form } = action;
    let Ok(id) = id.parse::<SubscriptionId>() else {
        return not_found(&v);
    };
    let who = Requester::Customer(&v.customer.id);
    let now = s.app.clock.now();
    let periods = Some(form.periods);
    let result = use_case::set_pause(&s.app, &v.caller(), who, &id, periods, now).await;
    finish(&v, "paused", result)
}

// --- change of plan or quantity ---

/// The plans a customer may pick: self-service and active, in the customer's currency, of a
/// self-service product; grouped by product, each group's plans by interval.
async fn choices(s: &AppState, v: &Visit) -> Result<Vec<(String, Vec<Plan>)>, Denied> {
    let products = s
        .app
        .store
        .list_products(&v.account.id, PageRequest::first(100))
        .await?
        .data;
    let mut groups = Vec::new();
    for product in products.into_iter().filter(|p| p.self_service && p.active) {
        let mut plans: Vec<Plan> = s
            .app
            .store
            .list_plans(&v.account.id, Some(&product.id), PageRequest::first(100))
            .await?
            .data
            .into_iter()
            .filter(|p| p.self_service && p.active && p.currency == v.customer.currency)
            .collect();
        plans.sort_by_key(|p| {
            (
                p.interval == Interval::Year,
                p.interval_count,
                p.unit_amount,
            )
        });
        if !plans.is_empty() {
            groups.push((product.name, plans));
        }
    }
    Ok(groups)
}

/// `GET …/change`: the plan picker and the quantity stepper, which lead to the preview.
/// Where a page's Cancel or Back link leads: out of a single-task session's task, back to the
/// vendor (the session's return URL) or, without one, to the task's start; else to `page`.
fn way_back(v: &Visit, page: &str) -> String {
    match &v.session.flow {
        Some(flow) => v
            .session
            .return_url
            .as_deref()
            .and_then(crate::portal::layout::web_url)
            .map_or_else(|| flow.start_path(), str::to_owned),
        None => page.to_owned(),
    }
}

/// The `done` a page was sent to with, or the `payment` a single-task session came back from.
#[derive(Debug, Default, Deserialize)]
struct DoneQuery {
    done: Option<String>,
    payment: Option<String>,
}

/// What the task's page of a single-task session says when the change's charge did not make
/// the change: the provider's decline, that it could not be reached, or how the payment the
/// customer came back from stands.
async fn payment_said(s: &AppState, v: &Visit, q: &DoneQuery) -> Result<Option<Markup>, Denied> {
    if let Some(done) = q.done.as_deref() {
        let said = match done {
            "pay_unavailable" => Some(Msg::PaymentUnavailable),
            declined if declined.starts_with("declined-") => flash(declined),
            _ => None,
        };
        return Ok(said.map(|m| alert(t(v.locale, m))));
    }
    let Some(Ok(id)) = q.payment.as_deref().map(str::parse::<PaymentAttemptId>) else {
        return Ok(None);
    };
    match s.app.store.payment_attempt(&v.account.id, &id).await {
        Ok(a) if a.customer == v.customer.id => {
            Ok(Some(super::invoices::render_attempt(&a, v.locale)))
        }
        Ok(_) | Err(portico_store::StoreError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A flash that says what went wrong.
fn alert(text: &str) -> Markup {
    html! { p.flash.bad role="alert" { (text) } }
}

async fn change_page(
    State(s): State<AppState>,
    v: Visit,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if !Abilities::of(&v).change {
        return not_found(&v);
    }
    let (sub, plan) = match own(&s, &v, &id).await {
        Ok(Some(found)) if !found.0.is_canceled() => found,
        Ok(_) => return not_found(&v),
        Err(d) => return d.render(v.locale),
    };
    let groups = if v.account.settings.features.plan_change {
        match choices(&s, &v).await {
            Ok(g) => g,
            Err(d) => return d.render(v.locale),
        }
    } else {
        Vec::new()
    };
    // A single-task session comes back here when the change's charge did not make the change.
    let said = match payment_said(&s, &v, &q).await {
        Ok(said) => said,
        Err(d) => return d.render(v.locale),
    };
    let main = render_change(&v, &sub, &plan, &groups, said);
    page(&v, StatusCode::OK, Msg::ChangePlan, main)
}

fn render_change(
    v: &Visit,
    sub: &Subscription,
    current: &Plan,
    groups: &[(String, Vec<Plan>)],
    problem: Option<Markup>,
) -> Markup {
    let l = v.locale;
    let f = &v.account.settings.features;
    let max = current
        .max_quantity
        .unwrap_or(portico_core::model::MAX_QUANTITY);
    let row = |p: &Plan| {
        html! {
            label.choice {
                input type="radio" name="plan" value=(p.id) checked[p.id == sub.plan] required;
                " " (p.name) " — " (super::subscriptions::price(l, &plan_row(sub, p)))
                @if p.id == sub.plan { " " span.badge.info { (t(l, Msg::CurrentBadge)) } }
            }
        }
    };
    html! {
        h1 { (t(l, Msg::ChangePlan)) }
        @if let Some(problem) = problem { (problem) }
        form.card.change method="get" action={ (PortalPage::Subscriptions.path()) "/" (sub.id) "/preview" } {
            @if f.plan_change && !groups.is_empty() {
                fieldset.plans {
                    legend { (t(l, Msg::ChoosePlan)) }
                    @for (product, plans) in groups {
                        h2 { (product) }
                        div.intervals {
                            div.interval {
                                h3 { (t(l, Msg::Monthly)) }
                                @for p in plans.iter().filter(|p| p.interval == Interval::Month) { (row(p)) }
                            }
                            div.interval {
                                h3 { (t(l, Msg::Yearly)) }
                                @for p in plans.iter().filter(|p| p.interval == Interval::Year) { (row(p)) }
                            }
                        }
                    }
                }
            } @else {
                input type="hidden" name="plan" value=(sub.plan);
            }
            @if f.quantity_change {
                div.field {
                    label for="f-quantity" { (t(l, Msg::NewQuantity)) }
                    input #f-quantity .short type="number" name="quantity" value=(sub.quantity)
                        min=(current.min_quantity) max=(max) step="1" required inputmode="numeric"
                        aria-describedby="f-quantity-range";
                    p.muted #f-quantity-range {
                        (tf(l, Msg::QuantityBetween, &[
                            ("min", &format_integer(current.min_quantity, l)),
                            ("max", &format_integer(max, l)),
                        ]))
                    }
                }
            } @else {
                input type="hidden" name="quantity" value=(sub.quantity);
            }
            div.actions {
                button type="submit" { (t(l, Msg::Preview)) }
                a.button.secondary href=(way_back(v, PortalPage::Subscriptions.path())) { (t(l, Msg::CancelAction)) }
            }
        }
    }
}

/// A row of `plan` at the subscription's quantity, for its price per interval.
fn plan_row(sub: &Subscription, plan: &Plan) -> super::subscriptions::Row {
    super::subscriptions::Row {
        sub: sub.clone(),
        plan: plan.clone(),
        price: portico_core::Money::new(plan.unit_amount, plan.currency),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeQuery {
    plan: String,
    quantity: String,
}

impl ChangeQuery {
    fn input(&self) -> Option<ChangeInput> {
        Some(ChangeInput {
            plan: self.plan.parse::<PlanId>().ok()?,
            quantity: self.quantity.trim().parse().ok()?,
        })
    }
}

/// What the customer is told when a change is refused for its input.
fn problem(v: &Visit, to: Option<&Plan>, e: &AppError) -> Option<String> {
    let l = v.locale;
    match (e, to) {
        (AppError::Invalid(i), Some(plan)) if i.field == "quantity" => {
            let max = plan
                .max_quantity
                .unwrap_or(portico_core::model::MAX_QUANTITY);
            Some(tf(
                l,
                Msg::QuantityOutOfRange,
                &[
                    ("min", &format_integer(plan.min_quantity, l)),
                    ("max", &format_integer(max, l)),
                ],
            ))
        }
        (AppError::Invalid(_), _) => Some(t(l, Msg::InvalidValue).to_owned()),
        (AppError::Conflict(_), _) => Some(t(l, Msg::PreviewOutdated).to_owned()),
        _ => None,
    }
}

/// The change form again with what went wrong (400), or the refusal's page.
async fn refused(
    s: &AppState,
    v: &Visit,
    id: &str,
    input: Option<&ChangeInput>,
    e: AppError,
) -> Response {
    let (sub, plan) = match own(s, v, id).await {
        Ok(Some(found)) => found,
        Ok(None) => return not_found(v),
        Err(d) => return d.render(v.locale),
    };
    let to = match input {
        Some(i) => s.app.store.plan(&v.account.id, &i.plan).await.ok(),
        None => None,
    };
    let Some(text) = problem(v, to.as_ref(), &e) else {
        return match e {
            AppError::NotFound { .. } => not_found(v),
            e => Denied::from(e).render(v.locale),
        };
    };
    let groups = if v.account.settings.features.plan_change {
        choices(s, v).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let main = render_change(v, &sub, &plan, &groups, Some(alert(&text)));
    page(v, StatusCode::BAD_REQUEST, Msg::ChangePlan, main)
}

/// `GET …/preview?plan=&quantity=`: what the change credits, charges and costs in tax, what is
/// due now, and the next invoice; confirming posts exactly this quote back.
async fn preview_page(
    State(s): State<AppState>,
    v: Visit,
    Path(id): Path<String>,
    q: Result<Query<ChangeQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    if !Abilities::of(&v).change {
        return not_found(&v);
    }
    let input = q.ok().and_then(|Query(q)| q.input());
    let Some(input) = input else {
        let e = AppError::Invalid(portico_core::Invalid::new("quantity", "is not a number"));
        return refused(&s, &v, &id, None, e).await;
    };
    let Ok(sub_id) = id.parse::<SubscriptionId>() else {
        return not_found(&v);
    };
    let who = Requester::Customer(&v.customer.id);
    let now = s.app.clock.now();
    match plan_changes::preview(&s.app, &v.caller(), who, &sub_id, &input, None, now).await {
        Ok(p) => {
            let charges = p.quote.due_now > 0
                && !p.quote.is_scheduled()
                && match use_case::can_charge(&s.app, &v.caller(), &v.customer.id, now).await {
                    Ok(charges) => charges,
                    Err(e) => return Denied::from(e).render(v.locale),
                };
            let main = render_preview(&v, &p, charges);
            page(&v, StatusCode::OK, Msg::ReviewChange, main)
        }
        Err(e) => refused(&s, &v, &id, Some(&input), e).await,
    }
}

/// The preview; `charges` says whether confirming charges the customer's card (else the
/// amount due is invoiced for the customer to pay).
fn render_preview(v: &Visit, p: &Preview, charges: bool) -> Markup {
    let l = v.locale;
    let q = &p.quote;
    let cur = p.to.currency;
    let amount = |a: i64| money(l, a, cur);
    let quote = serde_json::to_string(q).unwrap_or_default();
    let row = |label: String, value: String, class: &str| {
        html! { tr class=(class) { th scope="row" { (label) } td.num { (value) } } }
    };
    html! {
        h1 { (t(l, Msg::ReviewChange)) }
        section.card.preview {
            h2 { (p.to.name) " × " (format_integer(q.quantity, l)) }
            @if q.is_scheduled() {
                p { (tf(l, Msg::TakesEffectOn, &[("date", &format_date(q.effective_at, l))])) }
            } @else {
                p { (t(l, Msg::TakesEffectNow)) }
                @if q.credit == 0 && q.charge == 0 {
                    p.muted { (t(l, Msg::NoProration)) }
                } @else {
                    table.preview {
                        tbody {
                            (row(tf(l, Msg::ProrationCredit, &[("plan", &p.from.name)]), amount(-q.credit), "credit"))
                            (row(tf(l, Msg::ProrationCharge, &[("plan", &p.to.name)]), amount(q.charge), "charge"))
                            (row(tf(l, Msg::TaxWithRate, &[("rate", &format_percent_bps(q.tax_rate_bps, l))]), amount(q.tax), "tax"))
                            @if q.credited_now > 0 {
                                (row(t(l, Msg::ProrationCreditedToAccount).to_owned(), amount(q.credited_now), "total"))
                            } @else {
                                (row(t(l, Msg::ProrationDueToday).to_owned(), amount(q.due_now), "total"))
                            }
                        }
                    }
                    @if q.due_now > 0 {
                        p.collection { (t(l, if charges { Msg::DueTodayCharged } else { Msg::DueTodayLeftOpen })) }
                    }
                }
            }
            p.next {
                (tf(l, Msg::NextInvoiceOn, &[
                    ("date", &format_date(q.next_invoice_at, l)),
                    ("amount", &amount(q.next_invoice_amount)),
                ]))
            }
            form method="post" action={ (PortalPage::Subscriptions.path()) "/" (p.subscription.id) "/change" } {
                input type="hidden" name="csrf" value=(v.csrf_token());
                input type="hidden" name="plan" value=(q.plan);
                input type="hidden" name="quantity" value=(q.quantity);
                input type="hidden" name="quote" value=(quote);
                div.actions {
                    button type="submit" { (t(l, Msg::Confirm)) }
                    a.button.secondary href=(way_back(v, &format!("{}/{}/change", PortalPage::Subscriptions.path(), p.subscription.id))) { (t(l, Msg::CancelAction)) }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct ChangeForm {
    plan: String,
    quantity: String,
    /// The quote the preview showed, which confirming must match.
    quote: String,
}

impl ActionForm for ChangeForm {
    const SCOPE: PortalScope = PortalScope::SubscriptionsWrite;
}

/// `POST …/change`: applies the previewed change if it still costs what was shown; else the
/// form again, saying the price changed.
async fn change(
    State(s): State<AppState>,
    Path(id): Path<String>,
    action: Action<ChangeForm>,
) -> Response {
    let Action { visit: v, form } = action;
    let query = ChangeQuery {
        plan: form.plan,
        quantity: form.quantity,
    };
    let (Some(input), Ok(shown), Ok(sub_id)) = (
        query.input(),
        serde_json::from_str::<ChangeQuote>(&form.quote),
        id.parse::<SubscriptionId>(),
    ) else {
        let e = AppError::Conflict("the preview is not one the portal made".into());
        return refused(&s, &v, &id, None, e).await;
    };
    if shown.plan != input.plan || shown.quantity != input.quantity {
        let e = AppError::Conflict("the preview is of another change".into());
        return refused(&s, &v, &id, Some(&input), e).await;
    }
    let who = Requester::Customer(&v.customer.id);
    let now = s.app.clock.now();
    match plan_changes::confirm(&s.app, &v.caller(), who, &sub_id, &input, &shown, now).await {
        Ok(changed) => {
            let what = if shown.is_scheduled() {
                "change-scheduled"
            } else {
                "changed"
            };
            finish_changed(&v, what, Ok(changed))
        }
        Err(e) => refused(&s, &v, &id, Some(&input), e).await,
    }
}
