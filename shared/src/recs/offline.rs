//! The offline protocol behind `cargo xtask eval-recs`: leave the last interaction out, rank
//! every item the user has not touched, count hits in the top ten.
//!
//! The held-out item of each user is their last interaction by time, ties broken by file order.
//! Parameters of our model are chosen on a validation split made the same way from the training
//! interactions alone (each user's last training interaction held out), never on the test items.

use std::collections::HashMap;

use super::model::{self, BlendParams, SequenceParams};

/// Interactions read from a `user,item,timestamp` file, with dense numbers for users and items.
#[derive(Debug, Clone, Default)]
pub struct Interactions {
    /// Each user's items, in time order (ties in file order).
    pub histories: Vec<Vec<u32>>,
    /// The item names, by number.
    pub items: Vec<String>,
    pub count: usize,
}

impl Interactions {
    /// Reads a CSV with a header row naming `user`, `item` and `timestamp` columns (in any
    /// order; other columns are ignored).
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().ok_or("the file is empty")?.split(',').collect();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().trim_matches('"').eq_ignore_ascii_case(name))
                .ok_or(format!("the header has no `{name}` column"))
        };
        let (u, i, t) = (column("user")?, column("item")?, column("timestamp")?);
        let mut users: HashMap<String, u32> = HashMap::new();
        let mut items: HashMap<String, u32> = HashMap::new();
        let mut names = Vec::new();
        let mut events: Vec<Vec<(i64, u32)>> = Vec::new();
        let mut count = 0;
        for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let fields: Vec<&str> = line.split(',').map(|f| f.trim().trim_matches('"')).collect();
            let get =
                |c: usize| fields.get(c).copied().ok_or(format!("line {}: too few columns", n + 2));
            let time: i64 = get(t)?
                .parse::<f64>()
                .map_err(|_| format!("line {}: the timestamp is not a number", n + 2))?
                as i64;
            let next_user = users.len() as u32;
            let user = *users.entry(get(u)?.to_owned()).or_insert(next_user);
            let next_item = items.len() as u32;
            let item = *items.entry(get(i)?.to_owned()).or_insert_with(|| {
                names.push(fields[i].to_owned());
                next_item
            });
            if user as usize == events.len() {
                events.push(Vec::new());
            }
            events[user as usize].push((time, item));
            count += 1;
        }
        let histories = events
            .into_iter()
            .map(|mut e| {
                // A stable sort keeps file order among equal timestamps.
                e.sort_by_key(|(time, _)| *time);
                e.into_iter().map(|(_, item)| item).collect()
            })
            .collect();
        Ok(Self { histories, items: names, count })
    }
}

/// Each user's history without its last item, and that item (none for an empty history).
pub fn leave_last_out(histories: &[Vec<u32>]) -> (Vec<Vec<u32>>, Vec<Option<u32>>) {
    histories
        .iter()
        .map(|h| match h.split_last() {
            Some((last, rest)) => (rest.to_vec(), Some(*last)),
            None => (Vec::new(), None),
        })
        .unzip()
}

/// Hit rate, NDCG and recall at 10, over the users with a held-out item.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    pub hit_rate: f64,
    pub ndcg: f64,
    pub recall: f64,
    pub users: usize,
}

/// The cut-off of every metric.
pub const K: usize = 10;

/// Scores `ranker`'s top-10 lists (`ranker(user, training history)`) against the held-out items.
pub fn evaluate(
    train: &[Vec<u32>],
    held: &[Option<u32>],
    mut ranker: impl FnMut(usize, &[u32]) -> Vec<u32>,
) -> Metrics {
    let mut m = Metrics::default();
    for (user, target) in held.iter().enumerate() {
        let Some(target) = target else { continue };
        m.users += 1;
        let ranked = ranker(user, &train[user]);
        if let Some(rank) = ranked.iter().take(K).position(|i| i == target) {
            m.hit_rate += 1.0;
            m.ndcg += 1.0 / ((rank + 2) as f64).log2();
            // One relevant item per user: recall is the hit itself.
            m.recall += 1.0;
        }
    }
    let n = m.users.max(1) as f64;
    Metrics { hit_rate: m.hit_rate / n, ndcg: m.ndcg / n, recall: m.recall / n, users: m.users }
}

/// The best `K` of `scores` that `history` does not hold, popular items filling any gap.
pub fn top_unseen(
    scores: impl IntoIterator<Item = (u32, f32)>,
    history: &[u32],
    fallback: &[(u32, f32)],
) -> Vec<u32> {
    let mut out: Vec<u32> = Vec::with_capacity(K);
    let seen = |i: &u32| history.contains(i);
    for (item, _) in scores {
        if out.len() == K {
            return out;
        }
        if !seen(&item) && !out.contains(&item) {
            out.push(item);
        }
    }
    for (item, _) in fallback {
        if out.len() == K {
            break;
        }
        if !seen(item) && !out.contains(item) {
            out.push(*item);
        }
    }
    out
}

/// Our model, trained on `train`: sequential neighbours blended over each user's recent history,
/// popular items filling a short list.
pub struct Ours {
    pub neighbours: model::Neighbours,
    pub popular: Vec<(u32, f32)>,
    pub blend: BlendParams,
}

impl Ours {
    pub fn train(
        train: &[Vec<u32>],
        n_items: usize,
        seq: &SequenceParams,
        blend: BlendParams,
    ) -> Self {
        Self {
            neighbours: model::sequential(
                train.iter().map(Vec::as_slice),
                n_items,
                0..n_items as u32,
                seq,
            ),
            popular: model::popular(train.iter().flatten().copied(), 200),
            blend,
        }
    }

