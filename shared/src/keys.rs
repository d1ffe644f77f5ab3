//! The KV key layout, in one place.
//!
//! Every key starts with `{shop}/`: a request for shop A builds its keys from A's parsed
//! [`ShopId`], so it cannot name a key of shop B. Identifiers cannot contain `/` (see
//! [`crate::ids`]), so no key of one kind can collide with a prefix of another.

use crate::ids::{CustomerId, OrderKey, ReviewId, ShopId, Sku};

/// `{shop}/settings`: the shop's [`crate::catalog::ShopSettings`]; its presence means the shop exists.
pub fn shop_settings(shop: &ShopId) -> String {
    format!("{shop}/settings")
}

/// `{shop}/product-deleted/{sku}`: when the platform deleted the product (Unix seconds), kept a
/// while so a late update from before the deletion does not bring it back.
pub fn product_deleted(shop: &ShopId, sku: &Sku) -> String {
    format!("{shop}/product-deleted/{sku}")
}

/// `{shop}/loyalty-member/{customer}`: the shopper has a loyalty ledger (so a shop's ledgers
/// can be found, to erase them with the shop).
pub fn loyalty_member(shop: &ShopId, customer: &CustomerId) -> String {
    format!("{shop}/loyalty-member/{customer}")
}

/// `{shop}/loyalty-account/{customer}`: the shopper's [`crate::loyalty::AccountSnapshot`], as
/// their ledger last wrote it, for signed-in reads that need not reach the ledger.
pub fn loyalty_account(shop: &ShopId, customer: &CustomerId) -> String {
    format!("{shop}/loyalty-account/{customer}")
}

/// `{shop}/merchant/signed-out`: when the merchant last signed out of the merchant page; sessions
/// issued before it are refused.
pub fn merchant_signed_out(shop: &ShopId) -> String {
    format!("{shop}/merchant/signed-out")
}

/// `{shop}/recs/{list}`: a recommendation list as the batch built it (`similar/{sku}`,
/// `bought-together/{sku}`, `trending`), served as stored.
pub fn recommendations(shop: &ShopId, list: &str) -> String {
    format!("{shop}/recs/{list}")
}

/// `{shop}/product/{sku}`: one catalog [`crate::catalog::Product`].
pub fn product(shop: &ShopId, sku: &Sku) -> String {
    format!("{shop}/product/{sku}")
}

/// `{shop}/review/{sku}/`: the prefix under which a product's reviews live, one key each.
pub fn reviews_prefix(shop: &ShopId, sku: &Sku) -> String {
    format!("{shop}/review/{sku}/")
}

/// `{shop}/review/{sku}/{id}`: one [`crate::reviews::Review`].
pub fn review(shop: &ShopId, sku: &Sku, id: &ReviewId) -> String {
    format!("{}{id}", reviews_prefix(shop, sku))
}

/// `{shop}/reviews-page/{sku}`: the precomputed [`crate::reviews::ProductReviews`] the widget
/// reads in one KV get.
pub fn product_reviews(shop: &ShopId, sku: &Sku) -> String {
    format!("{shop}/reviews-page/{sku}")
}

/// `{shop}/review/`: every review of the shop, for export.
pub fn all_reviews_prefix(shop: &ShopId) -> String {
    format!("{shop}/review/")
}

/// `{shop}/pending/`: the moderation queue, one key per review awaiting the merchant.
pub fn pending_prefix(shop: &ShopId) -> String {
    format!("{shop}/pending/")
}

/// `{shop}/pending/{sku}/{id}`
pub fn pending(shop: &ShopId, sku: &Sku, id: &ReviewId) -> String {
    format!("{}{sku}/{id}", pending_prefix(shop))
}

/// `{shop}/purchase/{customer}/{sku}/`: the orders in which the customer bought the product.
pub fn purchases_prefix(shop: &ShopId, customer: &CustomerId, sku: &Sku) -> String {
    format!("{shop}/purchase/{customer}/{sku}/")
}

