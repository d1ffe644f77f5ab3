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

use serde::Deserialize;

use super::{parse_money, Order, OrderError, OrderLine, OrderStatus};
use crate::catalog::{Currency, Product};
use crate::ids::{CustomerId, Sku};
use crate::time::parse_timestamp;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Raw {
    Order { order: RawOrder },
    Refund { order_id: String, refund_id: String, amount: String, currency: Currency },
    Product { product: Product },
    ProductDeleted { sku: Sku },
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
}

/// A generic delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Order(Order),
    Refund { order_id: String, refund_id: String, amount_minor: i64 },
    Product(Product),
    ProductDeleted(Sku),
}

pub fn delivery(body: &[u8]) -> Result<Delivery, OrderError> {
    let raw: Raw = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a Rapport delivery: {e}")))?;
    Ok(match raw {
        Raw::Order { order } => Delivery::Order(Order {
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
            id: order.id,
            customer: order.customer,
            currency: order.currency,
            lines: order.lines,
            status: order.status,
        }),
        Raw::Refund { order_id, refund_id, amount, currency } => Delivery::Refund {
            amount_minor: parse_money(&amount, currency.as_str()).filter(|m| *m >= 0).ok_or_else(
                || {
                    OrderError::new(format!(
                        "amount {amount:?} is not an amount of {}",
                        currency.as_str()
                    ))
                },
            )?,
            order_id,
            refund_id,
        },
        Raw::Product { product } => {
            Delivery::Product(product.validate().map_err(|e| OrderError::new(e.to_string()))?)
        }
        Raw::ProductDeleted { sku } => Delivery::ProductDeleted(sku),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind() {
        let order = br#"{"type":"order","order":{"id":"1001","customer":"c-42","currency":"EUR","subtotal":"129.00","status":"paid","updated_at":"2026-11-25T10:00:00Z","lines":[{"product":"TENT-2P","quantity":1}]}}"#;
        let Delivery::Order(o) = delivery(order).unwrap() else { panic!("an order") };
        assert_eq!((o.subtotal_minor, o.status, o.lines.len()), (12_900, OrderStatus::Paid, 1));
        let refund = br#"{"type":"refund","order_id":"1001","refund_id":"r-1","amount":"20.00","currency":"EUR"}"#;
        assert_eq!(
            delivery(refund).unwrap(),
            Delivery::Refund {
                order_id: "1001".into(),
                refund_id: "r-1".into(),
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
}
