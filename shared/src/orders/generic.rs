//! Rapport's own webhook format, for stores on no supported platform. Signed like the others:
//! `X-Rapport-Signature: base64(HMAC-SHA256(secret, raw body))`.
//!
//! ```json
//! {"type": "order", "order": {"id": "1001", "customer": "c-42", "currency": "EUR",
//!   "subtotal": "129.00", "status": "paid", "updated_at": "2026-11-25T10:00:00Z",
//!   "lines": [{"product": "TENT-2P", "quantity": 1}]}}
//! {"type": "refund", "order_id": "1001", "refund_id": "r-1", "amount": "20.00", "currency": "EUR"}
//! {"type": "product", "product": {"sku": "TENT-2P", "title": "Ridgeline Tent"}}
//! {"type": "product_deleted", "sku": "TENT-2P"}
//! ```
//!
//! A history can also come as CSV ([`csv_deliveries`]), one delivery per row, the kind told by
//! the header: orders (`order_id,customer,currency,subtotal,status,updated_at,lines`, lines as
//! `SKU*2;SKU`), refunds (`refund_id,order_id,amount,currency`) or the catalog
//! (`sku,title,url,image_url,price,currency`). Columns are matched by name, in any order.

use serde::Deserialize;

use super::{
    codes, locale_tag, order_id, parse_money, refund_id, FollowUpSignals, Order, OrderError,
    OrderLine, OrderStatus, ReferralSignals,
};
use crate::catalog::{Currency, Product};
use crate::ids::{CustomerId, OrderId, RefundId, Sku};
use crate::time::parse_timestamp;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Raw {
    Order { order: RawOrder },
    Refund { order_id: String, refund_id: String, amount: String, currency: Currency },
    Product { product: serde_json::Value },
    ProductDeleted { sku: String },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrder {
    id: String,
    #[serde(default)]
    customer: Option<CustomerId>,
    currency: Currency,
    subtotal: String,
    status: OrderStatus,
    updated_at: String,
    lines: Vec<OrderLine>,
    /// The buyer's e-mail address: hashed by the Worker, never stored.
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    discount_codes: Vec<String>,
    /// `{"rapport_ref": "CODE"}` attributes the order to a referral.
    #[serde(default)]
    attributes: std::collections::BTreeMap<String, String>,
    /// When the order was fulfilled (shipped, delivered or handed over).
    #[serde(default)]
    fulfilled_at: Option<String>,
    /// Whether the buyer accepted marketing e-mails.
    #[serde(default)]
    accepts_marketing: Option<bool>,
    /// The buyer's language tag.
    #[serde(default)]
    locale: Option<String>,
}

/// A generic delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Order(Order),
    Refund { order_id: OrderId, refund_id: RefundId, amount_minor: i64 },
    Product(Product),
    ProductDeleted(Sku),
}

pub fn delivery(body: &[u8]) -> Result<Delivery, OrderError> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a Rapport delivery: {e}")))?;
    Ok(match raw {
        Raw::Order { order } => Delivery::Order(Order {
            id: order_id("order.id", &order.id)?,
            subtotal_minor: parse_money(&order.subtotal, order.currency.as_str())
                .filter(|m| *m >= 0)
                .ok_or_else(|| {
                    OrderError::new(format!(
                        "subtotal {:?} is not an amount of {}",
                        order.subtotal,
                        order.currency.as_str()
                    ))
                })?,
            updated_at: parse_timestamp(&order.updated_at).ok_or_else(|| {
                OrderError::new(format!("updated_at {:?} is not a timestamp", order.updated_at))
            })?,
            customer: order.customer,
            currency: order.currency,
            lines: order.lines,
            status: order.status,
            follow_up: FollowUpSignals {
                fulfilled_at: order
                    .fulfilled_at
                    .as_deref()
                    .map(|t| {
                        parse_timestamp(t).ok_or_else(|| {
                            OrderError::new(format!("fulfilled_at {t:?} is not a timestamp"))
                        })
                    })
                    .transpose()?,
                marketing: order.accepts_marketing,
                locale: locale_tag(order.locale.as_deref()),
            },
            referral: ReferralSignals {
                discount_codes: codes(order.discount_codes.iter().map(String::as_str)),
                ref_code: order.attributes.get("rapport_ref").cloned(),
                email: order.email.filter(|e| !e.trim().is_empty()),
                ..ReferralSignals::default()
            },
        }),
        Raw::Refund { order_id: order, refund_id: refund, amount, currency } => Delivery::Refund {
            amount_minor: parse_money(&amount, currency.as_str()).filter(|m| *m >= 0).ok_or_else(
                || {
                    OrderError::new(format!(
                        "amount {amount:?} is not an amount of {}",
                        currency.as_str()
                    ))
                },
            )?,
            order_id: order_id("order_id", &order)?,
            refund_id: refund_id("refund_id", &refund)?,
        },
        Raw::Product { product } => {
            // The SKU first, so that a bad one is reported by name rather than as bad JSON.
            if let Some(sku) = product.get("sku").and_then(serde_json::Value::as_str) {
                Sku::parse(sku).map_err(|e| OrderError::id("product.sku", e))?;
            }
            let product: Product = serde_json::from_value(product)
                .map_err(|e| OrderError::new(format!("not a product: {e}")))?;
            Delivery::Product(product.validate().map_err(|e| OrderError::new(e.to_string()))?)
        }
        Raw::ProductDeleted { sku } => {
            Delivery::ProductDeleted(Sku::parse(&sku).map_err(|e| OrderError::id("sku", e))?)
        }
    })
}

