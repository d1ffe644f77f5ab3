//! A customer's data: everything stored about them, exported or erased, through the admin API
//! and the platforms' privacy webhooks.
//!
//! Reviews are kept but anonymised (their text is about the product); purchase records, the link
//! from orders to the customer, the record of their helpful votes and their loyalty ledger
//! (entries, birthday, issued codes) are removed, and so are their referral code, its figures
//! and their claim of a friend's offer. Issued codes stay valid at checkout: their
//! records name no customer.

use std::collections::BTreeSet;

use rapport_shared::ids::{CustomerId, OrderKey, ReviewId, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::orders::OrderState;
use serde_json::json;
use worker::{Env, Response};

use crate::error::ApiError;
use crate::http::json;
use crate::objects::call;
use crate::objects::orders::{self, Command as OrderCommand};
use crate::objects::overview;
use crate::objects::product_reviews::{self as pr, Command as ReviewCommand, Target};
use crate::store::Store;

/// What the index under `{shop}/customer/{customer}/` points at.
struct Holdings {
    reviews: Vec<(Sku, ReviewId)>,
    orders: Vec<OrderKey>,
    /// Purchase keys (customer, product, order).
    purchases: Vec<String>,
    /// The index keys themselves.
    index: Vec<String>,
}

async fn holdings(
    store: &Store,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<Holdings, ApiError> {
    let prefix = keys::customer_prefix(shop, customer);
    let index = store.keys(&prefix).await?;
    let mut reviews = Vec::new();
    let mut orders = Vec::new();
    for key in &index {
        let rest = &key[prefix.len()..];
        if let Some(r) = rest.strip_prefix("review/") {
            if let Some((sku, id)) = r.split_once('/') {
                if let (Ok(sku), Ok(id)) = (Sku::parse(sku), ReviewId::parse(id)) {
                    reviews.push((sku, id));
                }
            }
        } else if let Some(o) = rest.strip_prefix("order/") {
            if let Ok(order) = OrderKey::parse(o) {
                orders.push(order);
            }
        }
    }
    let purchases = store.keys(&format!("{shop}/purchase/{customer}/")).await?;
    Ok(Holdings { reviews, orders, purchases, index })
}

/// `GET /v1/admin/shops/{shop}/customers/{customer}`: everything stored about the customer.
/// `asked`: an address the request for the data names (Shopify's `customers/data_request` does),
/// whose unsubscribe is then reported too.
pub async fn export(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
    asked: Option<&str>,
) -> Result<Response, ApiError> {
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let held = holdings(&store, shop, customer).await?;
    let review_keys: Vec<String> =
        held.reviews.iter().map(|(sku, id)| keys::review(shop, sku, id)).collect();
    let reviews = store.reviews_at(&review_keys).await?;
    let mut order_states = Vec::new();
    for order in &held.orders {
        let state: OrderState = call(
            env,
            orders::BINDING,
            &orders::name(shop, order),
            &OrderCommand::Read { order: order.clone() },
        )
        .await?;
        order_states.push(json!({ "order": order, "state": state }));
    }
    let purchase_prefix = format!("{shop}/purchase/{customer}/");
    let purchases: Vec<_> = held
        .purchases
        .iter()
        .filter_map(|k| k.strip_prefix(&purchase_prefix)?.split_once('/'))
        .map(|(sku, order)| json!({ "product": sku, "order": order }))
        .collect();
    let loyalty = super::loyalty::export(env, shop, customer).await?;
    let referral = super::referrals::export(env, shop, customer).await?;
    let known = loyalty.as_ref().and_then(|l| l.contact.as_ref()).map(|c| c.email.clone());
    let known = known.into_iter().chain(asked.map(str::to_owned));
    let follow_ups = super::follow_ups::export(env, shop, &held.orders, known).await?;
    let body = json!({
        "follow_ups": follow_ups,
        "referral": referral,
        "customer": customer,
        "reviews": reviews,
        "orders": order_states,
        "purchases": purchases,
        "loyalty": loyalty,
    });
    Ok(json(&body, 200)?)
}

/// Erases the customer: reviews anonymised, orders unlinked, purchase records and the index removed.
pub async fn forget(
    env: &Env,
    shop: &ShopId,
    customer: &CustomerId,
) -> Result<serde_json::Value, ApiError> {
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let held = holdings(&store, shop, customer).await?;
    let products: BTreeSet<&Sku> = held.reviews.iter().map(|(sku, _)| sku).collect();
    let mut anonymised = 0usize;
    for sku in products {
        let target = Target { shop: shop.clone(), sku: sku.clone() };
        let command = ReviewCommand::Forget { target, customer: customer.clone() };
        anonymised += call::<_, usize>(env, pr::BINDING, &pr::name(shop, sku), &command).await?;
    }
    // Before the orders: their buyer is detached from the figures without changing them.
    let command = overview::Command::Forget { customer: customer.clone() };
    let _: bool = call(env, overview::BINDING, &overview::name(shop), &command).await?;
    for order in &held.orders {
        let command = OrderCommand::Forget { shop: shop.clone(), order: order.clone() };
        let _: OrderState =
            call(env, orders::BINDING, &orders::name(shop, order), &command).await?;
    }
    for key in held.purchases.iter().chain(&held.index) {
        store.delete(key).await?;
    }
    // After the orders: none of them tells the ledger anything once it is unlinked.
    super::loyalty::forget(env, shop, customer).await?;
    super::referrals::forget(env, shop, customer).await?;
    super::recs::forget(env, shop, customer.as_str()).await?;
    store.delete(&keys::loyalty_member(shop, customer)).await?;
    Ok(json!({
        "reviews_anonymised": anonymised,
        "orders_unlinked": held.orders.len(),
        "purchases_removed": held.purchases.len(),
    }))
}

/// `DELETE /v1/admin/shops/{shop}/customers/{customer}`
pub async fn erase(env: &Env, shop: &ShopId, customer: &CustomerId) -> Result<Response, ApiError> {
    Ok(json(&forget(env, shop, customer).await?, 200)?)
}
