//! The shops with work for the Cron Trigger (a referral programme whose rewards it pays, a
//! catalog whose recommendations it builds, follow-up e-mails it sends), in one object: the scheduled handler has no shop to start from, and KV holds no list of shops
//! (every key starts with its shop's id).

use rapport_shared::ids::ShopId;
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, ListOptions, Request, Response, State};

use super::{entries, reply};

pub const BINDING: &str = "DIRECTORY";
/// The one object's name.
pub const NAME: &str = "scheduled-shops";

/// The work a shop is listed for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Purpose {
    #[default]
    Referrals,
    Recommendations,
    FollowUps,
}

impl Purpose {
    fn prefix(self) -> &'static str {
        match self {
            Purpose::Referrals => "shop:",
            Purpose::Recommendations => "recs:",
            Purpose::FollowUps => "follow:",
        }
    }
}

#[derive(Serialize, Deserialize)]
pub enum Command {
    Add {
        shop: ShopId,
        #[serde(default)]
        purpose: Purpose,
    },
    /// Takes the shop off the list for `purpose`, or off every list without one.
    Remove {
        shop: ShopId,
        #[serde(default)]
        purpose: Option<Purpose>,
    },
    List {
        #[serde(default)]
        purpose: Purpose,
    },
}

/// The shops listed for `purpose`, for the Cron Trigger; `None` (and a log line) when the list
/// cannot be read.
pub async fn shops(env: &Env, purpose: Purpose) -> Option<Vec<ShopId>> {
    match super::call(env, BINDING, NAME, &Command::List { purpose }).await {
        Ok(shops) => Some(shops),
        Err(e) => {
            worker::console_error!("[rapport] the shops listed for {purpose:?}: {e:?}");
            None
        }
    }
}

/// Lists `shop` for `purpose`, or takes it off that list.
pub async fn enlist(
    env: &Env,
    shop: &ShopId,
    purpose: Purpose,
    listed: bool,
) -> Result<(), crate::error::ApiError> {
    let command = match listed {
        true => Command::Add { shop: shop.clone(), purpose },
        false => Command::Remove { shop: shop.clone(), purpose: Some(purpose) },
    };
    super::call::<_, bool>(env, BINDING, NAME, &command).await.map(|_| ())
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
        match super::command::<Command>(&mut req).await? {
            Command::Add { shop, purpose } => {
                storage.put(&format!("{}{shop}", purpose.prefix()), true).await?;
                reply(&true)
            }
            Command::Remove { shop, purpose } => {
                let purposes = match purpose {
                    Some(p) => vec![p],
                    None => {
                        vec![Purpose::Referrals, Purpose::Recommendations, Purpose::FollowUps]
                    }
                };
                let keys = purposes.iter().map(|p| format!("{}{shop}", p.prefix())).collect();
                storage.delete_multiple(keys).await?;
                reply(&true)
            }
            Command::List { purpose } => {
                let prefix = purpose.prefix();
                let listed =
                    entries(&storage.list_with_options(ListOptions::new().prefix(prefix)).await?);
                let shops: Vec<ShopId> = listed
                    .iter()
                    .filter_map(|(key, _)| ShopId::parse(&key[prefix.len()..]).ok())
                    .collect();
                reply(&shops)
            }
        }
    }
}
