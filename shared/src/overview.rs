//! The merchant's overview: the relationship's figures per week, kept up to date as data
//! arrives.
//!
//! Each source of figures — a product's reviews, a shopper's loyalty ledger, a customer's paid
//! orders — has a [`Contribution`]: what it adds to each week. The shop's [`Overview`] is the
//! sum of the latest contribution of every source. A source that changes sends its whole new
//! contribution, never a difference, and the overview takes the old one out and puts the new one
//! in ([`Overview::replace`]): so a repeated or retried send changes nothing, a reversal (a
//! refund, a cancelled order, an erased review) is just a smaller contribution, and reading the
//! overview never reads the sources.
//!
//! Weeks start on Monday, 00:00 UTC.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::loyalty::{Ledger, LoyaltyRules, Reason};
use crate::reviews::Review;
use crate::time::iso_date;

const DAY: i64 = 86_400;

/// Weeks since the Monday before 1970-01-01 (a Thursday).
pub type Week = i64;

/// The week `unix_seconds` falls in.
pub fn week_of(unix_seconds: i64) -> Week {
    (unix_seconds.div_euclid(DAY) + 3).div_euclid(7)
}

/// Unix seconds of the Monday that starts `week`.
pub fn week_start(week: Week) -> i64 {
    (week * 7 - 3) * DAY
}

/// What happened in one week. Counts of events, so they add up across sources.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Reviews received (whatever their moderation status).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reviews: i64,
    /// The sum of their ratings, for the average.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub rating_sum: i64,
    /// Reviews from verified buyers.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub verified: i64,
    /// Loyalty members who joined (their first points).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub members: i64,
    /// Points given: orders, bonuses, adjustments, net of refunds taking order points back.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_issued: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_redeemed: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub points_expired: i64,
    /// Points-expiry reminders sent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub reminders: i64,
    /// Customers whose first paid order fell in the week.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub customers: i64,
    /// Customers whose second paid order fell in the week.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub repeat_customers: i64,
    /// Paid orders by customers with an account.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub orders: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl Figures {
    fn add(&mut self, other: &Figures, sign: i64) {
        self.reviews += sign * other.reviews;
        self.rating_sum += sign * other.rating_sum;
        self.verified += sign * other.verified;
        self.members += sign * other.members;
        self.points_issued += sign * other.points_issued;
        self.points_redeemed += sign * other.points_redeemed;
        self.points_expired += sign * other.points_expired;
        self.reminders += sign * other.reminders;
        self.customers += sign * other.customers;
        self.repeat_customers += sign * other.repeat_customers;
        self.orders += sign * other.orders;
    }

    fn is_empty(&self) -> bool {
        *self == Figures::default()
    }
}

/// What one source adds to each week.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contribution(#[serde(with = "by_week")] BTreeMap<Week, Figures>);

/// Weeks as `[[week, figures], …]`: map keys would be strings in JSON, and not every
/// deserializer turns them back into numbers.
mod by_week {
    use super::{BTreeMap, Figures, Week};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(
        weeks: &BTreeMap<Week, Figures>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        weeks.iter().collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<Week, Figures>, D::Error> {
        Ok(Vec::<(Week, Figures)>::deserialize(d)?.into_iter().collect())
    }
}

impl Contribution {
    fn at(&mut self, unix_seconds: i64) -> &mut Figures {
        self.0.entry(week_of(unix_seconds)).or_default()
    }

    /// A product's reviews: each counts in the week it was written.
    pub fn reviews<'a>(reviews: impl IntoIterator<Item = &'a Review>) -> Self {
        let mut c = Contribution::default();
        for r in reviews {
            let week = c.at(r.created_at);
            week.reviews += 1;
            week.rating_sum += i64::from(r.rating.stars());
            week.verified += i64::from(r.verified);
        }
        c
    }

    /// A shopper's ledger: they joined in the week of their first entry; each entry counts in
    /// its own week as issued, redeemed or expired.
    pub fn ledger(ledger: &Ledger) -> Self {
        let mut c = Contribution::default();
        if let Some(first) = ledger.entries.iter().map(|e| e.at).min() {
            c.at(first).members += 1;
        }
        for &at in &ledger.reminders_sent {
            c.at(at).reminders += 1;
        }
        for e in &ledger.entries {
            let week = c.at(e.at);
            match e.reason {
                Reason::Redemption => week.points_redeemed -= e.points,
                Reason::Expiry => week.points_expired -= e.points,
                _ => week.points_issued += e.points,
            }
        }
        c.0.retain(|_, f| !f.is_empty());
        c
    }

