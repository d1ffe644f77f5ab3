//! Loyalty: the programme and the shopper's account for the widget, redemptions and birthdays,
//! the checkout's discount-code API, and the merchant's view of a shopper's ledger.
//!
//! Every balance change happens in the shopper's [`LedgerObject`](crate::objects::ledger); this
//! module checks who asks and what they send, and passes the programme along.

use futures_util::future::join;
use rapport_shared::catalog::{bounded_text, FieldError, ShopSettings};
use rapport_shared::identity::Shopper;
use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::loyalty::{
    normalise_code, programme_tag, Account, AdjustmentPoints, BirthdayRequest, CodeRecord, Ledger,
    LoyaltyRules, LoyaltyView, Presence, Programme, Reason, Redeemed, RedemptionRequest,
};
use rapport_shared::reviews::{Review, ReviewStatus};
use serde::Deserialize;
use serde_json::json;
use worker::{console_error, Env, Request, Response};

use super::shopper::{authenticate, private, view_answer};
use super::views;
use crate::cors;
use crate::error::ApiError;
use crate::http::{bearer, client_key, json, now, read_json, read_limited};
use crate::objects::ledger::{self, Act, Command, Context};
use crate::objects::{call, codes};
use crate::store::Store;

/// Loyalty request bodies are a few fields.
const BODY_LIMIT: usize = 4 * 1024;

/// The shop's settings and programme, or the 404 that says which is missing.
async fn programme(env: &Env, shop: &ShopId) -> Result<(ShopSettings, LoyaltyRules), ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    match settings.loyalty.clone() {
        Some(rules) => Ok((settings, rules)),
        None => {
            Err(ApiError::not_found("loyalty_not_enabled", "this shop runs no loyalty programme"))
        }
    }
}

fn context(
    settings: &ShopSettings,
    rules: &LoyaltyRules,
    shop: &ShopId,
    customer: CustomerId,
    presence: Presence,
) -> Context {
    Context {
        shop: shop.clone(),
        customer,
        rules: rules.clone(),
        currency: settings.currency.clone(),
        now: now(),
        presence,
    }
}

async fn ledger_call<T: serde::de::DeserializeOwned>(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
    command: &Command,
) -> Result<T, ApiError> {
    call(env, ledger::BINDING, &ledger::name(shop, customer), command).await
}

/// A shopper's request: the shop's programme, the allowed origin and the verified shopper.
struct ShopperRequest {
    settings: ShopSettings,
    rules: LoyaltyRules,
    origin: Option<String>,
    shopper: Shopper,
}

async fn shopper_request(
    req: &Request,
    env: &Env,
    shop: &ShopId,
) -> Result<ShopperRequest, ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    let origin = cors::check(req, &settings)?;
    let shopper = authenticate(req, env, shop)?;
    Ok(ShopperRequest { settings, rules, origin, shopper })
}

/// `GET /v1/shops/{shop}/loyalty`: the programme; with a shopper token, their account too.
/// A token that does not verify is refused (401), never answered as if signed out.
pub async fn view(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (view, origin, _) = loyalty_view(req, env, shop).await?;
    let resp = json(&view, 200)?;
    view_answer(resp, origin, view.account.is_some())
}

/// `GET /v1/shops/{shop}/loyalty.html[?locale=&mode=&css=none&expired=1]`: the widget's first
/// view, rendered from what `GET .../loyalty` answers (see `views`); with a token, the
/// shopper's own, answered like the JSON (private, to the shop's origins only).
pub async fn view_html(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let query = views::ViewQuery::parse(req)?;
    let loyalty = views::LoyaltyQuery::parse(req)?;
    let (view, origin, settings) = loyalty_view(req, env, shop).await?;
    let signed_in = view.account.is_some();
    let strings = views::strings(&query, "loyalty", Some(&settings));
    let html = views::loyalty(req, &query, &loyalty, shop, &view, strings)?;
    view_answer(views::html(html)?, origin, signed_in)
}

