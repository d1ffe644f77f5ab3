//! WooCommerce's REST order object, which its `order.created` / `order.updated` webhooks carry.
//! An order counts as paid once it is `processing` or `completed`; `cancelled`, `refunded` and
//! `failed` reverse it.

use serde::Deserialize;

use super::{
    address_line, codes, locale_tag, numeric_id, order_id, parse_money, sum_money, FollowUpSignals,
    Order, OrderError, OrderLine, OrderStatus, ReferralSignals,
};
use crate::catalog::Currency;
use crate::ids::{CustomerId, Sku};
use crate::time::parse_timestamp;

#[derive(Deserialize)]
struct RawOrder {
    id: u64,
    status: String,
    currency: String,
    #[serde(default)]
    customer_id: u64,
    #[serde(default)]
    date_modified_gmt: Option<String>,
    /// Set when the order reaches `completed` (fulfilled).
    #[serde(default)]
    date_completed_gmt: Option<String>,
    #[serde(default)]
    line_items: Vec<RawLine>,
    #[serde(default)]
    billing: Option<RawBilling>,
    #[serde(default)]
    shipping: Option<RawShipping>,
    #[serde(default)]
    coupon_lines: Vec<RawCoupon>,
    /// Order meta: `rapport_ref` (or `_rapport_ref`) is set here by the shop's plugin.
    #[serde(default)]
    meta_data: Vec<RawMeta>,
}

