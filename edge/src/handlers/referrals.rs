//! Referral: the advocate's page, shares and preferences, the link (`/r/{shop}/{CODE}`), the
//! friend's banner and claim, the order hook, the payout the Cron Trigger runs, and the
//! merchant's list, decisions and figures.
//!
//! Every rule runs in the shop's [`ReferralsObject`](crate::objects::referrals); this module
//! checks who asks and what they send, hashes what must not be kept (e-mail, shipping and
//! network addresses, with the shop's secret) and passes the programme along.

use rapport_shared::catalog::ShopSettings;
use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::orders::Order;
use rapport_shared::ratelimit::RateLimit;
use rapport_shared::referral::book::{Referral, Stage};
use rapport_shared::referral::stats::{week_of, week_of_date};
use rapport_shared::referral::{
    first_name, normalise_email, normalise_referral_code, url_origin, AdvocatePreferences,
    AdvocateView, ClaimRequest, Claimed, Invitation, ReferralProgramme, ReferralRules,
    ReferralView, ShareRequest,
};
use rapport_shared::secrets::{email_hash, keyed_hash, TokenSecret};
use serde::Deserialize;
use serde_json::json;
use worker::{console_error, Env, Request, Response};

use super::reviews::{address_subject, limit};
use super::shopper::{authenticate, private, token_secret, view_answer};
use super::views;
use crate::cors;
use crate::error::ApiError;
use crate::http::{bearer, json, now, query, read_json};
use crate::objects::call;
use crate::objects::directory;
use crate::objects::referrals::{self, Command, Listing, Programme};
use crate::store::Store;

/// Referral request bodies are a few fields.
const BODY_LIMIT: usize = 4 * 1024;
/// Claims one network address may make per hour (beyond a handful a day, claims are also held).
const CLAIMS: RateLimit = RateLimit { max: 10, window_seconds: 3600 };
/// Shares one advocate may record per hour.
const SHARES: RateLimit = RateLimit { max: 60, window_seconds: 3600 };

async fn object<T: serde::de::DeserializeOwned>(
    env: &Env,
    shop: &ShopId,
    command: &Command,
) -> Result<T, ApiError> {
    call(env, referrals::BINDING, &referrals::name(shop), command).await
}

/// The shop's settings and referral programme, or the 404 that says which is missing.
async fn programme(env: &Env, shop: &ShopId) -> Result<(ShopSettings, ReferralRules), ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    match settings.referral.clone() {
        Some(rules) => Ok((settings, rules)),
        None => {
            Err(ApiError::not_found("referral_not_enabled", "this shop runs no referral programme"))
        }
    }
}

/// The caller's network address, hashed with the shop's secret and today's date: comparable
/// within a day, never kept raw, not linkable across days.
fn network(req: &Request, secret: &TokenSecret, now: i64) -> String {
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    keyed_hash(secret, &format!("network:{}", rapport_shared::referral::book::day_of(now)), &ip)
}

/// What the Worker answers at: the origin of this request.
fn api_origin(req: &Request) -> String {
    url_origin(&req.inner().url()).unwrap_or_default()
}

/// What the shop's object needs to attribute an order and price its reward.
pub fn order_programme(settings: &ShopSettings) -> Option<Programme> {
    let rules = settings.referral.as_ref()?;
    Some(Programme {
        hold_days: rules.hold_days,
        max_rewards_per_week: rules.max_rewards_per_week,
        reward: rules.reward_value(settings.loyalty.as_ref()),
        shop_currency: settings.currency.clone(),
    })
}

/// Replaces an order's e-mail and shipping address with their hashes, keyed with the shop's
/// secret, before the order goes anywhere. Without a usable secret the order keeps no hash.
pub fn seal(env: &Env, shop: &ShopId, order: &mut Order) {
    let signals = &mut order.referral;
    let (email, address) = (signals.email.take(), signals.shipping_address.take());
    let Ok(secret) = token_secret(env, shop) else {
        return;
    };
    signals.email_hash =
        email.as_deref().and_then(normalise_email).map(|e| email_hash(&secret, &e));
    signals.address_hash = address.map(|a| keyed_hash(&secret, "address", &a));
}

