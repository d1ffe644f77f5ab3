//! Order and catalog webhooks from Shopify and WooCommerce.
//!
//! The signature is checked over the raw body, with the shop's webhook secret, before anything
//! is parsed; a delivery that fails is refused with a 4xx and stores nothing. Orders go to their
//! `OrderObject`, which makes repeated and out-of-order deliveries count once.

use rapport_shared::catalog::{Product, ShopSettings};
use rapport_shared::ids::{CustomerId, OrderId, OrderKey, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::orders::generic::{self, Delivery};
use rapport_shared::orders::{shopify, woocommerce, OrderState};
use rapport_shared::secrets::webhook_secret_binding;
use rapport_shared::webhooks::verify;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request, Response};

use super::customers;
use crate::error::ApiError;
use crate::http::{json, now, read_limited};
use crate::objects::call;
use crate::objects::orders::{self, Command, Event};
use crate::store::Store;

/// Shopify's largest order payloads are a few hundred kilobytes.
const WEBHOOK_LIMIT: usize = 1024 * 1024;

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn refused(code: &'static str, message: &str) -> ApiError {
    ApiError::Unauthorized { code, message: message.to_owned() }
}

/// Reads the body and checks its signature; nothing is parsed before this passes.
async fn signed_body(
    req: &mut Request,
    env: &Env,
    platform: &str,
    shop: &ShopId,
    signature_header: &str,
) -> Result<Vec<u8>, ApiError> {
    let body = read_limited(req, WEBHOOK_LIMIT).await?;
    // An unconfigured shop answers like a wrong signature: no probing for which shops exist.
    let mismatch =
        || refused("signature_mismatch", "the signature does not match this shop's webhook secret");
    let secret =
        env.secret(&webhook_secret_binding(platform, shop)).map_err(|_| mismatch())?.to_string();
    // An empty key is one anybody can sign with: the shop has no usable secret.
    if secret.is_empty() {
        return Err(mismatch());
    }
    verify(secret.as_bytes(), &body, header(req, signature_header).as_deref()).map_err(|e| {
        refused(
            e.code(),
            "send the body signed with the shop's webhook secret (base64 HMAC-SHA256)",
        )
    })?;
    Ok(body)
}

fn invalid(e: rapport_shared::orders::OrderError) -> ApiError {
    ApiError::bad_request("invalid_payload", e.0)
}

async fn apply(
    env: &Env,
    settings: &ShopSettings,
    shop: &ShopId,
    order: OrderKey,
    mut event: Event,
) -> Result<OrderState, ApiError> {
    let name = orders::name(shop, &order);
    let mut contact = None;
    if let Event::Order(o) = &mut event {
        contact = super::follow_ups::contact(settings, o);
        super::referrals::seal(env, shop, o);
    }
    let referral = super::referrals::order_programme(settings);
    let loyalty = settings
        .loyalty
        .clone()
        .map(|rules| orders::Loyalty { rules, currency: settings.currency.clone() });
    let command = Command::Apply { shop: shop.clone(), order, event, loyalty, referral, contact };
    call(env, orders::BINDING, &name, &command).await
}

/// The key of a platform's order id, or the 400 for an id that cannot be one.
fn order_key(platform: &str, order_id: &OrderId) -> Result<OrderKey, ApiError> {
    OrderKey::of(platform, order_id)
        .map_err(|e| ApiError::bad_request("invalid_payload", format!("order id {e}")))
}

/// Applies one generic-format delivery: an order or refund to its order's object, a product to
/// the catalog. Used by the generic webhook and by bulk import alike.
/// A product from a platform: into the catalog unless a newer version is known, and into the
/// recommendations' mirror with it.
async fn put_product(env: &Env, store: &Store, shop: &ShopId, p: &Product) -> Result<(), ApiError> {
    if store.put_product_if_newer(shop, p).await? {
        super::recs::catalog_put(env, shop, p).await?;
    }
    Ok(())
}