#[derive(Deserialize)]
struct RawBilling {
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
struct RawShipping {
    #[serde(default)]
    address_1: Option<String>,
    #[serde(default)]
    postcode: Option<String>,
    #[serde(default)]
    country: Option<String>,
}

#[derive(Deserialize)]
struct RawCoupon {
    code: String,
}

#[derive(Deserialize)]
struct RawMeta {
    key: String,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawLine {
    #[serde(default)]
    product_id: u64,
    quantity: u32,
    /// The line total after discounts, before tax.
    total: String,
}

pub fn order(body: &[u8]) -> Result<Order, OrderError> {
    let raw: RawOrder = serde_json::from_slice(body)
        .map_err(|e| OrderError::new(format!("not a WooCommerce order: {e}")))?;
    let currency =
        Currency::try_from(raw.currency.clone()).map_err(|e| OrderError::new(e.to_string()))?;
    let status = match raw.status.as_str() {
        "processing" | "completed" => OrderStatus::Paid,
        "cancelled" | "refunded" | "failed" => OrderStatus::Cancelled,
        _ => OrderStatus::Open,
    };
    let mut totals = Vec::new();
    let mut lines = Vec::new();
    for l in &raw.line_items {
        totals.push(
            parse_money(&l.total, currency.as_str())
                .ok_or_else(|| OrderError::new(format!("line total {:?}", l.total)))?,
        );
        if l.product_id != 0 {
            lines.push(OrderLine {
                product: Sku::parse(&l.product_id.to_string())
                    .map_err(|e| OrderError::new(e.to_string()))?,
                quantity: l.quantity,
            });
        }
    }
    let subtotal_minor = sum_money(totals)
        .ok_or_else(|| OrderError::new("the line totals add up to more than any order"))?;
    let updated_at = raw.date_modified_gmt.as_deref().and_then(parse_timestamp).unwrap_or(0);
    let meta = |keys: &[&str]| {
        let found = raw.meta_data.iter().find(|m| keys.contains(&m.key.as_str()));
        found.and_then(|m| m.value.clone())
    };
    let follow_up = FollowUpSignals {
        // `completed` is WooCommerce's fulfilled.
        fulfilled_at: (raw.status == "completed").then(|| {
            raw.date_completed_gmt.as_deref().and_then(parse_timestamp).unwrap_or(updated_at)
        }),
        // WooCommerce records no consent of its own: the shop's checkout field writes it as
        // order meta (`yes`/`no`, `1`/`0` or a boolean).
        marketing: meta(&["rapport_accepts_marketing", "_rapport_accepts_marketing"]).and_then(
            |v| match v {
                serde_json::Value::Bool(b) => Some(b),
                serde_json::Value::String(s) => match s.as_str() {
                    "yes" | "1" | "true" => Some(true),
                    "no" | "0" | "false" => Some(false),
                    _ => None,
                },
                serde_json::Value::Number(n) => Some(n.as_u64() == Some(1)),
                _ => None,
            },
        ),
        locale: locale_tag(
            meta(&["rapport_locale", "_rapport_locale", "wpml_language"])
                .as_ref()
                .and_then(|v| v.as_str()),
        ),
    };
    Ok(Order {
        id: numeric_id("id", raw.id, order_id)?,
        // Customer 0 is a guest checkout.
        customer: (raw.customer_id != 0)
            .then(|| CustomerId::parse(&raw.customer_id.to_string()))
            .transpose()
            .map_err(|e| OrderError::new(e.to_string()))?,
        currency,
        subtotal_minor,
        lines,
        status,
        updated_at,
        follow_up,
        referral: ReferralSignals {
            discount_codes: codes(raw.coupon_lines.iter().map(|c| c.code.as_str())),
            ref_code: raw
                .meta_data
                .iter()
                .find(|m| m.key == "rapport_ref" || m.key == "_rapport_ref")
                .and_then(|m| m.value.as_ref()?.as_str().map(str::to_owned)),
            email: raw.billing.and_then(|b| b.email).filter(|e| !e.trim().is_empty()),
            shipping_address: raw.shipping.and_then(|s| {
                address_line(s.address_1.as_deref(), s.postcode.as_deref(), s.country.as_deref())
            }),
            ..ReferralSignals::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixture beside the project, from WooCommerce's REST API documentation.
    fn fixture() -> serde_json::Value {
        let path =
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/fixtures/woocommerce/order.json");
        serde_json::from_str(
            &std::fs::read_to_string(path).expect("../shared/fixtures is beside the project"),
        )
        .unwrap()
    }

    #[test]
    fn reads_the_real_order() {
        let o = order(&serde_json::to_vec(&fixture()).unwrap()).unwrap();
        assert_eq!(o.id.as_str(), "727");
        assert_eq!(o.status, OrderStatus::Paid, "processing counts as paid");
        assert_eq!(o.currency.as_str(), "USD");
        assert_eq!(o.subtotal_minor, 1_800);
        let products: Vec<_> = o.lines.iter().map(|l| (l.product.as_str(), l.quantity)).collect();
        assert_eq!(products, [("93", 2), ("22", 1)]);
        assert!(o.updated_at > 0);
        assert_eq!(o.referral.email.as_deref(), Some("john.doe@example.com"));
        assert_eq!(o.referral.shipping_address.as_deref(), Some("969 market|94103|us"));
        assert!(o.referral.discount_codes.is_empty());
    }

    #[test]
    fn coupons_and_the_referral_meta() {
        let mut v = fixture();
        v["coupon_lines"] =
            serde_json::json!([{"id": 1, "code": "RP-AAAAA-BBBBB", "discount": "10.00"}]);
        v["meta_data"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"id": 2, "key": "_rapport_ref", "value": "ABCD-EFGH"}));
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(o.referral.discount_codes, ["RP-AAAAA-BBBBB"]);
        assert_eq!(o.referral.ref_code.as_deref(), Some("ABCD-EFGH"));
    }

    #[test]
    fn completed_is_fulfilled_and_consent_comes_from_the_shops_meta() {
        let real = order(&serde_json::to_vec(&fixture()).unwrap()).unwrap();
        assert_eq!(
            real.follow_up,
            FollowUpSignals::default(),
            "processing: not fulfilled, no consent said"
        );
        let mut v = fixture();
        v["status"] = "completed".into();
        v["date_completed_gmt"] = "2017-03-23T10:00:00".into();
        v["meta_data"].as_array_mut().unwrap().extend([
            serde_json::json!({"id": 1, "key": "_rapport_accepts_marketing", "value": "yes"}),
            serde_json::json!({"id": 2, "key": "wpml_language", "value": "fr"}),
        ]);
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(o.follow_up.fulfilled_at, Some(1_490_263_200));
        assert_eq!(o.follow_up.marketing, Some(true));
        assert_eq!(o.follow_up.locale.as_deref(), Some("fr"));
        v["meta_data"][1]["value"] = "no".into();
        v["date_completed_gmt"] = serde_json::Value::Null;
        let o = order(&serde_json::to_vec(&v).unwrap()).unwrap();
        assert_eq!(
            (o.follow_up.marketing, o.follow_up.fulfilled_at),
            (Some(false), Some(o.updated_at))
        );
    }

    #[test]
    fn statuses_and_guests() {
        let mut v = fixture();
        for (status, want) in [
            ("pending", OrderStatus::Open),
            ("on-hold", OrderStatus::Open),
            ("completed", OrderStatus::Paid),
            ("refunded", OrderStatus::Cancelled),
            ("cancelled", OrderStatus::Cancelled),
        ] {
            v["status"] = status.into();
            assert_eq!(order(&serde_json::to_vec(&v).unwrap()).unwrap().status, want, "{status}");
        }
        v["customer_id"] = 0.into();
        assert_eq!(order(&serde_json::to_vec(&v).unwrap()).unwrap().customer, None);
    }
}