fn public_programme(settings: &ShopSettings, rules: &ReferralRules) -> ReferralProgramme {
    ReferralProgramme {
        shop_name: settings.name.clone(),
        currency: settings.currency.clone(),
        offer: rules.friend_offer.clone(),
        reward: rules.reward_value(settings.loyalty.as_ref()),
        hold_days: rules.hold_days,
        sign_in_url: settings.sign_in_url.clone(),
        join_url: settings.loyalty.as_ref().and_then(|l| l.join_url.clone()),
    }
}

/// `GET /v1/shops/{shop}/referrals`: the programme; with a shopper token, the advocate's code,
/// link, figures and recent friends too (the code is made on the first visit).
pub async fn view(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (view, origin, _) = referral_view(req, env, shop).await?;
    let signed_in = view.advocate.is_some();
    view_answer(json(&view, 200)?, origin, signed_in)
}

/// `GET /v1/shops/{shop}/referrals.html[?locale=&css=none]`: the widget's first view, rendered
/// from what `GET .../referrals` answers; with a token, the advocate's own (private).
pub async fn view_html(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let query = views::ViewQuery::parse(req)?;
    let (view, origin, settings) = referral_view(req, env, shop).await?;
    let signed_in = view.advocate.is_some();
    let strings = views::strings(&query, "referral", Some(&settings));
    let html = views::referral(req, &query, shop, &view, strings)?;
    view_answer(views::html(html)?, origin, signed_in)
}

async fn referral_view(
    req: &Request,
    env: &Env,
    shop: &ShopId,
) -> Result<(ReferralView, Option<String>, ShopSettings), ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    let programme = public_programme(&settings, &rules);
    if bearer(req).is_none() {
        return Ok((ReferralView { programme, advocate: None }, None, settings));
    }
    let origin = cors::check(req, &settings)?;
    let shopper = authenticate(req, env, shop)?;
    let secret = token_secret(env, shop)?;
    let now = now();
    let command = Command::Open {
        shop: shop.clone(),
        customer: shopper.customer,
        email_hash: shopper.email_hash,
        first_name: shopper.name.as_deref().and_then(first_name),
        network: network(req, &secret, now),
        link_base: format!("{}/r/{shop}/", api_origin(req)),
        now,
    };
    let advocate: AdvocateView = object(env, shop, &command).await?;
    Ok((ReferralView { programme, advocate: Some(advocate) }, origin, settings))
}

/// `POST /v1/shops/{shop}/referrals/preferences`: `{"show_name": true}` lets friends see the
/// advocate's first name on the welcome banner.
pub async fn preferences(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (settings, _) = programme(env, shop).await?;
    let origin = cors::check(&req, &settings)?;
    let shopper = authenticate(&req, env, shop)?;
    let body: AdvocatePreferences = read_json(&mut req, BODY_LIMIT).await?;
    let command = Command::Preferences { customer: shopper.customer, show_name: body.show_name };
    object::<bool>(env, shop, &command).await?;
    private(json(&body, 200)?, origin)
}

/// `POST /v1/shops/{shop}/referrals/shares`: `{"channel": "copy"}`, counted for the merchant.
pub async fn share(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (settings, _) = programme(env, shop).await?;
    let origin = cors::check(&req, &settings)?;
    let shopper = authenticate(&req, env, shop)?;
    let _: ShareRequest = read_json(&mut req, BODY_LIMIT).await?;
    limit(env, shop, "share", &format!("c:{}", shopper.customer), SHARES).await?;
    let secret = token_secret(env, shop)?;
    let now = now();
    let command =
        Command::Share { customer: shopper.customer, network: network(&req, &secret, now), now };
    object::<bool>(env, shop, &command).await?;
    private(json(&json!({ "counted": true }), 200)?, origin)
}

