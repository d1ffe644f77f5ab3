//! One shopper's points ledger and the pure functions that derive their standing from it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Account, AdjustmentPoints, Expiring, LoyaltyRules, NextTier, TierBasis, HISTORY_LEN};
use crate::catalog::{minor_digits, Currency, Money};
use crate::time::{civil_from_unix, days_from_civil, is_leap_year};

const DAY: i64 = 86_400;

/// Redemptions one shopper may make per hour.
pub const REDEMPTIONS_PER_HOUR: usize = 10;
/// A birthday set less than this many days before it pays out only the year after.
pub const BIRTHDAY_NOTICE_DAYS: i64 = 30;
/// The birthday bonus is paid on the first visit within this many days from the birthday.
pub const BIRTHDAY_CLAIM_DAYS: i64 = 31;

/// Why a balance changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A paid order (or an order's value going up).
    Order,
    /// A refund or cancellation taking back an order's points.
    Refund,
    Signup,
    Review,
    Referral,
    Birthday,
    /// A tier's entry bonus.
    Tier,
    Redemption,
    Expiry,
    /// Set by the merchant.
    Adjustment,
}

impl Reason {
    /// Counts towards a tier measured in points earned.
    fn earns(self) -> bool {
        !matches!(self, Reason::Tier | Reason::Redemption | Reason::Expiry)
    }
}

/// One change to a balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Unix seconds.
    pub at: i64,
    pub points: i64,
    pub reason: Reason,
    /// What the entry is for, and its idempotency key: `order:shopify:1001`, `signup`,
    /// `review:TENT/r1`, `birthday:2026`, `tier:gold`, `redeem:RP-…`, `adjust:…`. The entries
    /// of one source sum to what it is worth now.
    pub source: String,
    /// Money spent that this entry accounts for, in minor units of the shop's currency (orders
    /// only; negative for a refund). Counts towards a tier measured in amount spent.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub spent_minor: i64,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// A discount code a shopper bought with points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    pub code: String,
    pub reward: String,
    pub discount: Money,
    pub at: i64,
    /// The client's key for the redemption, so a retry returns this code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Known to the code registry the checkout asks; until then the code is not shown.
    #[serde(default)]
    pub registered: bool,
}

/// A shopper's birthday (no year: it is not needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birthday {
    pub month: u8,
    pub day: u8,
    /// Unix seconds when the shopper set it.
    pub set_at: i64,
}

/// How an order's points were priced when it first earned any: kept, so a later refund or
/// update is priced the same even after the programme or the shopper's tier changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderBasis {
    pub points_per_unit: u32,
    pub multiplier_percent: u32,
}

/// What the ledger knows of one order's award.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAward {
    /// The newest version of the order's state applied; older ones are ignored.
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<OrderBasis>,
}

/// Whether the shopper is there when their ledger is touched. The sign-up and birthday bonuses
/// are paid on a visit, so only the shopper's own signed-in request pays them; an order, a
/// review's moderation or a merchant's adjustment touches the ledger with the shopper absent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// The shopper's own request, with their token.
    SignedIn,
    /// Something done for or about the shopper without them.
    Absent,
}

/// A shopper's ledger: the entries, and what is needed to keep applying sources exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub entries: Vec<Entry>,
    #[serde(default)]
    pub orders: BTreeMap<String, OrderAward>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthday: Option<Birthday>,
    #[serde(default)]
    pub codes: Vec<IssuedCode>,
    /// The merchant's notes on their adjustments, by entry source. For the merchant only: the
    /// shopper's account does not show them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notes: BTreeMap<String, String>,
    /// Where the member's points reminders go: kept from their latest order, only for a shop
    /// that sends follow-ups. For the reminders only: the shopper's account does not show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<crate::follow_up::Contact>,
    /// The expiry date (Unix seconds) the last points reminder was sent for: one per date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_for: Option<i64>,
    /// When (Unix seconds) each points reminder went out, for the merchant's weekly figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders_sent: Vec<i64>,
}

/// Why a redemption was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedeemError {
    UnknownReward,
    InsufficientPoints { balance: i64, needed: i64 },
    TooManyRedemptions { retry_after: i64 },
}

/// Why a birthday was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BirthdayError {
    NotADate,
    AlreadySet,
}

/// The most points one order can be worth: far above any real order, and small enough that
/// no sum of entries can overflow.
pub const MAX_ORDER_POINTS: i64 = 1_000_000_000_000;

