//! The lists a shop serves: built in batch from the catalog and the activity log, each ready to
//! send as it is stored (one KV read per request).
//!
//! - `similar/{sku}`: sequential neighbours of views and purchases, blended with the catalog's
//!   product type, vendor and tags;
//! - `bought-together/{sku}`: co-purchase neighbours, from the items of each order;
//! - `trending`: views and purchases with a one-week half-life;
//! - `popular`: purchases (then views) of all time.
//!
//! Every list leaves out what cannot be bought now and what the merchant excluded, starts with
//! what the merchant pinned, and is filled from `popular` so a widget is never empty.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::model::{self, BlendParams, Neighbours, SequenceParams};
use crate::catalog::{FieldError, Money, Product};
use crate::ids::Sku;

/// Cards per list: enough for a row on a wide screen and for the browser's "for you" blend.
pub const LIST_LEN: usize = 24;
/// Pins or exclusions per rule.
pub const MAX_RULE_PRODUCTS: usize = 24;
/// Events kept per shopper or session: their most recent.
pub const MAX_EVENTS_PER_ACTOR: usize = 100;
/// Half-life of a view or purchase in `trending`.
pub const TRENDING_HALF_LIFE_SECONDS: i64 = 7 * 86_400;
/// How far back the activity log goes.
pub const ACTIVITY_DAYS: i64 = 180;

/// Which list a widget shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    BoughtTogether,
    Similar,
    Trending,
    RecentlyViewed,
    ForYou,
}

impl Kind {
    pub const ALL: [Kind; 5] =
        [Kind::BoughtTogether, Kind::Similar, Kind::Trending, Kind::RecentlyViewed, Kind::ForYou];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::BoughtTogether => "bought-together",
            Kind::Similar => "similar",
            Kind::Trending => "trending",
            Kind::RecentlyViewed => "recently-viewed",
            Kind::ForYou => "for-you",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Lists of this kind belong to one product.
    pub fn per_product(self) -> bool {
        matches!(self, Kind::BoughtTogether | Kind::Similar)
    }

    /// The kinds the batch stores (the others are blended in the browser from `similar`).
    pub fn stored(self) -> bool {
        matches!(self, Kind::BoughtTogether | Kind::Similar | Kind::Trending)
    }
}

/// A product as a card shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub sku: Sku,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Money>,
}

impl From<&Product> for Card {
    fn from(p: &Product) -> Self {
        Card {
            sku: p.sku.clone(),
            title: p.title.clone(),
            url: p.url.clone(),
            image_url: p.image_url.clone(),
            price: p.price.clone(),
        }
    }
}

/// A stored list: what `GET …/recommendations/{kind}` answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecList {
    pub kind: Kind,
    /// The product the list belongs to, as a card (the browser's "recently viewed" reuses it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Card>,
    pub items: Vec<Scored>,
    /// When the batch built it (Unix seconds).
    pub built_at: i64,
}

/// A card and how strongly it belongs in the list (the browser's blend adds these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scored {
    #[serde(flatten)]
    pub card: Card,
    pub score: f32,
    /// Can be bought again: "for you" may show it to someone who bought it.
    #[serde(default, skip_serializing_if = "core::ops::Not::not")]
    pub repeat: bool,
}

/// The merchant's hand on one kind of list: pinned products first, excluded ones never. With a
/// product, the rule is for that product's list only; without, for every list of the kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub kind: Option<Kind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<Sku>,
    #[serde(default)]
    pub pin: Vec<Sku>,
    #[serde(default)]
    pub exclude: Vec<Sku>,
}

/// Every rule of the shop: what `PUT /v1/admin/shops/{shop}/recommendations` sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    #[serde(default)]
    pub rules: Vec<Rule>,
}

