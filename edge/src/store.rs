//! The KV adapter: typed reads and writes of the keys laid out in `rapport_shared::keys`.
//! No rule lives here; callers decide what to write.

use rapport_shared::catalog::{Product, ShopSettings};
use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::reviews::{ProductReviews, Review};
use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::kv::KvStore;
use worker::Env;

use crate::error::ApiError;

/// The KV namespace binding in `wrangler.toml`.
pub const KV_BINDING: &str = "RAPPORT_KV";

pub struct Store {
    kv: KvStore,
}

impl Store {
    pub fn open(env: &Env) -> Result<Self, ApiError> {
        Ok(Self {
            kv: env.kv(KV_BINDING)?,
        })
    }

    async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, ApiError> {
        self.kv.get(key).json::<T>().await.map_err(ApiError::from)
    }

    async fn put<T: Serialize>(&self, key: &str, value: &T) -> Result<(), ApiError> {
        self.kv
            .put(key, value)?
            .execute()
            .await
            .map_err(ApiError::from)
    }

    pub async fn settings(&self, shop: &ShopId) -> Result<Option<ShopSettings>, ApiError> {
        self.get(&keys::shop_settings(shop)).await
    }

    /// The shop's settings, or the 404 every shop-scoped route gives for an unknown shop.
    pub async fn existing_shop(&self, shop: &ShopId) -> Result<ShopSettings, ApiError> {
        self.settings(shop)
            .await?
            .ok_or_else(ApiError::shop_not_found)
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

    pub async fn product_reviews(
        &self,
        shop: &ShopId,
        sku: &Sku,
    ) -> Result<Option<ProductReviews>, ApiError> {
        self.get(&keys::product_reviews(shop, sku)).await
    }

    pub async fn put_product_reviews(
        &self,
        shop: &ShopId,
        page: &ProductReviews,
    ) -> Result<(), ApiError> {
        self.put(&keys::product_reviews(shop, &page.product), page)
            .await
    }

    pub async fn put_review(&self, shop: &ShopId, r: &Review) -> Result<(), ApiError> {
        self.put(&keys::review(shop, &r.product, &r.id), r).await
    }

    /// Every stored review of a product, following KV's list cursor.
    pub async fn reviews(&self, shop: &ShopId, sku: &Sku) -> Result<Vec<Review>, ApiError> {
        let prefix = keys::reviews_prefix(shop, sku);
        let mut names = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.kv.list().prefix(prefix.clone());
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
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            if let Some(r) = self.get::<Review>(&name).await? {
                out.push(r);
            }
        }
        Ok(out)
    }
}