fn code_param(code: &str) -> Result<String, ApiError> {
    normalise_referral_code(code).ok_or_else(|| {
        ApiError::not_found("referral_code_not_found", "no referral code with this value")
    })
}

/// `GET /v1/shops/{shop}/referrals/codes/{code}`: what the welcome banner shows a friend.
pub async fn invitation(env: &Env, shop: &ShopId, code: &str) -> Result<Response, ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    let code = code_param(code)?;
    let advocate: Option<String> =
        object(env, shop, &Command::Invitation { code: code.clone() }).await?;
    let body = Invitation { code, shop_name: settings.name, offer: rules.friend_offer, advocate };
    let mut resp = json(&body, 200)?;
    resp.headers_mut().set("cache-control", "public, max-age=60")?;
    Ok(cors::public(resp)?)
}

/// `POST /v1/shops/{shop}/referrals/claims`: `{"code", "email", "first_name"?}`: 201 with the
/// friend's single-use discount code; the same friend again gets the same code (200).
pub async fn claim(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    let origin = cors::check(&req, &settings)?;
    let body: ClaimRequest = read_json(&mut req, BODY_LIMIT).await?;
    let code = code_param(&body.code)?;
    let email = normalise_email(&body.email).ok_or_else(|| {
        ApiError::bad_request("invalid_field", "`email` must be an e-mail address")
    })?;
    let friend_name = match body.first_name.as_deref() {
        Some(name) if name.chars().count() > 100 => {
            return Err(ApiError::bad_request("invalid_field", "`first_name` is too long"))
        }
        Some(name) => first_name(name),
        None => None,
    };
    limit(env, shop, "referral-claim", &address_subject(&req, shop), CLAIMS).await?;
    let secret = token_secret(env, shop)?;
    let now = now();
    let command = Command::Claim {
        shop: shop.clone(),
        code,
        email_hash: email_hash(&secret, &email),
        first_name: friend_name,
        network: network(&req, &secret, now),
        offer: rules.friend_offer,
        currency: settings.currency.clone(),
        now,
    };
    let claimed: Claimed = object(env, shop, &command).await?;
    Ok(cors::allow(json(&claimed, 201)?, origin)?)
}

/// `GET /r/{shop}/{code}[?to=URL]`: counts the visit (once per network address, code and day)
/// and sends the visitor to the shop's landing page, or to `to` when it is on one of the shop's
/// origins, with `?ref=CODE`.
pub async fn link(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    code: &str,
) -> Result<Response, ApiError> {
    let (settings, rules) = programme(env, shop).await?;
    let code = code_param(code)?;
    let secret = token_secret(env, shop)?;
    let now = now();
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    let command = Command::Click {
        code: code.clone(),
        network: network(req, &secret, now),
        visitor: keyed_hash(&secret, "visitor", &ip),
        now,
    };
    let known: bool = object(env, shop, &command).await?;
    if !known {
        return Err(ApiError::not_found(
            "referral_code_not_found",
            "no referral code with this value",
        ));
    }
    let params = query(req)?;
    let to = params.get("to").map(String::as_str);
    let destination = rules.destination(to, &code, &settings.allowed_origins);
    let mut resp = Response::empty()?.with_status(302);
    let headers = resp.headers_mut();
    headers.set("location", &destination)?;
    headers.set("cache-control", "no-store")?;
    headers.set("referrer-policy", "no-referrer")?;
    Ok(resp)
}

/// `GET /v1/admin/shops/{shop}/referrals[?status=held|pending|paid|reversed|rejected|refused]`
pub async fn list(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    programme(env, shop).await?;
    let stage = match query(req)?.get("status").map(String::as_str) {
        None => None,
        Some(s) => Some(serde_json::from_value::<Stage>(json!(s)).map_err(|_| {
            ApiError::bad_request(
                "invalid_field",
                "`status` must be held, pending, paid, reversed, rejected or refused",
            )
        })?),
    };
    let listing: Listing = object(env, shop, &Command::List { stage }).await?;
    Ok(json(&listing, 200)?)
}