impl Rules {
    pub fn validate(self) -> Result<Self, FieldError> {
        if self.rules.len() > 1000 {
            return Err(FieldError::new("rules", "lists at most 1000 rules"));
        }
        let mut seen = HashSet::new();
        for (n, rule) in self.rules.iter().enumerate() {
            let kind = rule
                .kind
                .ok_or_else(|| FieldError::new(format!("rules[{n}].kind"), "is required"))?;
            if !kind.stored() {
                return Err(FieldError::new(
                    format!("rules[{n}].kind"),
                    "must be bought-together, similar or trending (the others are the shopper's own)",
                ));
            }
            if rule.product.is_some() && !kind.per_product() {
                return Err(FieldError::new(
                    format!("rules[{n}].product"),
                    "belongs to bought-together and similar rules only",
                ));
            }
            for (field, list) in [("pin", &rule.pin), ("exclude", &rule.exclude)] {
                if list.len() > MAX_RULE_PRODUCTS {
                    return Err(FieldError::new(
                        format!("rules[{n}].{field}"),
                        format!("lists at most {MAX_RULE_PRODUCTS} products"),
                    ));
                }
            }
            if !seen.insert((kind, rule.product.clone())) {
                return Err(FieldError::new(
                    format!("rules[{n}]"),
                    "repeats the kind and product of an earlier rule",
                ));
            }
        }
        Ok(self)
    }

    /// The rules for `kind`'s list of `product` (the kind-wide rule, then the product's own).
    fn for_list<'a>(
        &'a self,
        kind: Kind,
        product: Option<&'a Sku>,
    ) -> impl Iterator<Item = &'a Rule> {
        self.rules.iter().filter(move |r| {
            r.kind == Some(kind) && (r.product.is_none() || r.product.as_ref() == product)
        })
    }
}

/// What a shopper or a session did: a product viewed, or bought in an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub sku: Sku,
    /// Unix seconds.
    pub at: i64,
    /// The order it was bought in; none for a view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
}

/// Appends `new` to an actor's events (kept in time order, the latest
/// [`MAX_EVENTS_PER_ACTOR`] only, a purchase repeated by a webhook's redelivery once).
pub fn record(events: &mut Vec<Event>, new: impl IntoIterator<Item = Event>) {
    for event in new {
        if event.order.is_some()
            && events.iter().any(|e| e.order == event.order && e.sku == event.sku)
        {
            continue;
        }
        let at = events.partition_point(|e| e.at <= event.at);
        events.insert(at, event);
    }
    if events.len() > MAX_EVENTS_PER_ACTOR {
        events.drain(..events.len() - MAX_EVENTS_PER_ACTOR);
    }
}

/// Takes back what `order` bought (it was cancelled or refunded in full): the shop's lists
/// learn from what shoppers kept.
pub fn unrecord(events: &mut Vec<Event>, order: &str) {
    events.retain(|e| e.order.as_deref() != Some(order));
}

/// The products an actor bought, each once, the latest `keep`, oldest first.
pub fn purchased(events: &[Event], keep: usize) -> Vec<Sku> {
    let mut out: Vec<Sku> = Vec::new();
    for e in events.iter().rev().filter(|e| e.order.is_some()) {
        if out.len() == keep {
            break;
        }
        if !out.contains(&e.sku) {
            out.push(e.sku.clone());
        }
    }
    out.reverse();
    out
}

/// Every list of the shop, by KV suffix (`similar/{sku}`, `trending`, …).
pub type Built = BTreeMap<String, RecList>;

/// Products by number: the catalog's order.
pub struct Index<'a>(HashMap<&'a Sku, u32>);

impl<'a> Index<'a> {
    pub fn new(catalog: &'a [Product]) -> Self {
        Self(catalog.iter().enumerate().map(|(i, p)| (&p.sku, i as u32)).collect())
    }

    fn get(&self, sku: &Sku) -> Option<u32> {
        self.0.get(sku).copied()
    }
}

/// Sequences of products stored end to end: four bytes a product and four a sequence (a
/// `Vec` each would cost a header of 12 to 24 bytes per shopper).
#[derive(Debug, Default)]
struct Sequences {
    items: Vec<u32>,
    ends: Vec<u32>,
}

impl Sequences {
    fn push(&mut self, items: &[u32]) {
        self.items.extend_from_slice(items);
        self.ends.push(self.items.len() as u32);
    }

    fn iter(&self) -> impl Iterator<Item = &[u32]> {
        let starts = core::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.items[a as usize..b as usize])
    }
}

/// A shop's activity as a build reads it: products as numbers, a few bytes per event, so the
/// log of a large shop fits a Worker's memory once its JSON has been read shard by shard.
#[derive(Debug, Default)]
pub struct Activity {
    /// Each actor's products in time order.
    histories: Sequences,
    /// The products of each order.
    baskets: Sequences,
    /// Per product: purchases, views, and views and purchases with time decay.
    bought: Vec<f32>,
    viewed: Vec<f32>,
    trend: Vec<f32>,
    pub events: usize,
}

