//! The merchant's referral figures, kept per week as they happen, so a report over any period
//! adds up a few weeks instead of reading every referral.
//!
//! Counts are exact. Distinct visitors and distinct active advocates are HyperLogLog sketches
//! ([`Sketch`]: 1,024 one-byte registers, about 3% standard error, exact-ish below a few
//! hundred by linear counting), which merge across weeks without keeping who was counted.
//!
//! The viral coefficient is K = invites per advocate × conversion of an invite into a first
//! order, with an invite being a visit by a referral link (one per network address, code and
//! day) and an advocate one who shared or whose link was opened in the period: K = first
//! orders ÷ active advocates.

use serde::{Deserialize, Serialize};

use super::book::{Change, Stage};
use crate::time::{days_from_civil, iso_date};

const DAY: i64 = 86_400;
const REGISTERS: usize = 1024;
const INDEX_BITS: u32 = 10;

/// A HyperLogLog sketch of a set of 64-bit hashes. Empty until the first insertion.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sketch(Vec<u8>);

impl Sketch {
    pub fn insert(&mut self, hash: u64) {
        if self.0.is_empty() {
            self.0 = vec![0; REGISTERS];
        }
        let index = (hash >> (64 - INDEX_BITS)) as usize;
        let rest = hash << INDEX_BITS;
        let rank = (rest.leading_zeros() + 1).min(64 - INDEX_BITS + 1) as u8;
        self.0[index] = self.0[index].max(rank);
    }

    pub fn merge(&mut self, other: &Sketch) {
        if other.0.is_empty() {
            return;
        }
        if self.0.is_empty() {
            self.0 = other.0.clone();
            return;
        }
        for (mine, theirs) in self.0.iter_mut().zip(&other.0) {
            *mine = (*mine).max(*theirs);
        }
    }

    /// The estimated number of distinct hashes inserted.
    pub fn estimate(&self) -> u64 {
        if self.0.len() != REGISTERS {
            return 0;
        }
        let m = REGISTERS as f64;
        let sum: f64 = self.0.iter().map(|r| 2f64.powi(-i32::from(*r))).sum();
        let raw = 0.7213 / (1.0 + 1.079 / m) * m * m / sum;
        let zeros = self.0.iter().filter(|r| **r == 0).count();
        let estimate = if raw <= 2.5 * m && zeros > 0 { m * (m / zeros as f64).ln() } else { raw };
        estimate.round() as u64
    }
}

/// FNV-1a of `text`, spread by a final mix: the 64-bit hash a sketch takes.
pub fn sketch_hash(text: &str) -> u64 {
    let mut h = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    // SplitMix64's finaliser: FNV's high bits alone are not uniform enough for the registers.
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// One week's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekStats {
    #[serde(default)]
    pub shares: u64,
    #[serde(default)]
    pub clicks: u64,
    #[serde(default)]
    pub claims: u64,
    #[serde(default)]
    pub first_orders: u64,
    /// The referred first orders' amounts when attributed, in minor units of the shop's
    /// currency.
    #[serde(default)]
    pub revenue_minor: i64,
    #[serde(default)]
    pub rewards_pending: u64,
    #[serde(default)]
    pub rewards_held: u64,
    #[serde(default)]
    pub rewards_paid: u64,
    #[serde(default)]
    pub rewards_reversed: u64,
    #[serde(default)]
    pub rewards_rejected: u64,
    #[serde(default)]
    pub refused: u64,
    #[serde(default)]
    pub visitors: Sketch,
    #[serde(default)]
    pub advocates: Sketch,
}

/// Referrals standing at a stage now, kept as they move (not per week).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outstanding {
    pub pending: u64,
    pub held: u64,
}

impl Outstanding {
    pub fn apply(&mut self, change: Change) {
        let step = |n: &mut u64, stage: Stage, from: Option<Stage>, to: Stage| {
            if from == Some(stage) {
                *n = n.saturating_sub(1);
            }
            if to == stage {
                *n += 1;
            }
        };
        step(&mut self.pending, Stage::Pending, change.from, change.to);
        step(&mut self.held, Stage::Held, change.from, change.to);
    }
}