#[derive(Deserialize)]
struct Decision {
    decision: String,
    #[serde(default)]
    reason: String,
}

/// `PUT /v1/admin/shops/{shop}/referrals/{id}`: `{"decision": "approve" | "reject", "reason"}`
/// for a held referral.
pub async fn decide(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    id: &str,
) -> Result<Response, ApiError> {
    let (_, rules) = programme(env, shop).await?;
    let body: Decision = read_json(&mut req, BODY_LIMIT).await?;
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_field",
                "`decision` must be approve or reject",
            ))
        }
    };
    if body.reason.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`reason` must be at most 500 characters",
        ));
    }
    let command = Command::Decide {
        id: id.to_owned(),
        approve,
        reason: body.reason.trim().to_owned(),
        hold_days: rules.hold_days,
        now: now(),
    };
    let referral: Referral = object(env, shop, &command).await?;
    Ok(json(&referral, 200)?)
}

/// `GET /v1/admin/shops/{shop}/referral-stats[?from=YYYY-MM-DD&to=YYYY-MM-DD]`: the figures
/// per week and in all; the last 12 weeks by default.
pub async fn stats(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    programme(env, shop).await?;
    let params = query(req)?;
    let week = |name: &str, default: i64| match params.get(name) {
        None => Ok(default),
        Some(date) => week_of_date(date).ok_or_else(|| {
            ApiError::bad_request(
                "invalid_field",
                format!("`{name}` must be a date such as 2026-11-30"),
            )
        }),
    };
    let this_week = week_of(now());
    let to = week("to", this_week)?;
    let from = week("from", to - 7 * 11)?;
    if from > to || to - from > 7 * 520 {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`from` must be before `to`, at most 10 years apart",
        ));
    }
    let report: serde_json::Value = object(env, shop, &Command::Stats { from, to }).await?;
    Ok(json(&report, 200)?)
}

/// Pays every shop's due rewards at `now` (the Cron Trigger's scheduled time).
pub async fn payout(env: &Env, now: i64) {
    let Some(shops) = directory::shops(env, directory::Purpose::Referrals).await else { return };
    let Ok(store) = Store::open(env) else {
        return;
    };
    for shop in shops {
        let settings = match store.settings(&shop).await {
            Ok(Some(settings)) if settings.referral.is_some() => settings,
            Ok(_) => continue,
            Err(e) => {
                console_error!("[rapport] referral payout for {shop}: {e:?}");
                continue;
            }
        };
        let loyalty = settings.loyalty.clone().map(|rules| (rules, settings.currency.clone()));
        let command = Command::Payout { shop: shop.clone(), loyalty, now };
        if let Err(e) = object::<usize>(env, &shop, &command).await {
            console_error!("[rapport] referral payout for {shop}: {e:?}");
        }
    }
}

/// Keeps the Cron Trigger's list of shops with a referral programme in step with the settings.
pub async fn register(
    env: &Env,
    shop: &ShopId,
    settings: Option<&ShopSettings>,
) -> Result<(), ApiError> {
    let listed = settings.is_some_and(|s| s.referral.is_some());
    directory::enlist(env, shop, directory::Purpose::Referrals, listed).await
}

/// The customer's referral data for the export.
pub async fn export(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<serde_json::Value, ApiError> {
    object(env, shop, &Command::Export { customer: customer.clone() }).await
}

/// Erases the customer as an advocate and as a friend.
pub async fn forget(env: &Env, shop: &ShopId, customer: &CustomerId) -> Result<(), ApiError> {
    object::<bool>(env, shop, &Command::Forget { customer: customer.clone() }).await.map(|_| ())
}