/// Whole points for `net_minor` of `currency`, priced by `basis`; rounded down, at most
/// [`MAX_ORDER_POINTS`] either way.
pub fn order_points(net_minor: i64, currency: &Currency, basis: OrderBasis) -> i64 {
    let scale = 100 * 10i128.pow(minor_digits(currency.as_str()));
    let points = i128::from(net_minor)
        * i128::from(basis.points_per_unit)
        * i128::from(basis.multiplier_percent)
        / scale;
    let bound = i128::from(MAX_ORDER_POINTS);
    points.clamp(-bound, bound) as i64
}

/// Sums points without wrapping around: entries are bounded, but a ledger can hold many.
fn total(points: impl Iterator<Item = i64>) -> i64 {
    points.fold(0, i64::saturating_add)
}

/// Unix seconds of `month`/`day` in `year`; 29 February falls on the 28th in other years.
fn occurrence(birthday: Birthday, year: i64) -> i64 {
    let day = if birthday.month == 2 && birthday.day == 29 && !is_leap_year(year) {
        28
    } else {
        birthday.day
    };
    days_from_civil(year, i64::from(birthday.month), i64::from(day)) * DAY
}

impl Ledger {
    pub fn balance(&self) -> i64 {
        total(self.entries.iter().map(|e| e.points))
    }

    /// What `source` is worth now: the sum of its entries.
    pub fn source_total(&self, source: &str) -> i64 {
        total(self.entries.iter().filter(|e| e.source == source).map(|e| e.points))
    }

    fn has_source(&self, source: &str) -> bool {
        self.entries.iter().any(|e| e.source == source)
    }

    fn push(&mut self, at: i64, points: i64, reason: Reason, source: &str, spent_minor: i64) {
        if points != 0 || spent_minor != 0 {
            let source = source.to_owned();
            self.entries.push(Entry { at, points, reason, source, spent_minor });
        }
    }

    /// The tier basis counted over the window ending at `now`.
    pub fn tier_progress(&self, rules: &LoyaltyRules, now: i64) -> i64 {
        let since = now - i64::from(rules.tier_window_days) * DAY;
        let recent = self.entries.iter().filter(|e| e.at > since);
        match rules.tier_basis {
            TierBasis::PointsEarned => {
                total(recent.filter(|e| e.reason.earns()).map(|e| e.points)).max(0)
            }
            TierBasis::AmountSpent => total(recent.map(|e| e.spent_minor)).max(0),
        }
    }

    fn multiplier(&self, rules: &LoyaltyRules, now: i64) -> u32 {
        rules.tier_for(self.tier_progress(rules, now)).map_or(100, |t| t.multiplier_percent)
    }

    /// The last time the shopper earned or redeemed.
    fn last_activity(&self) -> Option<i64> {
        let active = |e: &&Entry| {
            (e.points > 0 && e.reason != Reason::Expiry) || e.reason == Reason::Redemption
        };
        self.entries.iter().filter(active).map(|e| e.at).max()
    }

    /// The points that will expire, and when, if the shopper stays inactive.
    pub fn expiring(&self, rules: &LoyaltyRules) -> Option<Expiring> {
        let days = i64::from(rules.expiry_days?);
        let balance = self.balance();
        let last = self.last_activity()?;
        (balance > 0).then_some(Expiring { points: balance, at: last + days * DAY })
    }

    /// The year whose birthday bonus is due at `now`, if any.
    fn birthday_due(&self, now: i64) -> Option<i64> {
        let birthday = self.birthday?;
        let (year, _, _) = civil_from_unix(now);
        [year - 1, year].into_iter().find(|y| {
            let day = occurrence(birthday, *y);
            day <= now
                && now < day + BIRTHDAY_CLAIM_DAYS * DAY
                && birthday.set_at <= day - BIRTHDAY_NOTICE_DAYS * DAY
        })
    }

    /// Makes `source` worth `amount` when `on`, nothing otherwise; appends the difference.
    /// A bonus already given is not re-priced when the programme changes.
    pub fn set_bonus(&mut self, source: &str, reason: Reason, on: bool, amount: u32, now: i64) {
        let total = self.source_total(source);
        if on && total == 0 {
            self.push(now, i64::from(amount), reason, source, 0);
        } else if !on && total != 0 {
            self.push(now, -total, reason, source, 0);
        }
    }