impl Activity {
    pub fn new(products: usize) -> Self {
        Self {
            bought: vec![0.0; products],
            viewed: vec![0.0; products],
            trend: vec![0.0; products],
            ..Self::default()
        }
    }

    /// Adds one actor's events (in time order); events older than the log keeps, or of products
    /// not in the catalog, are left out.
    pub fn add(&mut self, index: &Index, events: &[Event], now: i64) {
        let since = now - ACTIVITY_DAYS * 86_400;
        let mut history = Vec::with_capacity(events.len());
        // An order's lines are all in its buyer's log.
        let mut orders: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for e in events.iter().filter(|e| e.at >= since) {
            let Some(i) = index.get(&e.sku) else { continue };
            history.push(i);
            self.events += 1;
            self.trend[i as usize] += model::decay(now - e.at, TRENDING_HALF_LIFE_SECONDS);
            match &e.order {
                Some(order) => {
                    orders.entry(order).or_default().push(i);
                    self.bought[i as usize] += 1.0;
                }
                None => self.viewed[i as usize] += 1.0,
            }
        }
        for basket in orders.values() {
            self.baskets.push(basket);
        }
        self.histories.push(&history);
    }

    pub fn actors(&self) -> usize {
        self.histories.ends.len()
    }
}

/// How many products' lists a build step learns and writes: two lists each, within a step's
/// budget of KV writes, and the model's memory stays that of this many products.
pub const PART: usize = 240;

/// How many steps a catalog of `products` takes.
pub fn parts(products: usize) -> usize {
    products.div_ceil(PART).max(1)
}

/// Builds the lists of part `part` (the products `part * PART..`, and with the first part the
/// shop's trending list) from the catalog, the activity and the rules.
pub fn build(
    catalog: &[Product],
    activity: &Activity,
    rules: &Rules,
    now: i64,
    part: usize,
) -> Built {
    let index = Index::new(catalog);
    let n = catalog.len();
    let range = (part * PART).min(n) as u32..((part + 1) * PART).min(n) as u32;
    let seq = SequenceParams::default();
    let behaviour = model::sequential(activity.histories.iter(), n, range.clone(), &seq);
    let attributes = attribute_neighbours(catalog, range.clone(), seq.keep);
    let similar = model::merge(&[(&behaviour, 1.0), (&attributes, 0.3)], range.clone(), seq.keep);
    let together = model::baskets(activity.baskets.iter(), n, range.clone(), 2.0, seq.keep);
    // Purchases first, views break ties, then every available product so that a new shop's
    // lists are full too.
    let by = |counts: &[f32]| {
        let mut ranked: Vec<(u32, f32)> =
            counts.iter().enumerate().map(|(i, c)| (i as u32, *c)).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked
    };
    let popular: Vec<(u32, f32)> = {
        let views = &activity.viewed;
        let mut ranked: Vec<(u32, f32, f32)> =
            (0..n).map(|i| (i as u32, activity.bought[i], views[i])).collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
        ranked.into_iter().map(|(i, b, _)| (i, b)).collect()
    };
    let trending: Vec<(u32, f32)> = by(&activity.trend).into_iter().filter(|t| t.1 > 0.0).collect();

    let list = |kind: Kind, product: Option<u32>, ranked: &[(u32, f32)]| {
        let own = product.map(|i| &catalog[i as usize]);
        let sku = own.map(|p| &p.sku);
        let pinned: Vec<&Sku> = rules.for_list(kind, sku).flat_map(|r| &r.pin).collect();
        let excluded: HashSet<&Sku> = rules.for_list(kind, sku).flat_map(|r| &r.exclude).collect();
        let mut items: Vec<Scored> = Vec::with_capacity(LIST_LEN);
        let mut taken: HashSet<&Sku> = HashSet::new();
        let top = ranked.first().map_or(1.0, |r| r.1.max(f32::MIN_POSITIVE));
        let candidates = pinned
            .iter()
            .filter_map(|s| index.get(s).map(|i| (i, f32::INFINITY)))
            .chain(ranked.iter().map(|&(i, s)| (i, s / top)))
            .chain(popular.iter().map(|&(i, _)| (i, 0.0)));
        for (i, score) in candidates {
            if items.len() == LIST_LEN {
                break;
            }
            let p = &catalog[i as usize];
            if !p.available
                || Some(i) == product
                || excluded.contains(&p.sku)
                || !taken.insert(&p.sku)
            {
                continue;
            }
            let score =
                if score.is_finite() { score } else { 1.0 + 1.0 / (1 + items.len()) as f32 };
            // Four decimals: enough to blend, short in JSON, and the same from one build to the
            // next when nothing changed but the clock (trending's decay moves every score alike).
            let score = (score * 10_000.0).round() / 10_000.0;
            items.push(Scored { card: Card::from(p), score, repeat: p.repeat_purchase });
        }
        RecList { kind, product: own.map(Card::from), items, built_at: now }
    };
    let mut built = Built::new();
    for i in range {
        let p = &catalog[i as usize];
        built.insert(format!("similar/{}", p.sku), list(Kind::Similar, Some(i), similar.of(i)));
        built.insert(
            format!("bought-together/{}", p.sku),
            list(Kind::BoughtTogether, Some(i), together.of(i)),
        );
    }
    if part == 0 {
        built.insert("trending".into(), list(Kind::Trending, None, &trending));
    }
    built
}

