//! Every parser of client or platform input, fed arbitrary bytes, strings and JSON: each returns
//! a value or its typed error, and never panics. (A panic in the Worker is an opaque 500.)
//!
//! The JSON generator mixes random values with objects built from the field names the parsers
//! look for, so most cases get past the first `deserialize` and reach the checks behind it.

use proptest::prelude::*;
use rapport_shared::catalog::{Currency, Product, ShopSettings};
use rapport_shared::identity::verify_shopper_token;
use rapport_shared::ids::{CustomerId, OrderKey, ReviewId, ShopId, Sku};
use rapport_shared::loyalty::{normalise_code, BirthdayRequest, LoyaltyRules, RedemptionRequest};
use rapport_shared::orders::{generic, parse_money, shopify, woocommerce};
use rapport_shared::reviews::import::judge_me;
use rapport_shared::reviews::{ReviewInput, ReviewQuery, ReviewSubmission};
use rapport_shared::secrets::TokenSecret;
use rapport_shared::time::parse_timestamp;
use serde_json::{json, Map, Value};

/// Names the parsers read, so generated objects reach past the first field check.
const FIELDS: &[&str] = &[
    "rating",
    "title",
    "body",
    "author",
    "id",
    "customer",
    "currency",
    "subtotal",
    "status",
    "updated_at",
    "lines",
    "product",
    "quantity",
    "type",
    "order",
    "order_id",
    "refund_id",
    "amount",
    "sku",
    "name",
    "locale",
    "allowed_origins",
    "sign_in_url",
    "moderation",
    "loyalty",
    "points_per_unit",
    "signup_bonus",
    "review_bonus",
    "birthday_bonus",
    "rewards",
    "tiers",
    "threshold",
    "multiplier_percent",
    "expiry_days",
    "points",
    "discount",
    "amount_minor",
    "line_items",
    "product_id",
    "financial_status",
    "subtotal_price",
    "total_price",
    "cancelled_at",
    "refunds",
    "transactions",
    "refund_line_items",
    "kind",
    "date_modified_gmt",
    "total",
    "customer_id",
    "created_at",
    "price",
    "variants",
    "month",
    "day",
    "reward",
    "request",
    "reply",
    "verified",
    "handle",
    "url",
    "image_url",
    "email",
    "billing",
];

/// Edge values for numbers and strings, beside the random ones.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1), Just(1 << 53)]
            .prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::from),
        prop_oneof![
            Just(""),
            Just("EUR"),
            Just("JPY"),
            Just("paid"),
            Just("2026-11-20T10:00:00Z"),
            Just("12.00"),
            Just("-0.5"),
            Just("99999999999999999999.99"),
            Just("1e400"),
            Just("-9223372036854775808"),
            Just("TENT*2;MUG"),
        ]
        .prop_map(Value::from),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner.clone()), 0..8).prop_map(
                |pairs| {
                    Value::Object(
                        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>(),
                    )
                }
            ),
            prop::collection::vec((".{0,8}", inner), 0..3)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A body: generated JSON, or arbitrary bytes (invalid UTF-8, truncated JSON, anything).
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => json_value().prop_map(|v| {
            let mut text = serde_json::to_vec(&v).unwrap();
            text.truncate(text.len() / 2);
            text
        }),
    ]
}

/// CSV-ish text: commas, quotes, newlines and arbitrary characters.
fn csv_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        prop::collection::vec(
            prop::collection::vec(
                prop_oneof!["[^,\"\n]{0,12}", "\"[^\"]{0,8}\"?", Just("\"\"".to_owned())],
                0..8
            )
            .prop_map(|cells| cells.join(",")),
            0..6,
        )
        .prop_map(|rows| rows.join(if rows.len() % 2 == 0 { "\n" } else { "\r\n" })),
    ]
}

fn with_header(header: &'static str) -> impl Strategy<Value = String> {
    csv_text().prop_map(move |rows| format!("{header}\n{rows}"))
}

/// Parses `bytes` as `T` the way a handler does; the parser under test runs on what comes out.
fn parsed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

