//! The public reviews endpoints: read (one KV get in the common case), write, vote, JSON-LD,
//! and batched star ratings.

use futures_util::future::join_all;
use rapport_shared::catalog::{Product, ShopSettings};
use rapport_shared::identity::Shopper;
use rapport_shared::ids::{ReviewId, ShopId, Sku};
use rapport_shared::ratelimit::{self, RateLimit};
use rapport_shared::reviews::{
    product_json_ld, HelpfulCount, ProductReviews, PublicReview, Review, ReviewList, ReviewQuery,
    ReviewSubmission, SubmissionCheck, Submitted,
};
use rapport_shared::secrets::sha256_hex;
use rapport_shared::validator::{entity_tag, names};
use serde_json::json;
use worker::{js_sys, Env, Request, Response, ResponseBody};

use super::shopper::authenticate;
use super::views;
use crate::cors;
use crate::error::ApiError;
use crate::http::{json, now, query, read_json, Asked};
use crate::objects::call;
use crate::objects::limiter::{self, Hit};
use crate::objects::product_reviews::{self as pr, Command, Target};
use crate::store::Store;

/// Shoppers may see a new review up to this many seconds late; in exchange, browsers and
/// caches absorb repeat views of a popular product.
const CACHE_SECONDS: u32 = 60;
/// The reviews page's media type.
const JSON: &str = "application/json; charset=utf-8";
/// A review form is a few kilobytes at most.
const SUBMISSION_LIMIT: usize = 16 * 1024;
/// Products per batched ratings request (a collection page).
const MAX_RATINGS: usize = 50;

/// How long browsers and caches may keep a public answer before they revalidate it: the
/// `PUBLIC_CACHE_SECONDS` variable, [`CACHE_SECONDS`] without it.
pub fn cache_seconds(env: &Env) -> u32 {
    env.var("PUBLIC_CACHE_SECONDS")
        .ok()
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(CACHE_SECONDS)
}

/// The `cache-control` of a public answer, made once per isolate (its variables do not change
/// while it lives) and interned like the other constants (`http::intern_constants`).
fn public_cache_control(env: &Env) -> &'static str {
    thread_local!(static VALUE: std::cell::OnceCell<&'static str> = const { std::cell::OnceCell::new() });
    VALUE.with(|value| {
        *value.get_or_init(|| {
            let text = format!("public, max-age={}", cache_seconds(env));
            wasm_bindgen::intern(Box::leak(text.into_boxed_str()))
        })
    })
}

fn cacheable(env: &Env, mut resp: Response) -> Result<Response, ApiError> {
    resp.headers_mut().set("cache-control", public_cache_control(env))?;
    Ok(cors::public(resp)?)
}

/// A public answer a cache may keep and revalidate: its entity tag, and a `304 Not Modified`
/// with no body when the request already holds these bytes.
fn revalidated(
    req: &impl Asked,
    env: &Env,
    body: Vec<u8>,
    content_type: &str,
) -> Result<Response, ApiError> {
    let tag = entity_tag(&body);
    tagged(req, env, &tag, ResponseBody::Body(body), content_type)
}

/// `body` with its entity tag `tag`, or the `304` with no body if the request holds it.
fn tagged(
    req: &impl Asked,
    env: &Env,
    tag: &str,
    body: ResponseBody,
    content_type: &str,
) -> Result<Response, ApiError> {
    let held = req.header("if-none-match").is_some_and(|v| names(&v, tag));
    let mut resp = if held {
        // Nothing of a stream is sent; the runtime may stop reading it.
        if let ResponseBody::Stream(stream) = &body {
            let _ = stream.cancel();
        }
        Response::empty()?.with_status(304)
    } else {
        let mut resp = Response::from_body(body)?;
        resp.headers_mut().set("content-type", content_type)?;
        resp.headers_mut().set("x-content-type-options", "nosniff")?;
        resp
    };
    resp.headers_mut().set("etag", tag)?;
    cacheable(env, resp)
}

/// A 404 for an unknown shop or product, cached briefly: a page that asks again and again for
/// a product the shop does not sell costs one read a minute, not one per view.
fn short_lived(e: ApiError) -> Result<Response, ApiError> {
    if e.status() != 404 {
        return Err(e);
    }
    let mut resp = e.into_response()?;
    resp.headers_mut().set("cache-control", &format!("public, max-age={CACHE_SECONDS}"))?;
    Ok(cors::public(resp)?)
}