    /// A customer's paid orders, by when each was paid: the first makes them a customer, the
    /// second a repeat customer.
    pub fn buyer(paid_at: impl IntoIterator<Item = i64>) -> Self {
        let mut times: Vec<i64> = paid_at.into_iter().collect();
        times.sort_unstable();
        let mut c = Contribution::default();
        for (i, at) in times.into_iter().enumerate() {
            let week = c.at(at);
            week.orders += 1;
            match i {
                0 => week.customers += 1,
                1 => week.repeat_customers += 1,
                _ => {}
            }
        }
        c
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The shop's figures: the sum of every source's latest contribution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    #[serde(with = "by_week")]
    weeks: BTreeMap<Week, Figures>,
}

/// One week as the merchant reads it: that week's counts, and the standing at its end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub week: Week,
    /// `YYYY-MM-DD` of its Monday.
    pub starts: String,
    pub reviews: i64,
    /// The week's reviews' average rating.
    pub average_rating: Option<f64>,
    /// The share of the week's reviews from verified buyers, 0 to 1.
    pub verified_share: Option<f64>,
    /// Loyalty members at the week's end.
    pub members: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    /// Points-expiry reminders sent in the week.
    pub reminders: i64,
    /// Points held by shoppers at the week's end.
    pub points_outstanding: i64,
    /// Among customers with a paid order by the week's end, the share with two or more.
    pub repeat_rate: Option<f64>,
    /// Paid orders per customer, by the week's end.
    pub orders_per_customer: Option<f64>,
}

impl Overview {
    /// Takes a source's `old` contribution out and puts its `new` one in.
    pub fn replace(&mut self, old: &Contribution, new: &Contribution) {
        for (sign, c) in [(-1, old), (1, new)] {
            for (week, figures) in &c.0 {
                self.weeks.entry(*week).or_default().add(figures, sign);
            }
        }
        self.weeks.retain(|_, f| !f.is_empty());
    }

    /// The `count` weeks that end with `last`, oldest first; standings include every week
    /// before them.
    pub fn rows(&self, last: Week, count: usize) -> Vec<Row> {
        let first = last - count as i64 + 1;
        let mut total = Figures::default();
        for figures in self.weeks.range(..first).map(|(_, f)| f) {
            total.add(figures, 1);
        }
        (first..=last)
            .map(|week| {
                let f = self.weeks.get(&week).copied().unwrap_or_default();
                total.add(&f, 1);
                let ratio = |a: i64, b: i64| (b > 0).then(|| a as f64 / b as f64);
                Row {
                    week,
                    starts: iso_date(week_start(week)),
                    reviews: f.reviews,
                    average_rating: ratio(f.rating_sum, f.reviews),
                    verified_share: ratio(f.verified, f.reviews),
                    members: total.members,
                    points_issued: f.points_issued,
                    points_redeemed: f.points_redeemed,
                    points_expired: f.points_expired,
                    reminders: f.reminders,
                    points_outstanding: total.points_issued
                        - total.points_redeemed
                        - total.points_expired,
                    repeat_rate: ratio(total.repeat_customers, total.customers),
                    orders_per_customer: ratio(total.orders, total.customers),
                }
            })
            .collect()
    }
}

/// What one point is worth: the reward that gives the most money per point, as
/// `(amount_minor, points)`. A shopper can always spend their points at this rate, so it is what
/// the points outstanding may cost the shop.
pub fn point_value(rules: &LoyaltyRules) -> Option<(i64, i64)> {
    rules
        .rewards
        .iter()
        .filter(|r| r.points > 0)
        .map(|r| (r.discount.amount_minor, i64::from(r.points)))
        .max_by(|a, b| {
            (i128::from(a.0) * i128::from(b.1)).cmp(&(i128::from(b.0) * i128::from(a.1)))
        })
}

