//! Issued discount codes, as the merchant's checkout verifies and consumes them.
//!
//! A shop's codes are spread over [`SHARDS`] objects by a hash of the code, so the checkout
//! finds a code without knowing whose it is, and a code's consumption is serialised in one
//! place: two checkouts racing with the same code get one acceptance. Storage: `code:{code}`
//! holds the [`CodeRecord`]. Records carry no customer: erasing a shopper leaves nothing here.

use rapport_shared::ids::ShopId;
use rapport_shared::loyalty::{CodeRecord, Consumption};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{refuse, reply};

pub const BINDING: &str = "DISCOUNT_CODES";

/// Objects per shop that share its codes.
pub const SHARDS: u64 = 16;

/// The name of the object that holds `code`.
pub fn name(shop: &ShopId, code: &str) -> String {
    shard_name(shop, super::shard(code, SHARDS))
}

/// The name of the shop's `index`-th code object.
pub fn shard_name(shop: &ShopId, index: u64) -> String {
    format!("{shop}/codes/{index}")
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    /// Records an issued code; repeating it changes nothing.
    Register {
        record: CodeRecord,
    },
    Read {
        code: String,
    },
    /// Marks the code used, once.
    Consume {
        code: String,
        order: Option<String>,
        now: i64,
    },
    /// The shop is being erased: every code in this object goes.
    Purge,
}

#[durable_object(fetch)]
pub struct DiscountCodesObject {
    state: State,
}

impl DurableObject for DiscountCodesObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let storage = self.state.storage();
        let command: Command = super::command(&mut req).await?;
        let code = match &command {
            Command::Purge => {
                storage.delete_all().await?;
                return reply(&true);
            }
            Command::Register { record } => record.code.clone(),
            Command::Read { code } | Command::Consume { code, .. } => code.clone(),
        };
        let key = format!("code:{code}");
        let stored: Option<CodeRecord> = storage.get(&key).await?;
        match (command, stored) {
            (Command::Register { record }, None) => {
                storage.put(&key, &record).await?;
                reply(&record)
            }
            (Command::Register { record }, Some(existing)) => {
                if existing.discount == record.discount && existing.reward == record.reward {
                    reply(&existing)
                } else {
                    refuse(409, "code_collision", "a different code with this value exists")
                }
            }
            (Command::Purge, _) => reply(&true),
            (_, None) => refuse(404, "code_not_found", "no discount code with this value"),
            (Command::Read { .. }, Some(record)) => reply(&record),
            (Command::Consume { .. }, Some(CodeRecord { consumed: Some(used), .. })) => {
                let when = rapport_shared::time::iso_date(used.at);
                refuse(409, "code_already_used", format!("this code was used on {when}"))
            }
            (Command::Consume { order, now, .. }, Some(mut record)) => {
                record.consumed = Some(Consumption { at: now, order });
                storage.put(&key, &record).await?;
                reply(&record)
            }
        }
    }
}
