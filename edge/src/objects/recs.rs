//! Recommendations: a shop's activity log, its catalog mirror and the batch that builds its
//! lists.
//!
//! - **Activity shards** ([`SHARDS`] per shop, chosen by the actor): each holds the recent events
//!   of its actors (`a:{actor}`: a session's product views, a customer's or guest order's
//!   purchases), appended with no other reads, so view beacons never queue behind one object nor
//!   read-modify-write a KV key.
//! - **The hub** (one per shop): the catalog as the batch needs it (`p:{sku}`, every product the
//!   product webhooks and the admin API sent, with availability and attributes), the merchant's
//!   pins and exclusions (`rules`), and the hash of every list last written to KV (`h:{list}`).
//!
//! A build ([`Command::Build`], from the Cron Trigger or the admin API) runs in steps, one part
//! of the catalog ([`lists::PART`] products) each: a step reads the catalog and every shard's log
//! (into numbers, shard by shard), learns the lists of its part (`rapport_shared::recs::lists::build`,
//! pure), and writes to KV only the lists whose hash changed, at most [`WRITES_PER_STEP`]; then
//! it sets its alarm for the next part (or the rest of this one). The last part removes the lists
//! of products that left the catalog. A step is idempotent (the same inputs give the same lists
//! and hashes), so a failed or repeated step loses nothing.

use rapport_shared::catalog::Product;
use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::recs::lists::{self, Event, Rules, ACTIVITY_DAYS};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ListOptions, Request, Response, State};

use super::{call, directory, entries, reply, shard};

pub const BINDING: &str = "RECOMMENDATIONS";
/// Activity shards per shop.
pub const SHARDS: u64 = 8;
/// KV writes a build step makes at most (an invocation has a budget of subrequests).
pub const WRITES_PER_STEP: usize = 500;

pub fn hub(shop: &ShopId) -> String {
    format!("{shop}/recs")
}

pub fn shard_name(shop: &ShopId, n: u64) -> String {
    format!("{shop}/recs/{n}")
}

/// The shard that holds `actor`'s events.
pub fn shard_of(shop: &ShopId, actor: &str) -> String {
    shard_name(shop, shard(actor, SHARDS))
}

/// The actor a purchase is recorded under: the customer, or the order for a guest.
pub fn buyer(customer: Option<&str>, order: &str) -> String {
    match customer {
        Some(c) => format!("c:{c}"),
        None => format!("o:{order}"),
    }
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    // Shards.
    /// Appends events to an actor's log.
    Record {
        actor: String,
        events: Vec<Event>,
    },
    /// A page of actors' events, after the key `after` (dropping actors idle for longer than
    /// the log keeps).
    Export {
        now: i64,
        after: Option<String>,
    },
    /// Takes back an order that was not kept (cancelled, refunded in full).
    Unrecord {
        actor: String,
        order: String,
    },
    /// The products an actor bought, the latest [`PURCHASES`], oldest first.
    Purchases {
        actor: String,
    },
    /// Forgets an actor (a customer's erasure).
    Forget {
        actor: String,
    },
    // The hub.
    Product {
        shop: ShopId,
        product: Product,
    },
    ProductDeleted {
        sku: Sku,
    },
    SetRules {
        rules: Rules,
    },
    GetRules,
    Build {
        shop: ShopId,
        now: i64,
    },
    /// Both: drops everything (the shop's erasure).
    Purge,
}

/// A shopper's purchases their "for you" list draws from (and leaves out).
pub const PURCHASES: usize = 20;

/// Actors' logs a shard answers per request: a page is a few hundred kilobytes of JSON, so a
/// large shop's log is never one answer held in memory whole.
const EXPORT_PAGE: usize = 2_000;

/// A page of a shard's log, and the key to continue after.
#[derive(Serialize, Deserialize)]
pub struct Exported {
    actors: Vec<Vec<Event>>,
    next: Option<String>,
}

