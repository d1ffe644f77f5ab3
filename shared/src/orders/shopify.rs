//! Shopify's REST `Order`, `Refund` and `Product` objects, as webhook bodies carry them (the bare
//! object, not the `{"order": …}` wrapper of the REST API). Only the fields Rapport uses are
//! read; the rest are ignored. Products are identified by their numeric product id, which is
//! what a theme writes as `product="{{ product.id }}"`.

use serde::Deserialize;

use super::{
    address_line, codes, locale_tag, numeric_id, order_id, parse_money, refund_id, sum_money,
    FollowUpSignals, Order, OrderError, OrderLine, OrderStatus, ReferralSignals,
};
use crate::catalog::{Currency, Money, Product};
use crate::ids::{CustomerId, OrderId, RefundId, Sku};
use crate::time::parse_timestamp;

#[derive(Deserialize)]
struct RawOrder {
    id: u64,
    currency: String,
    #[serde(default)]
    financial_status: Option<String>,
    #[serde(default)]
    cancelled_at: Option<String>,
    #[serde(default)]
    subtotal_price: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    customer: Option<RawCustomer>,
    #[serde(default)]
    line_items: Vec<RawLine>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    discount_codes: Vec<RawDiscountCode>,
    /// Cart attributes: `rapport_ref` is set here by the theme.
    #[serde(default)]
    note_attributes: Vec<RawAttribute>,
    #[serde(default)]
    shipping_address: Option<RawAddress>,
    /// `fulfilled` once every line is.
    #[serde(default)]
    fulfillment_status: Option<String>,
    #[serde(default)]
    fulfillments: Vec<RawFulfillment>,
    /// The consent field of older API versions.
    #[serde(default)]
    buyer_accepts_marketing: Option<bool>,
    #[serde(default)]
    customer_locale: Option<String>,
}

#[derive(Deserialize)]
struct RawFulfillment {
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize)]
struct RawConsent {
    #[serde(default)]
    state: Option<String>,
}

#[derive(Deserialize)]
struct RawDiscountCode {
    code: String,
}

#[derive(Deserialize)]
struct RawAttribute {
    name: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawAddress {
    #[serde(default)]
    address1: Option<String>,
    #[serde(default)]
    zip: Option<String>,
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default)]
    country: Option<String>,
}

#[derive(Deserialize)]
struct RawCustomer {
    id: u64,
    #[serde(default)]
    email_marketing_consent: Option<RawConsent>,
    #[serde(default)]
    accepts_marketing: Option<bool>,
}

#[derive(Deserialize)]
struct RawLine {
    #[serde(default)]
    product_id: Option<u64>,
    quantity: u32,
}

/// An `orders/*` webhook body.
pub fn order(body: &[u8]) -> Result<Order, OrderError> {
    let raw: RawOrder = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a Shopify order: {e}")))?;
    let currency =
        Currency::try_from(raw.currency.clone()).map_err(|e| OrderError::new(e.to_string()))?;
    let subtotal_minor = match raw.subtotal_price.as_deref() {
        Some(s) => parse_money(s, currency.as_str())
            .ok_or_else(|| OrderError::new(format!("subtotal_price {s:?}")))?,
        None => 0,
    };
    let status = if raw.cancelled_at.is_some() {
        OrderStatus::Cancelled
    } else {
        match raw.financial_status.as_deref() {
            Some("paid" | "partially_refunded" | "refunded") => OrderStatus::Paid,
            _ => OrderStatus::Open,
        }
    };
    let updated_at = raw.updated_at.as_deref().and_then(parse_timestamp).unwrap_or(0);
    let lines = raw
        .line_items
        .iter()
        // Custom items (no product) are not catalog products.
        .filter_map(|l| l.product_id.map(|p| (p, l.quantity)))
        .map(|(p, quantity)| {
            Ok(OrderLine {
                product: Sku::parse(&p.to_string()).map_err(|e| OrderError::new(e.to_string()))?,
                quantity,
            })
        })
        .collect::<Result<Vec<_>, OrderError>>()?;
    let follow_up = FollowUpSignals {
        // When the last successful fulfilment completed it (the order's own time if the
        // payload lists none).
        fulfilled_at: (raw.fulfillment_status.as_deref() == Some("fulfilled")).then(|| {
            raw.fulfillments
                .iter()
                .filter(|f| f.status.as_deref().is_none_or(|s| s == "success"))
                .filter_map(|f| f.created_at.as_deref().and_then(parse_timestamp))
                .max()
                .unwrap_or(updated_at)
        }),
        // The consent record when there is one; the older flags otherwise.
        marketing: match raw.customer.as_ref().and_then(|c| c.email_marketing_consent.as_ref()) {
            Some(RawConsent { state: Some(state) }) => Some(state == "subscribed"),
            _ => raw
                .customer
                .as_ref()
                .and_then(|c| c.accepts_marketing)
                .or(raw.buyer_accepts_marketing),
        },
        locale: locale_tag(raw.customer_locale.as_deref()),
    };
    Ok(Order {
        id: numeric_id("id", raw.id, order_id)?,
        customer: raw
            .customer
            .map(|c| CustomerId::parse(&c.id.to_string()))
            .transpose()
            .map_err(|e| OrderError::new(e.to_string()))?,
        currency,
        subtotal_minor,
        lines,
        status,
        updated_at,
        follow_up,
        referral: ReferralSignals {
            discount_codes: codes(raw.discount_codes.iter().map(|c| c.code.as_str())),
            ref_code: raw
                .note_attributes
                .iter()
                .find(|a| a.name == "rapport_ref")
                .and_then(|a| a.value.as_ref()?.as_str().map(str::to_owned)),
            email: raw.email.filter(|e| !e.trim().is_empty()),
            shipping_address: raw.shipping_address.and_then(|a| {
                let country = a.country_code.or(a.country);
                address_line(a.address1.as_deref(), a.zip.as_deref(), country.as_deref())
            }),
            ..ReferralSignals::default()
        },
    })
}

