//! Endpoints that act for the signed-in shopper. Each verifies the shopper token against the
//! shop's secret on every request, and answers only the shop's own storefront origins.

use rapport_shared::identity::{verify_shopper_token, Shopper};
use rapport_shared::ids::ShopId;
use rapport_shared::secrets::{token_secret_binding, TokenSecret};
use worker::{Env, Request, Response};

use crate::cors;
use crate::error::ApiError;
use crate::http::{bearer, json, now};
use crate::store::Store;

/// A programme is the same for every shopper; caches may keep a signed-out view briefly.
const PROGRAMME_CACHE_SECONDS: u32 = 60;

/// A shopper's own answer: never cached, and readable only by the shop's storefront origin.
pub fn private(mut resp: Response, origin: Option<String>) -> Result<Response, ApiError> {
    resp.headers_mut().set("cache-control", "private, no-store")?;
    Ok(cors::allow(resp, origin)?)
}

/// A widget's view (JSON or rendered): signed out, public and cacheable; signed in, private.
pub fn view_answer(
    mut resp: Response,
    origin: Option<String>,
    signed_in: bool,
) -> Result<Response, ApiError> {
    if signed_in {
        return private(resp, origin);
    }
    let headers = resp.headers_mut();
    headers.set("cache-control", &format!("public, max-age={PROGRAMME_CACHE_SECONDS}"))?;
    // The same URL with a token is the shopper's own view: a cache must not answer it with
    // this signed-out one.
    headers.set("vary", "Authorization")?;
    Ok(cors::public(resp)?)
}

/// Verifies the request's shopper token for `shop`.
pub fn authenticate(req: &Request, env: &Env, shop: &ShopId) -> Result<Shopper, ApiError> {
    let token = bearer(req).ok_or_else(|| ApiError::Unauthorized {
        code: "token_missing",
        message: "send the shopper token as `Authorization: Bearer <token>`".into(),
    })?;
    Ok(verify_shopper_token(&token, &token_secret(env, shop)?, shop, now())?)
}

/// The shop's shopper-token secret; a missing or weak one is our fault (500), never the caller's.
pub fn token_secret(env: &Env, shop: &ShopId) -> Result<TokenSecret, ApiError> {
    let binding = token_secret_binding(shop);
    let raw = env
        .secret(&binding)
        .map_err(|_| ApiError::Internal(format!("secret {binding} is not set")))?
        .to_string();
    TokenSecret::parse(&raw)
        .map_err(|_| ApiError::Internal(format!("secret {binding} is too short")))
}

/// `GET /v1/shops/{shop}/me`: who the token says the shopper is.
pub async fn me(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let origin = cors::check(req, &settings)?;
    let shopper = authenticate(req, env, shop)?;
    private(json(&shopper, 200)?, origin)
}
