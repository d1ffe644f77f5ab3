//! The public reviews read path: one KV read in the common case.

use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::reviews::ProductReviews;
use worker::{Env, Response};

use crate::cors;
use crate::error::ApiError;
use crate::http::json;
use crate::store::Store;

/// Shoppers may see a new review up to this many seconds late; in exchange, browsers and
/// Cloudflare's cache absorb repeat views of a popular product.
const CACHE_SECONDS: u32 = 60;

pub async fn product_reviews(env: &Env, shop: &ShopId, sku: &Sku) -> Result<Response, ApiError> {
    let store = Store::open(env)?;
    let page = match store.product_reviews(shop, sku).await? {
        Some(page) => page,
        // No page yet: either a catalog product nobody has reviewed, or nothing at all.
        None if store.product(shop, sku).await?.is_some() => ProductReviews::empty(sku),
        None => {
            store.existing_shop(shop).await?;
            return Err(ApiError::not_found(
                "product_not_found",
                "no product with this SKU",
            ));
        }
    };
    let mut resp = json(&page, 200)?;
    resp.headers_mut()
        .set("cache-control", &format!("public, max-age={CACHE_SECONDS}"))?;
    Ok(cors::public(resp)?)
}