async fn delete_product(
    env: &Env,
    store: &Store,
    shop: &ShopId,
    sku: &Sku,
) -> Result<(), ApiError> {
    store.delete_product(shop, sku, now()).await?;
    super::recs::catalog_deleted(env, shop, sku).await
}

pub(super) async fn take_generic(
    env: &Env,
    store: &Store,
    settings: &ShopSettings,
    shop: &ShopId,
    delivery: Delivery,
) -> Result<(), ApiError> {
    let (order_id, event) = match delivery {
        Delivery::Order(order) => (order.id.clone(), Event::Order(order)),
        Delivery::Refund { order_id, refund_id, amount_minor } => {
            (order_id, Event::Refund { refund_id, amount_minor })
        }
        Delivery::Product(product) => return put_product(env, store, shop, &product).await,
        Delivery::ProductDeleted(sku) => return delete_product(env, store, shop, &sku).await,
    };
    apply(env, settings, shop, order_key("generic", &order_id)?, event).await.map(|_| ())
}

fn handled(topic: &str) -> Result<Response, ApiError> {
    Ok(json(&json!({ "handled": topic }), 200)?)
}

#[derive(Deserialize)]
struct Deleted {
    id: u64,
}

/// The part of Shopify's `customers/redact` and `customers/data_request` bodies Rapport needs.
#[derive(Deserialize)]
struct PrivacyRequest {
    customer: PrivacyCustomer,
}

#[derive(Deserialize)]
struct PrivacyCustomer {
    id: u64,
}

/// A webhook handler's answer, and whether the delivery was signed with the shop's secret.
/// Anyone can send an unsigned or forged delivery, so only a signed one's refusal is recorded
/// for the merchant: a flood of forgeries writes nothing.
pub struct Outcome {
    result: Result<Response, ApiError>,
    signed: bool,
}

impl Outcome {
    fn signed(result: Result<Response, ApiError>) -> Self {
        Self { result, signed: true }
    }

    fn unsigned(result: Result<Response, ApiError>) -> Self {
        Self { result, signed: false }
    }
}

/// `POST /v1/webhooks/{shop}/shopify`
pub async fn shopify(mut req: Request, env: &Env, shop: &ShopId) -> Outcome {
    match signed_body(&mut req, env, "shopify", shop, "x-shopify-hmac-sha256").await {
        Ok(body) => Outcome::signed(shopify_signed(&req, env, shop, &body).await),
        Err(e) => Outcome::unsigned(Err(e)),
    }
}