/// A CSV row's number (from 1, after the header) and its delivery, or why it was refused.
pub type CsvRow = (usize, Result<Delivery, OrderError>);

/// The kinds of CSV history, told by their header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvKind {
    Orders,
    Refunds,
    Catalog,
}

/// Reads a CSV history: a header row, then one delivery per row. Each row comes back with its
/// number (1 for the first row after the header) and the delivery or why it was refused; a CSV
/// that cannot be read at all, or whose header names no known kind, is an error.
pub fn csv_deliveries(text: &str) -> Result<Vec<CsvRow>, OrderError> {
    let records = crate::csv::parse(text).map_err(|e| OrderError::new(e.to_string()))?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Ok(Vec::new());
    };
    let header: Vec<String> = header.iter().map(|h| h.trim().to_ascii_lowercase()).collect();
    let has = |name: &str| header.iter().any(|h| h == name);
    let kind = if has("refund_id") {
        CsvKind::Refunds
    } else if has("order_id") {
        CsvKind::Orders
    } else if has("sku") && has("title") {
        CsvKind::Catalog
    } else {
        return Err(OrderError::new(
            "the header names no known history: orders need order_id, refunds refund_id, the catalog sku and title",
        ));
    };
    Ok(rows
        .iter()
        .enumerate()
        .map(|(i, (_, fields))| (i + 1, csv_row(kind, &header, fields)))
        .collect())
}

