//! Erasing a whole shop (an uninstall, Shopify's `shop/redact`): a resumable job.
//!
//! A shop can hold more KV keys and objects than one request may touch, so the job runs in
//! steps from this object's alarm (one object per shop), each step one page of the shop's KV
//! keys, with its progress stored between steps: a failed step is retried by the runtime, and
//! every step is idempotent. The settings go first, so the shop stops existing for every API
//! at once and nothing new is written while the rest is removed. For each key the step purges
//! the object the key names (a product's reviews object, a shopper's loyalty ledger) before
//! deleting the key; the last step purges the shop's fixed order and discount-code shards, its
//! referral object and its recommendation objects, and takes the shop off the Cron Trigger's
//! lists.

use rapport_shared::ids::{CustomerId, ShopId, Sku};
use rapport_shared::keys;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{
    call, codes, directory, ledger, orders, overview, product_reviews as pr, recs, referrals,
    refuse, reply,
};
use crate::store::Store;

pub const BINDING: &str = "SHOP_ERASER";

/// KV keys per step.
const PAGE: u64 = 100;

pub fn name(shop: &ShopId) -> String {
    shop.to_string()
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Starts erasing the shop, or answers the job already running.
    Start {
        shop: ShopId,
        now: i64,
    },
    Progress,
}

/// Where an erasure stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub shop: ShopId,
    pub started_at: i64,
    pub keys_deleted: u64,
    pub objects_purged: u64,
    /// KV's list cursor after the last page handled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_at: Option<i64>,
}

#[durable_object(alarm)]
pub struct ShopEraserObject {
    state: State,
    env: Env,
}

fn failed(e: crate::error::ApiError) -> worker::Error {
    worker::Error::RustError(format!("{e:?}"))
}

/// The object a KV key names, to purge before the key goes.
enum Holder {
    Product(Sku),
    Ledger(CustomerId),
}

fn holder(shop: &ShopId, key: &str) -> Option<Holder> {
    let rest = key.strip_prefix(&format!("{shop}/"))?;
    let (kind, tail) = rest.split_once('/')?;
    let first = tail.split('/').next()?;
    match kind {
        "product" | "reviews-page" | "review" | "pending" => {
            Sku::parse(first).ok().map(Holder::Product)
        }
        "loyalty-member" => CustomerId::parse(first).ok().map(Holder::Ledger),
        _ => None,
    }
}

impl ShopEraserObject {
    async fn purge(&self, binding: &str, name: &str, command: &impl Serialize) -> Result<()> {
        call::<_, bool>(&self.env, binding, name, command).await.map(|_| ()).map_err(failed)
    }

    /// One step: the next page of keys, or the fixed shards once the keys are gone.
    async fn step(&self, job: &mut Job, now: i64) -> Result<()> {
        let store = Store::open(&self.env).map_err(failed)?;
        let shop = job.shop.clone();
        if job.keys_deleted == 0 && job.cursor.is_none() {
            store.delete(&keys::shop_settings(&shop)).await.map_err(failed)?;
            job.keys_deleted += 1;
        }
        let prefix = format!("{shop}/");
        let (names, cursor) =
            store.keys_page(&prefix, job.cursor.clone(), PAGE).await.map_err(failed)?;
        // Several keys name the same product; its object is purged once per page.
        let mut purged: Vec<String> = Vec::new();
        for key in &names {
            match holder(&shop, key) {
                Some(Holder::Product(sku)) => {
                    let name = pr::name(&shop, &sku);
                    if !purged.contains(&name) {
                        let target = pr::Target { shop: shop.clone(), sku };
                        self.purge(pr::BINDING, &name, &pr::Command::Purge { target }).await?;
                        job.objects_purged += 1;
                        purged.push(name);
                    }
                }
                Some(Holder::Ledger(customer)) => {
                    let name = ledger::name(&shop, &customer);
                    let command = ledger::Command::Forget { shop: shop.clone(), customer };
                    self.purge(ledger::BINDING, &name, &command).await?;
                    job.objects_purged += 1;
                }
                None => {}
            }
            store.delete(key).await.map_err(failed)?;
            job.keys_deleted += 1;
        }
        job.cursor = cursor;
        if job.cursor.is_none() {
            for i in 0..orders::SHARDS {
                let name = orders::shard_name(&shop, i);
                self.purge(orders::BINDING, &name, &orders::Command::Purge).await?;
            }
            for i in 0..codes::SHARDS {
                let name = codes::shard_name(&shop, i);
                self.purge(codes::BINDING, &name, &codes::Command::Purge).await?;
            }
            let name = referrals::name(&shop);
            self.purge(referrals::BINDING, &name, &referrals::Command::Purge).await?;
            self.purge(recs::BINDING, &recs::hub(&shop), &recs::Command::Purge).await?;
            for n in 0..recs::SHARDS {
                let name = recs::shard_name(&shop, n);
                self.purge(recs::BINDING, &name, &recs::Command::Purge).await?;
            }
            let name = overview::name(&shop);
            self.purge(overview::BINDING, &name, &overview::Command::Purge).await?;
            let command = directory::Command::Remove { shop: shop.clone(), purpose: None };
            self.purge(directory::BINDING, directory::NAME, &command).await?;
            job.objects_purged += orders::SHARDS + codes::SHARDS + recs::SHARDS + 3;
            job.done_at = Some(now);
        }
        Ok(())
    }
}

impl DurableObject for ShopEraserObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let job: Option<Job> = storage.get("job").await?;
        match super::command::<Command>(&mut req).await? {
            Command::Progress => match job {
                Some(job) => reply(&job),
                None => refuse(404, "erasure_not_found", "this shop has not been erased"),
            },
            Command::Start { shop, now } => {
                if let Some(job) = job.filter(|j| j.done_at.is_none()) {
                    return reply(&job);
                }
                let job = Job {
                    shop,
                    started_at: now,
                    keys_deleted: 0,
                    objects_purged: 0,
                    cursor: None,
                    done_at: None,
                };
                storage.put("job", &job).await?;
                storage.set_alarm(0).await?;
                reply(&job)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let Some(mut job) = storage.get::<Job>("job").await? else {
            return Response::ok("no job");
        };
        if job.done_at.is_some() {
            return Response::ok("done");
        }
        let now = (worker::js_sys::Date::now() / 1000.0) as i64;
        self.step(&mut job, now).await?;
        storage.put("job", &job).await?;
        if job.done_at.is_none() {
            storage.set_alarm(0).await?;
        }
        Response::ok("step")
    }
}