fn eur() -> Currency {
    Currency::try_from("EUR".to_owned()).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ids_parse_or_refuse(s in ".{0,80}") {
        for ok in [
            ShopId::parse(&s).is_ok(),
            Sku::parse(&s).is_ok(),
            CustomerId::parse(&s).is_ok(),
            ReviewId::parse(&s).is_ok(),
            OrderKey::parse(&s).is_ok(),
        ] {
            // Whatever is accepted can be put into a KV key: no separator inside.
            prop_assert!(!ok || !s.contains('/'));
        }
    }

    #[test]
    fn discount_codes_normalise_once(s in ".{0,80}") {
        if let Some(code) = normalise_code(&s) {
            prop_assert_eq!(normalise_code(&code), Some(code.clone()));
        }
    }

    #[test]
    fn tokens_verify_or_refuse(token in prop_oneof![".{0,200}", "[A-Za-z0-9_-]{0,40}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,43}"], now in any::<i64>()) {
        let secret = TokenSecret::parse(&"s".repeat(64)).unwrap();
        let shop = ShopId::parse("acme").unwrap();
        // Nothing generated carries a valid signature.
        prop_assert!(verify_shopper_token(&token, &secret, &shop, now).is_err());
    }

    #[test]
    fn review_submissions(bytes in body()) {
        if let Some(s) = parsed::<ReviewSubmission>(&bytes) {
            let _ = s.check();
        }
    }

    #[test]
    fn review_queries(sort in proptest::option::of(".{0,12}"), rating in proptest::option::of(".{0,12}"), page in proptest::option::of(".{0,12}")) {
        let _ = ReviewQuery::parse(sort.as_deref(), rating.as_deref(), page.as_deref());
    }

    #[test]
    fn imported_reviews_and_judge_me_rows(bytes in body(), text in with_header("title,body,rating,review_date,reviewer_name,reviewer_email,product_id,product_handle,reply,reply_date"), now in any::<i64>()) {
        if let Some(r) = parsed::<ReviewInput>(&bytes) {
            let _ = r.validate();
        }
        let _ = judge_me(&text, |_| true, now);
        let _ = judge_me(&String::from_utf8_lossy(&bytes), |_| false, now);
    }

    #[test]
    fn shop_settings_products_and_programmes(bytes in body()) {
        if let Some(s) = parsed::<ShopSettings>(&bytes) {
            let _ = s.validate();
        }
        if let Some(p) = parsed::<Product>(&bytes) {
            let _ = p.validate();
        }
        if let Some(rules) = parsed::<LoyaltyRules>(&bytes) {
            let _ = rules.validate(&eur());
        }
        let _ = parsed::<RedemptionRequest>(&bytes);
        let _ = parsed::<BirthdayRequest>(&bytes);
    }

    #[test]
    fn order_payloads(bytes in body()) {
        let _ = generic::delivery(&bytes);
        let _ = shopify::order(&bytes);
        if let Ok(refund) = shopify::refund(&bytes) {
            let _ = refund.amount_minor("EUR");
            let _ = refund.amount_minor("JPY");
        }
        let _ = shopify::product(&bytes, &eur());
        let _ = woocommerce::order(&bytes);
    }

    #[test]
    fn order_csv_rows(text in prop_oneof![
        with_header("order_id,customer,currency,subtotal,status,updated_at,lines"),
        with_header("refund_id,order_id,amount,currency"),
        with_header("sku,title,url,image_url,price,currency"),
        csv_text(),
    ]) {
        let _ = generic::csv_deliveries(&text);
        let _ = rapport_shared::csv::parse(&text);
    }

    #[test]
    fn money_and_times(amount in ".{0,30}", currency in prop_oneof![Just("EUR".to_owned()), Just("JPY".to_owned()), Just("BHD".to_owned()), ".{0,4}"], time in ".{0,30}") {
        let _ = parse_money(&amount, &currency);
        let _ = parse_timestamp(&time);
    }

    #[test]
    fn webhook_signatures(secret in prop::collection::vec(any::<u8>(), 0..64), body in prop::collection::vec(any::<u8>(), 0..64), header in proptest::option::of(".{0,64}")) {
        // A random header is never the body's MAC.
        prop_assert!(rapport_shared::webhooks::verify(&secret, &body, header.as_deref()).is_err());
    }
}
