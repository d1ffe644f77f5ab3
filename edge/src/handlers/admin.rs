//! The merchant's admin API, authenticated by the shop's admin key.
//!
//! Writes validate the whole body before storing anything: a request is taken whole or refused
//! whole, never half-written.

use std::collections::{BTreeMap, BTreeSet};

use rapport_shared::catalog::{FieldError, Product, ShopSettings};
use rapport_shared::csv;
use rapport_shared::ids::{CustomerId, OrderKey, ReviewId, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::reviews::import::{judge_me, Refusal};
use rapport_shared::reviews::{MerchantReply, Review, ReviewInput, ReviewStatus, Sort};
use rapport_shared::secrets::{admin_key_hash_binding, admin_key_matches};
use rapport_shared::time::iso_date;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::http::{bearer, json, now, query, read_json, read_text};
use crate::objects::call;
use crate::objects::eraser::{self, Command as EraserCommand, Job};
use crate::objects::product_reviews::{self as pr, Command, ReplyChange, Target};
use crate::store::Store;

const SETTINGS_LIMIT: usize = 16 * 1024;
const BATCH_LIMIT: usize = 1024 * 1024;
/// Items per admin batch; keeps each request within the Workers limit on KV operations.
const MAX_BATCH: usize = 200;

pub fn require_admin(req: &Request, env: &Env, shop: &ShopId) -> Result<(), ApiError> {
    let unauthorized = || ApiError::Unauthorized {
        code: "admin_key_invalid",
        message: "send the shop's admin key as `Authorization: Bearer <key>`".into(),
    };
    let presented = bearer(req).ok_or_else(unauthorized)?;
    // An unconfigured shop answers exactly like a wrong key: no probing for which shops exist.
    let stored = env.secret(&admin_key_hash_binding(shop)).map_err(|_| unauthorized())?;
    if admin_key_matches(&presented, &stored.to_string()) {
        Ok(())
    } else {
        Err(unauthorized())
    }
}

/// Turns per-item problems into one 400 naming the item.
fn item_error(index: usize, e: FieldError) -> ApiError {
    ApiError::bad_request("invalid_field", format!("item {index}: {e}"))
}

/// Validates every item of a batch; the first bad one refuses the whole batch.
fn validate_all<T, U>(
    items: Vec<T>,
    validate: impl Fn(T) -> Result<U, FieldError>,
) -> Result<Vec<U>, ApiError> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| validate(item).map_err(|e| item_error(i, e)))
        .collect()
}

fn check_batch_len(len: usize) -> Result<(), ApiError> {
    match len {
        0 => Err(ApiError::bad_request("empty_batch", "send at least one item")),
        n if n > MAX_BATCH => Err(ApiError::bad_request(
            "batch_too_large",
            format!("send at most {MAX_BATCH} items per request"),
        )),
        _ => Ok(()),
    }
}

/// `GET /v1/admin/shops/{shop}`: the shop's settings as stored.
pub async fn get_shop(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(req, env, shop)?;
    Ok(json(&Store::open(env)?.existing_shop(shop).await?, 200)?)
}

/// `PUT /v1/admin/shops/{shop}`
pub async fn put_shop(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let mut settings = read_json::<ShopSettings>(&mut req, SETTINGS_LIMIT).await?.validate()?;
    // The e-mails' links go to the origin the settings were stored through, unless they say.
    if let Some(follow) = settings.follow_ups.as_mut().filter(|f| f.link_base.is_none()) {
        follow.link_base = rapport_shared::referral::url_origin(&req.inner().url());
    }
    Store::open(env)?.put_settings(shop, &settings).await?;
    super::referrals::register(env, shop, Some(&settings)).await?;
    super::follow_ups::register(env, shop, Some(&settings)).await?;
    Ok(json(&settings, 200)?)
}

#[derive(Deserialize)]
struct ProductBatch {
    products: Vec<Product>,
}

/// `PUT /v1/admin/shops/{shop}/products`
pub async fn put_products(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let batch = read_json::<ProductBatch>(&mut req, BATCH_LIMIT).await?;
    check_batch_len(batch.products.len())?;
    let products = validate_all(batch.products, Product::validate)?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    for p in &products {
        store.ensure_reviews_page(shop, &p.sku).await?;
        store.put_product(shop, p).await?;
        super::recs::catalog_put(env, shop, p).await?;
    }
    Ok(json(&json!({ "stored": products.len() }), 200)?)
}

#[derive(Deserialize)]
struct ReviewBatch {
    reviews: Vec<ReviewInput>,
}

/// Sends reviews to their products' objects, which store them and rebuild the pages.
async fn store_reviews(env: &Env, shop: &ShopId, reviews: Vec<Review>) -> Result<usize, ApiError> {
    let mut by_product: BTreeMap<Sku, Vec<Review>> = BTreeMap::new();
    for r in reviews {
        by_product.entry(r.product.clone()).or_default().push(r);
    }
    let products = by_product.len();
    for (sku, reviews) in by_product {
        let target = Target { shop: shop.clone(), sku: sku.clone() };
        let _: usize =
            call(env, pr::BINDING, &pr::name(shop, &sku), &Command::Import { target, reviews })
                .await?;
    }
    Ok(products)
}

