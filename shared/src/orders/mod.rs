//! Orders from the merchant's platform, normalised: who bought which products for how much, and
//! what has happened to the order since (paid, cancelled, refunded).
//!
//! Deliveries repeat and arrive out of order (a refund can come before its order). So nothing
//! downstream acts on an event; it acts on the order's state after the event. [`OrderState`]
//! folds events in any order and any number of times into the same state, and what depends on
//! an order (verified purchases, loyalty points) is a function of that state: the consumer keeps
//! what it has applied for the order and applies only the difference.

pub mod generic;
pub mod shopify;
pub mod woocommerce;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::catalog::minor_digits;
use crate::catalog::{Currency, MAX_AMOUNT_MINOR};
use crate::ids::{CustomerId, IdError, OrderId, RefundId, Sku};

/// A decimal amount as the platforms send it (`"409.94"`) in integer minor units; `None` when
/// it is not one, or is more than [`MAX_AMOUNT_MINOR`] either way.
pub fn parse_money(amount: &str, currency: &str) -> Option<i64> {
    let digits = minor_digits(currency);
    let s = amount.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Extra fraction digits must be zeros: "19.990" is fine for EUR, "19.995" is not money.
    let (kept, rest) = fraction.split_at(fraction.len().min(digits as usize));
    if rest.bytes().any(|b| b != b'0') {
        return None;
    }
    let mut minor: i64 = whole.parse::<i64>().ok()?.checked_mul(10i64.pow(digits))?;
    let kept_value: i64 = if kept.is_empty() { 0 } else { kept.parse().ok()? };
    minor = minor.checked_add(kept_value.checked_mul(10i64.pow(digits - kept.len() as u32))?)?;
    if minor > MAX_AMOUNT_MINOR {
        return None;
    }
    Some(if negative { -minor } else { minor })
}

/// The sum of amounts in minor units, or `None` when it is more than [`MAX_AMOUNT_MINOR`]
/// either way (an order's line totals, a refund's transactions).
pub fn sum_money(amounts: impl IntoIterator<Item = i64>) -> Option<i64> {
    amounts
        .into_iter()
        .try_fold(0i64, |sum, a| sum.checked_add(a))
        .filter(|sum| (-MAX_AMOUNT_MINOR..=MAX_AMOUNT_MINOR).contains(sum))
}

/// One product line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The product as the catalog knows it (the platform's product id).
    pub product: Sku,
    pub quantity: u32,
}

/// Where an order stands on its platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Placed, not (yet) paid.
    Open,
    Paid,
    Cancelled,
}

/// An order, normalised from any platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// The platform's order id.
    pub id: OrderId,
    /// The buyer's customer id on the platform; `None` for a guest checkout.
    pub customer: Option<CustomerId>,
    pub currency: Currency,
    /// What the buyer paid for the products (before shipping and tax), in minor units.
    pub subtotal_minor: i64,
    pub lines: Vec<OrderLine>,
    pub status: OrderStatus,
    /// Unix seconds of the platform's last change, to order updates.
    pub updated_at: i64,
    /// What the order can be attributed to a referral by, and who it came from.
    #[serde(default, skip_serializing_if = "ReferralSignals::is_empty")]
    pub referral: ReferralSignals,
    /// What follow-up e-mails need to know about the order and its buyer.
    #[serde(default, skip_serializing_if = "FollowUpSignals::is_empty")]
    pub follow_up: FollowUpSignals,
}

/// What the follow-up e-mails need from an order: when it was fulfilled, whether the buyer
/// accepted marketing e-mails, and their language, as the platform sent them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpSignals {
    /// Unix seconds of the fulfilment; `None` while the order is not fulfilled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_at: Option<i64>,
    /// `None` when the platform did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marketing: Option<bool>,
    /// The buyer's language tag (`de-DE`), when the platform sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
}

impl FollowUpSignals {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A language tag as a platform sent it, if it looks like one (`de`, `pt-BR`).
pub(crate) fn locale_tag(tag: Option<&str>) -> Option<String> {
    let tag = tag?.trim();
    let ok = (2..=35).contains(&tag.len())
        && tag.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| tag.to_owned())
}

