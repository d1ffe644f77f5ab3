//! Orders, from any number of webhook deliveries in any order.
//!
//! A shop's orders are spread over [`SHARDS`] objects by a hash of the order key, so a shop with
//! years of history has a bounded number of objects, and deliveries of one order always meet in
//! the same one. Storage per order: `state:{order}` (the folded [`OrderState`]),
//! `version:{order}` (how many times it was folded), `applied:{order}` (the purchase records it
//! has written to KV) and `awarded:{order}` (the customer whose loyalty ledger it last told).
//! Each delivery is folded into the state and stored with its version, then the records the
//! state calls for are reconciled with those applied (written or removed), and the customer's
//! ledger is told the state's net amount with its version: the ledger applies only the
//! difference, and ignores a version older than one it has seen. Every step is idempotent, so a
//! delivery repeated, concurrent or retried after a failure changes what depends on the order
//! exactly once.

use rapport_shared::ids::{CustomerId, OrderKey, RefundId, ShopId, Sku};
use rapport_shared::orders::{OrderEvent, OrderState};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{call, ledger, reply};
use crate::http::now;
use crate::store::Store;
use rapport_shared::catalog::Currency;
use rapport_shared::loyalty::{Account, LoyaltyRules, Presence};

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
    },
    /// Read an order's state (for the admin API and for a refund's currency).
    Read { order: OrderKey },
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

#[durable_object(fetch)]
pub struct OrderObject {
    state: State,
    env: Env,
}

impl DurableObject for OrderObject {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let command = req.json::<Command>().await?;
        let order = match &command {
            Command::Purge => {
                storage.delete_all().await?;
                return reply(&true);
            }
            Command::Read { order }
            | Command::Apply { order, .. }
            | Command::Forget { order, .. } => order.clone(),
        };
        let (state_key, applied_key) = (format!("state:{order}"), format!("applied:{order}"));
        let (version_key, awarded_key) = (format!("version:{order}"), format!("awarded:{order}"));
        let mut state: OrderState = storage.get(&state_key).await?.unwrap_or_default();
        let mut loyalty = None;
        let shop = match command {
            Command::Read { .. } | Command::Purge => return reply(&state),
            Command::Apply { shop, event, loyalty: programme, .. } => {
                state.apply(event.into());
                loyalty = programme;
                shop
            }
            Command::Forget { shop, .. } => {
                state.forget_customer();
                // The customer's ledger is being erased: it is not told, now or later.
                storage.delete(&awarded_key).await?;
                shop
            }
        };
        let version: u64 = storage.get::<u64>(&version_key).await?.unwrap_or(0) + 1;
        storage.put(&state_key, &state).await?;
        storage.put(&version_key, version).await?;

        let wanted = state.purchases();
        let applied: Vec<(CustomerId, Sku)> = storage.get(&applied_key).await?.unwrap_or_default();
        let store =
            Store::open(&self.env).map_err(|e| worker::Error::RustError(format!("{e:?}")))?;
        let failed = |e| worker::Error::RustError(format!("{e:?}"));
        for (customer, sku) in wanted.iter().filter(|p| !applied.contains(p)) {
            store.put_purchase(&shop, customer, sku, &order).await.map_err(failed)?;
        }
        for (customer, sku) in applied.iter().filter(|p| !wanted.contains(p)) {
            store.delete_purchase(&shop, customer, sku, &order).await.map_err(failed)?;
        }
        if let Some(customer) = state.order.as_ref().and_then(|o| o.customer.as_ref()) {
            store.index_customer_order(&shop, customer, &order).await.map_err(failed)?;
        }
        storage.put(&applied_key, &wanted).await?;

        let buyer = state.order.as_ref().and_then(|o| o.customer.clone());
        let awarded: Option<CustomerId> = storage.get(&awarded_key).await?;
        if let Some(Loyalty { rules, currency: shop_currency }) = loyalty {
            let currency =
                state.order.as_ref().map_or(shop_currency.clone(), |o| o.currency.clone());
            let tell = |customer: CustomerId, net_minor: i64| ledger::Command::Act {
                ctx: ledger::Context {
                    shop: shop.clone(),
                    customer,
                    rules: rules.clone(),
                    currency: shop_currency.clone(),
                    now: now(),
                    // A delivery is not the shopper signing in.
                    presence: Presence::Absent,
                },
                act: ledger::Act::Order {
                    source: format!("order:{order}"),
                    version,
                    net_minor,
                    currency: currency.clone(),
                },
            };
            // The order changed hands (a guest order claimed, a correction): take it back first.
            if let Some(previous) = awarded.filter(|a| Some(a) != buyer.as_ref()) {
                let name = ledger::name(&shop, &previous);
                let _: Account = call(&self.env, ledger::BINDING, &name, &tell(previous, 0))
                    .await
                    .map_err(failed)?;
            }
            if let Some(customer) = &buyer {
                let name = ledger::name(&shop, customer);
                let command = tell(customer.clone(), state.net_spent_minor());
                let _: Account =
                    call(&self.env, ledger::BINDING, &name, &command).await.map_err(failed)?;
                storage.put(&awarded_key, customer).await?;
            }
        }
        reply(&state)
    }
}
