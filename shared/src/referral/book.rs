//! The referral book: advocates, friends' claims and the referrals their orders make, and the
//! rules that move a referral from attribution to payout.
//!
//! A friend is known by a key: `e:{hash}` (their e-mail address, hashed with the shop's secret)
//! or `c:{customer}` (their customer id when the order carries no address). One friend makes at
//! most one referral, so a reward is paid at most once per referred customer, whichever
//! advocate came first.
//!
//! Fraud rules come in two kinds. A hard rule refuses ([`Refusal`]): the friend is the advocate
//! (same customer id or e-mail hash), or was a customer already. A soft rule ([`Flag`]) holds
//! the reward for the merchant's decision: the same network address as the advocate on the day
//! of the claim, many claims from one network address, the same shipping address as the
//! advocate's orders, or more rewards in 7 days than the shop allows one advocate.

use serde::{Deserialize, Serialize};

use super::{RecentReferral, RecentStatus, RewardValue};
use crate::catalog::Currency;
use crate::ids::{CustomerId, OrderKey};

const DAY: i64 = 86_400;
/// The window of the per-advocate velocity rule.
pub const VELOCITY_WINDOW_SECONDS: i64 = 7 * DAY;
/// Claims from one network address in one day before further ones are held.
pub const CLAIMS_PER_NETWORK_PER_DAY: u32 = 3;
/// Friends an advocate's page lists.
pub const RECENT_LEN: usize = 20;

/// A shopper who has a referral code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advocate {
    pub customer: CustomerId,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default)]
    pub show_name: bool,
    pub since: i64,
    #[serde(default)]
    pub clicks: u64,
    #[serde(default)]
    pub shares: u64,
    #[serde(default)]
    pub claims: u64,
    /// `(day, hashed network address)` the advocate was seen on, today and yesterday only.
    #[serde(default)]
    pub networks: Vec<(i64, String)>,
    /// Keys of the friends who claimed or were referred, oldest first, the last [`RECENT_LEN`].
    #[serde(default)]
    pub friends: Vec<String>,
    /// When the advocate's recent rewards were attributed (inside the velocity window).
    #[serde(default)]
    pub reward_times: Vec<i64>,
    /// The advocate's referrals counted by where they stand.
    #[serde(default)]
    pub tally: Tally,
}

/// An advocate's referrals by stage, kept as they move.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Friends whose first order counts (not refused, reversed or rejected).
    pub ordered: u64,
    /// Rewards waiting (for the hold period or the merchant).
    pub pending: u64,
    pub paid: u64,
    pub points_pending: u64,
    pub points_paid: u64,
}

fn counts(stage: Stage) -> bool {
    matches!(stage, Stage::Held | Stage::Pending | Stage::Paid)
}

fn waits(stage: Stage) -> bool {
    matches!(stage, Stage::Held | Stage::Pending)
}

impl Tally {
    /// Moves a referral worth `reward` from `change.from` to `change.to`.
    pub fn apply(&mut self, change: Change, reward: &RewardValue) {
        let points = match reward {
            RewardValue::Points(p) => u64::from(*p),
            RewardValue::Discount(_) => 0,
        };
        let mut step = |stage: Stage, sign: i8| {
            let add = |n: &mut u64, by: u64| {
                *n = if sign > 0 { n.saturating_add(by) } else { n.saturating_sub(by) };
            };
            if counts(stage) {
                add(&mut self.ordered, 1);
            }
            if waits(stage) {
                add(&mut self.pending, 1);
                add(&mut self.points_pending, points);
            }
            if stage == Stage::Paid {
                add(&mut self.paid, 1);
                add(&mut self.points_paid, points);
            }
        };
        if let Some(from) = change.from {
            step(from, -1);
        }
        step(change.to, 1);
    }
}

/// The day number of Unix seconds.
pub fn day_of(now: i64) -> i64 {
    now.div_euclid(DAY)
}

impl Advocate {
    pub fn new(customer: CustomerId, code: String, now: i64) -> Self {
        Self {
            customer,
            code,
            email_hash: None,
            first_name: None,
            show_name: false,
            since: now,
            clicks: 0,
            shares: 0,
            claims: 0,
            networks: Vec::new(),
            friends: Vec::new(),
            reward_times: Vec::new(),
            tally: Tally::default(),
        }
    }