/// `POST /v1/admin/shops/{shop}/reviews`: imports reviews, idempotent by review id.
/// `application/json` (`{"reviews": [...]}`) is taken whole or refused whole; `text/csv` (a
/// Judge.me export) takes the good rows and reports each refused row with its reason.
pub async fn import_reviews(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let content_type = req.headers().get("content-type")?.unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("text/csv") {
        return import_csv(req, env, shop).await;
    }
    let batch = read_json::<ReviewBatch>(&mut req, BATCH_LIMIT).await?;
    check_batch_len(batch.reviews.len())?;
    let reviews = validate_all(batch.reviews, ReviewInput::validate)?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let skus: BTreeSet<&Sku> = reviews.iter().map(|r| &r.product).collect();
    for sku in skus {
        if store.product(shop, sku).await?.is_none() {
            return Err(ApiError::bad_request(
                "unknown_product",
                format!("product {sku} is not in the catalog; add it first"),
            ));
        }
    }
    let imported = reviews.len();
    let products = store_reviews(env, shop, reviews).await?;
    Ok(json(&json!({ "imported": imported, "products": products }), 200)?)
}

/// Rows per CSV import request; larger exports are sent in parts.
const MAX_CSV_ROWS: usize = 2000;

/// The largest review export one request may carry.
pub const CSV_LIMIT: usize = 4 * BATCH_LIMIT;

async fn import_csv(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let text = read_text(&mut req, CSV_LIMIT).await?;
    let (taken, refused) = import_judge_me(env, shop, &text).await?;
    Ok(json(&json!({ "taken": taken, "refused": refused }), 200)?)
}

/// Imports a Judge.me CSV export: the reviews taken, and each row refused with its reason.
/// Importing the same file again changes nothing.
pub async fn import_judge_me(
    env: &Env,
    shop: &ShopId,
    text: &str,
) -> Result<(usize, Vec<Refusal>), ApiError> {
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let catalog: BTreeSet<String> = store
        .keys(&format!("{shop}/product/"))
        .await?
        .into_iter()
        .filter_map(|k| k.rsplit('/').next().map(str::to_owned))
        .collect();
    let (rows, refused) = judge_me(text, |sku| catalog.contains(sku.as_str()), now())
        .map_err(|e| ApiError::bad_request("invalid_csv", e.to_string()))?;
    if rows.len() + refused.len() > MAX_CSV_ROWS {
        return Err(ApiError::bad_request(
            "batch_too_large",
            format!("send at most {MAX_CSV_ROWS} rows per request"),
        ));
    }
    let mut reviews = Vec::with_capacity(rows.len());
    for row in rows {
        // Validated while reading; this cannot fail, but a failure would be a refusal, not a 500.
        let mut review = row.review.validate().map_err(|e| item_error(row.line, e))?;
        review.reply = row.reply;
        reviews.push(review);
    }
    let taken = reviews.len();
    store_reviews(env, shop, reviews).await?;
    Ok((taken, refused))
}

/// `GET /v1/admin/shops/{shop}/reviews`: every review (`?format=csv` for a spreadsheet), or the
/// moderation queue with `?status=pending`.
pub async fn list_reviews(req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let params = query(&req)?;
    let pending = match params.get("status").map(String::as_str) {
        None => false,
        Some("pending") => true,
        Some(_) => {
            return Err(ApiError::bad_request("invalid_field", "`status` can only be pending"))
        }
    };
    let reviews = shop_reviews(env, shop, pending).await?;
    match params.get("format").map(String::as_str) {
        None | Some("json") => reviews_file(shop, &reviews, false),
        Some("csv") => reviews_file(shop, &reviews, true),
        Some(_) => Err(ApiError::bad_request("invalid_field", "`format` is json or csv")),
    }
}

/// Every review of the shop, as JSON or as a spreadsheet (CSV).
pub async fn export_reviews(env: &Env, shop: &ShopId, csv: bool) -> Result<Response, ApiError> {
    let reviews = shop_reviews(env, shop, false).await?;
    let mut resp = reviews_file(shop, &reviews, csv)?;
    if !csv {
        resp.headers_mut()
            .set("content-disposition", &format!("attachment; filename=\"{shop}-reviews.json\""))?;
    }
    Ok(resp)
}