/// What a build step did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct BuildReport {
    pub products: usize,
    pub actors: usize,
    pub events: usize,
    pub lists: usize,
    pub written: usize,
    pub deleted: usize,
    /// Lists of this part still to write: the next step (the alarm) writes them.
    pub remaining: usize,
    /// The part of the catalog this step built ([`lists::PART`] products each), of `parts`.
    pub part: usize,
    pub parts: usize,
}

#[durable_object(alarm)]
pub struct RecommendationsObject {
    state: State,
    env: Env,
}

fn to_json<T: Serialize>(value: &T) -> worker::Result<String> {
    serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))
}

fn from_text<T: DeserializeOwned>(text: &str) -> worker::Result<T> {
    serde_json::from_str(text).map_err(|e| worker::Error::RustError(e.to_string()))
}

/// A short, stable hash of a list's JSON (FNV-1a): unchanged lists are not written again.
fn fingerprint(text: &str) -> String {
    let h = text
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{h:016x}")
}

impl RecommendationsObject {
    async fn get<T: DeserializeOwned>(&self, key: &str) -> worker::Result<Option<T>> {
        let text: Option<String> = self.state.storage().get(key).await?;
        text.map(|t| from_text(&t)).transpose()
    }

    async fn set<T: Serialize>(&self, key: &str, value: &T) -> worker::Result<()> {
        self.state.storage().put(key, to_json(value)?).await
    }

    async fn listed(&self, prefix: &str) -> worker::Result<Vec<(String, String)>> {
        let map = self.state.storage().list_with_options(ListOptions::new().prefix(prefix)).await?;
        Ok(entries(&map)
            .into_iter()
            .map(|(k, v)| (k[prefix.len()..].to_owned(), v.as_string().unwrap_or_default()))
            .collect())
    }

    /// One page of actors' logs, from after the key `after`.
    async fn export(&self, now: i64, after: Option<String>) -> worker::Result<Exported> {
        let since = now - ACTIVITY_DAYS * 86_400;
        let from = after.map(|key| format!("{key}\u{0}"));
        let mut options = ListOptions::new().prefix("a:").limit(EXPORT_PAGE);
        if let Some(from) = &from {
            options = options.start(from);
        }
        let listed = entries(&self.state.storage().list_with_options(options).await?);
        let next = (listed.len() == EXPORT_PAGE)
            .then(|| listed.iter().map(|(k, _)| k.clone()).max())
            .flatten();
        let mut actors = Vec::with_capacity(listed.len());
        let mut idle = Vec::new();
        for (key, value) in listed {
            let events: Vec<Event> = from_text(&value.as_string().unwrap_or_default())?;
            if events.last().is_none_or(|e| e.at < since) {
                idle.push(key);
            } else {
                actors.push(events);
            }
        }
        if !idle.is_empty() {
            self.state.storage().delete_multiple(idle).await?;
        }
        Ok(Exported { actors, next })
    }

