//! The model: neighbour lists learned from what shoppers did, in the order they did it.
//!
//! Everything works on dense item numbers (`u32`, `0..n_items`) so the same code runs on a
//! shop's catalog at the edge and on any interaction file offline (`cargo xtask eval-recs`);
//! the callers map SKUs to numbers and back.
//!
//! Two kinds of neighbours:
//! - **sequential** ([`sequential`]): within one shopper's history, an item links to the items
//!   that came after it (within `window` steps, weighted by distance) and, more weakly, to those
//!   that came before. The order carries signal: on MovieLens, the next item predicts far better
//!   than an unordered co-occurrence (see the README's quality table). Scores are normalised per
//!   item (each item spends one vote), divided by the neighbour's popularity to a power (so
//!   best-sellers do not top every list) and shrunk for pairs seen only a few times.
//! - **baskets** ([`baskets`]): items bought in the same order. Similarity is the co-purchase
//!   count over the geometric mean of the two items' counts (cosine on the order-item matrix,
//!   which corrects for popularity), shrunk by `c / (c + shrink)` so a pair seen once does not
//!   outrank a pair seen fifty times.
//!
//! "For you" ([`blend`]) adds the neighbour lists of a shopper's recent items, weighted by
//! recency. Because it needs only the public lists, a browser can run it on a history that never
//! leaves the device.

use std::collections::HashMap;
use std::ops::Range;

/// How sequential neighbours are learned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceParams {
    /// How many later items an item links to.
    pub window: usize,
    /// A link `d` steps away weighs `1 / d^distance`.
    pub distance: f32,
    /// Weight of the reverse link (an item to what came before it), relative to the forward one.
    pub backward: f32,
    /// Scores are divided by the neighbour's count to this power (0: no correction).
    pub popularity: f32,
    /// Pairs are shrunk by `c / (c + shrink)`.
    pub shrink: f32,
    /// Neighbours kept per item.
    pub keep: usize,
}

impl Default for SequenceParams {
    /// Chosen on a validation split of MovieLens' training interactions (never its test set);
    /// `cargo xtask eval-recs` repeats the search on any file.
    fn default() -> Self {
        Self { window: 20, distance: 1.0, backward: 0.25, popularity: 0.0, shrink: 5.0, keep: 100 }
    }
}

/// How "for you" weighs a shopper's history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BlendParams {
    /// How many of the most recent items count.
    pub history: usize,
    /// Each step back in the history weighs this much less (0 < decay ≤ 1).
    pub decay: f32,
}

impl Default for BlendParams {
    fn default() -> Self {
        Self { history: 20, decay: 0.7 }
    }
}

/// The neighbours of the items `start..start + lists.len()`, each best first. A build may
/// learn the lists of one range of items at a time: memory follows the range, not the shop.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Neighbours {
    pub start: u32,
    pub lists: Vec<Vec<(u32, f32)>>,
}

impl Neighbours {
    pub fn of(&self, item: u32) -> &[(u32, f32)] {
        item.checked_sub(self.start)
            .and_then(|i| self.lists.get(i as usize))
            .map_or(&[], Vec::as_slice)
    }
}

/// The links of the items in `sources`, indexed from its start.
fn rows<T: Clone>(sources: &Range<u32>) -> Vec<HashMap<u32, T>> {
    vec![HashMap::new(); sources.len()]
}

fn row<'a, T>(
    rows: &'a mut [HashMap<u32, T>],
    sources: &Range<u32>,
    i: u32,
) -> Option<&'a mut HashMap<u32, T>> {
    if sources.contains(&i) {
        rows.get_mut((i - sources.start) as usize)
    } else {
        None
    }
}

/// Keeps the `keep` best of `scores`, best first; ties go to the lower item number, so the
/// result does not depend on hash order.
fn top(scores: impl IntoIterator<Item = (u32, f32)>, keep: usize) -> Vec<(u32, f32)> {
    let mut all: Vec<(u32, f32)> = scores.into_iter().filter(|(_, s)| *s > 0.0).collect();
    let by_score = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
    if all.len() > keep {
        all.select_nth_unstable_by(keep, by_score);
        all.truncate(keep);
    }
    all.sort_unstable_by(by_score);
    all
}

/// Sequential neighbours of the items in `sources` (all: `0..n_items`), from each shopper's
/// history in order.
pub fn sequential<'a>(
    histories: impl IntoIterator<Item = &'a [u32]>,
    n_items: usize,
    sources: Range<u32>,
    p: &SequenceParams,
) -> Neighbours {
    let mut links: Vec<HashMap<u32, f32>> = rows(&sources);
    let mut count = vec![0u32; n_items];
    for history in histories {
        for (a, &i) in history.iter().enumerate() {
            count[i as usize] += 1;
            for (d, &j) in history.iter().skip(a + 1).take(p.window).enumerate() {
                if i == j {
                    continue;
                }
                let w = ((d + 1) as f32).powf(-p.distance);
                if let Some(row) = row(&mut links, &sources, i) {
                    *row.entry(j).or_default() += w;
                }
                if p.backward > 0.0 {
                    if let Some(row) = row(&mut links, &sources, j) {
                        *row.entry(i).or_default() += p.backward * w;
                    }
                }
            }
        }
    }
    let lists = links
        .into_iter()
        .map(|row| {
            let total: f32 = row.values().sum();
            let scored = row.into_iter().map(|(j, c)| {
                let damp = (count[j as usize].max(1) as f32).powf(p.popularity);
                (j, c / total * (c / (c + p.shrink)) / damp)
            });
            top(scored, p.keep)
        })
        .collect();
    Neighbours { start: sources.start, lists }
}

