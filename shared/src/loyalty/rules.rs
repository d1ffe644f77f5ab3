//! The programme a merchant configures: ways to earn, tiers, rewards, expiry.

use serde::{Deserialize, Serialize};

use crate::catalog::{bounded_text, link_url, Currency, FieldError, Money};

/// A shop's loyalty programme. All point amounts are whole points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoyaltyRules {
    /// Points per whole unit of money spent on a paid order (per 1.00 of the order's currency),
    /// before the tier's multiplier. Refunds and cancellations take them back.
    pub points_per_unit: u32,
    #[serde(default)]
    pub signup_bonus: u32,
    /// For a published review from a verified buyer.
    #[serde(default)]
    pub review_bonus: u32,
    /// For the advocate when a referred friend's first order is paid.
    #[serde(default)]
    pub referral_bonus: u32,
    #[serde(default)]
    pub birthday_bonus: u32,
    /// Ascending thresholds; below the first one a shopper has no tier.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    #[serde(default)]
    pub tier_basis: TierBasis,
    /// The window, in days, over which the tier basis is counted.
    #[serde(default = "default_window")]
    pub tier_window_days: u32,
    /// Points expire after this many days without earning or redeeming; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_days: Option<u32>,
    #[serde(default)]
    pub rewards: Vec<Reward>,
    /// Where a signed-out shopper creates an account (the shop's sign-in link is in the shop's
    /// settings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_url: Option<String>,
}

fn default_window() -> u32 {
    365
}

/// What a tier threshold counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TierBasis {
    /// Points earned (not redeemed or expired) in the window.
    #[default]
    PointsEarned,
    /// Money spent on paid orders in the window, in minor units of the shop's currency.
    AmountSpent,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Stable identifier (`gold`); the entry reward is paid once per tier id.
    pub id: String,
    pub name: String,
    /// Points, or minor units with [`TierBasis::AmountSpent`].
    pub threshold: i64,
    /// Points given once, on first reaching the tier.
    #[serde(default)]
    pub entry_bonus: u32,
    /// Order points are multiplied by this percentage (100 = ×1, 150 = ×1.5).
    #[serde(default = "default_multiplier")]
    pub multiplier_percent: u32,
}

fn default_multiplier() -> u32 {
    100
}

/// Something a shopper can spend points on: a fixed amount off their next order, issued as a
/// single-use discount code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reward {
    /// Stable identifier (`5-off`).
    pub id: String,
    pub points: u32,
    pub discount: Money,
}

fn slug(field: &str, s: &str) -> Result<(), FieldError> {
    let ok = !s.is_empty()
        && s.len() <= 40
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be 1 to 40 lowercase letters, digits or -"))
    }
}

/// Point amounts a programme may use: generous, but far from overflow.
const MAX_POINTS: u32 = 1_000_000;

impl LoyaltyRules {
    /// Checks the programme against the shop's currency.
    pub fn validate(mut self, currency: &Currency) -> Result<Self, FieldError> {
        let amounts = [
            ("loyalty.points_per_unit", self.points_per_unit),
            ("loyalty.signup_bonus", self.signup_bonus),
            ("loyalty.review_bonus", self.review_bonus),
            ("loyalty.referral_bonus", self.referral_bonus),
            ("loyalty.birthday_bonus", self.birthday_bonus),
        ];
        for (field, value) in amounts {
            if value > MAX_POINTS {
                return Err(FieldError::new(field, format!("must be at most {MAX_POINTS}")));
            }
        }
        if !(1..=3650).contains(&self.tier_window_days) {
            return Err(FieldError::new("loyalty.tier_window_days", "must be 1 to 3650 days"));
        }
        if self.expiry_days.is_some_and(|d| !(30..=3650).contains(&d)) {
            return Err(FieldError::new("loyalty.expiry_days", "must be 30 to 3650 days"));
        }
        if self.tiers.len() > 10 {
            return Err(FieldError::new("loyalty.tiers", "lists at most 10 tiers"));
        }
        for (i, tier) in self.tiers.iter_mut().enumerate() {
            let at = |f: &str| format!("loyalty.tiers[{i}].{f}");
            slug(&at("id"), &tier.id)?;
            tier.name = bounded_text(&at("name"), &tier.name, 1, 40)?;
            if tier.threshold < 0 || tier.threshold > 1_000_000_000_000 {
                return Err(FieldError::new(at("threshold"), "must be 0 or more"));
            }
            if tier.entry_bonus > MAX_POINTS {
                return Err(FieldError::new(at("entry_bonus"), "is too large"));
            }
            if !(100..=1000).contains(&tier.multiplier_percent) {
                return Err(FieldError::new(at("multiplier_percent"), "must be 100 to 1000"));
            }
        }
        for pair in self.tiers.windows(2) {
            if pair[1].threshold <= pair[0].threshold {
                return Err(FieldError::new("loyalty.tiers", "thresholds must be ascending"));
            }
        }
        if self.rewards.len() > 20 {
            return Err(FieldError::new("loyalty.rewards", "lists at most 20 rewards"));
        }
        for (i, reward) in self.rewards.iter().enumerate() {
            let at = |f: &str| format!("loyalty.rewards[{i}].{f}");
            slug(&at("id"), &reward.id)?;
            if reward.points == 0 || reward.points > MAX_POINTS {
                return Err(FieldError::new(at("points"), "must be 1 to 1000000"));
            }
            if reward.discount.currency != *currency {
                return Err(FieldError::new(at("discount"), "must be in the shop's currency"));
            }
            reward.discount.check(&at("discount"))?;
            if reward.discount.amount_minor == 0 {
                return Err(FieldError::new(at("discount"), "must be more than zero"));
            }
        }
        let ids = |v: Vec<&str>| {
            let mut sorted = v.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted.len() == v.len()
        };
        if !ids(self.tiers.iter().map(|t| t.id.as_str()).collect()) {
            return Err(FieldError::new("loyalty.tiers", "ids must be unique"));
        }
        if !ids(self.rewards.iter().map(|r| r.id.as_str()).collect()) {
            return Err(FieldError::new("loyalty.rewards", "ids must be unique"));
        }
        if let Some(url) = &self.join_url {
            link_url("loyalty.join_url", url)?;
        }
        Ok(self)
    }

    pub fn reward(&self, id: &str) -> Option<&Reward> {
        self.rewards.iter().find(|r| r.id == id)
    }

    /// The highest tier whose threshold `progress` reaches.
    pub fn tier_for(&self, progress: i64) -> Option<&Tier> {
        self.tiers.iter().rev().find(|t| progress >= t.threshold)
    }
}