/// `{shop}/purchase/{customer}/{sku}/{order}`: one key per paid order and product, so
/// recording or reversing one order never rewrites a key another order wrote.
pub fn purchase(shop: &ShopId, customer: &CustomerId, sku: &Sku, order: &OrderKey) -> String {
    format!("{}{order}", purchases_prefix(shop, customer, sku))
}

/// `{shop}/customer/{customer}/`: an index of what is stored about one customer, so that it can
/// be exported and erased without scanning the shop.
pub fn customer_prefix(shop: &ShopId, customer: &CustomerId) -> String {
    format!("{shop}/customer/{customer}/")
}

/// `{shop}/customer/{customer}/review/{sku}/{id}`: the customer wrote this review.
pub fn customer_review(shop: &ShopId, customer: &CustomerId, sku: &Sku, id: &ReviewId) -> String {
    format!("{}review/{sku}/{id}", customer_prefix(shop, customer))
}

/// `{shop}/customer/{customer}/review/{sku}/`: the reviews the customer wrote of one product.
pub fn customer_reviews_of(shop: &ShopId, customer: &CustomerId, sku: &Sku) -> String {
    format!("{}review/{sku}/", customer_prefix(shop, customer))
}

/// `{shop}/unsubscribed/{email hash}`: the address asked for no more follow-up e-mails (Unix
/// seconds of when). Keyed by the hashed address, so it holds across customer ids and imports.
pub fn unsubscribed(shop: &ShopId, email_hash: &str) -> String {
    format!("{shop}/unsubscribed/{email_hash}")
}

/// `{shop}/customer/{customer}/order/{order}`: the customer placed this order.
pub fn customer_order(shop: &ShopId, customer: &CustomerId, order: &OrderKey) -> String {
    format!("{}order/{order}", customer_prefix(shop, customer))
}

/// `{shop}/webhook-failure/`: refused webhook deliveries, newest first.
pub fn webhook_failures_prefix(shop: &ShopId) -> String {
    format!("{shop}/webhook-failure/")
}

/// `{shop}/webhook-failure/{inverted time}-{nonce}`: the key sorts newest first in a KV list,
/// and is unique, so concurrent failures never overwrite each other.
pub fn webhook_failure(shop: &ShopId, now_ms: u64, nonce: u32) -> String {
    format!("{}{:016x}-{nonce:08x}", webhook_failures_prefix(shop), u64::MAX / 2 - now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_starts_with_its_shop() {
        let shop = ShopId::parse("acme").unwrap();
        let sku = Sku::parse("MUG-1").unwrap();
        let id = ReviewId::parse("r1").unwrap();
        for key in [
            shop_settings(&shop),
            product(&shop, &sku),
            reviews_prefix(&shop, &sku),
            review(&shop, &sku, &id),
            product_reviews(&shop, &sku),
            all_reviews_prefix(&shop),
            pending(&shop, &sku, &id),
            purchase(
                &shop,
                &CustomerId::parse("c1").unwrap(),
                &sku,
                &OrderKey::parse("shopify:1").unwrap(),
            ),
        ] {
            assert!(key.starts_with("acme/"), "{key}");
        }
        assert_eq!(review(&shop, &sku, &id), "acme/review/MUG-1/r1");
    }

    #[test]
    fn newer_failures_sort_first() {
        let shop = ShopId::parse("acme").unwrap();
        assert!(webhook_failure(&shop, 2_000, 0) < webhook_failure(&shop, 1_000, 0));
        assert_ne!(webhook_failure(&shop, 1_000, 1), webhook_failure(&shop, 1_000, 2));
    }

    #[test]
    fn one_shop_prefix_never_covers_another() {
        // "acme" must not list the keys of "acme-outdoor".
        let a = shop_settings(&ShopId::parse("acme").unwrap());
        let b = shop_settings(&ShopId::parse("acme-outdoor").unwrap());
        assert!(!b.starts_with("acme/"));
        assert_ne!(a, b);
    }
}
