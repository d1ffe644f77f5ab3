//! Recommendations: the public lists (one KV read), the consented view beacons, the merchant's
//! rules and builds, and the feeds from the catalog and the orders.

use futures_util::future::join_all;
use rapport_shared::catalog::{bounded_text, Product};
use rapport_shared::ids::{ShopId, Sku};
use rapport_shared::keys;
use rapport_shared::recs::lists::{self, Event, Kind, RecList, Rules};
use rapport_widgets::recommendations::heading_key;
use serde::Deserialize;
use worker::{console_error, Env, Request, Response};

use super::admin::require_admin;
use super::shopper::{authenticate, private, view_answer};
use super::views;
use crate::cors;
use crate::error::ApiError;
use crate::http::{bearer, json, now, query, read_json, read_text};
use crate::objects::recs::{self, BuildReport, Command};
use crate::objects::{call, directory};
use crate::store::Store;

/// Lists change when the hourly build runs: a browser or cache may keep one this long.
const CACHE_SECONDS: u32 = 300;
/// Views per beacon: the loader sends a page's views in one batch, a handful at most.
pub const MAX_VIEWS: usize = 20;
/// A beacon's body.
const BEACON_LIMIT: usize = 4 * 1024;

fn cacheable(mut resp: Response) -> Result<Response, ApiError> {
    resp.headers_mut().set("cache-control", &format!("public, max-age={CACHE_SECONDS}"))?;
    Ok(cors::public(resp)?)
}

fn stored_json(text: String) -> Result<Response, ApiError> {
    let mut resp = Response::ok(text)?;
    resp.headers_mut().set("content-type", "application/json; charset=utf-8")?;
    resp.headers_mut().set("x-content-type-options", "nosniff")?;
    Ok(resp)
}

async fn hub<T: serde::de::DeserializeOwned>(
    env: &Env,
    shop: &ShopId,
    command: &Command,
) -> Result<T, ApiError> {
    call(env, recs::BINDING, &recs::hub(shop), command).await
}

/// `GET /v1/shops/{shop}/recommendations/{kind}[?product=SKU]`: the stored list, as it is
/// stored (one KV read); `{kind}.html[?heading=&locale=&css=none]`: the widget drawn from it. A product the build has not reached yet gets the shop's trending list,
/// which holds every available product; a shop whose lists were never built, a 404.
pub async fn list(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    kind: &str,
) -> Result<Response, ApiError> {
    let (kind, html) = match kind.strip_suffix(".html") {
        Some(kind) => (kind, true),
        None => (kind, false),
    };
    // Parsed before any read, so a bad query costs nothing.
    let rendered = if html {
        let view = views::ViewQuery::parse(req)?;
        let params = query(req)?;
        let heading = match params.get("heading") {
            Some(h) => bounded_text("heading", h, 1, 80)?,
            None => String::new(),
        };
        Some((view, heading))
    } else {
        None
    };
    let kind = Kind::parse(kind).ok_or_else(|| {
        ApiError::bad_request(
            "invalid_kind",
            format!("`{kind}` is not a kind: bought-together, similar or trending"),
        )
    })?;
    if let (Kind::ForYou, Some((view, heading))) = (kind, &rendered) {
        return for_you(req, env, shop, view, heading.clone()).await;
    }
    if !kind.stored() {
        return Err(ApiError::bad_request(
            "invalid_kind",
            format!(
                "`{}` is assembled in the browser from the `similar` lists of the shopper's own \
                 products, which never leave the device (`for-you.html` draws it from the page's \
                 product alone)",
                kind.as_str()
            ),
        ));
    }
    let params = query(req)?;
    let product = match (kind.per_product(), params.get("product")) {
        (true, Some(p)) => Some(Sku::parse(p).map_err(|e| ApiError::invalid_id("product SKU", e))?),
        (true, None) => {
            return Err(ApiError::bad_request(
                "invalid_field",
                format!("`product` is required for {}", kind.as_str()),
            ))
        }
        (false, _) => None,
    };
    let store = Store::open(env)?;
    let name = match &product {
        Some(sku) => format!("{}/{sku}", kind.as_str()),
        None => kind.as_str().to_owned(),
    };
    let key = keys::recommendations(shop, &name);
    match rendered {
        None => {
            let text = match store.get_text(&key).await? {
                Some(text) => text,
                None => fallback(&store, shop, product.as_ref()).await?,
            };
            cacheable(stored_json(text)?)
        }
        Some((view, heading)) => {
            // The list and the shop's words, read together.
            let (text, settings) =
                futures_util::future::join(store.get_text(&key), store.settings(shop)).await;
            let text = match text? {
                Some(text) => text,
                None => fallback(&store, shop, product.as_ref()).await?,
            };
            let settings = settings?;
            let list: RecList = serde_json::from_str(&text)
                .map_err(|e| ApiError::Internal(format!("stored list {name}: {e}")))?;
            let strings = views::strings(&view, "recs", settings.as_ref());
            let heading = if heading.is_empty() {
                strings.get(heading_key(kind)).to_owned()
            } else {
                heading
            };
            let cards = list.items.into_iter().map(|s| s.card).collect();
            let html =
                views::recommendations(req, &view, shop, heading, list.kind, cards, strings)?;
            cacheable(views::html(html)?)
        }
    }
}