/// The product, or the 404 that says which of shop and product is unknown.
async fn existing_product(store: &Store, shop: &ShopId, sku: &Sku) -> Result<Product, ApiError> {
    match store.product(shop, sku).await? {
        Some(p) => Ok(p),
        None => {
            store.existing_shop(shop).await?;
            Err(ApiError::not_found("product_not_found", "no product with this SKU"))
        }
    }
}

/// `GET .../reviews`: without `sort`, `rating` or `page`, the precomputed page (summary and
/// newest reviews) as it is stored, in one KV read, with its entity tag; with any of them,
/// that list from the product's object.
pub async fn product_reviews(
    req: &impl Asked,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<Response, ApiError> {
    let params = query(req)?;
    let q = ReviewQuery::parse(
        params.get("sort").map(String::as_str),
        params.get("rating").map(String::as_str),
        params.get("page").map(String::as_str),
    )?;
    let store = Store::open(env)?;
    let asked = ["sort", "rating", "page"].iter().any(|k| params.contains_key(*k));
    if asked {
        existing_product(&store, shop, sku).await?;
        let command =
            Command::List { target: Target { shop: shop.clone(), sku: sku.clone() }, query: q };
        let list: ReviewList = call(env, pr::BINDING, &pr::name(shop, sku), &command).await?;
        return cacheable(env, json(&list, 200)?);
    }
    // The page goes out as the product's object wrote it, streamed from KV with the tag stored
    // beside it: nothing read into the Worker, parsed or serialised again.
    let body = match store.reviews_page_stream(shop, sku).await? {
        Some((stream, Some(tag))) => {
            return tagged(req, env, &tag, ResponseBody::Stream(stream), JSON);
        }
        // A page stored before tags were: its bytes, tagged here (until the product's next
        // change stores it again with its tag).
        Some((stream, None)) => {
            let _ = stream.cancel();
            store.product_reviews_bytes(shop, sku).await?.unwrap_or_default()
        }
        // No page: a product stored before pages were written with it, or none at all.
        None => match existing_product(&store, shop, sku).await {
            Ok(_) => serde_json::to_vec(&ProductReviews::empty(sku))
                .map_err(|e| ApiError::Internal(e.to_string()))?,
            Err(e) => return short_lived(e),
        },
    };
    revalidated(req, env, body, JSON)
}

/// The product's precomputed first page (one KV read), or the empty page of a catalog product
/// nobody has reviewed yet (written when the product was created, or answered here for a
/// product created before that).
async fn first_page(store: &Store, shop: &ShopId, sku: &Sku) -> Result<ProductReviews, ApiError> {
    match store.product_reviews(shop, sku).await? {
        Some(page) => Ok(page),
        None => {
            existing_product(store, shop, sku).await?;
            Ok(ProductReviews::empty(sku))
        }
    }
}

/// `GET .../reviews.html[?locale=&css=none]`: the widget's first view, rendered from the same
/// page `GET .../reviews` answers, as the content of a `<rapport-reviews>` element (see
/// `views`). Public and cacheable like the page itself, and revalidated the same way.
pub async fn product_reviews_html(
    req: &impl Asked,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<Response, ApiError> {
    let view = views::ViewQuery::parse(req)?;
    let store = Store::open(env)?;
    // The shop's rewordings, read beside the page.
    let (page, settings) =
        futures_util::future::join(first_page(&store, shop, sku), store.settings(shop)).await;
    let page = match page {
        Ok(page) => page,
        Err(e) => return short_lived(e),
    };
    let strings = views::strings(&view, "reviews", settings?.as_ref());
    let html = views::reviews(req, &view, shop, sku, page, strings)?;
    revalidated(req, env, html.into_bytes(), "text/html; charset=utf-8")
}

/// `GET .../reviews.jsonld`: for the merchant's server to put into the product page's HTML.
pub async fn json_ld(env: &Env, shop: &ShopId, sku: &Sku) -> Result<Response, ApiError> {
    let store = Store::open(env)?;
    let product = existing_product(&store, shop, sku).await?;
    let page =
        store.product_reviews(shop, sku).await?.unwrap_or_else(|| ProductReviews::empty(sku));
    let mut resp = Response::ok(product_json_ld(&product, &page))?;
    resp.headers_mut().set("content-type", "application/ld+json; charset=utf-8")?;
    cacheable(env, resp)
}

/// The kinds of words a page may ask for: each widget's, the loader's own, the welcome banner's.
const WORDS: &[&str] = &["reviews", "loyalty", "referral", "recs", "loader", "welcome"];

/// `GET /v1/shops/{shop}/strings?for=KIND&locale=TAG`: the words the loader draws itself (its
/// notices, the banner, a list assembled in the browser) in the language of `locale`, with the
/// shop's rewordings. Public and cacheable.
pub async fn strings(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let view = views::ViewQuery::parse(req)?;
    let kind = query(req)?.get("for").cloned().unwrap_or_default();
    if !WORDS.contains(&kind.as_str()) {
        let message = format!("`for` is one of {}", WORDS.join(", "));
        return Err(ApiError::bad_request("invalid_field", message));
    }
    let settings = Store::open(env)?.existing_shop(shop).await?;
    cacheable(env, json(&views::strings(&view, &kind, Some(&settings)), 200)?)
}

/// `GET /v1/shops/{shop}/ratings?products=A,B`: count and average per product, for star badges.
pub async fn ratings(req: &Request, env: &Env, shop: &ShopId) -> Result<Response, ApiError> {
    let params = query(req)?;
    let mut skus = Vec::new();
    for s in params
        .get("products")
        .map(String::as_str)
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.is_empty())
    {
        let sku = Sku::parse(s).map_err(|e| ApiError::invalid_id("product SKU", e))?;
        if !skus.contains(&sku) {
            skus.push(sku);
        }
    }
    if skus.is_empty() || skus.len() > MAX_RATINGS {
        return Err(ApiError::bad_request(
            "invalid_field",
            format!("`products` lists 1 to {MAX_RATINGS} comma-separated SKUs"),
        ));
    }
    let store = Store::open(env)?;
    store.existing_shop(shop).await?;
    let pages = join_all(skus.iter().map(|sku| store.product_reviews(shop, sku))).await;
    let mut ratings = serde_json::Map::new();
    for (sku, page) in skus.iter().zip(pages) {
        let summary = page?.map(|p| p.summary).unwrap_or_default();
        ratings
            .insert(sku.to_string(), json!({ "count": summary.count, "average": summary.average }));
    }
    cacheable(env, json(&json!({ "ratings": ratings }), 200)?)
}

/// A network address, hashed with the shop id: enough to limit and to count one vote per
/// address, without keeping the address itself.
pub(super) fn address_subject(req: &Request, shop: &ShopId) -> String {
    let ip = req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default();
    format!("ip:{}", &sha256_hex(format!("{shop}|{ip}").as_bytes())[..24])
}

pub(super) async fn limit(
    env: &Env,
    shop: &ShopId,
    action: &str,
    subject: &str,
    limit: RateLimit,
) -> Result<(), ApiError> {
    let name = format!("{shop}/{action}/{subject}");
    call::<_, bool>(env, limiter::BINDING, &name, &Hit { limit, now: now() }).await.map(|_| ())
}

/// A time-ordered, unguessable-enough review id: milliseconds then 40 random bits.
fn new_review_id() -> ReviewId {
    let ms = js_sys::Date::now() as u64;
    let random = (js_sys::Math::random() * (1u64 << 40) as f64) as u64;
    ReviewId::parse(&format!("{ms:011x}{random:010x}")).expect("hex is a valid review id")
}

/// What every shopper write about a product starts from.
struct ShopperWrite {
    store: Store,
    settings: ShopSettings,
    /// The storefront origin to answer, once checked against the shop's list.
    origin: Option<String>,
    /// The signed-in shopper; a token that is sent must be valid.
    shopper: Option<Shopper>,
}

/// Checks the shop, the calling storefront, the product and, when a token is sent, the shopper.
async fn shopper_write(
    req: &Request,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<ShopperWrite, ApiError> {
    let store = Store::open(env)?;
    let settings = store.existing_shop(shop).await?;
    let origin = cors::check(req, &settings)?;
    existing_product(&store, shop, sku).await?;
    let shopper = match req.headers().has("authorization")? {
        true => Some(authenticate(req, env, shop)?),
        false => None,
    };
    Ok(ShopperWrite { store, settings, origin, shopper })
}

/// `POST .../reviews`: a shopper writes a review. With a valid shopper token, the review is
/// marked verified when the shopper bought the product.
pub async fn submit(
    mut req: Request,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
) -> Result<Response, ApiError> {
    let ShopperWrite { store, settings, origin, shopper } =
        shopper_write(&req, env, shop, sku).await?;
    let submission: ReviewSubmission = read_json(&mut req, SUBMISSION_LIMIT).await?;
    let checked = submission.check().map_err(ApiError::InvalidFields)?;

    limit(env, shop, "review", &address_subject(&req, shop), ratelimit::REVIEWS).await?;
    if let Some(s) = &shopper {
        limit(env, shop, "review", &format!("c:{}", s.customer), ratelimit::REVIEWS).await?;
    }
    let verified = match &shopper {
        Some(s) => store.purchased(shop, &s.customer, sku).await?,
        None => false,
    };
    let customer = shopper.map(|s| s.customer);
    let stored = store_review(env, shop, &settings, sku, customer, checked, verified, None).await?;
    let body = Submitted { review: PublicReview::from(&stored), status: stored.status };
    Ok(cors::allow(json(&body, 201)?, origin)?)
}

/// A review written on the page a review request links to: by the order's buyer, verified when
/// the order holds the product paid and kept, the widget's rate limit, and one per product of
/// the order (`once`, checked by the product's object: a second is a 409 `already_reviewed`).
#[allow(clippy::too_many_arguments)]
pub async fn submit_from_request(
    env: &Env,
    shop: &ShopId,
    settings: &ShopSettings,
    sku: &Sku,
    customer: &rapport_shared::ids::CustomerId,
    submission: &ReviewSubmission,
    verified: bool,
    once: String,
) -> Result<Review, ApiError> {
    let checked = submission.check().map_err(ApiError::InvalidFields)?;
    limit(env, shop, "review", &format!("c:{customer}"), ratelimit::REVIEWS).await?;
    let customer = Some(customer.clone());
    store_review(env, shop, settings, sku, customer, checked, verified, Some(once)).await
}

/// Stores a checked review with the product's object, and gives the buyer's review bonus.
#[allow(clippy::too_many_arguments)]
async fn store_review(
    env: &Env,
    shop: &ShopId,
    settings: &ShopSettings,
    sku: &Sku,
    customer: Option<rapport_shared::ids::CustomerId>,
    checked: SubmissionCheck,
    verified: bool,
    once: Option<String>,
) -> Result<Review, ApiError> {
    let review = checked.into_review(
        new_review_id(),
        sku.clone(),
        customer,
        verified,
        settings.moderation,
        now(),
    );
    let target = Target { shop: shop.clone(), sku: sku.clone() };
    let stored: Review =
        call(env, pr::BINDING, &pr::name(shop, sku), &Command::Submit { target, review, once })
            .await?;
    super::loyalty::review_bonus(env, shop, settings, &stored).await;
    Ok(stored)
}

/// `POST .../reviews/{id}/helpful`: one vote per shopper (per signed-in customer, otherwise
/// per network address).
pub async fn helpful(
    req: Request,
    env: &Env,
    shop: &ShopId,
    sku: &Sku,
    review: &ReviewId,
) -> Result<Response, ApiError> {
    let ShopperWrite { origin, shopper, .. } = shopper_write(&req, env, shop, sku).await?;
    let address = address_subject(&req, shop);
    let voter = shopper.map_or_else(|| address.clone(), |s| format!("c:{}", s.customer));
    limit(env, shop, "vote", &address, ratelimit::VOTES).await?;
    if voter != address {
        limit(env, shop, "vote", &voter, ratelimit::VOTES).await?;
    }
    let target = Target { shop: shop.clone(), sku: sku.clone() };
    let command = Command::Vote { target, review: review.clone(), voter };
    let result: HelpfulCount = call(env, pr::BINDING, &pr::name(shop, sku), &command).await?;
    Ok(cors::allow(json(&result, 200)?, origin)?)
}
