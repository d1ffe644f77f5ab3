//! One product's reviews and helpful votes, with a single owner.
//!
//! Storage: `target` (shop and SKU), `review:{id}` per review, `vote:{id}:{voter}` per helpful
//! vote, `dirty:{id}` for reviews whose KV copy is out of date. A vote is recorded and counted in
//! one storage write, so concurrent votes can neither be lost nor counted twice.
//!
//! KV is written only from the alarm: the product's page (summary, newest reviews, JSON-LD), the
//! KV copy of each changed review, and the moderation-queue entries. Changes in a burst set the
//! alarm again and are flushed together, at most once a second, which stays inside KV's limit of
//! one write per second per key. A failed flush throws, and the runtime retries the alarm.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use rapport_shared::catalog::Product;
use rapport_shared::ids::{CustomerId, ReviewId, ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::reviews::{
    list, product_json_ld, HelpfulCount, MerchantReply, ProductReviews, Review, ReviewQuery,
    ReviewStatus,
};
use serde::{Deserialize, Serialize};
use worker::{durable_object, js_sys, DurableObject, Env, Request, Response, Result, State};

use super::{refuse, reply};
use crate::store::KV_BINDING;

pub const BINDING: &str = "PRODUCT_REVIEWS";

/// The object's name: one per shop and product.
pub fn name(shop: &ShopId, sku: &Sku) -> String {
    format!("{shop}/{sku}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Target {
    pub shop: ShopId,
    pub sku: Sku,
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// A shopper's new review.
    Submit { target: Target, review: Review },
    /// Reviews from an import; an existing review keeps its votes, reply and author account.
    Import { target: Target, reviews: Vec<Review> },
    /// One helpful vote from `voter`; a second one from the same voter is refused.
    Vote { target: Target, review: ReviewId, voter: String },
    /// The merchant moderates and/or replies.
    Update { target: Target, review: ReviewId, status: Option<ReviewStatus>, reply: ReplyChange },
    /// A sorted, filtered page of published reviews.
    List { target: Target, query: ReviewQuery },
    /// The customer asked to be forgotten: anonymise their reviews, drop their votes' identity.
    Forget { target: Target, customer: CustomerId },
    /// The shop is being erased: everything goes, and nothing is written to KV again.
    Purge { target: Target },
}

impl Command {
    fn target(&self) -> &Target {
        match self {
            Command::Submit { target, .. }
            | Command::Import { target, .. }
            | Command::Vote { target, .. }
            | Command::Update { target, .. }
            | Command::List { target, .. }
            | Command::Forget { target, .. }
            | Command::Purge { target } => target,
        }
    }
}

/// What happens to a review's public reply.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ReplyChange {
    Keep,
    Remove,
    Set(MerchantReply),
}

// `alarm` exports both the fetch and the alarm handler.
#[durable_object(alarm)]
pub struct ProductReviewsObject {
    state: State,
    env: Env,
    /// All reviews, loaded from storage on first use and written through.
    reviews: RefCell<Option<BTreeMap<ReviewId, Review>>>,
    /// When KV was last written (ms), to space flushes a second apart.
    last_flush: Cell<f64>,
    /// Bumped by every change, so a flush can tell whether it wrote the latest state.
    version: Cell<u64>,
}

const REVIEW: &str = "review:";
const DIRTY: &str = "dirty:";

fn now_ms() -> f64 {
    js_sys::Date::now()
}

impl ProductReviewsObject {
    async fn load(&self) -> Result<()> {
        if self.reviews.borrow().is_some() {
            return Ok(());
        }
        let stored = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(REVIEW))
            .await?;
        let mut map = BTreeMap::new();
        for value in stored.values() {
            let review: Review = serde_wasm_bindgen::from_value(value?)?;
            map.insert(review.id.clone(), review);
        }
        // Another event may have loaded meanwhile; the stored data is the same either way.
        *self.reviews.borrow_mut() = Some(map);
        Ok(())
    }

    fn get(&self, id: &ReviewId) -> Option<Review> {
        self.reviews.borrow().as_ref().and_then(|m| m.get(id).cloned())
    }

    fn all(&self) -> Vec<Review> {
        self.reviews.borrow().as_ref().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// Stores reviews (and any extra entries) in one write, then schedules a flush to KV.
    async fn save(
        &self,
        target: &Target,
        changed: &[Review],
        extra: &[(String, bool)],
    ) -> Result<()> {
        let entries = js_sys::Object::new();
        let set = |k: &str, v: worker::wasm_bindgen::JsValue| {
            js_sys::Reflect::set(&entries, &k.into(), &v)
        };
        set("target", serde_wasm_bindgen::to_value(target)?)?;
        for r in changed {
            set(&format!("{REVIEW}{}", r.id), serde_wasm_bindgen::to_value(r)?)?;
            set(&format!("{DIRTY}{}", r.id), true.into())?;
        }
        for (k, v) in extra {
            set(k, (*v).into())?;
        }
        self.state.storage().put_multiple_raw(entries).await?;
        self.version.set(self.version.get() + 1);
        if let Some(map) = self.reviews.borrow_mut().as_mut() {
            for r in changed {
                map.insert(r.id.clone(), r.clone());
            }
        }
        let wait = self.last_flush.get() + 1000.0 - now_ms();
        if wait <= 0.0 && self.flush().await.is_ok() {
            // Written at once: the shopper who just acted sees it on the next read.
            return Ok(());
        }
        // Within a second of the last write (or it failed): the alarm writes, and retries.
        self.state.storage().set_alarm(wait.max(0.0) as i64).await
    }

    async fn command(&self, command: Command) -> Result<Response> {
        self.load().await?;
        let target = command.target().clone();
        match command {
            Command::Submit { review, .. } => {
                self.save(&target, std::slice::from_ref(&review), &[]).await?;
                reply(&review)
            }
            Command::Import { reviews, .. } => {
                let merged: Vec<Review> = reviews
                    .into_iter()
                    .map(|mut r| {
                        if let Some(old) = self.get(&r.id) {
                            r.helpful = old.helpful;
                            r.reply = r.reply.or(old.reply);
                            r.customer = r.customer.or(old.customer);
                        }
                        r
                    })
                    .collect();
                self.save(&target, &merged, &[]).await?;
                reply(&merged.len())
            }
            Command::Vote { review, voter, .. } => {
                let Some(mut r) = self.get(&review).filter(|r| r.status == ReviewStatus::Published)
                else {
                    return refuse(404, "review_not_found", "no published review with this id");
                };
                let vote = format!("vote:{review}:{voter}");
                if self.state.storage().get::<bool>(&vote).await?.is_some() {
                    return refuse(409, "already_voted", "this shopper already found it helpful");
                }
                r.helpful += 1;
                self.save(&target, std::slice::from_ref(&r), &[(vote, true)]).await?;
                reply(&HelpfulCount { helpful: r.helpful })
            }
            Command::Update { review, status, reply: new_reply, .. } => {
                let Some(mut r) = self.get(&review) else {
                    return refuse(404, "review_not_found", "no review with this id");
                };
                if let Some(s) = status {
                    r.status = s;
                }
                match new_reply {
                    ReplyChange::Keep => {}
                    ReplyChange::Remove => r.reply = None,
                    ReplyChange::Set(reply) => r.reply = Some(reply),
                }
                self.save(&target, std::slice::from_ref(&r), &[]).await?;
                reply(&r)
            }
            Command::List { query, .. } => reply(&list(&self.all(), &query)),
            Command::Purge { .. } => {
                let storage = self.state.storage();
                storage.delete_alarm().await?;
                storage.delete_all().await?;
                *self.reviews.borrow_mut() = Some(BTreeMap::new());
                reply(&true)
            }
            Command::Forget { customer, .. } => {
                let mut theirs: Vec<Review> = self
                    .all()
                    .into_iter()
                    .filter(|r| r.customer.as_ref() == Some(&customer))
                    .collect();
                for r in &mut theirs {
                    r.anonymise();
                }
                // Their votes still count; only the record of who cast them goes.
                let voter = format!(":c:{customer}");
                let votes = self
                    .state
                    .storage()
                    .list_with_options(worker::ListOptions::new().prefix("vote:"))
                    .await?;
                let mine: Vec<String> = votes
                    .keys()
                    .into_iter()
                    .filter_map(|k| k.ok()?.as_string())
                    .filter(|k| k.ends_with(&voter))
                    .collect();
                if !mine.is_empty() {
                    self.state.storage().delete_multiple(mine).await?;
                }
                if !theirs.is_empty() {
                    self.save(&target, &theirs, &[]).await?;
                }
                reply(&theirs.len())
            }
        }
    }

    /// Writes what changed to KV: the product page, review copies, moderation queue entries.
    async fn flush(&self) -> Result<()> {
        self.load().await?;
        let storage = self.state.storage();
        let Some(target) = storage.get::<Target>("target").await? else {
            return Ok(());
        };
        let dirty = storage.list_with_options(worker::ListOptions::new().prefix(DIRTY)).await?;
        let dirty_keys: Vec<String> =
            dirty.keys().into_iter().filter_map(|k| k.ok()?.as_string()).collect();
        // Cleared before the writes: a change made while they run marks itself dirty again.
        storage.delete_multiple(dirty_keys.clone()).await?;
        self.last_flush.set(now_ms());
        let version = self.version.get();
        let result = self.write_kv(&target, &dirty_keys).await;
        if result.is_ok() && self.version.get() != version {
            // Something changed while KV was being written, and another flush may have
            // finished first with the newer state: write once more, a second from now.
            storage.set_alarm(1000).await?;
        }
        if result.is_err() {
            let entries = js_sys::Object::new();
            for k in &dirty_keys {
                js_sys::Reflect::set(&entries, &k.into(), &true.into())?;
            }
            storage.put_multiple_raw(entries).await?;
        }
        result
    }

    async fn write_kv(&self, target: &Target, dirty_keys: &[String]) -> Result<()> {
        let kv = self.env.kv(KV_BINDING)?;
        let (shop, sku) = (&target.shop, &target.sku);
        for key in dirty_keys {
            let Some(review) =
                ReviewId::parse(&key[DIRTY.len()..]).ok().and_then(|id| self.get(&id))
            else {
                continue;
            };
            kv.put(&keys::review(shop, sku, &review.id), &review)?.execute().await?;
            if let Some(customer) = &review.customer {
                kv.put(&keys::customer_review(shop, customer, sku, &review.id), true)?
                    .execute()
                    .await?;
            }
            let pending = keys::pending(shop, sku, &review.id);
            if review.status == ReviewStatus::Pending {
                kv.put(&pending, review.created_at)?.execute().await?;
            } else {
                kv.delete(&pending).await?;
            }
        }
        let all = self.all();
        let mut page = ProductReviews::build(sku, &all);
        if let Some(product) = kv.get(&keys::product(shop, sku)).json::<Product>().await? {
            page.json_ld = Some(product_json_ld(&product, &page));
        }
        kv.put(&keys::product_reviews(shop, sku), &page)?.execute().await?;
        Ok(())
    }
}

impl DurableObject for ProductReviewsObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            reviews: RefCell::new(None),
            last_flush: Cell::new(0.0),
            version: Cell::new(0),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = req.json().await?;
        self.command(command).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.flush().await?;
        Response::ok("flushed")
    }
}
