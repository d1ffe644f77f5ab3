//! Request dispatch and the handlers, one module per area.

mod admin;
mod customers;
pub mod follow_ups;
mod import;
mod loyalty;
mod merchant;
mod recs;
mod referrals;
mod reviews;
mod shopper;
mod views;
mod webhooks;

use worker::{Env, Request, Response};

use crate::cors;
use crate::error::ApiError;
use crate::http::{json, path_of};
use crate::routes::{route, Route};
use crate::store::Store;

/// Answers any request that reaches the Worker: errors become JSON responses. Only a failure
/// to build a response at all escapes, and the runtime turns that into a 500.
///
/// The public reads of a product's reviews, the requests every shopper's page makes, take the
/// runtime's request as it is; every other route gets the framework's [`Request`], whose
/// making reads the request's `cf` properties, a cost those reads do not need (see
/// ARCHITECTURE.md, "Hot paths").
pub async fn handle(raw: worker::web_sys::Request, env: Env) -> worker::Result<Response> {
    crate::http::intern_constants();
    let url = raw.url();
    let routed = route(&worker::Method::from(raw.method()), path_of(&url));
    let answer = match routed {
        Ok(Route::ProductReviews { shop, sku }) => {
            reviews::product_reviews(&raw, &env, &shop, &sku).await
        }
        Ok(Route::ProductReviewsHtml { shop, sku }) => {
            reviews::product_reviews_html(&raw, &env, &shop, &sku).await
        }
        Ok(route) => dispatch(route, Request::from(raw), env).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(resp) => Ok(resp),
        // Error bodies hold no shopper data, so any page may read them (the widgets branch on
        // their codes), except the refusal of an origin, which that origin must not read.
        Err(e @ ApiError::OriginNotAllowed) => e.into_response(),
        Err(e) => cors::public(e.into_response()?),
    }
}