    /// Records that the advocate used `network` at `now`; forgets what is older than yesterday.
    pub fn seen_on(&mut self, network: &str, now: i64) {
        let today = day_of(now);
        self.networks.retain(|(day, _)| *day >= today - 1);
        if !self.networks.iter().any(|(d, n)| *d == today && n == network) {
            self.networks.push((today, network.to_owned()));
        }
    }

    /// Did the advocate use `network` within a day of `now`?
    fn used_network(&self, network: &str, now: i64) -> bool {
        let today = day_of(now);
        self.networks.iter().any(|(day, n)| *day >= today - 1 && n == network)
    }

    /// Puts `friend` at the end of the recent friends.
    pub fn add_friend(&mut self, friend: &str) {
        self.friends.retain(|f| f != friend);
        self.friends.push(friend.to_owned());
        let excess = self.friends.len().saturating_sub(RECENT_LEN);
        self.friends.drain(..excess);
    }

    fn recent_rewards(&self, now: i64) -> usize {
        self.reward_times.iter().filter(|t| **t > now - VELOCITY_WINDOW_SECONDS).count()
    }

    fn count_reward(&mut self, now: i64) {
        self.reward_times.retain(|t| *t > now - VELOCITY_WINDOW_SECONDS);
        self.reward_times.push(now);
    }
}

/// A soft rule a referral tripped: its reward waits for the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// The friend claimed from a network address the advocate used that day.
    SameNetwork,
    /// More than [`CLAIMS_PER_NETWORK_PER_DAY`] claims came from the friend's network address.
    NetworkVelocity,
    /// The friend's order ships to an address the advocate's orders shipped to.
    SameAddress,
    /// The advocate reached the shop's limit of rewards in 7 days.
    AdvocateVelocity,
}

/// A hard rule a referral broke: refused, with the rule recorded for the merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// The friend is the advocate: the same customer id or e-mail hash.
    SelfReferral,
    /// The friend had ordered from the shop before.
    ExistingCustomer,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::SelfReferral => "self_referral",
            Refusal::ExistingCustomer => "existing_customer",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            Refusal::SelfReferral => "a shopper cannot use their own referral",
            Refusal::ExistingCustomer => "the friend offer is for a first order",
        }
    }
}

/// A friend's claim of their offer through an advocate's code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    /// The friend's key (`e:{hash}`).
    pub friend: String,
    /// `None` once the advocate has been erased: the friend's code stays valid, and earns
    /// nobody a reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advocate: Option<CustomerId>,
    pub discount_code: String,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<Flag>,
    /// Known to the code registry the checkout asks; until then the claim is answered again.
    #[serde(default)]
    pub registered: bool,
}

/// The soft rules a claim trips, or the hard one that refuses it.
pub fn check_claim(
    advocate: &Advocate,
    friend_email_hash: &str,
    network: &str,
    network_claims_today: u32,
    friend_has_ordered: bool,
    now: i64,
) -> Result<Vec<Flag>, Refusal> {
    if advocate.email_hash.as_deref() == Some(friend_email_hash) {
        return Err(Refusal::SelfReferral);
    }
    if friend_has_ordered {
        return Err(Refusal::ExistingCustomer);
    }
    let mut flags = Vec::new();
    if advocate.used_network(network, now) {
        flags.push(Flag::SameNetwork);
    }
    if network_claims_today >= CLAIMS_PER_NETWORK_PER_DAY {
        flags.push(Flag::NetworkVelocity);
    }
    Ok(flags)
}

/// What the order's object tells the referral book about a paid order (every delivery, with
/// its version): who bought, what the order may be attributed by, and what it is worth now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    pub order: OrderKey,
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_hash: Option<String>,
    /// The discount codes used on the order, normalised.
    #[serde(default)]
    pub discount_codes: Vec<String>,
    /// The order's `rapport_ref` attribute, normalised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_code: Option<String>,
    /// Paid and kept (less refunds; nothing once cancelled), in minor units.
    pub net_minor: i64,
    pub currency: Currency,
}

impl OrderFacts {
    /// The keys the buyer is known by.
    pub fn buyer_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        if let Some(hash) = &self.email_hash {
            keys.push(format!("e:{hash}"));
        }
        if let Some(customer) = &self.customer {
            keys.push(format!("c:{customer}"));
        }
        keys
    }
}

/// A buyer's first paid order, and where their orders shipped (hashed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buyer {
    pub order: OrderKey,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<String>,
}

/// Addresses a buyer record keeps.
const ADDRESSES_KEPT: usize = 5;

