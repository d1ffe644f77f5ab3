//! Durable Objects: where a write needs one serialised owner, because KV has no transactions,
//! is last-write-wins and takes one write per second per key.
//!
//! - [`product_reviews::ProductReviewsObject`], one per product: the store of record for the
//!   product's reviews and helpful votes. It alone writes the product's KV page, review copies and
//!   moderation-queue entries, coalescing KV writes through its alarm.
//! - [`limiter::LimiterObject`], one per shop and subject: sliding-window rate limits.
//! - [`orders::OrderObject`], [`orders::SHARDS`] per shop, chosen by the order: folds webhook
//!   deliveries exactly once.
//! - [`ledger::LedgerObject`], one per shop and shopper: the loyalty ledger; awards, reversals
//!   and redemptions are serialised there, so a point is neither lost nor spent twice.
//! - [`codes::DiscountCodesObject`], [`codes::SHARDS`] per shop, chosen by the code: issued
//!   discount codes, consumed by the checkout exactly once.
//!
//! - [`referrals::ReferralsObject`], one per shop: the referral programme's advocates, claims,
//!   referrals and figures, so every fraud rule and every reward is decided in one place.
//! - [`recs::RecommendationsObject`], [`recs::SHARDS`] activity shards and one hub per shop:
//!   product views and purchases appended cheaply, the catalog mirror and the batch that writes
//!   the recommendation lists to KV.
//! - [`overview::OverviewObject`], one per shop: the merchant's weekly figures, told by the
//!   product, ledger and order objects as their data changes.
//! - [`directory::DirectoryObject`], one: the shops the Cron Trigger has work for.
//! - [`eraser::ShopEraserObject`], one per shop: erases the shop in resumable steps.
//!
//! The Worker talks to them with one JSON command per request ([`call`]).
//!
//! Objects that keep a view outside themselves (KV keys) follow one rule, so that a crash at any
//! moment leaves either the written view or the mark that it is still to be written: the change,
//! its mark and the alarm that writes the view are stored in one batch ([`put_with_alarm`]), and a
//! mark is cleared only after the view's writes have succeeded.

pub mod codes;
pub mod directory;
pub mod eraser;
pub mod ledger;
pub mod limiter;
pub mod orders;
pub mod overview;
pub mod product_reviews;
pub mod recs;
pub mod referrals;

use rapport_shared::ids::ShopId;
use rapport_shared::secrets::{token_secret_binding, TokenSecret};
use rapport_shared::ErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen::{self, JsCast};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, Env, Request, Response, Storage};

use crate::error::ApiError;

/// Sends `command` to the object named `name` in the namespace bound as `binding`.
pub async fn call<C: Serialize, T: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    command: &C,
) -> Result<T, ApiError> {
    let body = serde_json::to_string(command).map_err(|e| ApiError::Internal(e.to_string()))?;
    let (status, text) = post(env, binding, name, &body).await?;
    let parsed = |what: &str| ApiError::Internal(format!("{binding} answered {what}"));
    if status == 200 {
        return serde_json::from_str(&text).map_err(|e| parsed(&format!("unreadably: {e}")));
    }
    let error =
        serde_json::from_str::<ErrorBody>(&text).map_err(|_| parsed(&status.to_string()))?;
    let error = error.error;
    let relayed = RELAYED.iter().find(|c| **c == error.code);
    Err(match (status, relayed) {
        (400, Some(code)) => ApiError::bad_request(code, error.message),
        (404, Some(code)) => ApiError::not_found(code, error.message),
        (409, Some(code)) => ApiError::Conflict { code, message: error.message },
        (429, _) => ApiError::TooManyRequests { retry_after: error.message.parse().unwrap_or(60) },
        _ => ApiError::Internal(format!("{binding} {status}: {} {}", error.code, error.message)),
    })
}

// The runtime's own namespace and stub, for the one call every command makes: the framework's
// wrappers read the answer's `cf` properties and its body through a stream reader, chunk by
// chunk, which cost a signed-in loyalty read a tenth of its time (ARCHITECTURE.md, "Hot paths").
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    type Namespace;
    #[wasm_bindgen(method, js_name = idFromName)]
    fn id_from_name(this: &Namespace, name: &str) -> JsValue;
    #[wasm_bindgen(method)]
    fn get(this: &Namespace, id: &JsValue) -> ObjectStub;
    type ObjectStub;
    #[wasm_bindgen(method, catch)]
    fn fetch(this: &ObjectStub, url: &str, init: &JsValue) -> Result<js_sys::Promise, JsValue>;
}