fn csv_row(kind: CsvKind, header: &[String], fields: &[String]) -> Result<Delivery, OrderError> {
    use serde_json::{json, Value};
    let get = |name: &str| -> Option<&str> {
        let i = header.iter().position(|h| h == name)?;
        fields.get(i).map(|f| f.trim()).filter(|f| !f.is_empty())
    };
    let need = |name: &str| get(name).ok_or_else(|| OrderError::new(format!("{name} is empty")));
    let value = match kind {
        CsvKind::Orders => {
            let mut lines = Vec::new();
            for item in need("lines")?.split([';', ' ']).filter(|l| !l.is_empty()) {
                let (product, quantity) = match item.split_once('*') {
                    Some((p, q)) => (
                        p,
                        q.parse::<u32>().map_err(|_| {
                            OrderError::new(format!("quantity in {item:?} is not a whole number"))
                        })?,
                    ),
                    None => (item, 1),
                };
                lines.push(json!({ "product": product, "quantity": quantity }));
            }
            json!({ "type": "order", "order": {
                "id": need("order_id")?, "customer": get("customer"), "currency": need("currency")?,
                "subtotal": need("subtotal")?, "status": need("status")?,
                "updated_at": need("updated_at")?, "lines": lines,
            }})
        }
        CsvKind::Refunds => json!({ "type": "refund",
            "refund_id": need("refund_id")?, "order_id": need("order_id")?,
            "amount": need("amount")?, "currency": need("currency")?,
        }),
        CsvKind::Catalog => {
            let price = match get("price") {
                None => Value::Null,
                Some(amount) => {
                    let currency = need("currency")?;
                    let minor =
                        parse_money(amount, currency).filter(|m| *m >= 0).ok_or_else(|| {
                            OrderError::new(format!(
                                "price {amount:?} is not an amount of {currency}"
                            ))
                        })?;
                    json!({ "amount_minor": minor, "currency": currency })
                }
            };
            let mut product = json!({ "sku": need("sku")?, "title": need("title")? });
            for (field, v) in [("url", get("url")), ("image_url", get("image_url"))] {
                if let Some(v) = v {
                    product[field] = json!(v);
                }
            }
            if !price.is_null() {
                product["price"] = price;
            }
            json!({ "type": "product", "product": product })
        }
    };
    delivery(value.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_histories_of_each_kind() {
        let orders = "order_id,customer,currency,subtotal,status,updated_at,lines\n\
            1001,c-42,EUR,129.00,paid,2026-11-25T10:00:00Z,TENT-2P*2;MUG\n\
            1002,,EUR,5.00,paid,2026-11-25,MUG\n\
            1003,c-1,EUR,12.345,paid,2026-11-25,MUG\n\
            1004,c-1,EUR,5.00,paid,2026-11-25,MUG*two\n";
        let rows = csv_deliveries(orders).unwrap();
        assert_eq!(rows.len(), 4);
        let Ok(Delivery::Order(o)) = &rows[0].1 else { panic!("an order") };
        assert_eq!((o.subtotal_minor, o.lines.len(), o.lines[0].quantity), (12_900, 2, 2));
        assert_eq!(o.customer.as_ref().map(|c| c.as_str()), Some("c-42"));
        let Ok(Delivery::Order(guest)) = &rows[1].1 else { panic!("a guest order") };
        assert_eq!(guest.customer, None);
        assert_eq!(rows[2].0, 3);
        assert!(rows[2].1.is_err(), "three decimals of EUR");
        assert!(rows[3].1.is_err(), "a quantity that is not a number");

        let refunds = "order_id,refund_id,amount,currency\n1001,r-1,20.00,EUR\n";
        assert_eq!(
            csv_deliveries(refunds).unwrap()[0].1,
            Ok(Delivery::Refund {
                order_id: OrderId::parse("1001").unwrap(),
                refund_id: RefundId::parse("r-1").unwrap(),
                amount_minor: 2_000
            })
        );
        let catalog = "SKU,Title,Price,Currency,URL\nTENT-2P,\"Ridgeline Tent, 2P\",349.00,EUR,/tent\nBAD/SKU,Nope,,,\n";
        let rows = csv_deliveries(catalog).unwrap();
        let Ok(Delivery::Product(p)) = &rows[0].1 else { panic!("a product") };
        assert_eq!(
            (p.title.as_str(), p.price.as_ref().map(|m| m.amount_minor)),
            ("Ridgeline Tent, 2P", Some(34_900))
        );
        assert_eq!(p.url.as_deref(), Some("/tent"));
        assert!(rows[1].1.is_err());
        assert!(csv_deliveries("name,email\nx,y\n").is_err());
        assert!(csv_deliveries("").unwrap().is_empty());
    }

    #[test]
    fn reads_each_kind() {
        let order = br#"{"type":"order","order":{"id":"1001","customer":"c-42","currency":"EUR","subtotal":"129.00","status":"paid","updated_at":"2026-11-25T10:00:00Z","lines":[{"product":"TENT-2P","quantity":1}]}}"#;
        let Delivery::Order(o) = delivery(order).unwrap() else { panic!("an order") };
        assert_eq!((o.subtotal_minor, o.status, o.lines.len()), (12_900, OrderStatus::Paid, 1));
        let refund = br#"{"type":"refund","order_id":"1001","refund_id":"r-1","amount":"20.00","currency":"EUR"}"#;
        assert_eq!(
            delivery(refund).unwrap(),
            Delivery::Refund {
                order_id: OrderId::parse("1001").unwrap(),
                refund_id: RefundId::parse("r-1").unwrap(),
                amount_minor: 2_000
            }
        );
        assert!(matches!(
            delivery(br#"{"type":"product","product":{"sku":"TENT-2P","title":"Tent"}}"#),
            Ok(Delivery::Product(_))
        ));
        assert!(matches!(
            delivery(br#"{"type":"product_deleted","sku":"TENT-2P"}"#),
            Ok(Delivery::ProductDeleted(_))
        ));
    }

    #[test]
    fn fulfilment_consent_and_language() {
        let body = br#"{"type":"order","order":{"id":"1001","customer":"c-42","currency":"EUR","subtotal":"129.00","status":"paid","updated_at":"2026-11-25T10:00:00Z","lines":[{"product":"TENT-2P","quantity":1}],"fulfilled_at":"2026-11-27T09:00:00Z","accepts_marketing":true,"locale":"sv"}}"#;
        let Delivery::Order(o) = delivery(body).unwrap() else { panic!("an order") };
        assert_eq!(o.follow_up.fulfilled_at, Some(1_795_770_000));
        assert_eq!(
            (o.follow_up.marketing, o.follow_up.locale.as_deref()),
            (Some(true), Some("sv"))
        );
        let bad = String::from_utf8_lossy(body).replace("2026-11-27T09:00:00Z", "soon");
        let e = delivery(bad.as_bytes()).unwrap_err();
        assert!(e.0.contains("fulfilled_at"), "{e:?}");
    }

    #[test]
    fn refuses_what_is_not_quite_right() {
        let bad: &[&[u8]] = &[
            br#"{"type":"gift"}"#,
            br#"{"type":"order","order":{"id":"1","currency":"EUR","subtotal":"-5.00","status":"paid","updated_at":"2026-11-25","lines":[]}}"#,
            br#"{"type":"order","order":{"id":"1","currency":"EUR","subtotal":"5.001","status":"paid","updated_at":"2026-11-25","lines":[]}}"#,
            br#"{"type":"order","order":{"id":"1","currency":"EUR","subtotal":"5.00","status":"shipped","updated_at":"2026-11-25","lines":[]}}"#,
            br#"{"type":"order","order":{"id":"1","currency":"EUR","subtotal":"5.00","status":"paid","updated_at":"soon","lines":[]}}"#,
            br#"{"type":"order","order":{"id":"1","currency":"EUR","subtotal":"5.00","status":"paid","updated_at":"2026-11-25","lines":[{"product":"A/B","quantity":1}]}}"#,
            br#"{"type":"product","product":{"sku":"OK","title":""}}"#,
            b"not json",
        ];
        for body in bad {
            assert!(delivery(body).is_err(), "{}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn every_id_is_checked_and_named() {
        let order = |id: &str| {
            format!(
                r#"{{"type":"order","order":{{"id":{id},"currency":"EUR","subtotal":"5.00","status":"paid","updated_at":"2026-11-25","lines":[]}}}}"#
            )
        };
        let refund = |order_id: &str, refund_id: &str| {
            format!(
                r#"{{"type":"refund","order_id":{order_id},"refund_id":{refund_id},"amount":"1.00","currency":"EUR"}}"#
            )
        };
        let long = format!("{:?}", "9".repeat(65));
        let cases = [
            (order(r#""""#), "order.id must not be empty"),
            (order(r#""   ""#), "order.id must not contain ' '"),
            (order(r#""10/01""#), "order.id must not contain '/'"),
            (order(&long), "order.id must be at most 64 characters"),
            (refund(r#""""#, r#""r-1""#), "order_id must not be empty"),
            (refund(r#""1001""#, r#""""#), "refund_id must not be empty"),
            (refund(r#""1001""#, r#"" ""#), "refund_id must not contain ' '"),
            (refund(r#""1001""#, r#""r/1""#), "refund_id must not contain '/'"),
            (
                r#"{"type":"product","product":{"sku":"","title":"T"}}"#.to_owned(),
                "product.sku must not be empty",
            ),
            (
                r#"{"type":"product","product":{"sku":"A/B","title":"T"}}"#.to_owned(),
                "product.sku must not contain '/'",
            ),
            (r#"{"type":"product_deleted","sku":" "}"#.to_owned(), "sku must not contain ' '"),
        ];
        for (body, want) in cases {
            assert_eq!(delivery(body.as_bytes()), Err(OrderError(want.to_owned())), "{body}");
        }
        // A CSV history is read through the same parser.
        let rows =
            csv_deliveries("order_id,refund_id,amount,currency\n1001,r 1,2.00,EUR\n").unwrap();
        assert_eq!(rows[0].1, Err(OrderError("refund_id must not contain ' '".to_owned())));
    }
}
