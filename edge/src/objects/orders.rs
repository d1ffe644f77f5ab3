//! Orders, from any number of webhook deliveries in any order.
//!
//! A shop's orders are spread over [`SHARDS`] objects by a hash of the order key, so a shop with
//! years of history has a bounded number of objects, and deliveries of one order always meet in
//! the same one. Storage per order: `state:{order}` (the folded [`OrderState`]) and
//! `applied:{order}` (the purchase records it has written to KV). Each delivery is folded into the state and stored, then the records the
//! state calls for are reconciled with those applied: written or removed. Every step is
//! idempotent, so a delivery repeated, concurrent or retried after a failure changes what
//! depends on the order exactly once.

use rapport_shared::ids::{CustomerId, OrderKey, ShopId, Sku};
use rapport_shared::orders::{OrderEvent, OrderState};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::reply;
use crate::store::Store;

pub const BINDING: &str = "ORDERS";

/// Objects per shop that share its orders.
pub const SHARDS: u64 = 32;

/// The name of the object that holds `order`.
pub fn name(shop: &ShopId, order: &OrderKey) -> String {
    // FNV-1a: stable across deployments, unlike the standard library's randomised hasher.
    let hash = order
        .as_str()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("{shop}/orders/{}", hash % SHARDS)
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Fold in a delivery.
    Apply { shop: ShopId, order: OrderKey, event: Event },
    /// Read an order's state (for the admin API and for a refund's currency).
    Read { order: OrderKey },
    /// The customer asked to be forgotten.
    Forget { shop: ShopId, order: OrderKey },
}

/// [`OrderEvent`] as it crosses to the object.
#[derive(Serialize, Deserialize)]
pub enum Event {
    Order(rapport_shared::orders::Order),
    Refund { refund_id: String, amount_minor: i64 },
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
            Command::Read { order }
            | Command::Apply { order, .. }
            | Command::Forget { order, .. } => order.clone(),
        };
        let (state_key, applied_key) = (format!("state:{order}"), format!("applied:{order}"));
        let mut state: OrderState = storage.get(&state_key).await?.unwrap_or_default();
        let shop = match command {
            Command::Read { .. } => return reply(&state),
            Command::Apply { shop, event, .. } => {
                state.apply(event.into());
                shop
            }
            Command::Forget { shop, .. } => {
                state.forget_customer();
                shop
            }
        };
        storage.put(&state_key, &state).await?;

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
        reply(&state)
    }
}