impl Buyer {
    /// The record after `facts`: the first order stays the first; a new address is added.
    pub fn with_order(existing: Option<Buyer>, facts: &OrderFacts, now: i64) -> Buyer {
        let mut buyer =
            existing.unwrap_or(Buyer { order: facts.order.clone(), at: now, addresses: vec![] });
        if let Some(address) = &facts.address_hash {
            if !buyer.addresses.contains(address) {
                buyer.addresses.push(address.clone());
                let excess = buyer.addresses.len().saturating_sub(ADDRESSES_KEPT);
                buyer.addresses.drain(..excess);
            }
        }
        buyer
    }
}

/// Where a referral stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Status {
    /// A soft rule was tripped: waits for the merchant.
    Held {
        flags: Vec<Flag>,
    },
    /// Pays at `due_at` unless the order is cancelled or refunded before.
    Pending {
        due_at: i64,
    },
    Paid {
        at: i64,
    },
    /// The order was cancelled or wholly refunded in the hold period.
    Reversed {
        at: i64,
    },
    /// The merchant rejected a held referral.
    Rejected {
        at: i64,
        reason: String,
    },
    /// A hard rule refused it.
    Refused {
        rule: Refusal,
    },
}

/// A status without its details, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Held,
    Pending,
    Paid,
    Reversed,
    Rejected,
    Refused,
}

impl Status {
    pub fn stage(&self) -> Stage {
        match self {
            Status::Held { .. } => Stage::Held,
            Status::Pending { .. } => Stage::Pending,
            Status::Paid { .. } => Stage::Paid,
            Status::Reversed { .. } => Stage::Reversed,
            Status::Rejected { .. } => Stage::Rejected,
            Status::Refused { .. } => Stage::Refused,
        }
    }
}

/// A referral moving from one stage to another (`from` is `None` for a new one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub from: Option<Stage>,
    pub to: Stage,
}

/// A friend's first paid order, attributed to an advocate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// The friend's key; also the referral's id.
    pub id: String,
    /// `None` once the advocate has been erased.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advocate: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friend_customer: Option<CustomerId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    pub order: OrderKey,
    /// The newest version of the order applied.
    pub version: u64,
    pub net_minor: i64,
    pub currency: Currency,
    pub reward: RewardValue,
    /// Attributed by the friend's claimed code; otherwise by the `rapport_ref` attribute.
    pub by_code: bool,
    pub attributed_at: i64,
    pub status: Status,
    pub changed_at: i64,
    /// A discount reward's code, once paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_code: Option<String>,
}

/// Why a merchant's decision was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotHeld(pub Stage);

/// The referral who made the order, and what the order does to the advocate's record.
pub struct Attribution<'a> {
    pub advocate: &'a mut Advocate,
    /// The advocate's own buyer record (where their orders shipped).
    pub advocate_buyer: Option<&'a Buyer>,
    pub claim: Option<&'a Claim>,
    /// The friend's buyer record names an earlier order than this one.
    pub friend_ordered_before: bool,
}

/// Attributes `facts`, the friend's paid order, to the advocate: refused by a hard rule, held
/// by a soft one, otherwise pending for the hold period.
pub fn attribute(
    a: Attribution<'_>,
    friend: String,
    facts: &OrderFacts,
    hold_days: u32,
    max_rewards_per_week: u32,
    reward: RewardValue,
    now: i64,
) -> (Referral, Change) {
    let advocate = a.advocate;
    let same_customer = facts.customer.as_ref() == Some(&advocate.customer);
    let same_email = facts.email_hash.is_some() && facts.email_hash == advocate.email_hash;
    let status = if same_customer || same_email {
        Status::Refused { rule: Refusal::SelfReferral }
    } else if a.friend_ordered_before {
        Status::Refused { rule: Refusal::ExistingCustomer }
    } else {
        let mut flags = a.claim.map(|c| c.flags.clone()).unwrap_or_default();
        let shipped_together = facts
            .address_hash
            .as_ref()
            .is_some_and(|h| a.advocate_buyer.is_some_and(|b| b.addresses.contains(h)));
        if shipped_together {
            flags.push(Flag::SameAddress);
        }
        if advocate.recent_rewards(now) >= max_rewards_per_week as usize {
            flags.push(Flag::AdvocateVelocity);
        }
        advocate.count_reward(now);
        flags.sort();
        flags.dedup();
        if flags.is_empty() {
            Status::Pending { due_at: now + i64::from(hold_days) * DAY }
        } else {
            Status::Held { flags }
        }
    };
    advocate.add_friend(&friend);
    let referral = Referral {
        id: friend,
        advocate: Some(advocate.customer.clone()),
        friend_customer: facts.customer.clone(),
        first_name: a.claim.and_then(|c| c.first_name.clone()),
        order: facts.order.clone(),
        version: facts.version,
        net_minor: facts.net_minor,
        currency: facts.currency.clone(),
        reward,
        by_code: a.claim.is_some(),
        attributed_at: now,
        changed_at: now,
        reward_code: None,
        status,
    };
    let change = Change { from: None, to: referral.status.stage() };
    (referral, change)
}