/// POSTs `body` to the object `name` of `binding`; its status and body text.
async fn post(env: &Env, binding: &str, name: &str, body: &str) -> Result<(u16, String), ApiError> {
    let failed = |e: JsValue| ApiError::Internal(format!("{binding}: {e:?}"));
    let namespace: Namespace =
        js_sys::Reflect::get(env.as_ref(), &binding.into()).map_err(failed)?.unchecked_into();
    let stub = namespace.get(&namespace.id_from_name(name));
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"method".into(), &"POST".into()).map_err(failed)?;
    js_sys::Reflect::set(&init, &"body".into(), &body.into()).map_err(failed)?;
    let answer: worker::web_sys::Response =
        JsFuture::from(stub.fetch("https://object/", &init).map_err(failed)?)
            .await
            .map_err(failed)?
            .unchecked_into();
    let text = JsFuture::from(answer.text().map_err(failed)?).await.map_err(failed)?;
    Ok((answer.status(), text.as_string().unwrap_or_default()))
}

/// The command a request to an object carries, as [`call`] sent it (JSON text).
pub async fn command<T: DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(format!("command: {e}")))
}

/// Refusals an object makes that reach the caller as they are; anything else is our fault.
const RELAYED: &[&str] = &[
    "review_not_found",
    "already_reviewed",
    "already_voted",
    "reward_not_found",
    "insufficient_points",
    "not_a_date",
    "birthday_already_set",
    "code_not_found",
    "code_already_used",
    "erasure_not_found",
    "referral_code_not_found",
    "referral_not_found",
    "referral_not_held",
    "self_referral",
    "existing_customer",
];

/// The shop's shopper-token secret, which also keys the codes and hashes an object derives.
pub fn token_secret(env: &Env, shop: &ShopId) -> worker::Result<TokenSecret> {
    let binding = token_secret_binding(shop);
    let raw = env.secret(&binding)?.to_string();
    TokenSecret::parse(&raw).map_err(|_| worker::Error::RustError(format!("{binding} is weak")))
}

/// Which of `shards` objects holds `key`: FNV-1a, stable across deployments, unlike the
/// standard library's randomised hasher.
pub fn shard(key: &str, shards: u64) -> u64 {
    let hash = key
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    hash % shards
}

/// An object's answer to a command.
pub fn reply<T: Serialize>(value: &T) -> worker::Result<Response> {
    Response::from_json(value)
}

/// An object's refusal of a command.
pub fn refuse(status: u16, code: &str, message: impl Into<String>) -> worker::Result<Response> {
    Ok(Response::from_json(&ErrorBody::new(code, message))?.with_status(status))
}

/// Stores `entries` and sets the object's alarm to `at_ms` (Unix milliseconds) as one atomic
/// write. Both are issued before either is awaited, and the runtime commits writes issued without
/// an intervening await together: a crash cannot keep the change and lose the alarm that
/// carries it to KV, nor the other way round.
pub async fn put_with_alarm(
    storage: &Storage,
    entries: js_sys::Object,
    at_ms: f64,
) -> worker::Result<()> {
    let raw = storage.as_raw();
    let put = JsFuture::from(raw.put_multiple(entries.into())?);
    let when = js_sys::Date::new(&JsValue::from_f64(at_ms));
    let alarm = JsFuture::from(raw.set_alarm(when, js_sys::Object::new())?);
    put.await?;
    alarm.await?;
    Ok(())
}

/// A new value for a "still to be written" mark: a flush clears a mark only if it still holds
/// the value the flush read, so a change made while the flush ran keeps its own mark.
pub fn mark_token() -> JsValue {
    JsValue::from_f64(js_sys::Math::random())
}

/// `(key, value)` of each entry of a storage listing.
pub fn entries(map: &js_sys::Map) -> Vec<(String, JsValue)> {
    let mut out = Vec::new();
    map.for_each(&mut |value, key| {
        if let Some(key) = key.as_string() {
            out.push((key, value));
        }
    });
    out
}
