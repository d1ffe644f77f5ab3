//! The shop's overview figures, one object per shop (`shared::overview` has the arithmetic).
//!
//! Sources tell it their whole current contribution, with a version: a product's reviews (from
//! the product's flush), a shopper's ledger (after each change), an order's buyer and payment
//! (from its reconciliation). A version no newer than the one stored changes nothing, so a
//! repeated or late message is harmless. Storage: `overview` (the sums), `source:{id}` (each
//! source's version and contribution), `order:{order}` (its buyer and when it was first paid,
//! kept), `buyer:{customer}` (their paid orders). One command is one atomic write.
//!
//! The merchant's page reads the sums with one command: no page view reads the sources.

use std::collections::BTreeMap;

use rapport_shared::ids::{CustomerId, ShopId};
use rapport_shared::overview::{Contribution, Overview};
use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::JsValue;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{durable_object, js_sys, DurableObject, Env, Request, Response, Result, State};

use super::reply;

pub const BINDING: &str = "OVERVIEW";

pub fn name(shop: &ShopId) -> String {
    format!("{shop}/overview")
}

/// The source name of a shopper's ledger.
pub fn ledger_source(customer: &CustomerId) -> String {
    format!("ledger:{customer}")
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// A source's whole contribution as of `version`.
    Source {
        source: String,
        version: u64,
        contribution: Contribution,
    },
    /// An order's buyer, and whether it is paid and kept, as of `version`.
    Order {
        order: String,
        version: u64,
        buyer: Option<CustomerId>,
        paid_at: Option<i64>,
    },
    /// The customer is forgotten: their records go; the weeks' anonymous counts stay.
    Forget {
        customer: CustomerId,
    },
    Read,
    Purge,
}

#[derive(Serialize, Deserialize)]
struct Told {
    version: u64,
    contribution: Contribution,
}

#[derive(Default, Serialize, Deserialize)]
struct OrderRecord {
    version: u64,
    buyer: Option<CustomerId>,
    /// When it was first seen paid and kept; `None` while it is not (or no longer).
    paid_at: Option<i64>,
}

/// A customer's paid and kept orders, with when each was paid.
type Orders = BTreeMap<String, i64>;

#[durable_object]
pub struct OverviewObject {
    state: State,
}

fn js<T: Serialize>(value: &T) -> Result<JsValue> {
    Ok(serde_wasm_bindgen::to_value(value)?)
}

impl OverviewObject {
    async fn get<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>> {
        self.state.storage().get(key).await
    }

    /// Stores every entry in one write.
    async fn put_all(&self, entries: Vec<(String, JsValue)>) -> Result<()> {
        let batch = js_sys::Object::new();
        for (key, value) in entries {
            js_sys::Reflect::set(&batch, &key.into(), &value)?;
        }
        self.state.storage().put_multiple_raw(batch).await
    }

    async fn source(&self, source: String, version: u64, new: Contribution) -> Result<bool> {
        let key = format!("source:{source}");
        let told: Option<Told> = self.get(&key).await?;
        if told.as_ref().is_some_and(|t| t.version >= version) {
            return Ok(false);
        }
        let mut overview: Overview = self.get("overview").await?.unwrap_or_default();
        let old = told.map(|t| t.contribution).unwrap_or_default();
        overview.replace(&old, &new);
        self.put_all(vec![
            ("overview".into(), js(&overview)?),
            (key, js(&Told { version, contribution: new })?),
        ])
        .await?;
        Ok(true)
    }

    async fn order(
        &self,
        order: String,
        version: u64,
        buyer: Option<CustomerId>,
        paid_at: Option<i64>,
    ) -> Result<bool> {
        let key = format!("order:{order}");
        let record: OrderRecord = self.get(&key).await?.unwrap_or_default();
        if record.version >= version {
            return Ok(false);
        }
        // Counted in the week it was first paid, however often it changes after.
        let paid_at = paid_at.map(|at| record.paid_at.map_or(at, |first| first.min(at)));
        let new = OrderRecord { version, buyer: buyer.clone(), paid_at };
        let mut overview: Overview = self.get("overview").await?.unwrap_or_default();
        let mut writes = vec![(key, js(&new)?)];
        let mut buyers: Vec<&CustomerId> = record.buyer.iter().chain(buyer.iter()).collect();
        buyers.dedup();
        for customer in buyers {
            let buyer_key = format!("buyer:{customer}");
            let mut orders: Orders = self.get(&buyer_key).await?.unwrap_or_default();
            let old = Contribution::buyer(orders.values().copied());
            orders.remove(&order);
            if let (Some(at), true) = (paid_at, new.buyer.as_ref() == Some(customer)) {
                orders.insert(order.clone(), at);
            }
            overview.replace(&old, &Contribution::buyer(orders.values().copied()));
            writes.push((buyer_key, js(&orders)?));
        }
        writes.push(("overview".into(), js(&overview)?));
        self.put_all(writes).await?;
        Ok(true)
    }

    async fn forget(&self, customer: &CustomerId) -> Result<bool> {
        let buyer_key = format!("buyer:{customer}");
        let orders: Orders = self.get(&buyer_key).await?.unwrap_or_default();
        let mut writes = Vec::new();
        for order in orders.keys() {
            let key = format!("order:{order}");
            if let Some(mut record) = self.get::<OrderRecord>(&key).await? {
                record.buyer = None;
                writes.push((key, js(&record)?));
            }
        }
        // The order records and the deletions issued together, before either is awaited: the
        // runtime commits them as one write.
        let raw = self.state.storage();
        let raw = raw.as_raw();
        let batch = js_sys::Object::new();
        for (key, value) in writes {
            js_sys::Reflect::set(&batch, &key.into(), &value)?;
        }
        let gone = vec![buyer_key.into(), format!("source:{}", ledger_source(customer)).into()];
        let put = JsFuture::from(raw.put_multiple(batch.into())?);
        let delete = JsFuture::from(raw.delete_multiple(gone)?);
        put.await?;
        delete.await?;
        Ok(true)
    }
}

impl DurableObject for OverviewObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match super::command::<Command>(&mut req).await? {
            Command::Source { source, version, contribution } => {
                reply(&self.source(source, version, contribution).await?)
            }
            Command::Order { order, version, buyer, paid_at } => {
                reply(&self.order(order, version, buyer, paid_at).await?)
            }
            Command::Forget { customer } => reply(&self.forget(&customer).await?),
            Command::Read => reply(&self.get::<Overview>("overview").await?.unwrap_or_default()),
            Command::Purge => {
                self.state.storage().delete_all().await?;
                reply(&true)
            }
        }
    }
}