impl WeekStats {
    /// Counts a referral's move into a stage this week; a new referral also counts as a first
    /// order worth `net_minor` (in the shop's currency; 0 otherwise), unless it was refused.
    pub fn record(&mut self, change: Change, net_minor: i64) {
        match change.to {
            Stage::Pending => self.rewards_pending += 1,
            Stage::Held => self.rewards_held += 1,
            Stage::Paid => self.rewards_paid += 1,
            Stage::Reversed => self.rewards_reversed += 1,
            Stage::Rejected => self.rewards_rejected += 1,
            Stage::Refused => self.refused += 1,
        }
        if change.from.is_none() && change.to != Stage::Refused {
            self.first_orders += 1;
            self.revenue_minor = self.revenue_minor.saturating_add(net_minor);
        }
    }

    fn add(&mut self, other: &WeekStats) {
        self.shares += other.shares;
        self.clicks += other.clicks;
        self.claims += other.claims;
        self.first_orders += other.first_orders;
        self.revenue_minor = self.revenue_minor.saturating_add(other.revenue_minor);
        self.rewards_pending += other.rewards_pending;
        self.rewards_held += other.rewards_held;
        self.rewards_paid += other.rewards_paid;
        self.rewards_reversed += other.rewards_reversed;
        self.rewards_rejected += other.rewards_rejected;
        self.refused += other.refused;
        self.visitors.merge(&other.visitors);
        self.advocates.merge(&other.advocates);
    }
}

/// The Monday (day number) of the week holding `now`: 1970-01-01 was a Thursday.
pub fn week_of(now: i64) -> i64 {
    let day = now.div_euclid(DAY);
    day - (day + 3).rem_euclid(7)
}

/// `YYYY-MM-DD` of a week's Monday.
pub fn week_label(week: i64) -> String {
    iso_date(week * DAY)
}

/// The week holding `YYYY-MM-DD`, or `None` when it is not a date.
pub fn week_of_date(date: &str) -> Option<i64> {
    let mut parts = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some()
        || !(1970..=9999).contains(&y)
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&d)
    {
        return None;
    }
    Some(week_of(days_from_civil(y, m, d) * DAY))
}

/// One week as a report shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeekFigures {
    /// The week's Monday.
    pub week: String,
    pub shares: u64,
    pub clicks: u64,
    pub unique_visitors: u64,
    pub claims: u64,
    pub first_orders: u64,
    pub revenue_minor: i64,
    pub rewards_pending: u64,
    pub rewards_held: u64,
    pub rewards_paid: u64,
    pub rewards_reversed: u64,
    pub rewards_rejected: u64,
    pub refused: u64,
    pub active_advocates: u64,
}

/// The figures over a period, each week and in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub from: String,
    pub to: String,
    pub totals: WeekFigures,
    pub weeks: Vec<WeekFigures>,
    /// Invites (link visits) per active advocate.
    pub invites_per_advocate: f64,
    /// First orders per invite.
    pub conversion: f64,
    /// K = invites per advocate × conversion.
    pub viral_coefficient: f64,
    /// Rewards waiting for their hold period, and for the merchant, now.
    pub outstanding: Outstanding,
}

fn figures(label: String, w: &WeekStats) -> WeekFigures {
    WeekFigures {
        week: label,
        shares: w.shares,
        clicks: w.clicks,
        unique_visitors: w.visitors.estimate(),
        claims: w.claims,
        first_orders: w.first_orders,
        revenue_minor: w.revenue_minor,
        rewards_pending: w.rewards_pending,
        rewards_held: w.rewards_held,
        rewards_paid: w.rewards_paid,
        rewards_reversed: w.rewards_reversed,
        rewards_rejected: w.rewards_rejected,
        refused: w.refused,
        active_advocates: w.advocates.estimate(),
    }
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        ((a / b) * 1000.0).round() / 1000.0
    } else {
        0.0
    }
}

