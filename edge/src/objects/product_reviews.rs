//! One product's reviews and helpful votes, with a single owner.
//!
//! Storage: `target` (shop and SKU), `review:{id}` per review, `vote:{id}:{voter}` per helpful
//! vote, `dirty:{id}` for reviews whose KV views are not yet written. A vote is recorded and
//! counted in one storage write, so concurrent votes can neither be lost nor counted twice.
//!
//! KV holds views of this storage (and the shop's overview object its review figures): the
//! product's page (summary, newest reviews, JSON-LD), the KV
//! copy of each review, the moderation-queue entries and the customer index. A change, its
//! `dirty:` mark and the alarm that flushes it are stored in one atomic write; a flush clears a
//! mark only after every KV write for it has succeeded, and only if no newer change replaced it
//! meanwhile. So a crash at any moment leaves either the views written or the marks and the alarm
//! that write them; a failed flush throws, and the runtime retries the alarm. Flushes run one at a
//! time, at most once a second, which stays inside KV's limit of one write per second per key.

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

use super::{call, entries, mark_token, overview, put_with_alarm, refuse, reply};
use crate::store::KV_BINDING;
use rapport_shared::overview::Contribution;

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
    /// A shopper's new review. With `once`, only the first review under that key is taken (a
    /// review request's product of one order): a second is refused, 409 `already_reviewed`.
    Submit {
        target: Target,
        review: Review,
        #[serde(default)]
        once: Option<String>,
    },
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
    /// A flush is writing KV. A second one meanwhile could finish first and then be overwritten
    /// by the older state of the first, so it leaves its work to the alarm instead.
    flushing: Cell<bool>,
}

/// Clears [`ProductReviewsObject::flushing`] however the flush ends.
struct Flushing<'a>(&'a Cell<bool>);

impl Drop for Flushing<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
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
        // Marks left without an alarm (stored before marks and alarm were written together).
        let storage = self.state.storage();
        if !self.marks().await?.is_empty() && storage.get_alarm().await?.is_none() {
            storage.set_alarm(0).await?;
        }
        Ok(())
    }

    /// The `dirty:` marks, with their values.
    async fn marks(&self) -> Result<Vec<(String, worker::wasm_bindgen::JsValue)>> {
        let listed = self
            .state
            .storage()
            .list_with_options(worker::ListOptions::new().prefix(DIRTY))
            .await?;
        Ok(entries(&listed))
    }

    fn get(&self, id: &ReviewId) -> Option<Review> {
        self.reviews.borrow().as_ref().and_then(|m| m.get(id).cloned())
    }

    fn all(&self) -> Vec<Review> {
        self.reviews.borrow().as_ref().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// Stores reviews (and any extra entries), their marks and the alarm that flushes them in one
    /// write; then writes KV at once if the last flush is a second old.
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
            set(&format!("{DIRTY}{}", r.id), mark_token())?;
        }
        for (k, v) in extra {
            set(k, (*v).into())?;
        }
        let now = now_ms();
        let next = self.last_flush.get() + 1000.0;
        let inline = next <= now && !self.flushing.get();
        // Written now: the alarm stays a second away, in case this process dies before it is
        // done. Within a second of the last write: the alarm writes, coalescing the burst.
        let alarm = if inline { now + 1000.0 } else { next.max(now) };
        put_with_alarm(&self.state.storage(), entries, alarm).await?;
        if let Some(map) = self.reviews.borrow_mut().as_mut() {
            for r in changed {
                map.insert(r.id.clone(), r.clone());
            }
        }
        if inline {
            // The shopper who just acted sees it on the next read. A failure here is the
            // alarm's to retry: the change is stored and marked.
            if let Err(e) = self.flush().await {
                worker::console_error!("[rapport] flushing {}/{}: {e:?}", target.shop, target.sku);
            }
        }
        Ok(())
    }

    async fn command(&self, command: Command) -> Result<Response> {
        self.load().await?;
        let target = command.target().clone();
        match command {
            Command::Submit { review, once, .. } => {
                let marks: Vec<(String, bool)> =
                    once.map(|k| (format!("once:{k}"), true)).into_iter().collect();
                if let Some((mark, _)) = marks.first() {
                    if self.state.storage().get::<bool>(mark).await?.is_some() {
                        return refuse(
                            409,
                            "already_reviewed",
                            "this product of this order has its review",
                        );
                    }
                }
                self.save(&target, std::slice::from_ref(&review), &marks).await?;
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

    /// Writes what changed to KV: the product page, review copies, moderation queue entries and
    /// the customer index; then clears the marks it wrote.
    async fn flush(&self) -> Result<()> {
        if self.flushing.get() {
            // The running flush leaves the marks of changes it did not cover; this alarm comes
            // back for them.
            return self.state.storage().set_alarm(1000).await;
        }
        self.flushing.set(true);
        let _flushing = Flushing(&self.flushing);
        self.load().await?;
        let storage = self.state.storage();
        let Some(target) = storage.get::<Target>("target").await? else {
            return Ok(());
        };
        let marks = self.marks().await?;
        if marks.is_empty() {
            return Ok(());
        }
        self.last_flush.set(now_ms());
        let keys: Vec<String> = marks.iter().map(|(k, _)| k.clone()).collect();
        // On failure the marks stay, and the error makes the runtime retry the alarm.
        self.write_kv(&target, &keys).await?;
        // Every view is written. A mark whose value changed belongs to a change made while
        // the views were being written: it stays, for the next flush.
        let now = self.marks().await?;
        let (done, newer): (Vec<_>, Vec<_>) = now
            .into_iter()
            .partition(|(k, v)| marks.iter().any(|(mk, mv)| mk == k && js_sys::Object::is(mv, v)));
        if !done.is_empty() {
            storage.delete_multiple(done.into_iter().map(|(k, _)| k).collect::<Vec<_>>()).await?;
        }
        if !newer.is_empty() {
            storage.set_alarm(1000).await?;
        }
        Ok(())
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
        let store = crate::store::Store::open(&self.env)
            .map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        store
            .put_reviews_page(shop, sku, &page)
            .await
            .map_err(|e| worker::Error::RustError(format!("the page of {sku}: {e:?}")))?;
        // Flushes run one at a time, so the clock orders their versions.
        let command = overview::Command::Source {
            source: format!("product:{sku}"),
            version: now_ms() as u64,
            contribution: Contribution::reviews(&all),
        };
        call::<_, bool>(&self.env, overview::BINDING, &overview::name(shop), &command)
            .await
            .map_err(|e| worker::Error::RustError(format!("telling the overview: {e:?}")))?;
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
            flushing: Cell::new(false),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let command: Command = super::command(&mut req).await?;
        self.command(command).await
    }

    async fn alarm(&self) -> Result<Response> {
        self.flush().await?;
        Response::ok("flushed")
    }
}
