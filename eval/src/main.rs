//! `cargo xtask eval-recs --interactions FILE.csv`: our recommendation model against
//! popularity, item-kNN (cosine) and EASE^R (Steck 2019) on any `user,item,timestamp` file,
//! under the protocol of `rapport_shared::recs::offline` (each user's last interaction held out,
//! every untouched item ranked, HR/NDCG/recall at 10).
//!
//! `--scale LINES --products N` instead times the batch build of a synthetic shop ([`scale`]).
//!
//! Each model's free parameters are chosen on a validation split of the training interactions:
//! EASE^R's λ, and ours through `offline::tune`. The test items are read only to score.

use std::time::Instant;

use faer::linalg::solvers::DenseSolveCore;
use faer::{Mat, Side};
use rapport_shared::recs::offline::{self, Interactions, Metrics, Ours, K};

mod scale;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.windows(2).find(|w| w[0] == flag).map(|w| w[1].clone());
    if let Some(lines) = value("--scale").and_then(|l| l.parse().ok()) {
        let products = value("--products").and_then(|p| p.parse().ok()).unwrap_or(50_000);
        scale::run(lines, products);
        return;
    }
    let Some(path) = value("--interactions") else {
        eprintln!("usage: eval-recs --interactions FILE.csv [--ease-lambda L]");
        std::process::exit(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("eval-recs: {path}: {e}");
            std::process::exit(1);
        }
    };
    let data = match Interactions::from_csv(&text) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("eval-recs: {path}: {e}");
            std::process::exit(1);
        }
    };
    let n = data.items.len();
    println!(
        "{path}: {} users, {} items, {} interactions; each user's last interaction held out",
        data.histories.len(),
        n,
        data.count
    );
    let (train, held) = offline::leave_last_out(&data.histories);
    let mut rows: Vec<(String, Metrics, f64)> = Vec::new();

    let started = Instant::now();
    let popular = popularity(&train, n);
    let m = offline::evaluate(&train, &held, |_, h| {
        offline::top_unseen(popular.iter().copied(), h, &[])
    });
    rows.push(("popularity".into(), m, started.elapsed().as_secs_f64()));

    let started = Instant::now();
    let co = cooccurrence(&train, n);
    let knn = cosine(&co, n);
    let m = offline::evaluate(&train, &held, |_, h| rank_dense(&knn, n, h));
    rows.push(("item-kNN (cosine)".into(), m, started.elapsed().as_secs_f64()));
    drop(knn);

    let started = Instant::now();
    let lambda = match value("--ease-lambda").and_then(|l| l.parse::<f64>().ok()) {
        Some(l) => l,
        None => {
            let (fit, val) = offline::leave_last_out(&train);
            let co_fit = cooccurrence(&fit, n);
            let mut best = (0.0, f64::MIN);
            for lambda in [50.0, 100.0, 200.0, 400.0, 800.0] {
                let b = ease(&co_fit, n, lambda);
                let hr = offline::evaluate(&fit, &val, |_, h| rank_dense(&b, n, h)).hit_rate;
                println!("  EASE^R validation: λ = {lambda}: HR@10 {hr:.4}");
                if hr > best.1 {
                    best = (lambda, hr);
                }
            }
            best.0
        }
    };
    let b = ease(&co, n, lambda);
    let m = offline::evaluate(&train, &held, |_, h| rank_dense(&b, n, h));
    rows.push((format!("EASE^R (λ = {lambda})"), m, started.elapsed().as_secs_f64()));
    drop(b);

    let started = Instant::now();
    let (seq, blend, validation) = offline::tune(&train, n);
    println!(
        "  ours, chosen on validation (HR@10 {validation:.4}): window {}, distance {}, backward {}, \
         popularity {}, shrink {}, history {}, decay {}",
        seq.window, seq.distance, seq.backward, seq.popularity, seq.shrink, blend.history, blend.decay
    );
    let ours = Ours::train(&train, n, &seq, blend);
    let m = offline::evaluate(&train, &held, |_, h| ours.rank(h));
    rows.push(("Rapport (sequential neighbours)".into(), m, started.elapsed().as_secs_f64()));

    println!();
    println!("| model | HR@{K} | NDCG@{K} | recall@{K} | time (s) |");
    println!("|---|---:|---:|---:|---:|");
    for (name, m, secs) in rows {
        println!("| {name} | {:.4} | {:.4} | {:.4} | {secs:.1} |", m.hit_rate, m.ndcg, m.recall);
    }
}

/// Items by training count, most first.
fn popularity(train: &[Vec<u32>], n: usize) -> Vec<(u32, f32)> {
    rapport_shared::recs::model::popular(train.iter().flatten().copied(), n)
}

/// The item-item co-occurrence counts (Xᵀ X of the binary user-item matrix), dense, row-major.
fn cooccurrence(train: &[Vec<u32>], n: usize) -> Vec<f32> {
    let mut co = vec![0f32; n * n];
    for history in train {
        let mut items = history.clone();
        items.sort_unstable();
        items.dedup();
        for &i in &items {
            let row = &mut co[i as usize * n..(i as usize + 1) * n];
            for &j in &items {
                row[j as usize] += 1.0;
            }
        }
    }
    co
}

/// Cosine similarity between items' user sets; an item is not its own neighbour.
fn cosine(co: &[f32], n: usize) -> Vec<f32> {
    let norm: Vec<f32> = (0..n).map(|i| co[i * n + i].sqrt()).collect();
    let mut sim = co.to_vec();
    for i in 0..n {
        for j in 0..n {
            let d = norm[i] * norm[j];
            sim[i * n + j] = if i == j || d == 0.0 { 0.0 } else { co[i * n + j] / d };
        }
    }
    sim
}

/// EASE^R's item weights: P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag P), with B's diagonal zero.
fn ease(co: &[f32], n: usize, lambda: f64) -> Vec<f32> {
    let g =
        Mat::<f64>::from_fn(n, n, |i, j| co[i * n + j] as f64 + if i == j { lambda } else { 0.0 });
    let p = g.llt(Side::Lower).expect("XᵀX + λI is positive definite").inverse();
    let mut b = vec![0f32; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                b[i * n + j] = (-p[(i, j)] / p[(j, j)]) as f32;
            }
        }
    }
    b
}

/// The top `K` untouched items by the sum of the history items' rows of `weights`.
fn rank_dense(weights: &[f32], n: usize, history: &[u32]) -> Vec<u32> {
    let mut score = vec![0f32; n];
    for &i in history {
        let row = &weights[i as usize * n..(i as usize + 1) * n];
        for (s, w) in score.iter_mut().zip(row) {
            *s += w;
        }
    }
    for &i in history {
        score[i as usize] = f32::NEG_INFINITY;
    }
    let mut order: Vec<u32> = (0..n as u32).collect();
    let by_score =
        |a: &u32, b: &u32| score[*b as usize].total_cmp(&score[*a as usize]).then(a.cmp(b));
    if n > K {
        order.select_nth_unstable_by(K, by_score);
        order.truncate(K);
    }
    order.sort_unstable_by(by_score);
    order
}
