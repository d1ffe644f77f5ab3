//! Orders, from any number of webhook deliveries in any order.
//!
//! A shop's orders are spread over [`SHARDS`] objects by a hash of the order key, so a shop with
//! years of history has a bounded number of objects, and deliveries of one order always meet in
//! the same one. Storage per order: `state:{order}` (the folded [`OrderState`]),
//! `version:{order}` (how many times it was folded), `applied:{order}` (the purchase records it
//! has written to KV), `awarded:{order}` (the customer whose loyalty ledger it last told) and
//! `told:{order}` (the buyer and payment the shop's overview last heard of).
//! Each delivery is folded into the state and stored with its version, then the records the
//! state calls for are reconciled with those applied (written or removed), and the customer's
//! ledger is told the state's net amount with its version: the ledger applies only the
//! difference, and ignores a version older than one it has seen. Every step is idempotent, so a
//! delivery repeated, concurrent or retried after a failure changes what depends on the order
//! exactly once.
//!
//! A fulfilled order of a shop that sends follow-ups also gets `request:{order}`, its review
//! request still to be sent (the buyer, their address, consent and language: the address is kept
//! only here, and only until the request is sent or dropped), and then `requested:{order}`, what
//! became of it. The Cron Trigger asks each object to send what is due ([`Command::FollowUps`]):
//! a request is marked done in the same write that removes it, before the e-mail goes, so no
//! repeat of the webhook or the scheduler sends it twice (a failed send puts it back).
//!
//! `pending:{order}` marks an order whose records and ledger are still to be reconciled with its
//! state. It is stored in the same write as the state, with an alarm a few seconds on, and
//! cleared once the reconciliation has succeeded: if the process dies in between, or a KV write
//! fails, the alarm reconciles the order again (and the runtime retries the alarm).

use futures_util::future::try_join;
use rapport_shared::ids::{CustomerId, OrderKey, RefundId, ShopId, Sku};
use rapport_shared::orders::{OrderEvent, OrderState};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{call, entries, ledger, mark_token, overview, put_with_alarm, recs, referrals, reply};
use crate::http::now;
use crate::store::Store;
use rapport_shared::catalog::{Currency, ShopSettings};
use rapport_shared::follow_up::{
    self, Contact, Decision, Funnel, OrderFacts as RequestFacts, Outcome, Recipient,
};
use rapport_shared::loyalty::{normalise_code, Account, LoyaltyRules, Presence};
use rapport_shared::referral::book::{OrderFacts, Referral};
use rapport_shared::referral::normalise_referral_code;

pub const BINDING: &str = "ORDERS";

/// Objects per shop that share its orders.
pub const SHARDS: u64 = 32;

/// The name of the object that holds `order`.
pub fn name(shop: &ShopId, order: &OrderKey) -> String {
    shard_name(shop, super::shard(order.as_str(), SHARDS))
}

/// The name of the shop's `index`-th order object.
pub fn shard_name(shop: &ShopId, index: u64) -> String {
    format!("{shop}/orders/{index}")
}

// Built once per delivery and serialised at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Fold in a delivery.
    Apply {
        shop: ShopId,
        order: OrderKey,
        event: Event,
        /// The shop's programme, when it runs one.
        loyalty: Option<Loyalty>,
        /// The shop's referral programme, when it runs one.
        #[serde(default)]
        referral: Option<referrals::Programme>,
        /// The buyer's e-mail address, only when the shop sends follow-ups: kept for the
        /// order's review request.
        #[serde(default)]
        contact: Option<String>,
    },
    /// Send the review requests due at `now` under the shop's settings; answers how many went.
    FollowUps { shop: ShopId, settings: ShopSettings, now: i64 },
    /// Read an order's state (for the admin API and for a refund's currency).
    Read { order: OrderKey },
    /// The review link of `order` was opened at `at` (only the first time counts).
    Opened { order: OrderKey, at: i64 },
    /// `count` reviews were written through the review link of `order` at `at`.
    Reviewed { order: OrderKey, count: u32, at: i64 },
    /// The review request of `order`: still to go out, or what became of it.
    Request { order: OrderKey },
    /// This object's review requests, counted.
    Funnel,
    /// The customer asked to be forgotten.
    Forget { shop: ShopId, order: OrderKey },
    /// The shop is being erased: every order in this object goes.
    Purge,
}

/// A loyalty programme and the shop's currency: what the buyer's ledger is told under.
#[derive(Clone, Serialize, Deserialize)]
pub struct Loyalty {
    pub rules: LoyaltyRules,
    pub currency: Currency,
}