async fn shopify_signed(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    body: &[u8],
) -> Result<Response, ApiError> {
    let topic = header(req, "x-shopify-topic").ok_or_else(|| {
        ApiError::bad_request("topic_missing", "the X-Shopify-Topic header is missing")
    })?;
    if topic == "shop/redact" {
        // Answered even when the shop is already gone: Shopify repeats the request until it
        // gets a 200, and a second erasure of nothing is harmless.
        let job = super::admin::erase_shop(env, shop).await?;
        let progress = format!("/v1/admin/shops/{shop}/erasure");
        return Ok(json(&json!({ "handled": topic, "erasure": job, "progress": progress }), 200)?);
    }
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    match topic.as_str() {
        "orders/create"
        | "orders/updated"
        | "orders/paid"
        | "orders/cancelled"
        | "orders/fulfilled"
        | "orders/partially_fulfilled"
        | "orders/edited" => {
            let order = shopify::order(body).map_err(invalid)?;
            let key = order_key("shopify", &order.id)?;
            apply(env, &settings, shop, key, Event::Order(order)).await?;
        }
        "refunds/create" => {
            let refund = shopify::refund(body).map_err(invalid)?;
            let key = order_key("shopify", &refund.order_id)?;
            // Priced in the order's currency; before the order has arrived, in the shop's.
            let known: OrderState = call(
                env,
                orders::BINDING,
                &orders::name(shop, &key),
                &Command::Read { order: key.clone() },
            )
            .await?;
            let currency =
                known.order.map(|o| o.currency).unwrap_or_else(|| settings.currency.clone());
            let amount_minor = refund.amount_minor(currency.as_str()).map_err(invalid)?;
            let event = Event::Refund { refund_id: refund.refund_id, amount_minor };
            apply(env, &settings, shop, key, event).await?;
        }
        "products/create" | "products/update" => {
            let product = shopify::product(body, &settings.currency).map_err(invalid)?;
            put_product(env, &store, shop, &product).await?;
        }
        "products/delete" => {
            let deleted: Deleted = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request("invalid_payload", e.to_string()))?;
            let sku = Sku::parse(&deleted.id.to_string())
                .map_err(|e| ApiError::bad_request("invalid_payload", e.to_string()))?;
            delete_product(env, &store, shop, &sku).await?;
        }
        "customers/redact" | "customers/data_request" => {
            let request: PrivacyRequest = serde_json::from_slice(body)
                .map_err(|e| ApiError::bad_request("invalid_payload", e.to_string()))?;
            let customer = CustomerId::parse(&request.customer.id.to_string())
                .map_err(|e| ApiError::bad_request("invalid_payload", e.to_string()))?;
            if topic == "customers/redact" {
                let done = customers::forget(env, shop, &customer).await?;
                return Ok(json(&json!({ "handled": topic, "done": done }), 200)?);
            }
            // The data is served on demand to the merchant; no second copy is made.
            let export = format!("/v1/admin/shops/{shop}/customers/{customer}");
            return Ok(json(&json!({ "handled": topic, "export": export }), 200)?);
        }
        other => {
            return Err(ApiError::bad_request(
                "unsupported_topic",
                format!("topic {other:?} is not one Rapport handles"),
            ))
        }
    }
    handled(&topic)
}

/// WooCommerce's ping when a webhook is created: `webhook_id=N`, form-encoded and unsigned.
fn is_ping(body: &[u8]) -> bool {
    std::str::from_utf8(body)
        .ok()
        .and_then(|b| b.strip_prefix("webhook_id="))
        .is_some_and(|id| !id.is_empty() && id.bytes().all(|c| c.is_ascii_digit()))
}

/// `POST /v1/webhooks/{shop}/woocommerce`
pub async fn woocommerce(mut req: Request, env: &Env, shop: &ShopId) -> Outcome {
    if header(&req, "x-wc-webhook-signature").is_none() {
        return Outcome::unsigned(woocommerce_ping(&mut req, env, shop).await);
    }
    match signed_body(&mut req, env, "woocommerce", shop, "x-wc-webhook-signature").await {
        Ok(body) => Outcome::signed(woocommerce_signed(&req, env, shop, &body).await),
        Err(e) => Outcome::unsigned(Err(e)),
    }
}

async fn woocommerce_ping(
    req: &mut Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    let body = read_limited(req, WEBHOOK_LIMIT).await?;
    if is_ping(&body) {
        Store::open(env)?.existing_shop(shop).await?;
        return Ok(json(&json!({ "ping": true }), 200)?);
    }
    Err(refused("signature_missing", "the X-WC-Webhook-Signature header is missing"))
}

async fn woocommerce_signed(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    body: &[u8],
) -> Result<Response, ApiError> {
    let topic = header(req, "x-wc-webhook-topic").ok_or_else(|| {
        ApiError::bad_request("topic_missing", "the X-WC-Webhook-Topic header is missing")
    })?;
    let settings = Store::open(env)?.existing_shop(shop).await?;
    match topic.as_str() {
        "order.created" | "order.updated" | "order.restored" => {
            let order = woocommerce::order(body).map_err(invalid)?;
            let key = order_key("woocommerce", &order.id)?;
            apply(env, &settings, shop, key, Event::Order(order)).await?;
        }
        other => {
            return Err(ApiError::bad_request(
                "unsupported_topic",
                format!("topic {other:?} is not one Rapport handles"),
            ))
        }
    }
    handled(&topic)
}