    /// Builds and writes part `part` of the shop's lists; when parts remain, the alarm builds
    /// the next one.
    async fn build(&self, shop: &ShopId, now: i64, part: usize) -> worker::Result<BuildReport> {
        let storage = self.state.storage();
        let mut catalog: Vec<Product> = Vec::new();
        for (_, text) in self.listed("p:").await? {
            catalog.push(from_text(&text)?);
        }
        let rules: Rules = self.get("rules").await?.unwrap_or_default();
        // Each shard's log is read into numbers and dropped before the next is read.
        let index = lists::Index::new(&catalog);
        let mut activity = lists::Activity::new(catalog.len());
        for n in 0..SHARDS {
            let name = shard_name(shop, n);
            let mut after = None;
            loop {
                let command = Command::Export { now, after };
                let page: Exported = call(&self.env, BINDING, &name, &command)
                    .await
                    .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
                for events in &page.actors {
                    activity.add(&index, events, now);
                }
                match page.next {
                    Some(key) => after = Some(key),
                    None => break,
                }
            }
        }
        let parts = lists::parts(catalog.len());
        let mut report = BuildReport {
            products: catalog.len(),
            actors: activity.actors(),
            events: activity.events,
            part,
            parts,
            ..BuildReport::default()
        };
        let built = lists::build(&catalog, &activity, &rules, now, part);
        drop(activity);
        report.lists = built.len();
        let written: std::collections::HashMap<String, String> =
            self.listed("h:").await?.into_iter().collect();
        let kv = self.env.kv(crate::store::KV_BINDING)?;
        let mut hashes = Vec::new();
        for (name, list) in &built {
            // The build time is left out of the fingerprint: a list is rewritten only when
            // what it shows changed.
            let shown = to_json(&(&list.product, &list.items))?;
            let hash = fingerprint(&shown);
            if written.get(name) == Some(&hash) {
                continue;
            }
            if report.written == WRITES_PER_STEP {
                report.remaining += 1;
                continue;
            }
            kv.put(&keys::recommendations(shop, name), to_json(list)?)?.execute().await?;
            hashes.push((format!("h:{name}"), hash));
            report.written += 1;
        }
        for (key, hash) in hashes {
            storage.put(&key, hash).await?;
        }
        let next =
            if report.remaining > 0 { Some(part) } else { Some(part + 1).filter(|p| *p < parts) };
        match next {
            Some(next) => {
                self.set("resume", &(shop, now, next)).await?;
                storage.set_alarm(1_000).await?;
            }
            None => {
                // The last part: the lists of products that left the catalog go.
                let wanted = lists::names(&catalog);
                for name in written.keys().filter(|n| !wanted.contains(*n)) {
                    kv.delete(&keys::recommendations(shop, name)).await?;
                    storage.delete(&format!("h:{name}")).await?;
                    report.deleted += 1;
                }
                storage.delete("resume").await?;
            }
        }
        Ok(report)
    }
}

impl DurableObject for RecommendationsObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let storage = self.state.storage();
        match super::command::<Command>(&mut req).await? {
            Command::Record { actor, events } => {
                let key = format!("a:{actor}");
                let mut log: Vec<Event> = self.get(&key).await?.unwrap_or_default();
                lists::record(&mut log, events);
                self.set(&key, &log).await?;
                reply(&log.len())
            }
            Command::Unrecord { actor, order } => {
                let key = format!("a:{actor}");
                let mut log: Vec<Event> = self.get(&key).await?.unwrap_or_default();
                lists::unrecord(&mut log, &order);
                if log.is_empty() {
                    storage.delete(&key).await?;
                } else {
                    self.set(&key, &log).await?;
                }
                reply(&log.len())
            }
            Command::Purchases { actor } => {
                let log: Vec<Event> = self.get(&format!("a:{actor}")).await?.unwrap_or_default();
                reply(&lists::purchased(&log, PURCHASES))
            }
            Command::Export { now, after } => reply(&self.export(now, after).await?),
            Command::Forget { actor } => {
                storage.delete(&format!("a:{actor}")).await?;
                reply(&true)
            }
            Command::Product { shop, product } => {
                let first = self.get::<bool>("listed").await?.is_none();
                self.set(&format!("p:{}", product.sku), &product).await?;
                if first {
                    // The Cron Trigger builds the lists of every shop with a catalog.
                    let command = directory::Command::Add {
                        shop,
                        purpose: directory::Purpose::Recommendations,
                    };
                    call::<_, bool>(&self.env, directory::BINDING, directory::NAME, &command)
                        .await
                        .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
                    self.set("listed", &true).await?;
                }
                reply(&true)
            }
            Command::ProductDeleted { sku } => {
                storage.delete(&format!("p:{sku}")).await?;
                reply(&true)
            }
            Command::SetRules { rules } => {
                self.set("rules", &rules).await?;
                reply(&rules)
            }
            Command::GetRules => reply(&self.get::<Rules>("rules").await?.unwrap_or_default()),
            Command::Build { shop, now } => reply(&self.build(&shop, now, 0).await?),
            Command::Purge => {
                storage.delete_all().await?;
                reply(&true)
            }
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Some((shop, now, part)) = self.get::<(ShopId, i64, usize)>("resume").await? {
            self.build(&shop, now, part).await?;
        }
        Response::ok("")
    }
}