fn reviews_file(shop: &ShopId, reviews: &[Review], as_csv: bool) -> Result<Response, ApiError> {
    if !as_csv {
        return Ok(json(&json!({ "reviews": reviews }), 200)?);
    }
    let mut out = csv::row(&[
        "id",
        "product",
        "rating",
        "title",
        "body",
        "author",
        "verified",
        "status",
        "created_at",
        "helpful",
        "reply",
    ]);
    for r in reviews {
        out.push_str(&csv::row(&[
            r.id.to_string(),
            r.product.to_string(),
            r.rating.stars().to_string(),
            r.title.clone(),
            r.body.clone(),
            r.author.clone(),
            r.verified.to_string(),
            serde_json::to_value(r.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            iso_date(r.created_at),
            r.helpful.to_string(),
            r.reply.as_ref().map(|p| p.body.clone()).unwrap_or_default(),
        ]));
    }
    let mut resp = Response::ok(out)?;
    let headers = resp.headers_mut();
    headers.set("content-type", "text/csv; charset=utf-8")?;
    headers.set("content-disposition", &format!("attachment; filename=\"{shop}-reviews.csv\""))?;
    Ok(resp)
}

/// Every review of the shop (or only those awaiting the merchant), newest first.
pub async fn shop_reviews(
    env: &Env,
    shop: &ShopId,
    pending: bool,
) -> Result<Vec<Review>, ApiError> {
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let keys = if pending {
        store
            .keys(&keys::pending_prefix(shop))
            .await?
            .into_iter()
            .map(|k| k.replacen("/pending/", "/review/", 1))
            .collect()
    } else {
        store.keys(&keys::all_reviews_prefix(shop)).await?
    };
    let mut reviews = store.reviews_at(&keys).await?;
    reviews.sort_by(|a, b| Sort::Newest.compare(a, b));
    Ok(reviews)
}

/// What the merchant changes on one review.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReviewUpdate {
    #[serde(default)]
    status: Option<ReviewStatus>,
    /// A reply to publish; `null` removes the reply; absent leaves it as it is.
    #[serde(default, deserialize_with = "present")]
    reply: Option<Option<String>>,
}

/// Tells `"reply": null` (remove) from no `reply` at all (keep).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// `PUT /v1/admin/shops/{shop}/products/{sku}/reviews/{id}`: publish, hold or reject; reply.
pub async fn update_review(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
    review: &ReviewId,
) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let update = read_json::<ReviewUpdate>(&mut req, SETTINGS_LIMIT).await?;
    if update.status.is_none() && update.reply.is_none() {
        return Err(ApiError::bad_request("invalid_field", "send `status`, `reply` or both"));
    }
    let reply = match update.reply {
        None => ReplyChange::Keep,
        Some(None) => ReplyChange::Remove,
        Some(Some(text)) => ReplyChange::Set(new_reply(&text)?),
    };
    let updated = change_review(env, shop, sku, review, update.status, reply).await?;
    Ok(json(&updated, 200)?)
}

/// A reply as the merchant wrote it, checked.
pub fn new_reply(text: &str) -> Result<MerchantReply, ApiError> {
    MerchantReply::new(text, now())
        .map_err(|e| ApiError::bad_request("invalid_field", format!("reply {}", e.problem)))
}

/// Publishes, holds or rejects one review and changes its reply; a review published for the
/// first time earns its author the programme's bonus.
pub async fn change_review(
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
    review: &ReviewId,
    status: Option<ReviewStatus>,
    reply: ReplyChange,
) -> Result<Review, ApiError> {
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    if store.product(shop, sku).await?.is_none() {
        return Err(ApiError::not_found("product_not_found", "no product with this SKU"));
    }
    let target = Target { shop: shop.clone(), sku: sku.clone() };
    let command = Command::Update { target, review: review.clone(), status, reply };
    let updated: Review = call(env, pr::BINDING, &pr::name(shop, sku), &command).await?;
    super::loyalty::review_bonus(env, shop, &settings, &updated).await;
    Ok(updated)
}

#[derive(Deserialize)]
struct Purchase {
    customer: CustomerId,
    sku: Sku,
    /// The order it was bought in (`platform:id`, e.g. `pos:1001`).
    order: OrderKey,
}

#[derive(Deserialize)]
struct PurchaseBatch {
    purchases: Vec<Purchase>,
}

/// `PUT /v1/admin/shops/{shop}/purchases`: records that customers bought products, so their
/// reviews of them are marked verified. Order webhooks record the same.
pub async fn put_purchases(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let batch = read_json::<PurchaseBatch>(&mut req, BATCH_LIMIT).await?;
    check_batch_len(batch.purchases.len())?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    for p in &batch.purchases {
        store.put_purchase(shop, &p.customer, &p.sku, &p.order).await?;
    }
    Ok(json(&json!({ "stored": batch.purchases.len() }), 200)?)
}

/// Starts erasing the shop (or answers the erasure already running): settings first, then every
/// KV key and object the shop has, in resumable steps. Used by `DELETE /v1/admin/shops/{shop}`
/// and Shopify's `shop/redact`.
pub async fn erase_shop(env: &Env, shop: &ShopId) -> Result<Job, ApiError> {
    let command = EraserCommand::Start { shop: shop.clone(), now: now() };
    call(env, eraser::BINDING, &eraser::name(shop), &command).await
}

/// `GET /v1/admin/shops/{shop}/erasure`: keys deleted, objects purged, and when it finished.
pub async fn erasure(env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let job: Job =
        call(env, eraser::BINDING, &eraser::name(shop), &EraserCommand::Progress).await?;
    Ok(json(&job, 200)?)
}