/// [`OrderEvent`] as it crosses to the object.
// Built once per delivery and serialised at once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Serialize, Deserialize)]
pub enum Event {
    Order(rapport_shared::orders::Order),
    Refund { refund_id: RefundId, amount_minor: i64 },
}

impl From<Event> for OrderEvent {
    fn from(e: Event) -> Self {
        match e {
            Event::Order(o) => OrderEvent::Order(o),
            Event::Refund { refund_id, amount_minor } => {
                OrderEvent::Refund { refund_id, amount_minor }
            }
        }
    }
}

// `alarm` exports both the fetch and the alarm handler.
#[durable_object(alarm)]
pub struct OrderObject {
    state: State,
    env: Env,
}

const PENDING: &str = "pending:";
/// The shop and programme a pending order is reconciled under (kept beside the mark, so the
/// mark's listing stays small).
const PENDING_WITH: &str = "reconcile:";
/// How long a delivery has to reconcile before the alarm does it instead.
const RECONCILE_ALARM_MS: f64 = 5000.0;

/// What reconciling an order needs besides its stored state.
#[derive(Serialize, Deserialize)]
struct Pending {
    shop: ShopId,
    loyalty: Option<Loyalty>,
    #[serde(default)]
    referral: Option<referrals::Programme>,
}

/// A review request still to be sent (`request:{order}`): to whom, stored as one flat record.
#[derive(Serialize, Deserialize)]
pub struct ReviewRequest {
    pub customer: CustomerId,
    #[serde(flatten)]
    pub contact: Contact,
}

const REQUEST: &str = "request:";
const REQUESTED: &str = "requested:";

/// An order's review request: still to go out, or what became of it (`requested:{order}`).
#[derive(Serialize, Deserialize)]
pub struct RequestView {
    pub pending: Option<ReviewRequest>,
    pub outcome: Option<Outcome>,
}

/// The products of an order, each once.
pub fn order_skus(order: &rapport_shared::orders::Order) -> Vec<Sku> {
    let mut skus: Vec<Sku> = order.lines.iter().map(|l| l.product.clone()).collect();
    skus.sort();
    skus.dedup();
    skus
}

fn failed(e: crate::error::ApiError) -> worker::Error {
    worker::Error::RustError(format!("{e:?}"))
}

impl OrderObject {
    /// Keeps (or refreshes) the order's review request once the order is fulfilled, unless it
    /// was sent or dropped already.
    async fn keep_request(
        &self,
        order: &OrderKey,
        state: &OrderState,
        email: String,
    ) -> Result<()> {
        let storage = self.state.storage();
        let Some(o) = state.order.as_ref().filter(|_| state.fulfilled_at.is_some()) else {
            return Ok(());
        };
        let Some(customer) = o.customer.clone() else { return Ok(()) };
        if storage.get::<Outcome>(&format!("{REQUESTED}{order}")).await?.is_some() {
            return Ok(());
        }
        let request = ReviewRequest { customer, contact: Contact::for_order(email, &o.follow_up) };
        storage.put(&format!("{REQUEST}{order}"), &request).await
    }

