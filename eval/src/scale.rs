//! `rapport-eval --scale LINES --products N`: the batch build of one synthetic shop, timed, with
//! the process's peak memory. Run once per size in its own process (`cargo xtask bench` does),
//! so each peak is that size's alone.
//!
//! The shop: `N` products with a product type, a vendor and tags; orders of 1 to 4 lines whose
//! products follow a Zipf-like popularity (a few best-sellers, a long tail), from customers who
//! order again (five lines each on average); as many anonymous browsing sessions as orders, of 2
//! to 8 product views each. The build runs as the hub runs it: the log read into numbers actor
//! by actor, then every part of the catalog in turn; the figures are the whole build's time, its
//! slowest part, and the process's peak memory.

use std::time::Instant;

use rapport_shared::catalog::{Currency, Money, Product};
use rapport_shared::ids::Sku;
use rapport_shared::recs::lists::{self, Activity, Event, Rules};

/// A small, seeded generator (xorshift64*): the same shop every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A product by popularity: index `i` with weight about `1 / (i + 1)`.
    fn popular(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        (((n as f64 + 1.0).powf(u) - 1.0) as usize).min(n - 1)
    }
}

const NOW: i64 = 1_800_000_000;

pub fn run(lines: usize, products: usize) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ lines as u64);
    let eur = Currency::try_from("EUR".to_owned()).expect("a currency");
    let catalog: Vec<Product> = (0..products)
        .map(|i| Product {
            url: Some(format!("/products/p{i}")),
            image_url: Some(format!("/images/p{i}.jpg")),
            price: Some(Money {
                amount_minor: 500 + (i as i64 * 37) % 20_000,
                currency: eur.clone(),
            }),
            product_type: Some(format!("type {}", i % 40)),
            vendor: Some(format!("vendor {}", i % 300)),
            tags: vec![format!("tag {}", i % 97), format!("tag {}", i % 13 + 100)],
            ..Product::new(Sku::parse(&format!("P{i:06}")).expect("a SKU"), format!("Product {i}"))
        })
        .collect();
    // Each actor's events are generated, read into the build's numbers and dropped, as the
    // hub reads the shards' logs.
    let index = lists::Index::new(&catalog);
    let mut activity = Activity::new(products);
    let started = Instant::now();
    let customers = (lines / 5).max(1);
    let mut written = 0;
    let mut order = 0;
    for c in 0..customers {
        let mut log = Vec::new();
        // The lines left, spread over the customers left.
        let share = (lines - written) / (customers - c);
        let mut mine = 0;
        while mine < share.max(1) && written < lines {
            let at = NOW - rng.below(170 * 86_400) as i64;
            let id = format!("o{order}");
            order += 1;
            let n = (1 + rng.below(4)).min(lines - written);
            let events = (0..n).map(|_| Event {
                sku: catalog[rng.popular(products)].sku.clone(),
                at,
                order: Some(id.clone()),
            });
            lists::record(&mut log, events.collect::<Vec<_>>());
            written += n;
            mine += n;
        }
        activity.add(&index, &log, NOW);
    }
    for _ in 0..order {
        let at = NOW - rng.below(170 * 86_400) as i64;
        let n = 2 + rng.below(7);
        let events: Vec<Event> = (0..n)
            .map(|k| Event {
                sku: catalog[rng.popular(products)].sku.clone(),
                at: at + k as i64 * 30,
                order: None,
            })
            .collect();
        activity.add(&index, &events, NOW);
    }
    let read_seconds = started.elapsed().as_secs_f64();
    let parts = lists::parts(products);
    let mut part_seconds = Vec::with_capacity(parts);
    let (mut count, mut bytes) = (0, 0);
    for part in 0..parts {
        let started = Instant::now();
        let built = lists::build(&catalog, &activity, &Rules::default(), NOW, part);
        part_seconds.push(started.elapsed().as_secs_f64());
        count += built.len();
        bytes +=
            built.values().map(|l| serde_json::to_string(l).map_or(0, |s| s.len())).sum::<usize>();
    }
    let total: f64 = part_seconds.iter().sum();
    let slowest = part_seconds.iter().copied().fold(0.0, f64::max);
    println!(
        "{{\"lines\":{lines},\"products\":{products},\"orders\":{order},\"actors\":{},\"events\":{},\
         \"lists\":{count},\"list_bytes\":{bytes},\"parts\":{parts},\"read_seconds\":{read_seconds:.3},\
         \"build_seconds\":{total:.3},\"slowest_part_seconds\":{slowest:.3},\"peak_rss_bytes\":{}}}",
        activity.actors(),
        activity.events,
        peak_rss()
    );
}

/// The process's peak resident memory (Linux `VmHWM`), in bytes.
fn peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let line = s.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kb| kb * 1024)
}