    pub fn rank(&self, history: &[u32]) -> Vec<u32> {
        let scores = model::blend(
            history,
            |i| self.neighbours.of(i).to_vec(),
            &self.blend,
            |j| history.contains(&j),
            K,
        );
        top_unseen(scores, history, &self.popular)
    }
}

/// Chooses our parameters on a validation split of `train` (each user's last training item held
/// out), one parameter at a time over a small grid, twice round. Returns them with the
/// validation hit rate they reached.
pub fn tune(train: &[Vec<u32>], n_items: usize) -> (SequenceParams, BlendParams, f64) {
    let (fit, held) = leave_last_out(train);
    let score = |s: &SequenceParams, b: &BlendParams| {
        let ours = Ours::train(&fit, n_items, s, *b);
        evaluate(&fit, &held, |_, h| ours.rank(h)).hit_rate
    };
    let mut at = (SequenceParams::default(), BlendParams::default());
    let mut best = score(&at.0, &at.1);
    // Each step moves one parameter over its grid: the candidates it yields from the current
    // point. Twice round, so a parameter can follow what the others moved to.
    type Step = fn(&(SequenceParams, BlendParams)) -> Vec<(SequenceParams, BlendParams)>;
    let steps: [Step; 7] = [
        |(s, b)| {
            [1, 2, 3, 5, 8, 12, 20, 30, 50]
                .map(|window| (SequenceParams { window, ..*s }, *b))
                .to_vec()
        },
        |(s, b)| {
            [0.5, 1.0, 1.5, 2.0].map(|distance| (SequenceParams { distance, ..*s }, *b)).to_vec()
        },
        |(s, b)| {
            [0.0, 0.25, 0.5, 0.75, 1.0]
                .map(|backward| (SequenceParams { backward, ..*s }, *b))
                .to_vec()
        },
        |(s, b)| {
            [0.0, 0.1, 0.2, 0.3, 0.5, 0.7]
                .map(|popularity| (SequenceParams { popularity, ..*s }, *b))
                .to_vec()
        },
        |(s, b)| {
            [0.0, 0.5, 1.0, 2.0, 5.0].map(|shrink| (SequenceParams { shrink, ..*s }, *b)).to_vec()
        },
        |(s, b)| {
            [1, 2, 3, 5, 10, 20, 30, 50].map(|history| (*s, BlendParams { history, ..*b })).to_vec()
        },
        |(s, b)| [0.3, 0.5, 0.7, 0.85, 1.0].map(|decay| (*s, BlendParams { decay, ..*b })).to_vec(),
    ];
    for _ in 0..2 {
        for step in steps {
            for candidate in step(&at) {
                let v = score(&candidate.0, &candidate.1);
                if v > best {
                    (best, at) = (v, candidate);
                }
            }
        }
    }
    let (seq, blend) = at;
    (seq, blend, best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_orders_each_history_by_time_then_file_order() {
        let data = Interactions::from_csv(
            "timestamp,user,item,rating\n5,a,x,1\n3,a,y,1\n5,a,z,1\n1,b,x,1\n\n",
        )
        .unwrap();
        assert_eq!(data.count, 4);
        assert_eq!(data.items, vec!["x", "y", "z"]);
        // a: y (t=3), then x and z (both t=5, x first in the file).
        assert_eq!(data.histories, vec![vec![1, 0, 2], vec![0]]);
        let (train, held) = leave_last_out(&data.histories);
        assert_eq!(train, vec![vec![1, 0], vec![]]);
        assert_eq!(held, vec![Some(2), Some(0)]);
        assert!(Interactions::from_csv("user,item\n1,2").unwrap_err().contains("timestamp"));
        assert!(Interactions::from_csv("user,item,timestamp\n1,2,x")
            .unwrap_err()
            .contains("line 2"));
    }

    #[test]
    fn metrics_count_hits_in_the_top_ten_by_rank() {
        let train = vec![vec![0], vec![0], vec![], vec![0]];
        let held = vec![Some(1), Some(2), None, Some(3)];
        // User 0's item is first, user 1's third, user 3's is missing.
        let lists = [vec![1, 5], vec![4, 5, 2], vec![], vec![4]];
        let m = evaluate(&train, &held, |u, _| lists[u].clone());
        assert_eq!(m.users, 3);
        assert!((m.hit_rate - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.ndcg - (1.0 + 0.5) / 3.0).abs() < 1e-9);
        assert_eq!(m.recall, m.hit_rate);
    }

    #[test]
    fn the_top_ten_leaves_out_the_history_and_fills_from_the_fallback() {
        let popular: Vec<(u32, f32)> = (0..30).map(|i| (i, 1.0)).collect();
        let top = top_unseen([(7, 2.0), (3, 1.0), (7, 0.5)], &[3, 0, 1], &popular);
        assert_eq!(top, vec![7, 2, 4, 5, 6, 8, 9, 10, 11, 12]);
    }

    #[test]
    fn ours_learns_what_comes_next() {
        // Everyone watches 0, 1, 2 in that order; the last user stops after 1.
        let mut histories: Vec<Vec<u32>> = (0..20).map(|_| vec![0, 1, 2]).collect();
        histories.push(vec![5, 0, 1]);
        let ours = Ours::train(&histories, 6, &SequenceParams::default(), BlendParams::default());
        assert_eq!(ours.rank(&[5, 0, 1])[0], 2);
    }
}