    /// Sends every review request due at `now`; how many went.
    async fn send_follow_ups(
        &self,
        shop: &ShopId,
        settings: &ShopSettings,
        now: i64,
    ) -> Result<usize> {
        let storage = self.state.storage();
        let store = Store::open(&self.env).map_err(failed)?;
        let secret = super::token_secret(&self.env, shop)?;
        let waiting =
            entries(&storage.list_with_options(worker::ListOptions::new().prefix(REQUEST)).await?);
        let mut sent = 0;
        for (key, value) in waiting {
            let Ok(order) = OrderKey::parse(&key[REQUEST.len()..]) else { continue };
            let request: ReviewRequest = serde_wasm_bindgen::from_value(value)?;
            let state: OrderState =
                storage.get(&format!("state:{order}")).await?.unwrap_or_default();
            // Not due yet: nothing else needs reading (what would stop it is asked when it is).
            let delay = settings.follow_ups.as_ref().map_or(0, |f| i64::from(f.delay_days));
            if state.fulfilled_at.is_none_or(|at| now < at.saturating_add(delay * 86_400)) {
                continue;
            }
            let skus = state.order.as_ref().map(order_skus).unwrap_or_default();
            let mut unreviewed = Vec::new();
            for sku in &skus {
                if !store.reviewed(shop, &request.customer, sku).await.map_err(failed)? {
                    unreviewed.push(sku.clone());
                }
            }
            let email_hash = rapport_shared::secrets::email_hash(&secret, &request.contact.email);
            let facts = RequestFacts {
                fulfilled_at: state.fulfilled_at,
                cancelled: state.cancelled || (state.paid && !state.kept()),
                reviewed_all: unreviewed.is_empty(),
                done: false,
            };
            let to = Recipient {
                erased: state.customer_forgotten,
                unsubscribed: store
                    .unsubscribed_at(shop, &email_hash)
                    .await
                    .map_err(failed)?
                    .is_some(),
                marketing: request.contact.marketing,
            };
            let outcome =
                match follow_up::review_request(settings.follow_ups.as_ref(), facts, to, now) {
                    Decision::Wait { .. } => continue,
                    Decision::Never(why) => Outcome::Dropped { why },
                    Decision::Send => Outcome::Sent { at: now, opened: None, reviews: 0 },
                };
            // Done and gone in one write, before anything is sent.
            let done_key = format!("{REQUESTED}{order}");
            // (Both issued before either is awaited: the runtime commits them together.)
            try_join(storage.put(&done_key, &outcome), storage.delete(&key)).await?;
            if let Outcome::Sent { .. } = outcome {
                let mail = crate::handlers::follow_ups::ReviewMail {
                    shop,
                    settings,
                    order: &order,
                    request: &request,
                    skus: &unreviewed,
                    now,
                    preview: false,
                };
                match mail.send(&self.env, &store, &secret).await {
                    Ok(()) => sent += 1,
                    Err(e) => {
                        // Not sent: it waits for the next run.
                        worker::console_error!("[rapport] review request for {order}: {e:?}");
                        storage.put(&key, &request).await?;
                        storage.delete(&done_key).await?;
                    }
                }
            }
        }
        Ok(sent)
    }

    /// Counts this object's review requests: those still to go out and what became of the
    /// others.
    async fn funnel(&self) -> Result<Funnel> {
        let storage = self.state.storage();
        let mut funnel = Funnel::default();
        let list = |prefix| storage.list_with_options(worker::ListOptions::new().prefix(prefix));
        funnel.scheduled = entries(&list(REQUEST).await?).len() as u64;
        for (_, value) in entries(&list(REQUESTED).await?) {
            if let Ok(outcome) = serde_wasm_bindgen::from_value::<Outcome>(value) {
                funnel.count(&outcome);
            }
        }
        Ok(funnel)
    }

    /// Records what the shopper did with the review link of `order`.
    async fn follow_link(&self, order: &OrderKey, reviews: Option<u32>, at: i64) -> Result<bool> {
        let storage = self.state.storage();
        let key = format!("{REQUESTED}{order}");
        let Some(mut outcome) = storage.get::<Outcome>(&key).await? else { return Ok(false) };
        let changed = match reviews {
            None => outcome.open(at),
            Some(count) => {
                outcome.reviewed(count, at);
                count > 0
            }
        };
        if changed {
            storage.put(&key, &outcome).await?;
        }
        Ok(changed)
    }