/// The money `points` may cost at `value` (from [`point_value`]), in minor units, rounded down.
pub fn liability_minor(points: i64, value: (i64, i64)) -> i64 {
    let (amount, per) = value;
    (i128::from(points.max(0)) * i128::from(amount) / i128::from(per)) as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Currency, Money};
    use crate::ids::{ReviewId, Sku};
    use crate::loyalty::{Entry, Reward};
    use crate::reviews::{Rating, ReviewStatus};
    use crate::time::days_from_civil;

    fn at(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d) * DAY + 12 * 3600
    }

    fn review(id: &str, stars: u8, verified: bool, created_at: i64) -> Review {
        Review {
            id: ReviewId::parse(id).unwrap(),
            product: Sku::parse("TENT").unwrap(),
            rating: Rating::new(stars).unwrap(),
            title: String::new(),
            body: "Good.".into(),
            author: "Ann".into(),
            verified,
            status: ReviewStatus::Published,
            created_at,
            helpful: 0,
            reply: None,
            customer: None,
        }
    }

    fn entry(at: i64, points: i64, reason: Reason) -> Entry {
        Entry { at, points, reason, source: format!("{reason:?}"), spent_minor: 0 }
    }

    #[test]
    fn contributions_travel_as_pairs() {
        let c = Contribution::buyer([at(2026, 11, 30)]);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"[[2970,{"customers":1,"orders":1}]]"#);
        assert_eq!(serde_json::from_str::<Contribution>(&json).unwrap(), c);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-30 is a Monday, 2026-12-06 the Sunday after it.
        let monday = week_of(at(2026, 11, 30));
        assert_eq!(week_of(at(2026, 12, 6)), monday);
        assert_eq!(week_of(at(2026, 11, 29)), monday - 1);
        assert_eq!(iso_date(week_start(monday)), "2026-11-30");
        assert_eq!(week_of(week_start(monday)), monday);
        assert_eq!(week_of(week_start(monday) - 1), monday - 1);
        // Before 1970 too.
        assert_eq!(iso_date(week_start(week_of(at(1969, 12, 31)))), "1969-12-29");
    }

    #[test]
    fn a_week_of_reviews() {
        let monday = at(2026, 11, 30);
        let reviews = [
            review("a", 5, true, monday),
            review("b", 4, false, monday + DAY),
            review("c", 3, true, monday + 2 * DAY),
        ];
        let mut o = Overview::default();
        o.replace(&Contribution::default(), &Contribution::reviews(&reviews));
        let row = &o.rows(week_of(monday), 1)[0];
        assert_eq!(row.reviews, 3);
        assert_eq!(row.average_rating, Some(4.0));
        assert_eq!(row.verified_share, Some(2.0 / 3.0));
        let empty = &o.rows(week_of(monday) + 1, 1)[0];
        assert_eq!((empty.reviews, empty.average_rating, empty.verified_share), (0, None, None));
    }

    #[test]
    fn replacing_a_contribution_is_idempotent_and_reverses_cleanly() {
        let t = at(2026, 11, 30);
        let one = Contribution::reviews(&[review("a", 5, true, t)]);
        let two = Contribution::reviews(&[review("a", 5, true, t), review("b", 1, false, t)]);
        let mut o = Overview::default();
        o.replace(&Contribution::default(), &one);
        o.replace(&one, &two);
        let again = o.clone();
        o.replace(&two, &two);
        assert_eq!(o, again, "sending the same contribution twice changes nothing");
        o.replace(&two, &Contribution::default());
        assert_eq!(o, Overview::default(), "taking every contribution out leaves nothing");
    }

    #[test]
    fn a_ledger_counts_its_member_once_and_its_points_by_kind() {
        let w1 = at(2026, 11, 2);
        let w2 = at(2026, 11, 9);
        let ledger = Ledger {
            entries: vec![
                entry(w1, 50, Reason::Signup),
                entry(w1, 120, Reason::Order),
                entry(w2, -40, Reason::Refund),
                entry(w2, -100, Reason::Redemption),
                entry(w2 + DAY, -30, Reason::Expiry),
            ],
            ..Ledger::default()
        };
        let mut o = Overview::default();
        o.replace(&Contribution::default(), &Contribution::ledger(&ledger));
        let rows = o.rows(week_of(w2), 2);
        assert_eq!(
            (rows[0].members, rows[0].points_issued, rows[0].points_outstanding),
            (1, 170, 170)
        );
        assert_eq!(
            (
                rows[1].members,
                rows[1].points_issued,
                rows[1].points_redeemed,
                rows[1].points_expired
            ),
            (1, -40, 100, 30)
        );
        assert_eq!(rows[1].points_outstanding, ledger.balance());
        assert!(Contribution::ledger(&Ledger::default()).is_empty(), "no entries, no member");
    }

    #[test]
    fn points_reminders_count_in_the_week_they_went_out() {
        let w1 = at(2026, 11, 2);
        let w2 = at(2026, 11, 9);
        let ledger = Ledger {
            entries: vec![entry(w1, 120, Reason::Order)],
            reminders_sent: vec![w1 + DAY, w2, w2 + 2 * DAY],
            ..Ledger::default()
        };
        let mut o = Overview::default();
        o.replace(&Contribution::default(), &Contribution::ledger(&ledger));
        let rows = o.rows(week_of(w2), 2);
        assert_eq!((rows[0].reminders, rows[1].reminders), (1, 2));
        // One taken back (the send failed): the week's count follows.
        let fewer = Ledger { reminders_sent: vec![w1 + DAY, w2], ..ledger.clone() };
        o.replace(&Contribution::ledger(&ledger), &Contribution::ledger(&fewer));
        assert_eq!(o.rows(week_of(w2), 1)[0].reminders, 1);
    }

    #[test]
    fn repeat_rate_and_orders_per_customer_accumulate() {
        let w1 = at(2026, 11, 2);
        let w2 = at(2026, 11, 9);
        let mut o = Overview::default();
        // Ann: two orders in week 1 and one in week 2; Bob: one in week 2 (told out of order).
        for paid in [vec![w2, w1, w1 + DAY], vec![w2]] {
            o.replace(&Contribution::default(), &Contribution::buyer(paid));
        }
        let rows = o.rows(week_of(w2), 3);
        assert_eq!((rows[0].repeat_rate, rows[0].orders_per_customer), (None, None));
        assert_eq!((rows[1].repeat_rate, rows[1].orders_per_customer), (Some(1.0), Some(2.0)));
        assert_eq!((rows[2].repeat_rate, rows[2].orders_per_customer), (Some(0.5), Some(2.0)));
        // Ann's second order refunded: she is no longer a repeat customer.
        let before = Contribution::buyer([w2, w1, w1 + DAY]);
        o.replace(&before, &Contribution::buyer([w1, w2]));
        let rows = o.rows(week_of(w2), 2);
        assert_eq!((rows[0].repeat_rate, rows[1].repeat_rate), (Some(0.0), Some(0.5)));
        assert_eq!(rows[1].orders_per_customer, Some(1.5));
    }

    #[test]
    fn standings_include_the_weeks_before_the_window() {
        let old = at(2025, 1, 6);
        let ledger = Ledger { entries: vec![entry(old, 500, Reason::Order)], ..Ledger::default() };
        let mut o = Overview::default();
        o.replace(&Contribution::default(), &Contribution::ledger(&ledger));
        let rows = o.rows(week_of(at(2026, 11, 30)), 12);
        assert_eq!(rows.len(), 12);
        assert!(rows
            .iter()
            .all(|r| r.members == 1 && r.points_outstanding == 500 && r.points_issued == 0));
    }

    #[test]
    fn points_are_valued_at_the_best_reward() {
        let eur = |minor| Money {
            amount_minor: minor,
            currency: Currency::try_from("EUR".to_owned()).unwrap(),
        };
        let rules: LoyaltyRules =
            serde_json::from_value(serde_json::json!({"points_per_unit": 1})).unwrap();
        let rules = LoyaltyRules {
            rewards: vec![
                Reward { id: "5-off".into(), points: 500, discount: eur(500) },
                Reward { id: "12-off".into(), points: 1000, discount: eur(1200) },
            ],
            ..rules
        };
        let value = point_value(&rules).unwrap();
        assert_eq!(value, (1200, 1000));
        assert_eq!(liability_minor(2501, value), 3001);
        assert_eq!(liability_minor(-5, value), 0);
        assert_eq!(point_value(&LoyaltyRules { rewards: vec![], ..rules }), None);
    }
}