impl Referral {
    /// When the hold period of this referral ends.
    pub fn hold_ends(&self, hold_days: u32) -> i64 {
        self.attributed_at + i64::from(hold_days) * DAY
    }

    fn set(&mut self, status: Status, now: i64) -> Option<Change> {
        let from = self.status.stage();
        self.status = status;
        self.changed_at = now;
        Some(Change { from: Some(from), to: self.status.stage() })
    }

    /// Applies version `version` of the order, now worth `net_minor`: a cancellation or whole
    /// refund before the reward is paid reverses it; the order kept again within the hold
    /// period brings it back. Older versions, and anything after payment, change nothing.
    pub fn revalue(
        &mut self,
        version: u64,
        net_minor: i64,
        hold_days: u32,
        now: i64,
    ) -> Option<Change> {
        if version <= self.version {
            return None;
        }
        self.version = version;
        self.net_minor = net_minor;
        match (&self.status, net_minor > 0) {
            (Status::Held { .. } | Status::Pending { .. }, false) => {
                self.set(Status::Reversed { at: now }, now)
            }
            (Status::Reversed { .. }, true) if now < self.hold_ends(hold_days) => {
                let due_at = self.hold_ends(hold_days);
                self.set(Status::Pending { due_at }, now)
            }
            _ => None,
        }
    }

    /// The merchant's decision on a held referral: approved, it pays when the hold period
    /// ends (or at the next payout, if it has); rejected, never.
    pub fn decide(
        &mut self,
        approve: bool,
        reason: String,
        hold_days: u32,
        now: i64,
    ) -> Result<Change, NotHeld> {
        if !matches!(self.status, Status::Held { .. }) {
            return Err(NotHeld(self.status.stage()));
        }
        let status = if approve {
            Status::Pending { due_at: self.hold_ends(hold_days).max(now) }
        } else {
            Status::Rejected { at: now, reason }
        };
        Ok(self.set(status, now).expect("a change"))
    }

    /// Is the reward due at `now`?
    pub fn is_due(&self, now: i64) -> bool {
        matches!(self.status, Status::Pending { due_at } if due_at <= now)
    }

    /// Marks the reward paid.
    pub fn pay(&mut self, now: i64) -> Option<Change> {
        if !self.is_due(now) {
            return None;
        }
        self.set(Status::Paid { at: now }, now)
    }

    /// The referral as its advocate sees it.
    pub fn recent(&self) -> RecentReferral {
        let (status, pays_at) = match &self.status {
            Status::Held { .. } => (RecentStatus::Pending, None),
            Status::Pending { due_at } => (RecentStatus::Pending, Some(*due_at)),
            Status::Paid { .. } => (RecentStatus::Paid, None),
            Status::Reversed { .. } => (RecentStatus::Reversed, None),
            Status::Rejected { .. } | Status::Refused { .. } => (RecentStatus::NotEligible, None),
        };
        RecentReferral {
            friend: self.first_name.clone(),
            status,
            at: self.changed_at,
            pays_at,
            reward: matches!(status, RecentStatus::Pending | RecentStatus::Paid)
                .then(|| self.reward.clone()),
            code: self.reward_code.clone(),
        }
    }
}