    /// Appends what is due at `now` without anyone asking: expiry after inactivity, the sign-up
    /// and birthday bonuses (both paid on the shopper's own visit, [`Presence::SignedIn`], never
    /// by an order or an adjustment alone) and tier entry bonuses. Idempotent.
    pub fn settle(&mut self, rules: &LoyaltyRules, now: i64, presence: Presence) {
        if let (Some(expiring), Some(last)) = (self.expiring(rules), self.last_activity()) {
            if now >= expiring.at {
                let source = format!("expiry:{last}");
                self.push(expiring.at, -expiring.points, Reason::Expiry, &source, 0);
            }
        }
        if presence == Presence::SignedIn && rules.signup_bonus > 0 && !self.has_source("signup") {
            self.set_bonus("signup", Reason::Signup, true, rules.signup_bonus, now);
        }
        if let Some(year) = self.birthday_due(now).filter(|_| presence == Presence::SignedIn) {
            let source = format!("birthday:{year}");
            if rules.birthday_bonus > 0 && !self.has_source(&source) {
                self.set_bonus(&source, Reason::Birthday, true, rules.birthday_bonus, now);
            }
        }
        let progress = self.tier_progress(rules, now);
        for tier in rules.tiers.iter().filter(|t| progress >= t.threshold && t.entry_bonus > 0) {
            let source = format!("tier:{}", tier.id);
            if !self.has_source(&source) {
                self.push(now, i64::from(tier.entry_bonus), Reason::Tier, &source, 0);
            }
        }
    }