/// `GET /v1/shops/{shop}/recommendations/for-you.html[?product=SKU]`: "for you" while this
/// browser knows nothing beyond the page's own product (a first visit, or no consent to keep a
/// history), drawn here from that product's `similar` list and, with the shopper's token, from
/// what they bought: the same call (`lists::own_list`) the module makes in the browser once
/// there is a history, which never leaves the device. Nothing to draw from: the shop's trending
/// list. Signed out it depends on the product alone and is cached like the lists; signed in it
/// is private.
async fn for_you(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    view: &views::ViewQuery,
    heading: String,
) -> Result<Response, ApiError> {
    let params = query(req)?;
    let product = match params.get("product") {
        Some(p) => Some(Sku::parse(p).map_err(|e| ApiError::invalid_id("product SKU", e))?),
        None => None,
    };
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    let signed_in = bearer(req).is_some();
    let (bought, origin) = if signed_in {
        let origin = cors::check(req, &settings)?;
        let shopper = authenticate(req, env, shop)?;
        let actor = recs::buyer(Some(shopper.customer.as_str()), "");
        let command = Command::Purchases { actor: actor.clone() };
        let bought: Vec<Sku> =
            call(env, recs::BINDING, &recs::shard_of(shop, &actor), &command).await?;
        (bought, origin)
    } else {
        (Vec::new(), None)
    };
    let recent = lists::recent(&bought, product.as_slice());
    let keys: Vec<String> =
        recent.iter().map(|sku| keys::recommendations(shop, &format!("similar/{sku}"))).collect();
    let texts = join_all(keys.iter().map(|key| store.get_text(key))).await;
    let mut own = Vec::with_capacity(recent.len());
    for (sku, text) in recent.into_iter().zip(texts) {
        let list = text?.and_then(|t| serde_json::from_str::<RecList>(&t).ok());
        own.push((sku, list.filter(|l| l.kind == Kind::Similar)));
    }
    let current = product.as_ref().map(Sku::as_str);
    let mut cards = lists::own_list(Kind::ForYou, &own, &bought, current);
    if cards.is_empty() {
        let trending = fallback(&store, shop, None).await?;
        let trending: RecList = serde_json::from_str(&trending)
            .map_err(|e| ApiError::Internal(format!("stored list trending: {e}")))?;
        cards = lists::trending_cards(trending, current);
    }
    let strings = views::strings(view, "recs", Some(&settings));
    let heading = if heading.is_empty() {
        strings.get(heading_key(Kind::ForYou)).to_owned()
    } else {
        heading
    };
    let html = views::recommendations(req, view, shop, heading, Kind::ForYou, cards, strings)?;
    view_answer(views::html(html)?, origin, signed_in)
}

/// A list the build has not written: the shop's trending list (every available product) for a
/// product it has not reached yet; a 404 for an unknown product or a shop never built.
async fn fallback(store: &Store, shop: &ShopId, product: Option<&Sku>) -> Result<String, ApiError> {
    if let Some(sku) = product {
        if store.product(shop, sku).await?.is_none() {
            store.existing_shop(shop).await?;
            return Err(ApiError::not_found("product_not_found", "no product with this SKU"));
        }
    }
    match store.get_text(&keys::recommendations(shop, "trending")).await? {
        Some(text) => Ok(text),
        None => {
            store.existing_shop(shop).await?;
            Err(ApiError::not_found(
                "no_recommendations",
                "this shop has no catalog to recommend from yet",
            ))
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Beacon {
    session: String,
    /// The products viewed, oldest first.
    views: Vec<String>,
}

/// `POST /v1/shops/{shop}/events`: product views from a browser whose page gave consent
/// (`navigator.sendBeacon`, so the body is JSON sent as `text/plain`). The session is a random
/// id the browser keeps for the tab (sessionStorage): no cookie, no customer id. Every product
/// must be in this shop's catalog; a batch with any other is refused whole.
pub async fn events(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let text = read_text(&mut req, BEACON_LIMIT).await?;
    let beacon: Beacon = serde_json::from_str(&text).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid: {e}"))
    })?;
    let session_ok = (16..=64).contains(&beacon.session.len())
        && beacon.session.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !session_ok {
        return Err(ApiError::bad_request(
            "invalid_field",
            "`session` must be 16 to 64 letters, digits, - or _",
        ));
    }
    if beacon.views.is_empty() || beacon.views.len() > MAX_VIEWS {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("`views` lists 1 to {MAX_VIEWS} products"),
        ));
    }
    let skus = beacon
        .views
        .iter()
        .map(|v| Sku::parse(v).map_err(|e| ApiError::invalid_id("product SKU", e)))
        .collect::<Result<Vec<Sku>, _>>()?;
    let store = Store::open(env)?;
    let mut distinct = skus.clone();
    distinct.sort();
    distinct.dedup();
    let found = join_all(distinct.iter().map(|sku| store.product(shop, sku))).await;
    for (sku, found) in distinct.iter().zip(found) {
        if found?.is_none() {
            store.existing_shop(shop).await?;
            return Err(ApiError::not_found(
                "product_not_found",
                format!("no product with the SKU `{sku}` in this shop"),
            ));
        }
    }
    let at = now();
    let events = skus.into_iter().map(|sku| Event { sku, at, order: None }).collect();
    let actor = format!("s:{}", beacon.session);
    let command = Command::Record { actor: actor.clone(), events };
    let _: usize = call(env, recs::BINDING, &recs::shard_of(shop, &actor), &command).await?;
    Ok(cors::public(Response::empty()?.with_status(204))?)
}