async fn dispatch(route: Route, req: Request, env: Env) -> Result<Response, ApiError> {
    match route {
        Route::Health => Ok(json(&serde_json::json!({ "ok": true }), 200)?),
        Route::MerchantHome => merchant::home(&req, &env).await,
        Route::MerchantSignIn => merchant::sign_in(req, &env).await,
        Route::MerchantSignOut { shop } => merchant::sign_out(req, &env, &shop).await,
        Route::MerchantOverview { shop } => merchant::overview(&req, &env, &shop).await,
        Route::MerchantLoyalty { shop } => merchant::loyalty(&req, &env, &shop).await,
        Route::MerchantSaveProgramme { shop } => merchant::save_programme(req, &env, &shop).await,
        Route::MerchantAdjust { shop } => merchant::adjust(req, &env, &shop).await,
        Route::MerchantCustomerData { shop } => merchant::customer_data(&req, &env, &shop).await,
        Route::MerchantEraseCustomer { shop } => merchant::erase_customer(req, &env, &shop).await,
        Route::MerchantEraseShop { shop } => merchant::erase_shop(req, &env, &shop).await,
        Route::MerchantImport { shop } => merchant::import(req, &env, &shop).await,
        Route::MerchantReviews { shop } => merchant::reviews(&req, &env, &shop).await,
        Route::MerchantBulk { shop } => merchant::bulk(req, &env, &shop).await,
        Route::MerchantReply { shop } => merchant::reply(req, &env, &shop).await,
        Route::MerchantExport { shop, csv } => merchant::export(&req, &env, &shop, csv).await,
        Route::MerchantShop { shop } => merchant::shop(&req, &env, &shop).await,
        Route::MerchantSaveShop { shop } => merchant::save_shop(req, &env, &shop).await,
        Route::MerchantFollowUps { shop } => merchant::follow_ups(&req, &env, &shop).await,
        Route::MerchantSaveFollowUps { shop } => merchant::save_follow_ups(req, &env, &shop).await,
        Route::MerchantPreview { shop } => merchant::preview(&req, &env, &shop).await,
        Route::Preflight { shop } => preflight(&req, &Store::open(&env)?, &shop).await,
        Route::SubmitReview { shop, sku } => reviews::submit(req, &env, &shop, &sku).await,
        Route::Helpful { shop, sku, review } => {
            reviews::helpful(req, &env, &shop, &sku, &review).await
        }
        // Answered in `handle`, before the framework's request is made.
        Route::ProductReviews { .. } | Route::ProductReviewsHtml { .. } => {
            Err(ApiError::Internal("a public read reached `dispatch`".into()))
        }
        Route::ProductJsonLd { shop, sku } => reviews::json_ld(&env, &shop, &sku).await,
        Route::Ratings { shop } => reviews::ratings(&req, &env, &shop).await,
        Route::Strings { shop } => reviews::strings(&req, &env, &shop).await,
        Route::ReviewRequestPage { shop, token } => {
            let answer = follow_ups::review_page(&req, &env, &shop, &token).await;
            follow_ups::for_people(&env, &shop, follow_ups::wants_html(&req), answer).await
        }
        Route::ReviewRequestReviews { shop, token } => {
            let html = follow_ups::wants_html(&req);
            let answer = follow_ups::review_page_submit(req, &env, &shop, &token).await;
            follow_ups::for_people(&env, &shop, html, answer).await
        }
        Route::UnsubscribePage { shop, token } => {
            let answer = follow_ups::unsubscribe_page(&env, &shop, &token).await;
            follow_ups::for_people(&env, &shop, follow_ups::wants_html(&req), answer).await
        }
        Route::Unsubscribe { shop, token } => {
            let html = follow_ups::wants_html(&req);
            let answer = follow_ups::unsubscribe(req, &env, &shop, &token).await;
            follow_ups::for_people(&env, &shop, html, answer).await
        }
        Route::Me { shop } => shopper::me(&req, &env, &shop).await,
        Route::MyPurchases { shop } => recs::purchases(&req, &env, &shop).await,
        Route::Loyalty { shop } => loyalty::view(&req, &env, &shop).await,
        Route::LoyaltyHtml { shop } => loyalty::view_html(&req, &env, &shop).await,
        Route::Redeem { shop } => loyalty::redeem(req, &env, &shop).await,
        Route::Birthday { shop } => loyalty::birthday(req, &env, &shop).await,
        Route::Recommendations { shop, kind } => recs::list(&req, &env, &shop, &kind).await,
        Route::Events { shop } => recs::events(req, &env, &shop).await,
        Route::AdminRecommendations { shop } => recs::rules(&req, &env, &shop).await,
        Route::AdminSetRecommendations { shop } => recs::set_rules(req, &env, &shop).await,
        Route::AdminBuildRecommendations { shop } => recs::build_now(&req, &env, &shop).await,
        Route::Referrals { shop } => referrals::view(&req, &env, &shop).await,
        Route::ReferralsHtml { shop } => referrals::view_html(&req, &env, &shop).await,
        Route::ReferralPreferences { shop } => referrals::preferences(req, &env, &shop).await,
        Route::ReferralShare { shop } => referrals::share(req, &env, &shop).await,
        Route::ReferralInvitation { shop, code } => referrals::invitation(&env, &shop, &code).await,
        Route::ReferralClaim { shop } => referrals::claim(req, &env, &shop).await,
        Route::ReferralLink { shop, code } => referrals::link(&req, &env, &shop, &code).await,
        Route::AdminReferrals { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            referrals::list(&req, &env, &shop).await
        }
        Route::AdminDecideReferral { shop, id } => {
            admin::require_admin(&req, &env, &shop)?;
            referrals::decide(req, &env, &shop, &id).await
        }
        Route::AdminReferralStats { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            referrals::stats(&req, &env, &shop).await
        }
        Route::AdminCode { shop, code } => {
            admin::require_admin(&req, &env, &shop)?;
            loyalty::code(&env, &shop, &code).await
        }
        Route::ConsumeCode { shop, code } => {
            admin::require_admin(&req, &env, &shop)?;
            loyalty::consume(req, &env, &shop, &code).await
        }
        Route::AdminLedger { shop, customer } => {
            admin::require_admin(&req, &env, &shop)?;
            loyalty::customer_ledger(&env, &shop, &customer).await
        }
        Route::AdminAdjust { shop, customer } => {
            admin::require_admin(&req, &env, &shop)?;
            loyalty::adjust(req, &env, &shop, &customer).await
        }
        Route::AdminShopSettings { shop } => admin::get_shop(&req, &env, &shop).await,
        Route::AdminShop { shop } => admin::put_shop(req, &env, &shop).await,
        Route::AdminEraseShop { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            Ok(json(&admin::erase_shop(&env, &shop).await?, 202)?)
        }
        Route::AdminErasure { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            admin::erasure(&env, &shop).await
        }
        Route::AdminProducts { shop } => admin::put_products(req, &env, &shop).await,
        Route::AdminReviews { shop } => admin::list_reviews(req, &env, &shop).await,
        Route::AdminImportReviews { shop } => admin::import_reviews(req, &env, &shop).await,
        Route::AdminReview { shop, sku, review } => {
            admin::update_review(req, &env, &shop, &sku, &review).await
        }
        Route::AdminPurchases { shop } => admin::put_purchases(req, &env, &shop).await,
        Route::AdminOrder { shop, order } => {
            admin::require_admin(&req, &env, &shop)?;
            webhooks::read_order(&env, &shop, &order).await
        }
        Route::AdminReviewRequest { shop, order } => {
            admin::require_admin(&req, &env, &shop)?;
            Ok(json(&follow_ups::preview(&env, &shop, &order).await?, 200)?)
        }
        Route::AdminFollowUps { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            Ok(json(&follow_ups::report(&env, &shop).await?, 200)?)
        }
        Route::ShopifyWebhook { shop } => {
            let topic = req.headers().get("x-shopify-topic").ok().flatten();
            let result = webhooks::shopify(req, &env, &shop).await;
            webhooks::recorded(&env, &shop, "shopify", topic, result).await
        }
        Route::WooCommerceWebhook { shop } => {
            let topic = req.headers().get("x-wc-webhook-topic").ok().flatten();
            let result = webhooks::woocommerce(req, &env, &shop).await;
            webhooks::recorded(&env, &shop, "woocommerce", topic, result).await
        }
        Route::GenericWebhook { shop } => {
            let result = webhooks::generic(req, &env, &shop).await;
            webhooks::recorded(&env, &shop, "generic", None, result).await
        }
        Route::AdminCustomer { shop, customer } => {
            admin::require_admin(&req, &env, &shop)?;
            let email = crate::http::query(&req)?.get("email").cloned();
            customers::export(&env, &shop, &customer, email.as_deref()).await
        }
        Route::AdminForgetCustomer { shop, customer } => {
            admin::require_admin(&req, &env, &shop)?;
            customers::erase(&env, &shop, &customer).await
        }
        Route::ImportProgress { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            import::progress(&req, &env, &shop).await
        }
        Route::ImportPart { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            import::part(req, &env, &shop).await
        }
        Route::AdminOverview { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            merchant::overview_json(&req, &env, &shop).await
        }
        Route::AdminWebhookFailures { shop } => {
            admin::require_admin(&req, &env, &shop)?;
            webhooks::failures(&env, &shop).await
        }
    }
}

/// The Cron Trigger's work at `now` (Unix seconds of the scheduled time).
pub async fn scheduled(env: &Env, now: i64) {
    referrals::payout(env, now).await;
    follow_ups::send_due(env, now).await;
    recs::build_all(env, now).await;
}

async fn preflight(
    req: &Request,
    store: &Store,
    shop: &rapport_shared::ids::ShopId,
) -> Result<Response, ApiError> {
    let settings = store.existing_shop(shop).await?;
    match cors::check(req, &settings)? {
        Some(origin) => Ok(cors::preflight(origin)?),
        None => Err(ApiError::bad_request("not_a_preflight", "a preflight needs an Origin")),
    }
}
