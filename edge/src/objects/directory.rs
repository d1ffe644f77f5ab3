//! The shops with work for the Cron Trigger (a referral programme whose rewards it pays), in
//! one object: the scheduled handler has no shop to start from, and KV holds no list of shops
//! (every key starts with its shop's id).

use rapport_shared::ids::ShopId;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ListOptions, Request, Response, State};

use super::{entries, reply};

pub const BINDING: &str = "DIRECTORY";
/// The one object's name.
pub const NAME: &str = "scheduled-shops";

#[derive(Serialize, Deserialize)]
pub enum Command {
    Add { shop: ShopId },
    Remove { shop: ShopId },
    List,
}

#[durable_object(fetch)]
pub struct DirectoryObject {
    state: State,
}

impl DurableObject for DirectoryObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let storage = self.state.storage();
        match req.json::<Command>().await? {
            Command::Add { shop } => {
                storage.put(&format!("shop:{shop}"), true).await?;
                reply(&true)
            }
            Command::Remove { shop } => {
                storage.delete(&format!("shop:{shop}")).await?;
                reply(&true)
            }
            Command::List => {
                let listed =
                    entries(&storage.list_with_options(ListOptions::new().prefix("shop:")).await?);
                let shops: Vec<ShopId> = listed
                    .iter()
                    .filter_map(|(key, _)| ShopId::parse(&key["shop:".len()..]).ok())
                    .collect();
                reply(&shops)
            }
        }
    }
}