/// `POST /v1/webhooks/{shop}/generic`: Rapport's own format, for custom stores (see
/// `rapport_shared::orders::generic`).
pub async fn generic(mut req: Request, env: &Env, shop: &ShopId) -> Outcome {
    match signed_body(&mut req, env, "generic", shop, "x-rapport-signature").await {
        Ok(body) => Outcome::signed(generic_signed(env, shop, &body).await),
        Err(e) => Outcome::unsigned(Err(e)),
    }
}

async fn generic_signed(env: &Env, shop: &ShopId, body: &[u8]) -> Result<Response, ApiError> {
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    let delivery = generic::delivery(body).map_err(invalid)?;
    let kind = match &delivery {
        Delivery::Order(_) => "order",
        Delivery::Refund { .. } => "refund",
        Delivery::Product(_) => "product",
        Delivery::ProductDeleted(_) => "product_deleted",
    };
    take_generic(env, &store, &settings, shop, delivery).await?;
    handled(kind)
}

/// Refused deliveries are kept a week, for the merchant to see why a platform's webhooks fail.
const FAILURE_TTL_SECONDS: u64 = 7 * 24 * 3600;
/// Failures the admin API shows.
const FAILURES_SHOWN: u64 = 50;

/// A webhook handler's answer; the refusal (4xx) of a signed delivery is also recorded for the
/// merchant.
pub async fn recorded(
    env: &Env,
    shop: &ShopId,
    platform: &str,
    topic: Option<String>,
    outcome: Outcome,
) -> Result<Response, ApiError> {
    let Outcome { result, signed } = outcome;
    if let (Err(e), true) = (&result, signed) {
        if (400..500).contains(&e.status()) {
            let failure = json!({
                "at": crate::http::now(),
                "platform": platform,
                "topic": topic,
                "status": e.status(),
                "error": e.describe(),
            });
            let nonce = (worker::js_sys::Math::random() * f64::from(u32::MAX)) as u32;
            let key = keys::webhook_failure(shop, worker::js_sys::Date::now() as u64, nonce);
            // Recording is best effort: the platform gets its answer either way.
            if let Ok(kv) = env.kv(crate::store::KV_BINDING) {
                // As JSON text: a `serde_json::Value` handed to KV directly would become a JS Map.
                if let Ok(put) = kv.put(&key, failure.to_string()) {
                    let _ = put.expiration_ttl(FAILURE_TTL_SECONDS).execute().await;
                }
            }
        }
    }
    result
}

/// `GET /v1/admin/shops/{shop}/webhook-failures`: the latest refused deliveries, newest first.
pub async fn failures(env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    Ok(json(&json!({ "failures": recent_failures(env, shop).await? }), 200)?)
}

/// The latest refused deliveries (at most [`FAILURES_SHOWN`]), newest first.
pub async fn recent_failures(env: &Env, shop: &ShopId) -> Result<Vec<serde_json::Value>, ApiError> {
    let kv = env.kv(crate::store::KV_BINDING)?;
    let listed = kv
        .list()
        .prefix(keys::webhook_failures_prefix(shop))
        .limit(FAILURES_SHOWN)
        .execute()
        .await?;
    let mut out = Vec::new();
    for key in listed.keys {
        if let Some(v) = kv.get(&key.name).json::<serde_json::Value>().await? {
            out.push(v);
        }
    }
    Ok(out)
}

/// `GET /v1/admin/shops/{shop}/orders/{order}`: what Rapport knows of an order.
pub async fn read_order(env: &Env, shop: &ShopId, order: &OrderKey) -> Result<Response, ApiError> {
    let state: OrderState = call(
        env,
        orders::BINDING,
        &orders::name(shop, order),
        &Command::Read { order: order.clone() },
    )
    .await?;
    Ok(json(&state, 200)?)
}