#[derive(Deserialize)]
struct RawRefund {
    id: u64,
    order_id: u64,
    #[serde(default)]
    transactions: Vec<RawTransaction>,
}

#[derive(Deserialize)]
struct RawTransaction {
    amount: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    currency: Option<String>,
}

/// A `refunds/create` body, read before its amount can be priced: the order it belongs to
/// decides the currency, and the order may not have arrived yet.
pub struct Refund {
    pub order_id: OrderId,
    pub refund_id: RefundId,
    transactions: Vec<RawTransaction>,
}

/// Reads a `refunds/create` body.
pub fn refund(body: &[u8]) -> Result<Refund, OrderError> {
    let raw: RawRefund = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a Shopify refund: {e}")))?;
    Ok(Refund {
        order_id: numeric_id("order_id", raw.order_id, order_id)?,
        refund_id: numeric_id("id", raw.id, refund_id)?,
        transactions: raw.transactions,
    })
}

impl Refund {
    /// What was refunded, in minor units of `currency` (a transaction's own currency wins).
    pub fn amount_minor(&self, currency: &str) -> Result<i64, OrderError> {
        let amounts = self
            .transactions
            .iter()
            .filter(|t| {
                t.kind.as_deref() == Some("refund") && t.status.as_deref() != Some("failure")
            })
            .map(|t| {
                parse_money(&t.amount, t.currency.as_deref().unwrap_or(currency))
                    .ok_or_else(|| OrderError::new(format!("refund amount {:?}", t.amount)))
            })
            .collect::<Result<Vec<i64>, OrderError>>()?;
        sum_money(amounts).ok_or_else(|| {
            OrderError::new("the refund's transactions add up to more than any order")
        })
    }
}

#[derive(Deserialize)]
struct RawProduct {
    id: u64,
    title: String,
    #[serde(default)]
    handle: Option<String>,
    #[serde(default)]
    variants: Vec<RawVariant>,
    #[serde(default)]
    images: Vec<RawImage>,
    #[serde(default)]
    image: Option<RawImage>,
    /// `active`, `draft` or `archived`; older payloads leave it out.
    #[serde(default)]
    status: Option<String>,
    /// Absent (older payloads) or a time: published; `null`: hidden from the store.
    #[serde(default, deserialize_with = "present")]
    published_at: Option<Option<String>>,
    #[serde(default)]
    product_type: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    /// Comma-separated.
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
}

#[derive(Deserialize)]
struct RawVariant {
    #[serde(default)]
    price: Option<String>,
    #[serde(default)]
    inventory_quantity: Option<i64>,
    /// `continue`: sold when out of stock.
    #[serde(default)]
    inventory_policy: Option<String>,
    /// `shopify` when Shopify counts the stock; `null` when nobody does.
    #[serde(default)]
    inventory_management: Option<String>,
}

