//! The merchant's admin API, authenticated by the shop's admin key.
//!
//! Writes validate the whole body before storing anything: a request is taken whole or refused
//! whole, never half-written.

use std::collections::BTreeMap;

use rapport_shared::catalog::{FieldError, Product, ShopSettings};
use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::reviews::{ProductReviews, Review, ReviewInput};
use rapport_shared::secrets::{admin_key_hash_binding, admin_key_matches};
use serde::Deserialize;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::http::{bearer, json, read_json};
use crate::store::Store;

const SETTINGS_LIMIT: usize = 16 * 1024;
const BATCH_LIMIT: usize = 1024 * 1024;
/// Items per admin batch; keeps each request within the Workers limit on KV operations.
const MAX_BATCH: usize = 200;

fn require_admin(req: &Request, env: &Env, shop: &ShopId) -> Result<(), ApiError> {
    let unauthorized = || ApiError::Unauthorized {
        code: "admin_key_invalid",
        message: "send the shop's admin key as `Authorization: Bearer <key>`".into(),
    };
    let presented = bearer(req).ok_or_else(unauthorized)?;
    // An unconfigured shop answers exactly like a wrong key: no probing for which shops exist.
    let stored = env
        .secret(&admin_key_hash_binding(shop))
        .map_err(|_| unauthorized())?;
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

fn check_batch_len(len: usize) -> Result<(), ApiError> {
    match len {
        0 => Err(ApiError::bad_request(
            "empty_batch",
            "send at least one item",
        )),
        n if n > MAX_BATCH => Err(ApiError::bad_request(
            "batch_too_large",
            format!("send at most {MAX_BATCH} items per request"),
        )),
        _ => Ok(()),
    }
}

/// `PUT /v1/admin/shops/{shop}`
pub async fn put_shop(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let settings = read_json::<ShopSettings>(&mut req, SETTINGS_LIMIT)
        .await?
        .validate()?;
    Store::open(env)?.put_settings(shop, &settings).await?;
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
    let products = batch
        .products
        .into_iter()
        .enumerate()
        .map(|(i, p)| p.validate().map_err(|e| item_error(i, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    for p in &products {
        store.put_product(shop, p).await?;
    }
    Ok(json(&serde_json::json!({ "stored": products.len() }), 200)?)
}

#[derive(Deserialize)]
struct ReviewBatch {
    reviews: Vec<ReviewInput>,
}

/// `POST /v1/admin/shops/{shop}/reviews`: imports reviews (idempotent by review id) and
/// rebuilds each touched product's page from all of its stored reviews.
pub async fn import_reviews(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let batch = read_json::<ReviewBatch>(&mut req, BATCH_LIMIT).await?;
    check_batch_len(batch.reviews.len())?;
    let reviews = batch
        .reviews
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.validate().map_err(|e| item_error(i, e)))
        .collect::<Result<Vec<_>, _>>()?;
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;

    let mut by_product: BTreeMap<Sku, Vec<Review>> = BTreeMap::new();
    for r in reviews {
        by_product.entry(r.product.clone()).or_default().push(r);
    }
    for sku in by_product.keys() {
        if store.product(shop, sku).await?.is_none() {
            return Err(ApiError::bad_request(
                "unknown_product",
                format!("product {sku} is not in the catalog; add it first"),
            ));
        }
    }
    let mut imported = 0;
    for (sku, incoming) in &by_product {
        let mut all: BTreeMap<_, Review> = store
            .reviews(shop, sku)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        for r in incoming {
            store.put_review(shop, r).await?;
            all.insert(r.id.clone(), r.clone());
            imported += 1;
        }
        store
            .put_product_reviews(shop, &ProductReviews::build(sku, all.values()))
            .await?;
    }
    Ok(json(
        &serde_json::json!({ "imported": imported, "products": by_product.len() }),
        200,
    )?)
}