impl Claim {
    /// The claim as its advocate sees it, before any order.
    pub fn recent(&self) -> RecentReferral {
        RecentReferral {
            friend: self.first_name.clone(),
            status: RecentStatus::Claimed,
            at: self.at,
            pays_at: None,
            reward: None,
            code: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Money;

    const T0: i64 = 1_780_000_000;

    fn eur() -> Currency {
        Currency::try_from("EUR".to_owned()).unwrap()
    }

    fn advocate() -> Advocate {
        let mut a = Advocate::new(CustomerId::parse("ann").unwrap(), "ABCD-EFGH".into(), T0);
        a.email_hash = Some("ann-hash".into());
        a
    }

    fn facts(version: u64, net_minor: i64) -> OrderFacts {
        OrderFacts {
            order: OrderKey::parse("shopify:1").unwrap(),
            version,
            customer: Some(CustomerId::parse("bob").unwrap()),
            email_hash: Some("bob-hash".into()),
            address_hash: Some("bob-street".into()),
            discount_codes: vec!["RP-AAAAA-BBBBB".into()],
            ref_code: None,
            net_minor,
            currency: eur(),
        }
    }

    fn claim(flags: Vec<Flag>) -> Claim {
        Claim {
            friend: "e:bob-hash".into(),
            advocate: Some(CustomerId::parse("ann").unwrap()),
            discount_code: "RP-AAAAA-BBBBB".into(),
            at: T0,
            first_name: Some("Bob".into()),
            flags,
            registered: true,
        }
    }

    fn reward() -> RewardValue {
        RewardValue::Discount(Money { amount_minor: 1000, currency: eur() })
    }

    fn run(
        advocate: &mut Advocate,
        buyer: Option<&Buyer>,
        claim: Option<&Claim>,
        before: bool,
        facts: &OrderFacts,
    ) -> Referral {
        let a =
            Attribution { advocate, advocate_buyer: buyer, claim, friend_ordered_before: before };
        attribute(a, "e:bob-hash".into(), facts, 30, 10, reward(), T0).0
    }

    #[test]
    fn claims_refuse_the_advocate_and_existing_customers_and_flag_shared_networks() {
        let mut a = advocate();
        a.seen_on("net-1", T0);
        assert_eq!(check_claim(&a, "ann-hash", "net-9", 0, false, T0), Err(Refusal::SelfReferral));
        assert_eq!(
            check_claim(&a, "bob-hash", "net-9", 0, true, T0),
            Err(Refusal::ExistingCustomer)
        );
        assert_eq!(check_claim(&a, "bob-hash", "net-9", 0, false, T0), Ok(vec![]));
        assert_eq!(check_claim(&a, "bob-hash", "net-1", 0, false, T0), Ok(vec![Flag::SameNetwork]));
        assert_eq!(
            check_claim(&a, "bob-hash", "net-1", 3, false, T0 + DAY),
            Ok(vec![Flag::SameNetwork, Flag::NetworkVelocity]),
            "yesterday's network still counts"
        );
        assert_eq!(check_claim(&a, "bob-hash", "net-1", 0, false, T0 + 2 * DAY), Ok(vec![]));
        a.seen_on("net-2", T0 + 3 * DAY);
        assert_eq!(a.networks.len(), 1, "old days are forgotten");
    }

    #[test]
    fn hard_rules_refuse_and_soft_rules_hold() {
        let mut a = advocate();
        let own = OrderFacts { customer: Some(a.customer.clone()), ..facts(1, 5000) };
        let r = run(&mut a, None, None, false, &own);
        assert_eq!(r.status, Status::Refused { rule: Refusal::SelfReferral });
        let own_email = OrderFacts { email_hash: Some("ann-hash".into()), ..facts(1, 5000) };
        let r = run(&mut a, None, None, false, &own_email);
        assert_eq!(r.status, Status::Refused { rule: Refusal::SelfReferral });
        let r = run(&mut a, None, Some(&claim(vec![])), true, &facts(1, 5000));
        assert_eq!(r.status, Status::Refused { rule: Refusal::ExistingCustomer });
        assert!(a.reward_times.is_empty(), "refusals do not count towards velocity");

        let r = run(&mut a, None, Some(&claim(vec![])), false, &facts(1, 5000));
        assert_eq!(r.status, Status::Pending { due_at: T0 + 30 * DAY });
        assert!(r.by_code);
        assert_eq!(r.first_name.as_deref(), Some("Bob"));

        let r = run(&mut a, None, Some(&claim(vec![Flag::SameNetwork])), false, &facts(1, 5000));
        assert_eq!(r.status, Status::Held { flags: vec![Flag::SameNetwork] });
        let shipped = Buyer {
            order: OrderKey::parse("shopify:0").unwrap(),
            at: T0,
            addresses: vec!["bob-street".into()],
        };
        let r = run(&mut a, Some(&shipped), None, false, &facts(1, 5000));
        assert_eq!(r.status, Status::Held { flags: vec![Flag::SameAddress] });
        assert!(!r.by_code);
    }

    #[test]
    fn the_advocates_eleventh_reward_in_a_week_waits_for_the_merchant() {
        let mut a = advocate();
        for _ in 0..10 {
            let r = run(&mut a, None, None, false, &facts(1, 5000));
            assert!(matches!(r.status, Status::Pending { .. } | Status::Held { .. }));
        }
        let r = run(&mut a, None, None, false, &facts(1, 5000));
        assert_eq!(r.status, Status::Held { flags: vec![Flag::AdvocateVelocity] });
    }

    #[test]
    fn a_refund_in_the_window_reverses_and_payment_is_final() {
        let mut a = advocate();
        let mut r = run(&mut a, None, None, false, &facts(1, 5000));
        assert_eq!(r.revalue(1, 0, 30, T0 + 1), None, "a version seen before");
        let change = r.revalue(2, 0, 30, T0 + DAY).unwrap();
        assert_eq!(change, Change { from: Some(Stage::Pending), to: Stage::Reversed });
        assert!(!r.is_due(T0 + 31 * DAY));
        assert_eq!(r.pay(T0 + 31 * DAY), None);
        // Kept again within the window: pending again, still due at the window's end.
        r.revalue(3, 5000, 30, T0 + 2 * DAY).unwrap();
        assert_eq!(r.status, Status::Pending { due_at: T0 + 30 * DAY });
        assert!(!r.is_due(T0 + 29 * DAY));
        assert_eq!(r.pay(T0 + 30 * DAY).unwrap().to, Stage::Paid);
        assert_eq!(
            r.revalue(4, 0, 30, T0 + 40 * DAY),
            None,
            "after payment a refund changes nothing"
        );
        assert_eq!(r.status, Status::Paid { at: T0 + 30 * DAY });
    }

    #[test]
    fn merchants_decide_held_referrals_only() {
        let mut a = advocate();
        let mut held =
            run(&mut a, None, Some(&claim(vec![Flag::SameNetwork])), false, &facts(1, 5000));
        let mut approved = held.clone();
        approved.decide(true, String::new(), 30, T0 + DAY).unwrap();
        assert_eq!(approved.status, Status::Pending { due_at: T0 + 30 * DAY });
        let mut late = held.clone();
        late.decide(true, String::new(), 30, T0 + 40 * DAY).unwrap();
        assert!(late.is_due(T0 + 40 * DAY), "approved after the window: due at once");
        held.decide(false, "same household".into(), 30, T0).unwrap();
        assert_eq!(held.status.stage(), Stage::Rejected);
        assert_eq!(held.decide(true, String::new(), 30, T0), Err(NotHeld(Stage::Rejected)));
        assert_eq!(held.recent().status, RecentStatus::NotEligible);
    }

    #[test]
    fn the_tally_follows_each_referral() {
        let mut t = Tally::default();
        let points = RewardValue::Points(500);
        t.apply(Change { from: None, to: Stage::Held }, &points);
        t.apply(Change { from: None, to: Stage::Refused }, &points);
        assert_eq!((t.ordered, t.pending, t.points_pending), (1, 1, 500));
        t.apply(Change { from: Some(Stage::Held), to: Stage::Pending }, &points);
        t.apply(Change { from: Some(Stage::Pending), to: Stage::Paid }, &points);
        assert_eq!(
            t,
            Tally { ordered: 1, pending: 0, paid: 1, points_pending: 0, points_paid: 500 }
        );
        t.apply(Change { from: None, to: Stage::Pending }, &points);
        t.apply(Change { from: Some(Stage::Pending), to: Stage::Reversed }, &points);
        assert_eq!((t.ordered, t.pending), (1, 0));
    }

    #[test]
    fn the_first_order_stays_first_and_addresses_are_kept() {
        let first = Buyer::with_order(None, &facts(1, 5000), T0);
        let later = OrderFacts {
            order: OrderKey::parse("shopify:2").unwrap(),
            address_hash: Some("new-street".into()),
            ..facts(1, 100)
        };
        let b = Buyer::with_order(Some(first), &later, T0 + 5);
        assert_eq!(b.order.as_str(), "shopify:1");
        assert_eq!(b.addresses, vec!["bob-street".to_owned(), "new-street".to_owned()]);
    }
}