/// The names of every list a catalog has, for removing those of products that left it.
pub fn names(catalog: &[Product]) -> HashSet<String> {
    let mut all: HashSet<String> = catalog
        .iter()
        .flat_map(|p| [format!("similar/{}", p.sku), format!("bought-together/{}", p.sku)])
        .collect();
    all.insert("trending".into());
    all
}

/// Products sharing a product type, vendor or tags, by how much they share (type 3, vendor 2,
/// each tag 1, over the square root of the two products' attribute counts).
fn attribute_neighbours(
    catalog: &[Product],
    sources: core::ops::Range<u32>,
    keep: usize,
) -> Neighbours {
    let mut index: HashMap<(u8, &str), Vec<u32>> = HashMap::new();
    let features = |p: &Product| -> Vec<((u8, String), f32)> {
        let mut f = Vec::new();
        if let Some(t) = &p.product_type {
            f.push(((0, t.to_lowercase()), 3.0));
        }
        if let Some(v) = &p.vendor {
            f.push(((1, v.to_lowercase()), 2.0));
        }
        f.extend(p.tags.iter().map(|t| ((2, t.to_lowercase()), 1.0)));
        f
    };
    let all: Vec<Vec<((u8, String), f32)>> = catalog.iter().map(features).collect();
    for (i, f) in all.iter().enumerate() {
        for ((k, v), _) in f {
            index.entry((*k, v.as_str())).or_default().push(i as u32);
        }
    }
    // A value held by a large share of the catalog says little: past 200 products it is skipped.
    let start = sources.start;
    let lists = sources
        .map(|i| {
            let f = &all[i as usize];
            let mut sum: HashMap<u32, f32> = HashMap::new();
            for ((k, v), w) in f {
                let holders = &index[&(*k, v.as_str())];
                if holders.len() > 200 {
                    continue;
                }
                for &j in holders.iter().filter(|&&j| j != i) {
                    *sum.entry(j).or_default() += w;
                }
            }
            let mut ranked: Vec<(u32, f32)> = sum
                .into_iter()
                .map(|(j, s)| (j, s / ((f.len() * all[j as usize].len()) as f32).sqrt()))
                .collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            ranked.truncate(keep);
            ranked
        })
        .collect();
    Neighbours { start, lists }
}