    /// Applies version `version` of an order's state: after it, the order's entries sum to the
    /// points its net amount is worth. An older version than one applied changes nothing, so
    /// deliveries racing each other cannot undo a newer state.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_order(
        &mut self,
        source: &str,
        version: u64,
        net_minor: i64,
        currency: &Currency,
        shop_currency: &Currency,
        rules: &LoyaltyRules,
        now: i64,
    ) {
        let multiplier = self.multiplier(rules, now);
        let award = self.orders.entry(source.to_owned()).or_default();
        if version <= award.version {
            return;
        }
        award.version = version;
        if award.basis.is_none() && net_minor > 0 {
            award.basis = Some(OrderBasis {
                points_per_unit: rules.points_per_unit,
                multiplier_percent: multiplier,
            });
        }
        let target = award.basis.map_or(0, |b| order_points(net_minor, currency, b));
        let spent_target = if currency == shop_currency { net_minor } else { 0 };
        let (points, spent) =
            self.entries.iter().filter(|e| e.source == source).fold((0i64, 0i64), |(p, s), e| {
                (p.saturating_add(e.points), s.saturating_add(e.spent_minor))
            });
        let delta = target.saturating_sub(points);
        let reason = if delta < 0 || (delta == 0 && spent_target < spent) {
            Reason::Refund
        } else {
            Reason::Order
        };
        self.push(now, delta, reason, source, spent_target.saturating_sub(spent));
    }

    /// Spends points on a reward. `code` makes the discount code from the entry's sequence
    /// number. A repeated `request` returns the code it issued before and spends nothing.
    pub fn redeem(
        &mut self,
        rules: &LoyaltyRules,
        reward: &str,
        request: Option<&str>,
        code: impl FnOnce(usize) -> String,
        now: i64,
    ) -> Result<IssuedCode, RedeemError> {
        if let Some(req) = request {
            if let Some(done) = self.codes.iter().find(|c| c.request.as_deref() == Some(req)) {
                return Ok(done.clone());
            }
        }
        let reward = rules.reward(reward).ok_or(RedeemError::UnknownReward)?;
        let mut recent: Vec<i64> = self
            .entries
            .iter()
            .filter(|e| e.reason == Reason::Redemption && e.at > now - 3600)
            .map(|e| e.at)
            .collect();
        if recent.len() >= REDEMPTIONS_PER_HOUR {
            recent.sort_unstable();
            let oldest = recent[recent.len() - REDEMPTIONS_PER_HOUR];
            return Err(RedeemError::TooManyRedemptions {
                retry_after: (oldest + 3600 - now).max(1),
            });
        }
        let (balance, needed) = (self.balance(), i64::from(reward.points));
        if balance < needed {
            return Err(RedeemError::InsufficientPoints { balance, needed });
        }
        let issued = IssuedCode {
            code: code(self.entries.len()),
            reward: reward.id.clone(),
            discount: reward.discount.clone(),
            at: now,
            request: request.map(str::to_owned),
            registered: false,
        };
        self.push(now, -needed, Reason::Redemption, &format!("redeem:{}", issued.code), 0);
        self.codes.push(issued.clone());
        Ok(issued)
    }

    /// Records the shopper's birthday, once.
    pub fn set_birthday(&mut self, month: u8, day: u8, now: i64) -> Result<(), BirthdayError> {
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 => 29,
            _ => return Err(BirthdayError::NotADate),
        };
        if day == 0 || day > days_in_month {
            return Err(BirthdayError::NotADate);
        }
        if self.birthday.is_some() {
            return Err(BirthdayError::AlreadySet);
        }
        self.birthday = Some(Birthday { month, day, set_at: now });
        Ok(())
    }

    /// A merchant's adjustment; `key` makes a repeated request harmless. `false` if the key
    /// was used before.
    pub fn adjust(
        &mut self,
        key: &str,
        points: AdjustmentPoints,
        note: Option<&str>,
        now: i64,
    ) -> bool {
        let source = format!("adjust:{key}");
        if self.has_source(&source) {
            return false;
        }
        self.push(now, points.get(), Reason::Adjustment, &source, 0);
        if let Some(note) = note.filter(|n| !n.is_empty()) {
            self.notes.insert(source, note.to_owned());
        }
        true
    }

    /// Until when (Unix seconds, exclusive) the ledger stays settled and its account reads as at
    /// `now` if nothing else happens to it: time alone changes nothing before then, neither
    /// [`Ledger::account`] nor a signed-in [`Ledger::settle`]. It is `now` itself when a visit
    /// would settle something already (a sign-up bonus not yet paid because an order came first,
    /// a birthday bonus due). What moves with time alone: points expiring, a birthday's claim
    /// window opening or closing, an entry leaving the tier window. The answer may be earlier
    /// than the first real change, never later.
    pub fn settled_until(&self, rules: &LoyaltyRules, now: i64) -> i64 {
        let mut visited = self.clone();
        visited.settle(rules, now, Presence::SignedIn);
        if visited != *self {
            return now;
        }
        let mut until = i64::MAX;
        let mut upcoming = |at: i64| {
            if at > now {
                until = until.min(at);
            }
        };
        if let Some(expiring) = self.expiring(rules) {
            upcoming(expiring.at);
        }
        if let Some(birthday) = self.birthday {
            let (year, _, _) = civil_from_unix(now);
            for day in [year - 1, year, year + 1].map(|y| occurrence(birthday, y)) {
                upcoming(day);
                upcoming(day + BIRTHDAY_CLAIM_DAYS * DAY);
            }
        }
        let window = i64::from(rules.tier_window_days) * DAY;
        for entry in &self.entries {
            upcoming(entry.at.saturating_add(window));
        }
        until
    }

    /// The shopper's standing at `now`.
    pub fn account(&self, rules: &LoyaltyRules, now: i64) -> Account {
        let progress = self.tier_progress(rules, now);
        let tier = rules.tier_for(progress);
        let next = rules.tiers.iter().find(|t| t.threshold > progress);
        Account {
            balance: self.balance(),
            tier: tier.map(|t| t.id.clone()),
            tier_progress: progress,
            next_tier: next.map(|t| NextTier {
                id: t.id.clone(),
                name: t.name.clone(),
                remaining: t.threshold - progress,
            }),
            expiring: self.expiring(rules),
            birthday: self.birthday,
            history: self.entries.iter().rev().take(HISTORY_LEN).cloned().collect(),
            codes: self
                .codes
                .iter()
                .rev()
                .filter(|c| c.registered)
                .take(HISTORY_LEN)
                .cloned()
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loyalty::{Reward, Tier};

    const T0: i64 = 1_780_000_000; // 2026-05-28

    fn eur() -> Currency {
        Currency::try_from("EUR".to_owned()).unwrap()
    }

    fn rules() -> LoyaltyRules {
        serde_json::from_value(serde_json::json!({
            "points_per_unit": 1,
            "signup_bonus": 100,
            "review_bonus": 50,
            "birthday_bonus": 200,
            "tiers": [
                {"id": "silver", "name": "Silver", "threshold": 500, "entry_bonus": 50, "multiplier_percent": 125},
                {"id": "gold", "name": "Gold", "threshold": 2000, "multiplier_percent": 150}
            ],
            "expiry_days": 365,
            "rewards": [{"id": "5-off", "points": 500, "discount": {"amount_minor": 500, "currency": "EUR"}}]
        }))
        .unwrap()
    }

    fn order(ledger: &mut Ledger, id: &str, version: u64, net: i64, now: i64) {
        ledger.apply_order(&format!("order:{id}"), version, net, &eur(), &eur(), &rules(), now);
    }

    #[test]
    fn the_largest_amounts_neither_wrap_nor_overflow() {
        let basis = OrderBasis { points_per_unit: 1_000_000, multiplier_percent: 1000 };
        for (net, want) in
            [(i64::MAX, MAX_ORDER_POINTS), (i64::MIN, -MAX_ORDER_POINTS), (100, 10_000_000), (0, 0)]
        {
            assert_eq!(order_points(net, &eur(), basis), want, "{net}");
        }
        let mut l = Ledger::default();
        for key in ["a", "b"] {
            l.entries.push(Entry {
                at: T0,
                points: i64::MAX,
                reason: Reason::Adjustment,
                source: format!("adjust:{key}"),
                spent_minor: i64::MAX,
            });
        }
        assert_eq!(l.balance(), i64::MAX);
        let mut rules = rules();
        rules.tier_basis = TierBasis::AmountSpent;
        assert_eq!(l.tier_progress(&rules, T0), i64::MAX);
    }

    #[test]
    fn an_order_earns_once_and_a_refund_takes_back_exactly_its_share() {
        let mut l = Ledger::default();
        order(&mut l, "1", 1, 12_345, T0);
        assert_eq!(l.balance(), 123, "1 point per euro, rounded down");
        for v in [1, 2, 3] {
            order(&mut l, "1", v, 12_345, T0); // repeats and redeliveries
        }
        assert_eq!(l.balance(), 123);
        order(&mut l, "1", 4, 2_345, T0 + 10); // a 100.00 refund
        assert_eq!(l.balance(), 23);
        assert_eq!(l.entries.last().unwrap().reason, Reason::Refund);
        order(&mut l, "1", 5, 0, T0 + 20); // cancelled
        assert_eq!(l.balance(), 0);
        assert_eq!(l.source_total("order:1"), 0);
        assert_eq!(l.entries.iter().map(|e| e.spent_minor).sum::<i64>(), 0);
    }

    #[test]
    fn a_stale_version_cannot_undo_a_newer_one() {
        let mut l = Ledger::default();
        // The refunded state (version 2) is applied before the paid one (version 1) arrives.
        order(&mut l, "1", 2, 5_000, T0);
        order(&mut l, "1", 1, 10_000, T0);
        assert_eq!(l.balance(), 50);
    }

    #[test]
    fn refund_first_then_order_awards_only_the_net() {
        let mut l = Ledger::default();
        order(&mut l, "1", 1, 0, T0); // a refund with no paid order yet: worth nothing
        assert_eq!(l.balance(), 0);
        order(&mut l, "1", 2, 6_000, T0); // the paid order, net of the refund
        assert_eq!(l.balance(), 60);
    }

    #[test]
    fn the_multiplier_of_the_first_award_prices_the_whole_order() {
        let mut l = Ledger::default();
        l.adjust("start", AdjustmentPoints::new(600).unwrap(), None, T0); // silver: ×1.25
        l.settle(&rules(), T0, Presence::SignedIn);
        assert_eq!(l.source_total("tier:silver"), 50, "entry bonus");
        order(&mut l, "1", 1, 10_000, T0);
        assert_eq!(l.source_total("order:1"), 125);
        // Reaching gold later does not re-price the order's refund.
        l.adjust("more", AdjustmentPoints::new(5_000).unwrap(), None, T0);
        order(&mut l, "1", 2, 5_000, T0 + 1);
        assert_eq!(l.source_total("order:1"), 62, "half of 125, rounded down");
        l.settle(&rules(), T0 + 2, Presence::SignedIn);
        assert_eq!(l.source_total("tier:silver"), 50, "paid once");
    }

    #[test]
    fn tiers_by_amount_spent_count_the_window_only() {
        let mut r = rules();
        r.tier_basis = TierBasis::AmountSpent;
        r.tiers = vec![Tier {
            id: "vip".into(),
            name: "VIP".into(),
            threshold: 50_000,
            entry_bonus: 0,
            multiplier_percent: 200,
        }];
        let mut l = Ledger::default();
        l.apply_order("order:a", 1, 30_000, &eur(), &eur(), &r, T0);
        l.apply_order("order:b", 1, 30_000, &eur(), &eur(), &r, T0 + 10 * DAY);
        let a = l.account(&r, T0 + 10 * DAY);
        assert_eq!((a.tier.as_deref(), a.tier_progress), (Some("vip"), 60_000));
        // A year later the first order has left the window.
        let a = l.account(&r, T0 + 366 * DAY);
        assert_eq!((a.tier, a.tier_progress), (None, 30_000));
        assert_eq!(a.next_tier.unwrap().remaining, 20_000);
        // Orders in another currency earn points but do not count as spending in the shop's.
        let usd = Currency::try_from("USD".to_owned()).unwrap();
        l.apply_order("order:c", 1, 90_000, &usd, &eur(), &r, T0 + 366 * DAY);
        assert_eq!(l.account(&r, T0 + 366 * DAY).tier_progress, 30_000);
    }

    #[test]
    fn redemption_spends_only_what_is_there() {
        let r = rules();
        let mut l = Ledger::default();
        l.adjust("a", AdjustmentPoints::new(600).unwrap(), None, T0);
        let code = |n: usize| format!("CODE{n}");
        let issued = l.redeem(&r, "5-off", Some("req-1"), code, T0).unwrap();
        assert_eq!((issued.code.as_str(), l.balance()), ("CODE1", 100));
        // The same request again: same code, nothing spent.
        let again = l.redeem(&r, "5-off", Some("req-1"), code, T0).unwrap();
        assert_eq!((again, l.balance()), (issued, 100));
        assert_eq!(
            l.redeem(&r, "5-off", Some("req-2"), code, T0),
            Err(RedeemError::InsufficientPoints { balance: 100, needed: 500 })
        );
        assert_eq!(l.redeem(&r, "nope", None, code, T0), Err(RedeemError::UnknownReward));
        assert_eq!(l.balance(), 100);
    }

    #[test]
    fn redemptions_per_hour_are_limited() {
        let r = LoyaltyRules {
            rewards: vec![Reward {
                id: "one".into(),
                points: 1,
                discount: Money { amount_minor: 1, currency: eur() },
            }],
            ..rules()
        };
        let mut l = Ledger::default();
        l.adjust("a", AdjustmentPoints::new(100).unwrap(), None, T0);
        for i in 0..REDEMPTIONS_PER_HOUR as i64 {
            l.redeem(&r, "one", None, |n| n.to_string(), T0 + i).unwrap();
        }
        let refused = l.redeem(&r, "one", None, |n| n.to_string(), T0 + 100);
        assert_eq!(refused, Err(RedeemError::TooManyRedemptions { retry_after: 3500 }));
        assert!(l.redeem(&r, "one", None, |n| n.to_string(), T0 + 3600).is_ok());
    }

    #[test]
    fn points_expire_after_inactivity_and_the_date_is_shown() {
        let r = rules();
        let mut l = Ledger::default();
        l.settle(&r, T0, Presence::SignedIn); // sign-up bonus
        order(&mut l, "1", 1, 10_000, T0 + DAY);
        let expiring = l.account(&r, T0 + DAY).expiring.unwrap();
        assert_eq!(expiring, Expiring { points: 200, at: T0 + DAY + 365 * DAY });
        l.settle(&r, T0 + 300 * DAY, Presence::SignedIn);
        assert_eq!(l.balance(), 200, "not yet");
        l.settle(&r, T0 + 400 * DAY, Presence::SignedIn);
        l.settle(&r, T0 + 401 * DAY, Presence::SignedIn);
        assert_eq!(l.balance(), 0);
        assert_eq!(l.entries.iter().filter(|e| e.reason == Reason::Expiry).count(), 1);
        assert_eq!(l.account(&r, T0 + 401 * DAY).expiring, None);
        // Expired points do not count as activity; earning again starts a new period.
        order(&mut l, "2", 1, 1_000, T0 + 402 * DAY);
        assert_eq!(l.expiring(&r).unwrap().at, T0 + 402 * DAY + 365 * DAY);
    }

    #[test]
    fn signup_bonus_once() {
        let mut l = Ledger::default();
        for t in 0..3 {
            l.settle(&rules(), T0 + t, Presence::SignedIn);
        }
        assert_eq!(l.balance(), 100);
        assert_eq!(l.entries.len(), 1);
    }

    /// What touches a ledger in the table below.
    #[derive(Clone, Copy, Debug)]
    enum Touch {
        Visit,
        Order,
        Adjustment,
        ReviewBonus,
    }

    #[test]
    fn only_the_shoppers_own_visit_pays_the_signup_bonus() {
        use Touch::*;
        // Each touch as the ledger object runs it: settle, act, settle.
        let run = |touches: &[Touch]| {
            let mut l = Ledger::default();
            for (i, touch) in touches.iter().enumerate() {
                let (now, id) = (T0 + i as i64, i.to_string());
                let presence =
                    if matches!(touch, Visit) { Presence::SignedIn } else { Presence::Absent };
                l.settle(&rules(), now, presence);
                match touch {
                    Visit => {}
                    Order => order(&mut l, &id, 1, 1_000, now),
                    Adjustment => {
                        l.adjust(&id, AdjustmentPoints::new(5).unwrap(), None, now);
                    }
                    ReviewBonus => l.set_bonus(&id, Reason::Review, true, 50, now),
                }
                l.settle(&rules(), now, presence);
            }
            l.source_total("signup")
        };
        let table: &[(&[Touch], i64)] = &[
            (&[], 0),
            (&[Adjustment], 0),
            (&[Order], 0),
            (&[ReviewBonus], 0),
            (&[Order, Adjustment, ReviewBonus, Order], 0),
            (&[Visit], 100),
            (&[Adjustment, Visit], 100),
            (&[Order, Visit, Order], 100),
            (&[Visit, Visit, Adjustment, Visit], 100),
        ];
        for (touches, want) in table {
            assert_eq!(run(touches), *want, "{touches:?}");
        }
    }

    #[test]
    fn a_verified_review_bonus_follows_the_review() {
        let mut l = Ledger::default();
        l.set_bonus("review:TENT/r1", Reason::Review, true, 50, T0);
        l.set_bonus("review:TENT/r1", Reason::Review, true, 80, T0); // programme changed: kept
        assert_eq!(l.balance(), 50);
        l.set_bonus("review:TENT/r1", Reason::Review, false, 50, T0); // rejected later
        assert_eq!(l.balance(), 0);
    }

    #[test]
    fn birthday_pays_yearly_but_not_when_set_just_before() {
        let r = LoyaltyRules { signup_bonus: 0, ..rules() };
        let at = |y, m, d| days_from_civil(y, m, d) * DAY + 12 * 3600;
        // Set on 2026-05-28 for 10 June: less than 30 days ahead, so not this year.
        let mut l = Ledger::default();
        l.set_birthday(6, 10, at(2026, 5, 28)).unwrap();
        assert_eq!(l.set_birthday(6, 11, at(2026, 5, 28)), Err(BirthdayError::AlreadySet));
        l.settle(&r, at(2026, 6, 10), Presence::SignedIn);
        assert_eq!(l.balance(), 0);
        l.settle(&r, at(2027, 6, 12), Presence::SignedIn);
        l.settle(&r, at(2027, 6, 20), Presence::SignedIn);
        assert_eq!(l.balance(), 200);
        assert_eq!(l.source_total("birthday:2027"), 200);
        // Set well ahead: paid this year, on a visit within a month, not by an order meanwhile.
        let mut l = Ledger::default();
        l.set_birthday(12, 31, at(2026, 5, 28)).unwrap();
        l.settle(&r, at(2027, 1, 2), Presence::Absent);
        assert_eq!(l.source_total("birthday:2026"), 0);
        l.settle(&r, at(2027, 1, 5), Presence::SignedIn);
        assert_eq!(l.source_total("birthday:2026"), 200);
        // 29 February falls on the 28th in other years.
        let mut l = Ledger::default();
        l.set_birthday(2, 29, at(2026, 1, 1)).unwrap();
        l.settle(&r, at(2027, 2, 28), Presence::SignedIn);
        assert_eq!(l.source_total("birthday:2027"), 200);
        assert_eq!(Ledger::default().set_birthday(2, 30, T0), Err(BirthdayError::NotADate));
        assert_eq!(Ledger::default().set_birthday(13, 1, T0), Err(BirthdayError::NotADate));
    }

    /// What a snapshot of the account may promise: before `settled_until`, neither the account
    /// nor a visit's settling changes; and it comes before each change time alone makes.
    #[test]
    fn a_settled_ledger_reads_the_same_until_it_says() {
        let r = LoyaltyRules { tier_window_days: 90, ..rules() };
        let at = |y, m, d| days_from_civil(y, m, d) * DAY + 9 * 3600;
        let mut l = Ledger::default();
        l.settle(&r, at(2026, 1, 10), Presence::SignedIn);
        l.set_birthday(3, 15, at(2026, 1, 10)).unwrap();
        l.apply_order("order:1", 1, 60_000, &eur(), &eur(), &r, at(2026, 1, 20));
        l.settle(&r, at(2026, 1, 20), Presence::SignedIn); // the tier's entry bonus
        let mut changes = 0;
        let mut now = at(2026, 1, 21);
        while now < at(2028, 6, 1) {
            let until = l.settled_until(&r, now);
            assert!(until > now, "settled at {now}");
            let account = l.account(&r, now);
            let mut t = now;
            // Every six hours up to the promise: nothing moves.
            while t < until.min(now + 800 * DAY) {
                assert_eq!(l.account(&r, t), account, "the account at {t} (promised {until})");
                let mut visited = l.clone();
                visited.settle(&r, t, Presence::SignedIn);
                assert_eq!(visited, l, "a visit at {t} settled something (promised {until})");
                t += 6 * 3600;
            }
            if until == i64::MAX {
                break;
            }
            // At the promise, the shopper visits: what is due is settled and a new promise made.
            l.settle(&r, until, Presence::SignedIn);
            if l.account(&r, until) != account {
                changes += 1;
            }
            now = until;
        }
        // The tier window closing, the birthday bonus, the expiry: each was found in time.
        assert!(changes >= 3, "{changes} changes seen");
        for source in ["tier:silver", "birthday:2026", "birthday:2027", "birthday:2028"] {
            assert!(l.has_source(source), "{source} paid on the visit it became due");
        }
        assert!(l.entries.iter().any(|e| e.reason == Reason::Expiry), "{:?}", l.entries);
    }

    #[test]
    fn a_visit_due_is_due_now() {
        let r = rules();
        // An order arrived before the shopper's first visit: the sign-up bonus waits for it.
        let mut l = Ledger::default();
        order(&mut l, "1", 1, 1_000, T0);
        assert_eq!(l.settled_until(&r, T0 + 5), T0 + 5);
        l.settle(&r, T0 + 5, Presence::SignedIn);
        assert!(l.settled_until(&r, T0 + 5) > T0 + 5);
        // A birthday whose bonus an absent touch did not pay.
        let at = |y, m, d| days_from_civil(y, m, d) * DAY;
        l.set_birthday(12, 31, at(2026, 5, 28)).unwrap();
        l.settle(&r, at(2027, 1, 2), Presence::Absent);
        assert_eq!(l.settled_until(&r, at(2027, 1, 2)), at(2027, 1, 2));
        // Nothing with time in it: no expiry, no birthday, and entries long out of the window.
        let r = LoyaltyRules { expiry_days: None, signup_bonus: 0, ..rules() };
        let mut l = Ledger::default();
        l.adjust("a", AdjustmentPoints::new(10).unwrap(), None, T0);
        assert_eq!(l.settled_until(&r, T0 + 400 * DAY), i64::MAX);
    }

    #[test]
    fn account_shows_progress_history_and_registered_codes() {
        let r = rules();
        let mut l = Ledger::default();
        l.settle(&r, T0, Presence::SignedIn);
        order(&mut l, "1", 1, 30_000, T0);
        let a = l.account(&r, T0);
        assert_eq!((a.balance, a.tier, a.tier_progress), (400, None, 400));
        assert_eq!(
            a.next_tier.unwrap(),
            NextTier { id: "silver".into(), name: "Silver".into(), remaining: 100 }
        );
        assert_eq!(a.history[0].source, "order:1", "newest first");
        l.redeem(&r, "5-off", None, |_| "RP-1".into(), T0).unwrap_err();
        l.adjust("gift", AdjustmentPoints::new(200).unwrap(), None, T0);
        l.redeem(&r, "5-off", None, |_| "RP-1".into(), T0).unwrap();
        assert!(l.account(&r, T0).codes.is_empty(), "not shown until registered");
        l.codes[0].registered = true;
        assert_eq!(l.account(&r, T0).codes[0].code, "RP-1");
    }

    #[test]
    fn rules_validate() {
        let eur = eur();
        assert!(rules().validate(&eur).is_ok());
        let usd = Currency::try_from("USD".to_owned()).unwrap();
        assert_eq!(rules().validate(&usd).unwrap_err().field, "loyalty.rewards[0].discount");
        let mut r = rules();
        r.tiers.swap(0, 1);
        assert_eq!(r.validate(&eur).unwrap_err().problem, "thresholds must be ascending");
        let mut r = rules();
        r.rewards[0].id = "Five Off".into();
        assert!(r.validate(&eur).is_err());
        let mut r = rules();
        r.expiry_days = Some(1);
        assert!(r.validate(&eur).is_err());
    }
}