/// The programme, and with a verified token the shopper's account. The account comes from the
/// snapshot the ledger wrote while it holds (see `AccountSnapshot`), otherwise from the ledger
/// itself, which settles what is due (the shopper is present) and writes the snapshot again.
/// Also the origin a signed-in answer may go to.
async fn loyalty_view(
    req: &Request,
    env: &Env,
    shop: &ShopId,
) -> Result<(LoyaltyView, Option<String>, ShopSettings), ApiError> {
    if bearer(req).is_none() {
        let (settings, rules) = programme(env, shop).await?;
        let view = LoyaltyView { programme: programme_of(&settings, rules), account: None };
        return Ok((view, None, settings));
    }
    // The token is checked first (no I/O), so that the settings and the snapshot are read
    // together; the errors keep their order: shop, origin, token.
    let shopper = authenticate(req, env, shop);
    let store = Store::open(env)?;
    let snapshot = async {
        match &shopper {
            Ok(shopper) => store.account_snapshot(shop, &shopper.customer).await,
            _ => Ok(None),
        }
    };
    let (programme, snapshot) = join(programme(env, shop), snapshot).await;
    let (settings, rules) = programme?;
    let origin = cors::check(req, &settings)?;
    let customer = shopper?.customer;
    // An unreadable snapshot is only a slower answer.
    let held = snapshot.ok().flatten().and_then(|s| s.holding(&programme_tag(&rules), now()));
    let account = match held {
        Some(account) => account,
        None => {
            let ctx = context(&settings, &rules, shop, customer.clone(), Presence::SignedIn);
            let command = Command::Act { ctx, act: Act::Open };
            ledger_call::<Account>(env, shop, &customer, &command).await?
        }
    };
    let view = LoyaltyView { programme: programme_of(&settings, rules), account: Some(account) };
    Ok((view, origin, settings))
}

fn programme_of(settings: &ShopSettings, rules: LoyaltyRules) -> Programme {
    Programme {
        shop_name: settings.name.clone(),
        currency: settings.currency.clone(),
        sign_in_url: settings.sign_in_url.clone(),
        rules,
    }
}

/// `POST /v1/shops/{shop}/loyalty/redemptions`: spend points on a reward; 201 with the code.
pub async fn redeem(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let r = shopper_request(&req, env, shop).await?;
    let body: RedemptionRequest = read_json(&mut req, BODY_LIMIT).await?;
    if let Some(key) = &body.request {
        client_key("request", key)?;
    }
    let customer = r.shopper.customer.clone();
    let command = Command::Act {
        ctx: context(&r.settings, &r.rules, shop, customer.clone(), Presence::SignedIn),
        act: Act::Redeem { reward: body.reward, request: body.request },
    };
    let redeemed: Redeemed = ledger_call(env, shop, &customer, &command).await?;
    private(json(&redeemed, 201)?, r.origin)
}

/// `POST /v1/shops/{shop}/loyalty/birthday`: the shopper's birthday, set once.
pub async fn birthday(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let r = shopper_request(&req, env, shop).await?;
    let body: BirthdayRequest = read_json(&mut req, BODY_LIMIT).await?;
    let customer = r.shopper.customer.clone();
    let command = Command::Act {
        ctx: context(&r.settings, &r.rules, shop, customer.clone(), Presence::SignedIn),
        act: Act::Birthday { month: body.month, day: body.day },
    };
    let account: Account = ledger_call(env, shop, &customer, &command).await?;
    private(json(&account, 200)?, r.origin)
}

/// Gives or takes back the bonus for a review: on for a published review by a verified buyer.
/// A failure is logged, not returned: the review itself is stored, and its next moderation
/// change settles the bonus again.
pub async fn review_bonus(env: &Env, shop: &ShopId, settings: &ShopSettings, review: &Review) {
    let (Some(rules), Some(customer)) = (&settings.loyalty, &review.customer) else {
        return;
    };
    if rules.review_bonus == 0 {
        return;
    }
    let command = Command::Act {
        ctx: context(settings, rules, shop, customer.clone(), Presence::Absent),
        act: Act::Bonus {
            source: format!("review:{}/{}", review.product, review.id),
            reason: Reason::Review,
            on: review.verified && review.status == ReviewStatus::Published,
            amount: rules.review_bonus,
        },
    };
    if let Err(e) = ledger_call::<Account>(env, shop, customer, &command).await {
        console_error!("[rapport] review bonus for {shop}/{customer}: {e:?}");
    }
}

fn code_param(code: &str) -> Result<String, ApiError> {
    normalise_code(code)
        .ok_or_else(|| ApiError::not_found("code_not_found", "no discount code with this value"))
}

/// `GET /v1/admin/shops/{shop}/discount-codes/{code}`: is the code valid, for what, and used?
pub async fn code(env: &Env, shop: &ShopId, code: &str) -> Result<Response, ApiError> {
    Ok(json(&code_record(env, shop, code).await?, 200)?)
}