/// "For you" in the browser: the `similar` lists of the shopper's recent products (oldest
/// first), blended by recency, leaving out what they bought unless it is bought again and again.
pub fn for_you(
    history: &[(Sku, Option<&RecList>)],
    bought: &HashSet<Sku>,
    keep: usize,
) -> Vec<Card> {
    let mut cards: Vec<Card> = Vec::new();
    let mut number: HashMap<Sku, u32> = HashMap::new();
    let mut lists: HashMap<u32, Vec<(u32, f32)>> = HashMap::new();
    let mut repeat: HashSet<u32> = HashSet::new();
    let mut id = |sku: &Sku, card: Option<&Card>, cards: &mut Vec<Card>| -> u32 {
        let next = number.len() as u32;
        let i = *number.entry(sku.clone()).or_insert(next);
        if i as usize == cards.len() {
            cards.push(card.cloned().unwrap_or(Card {
                sku: sku.clone(),
                title: String::new(),
                url: None,
                image_url: None,
                price: None,
            }));
        }
        i
    };
    let mut seq = Vec::with_capacity(history.len());
    for (sku, list) in history {
        let i = id(sku, list.and_then(|l| l.product.as_ref()), &mut cards);
        seq.push(i);
        if let Some(list) = list {
            let scored: Vec<(u32, f32)> = list
                .items
                .iter()
                .map(|s| {
                    let j = id(&s.card.sku, Some(&s.card), &mut cards);
                    if s.repeat {
                        repeat.insert(j);
                    }
                    (j, s.score)
                })
                .collect();
            lists.insert(i, scored);
        }
    }
    let viewed: HashSet<u32> = seq.iter().copied().collect();
    let ranked = model::blend(
        &seq,
        |i| lists.get(&i).cloned().unwrap_or_default(),
        &BlendParams::default(),
        |j| {
            let card = &cards[j as usize];
            (viewed.contains(&j) && !repeat.contains(&j))
                || (bought.contains(&card.sku) && !repeat.contains(&j))
        },
        keep,
    );
    ranked.into_iter().map(|(j, _)| cards[j as usize].clone()).collect()
}

/// How many of a shopper's latest products their own lists draw from.
pub const OWN_HISTORY: usize = 5;

/// The products a shopper's own lists draw from, oldest first, each once: the latest
/// [`OWN_HISTORY`] of what they bought and then of what this browser viewed (a view is the
/// nearer intent).
pub fn recent(bought: &[Sku], views: &[Sku]) -> Vec<Sku> {
    let mut recent: Vec<Sku> = Vec::new();
    for sku in bought.iter().chain(views).rev() {
        if !recent.contains(sku) && recent.len() < OWN_HISTORY {
            recent.push(sku.clone());
        }
    }
    recent.reverse();
    recent
}

/// A shopper's own list from the `similar` lists of their [`recent`] products, leaving out
/// `current` (the page's own product): "recently viewed" is those products, newest first;
/// "for you" is their lists blended ([`for_you`]). The module draws it in the browser, and the
/// Worker while the browser knows nothing beyond the page's product, from the same call. Empty
/// when there is nothing to draw from (the shop's trending list stands in, [`trending_cards`]).
pub fn own_list(
    kind: Kind,
    lists: &[(Sku, Option<RecList>)],
    bought: &[Sku],
    current: Option<&str>,
) -> Vec<Card> {
    let other = |c: &Card| Some(c.sku.as_str()) != current;
    match kind {
        Kind::RecentlyViewed => lists
            .iter()
            .rev()
            .filter_map(|(_, l)| l.as_ref()?.product.clone())
            .filter(other)
            .collect(),
        _ => {
            let history: Vec<(Sku, Option<&RecList>)> =
                lists.iter().map(|(s, l)| (s.clone(), l.as_ref())).collect();
            let bought: HashSet<Sku> = bought.iter().cloned().collect();
            for_you(&history, &bought, LIST_LEN).into_iter().filter(other).collect()
        }
    }
}