impl RawVariant {
    fn sellable(&self) -> bool {
        self.inventory_management.is_none()
            || self.inventory_policy.as_deref() == Some("continue")
            || self.inventory_quantity.is_none_or(|q| q > 0)
    }
}

#[derive(Deserialize)]
struct RawImage {
    #[serde(default)]
    src: Option<String>,
}

/// Tells a field that is `null` (`Some(None)`) from one that is absent (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Trims a free-text attribute, dropping it when empty.
fn attribute(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A `products/create` or `products/update` body, as a catalog product (priced at its first
/// variant) in the shop's currency.
pub fn product(body: &[u8], currency: &Currency) -> Result<Product, OrderError> {
    let raw: RawProduct = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a Shopify product: {e}")))?;
    let price = raw
        .variants
        .first()
        .and_then(|v| v.price.as_deref())
        .and_then(|p| parse_money(p, currency.as_str()))
        .map(|amount_minor| Money { amount_minor, currency: currency.clone() });
    let image_url = raw
        .image
        .into_iter()
        .chain(raw.images)
        .find_map(|i| i.src)
        .filter(|src| crate::catalog::is_link_url(src));
    let active = raw.status.as_deref().is_none_or(|s| s == "active");
    let published = !matches!(raw.published_at, Some(None));
    let in_stock = raw.variants.is_empty() || raw.variants.iter().any(RawVariant::sellable);
    let tags = raw
        .tags
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .take(crate::catalog::MAX_TAGS)
        .map(str::to_owned)
        .collect();
    Product {
        sku: Sku::parse(&raw.id.to_string()).map_err(|e| OrderError::new(e.to_string()))?,
        title: raw.title,
        url: raw.handle.map(|h| format!("/products/{h}")),
        image_url,
        price,
        available: active && published && in_stock,
        product_type: attribute(raw.product_type),
        vendor: attribute(raw.vendor),
        tags,
        repeat_purchase: false,
        updated_at: raw.updated_at.as_deref().and_then(crate::time::parse_timestamp),
    }
    .validate()
    .map_err(|e| OrderError::new(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixtures beside the project (`../shared/fixtures`), from Shopify's own
    /// shopify_python_api test suite; a webhook body is the object inside the REST wrapper.
    fn fixture(name: &str, key: &str) -> Vec<u8> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/shopify/");
        let text = std::fs::read_to_string(format!("{path}{name}"))
            .expect("../shared/fixtures is beside the project");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        serde_json::to_vec(&v[key]).unwrap()
    }

    #[test]
    fn reads_the_real_order() {
        let o = order(&fixture("order.json", "order")).unwrap();
        assert_eq!(o.id.as_str(), "450789469");
        assert_eq!(o.customer.as_ref().map(|c| c.as_str()), Some("207119551"));
        assert_eq!(o.currency.as_str(), "USD");
        assert_eq!(o.subtotal_minor, 39_800, "subtotal_price \"398.00\"");
        assert_eq!(o.status, OrderStatus::Open, "financial_status is authorized: not paid yet");
        assert_eq!(o.lines.len(), 3);
        assert!(o.lines.iter().all(|l| l.product.as_str() == "632910392" && l.quantity == 1));
        assert_eq!(o.updated_at, 1_199_980_800);
        assert_eq!(o.referral.discount_codes, ["TENOFF"]);
        assert_eq!(o.referral.email.as_deref(), Some("bob.norman@hostmail.com"));
        assert_eq!(o.referral.ref_code, None, "its note attributes name no referral");
        assert!(o
            .referral
            .shipping_address
            .as_deref()
            .is_some_and(|a| a.starts_with("chestnut street 92|40202|")));
        let stored = serde_json::to_string(&o).unwrap();
        assert!(!stored.contains("hostmail") && !stored.contains("Chestnut"), "{stored}");
    }

    #[test]
    fn the_referral_attribute_comes_from_the_cart_attributes() {
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("order.json", "order")).unwrap();
        v["note_attributes"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"name": "rapport_ref", "value": "abcd-efgh"}));
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(o.referral.ref_code.as_deref(), Some("abcd-efgh"));
    }

    #[test]
    fn fulfilment_consent_and_language_for_the_follow_ups() {
        let real = order(&fixture("order.json", "order")).unwrap();
        // Not fulfilled yet; the customer's `accepts_marketing` is false.
        assert_eq!(
            real.follow_up,
            FollowUpSignals { marketing: Some(false), ..Default::default() }
        );
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("order.json", "order")).unwrap();
        v["fulfillment_status"] = "fulfilled".into();
        v["fulfillments"][0]["status"] = "success".into();
        v["customer"]["email_marketing_consent"] = serde_json::json!({"state": "subscribed"});
        v["customer_locale"] = "de-DE".into();
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        // The fulfilment's own time, 2014-01-22T15:58:27-05:00.
        assert_eq!(o.follow_up.fulfilled_at, Some(1_390_424_307));
        assert_eq!(o.follow_up.marketing, Some(true), "the consent record wins over the old flag");
        assert_eq!(o.follow_up.locale.as_deref(), Some("de-DE"));
        v["fulfillments"] = serde_json::json!([]);
        v["customer"]["email_marketing_consent"] = serde_json::json!({"state": "unsubscribed"});
        v["customer_locale"] = "<script>".into();
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(
            o.follow_up.fulfilled_at,
            Some(o.updated_at),
            "no fulfilment listed: the order's time"
        );
        assert_eq!((o.follow_up.marketing, o.follow_up.locale), (Some(false), None));
    }

    #[test]
    fn paid_and_cancelled_orders() {
        let mut v: serde_json::Value =
            serde_json::from_slice(&fixture("order.json", "order")).unwrap();
        v["financial_status"] = "paid".into();
        assert_eq!(order(&serde_json::to_vec(&v).unwrap()).unwrap().status, OrderStatus::Paid);
        v["cancelled_at"] = "2008-01-11T11:00:00-05:00".into();
        assert_eq!(order(&serde_json::to_vec(&v).unwrap()).unwrap().status, OrderStatus::Cancelled);
        assert!(order(b"{\"id\":1}").is_err());
        assert!(order(b"not json").is_err());
    }

    #[test]
    fn reads_the_real_refund_and_product() {
        let r = refund(&fixture("refund.json", "refund")).unwrap();
        assert_eq!(r.order_id.as_str(), "450789469");
        assert!(!r.refund_id.as_str().is_empty());
        assert!(r.amount_minor("USD").unwrap() >= 0);
        let currency = Currency::try_from("USD".to_owned()).unwrap();
        let p = product(&fixture("product.json", "product"), &currency).unwrap();
        assert_eq!(
            (p.sku.as_str(), p.title.as_str(), p.url.as_deref()),
            ("632910392", "IPod Nano - 8GB", Some("/products/ipod-nano"))
        );
        assert_eq!(p.price.map(|m| m.amount_minor), Some(19_900));
        assert_eq!(
            p.image_url.as_deref(),
            Some("http://static.shopify.com/s/files/1/6909/3384/products/ipod-nano.png?0")
        );
        assert!(p.available, "published, 10 in stock");
        assert_eq!(
            (p.product_type.as_deref(), p.vendor.as_deref()),
            (Some("Cult Products"), Some("Apple"))
        );
        assert_eq!(p.tags, ["Emotive", "Flash Memory", "MP3", "Music"]);
    }

    #[test]
    fn a_product_that_cannot_be_bought_is_unavailable() {
        let currency = Currency::try_from("USD".to_owned()).unwrap();
        let with = |changes: serde_json::Value| {
            let mut v: serde_json::Value =
                serde_json::from_slice(&fixture("product.json", "product")).unwrap();
            for (k, x) in changes.as_object().unwrap() {
                v[k] = x.clone();
            }
            product(&serde_json::to_vec(&v).unwrap(), &currency).unwrap().available
        };
        assert!(!with(serde_json::json!({"status": "draft"})));
        assert!(!with(serde_json::json!({"status": "archived"})));
        assert!(!with(serde_json::json!({"published_at": null})), "hidden from the store");
        let sold_out = |policy: &str| {
            serde_json::json!({"variants": [{"price": "1.00", "inventory_quantity": 0,
                "inventory_management": "shopify", "inventory_policy": policy}]})
        };
        assert!(!with(sold_out("deny")));
        assert!(with(sold_out("continue")), "sold on backorder");
        assert!(with(serde_json::json!({"status": "active"})));
    }
}