/// What a referral is recognised by on an order: the discount codes used, the `rapport_ref`
/// attribute, and (hashed, never kept raw) the buyer's e-mail and shipping addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralSignals {
    /// The discount codes used on the order, as the platform sent them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub discount_codes: Vec<String>,
    /// The order's `rapport_ref` attribute, as sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_code: Option<String>,
    /// The buyer's e-mail address as the payload has it. Never serialised: the Worker replaces
    /// it with [`ReferralSignals::email_hash`] before the order is stored anywhere.
    #[serde(skip)]
    pub email: Option<String>,
    /// The shipping address as one line (street, postcode, country). Never serialised, like
    /// the e-mail address.
    #[serde(skip)]
    pub shipping_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_hash: Option<String>,
}

impl ReferralSignals {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The most discount codes read from one order.
const MAX_CODES: usize = 10;

/// The discount codes of an order, at most [`MAX_CODES`] of at most 60 characters.
pub(crate) fn codes<'a>(codes: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    codes
        .into_iter()
        .map(str::trim)
        .filter(|c| !c.is_empty() && c.len() <= 60)
        .take(MAX_CODES)
        .map(str::to_owned)
        .collect()
}

/// One line of an address's parts that tell a household: street, postcode, country; `None`
/// when the street is missing.
pub(crate) fn address_line(
    street: Option<&str>,
    postcode: Option<&str>,
    country: Option<&str>,
) -> Option<String> {
    let street = street.map(str::trim).filter(|s| !s.is_empty())?;
    let norm = |s: Option<&str>| {
        s.unwrap_or("").split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
    };
    Some(format!("{}|{}|{}", norm(Some(street)), norm(postcode), norm(country)))
}

/// Why a payload could not be read as an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderError(pub String);

impl OrderError {
    pub(crate) fn new(what: impl Into<String>) -> Self {
        Self(what.into())
    }

    /// A payload's id `field` that is not one: `"id" must not be empty`.
    pub(crate) fn id(field: &str, e: IdError) -> Self {
        Self(format!("{field} {e}"))
    }
}

/// The order id in a payload's `field`, or the error naming the field.
pub(crate) fn order_id(field: &str, id: &str) -> Result<OrderId, OrderError> {
    OrderId::parse(id).map_err(|e| OrderError::id(field, e))
}

/// The refund id in a payload's `field`, or the error naming the field.
pub(crate) fn refund_id(field: &str, id: &str) -> Result<RefundId, OrderError> {
    RefundId::parse(id).map_err(|e| OrderError::id(field, e))
}

/// A platform's numeric id as Rapport's id; 0 is no id at all.
pub(crate) fn numeric_id<T>(
    field: &str,
    id: u64,
    parse: impl Fn(&str, &str) -> Result<T, OrderError>,
) -> Result<T, OrderError> {
    if id == 0 {
        return Err(OrderError::new(format!("{field} 0 is not an id")));
    }
    parse(field, &id.to_string())
}

/// Everything known about one order, from any number of deliveries in any order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    /// The newest version of the order seen (by `updated_at`).
    pub order: Option<Order>,
    /// Ever paid: a later cancellation reverses, it does not un-pay.
    pub paid: bool,
    pub cancelled: bool,
    /// Refunds by the platform's refund id, in minor units.
    pub refunds: BTreeMap<String, i64>,
    /// The customer asked to be forgotten: later deliveries of the order are stored without them.
    #[serde(default)]
    pub customer_forgotten: bool,
    /// When the order was first seen fulfilled (Unix seconds): a later update that no longer
    /// says so does not unfulfil it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfilled_at: Option<i64>,
}

/// Something that happened to an order.
// Built once per delivery and consumed at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderEvent {
    /// A created, updated or paid order.
    Order(Order),
    /// A refund of `amount_minor` (its id makes a repeated delivery harmless).
    Refund { refund_id: RefundId, amount_minor: i64 },
}

impl OrderState {
    /// Folds one event in. Applying the same event twice, or events in another order, gives the
    /// same state.
    pub fn apply(&mut self, event: OrderEvent) {
        match event {
            OrderEvent::Order(mut order) => {
                if self.customer_forgotten {
                    order.customer = None;
                    order.referral.email_hash = None;
                    order.referral.address_hash = None;
                }
                self.paid |= order.status == OrderStatus::Paid;
                self.cancelled |= order.status == OrderStatus::Cancelled;
                if let Some(at) = order.follow_up.fulfilled_at {
                    self.fulfilled_at = Some(self.fulfilled_at.map_or(at, |seen| seen.min(at)));
                }
                let newer = self.order.as_ref().is_none_or(|o| order.updated_at >= o.updated_at);
                if newer {
                    self.order = Some(order);
                }
            }
            OrderEvent::Refund { refund_id, amount_minor } => {
                self.refunds.insert(refund_id.as_str().to_owned(), amount_minor.max(0));
            }
        }
    }