/// The shop's trending list as a shopper's own list, leaving out `current`.
pub fn trending_cards(trending: RecList, current: Option<&str>) -> Vec<Card> {
    trending.items.into_iter().map(|s| s.card).filter(|c| Some(c.sku.as_str()) != current).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sku(s: &str) -> Sku {
        Sku::parse(s).unwrap()
    }

    fn product(s: &str) -> Product {
        Product::new(sku(s), s.to_uppercase())
    }

    fn view(s: &str, at: i64) -> Event {
        Event { sku: sku(s), at, order: None }
    }

    fn bought(s: &str, at: i64, order: &str) -> Event {
        Event { sku: sku(s), at, order: Some(order.into()) }
    }

    fn skus(list: &RecList) -> Vec<&str> {
        list.items.iter().map(|s| s.card.sku.as_str()).collect()
    }

    const NOW: i64 = 1_800_000_000;

    /// Every part's lists, as the steps of a build write them.
    fn build_all(catalog: &[Product], log: &[Vec<Event>], rules: &Rules, now: i64) -> Built {
        let index = Index::new(catalog);
        let mut activity = Activity::new(catalog.len());
        for events in log {
            activity.add(&index, events, now);
        }
        (0..parts(catalog.len()))
            .flat_map(|part| build(catalog, &activity, rules, now, part))
            .collect()
    }

    fn shop() -> (Vec<Product>, Vec<Vec<Event>>) {
        let mut catalog: Vec<Product> =
            ["tent", "mat", "stove", "mug", "lamp"].map(product).to_vec();
        catalog.push(Product { available: false, ..product("gone") });
        let mut activity = Vec::new();
        for n in 0..5 {
            let order = format!("o{n}");
            activity.push(vec![
                view("tent", NOW - 100),
                view("gone", NOW - 90),
                view("mat", NOW - 80),
                bought("tent", NOW - 70, &order),
                bought("mat", NOW - 70, &order),
            ]);
        }
        activity.push(vec![bought("stove", NOW - 60, "o9"), bought("mug", NOW - 60, "o9")]);
        (catalog, activity)
    }

    #[test]
    fn lists_come_from_behaviour_and_leave_out_what_cannot_be_bought() {
        let (catalog, activity) = shop();
        let built = build_all(&catalog, &activity, &Rules::default(), NOW);
        let similar = &built["similar/tent"];
        assert_eq!(similar.product.as_ref().unwrap().sku.as_str(), "tent");
        assert_eq!(skus(similar)[0], "mat");
        assert!(!skus(similar).contains(&"tent"), "not its own neighbour");
        assert!(!skus(similar).contains(&"gone"), "unavailable");
        assert_eq!(skus(&built["bought-together/stove"])[0], "mug");
        // The popularity fill: every available product but the list's own.
        assert_eq!(skus(&built["bought-together/lamp"]).len(), 4);
        // Tent and mat: ten events each, mat's a little more recent; then ties by number.
        assert_eq!(skus(&built["trending"])[..4], ["mat", "tent", "stove", "mug"]);
        assert!(built["similar/gone"].items.iter().all(|s| s.card.sku.as_str() != "gone"));
    }

    #[test]
    fn a_new_shop_still_fills_every_list() {
        let catalog = ["a", "b", "c"].map(product).to_vec();
        let built = build_all(&catalog, &[], &Rules::default(), NOW);
        assert_eq!(skus(&built["similar/a"]), ["b", "c"]);
        assert_eq!(skus(&built["trending"]), ["a", "b", "c"]);
    }

    #[test]
    fn the_merchant_pins_and_excludes() {
        let (catalog, activity) = shop();
        let rules = Rules {
            rules: vec![
                Rule {
                    kind: Some(Kind::Similar),
                    product: None,
                    pin: vec![],
                    exclude: vec![sku("mat")],
                },
                Rule {
                    kind: Some(Kind::Similar),
                    product: Some(sku("tent")),
                    pin: vec![sku("lamp"), sku("gone"), sku("nope")],
                    exclude: vec![],
                },
            ],
        }
        .validate()
        .unwrap();
        let built = build_all(&catalog, &activity, &rules, NOW);
        let tent = skus(&built["similar/tent"]);
        assert_eq!(tent[0], "lamp", "pinned first");
        assert!(!tent.contains(&"mat") && !tent.contains(&"gone"));
        assert!(!skus(&built["similar/stove"]).contains(&"mat"), "a kind-wide exclusion");
        assert_eq!(skus(&built["bought-together/tent"])[0], "mat", "another kind is untouched");
    }

    #[test]
    fn rules_are_checked() {
        let bad = |rule: Rule| Rules { rules: vec![rule] }.validate().unwrap_err().field;
        assert_eq!(bad(Rule::default()), "rules[0].kind");
        assert_eq!(bad(Rule { kind: Some(Kind::ForYou), ..Rule::default() }), "rules[0].kind");
        assert_eq!(
            bad(Rule { kind: Some(Kind::Trending), product: Some(sku("a")), ..Rule::default() }),
            "rules[0].product"
        );
        let many = (0..25).map(|n| sku(&n.to_string())).collect();
        assert_eq!(
            bad(Rule { kind: Some(Kind::Similar), pin: many, ..Rule::default() }),
            "rules[0].pin"
        );
        let twice = Rule { kind: Some(Kind::Similar), ..Rule::default() };
        let err = Rules { rules: vec![twice.clone(), twice] }.validate().unwrap_err();
        assert_eq!(err.field, "rules[1]");
    }

    #[test]
    fn an_actor_keeps_its_latest_events_in_time_order_and_each_purchase_once() {
        let mut events = vec![view("a", 10)];
        record(&mut events, [view("b", 5), bought("c", 20, "o1")]);
        record(&mut events, [bought("c", 20, "o1")]);
        assert_eq!(events.iter().map(|e| e.sku.as_str()).collect::<Vec<_>>(), ["b", "a", "c"]);
        record(&mut events, (0..200).map(|t| view("d", 100 + t)));
        assert_eq!(events.len(), MAX_EVENTS_PER_ACTOR);
        assert_eq!(events.last().unwrap().at, 299);
    }

    #[test]
    fn a_returned_order_is_taken_back_and_purchases_are_each_listed_once() {
        let mut events = Vec::new();
        record(&mut events, [bought("a", 1, "o1"), view("b", 2), bought("c", 3, "o2")]);
        record(&mut events, [bought("a", 4, "o3"), bought("d", 5, "o3")]);
        let skus = |v: Vec<Sku>| v.into_iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(skus(purchased(&events, 10)), ["c", "a", "d"]);
        assert_eq!(skus(purchased(&events, 2)), ["a", "d"]);
        unrecord(&mut events, "o3");
        assert_eq!(skus(purchased(&events, 10)), ["a", "c"]);
        assert_eq!(events.len(), 3, "the view stays");
    }

    #[test]
    fn for_you_blends_the_lists_of_recent_products() {
        let (catalog, activity) = shop();
        let built = build_all(&catalog, &activity, &Rules::default(), NOW);
        let history =
            [(sku("stove"), built.get("similar/stove")), (sku("tent"), built.get("similar/tent"))];
        let none = HashSet::new();
        let cards = for_you(&history, &none, 3);
        assert_eq!(cards[0].sku.as_str(), "mat", "the latest product's neighbour first");
        assert!(cards.iter().all(|c| c.sku.as_str() != "tent" && c.sku.as_str() != "stove"));
        let bought: HashSet<Sku> = [sku("mat")].into();
        assert!(for_you(&history, &bought, 3).iter().all(|c| c.sku.as_str() != "mat"));
    }

    #[test]
    fn own_lists_draw_from_the_latest_purchases_then_views_and_leave_the_page_out() {
        let skus = |v: &[Sku]| v.iter().map(|s| s.as_str().to_owned()).collect::<Vec<_>>();
        let recent_of = |b: &[&str], v: &[&str]| {
            let b: Vec<Sku> = b.iter().map(|s| sku(s)).collect();
            let v: Vec<Sku> = v.iter().map(|s| sku(s)).collect();
            skus(&recent(&b, &v))
        };
        assert_eq!(recent_of(&["a", "b"], &["c", "a"]), ["b", "c", "a"], "each once, latest place");
        assert_eq!(recent_of(&["a", "b", "c"], &["d", "e", "f"]), ["b", "c", "d", "e", "f"]);
        assert!(recent_of(&[], &[]).is_empty());

        let (catalog, activity) = shop();
        let built = build_all(&catalog, &activity, &Rules::default(), NOW);
        let lists: Vec<(Sku, Option<RecList>)> = ["stove", "tent"]
            .iter()
            .map(|s| (sku(s), built.get(&format!("similar/{s}")).cloned()))
            .collect();
        let history: Vec<(Sku, Option<&RecList>)> =
            lists.iter().map(|(s, l)| (s.clone(), l.as_ref())).collect();
        let blended: Vec<Card> = for_you(&history, &HashSet::new(), LIST_LEN);
        let mine = own_list(Kind::ForYou, &lists, &[], Some("mat"));
        assert_eq!(
            mine,
            blended.into_iter().filter(|c| c.sku.as_str() != "mat").collect::<Vec<_>>()
        );
        let viewed = own_list(Kind::RecentlyViewed, &lists, &[], Some("stove"));
        assert_eq!(viewed.iter().map(|c| c.sku.as_str()).collect::<Vec<_>>(), ["tent"]);
        assert!(own_list(Kind::ForYou, &[(sku("gone"), None)], &[], None).is_empty());
        let trending = built["trending"].clone();
        let first = trending.items[0].card.sku.as_str().to_owned();
        assert!(trending_cards(trending, Some(&first)).iter().all(|c| c.sku.as_str() != first));
    }
}
