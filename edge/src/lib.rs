//! The Rapport Worker: the shopper API, the admin API and (through Workers static assets) the
//! widget files, all from one deployment.
//!
//! Every handler has the same shape: parse the request, load from KV, call a pure function in
//! `rapport-shared`, store, respond. Errors are [`error::ApiError`]s, turned into JSON responses
//! in one place; anything unexpected becomes an opaque 500 and a log line.

mod cors;
mod error;
mod handlers;
mod http;
mod objects;
pub mod routes;
mod store;

pub use objects::codes::DiscountCodesObject;
pub use objects::directory::DirectoryObject;
pub use objects::eraser::ShopEraserObject;
pub use objects::ledger::LedgerObject;
pub use objects::limiter::LimiterObject;
pub use objects::orders::OrderObject;
pub use objects::overview::OverviewObject;
pub use objects::product_reviews::ProductReviewsObject;
pub use objects::recs::RecommendationsObject;
pub use objects::referrals::ReferralsObject;
use worker::{event, Context, Env, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: worker::web_sys::Request, env: Env, _ctx: Context) -> Result<Response> {
    handlers::handle(req, env).await
}

/// The Cron Trigger: pays the referral rewards whose hold period has ended by the scheduled
/// time.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    handlers::scheduled(&env, (event.schedule() / 1000.0) as i64).await;
}