/// The report over `weeks` (Monday day numbers with their figures, any order) from week
/// `from` to week `to`, both included.
pub fn report(weeks: &[(i64, WeekStats)], from: i64, to: i64, outstanding: Outstanding) -> Report {
    let mut chosen: Vec<&(i64, WeekStats)> =
        weeks.iter().filter(|(w, _)| (from..=to).contains(w)).collect();
    chosen.sort_by_key(|(w, _)| *w);
    let mut total = WeekStats::default();
    for (_, w) in &chosen {
        total.add(w);
    }
    let totals = figures(format!("{}..{}", week_label(from), week_label(to)), &total);
    let advocates = totals.active_advocates as f64;
    let invites = totals.clicks as f64;
    let invites_per_advocate = ratio(invites, advocates);
    let conversion = ratio(totals.first_orders as f64, invites);
    Report {
        from: week_label(from),
        to: week_label(to),
        weeks: chosen.iter().map(|(w, s)| figures(week_label(*w), s)).collect(),
        invites_per_advocate,
        conversion,
        viral_coefficient: ratio(totals.first_orders as f64, advocates),
        totals,
        outstanding,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sketches_count_distinct_values_closely_and_merge() {
        for n in [1u64, 10, 100, 1_000, 20_000] {
            let mut s = Sketch::default();
            for i in 0..n {
                s.insert(sketch_hash(&format!("visitor-{i}")));
                s.insert(sketch_hash(&format!("visitor-{i}"))); // twice: counted once
            }
            let e = s.estimate() as f64;
            assert!((e - n as f64).abs() <= (n as f64 * 0.06).max(1.0), "{n}: {e}");
        }
        let (mut a, mut b) = (Sketch::default(), Sketch::default());
        for i in 0..500 {
            a.insert(sketch_hash(&format!("v{i}")));
            b.insert(sketch_hash(&format!("v{}", i + 250)));
        }
        a.merge(&b);
        let e = a.estimate() as f64;
        assert!((e - 750.0).abs() < 45.0, "{e}");
        assert_eq!(Sketch::default().estimate(), 0);
    }

    #[test]
    fn weeks_start_on_monday() {
        // 2026-11-30 is a Monday.
        let monday = week_of_date("2026-11-30").unwrap();
        assert_eq!(week_label(monday), "2026-11-30");
        assert_eq!(week_of_date("2026-12-06"), Some(monday));
        assert_eq!(week_of_date("2026-12-07"), Some(monday + 7));
        assert_eq!(week_of_date("2026-13-01"), None);
        assert_eq!(week_of_date("soon"), None);
    }

    #[test]
    fn a_report_adds_weeks_and_computes_k() {
        let stage = |from, to| Change { from, to };
        let mut w1 = WeekStats { shares: 4, clicks: 10, ..Default::default() };
        w1.record(stage(None, Stage::Pending), 5_000);
        w1.record(stage(None, Stage::Refused), 9_000);
        for a in ["ann", "bob"] {
            w1.advocates.insert(sketch_hash(a));
        }
        let mut w2 = WeekStats { clicks: 10, ..Default::default() };
        w2.record(stage(None, Stage::Held), 3_000);
        w2.record(stage(Some(Stage::Pending), Stage::Paid), 0);
        w2.advocates.insert(sketch_hash("ann"));
        let monday = week_of_date("2026-11-30").unwrap();
        let weeks = vec![(monday + 7, w2), (monday, w1), (monday + 14, WeekStats::default())];
        let r = report(&weeks, monday, monday + 7, Outstanding { pending: 0, held: 1 });
        assert_eq!(r.weeks.len(), 2);
        assert_eq!(r.weeks[0].week, "2026-11-30");
        assert_eq!((r.totals.first_orders, r.totals.revenue_minor), (2, 8_000));
        assert_eq!((r.totals.refused, r.totals.rewards_paid), (1, 1));
        assert_eq!(r.totals.active_advocates, 2);
        assert_eq!(r.invites_per_advocate, 10.0);
        assert_eq!(r.conversion, 0.1);
        assert_eq!(r.viral_coefficient, 1.0);
    }

    #[test]
    fn outstanding_follows_the_moves() {
        let mut o = Outstanding::default();
        o.apply(Change { from: None, to: Stage::Held });
        o.apply(Change { from: Some(Stage::Held), to: Stage::Pending });
        assert_eq!(o, Outstanding { pending: 1, held: 0 });
        o.apply(Change { from: Some(Stage::Pending), to: Stage::Paid });
        assert_eq!(o, Outstanding::default());
    }
}