/// The record of a discount code, however the merchant typed it.
pub async fn code_record(env: &Env, shop: &ShopId, code: &str) -> Result<CodeRecord, ApiError> {
    Store::open(env)?.existing_shop(shop).await?;
    let code = code_param(code)?;
    let command = codes::Command::Read { code: code.clone() };
    call(env, codes::BINDING, &codes::name(shop, &code), &command).await
}

#[derive(Deserialize, Default)]
struct ConsumeRequest {
    /// The checkout's order reference.
    #[serde(default)]
    order: Option<String>,
}

/// `POST /v1/admin/shops/{shop}/discount-codes/{code}/consume`: use the code, once. A second
/// consumption is 409 `code_already_used`.
pub async fn consume(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    code: &str,
) -> Result<Response, ApiError> {
    Store::open(env)?.existing_shop(shop).await?;
    let code = code_param(code)?;
    // The body is optional: a checkout may send just the code.
    let bytes = read_limited(&mut req, BODY_LIMIT).await?;
    let body: ConsumeRequest = if bytes.iter().all(u8::is_ascii_whitespace) {
        ConsumeRequest::default()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| {
            ApiError::bad_request("invalid_json", format!("the body is not valid: {e}"))
        })?
    };
    if body.order.as_ref().is_some_and(|o| o.is_empty() || o.len() > 100) {
        return Err(ApiError::bad_request("invalid_field", "`order` must be 1 to 100 characters"));
    }
    let command = codes::Command::Consume { code: code.clone(), order: body.order, now: now() };
    let record: CodeRecord = call(env, codes::BINDING, &codes::name(shop, &code), &command).await?;
    Ok(json(&record, 200)?)
}

/// `GET /v1/admin/shops/{shop}/customers/{customer}/loyalty`: the shopper's account and ledger.
pub async fn customer_ledger(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<Response, ApiError> {
    let (account, ledger) = account_and_ledger(env, shop, customer).await?;
    Ok(json(&json!({ "account": account, "ledger": ledger }), 200)?)
}

/// The shopper's standing and whole ledger. Read only: looking a shopper up neither creates a
/// ledger nor settles one.
pub async fn account_and_ledger(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<(Account, Ledger), ApiError> {
    let (_, rules) = programme(env, shop).await?;
    let ledger: Ledger = ledger_call(env, shop, customer, &Command::Export).await?;
    Ok((ledger.account(&rules, now()), ledger))
}

#[derive(Deserialize)]
struct Adjustment {
    /// Makes a repeated request harmless.
    key: String,
    /// Any JSON number, so that one beyond an i64 is refused naming the field, not as bad JSON.
    points: serde_json::Number,
    /// Why, for the merchant's own record (at most 200 characters).
    #[serde(default)]
    note: Option<String>,
}

/// `POST /v1/admin/shops/{shop}/customers/{customer}/loyalty`: add or remove points by hand.
pub async fn adjust(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<Response, ApiError> {
    let body: Adjustment = read_json(&mut req, BODY_LIMIT).await?;
    let points = body
        .points
        .as_i64()
        .ok_or_else(|| FieldError::new("points", "must be a whole number"))
        .and_then(AdjustmentPoints::new)?;
    let account = adjust_points(env, shop, customer, &body.key, points, body.note).await?;
    Ok(json(&account, 200)?)
}

/// A manual adjustment, once per `key`, with the merchant's note.
pub async fn adjust_points(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
    key: &str,
    points: AdjustmentPoints,
    note: Option<String>,
) -> Result<Account, ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    client_key("key", key)?;
    let note = note.map(|n| bounded_text("note", &n, 0, 200)).transpose()?;
    let command = Command::Act {
        ctx: context(&settings, &rules, shop, customer.clone(), Presence::Absent),
        act: Act::Adjust { key: key.to_owned(), points, note },
    };
    ledger_call(env, shop, customer, &command).await
}

/// The customer's ledger for the data export; `None` when they never had one.
pub async fn export(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<Option<Ledger>, ApiError> {
    let ledger: Ledger = ledger_call(env, shop, customer, &Command::Export).await?;
    Ok((ledger != Ledger::default()).then_some(ledger))
}

/// Erases the customer's ledger.
pub async fn forget(env: &Env, shop: &ShopId, customer: &CustomerId) -> Result<(), ApiError> {
    let command = Command::Forget { shop: shop.clone(), customer: customer.clone() };
    ledger_call::<bool>(env, shop, customer, &command).await.map(|_| ())
}
