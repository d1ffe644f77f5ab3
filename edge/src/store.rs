//! The KV adapter for the Worker: typed reads and writes of the keys laid out in
//! `rapport_shared::keys`. No rule lives here; callers decide what to write. Reviews and product
//! pages are written only by the products' Durable Objects (`objects::product_reviews`).

use rapport_shared::catalog::{Product, ShopSettings};
use rapport_shared::ids::{CustomerId, OrderKey, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::loyalty::AccountSnapshot;
use rapport_shared::reviews::{ProductReviews, Review};
use rapport_shared::validator::entity_tag;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::kv::KvStore;
use worker::web_sys::ReadableStream;
use worker::Env;

use crate::error::ApiError;

/// A product page's metadata in KV: the entity tag of the stored text.
#[derive(Serialize, Deserialize)]
struct PageTag {
    etag: String,
}

/// The KV namespace binding in `wrangler.toml`.
pub const KV_BINDING: &str = "RAPPORT_KV";

pub struct Store {
    kv: KvStore,
}

/// How long a product's deletion is remembered.
const DELETION_MEMORY_SECONDS: u64 = 7 * 24 * 3600;

impl Store {
    pub fn open(env: &Env) -> Result<Self, ApiError> {
        Ok(Self { kv: env.kv(KV_BINDING)? })
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.get(key).await
    }

    pub async fn put_json<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        self.put(key, value).await
    }

    /// A value as stored, unparsed: for answers served exactly as they were written.
    pub async fn get_text(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.kv.get(key).text().await.map_err(ApiError::from)
    }

    /// As text, parsed in Rust: the runtime's own JSON parse would make a JavaScript object
    /// that is then read back field by field across the boundary, slower for every key with
    /// more than a few fields (the settings on every shopper request).
    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        match self.get_text(key).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| ApiError::Internal(format!("stored {key}: {e}"))),
        }
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        // As JSON text: handed to KV as a value, a map would become a JS `Map`, stored as `{}`.
        let text = serde_json::to_string(value).map_err(|e| ApiError::Internal(e.to_string()))?;
        self.kv.put(key, text)?.execute().await.map_err(ApiError::from)
    }

    /// The account snapshot the shopper's ledger last wrote, held or not.
    pub async fn account_snapshot(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
    ) -> Result<Option<AccountSnapshot>, ApiError> {
        self.get(&keys::loyalty_account(shop, customer)).await
    }

    pub async fn settings(&self, shop: &ShopId) -> Result<Option<ShopSettings>, ApiError> {
        self.get(&keys::shop_settings(shop)).await
    }

    /// The shop's settings, or the 404 every shop-scoped route gives for an unknown shop.
    pub async fn existing_shop(&self, shop: &ShopId) -> Result<ShopSettings, ApiError> {
        self.settings(shop).await?.ok_or_else(ApiError::shop_not_found)
    }

    pub async fn put_settings(&self, shop: &ShopId, s: &ShopSettings) -> Result<(), ApiError> {
        self.put(&keys::shop_settings(shop), s).await
    }

    pub async fn product(&self, shop: &ShopId, sku: &Sku) -> Result<Option<Product>, ApiError> {
        self.get(&keys::product(shop, sku)).await
    }

    pub async fn put_product(&self, shop: &ShopId, p: &Product) -> Result<(), ApiError> {
        self.put(&keys::product(shop, &p.sku), p).await
    }

    /// The product's stored page as its object wrote it (JSON), for answers that pass it on.
    pub async fn product_reviews_bytes(
        &self,
        shop: &ShopId,
        sku: &Sku,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        self.kv.get(&keys::product_reviews(shop, sku)).bytes().await.map_err(ApiError::from)
    }

    /// The product's stored page as a stream the answer passes on without reading it, and its
    /// entity tag, stored beside it by [`Store::put_reviews_page`] (`None` for a page stored
    /// before tags were).
    pub async fn reviews_page_stream(
        &self,
        shop: &ShopId,
        sku: &Sku,
    ) -> Result<Option<(ReadableStream, Option<String>)>, ApiError> {
        let key = keys::product_reviews(shop, sku);
        let (stream, tag) = self.kv.get(&key).stream_with_metadata::<PageTag>().await?;
        Ok(stream.map(|s| (s, tag.map(|t| t.etag))))
    }

    /// Stores a product's page as JSON text with its entity tag as the key's metadata, so a
    /// read can answer `If-None-Match` and send the page without touching its bytes.
    pub async fn put_reviews_page(
        &self,
        shop: &ShopId,
        sku: &Sku,
        page: &ProductReviews,
    ) -> Result<(), ApiError> {
        let text = serde_json::to_string(page).map_err(|e| ApiError::Internal(e.to_string()))?;
        let etag = entity_tag(text.as_bytes());
        let key = keys::product_reviews(shop, sku);
        self.kv.put(&key, text)?.metadata(PageTag { etag })?.execute().await.map_err(ApiError::from)
    }

    /// Writes the empty page of a product nobody has reviewed, unless it has a page: called
    /// before the product itself is first stored, so no review (and no page of its object)
    /// can exist yet, and a read of its reviews never needs a second KV read.
    pub async fn ensure_reviews_page(&self, shop: &ShopId, sku: &Sku) -> Result<(), ApiError> {
        if self.product_reviews_bytes(shop, sku).await?.is_none() {
            self.put_reviews_page(shop, sku, &ProductReviews::empty(sku)).await?;
        }
        Ok(())
    }

    pub async fn product_reviews(
        &self,
        shop: &ShopId,
        sku: &Sku,
    ) -> Result<Option<ProductReviews>, ApiError> {
        self.get(&keys::product_reviews(shop, sku)).await
    }

    /// Did `customer` buy `sku`? (A paid order containing it is recorded.)
    pub async fn purchased(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        sku: &Sku,
    ) -> Result<bool, ApiError> {
        self.any_under(keys::purchases_prefix(shop, customer, sku)).await
    }

    /// Is there a key under `prefix`?
    async fn any_under(&self, prefix: String) -> Result<bool, ApiError> {
        Ok(!self.kv.list().prefix(prefix).limit(1).execute().await?.keys.is_empty())
    }

    /// Has `customer` reviewed `sku`?
    pub async fn reviewed(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        sku: &Sku,
    ) -> Result<bool, ApiError> {
        self.any_under(keys::customer_reviews_of(shop, customer, sku)).await
    }

    /// When the address hashed as `email_hash` unsubscribed from the shop's follow-up e-mails,
    /// if it did.
    pub async fn unsubscribed_at(
        &self,
        shop: &ShopId,
        email_hash: &str,
    ) -> Result<Option<i64>, ApiError> {
        let at = self.get_text(&keys::unsubscribed(shop, email_hash)).await?;
        Ok(at.map(|t| t.parse().unwrap_or_default()))
    }

    /// Keeps that the address hashed as `email_hash` unsubscribed at `now`.
    pub async fn put_unsubscribed(
        &self,
        shop: &ShopId,
        email_hash: &str,
        now: i64,
    ) -> Result<(), ApiError> {
        let key = keys::unsubscribed(shop, email_hash);
        self.kv.put(&key, now.to_string())?.execute().await.map_err(ApiError::from)
    }

    pub async fn put_purchase(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        sku: &Sku,
        order: &OrderKey,
    ) -> Result<(), ApiError> {
        self.put(&keys::purchase(shop, customer, sku, order), &true).await
    }

    pub async fn delete_purchase(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        sku: &Sku,
        order: &OrderKey,
    ) -> Result<(), ApiError> {
        self.delete(&keys::purchase(shop, customer, sku, order)).await
    }

    pub async fn index_customer_order(
        &self,
        shop: &ShopId,
        customer: &CustomerId,
        order: &OrderKey,
    ) -> Result<(), ApiError> {
        self.put(&keys::customer_order(shop, customer, order), &true).await
    }

    pub async fn delete(&self, key: &str) -> Result<(), ApiError> {
        self.kv.delete(key).await.map_err(ApiError::from)
    }

    /// Stores `p` from a platform's delivery, unless the stored version of the product is newer
    /// (see [`Product::supersedes`]) or the product was deleted after `p` was last changed.
    /// Stores `p` unless a newer version, or its deletion, is already known; answers whether
    /// it was stored.
    pub async fn put_product_if_newer(&self, shop: &ShopId, p: &Product) -> Result<bool, ApiError> {
        if let Some(changed) = p.updated_at {
            let deleted: Option<i64> = self.get(&keys::product_deleted(shop, &p.sku)).await?;
            if deleted.is_some_and(|d| changed <= d) {
                return Ok(false);
            }
        }
        match self.product(shop, &p.sku).await? {
            Some(stored) if !p.supersedes(&stored) => Ok(false),
            Some(_) => self.put_product(shop, p).await.map(|_| true),
            None => {
                self.ensure_reviews_page(shop, &p.sku).await?;
                self.put_product(shop, p).await.map(|_| true)
            }
        }
    }

    /// Removes a product the platform deleted at `now`, remembering when for a few days, the
    /// time a platform goes on retrying older deliveries.
    pub async fn delete_product(&self, shop: &ShopId, sku: &Sku, now: i64) -> Result<(), ApiError> {
        self.kv
            .put(&keys::product_deleted(shop, sku), now)?
            .expiration_ttl(DELETION_MEMORY_SECONDS)
            .execute()
            .await?;
        self.delete(&keys::product(shop, sku)).await
    }

    /// One page of at most `limit` keys under `prefix`, from `cursor`; the cursor for the next
    /// page, or `None` after the last.
    pub async fn keys_page(
        &self,
        prefix: &str,
        cursor: Option<String>,
        limit: u64,
    ) -> Result<(Vec<String>, Option<String>), ApiError> {
        let mut list = self.kv.list().prefix(prefix.to_owned()).limit(limit);
        if let Some(c) = cursor {
            list = list.cursor(c);
        }
        let page = list.execute().await?;
        let next = if page.list_complete { None } else { page.cursor };
        Ok((page.keys.into_iter().map(|k| k.name).collect(), next))
    }

    /// Every key under `prefix`, following KV's list cursor.
    pub async fn keys(&self, prefix: &str) -> Result<Vec<String>, ApiError> {
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.kv.list().prefix(prefix.to_owned());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list.execute().await?;
            names.extend(page.keys.into_iter().map(|k| k.name));
            match page.cursor {
                Some(c) if !page.list_complete => cursor = Some(c),
                _ => break,
            }
        }
        Ok(names)
    }

    /// The KV copies of the reviews under `keys` (written by the products' objects).
    pub async fn reviews_at(&self, keys: &[String]) -> Result<Vec<Review>, ApiError> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(r) = self.get::<Review>(key).await? {
                out.push(r);
            }
        }
        Ok(out)
    }
}