/// Co-purchase neighbours of the items in `sources`, from the baskets (the distinct items of
/// each order).
pub fn baskets<'a>(
    orders: impl IntoIterator<Item = &'a [u32]>,
    n_items: usize,
    sources: Range<u32>,
    shrink: f32,
    keep: usize,
) -> Neighbours {
    let mut pairs: Vec<HashMap<u32, u32>> = rows(&sources);
    let mut count = vec![0u32; n_items];
    for order in orders {
        let mut items = order.to_vec();
        items.sort_unstable();
        items.dedup();
        for (a, &i) in items.iter().enumerate() {
            count[i as usize] += 1;
            for &j in &items[a + 1..] {
                if let Some(row) = row(&mut pairs, &sources, i) {
                    *row.entry(j).or_default() += 1;
                }
                if let Some(row) = row(&mut pairs, &sources, j) {
                    *row.entry(i).or_default() += 1;
                }
            }
        }
    }
    let lists = pairs
        .into_iter()
        .enumerate()
        .map(|(k, row)| {
            let ni = count[sources.start as usize + k] as f32;
            let scored = row.into_iter().map(|(j, c)| {
                let c = c as f32;
                let cosine = c / (ni * count[j as usize] as f32).sqrt();
                (j, cosine * c / (c + shrink))
            });
            top(scored, keep)
        })
        .collect();
    Neighbours { start: sources.start, lists }
}

/// Adds the neighbour lists of the items in `sources` into one ranking, best first.
pub fn merge(parts: &[(&Neighbours, f32)], sources: Range<u32>, keep: usize) -> Neighbours {
    let start = sources.start;
    let lists = sources
        .map(|i| {
            let mut sum: HashMap<u32, f32> = HashMap::new();
            for (neighbours, weight) in parts {
                // Each part is scaled to its own best score, so weights compare like for like.
                let list = neighbours.of(i);
                let best = list.first().map_or(1.0, |(_, s)| *s);
                for &(j, s) in list {
                    *sum.entry(j).or_default() += weight * s / best;
                }
            }
            top(sum, keep)
        })
        .collect();
    Neighbours { start, lists }
}

/// "For you": the neighbours of `history` (oldest first), the most recent weighing most, best
/// first, leaving out what `skip` says to.
pub fn blend(
    history: &[u32],
    neighbours: impl Fn(u32) -> Vec<(u32, f32)>,
    p: &BlendParams,
    skip: impl Fn(u32) -> bool,
    keep: usize,
) -> Vec<(u32, f32)> {
    let mut sum: HashMap<u32, f32> = HashMap::new();
    let mut weight = 1.0;
    let mut seen = Vec::with_capacity(p.history);
    for &item in history.iter().rev() {
        if seen.len() == p.history {
            break;
        }
        // A repeated item counts at its most recent position only.
        if seen.contains(&item) {
            continue;
        }
        seen.push(item);
        for (j, s) in neighbours(item) {
            if !skip(j) {
                *sum.entry(j).or_default() += weight * s;
            }
        }
        weight *= p.decay;
    }
    top(sum, keep)
}

/// The weight of an event `age` seconds old: `0.5^(age / half_life)`.
pub fn decay(age: i64, half_life_seconds: i64) -> f32 {
    0.5f64.powf(age.max(0) as f64 / half_life_seconds.max(1) as f64) as f32
}

/// Counts with exponential time decay: each event weighs `0.5^(age / half_life)`. Items with
/// the highest sum are trending.
pub fn trending(
    events: &[(u32, i64)],
    now: i64,
    half_life_seconds: i64,
    keep: usize,
) -> Vec<(u32, f32)> {
    let mut sum: HashMap<u32, f32> = HashMap::new();
    for &(item, at) in events {
        *sum.entry(item).or_default() += decay(now - at, half_life_seconds);
    }
    top(sum, keep)
}