/// `GET /v1/admin/shops/{shop}/recommendations`: the pins and exclusions.
pub async fn rules(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(req, env, shop)?;
    Store::open(env)?.existing_shop(shop).await?;
    let rules: Rules = hub(env, shop, &Command::GetRules).await?;
    Ok(json(&rules, 200)?)
}

/// `PUT /v1/admin/shops/{shop}/recommendations`: replaces the pins and exclusions (applied by
/// the next build).
pub async fn set_rules(mut req: Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(&req, env, shop)?;
    let rules = read_json::<Rules>(&mut req, 256 * 1024).await?;
    let rules = rules.validate().map_err(ApiError::from)?;
    Store::open(env)?.existing_shop(shop).await?;
    let rules: Rules = hub(env, shop, &Command::SetRules { rules }).await?;
    Ok(json(&rules, 200)?)
}

/// `POST /v1/admin/shops/{shop}/recommendations/build`: builds the lists now.
pub async fn build_now(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    require_admin(req, env, shop)?;
    Store::open(env)?.existing_shop(shop).await?;
    let report: BuildReport =
        hub(env, shop, &Command::Build { shop: shop.clone(), now: now() }).await?;
    Ok(json(&report, 200)?)
}

/// The Cron Trigger's part: every shop with a catalog gets its lists rebuilt.
pub async fn build_all(env: &Env, now: i64) {
    let Some(shops) = directory::shops(env, directory::Purpose::Recommendations).await else {
        return;
    };
    for shop in shops {
        let command = Command::Build { shop: shop.clone(), now };
        if let Err(e) = hub::<BuildReport>(env, &shop, &command).await {
            console_error!("[rapport] recommendations for {shop}: {e:?}");
        }
    }
}

/// A product the catalog took (webhook or admin API): the hub's mirror follows.
pub async fn catalog_put(env: &Env, shop: &ShopId, product: &Product) -> Result<(), ApiError> {
    let command = Command::Product { shop: shop.clone(), product: product.clone() };
    hub::<bool>(env, shop, &command).await.map(|_| ())
}

pub async fn catalog_deleted(env: &Env, shop: &ShopId, sku: &Sku) -> Result<(), ApiError> {
    hub::<bool>(env, shop, &Command::ProductDeleted { sku: sku.clone() }).await.map(|_| ())
}

/// Forgets a customer's purchases (their erasure).
pub async fn forget(env: &Env, shop: &ShopId, customer: &str) -> Result<(), ApiError> {
    let actor = recs::buyer(Some(customer), "");
    let command = Command::Forget { actor: actor.clone() };
    call::<_, bool>(env, recs::BINDING, &recs::shard_of(shop, &actor), &command).await.map(|_| ())
}

/// `GET /v1/shops/{shop}/me/purchases`: what the signed-in shopper bought (the latest 20
/// products, oldest first), read with their token by their own "for you" list, which draws from
/// them and leaves them out. Private, and answered to the shop's storefront origins only.
pub async fn purchases(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let settings = Store::open(env)?.existing_shop(shop).await?;
    let origin = cors::check(req, &settings)?;
    let shopper = authenticate(req, env, shop)?;
    let actor = recs::buyer(Some(shopper.customer.as_str()), "");
    let command = Command::Purchases { actor: actor.clone() };
    let skus: Vec<Sku> = call(env, recs::BINDING, &recs::shard_of(shop, &actor), &command).await?;
    private(json(&serde_json::json!({ "purchases": skus }), 200)?, origin)
}
