//! A sliding-window rate limiter per shop and subject (a shopper or a hashed network address).
//! The log of admitted times lives in the object's storage; the object serialises the checks.

use rapport_shared::ratelimit::{admit, RateLimit};
use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::{refuse, reply};

pub const BINDING: &str = "LIMITER";

#[derive(Serialize, Deserialize)]
pub struct Hit {
    pub limit: RateLimit,
    /// Unix seconds.
    pub now: i64,
}

#[durable_object(fetch)]
pub struct LimiterObject {
    state: State,
}

impl DurableObject for LimiterObject {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let hit: Hit = super::command(&mut req).await?;
        let storage = self.state.storage();
        let log: Vec<i64> = storage.get("log").await?.unwrap_or_default();
        match admit(&log, hit.now, hit.limit) {
            Ok(log) => {
                storage.put("log", log).await?;
                reply(&true)
            }
            // The message carries the seconds to wait; the Worker turns it into Retry-After.
            Err(retry) => refuse(429, "rate_limited", retry.0.to_string()),
        }
    }
}