/// Items by how often they occur: the fallback that keeps a widget from ever being empty.
pub fn popular(items: impl IntoIterator<Item = u32>, keep: usize) -> Vec<(u32, f32)> {
    let mut count: HashMap<u32, f32> = HashMap::new();
    for item in items {
        *count.entry(item).or_default() += 1.0;
    }
    top(count, keep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_item_is_the_strongest_neighbour() {
        // 0 is always followed by 1, once by 2 further away; 3 is everywhere.
        let histories = [vec![0, 1, 3], vec![0, 1, 2, 3], vec![3, 0, 1], vec![3, 2]];
        let p = SequenceParams { backward: 0.0, ..SequenceParams::default() };
        let n = sequential(histories.iter().map(Vec::as_slice), 4, 0..4, &p);
        assert_eq!(n.of(0)[0].0, 1);
        assert!(n.of(0).iter().all(|(j, _)| *j != 0), "an item is never its own neighbour");
        // Nothing follows 1 but 2 and 3; with no backward links 0 is not a neighbour of 1.
        assert!(n.of(1).iter().all(|(j, _)| *j != 0));
        let back =
            sequential(histories.iter().map(Vec::as_slice), 4, 0..4, &SequenceParams::default());
        // Learned one range at a time, the same lists.
        let part =
            sequential(histories.iter().map(Vec::as_slice), 4, 1..3, &SequenceParams::default());
        assert_eq!((part.of(1), part.of(2), part.of(0)), (back.of(1), back.of(2), &[][..]));
        assert!(back.of(1).iter().any(|(j, _)| *j == 0));
    }

    #[test]
    fn popularity_correction_lets_a_specific_neighbour_win() {
        // 0 is followed by the best-seller 9 as often as by 1, but 9 follows everything.
        let mut histories = vec![vec![0, 1], vec![0, 9], vec![0, 1], vec![0, 9]];
        histories.extend((2..8).map(|i| vec![i, 9]));
        let flat = SequenceParams { popularity: 0.0, backward: 0.0, ..Default::default() };
        let tie = sequential(histories.iter().map(Vec::as_slice), 10, 0..10, &flat);
        assert_eq!(tie.of(0)[0].1, tie.of(0)[1].1);
        let damped = sequential(
            histories.iter().map(Vec::as_slice),
            10,
            0..10,
            &SequenceParams { popularity: 0.5, ..flat },
        );
        assert_eq!(damped.of(0)[0].0, 1);
    }

    #[test]
    fn shrinkage_ranks_a_pair_seen_often_above_one_seen_once() {
        // 0 and the best-seller 1 were bought together 20 times; 0 and 2 once, and 2 never
        // otherwise: the raw cosine would put 2 first.
        let mut orders: Vec<Vec<u32>> = (0..20).map(|_| vec![0, 1]).collect();
        orders.extend((0..2000).map(|_| vec![1, 3]));
        orders.push(vec![0, 2]);
        let raw = baskets(orders.iter().map(Vec::as_slice), 4, 0..4, 0.0, 10);
        assert_eq!(raw.of(0)[0].0, 2);
        let shrunk = baskets(orders.iter().map(Vec::as_slice), 4, 0..4, 5.0, 10);
        assert_eq!(baskets(orders.iter().map(Vec::as_slice), 4, 0..1, 5.0, 10).of(0), shrunk.of(0));
        assert_eq!(shrunk.of(0)[0].0, 1);
        // A repeated line in one order is one purchase.
        assert_eq!(baskets([&[0, 0, 1][..]], 2, 0..2, 0.0, 10).of(0), &[(1, 1.0)]);
    }

    #[test]
    fn for_you_weighs_the_latest_items_most_and_skips_what_it_is_told() {
        let n =
            Neighbours { start: 0, lists: vec![vec![(5, 1.0)], vec![(6, 1.0), (5, 0.1)], vec![]] };
        let lists = |i: u32| n.of(i).to_vec();
        let p = BlendParams { history: 10, decay: 0.5 };
        let ranked = blend(&[0, 1], lists, &p, |_| false, 10);
        assert_eq!(ranked[0].0, 6, "1 is the latest: its neighbour first");
        assert_eq!(ranked[1], (5, 0.1 + 0.5));
        assert_eq!(blend(&[0, 1], lists, &p, |j| j == 6, 10)[0].0, 5);
        // Only the last `history` distinct items count.
        let short = BlendParams { history: 1, decay: 0.5 };
        assert_eq!(blend(&[0, 1, 1], lists, &short, |_| false, 10).len(), 2);
        assert!(blend(&[1, 0], lists, &short, |_| false, 10) == vec![(5, 1.0)]);
    }

    #[test]
    fn trending_decays_with_age_and_popular_counts() {
        let day = 86_400;
        let now = 100 * day;
        // Item 0: ten sales a month ago; item 1: three sales today.
        let mut events: Vec<(u32, i64)> = (0..10).map(|_| (0, now - 30 * day)).collect();
        events.extend((0..3).map(|_| (1, now)));
        let ranked = trending(&events, now, 7 * day, 10);
        assert_eq!(ranked[0].0, 1);
        assert!((ranked[0].1 - 3.0).abs() < 1e-6);
        assert_eq!(popular(events.iter().map(|e| e.0), 10)[0], (0, 10.0));
        assert_eq!(popular([4, 2, 2, 4], 10), vec![(2, 2.0), (4, 2.0)], "ties by item number");
    }
}