    /// Brings the purchase records, the customer index and the buyer's ledger in line with the
    /// order's stored state and version; then clears the order's mark if it is still `token`.
    async fn reconcile(
        &self,
        shop: &ShopId,
        order: &OrderKey,
        loyalty: Option<Loyalty>,
        referral: Option<referrals::Programme>,
        token: f64,
        email: Option<&str>,
    ) -> Result<OrderState> {
        let storage = self.state.storage();
        let (state_key, applied_key) = (format!("state:{order}"), format!("applied:{order}"));
        let (version_key, awarded_key) = (format!("version:{order}"), format!("awarded:{order}"));
        let state: OrderState = storage.get(&state_key).await?.unwrap_or_default();
        let version: u64 = storage.get::<u64>(&version_key).await?.unwrap_or(0);

        let wanted = state.purchases();
        let applied: Vec<(CustomerId, Sku)> = storage.get(&applied_key).await?.unwrap_or_default();
        let store = Store::open(&self.env).map_err(failed)?;
        for (customer, sku) in wanted.iter().filter(|p| !applied.contains(p)) {
            store.put_purchase(shop, customer, sku, order).await.map_err(failed)?;
        }
        for (customer, sku) in applied.iter().filter(|p| !wanted.contains(p)) {
            store.delete_purchase(shop, customer, sku, order).await.map_err(failed)?;
        }
        if let Some(customer) = state.order.as_ref().and_then(|o| o.customer.as_ref()) {
            store.index_customer_order(shop, customer, order).await.map_err(failed)?;
        }
        storage.put(&applied_key, &wanted).await?;

        let buyer = state.order.as_ref().and_then(|o| o.customer.clone());
        let awarded: Option<CustomerId> = storage.get(&awarded_key).await?;
        let contact = email
            .zip(state.order.as_ref())
            .map(|(email, o)| Contact::for_order(email.to_owned(), &o.follow_up));
        if let Some(Loyalty { rules, currency: shop_currency }) = loyalty {
            let currency =
                state.order.as_ref().map_or(shop_currency.clone(), |o| o.currency.clone());
            let tell = |customer: CustomerId, net_minor: i64| ledger::Command::Act {
                // Where the buyer's points reminders go (the previous holder's stays).
                act: ledger::Act::Order {
                    source: format!("order:{order}"),
                    version,
                    net_minor,
                    currency: currency.clone(),
                    contact: contact.clone().filter(|_| Some(&customer) == buyer.as_ref()),
                },
                ctx: ledger::Context {
                    shop: shop.clone(),
                    customer,
                    rules: rules.clone(),
                    currency: shop_currency.clone(),
                    now: now(),
                    // A delivery is not the shopper signing in.
                    presence: Presence::Absent,
                },
            };
            // The order changed hands (a guest order claimed, a correction): take it back first.
            if let Some(previous) = awarded.filter(|a| Some(a) != buyer.as_ref()) {
                let name = ledger::name(shop, &previous);
                let _: Account = call(&self.env, ledger::BINDING, &name, &tell(previous, 0))
                    .await
                    .map_err(failed)?;
            }
            if let Some(customer) = &buyer {
                let name = ledger::name(shop, customer);
                let command = tell(customer.clone(), state.net_spent_minor());
                let _: Account =
                    call(&self.env, ledger::BINDING, &name, &command).await.map_err(failed)?;
                storage.put(&awarded_key, customer).await?;
            }
        }
        // A paid order, with its version, to the shop's referral programme: it records the
        // buyer, and attributes the order or revalues the referral it made.
        if let (Some(programme), Some(o), true) = (referral, &state.order, state.paid) {
            let signals = &o.referral;
            let facts = OrderFacts {
                order: order.clone(),
                version,
                customer: o.customer.clone(),
                email_hash: signals.email_hash.clone(),
                address_hash: signals.address_hash.clone(),
                discount_codes: signals
                    .discount_codes
                    .iter()
                    .filter_map(|c| normalise_code(c))
                    .collect(),
                ref_code: signals.ref_code.as_deref().and_then(normalise_referral_code),
                net_minor: state.net_spent_minor(),
                currency: o.currency.clone(),
            };
            let command = referrals::Command::Order { facts, programme, now: now() };
            let _: Option<Referral> =
                call(&self.env, referrals::BINDING, &referrals::name(shop), &command)
                    .await
                    .map_err(failed)?;
        }
        // A paid order's products, once, to the shop's recommendations: what was bought
        // together, and after what; taken back if the order is cancelled or refunded in full.
        let recorded_key = format!("recs:{order}");
        if let Some(o) = &state.order {
            let recorded = storage.get::<bool>(&recorded_key).await?.is_some();
            let id = order.to_string();
            let actor = recs::buyer(o.customer.as_ref().map(|c| c.as_str()), &id);
            let command = match (state.kept(), recorded) {
                (true, false) => Some(recs::Command::Record {
                    actor: actor.clone(),
                    events: o
                        .lines
                        .iter()
                        .map(|l| rapport_shared::recs::lists::Event {
                            sku: l.product.clone(),
                            at: o.updated_at,
                            order: Some(id.clone()),
                        })
                        .collect(),
                }),
                (false, true) => Some(recs::Command::Unrecord { actor: actor.clone(), order: id }),
                _ => None,
            };
            if let Some(command) = command {
                let _: usize =
                    call(&self.env, recs::BINDING, &recs::shard_of(shop, &actor), &command)
                        .await
                        .map_err(failed)?;
                if recorded {
                    storage.delete(&recorded_key).await?;
                } else {
                    storage.put(&recorded_key, true).await?;
                }
            }
        }
        // The buyer and the payment, to the shop's overview figures, when either changed since
        // the overview was last told (it keeps the first time an order was seen paid): most
        // deliveries (fulfilment, a partial refund) change neither.
        let told_key = format!("told:{order}");
        let paid_at = state.order.as_ref().filter(|_| state.kept()).map(|o| o.updated_at);
        let told = (buyer.clone(), paid_at.is_some());
        if storage.get::<(Option<CustomerId>, bool)>(&told_key).await?.as_ref() != Some(&told) {
            let command =
                overview::Command::Order { order: order.to_string(), version, buyer, paid_at };
            let _: bool = call(&self.env, overview::BINDING, &overview::name(shop), &command)
                .await
                .map_err(failed)?;
            storage.put(&told_key, &told).await?;
        }
        // A later delivery replaced the mark if it is not `token` any more: that one stays.
        let mark = format!("{PENDING}{order}");
        if storage.get::<f64>(&mark).await? == Some(token) {
            storage.delete_multiple(vec![mark, format!("{PENDING_WITH}{order}")]).await?;
        }
        Ok(state)
    }
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    /// Reconciles every order a delivery marked and did not get to finish.
    async fn alarm(&self) -> Result<Response> {
        let storage = self.state.storage();
        let marks =
            entries(&storage.list_with_options(worker::ListOptions::new().prefix(PENDING)).await?);
        for (key, token) in marks {
            let token = token.as_f64().unwrap_or_default();
            let Ok(order) = OrderKey::parse(&key[PENDING.len()..]) else {
                storage.delete(&key).await?;
                continue;
            };
            let Some(pending) = storage.get::<Pending>(&format!("{PENDING_WITH}{order}")).await?
            else {
                storage.delete(&key).await?;
                continue;
            };
            let (shop, loyalty, referral) = (&pending.shop, pending.loyalty, pending.referral);
            self.reconcile(shop, &order, loyalty, referral, token, None).await?;
        }
        Response::ok("reconciled")
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let command = super::command::<Command>(&mut req).await?;
        let order = match &command {
            Command::Purge => {
                storage.delete_all().await?;
                return reply(&true);
            }
            Command::FollowUps { shop, settings, now } => {
                return reply(&self.send_follow_ups(shop, settings, *now).await?);
            }
            Command::Funnel => return reply(&self.funnel().await?),
            Command::Opened { order, at } => {
                return reply(&self.follow_link(order, None, *at).await?)
            }
            Command::Reviewed { order, count, at } => {
                return reply(&self.follow_link(order, Some(*count), *at).await?);
            }
            Command::Request { order } => {
                let view = RequestView {
                    pending: storage.get(&format!("{REQUEST}{order}")).await?,
                    outcome: storage.get(&format!("{REQUESTED}{order}")).await?,
                };
                return reply(&view);
            }
            Command::Read { order }
            | Command::Apply { order, .. }
            | Command::Forget { order, .. } => order.clone(),
        };
        let (state_key, awarded_key) = (format!("state:{order}"), format!("awarded:{order}"));
        let version_key = format!("version:{order}");
        let mut state: OrderState = storage.get(&state_key).await?.unwrap_or_default();
        let (mut loyalty, mut referral, mut contact) = (None, None, None);
        let shop = match command {
            // (The others were answered above.)
            Command::Read { .. }
            | Command::Purge
            | Command::FollowUps { .. }
            | Command::Funnel
            | Command::Opened { .. }
            | Command::Reviewed { .. }
            | Command::Request { .. } => return reply(&state),
            Command::Apply {
                shop,
                event,
                loyalty: programme,
                referral: referrals,
                contact: c,
                ..
            } => {
                state.apply(event.into());
                loyalty = programme;
                referral = referrals;
                contact = c;
                shop
            }
            Command::Forget { shop, .. } => {
                state.forget_customer();
                // The customer's ledger is being erased: it is not told, now or later; and no
                // review request goes to them.
                storage.delete(&awarded_key).await?;
                storage.delete(&format!("{REQUEST}{order}")).await?;
                shop
            }
        };
        let version: u64 = storage.get::<u64>(&version_key).await?.unwrap_or(0) + 1;
        // The state, its version and the mark that it is still to be reconciled, with the
        // alarm that reconciles it if this delivery does not get to.
        let token = mark_token().as_f64().unwrap_or_default();
        let pending =
            Pending { shop: shop.clone(), loyalty: loyalty.clone(), referral: referral.clone() };
        let batch = worker::js_sys::Object::new();
        let set = |k: &str, v: worker::wasm_bindgen::JsValue| {
            worker::js_sys::Reflect::set(&batch, &k.into(), &v)
        };
        set(&state_key, serde_wasm_bindgen::to_value(&state)?)?;
        set(&version_key, serde_wasm_bindgen::to_value(&version)?)?;
        set(&format!("{PENDING}{order}"), token.into())?;
        set(&format!("{PENDING_WITH}{order}"), serde_wasm_bindgen::to_value(&pending)?)?;
        let at = worker::js_sys::Date::now() + RECONCILE_ALARM_MS;
        put_with_alarm(&storage, batch, at).await?;
        let state =
            self.reconcile(&shop, &order, loyalty, referral, token, contact.as_deref()).await?;
        if let Some(email) = contact {
            self.keep_request(&order, &state, email).await?;
        }
        reply(&state)
    }
}
