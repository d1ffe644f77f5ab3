//! One order, from any number of webhook deliveries in any order.
//!
//! Storage: `state` (the folded [`OrderState`]) and `applied` (the purchase records this order
//! has written to KV). Each delivery is folded into the state and stored, then the records the
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

/// The object's name: one per shop and order.
pub fn name(shop: &ShopId, order: &OrderKey) -> String {
    format!("{shop}/{order}")
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Fold in a delivery.
    Apply { shop: ShopId, order: OrderKey, event: Event },
    /// Read the state (for the admin API and for a refund's currency).
    Read,
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
        let mut state: OrderState = storage.get("state").await?.unwrap_or_default();
        let (shop, order) = match req.json::<Command>().await? {
            Command::Read => return reply(&state),
            Command::Apply { shop, order, event } => {
                state.apply(event.into());
                (shop, order)
            }
            Command::Forget { shop, order } => {
                state.forget_customer();
                (shop, order)
            }
        };
        storage.put("state", &state).await?;

        let wanted = state.purchases();
        let applied: Vec<(CustomerId, Sku)> = storage.get("applied").await?.unwrap_or_default();
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
        storage.put("applied", &wanted).await?;
        reply(&state)
    }
}