    /// What the buyer has paid and kept, in minor units: the subtotal of a paid order less its
    /// refunds; nothing for an unpaid or cancelled one.
    pub fn net_spent_minor(&self) -> i64 {
        match &self.order {
            Some(order) if self.paid && !self.cancelled => {
                // Each amount is at most MAX_AMOUNT_MINOR, but a delivery can add any number of
                // refunds.
                let refunded = self.refunds.values().fold(0i64, |sum, r| sum.saturating_add(*r));
                order.subtotal_minor.saturating_sub(refunded).max(0)
            }
            _ => 0,
        }
    }

    /// The buyer paid and kept something: paid, not cancelled, not refunded in full. What the
    /// shop's recommendations learn from.
    pub fn kept(&self) -> bool {
        self.order.is_some()
            && self.paid
            && !self.cancelled
            && (self.refunds.is_empty() || self.net_spent_minor() > 0)
    }

    /// Forgets who placed the order; what it was worth stays, so totals do not change.
    pub fn forget_customer(&mut self) {
        self.customer_forgotten = true;
        if let Some(order) = &mut self.order {
            order.customer = None;
            order.referral.email_hash = None;
            order.referral.address_hash = None;
        }
    }

    /// (customer, product) pairs this order makes verified purchases: a paid, not cancelled
    /// order of a known customer.
    pub fn purchases(&self) -> Vec<(CustomerId, Sku)> {
        match (&self.order, self.paid && !self.cancelled) {
            (Some(Order { customer: Some(c), lines, .. }), true) => {
                let mut out: Vec<_> =
                    lines.iter().map(|l| (c.clone(), l.product.clone())).collect();
                out.sort();
                out.dedup();
                out
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_in_minor_units() {
        let table = [
            ("409.94", "USD", Some(40994)),
            ("199", "EUR", Some(19900)),
            ("0.5", "EUR", Some(50)),
            ("19.990", "EUR", Some(1999)),
            ("1200", "JPY", Some(1200)),
            ("1.234", "KWD", Some(1234)),
            ("-5.00", "USD", Some(-500)),
            ("19.995", "EUR", None),
            ("12.5", "JPY", None),
            ("", "EUR", None),
            ("1e3", "EUR", None),
            ("1,00", "EUR", None),
            (".50", "EUR", None),
            ("10000000000000.00", "EUR", Some(MAX_AMOUNT_MINOR)),
            ("10000000000000.01", "EUR", None),
            ("-10000000000000.01", "EUR", None),
            ("92233720368547758.07", "EUR", None),
            ("9223372036854775807", "JPY", None),
            ("99999999999999999999", "EUR", None),
        ];
        for (amount, currency, want) in table {
            assert_eq!(parse_money(amount, currency), want, "{amount} {currency}");
        }
    }

    #[test]
    fn sums_of_money_stay_in_range() {
        assert_eq!(sum_money([1, 2, -3]), Some(0));
        assert_eq!(sum_money([]), Some(0));
        assert_eq!(sum_money([MAX_AMOUNT_MINOR, 0]), Some(MAX_AMOUNT_MINOR));
        assert_eq!(sum_money([MAX_AMOUNT_MINOR, 1]), None);
        assert_eq!(sum_money([i64::MAX, i64::MAX]), None);
        assert_eq!(sum_money([i64::MIN, -1]), None);
    }

    #[test]
    fn many_huge_refunds_take_back_the_order_without_wrapping_around() {
        let mut state = OrderState::default();
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 1)));
        for id in ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"] {
            state.apply(OrderEvent::Refund {
                refund_id: RefundId::parse(id).unwrap(),
                amount_minor: i64::MAX,
            });
        }
        assert_eq!(state.net_spent_minor(), 0);
    }

    fn order(status: OrderStatus, updated_at: i64) -> Order {
        Order {
            id: OrderId::parse("1001").unwrap(),
            customer: Some(CustomerId::parse("c1").unwrap()),
            currency: Currency::try_from("EUR".to_owned()).unwrap(),
            subtotal_minor: 10_000,
            lines: vec![
                OrderLine { product: Sku::parse("TENT").unwrap(), quantity: 1 },
                OrderLine { product: Sku::parse("TENT").unwrap(), quantity: 2 },
            ],
            status,
            updated_at,
            referral: ReferralSignals::default(),
            follow_up: FollowUpSignals::default(),
        }
    }

    #[test]
    fn the_first_fulfilment_seen_stays() {
        let fulfilled = |at| {
            let mut o = order(OrderStatus::Paid, at);
            o.follow_up.fulfilled_at = Some(at);
            OrderEvent::Order(o)
        };
        let mut s = OrderState::default();
        for event in [
            fulfilled(20),
            OrderEvent::Order(order(OrderStatus::Paid, 30)),
            fulfilled(10),
            fulfilled(40),
        ] {
            s.apply(event);
        }
        assert_eq!(s.fulfilled_at, Some(10));
        assert_eq!(s.order.unwrap().updated_at, 40);
    }

    #[test]
    fn any_order_and_any_repetition_of_events_gives_the_same_state() {
        let events = [
            OrderEvent::Order(order(OrderStatus::Open, 1)),
            OrderEvent::Order(order(OrderStatus::Paid, 2)),
            OrderEvent::Refund { refund_id: RefundId::parse("r1").unwrap(), amount_minor: 2_500 },
        ];
        let mut reference = OrderState::default();
        for e in events.clone() {
            reference.apply(e);
        }
        assert_eq!(reference.net_spent_minor(), 7_500);
        // Every permutation, each event delivered twice.
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
        for perm in orders {
            let mut state = OrderState::default();
            for i in perm.iter().chain(perm.iter()) {
                state.apply(events[*i].clone());
            }
            assert_eq!(state, reference, "{perm:?}");
        }
    }

    #[test]
    fn a_refund_before_its_order_still_counts_and_cancellation_reverses() {
        let mut state = OrderState::default();
        state.apply(OrderEvent::Refund {
            refund_id: RefundId::parse("r1").unwrap(),
            amount_minor: 4_000,
        });
        assert_eq!(state.net_spent_minor(), 0, "nothing was paid yet");
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 5)));
        assert_eq!(state.net_spent_minor(), 6_000);
        assert_eq!(state.purchases().len(), 1, "one purchase per product, however many lines");
        state.apply(OrderEvent::Order(order(OrderStatus::Cancelled, 9)));
        assert_eq!(state.net_spent_minor(), 0);
        assert!(state.purchases().is_empty());
        // An older update arriving late does not bring the order back.
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 3)));
        assert_eq!(state.net_spent_minor(), 0);
        assert_eq!(state.order.as_ref().map(|o| o.updated_at), Some(9));
    }

    #[test]
    fn forgetting_the_customer_removes_the_purchases_but_keeps_the_amounts() {
        let mut state = OrderState::default();
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 1)));
        state.forget_customer();
        assert!(state.purchases().is_empty());
        assert_eq!(state.net_spent_minor(), 10_000);
        // A redelivery of the order, even the same one, must not bring the customer back.
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 1)));
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 7)));
        assert!(state.purchases().is_empty());
        assert_eq!(state.order.as_ref().and_then(|o| o.customer.clone()), None);
    }

    #[test]
    fn refunds_never_make_spending_negative() {
        let mut state = OrderState::default();
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 1)));
        state.apply(OrderEvent::Refund {
            refund_id: RefundId::parse("a").unwrap(),
            amount_minor: 8_000,
        });
        state.apply(OrderEvent::Refund {
            refund_id: RefundId::parse("b").unwrap(),
            amount_minor: 8_000,
        });
        assert_eq!(state.net_spent_minor(), 0);
    }

    #[test]
    fn an_order_is_kept_until_cancelled_or_refunded_in_full() {
        let refund = |id: &str, amount_minor| OrderEvent::Refund {
            refund_id: RefundId::parse(id).unwrap(),
            amount_minor,
        };
        let mut state = OrderState::default();
        state.apply(OrderEvent::Order(order(OrderStatus::Open, 1)));
        assert!(!state.kept(), "not paid yet");
        state.apply(OrderEvent::Order(order(OrderStatus::Paid, 2)));
        assert!(state.kept());
        state.apply(refund("a", 4_000));
        assert!(state.kept(), "part of it was kept");
        state.apply(refund("b", 6_000));
        assert!(!state.kept(), "all of it went back");
        let mut cancelled = OrderState::default();
        cancelled.apply(OrderEvent::Order(order(OrderStatus::Paid, 1)));
        cancelled.apply(OrderEvent::Order(order(OrderStatus::Cancelled, 2)));
        assert!(!cancelled.kept());
    }
}
