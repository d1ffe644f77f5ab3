//! The route table: every URL the Worker answers, as one `match`.
//!
//! Routing is a pure function from method and path to a [`Route`] with parsed identifiers, so a
//! handler never sees a raw shop id or SKU, and the table can be tested without a runtime.
//! Everything else under `/v1/` is a JSON 404; paths outside `/v1/` and `/r/` (referral links)
//! never reach the Worker (they are the widget files, served as static assets).

use rapport_shared::ids::{CustomerId, OrderKey, ReviewId, ShopId, Sku};
use worker::Method;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health`
    Health,
    /// `GET /admin/`: the merchant page's sign-in (or, signed in, the way to the shop's page).
    MerchantHome,
    /// `POST /admin/sign-in`: the shop id and admin key, for a session cookie.
    MerchantSignIn,
    /// `POST /admin/{shop}/sign-out`
    MerchantSignOut { shop: ShopId },
    /// `GET /admin/{shop}/overview` (and `/admin/{shop}`): the weekly figures.
    MerchantOverview { shop: ShopId },
    /// `GET /admin/{shop}/loyalty[?customer=&code=]`: shoppers, codes and the programme.
    MerchantLoyalty { shop: ShopId },
    /// `POST /admin/{shop}/loyalty`: save the programme.
    MerchantSaveProgramme { shop: ShopId },
    /// `POST /admin/{shop}/loyalty/adjust`: add or remove a shopper's points.
    MerchantAdjust { shop: ShopId },
    /// `GET /admin/{shop}/reviews[?status=&product=&rating=]`: moderation.
    MerchantReviews { shop: ShopId },
    /// `POST /admin/{shop}/reviews`: publish, hold or reject the selected reviews.
    MerchantBulk { shop: ShopId },
    /// `POST /admin/{shop}/reviews/import`: a Judge.me CSV export, uploaded.
    MerchantImport { shop: ShopId },
    /// `POST /admin/{shop}/reviews/reply`: add, change or remove a public reply.
    MerchantReply { shop: ShopId },
    /// `GET /admin/{shop}/reviews.csv` and `.json`: every review.
    MerchantExport { shop: ShopId, csv: bool },
    /// `GET /admin/{shop}/shop`: settings and webhook addresses.
    MerchantShop { shop: ShopId },
    /// `POST /admin/{shop}/shop`: save the settings.
    MerchantSaveShop { shop: ShopId },
    /// `GET /admin/{shop}/follow-ups[?order=KEY]`: the e-mails' funnel, settings and preview.
    MerchantFollowUps { shop: ShopId },
    /// `POST /admin/{shop}/follow-ups`: save the e-mails' settings.
    MerchantSaveFollowUps { shop: ShopId },
    /// `GET /admin/{shop}/follow-ups/preview?order=KEY`: the HTML of an order's review request.
    MerchantPreview { shop: ShopId },
    /// `GET /admin/{shop}/customer-data?customer=ID`: everything stored about a customer.
    MerchantCustomerData { shop: ShopId },
    /// `POST /admin/{shop}/customers/erase`: forget a customer (typed twice).
    MerchantEraseCustomer { shop: ShopId },
    /// `POST /admin/{shop}/erase`: erase the shop (its id typed to confirm).
    MerchantEraseShop { shop: ShopId },
    /// `OPTIONS /v1/shops/{shop}/...`: a browser's CORS preflight.
    Preflight { shop: ShopId },
    /// `GET /v1/shops/{shop}/products/{sku}/reviews[?sort=&rating=&page=]`
    ProductReviews { shop: ShopId, sku: Sku },
    /// `POST /v1/shops/{shop}/products/{sku}/reviews`: a shopper writes a review.
    SubmitReview { shop: ShopId, sku: Sku },
    /// `POST /v1/shops/{shop}/products/{sku}/reviews/{id}/helpful`
    Helpful { shop: ShopId, sku: Sku, review: ReviewId },
    /// `GET /v1/shops/{shop}/products/{sku}/reviews.html[?locale=&css=none]`: the widget's
    /// first view, rendered.
    ProductReviewsHtml { shop: ShopId, sku: Sku },
    /// `GET /v1/shops/{shop}/products/{sku}/reviews.jsonld`: schema.org JSON-LD for the page.
    ProductJsonLd { shop: ShopId, sku: Sku },
    /// `GET /v1/shops/{shop}/strings?for=KIND&locale=TAG`: words in the shopper's language.
    Strings { shop: ShopId },
    /// `GET /v1/shops/{shop}/review-requests/{token}[?sku=&rating=]`: the page a review
    /// request's links open, a form per product of the order.
    ReviewRequestPage { shop: ShopId, token: String },
    /// `POST /v1/shops/{shop}/review-requests/{token}`: the reviews written there, verified.
    ReviewRequestReviews { shop: ShopId, token: String },
    /// `GET /v1/shops/{shop}/unsubscribe/{token}`: the page that confirms an unsubscribe.
    UnsubscribePage { shop: ShopId, token: String },
    /// `POST /v1/shops/{shop}/unsubscribe/{token}`: the unsubscribe itself (RFC 8058's one
    /// click, or the page's button).
    Unsubscribe { shop: ShopId, token: String },
    /// `GET /v1/shops/{shop}/ratings?products=A,B`: star summaries for many products at once.
    Ratings { shop: ShopId },
    /// `GET /v1/shops/{shop}/me`: the signed-in shopper, from their token.
    Me { shop: ShopId },
    /// `GET /v1/shops/{shop}/me/purchases`: the products the signed-in shopper bought, for
    /// their "for you" list.
    MyPurchases { shop: ShopId },
    /// `GET /v1/shops/{shop}/loyalty`: the programme, and the shopper's account with a token.
    Loyalty { shop: ShopId },
    /// `GET /v1/shops/{shop}/loyalty.html[?locale=&mode=&css=none&expired=1]`: the widget's
    /// first view, rendered.
    LoyaltyHtml { shop: ShopId },
    /// `POST /v1/shops/{shop}/loyalty/redemptions`: spend points on a discount code.
    Redeem { shop: ShopId },
    /// `POST /v1/shops/{shop}/loyalty/birthday`
    Birthday { shop: ShopId },
    /// `GET /v1/shops/{shop}/referrals`: the referral programme; with a token, the advocate's
    /// code, link and figures.
    Referrals { shop: ShopId },
    /// `GET /v1/shops/{shop}/referrals.html[?locale=&css=none]`: the widget's first view.
    ReferralsHtml { shop: ShopId },
    /// `POST /v1/shops/{shop}/referrals/preferences`: whether friends see the advocate's name.
    ReferralPreferences { shop: ShopId },
    /// `POST /v1/shops/{shop}/referrals/shares`: the advocate shared their link.
    ReferralShare { shop: ShopId },
    /// `GET /v1/shops/{shop}/referrals/codes/{code}`: the friend's welcome banner.
    ReferralInvitation { shop: ShopId, code: String },
    /// `POST /v1/shops/{shop}/referrals/claims`: a friend claims their offer.
    ReferralClaim { shop: ShopId },
    /// `GET /r/{shop}/{code}[?to=URL]`: a referral link, counted and redirected.
    ReferralLink { shop: ShopId, code: String },
    /// `GET /v1/shops/{shop}/recommendations/{kind}[?product=SKU]`: a stored list.
    Recommendations { shop: ShopId, kind: String },
    /// `POST /v1/shops/{shop}/events`: product views, sent only with the shopper's consent.
    Events { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/recommendations`: the pins and exclusions.
    AdminRecommendations { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}/recommendations`: replace them.
    AdminSetRecommendations { shop: ShopId },
    /// `POST /v1/admin/shops/{shop}/recommendations/build`: build the lists now.
    AdminBuildRecommendations { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/referrals[?status=]`: the referrals and refused claims.
    AdminReferrals { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}/referrals/{id}`: approve or reject a held referral.
    AdminDecideReferral { shop: ShopId, id: String },
    /// `GET /v1/admin/shops/{shop}/referral-stats[?from=&to=]`: the programme's figures.
    AdminReferralStats { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/discount-codes/{code}`: verify a code at checkout.
    AdminCode { shop: ShopId, code: String },
    /// `POST /v1/admin/shops/{shop}/discount-codes/{code}/consume`: use it, once.
    ConsumeCode { shop: ShopId, code: String },
    /// `GET /v1/admin/shops/{shop}/customers/{customer}/loyalty`: account and ledger.
    AdminLedger { shop: ShopId, customer: CustomerId },
    /// `POST /v1/admin/shops/{shop}/customers/{customer}/loyalty`: a manual adjustment.
    AdminAdjust { shop: ShopId, customer: CustomerId },
    /// `GET /v1/admin/shops/{shop}`: the shop's settings as stored.
    AdminShopSettings { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}`: create or replace the shop's settings.
    AdminShop { shop: ShopId },
    /// `DELETE /v1/admin/shops/{shop}`: erase the shop and everything it holds.
    AdminEraseShop { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/erasure`: how far the shop's erasure is.
    AdminErasure { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}/products`: upsert catalog products.
    AdminProducts { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/reviews[?status=pending|format=csv]`: queue and export.
    AdminReviews { shop: ShopId },
    /// `POST /v1/admin/shops/{shop}/reviews`: import reviews (JSON, or a CSV export).
    AdminImportReviews { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}/products/{sku}/reviews/{id}`: moderate and reply.
    AdminReview { shop: ShopId, sku: Sku, review: ReviewId },
    /// `PUT /v1/admin/shops/{shop}/purchases`: record verified purchases.
    AdminPurchases { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/orders/{order}`: what Rapport knows of an order.
    AdminOrder { shop: ShopId, order: OrderKey },
    /// `GET /v1/admin/shops/{shop}/orders/{order}/review-request`: what became of the order's
    /// review request, and its e-mail as it goes (or went) out, with links that lead nowhere.
    AdminReviewRequest { shop: ShopId, order: OrderKey },
    /// `GET /v1/admin/shops/{shop}/follow-ups`: the review requests' funnel.
    AdminFollowUps { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/customers/{customer}`: everything stored about a customer.
    AdminCustomer { shop: ShopId, customer: CustomerId },
    /// `DELETE /v1/admin/shops/{shop}/customers/{customer}`: forget the customer.
    AdminForgetCustomer { shop: ShopId, customer: CustomerId },
    /// `GET /v1/admin/shops/{shop}/imports?import=NAME`: an import's progress.
    ImportProgress { shop: ShopId },
    /// `POST /v1/admin/shops/{shop}/imports?import=NAME&from=LINE`: one part of a bulk import.
    ImportPart { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/overview[?weeks=N]`: the weekly figures, as JSON.
    AdminOverview { shop: ShopId },
    /// `GET /v1/admin/shops/{shop}/webhook-failures`: refused deliveries, newest first.
    AdminWebhookFailures { shop: ShopId },
    /// `POST /v1/webhooks/{shop}/shopify`
    ShopifyWebhook { shop: ShopId },
    /// `POST /v1/webhooks/{shop}/woocommerce`
    WooCommerceWebhook { shop: ShopId },
    /// `POST /v1/webhooks/{shop}/generic`: Rapport's own signed format.
    GenericWebhook { shop: ShopId },
}

fn shop(s: &str) -> Result<ShopId, ApiError> {
    ShopId::parse(s).map_err(|e| ApiError::invalid_id("shop id", e))
}

fn sku(s: &str) -> Result<Sku, ApiError> {
    Sku::parse(s).map_err(|e| ApiError::invalid_id("product SKU", e))
}

fn customer(s: &str) -> Result<CustomerId, ApiError> {
    CustomerId::parse(s).map_err(|e| ApiError::invalid_id("customer", e))
}

/// A discount code as typed at a checkout (percent-decoded; normalised by the handler).
/// Anything longer cannot be one.
fn code(s: &str) -> Result<String, ApiError> {
    let unknown = || ApiError::not_found("code_not_found", "no discount code with this value");
    if s.is_empty() || s.len() > 60 {
        return Err(unknown());
    }
    let mut bytes = Vec::with_capacity(s.len());
    let mut rest = s.as_bytes();
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' && tail.len() >= 2 {
            let hex = core::str::from_utf8(&tail[..2]).map_err(|_| unknown())?;
            bytes.push(u8::from_str_radix(hex, 16).map_err(|_| unknown())?);
            rest = &tail[2..];
        } else {
            bytes.push(b);
            rest = tail;
        }
    }
    String::from_utf8(bytes).map_err(|_| unknown())
}

/// A referral code as a link or a banner names it (normalised by the handler); anything
/// longer cannot be one.
fn referral_code(s: &str) -> Result<String, ApiError> {
    if s.is_empty() || s.len() > 20 {
        return Err(ApiError::not_found(
            "referral_code_not_found",
            "no referral code with this value",
        ));
    }
    Ok(s.to_owned())
}

/// A referral's id: the friend's key (`e:{hash}`, `c:{customer}`).
fn referral_id(s: &str) -> Result<String, ApiError> {
    let ok = !s.is_empty()
        && s.len() <= 140
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:@+".contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(ApiError::not_found("referral_not_found", "no referral with this id"))
    }
}

fn review(s: &str) -> Result<ReviewId, ApiError> {
    ReviewId::parse(s).map_err(|e| ApiError::invalid_id("review id", e))
}

/// Resolves a request to its route, or to the JSON error it deserves.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    use Method::{Get, Post, Put};
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let candidates: Vec<(Method, Route)> = match segments.as_slice() {
        ["v1", "health"] => vec![(Get, Route::Health)],
        ["admin"] => vec![(Get, Route::MerchantHome)],
        ["admin", "sign-in"] => vec![(Post, Route::MerchantSignIn)],
        ["admin", s, "sign-out"] => vec![(Post, Route::MerchantSignOut { shop: shop(s)? })],
        ["admin", s] | ["admin", s, "overview"] => {
            vec![(Get, Route::MerchantOverview { shop: shop(s)? })]
        }
        ["admin", s, "reviews"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::MerchantReviews { shop: shop.clone() }),
                (Post, Route::MerchantBulk { shop }),
            ]
        }
        ["admin", s, "loyalty"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::MerchantLoyalty { shop: shop.clone() }),
                (Post, Route::MerchantSaveProgramme { shop }),
            ]
        }
        ["admin", s, "loyalty", "adjust"] => vec![(Post, Route::MerchantAdjust { shop: shop(s)? })],
        ["admin", s, "follow-ups"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::MerchantFollowUps { shop: shop.clone() }),
                (Post, Route::MerchantSaveFollowUps { shop }),
            ]
        }
        ["admin", s, "follow-ups", "preview"] => {
            vec![(Get, Route::MerchantPreview { shop: shop(s)? })]
        }
        ["admin", s, "customer-data"] => {
            vec![(Get, Route::MerchantCustomerData { shop: shop(s)? })]
        }
        ["admin", s, "customers", "erase"] => {
            vec![(Post, Route::MerchantEraseCustomer { shop: shop(s)? })]
        }
        ["admin", s, "erase"] => vec![(Post, Route::MerchantEraseShop { shop: shop(s)? })],
        ["admin", s, "reviews", "import"] => {
            vec![(Post, Route::MerchantImport { shop: shop(s)? })]
        }
        ["admin", s, "reviews", "reply"] => vec![(Post, Route::MerchantReply { shop: shop(s)? })],
        ["admin", s, "reviews.csv"] => {
            vec![(Get, Route::MerchantExport { shop: shop(s)?, csv: true })]
        }
        ["admin", s, "reviews.json"] => {
            vec![(Get, Route::MerchantExport { shop: shop(s)?, csv: false })]
        }
        ["admin", s, "shop"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::MerchantShop { shop: shop.clone() }),
                (Post, Route::MerchantSaveShop { shop }),
            ]
        }
        ["v1", "shops", s, rest @ ..] if *method == Method::Options && !rest.is_empty() => {
            vec![(Method::Options, Route::Preflight { shop: shop(s)? })]
        }
        ["v1", "shops", s, "products", p, "reviews"] => {
            let (shop, sku) = (shop(s)?, sku(p)?);
            vec![
                (Get, Route::ProductReviews { shop: shop.clone(), sku: sku.clone() }),
                (Post, Route::SubmitReview { shop, sku }),
            ]
        }
        ["v1", "shops", s, "products", p, "reviews.html"] => {
            vec![(Get, Route::ProductReviewsHtml { shop: shop(s)?, sku: sku(p)? })]
        }
        ["v1", "shops", s, "products", p, "reviews.jsonld"] => {
            vec![(Get, Route::ProductJsonLd { shop: shop(s)?, sku: sku(p)? })]
        }
        ["v1", "shops", s, "products", p, "reviews", r, "helpful"] => {
            vec![(Post, Route::Helpful { shop: shop(s)?, sku: sku(p)?, review: review(r)? })]
        }
        ["v1", "shops", s, "ratings"] => vec![(Get, Route::Ratings { shop: shop(s)? })],
        ["v1", "shops", s, "strings"] => vec![(Get, Route::Strings { shop: shop(s)? })],
        ["v1", "shops", s, "review-requests", t] => {
            let (shop, token) = (shop(s)?, (*t).to_owned());
            vec![
                (Get, Route::ReviewRequestPage { shop: shop.clone(), token: token.clone() }),
                (Post, Route::ReviewRequestReviews { shop, token }),
            ]
        }
        ["v1", "shops", s, "unsubscribe", t] => {
            let (shop, token) = (shop(s)?, (*t).to_owned());
            vec![
                (Get, Route::UnsubscribePage { shop: shop.clone(), token: token.clone() }),
                (Post, Route::Unsubscribe { shop, token }),
            ]
        }
        ["v1", "shops", s, "me"] => vec![(Get, Route::Me { shop: shop(s)? })],
        ["v1", "shops", s, "me", "purchases"] => {
            vec![(Get, Route::MyPurchases { shop: shop(s)? })]
        }
        ["v1", "shops", s, "loyalty"] => vec![(Get, Route::Loyalty { shop: shop(s)? })],
        ["v1", "shops", s, "loyalty.html"] => vec![(Get, Route::LoyaltyHtml { shop: shop(s)? })],
        ["v1", "shops", s, "loyalty", "redemptions"] => {
            vec![(Post, Route::Redeem { shop: shop(s)? })]
        }
        ["v1", "shops", s, "loyalty", "birthday"] => {
            vec![(Post, Route::Birthday { shop: shop(s)? })]
        }
        ["v1", "shops", s, "referrals"] => vec![(Get, Route::Referrals { shop: shop(s)? })],
        ["v1", "shops", s, "referrals.html"] => {
            vec![(Get, Route::ReferralsHtml { shop: shop(s)? })]
        }
        ["v1", "shops", s, "referrals", "preferences"] => {
            vec![(Post, Route::ReferralPreferences { shop: shop(s)? })]
        }
        ["v1", "shops", s, "referrals", "shares"] => {
            vec![(Post, Route::ReferralShare { shop: shop(s)? })]
        }
        ["v1", "shops", s, "referrals", "claims"] => {
            vec![(Post, Route::ReferralClaim { shop: shop(s)? })]
        }
        ["v1", "shops", s, "referrals", "codes", c] => {
            vec![(Get, Route::ReferralInvitation { shop: shop(s)?, code: referral_code(c)? })]
        }
        ["v1", "shops", s, "recommendations", k] => {
            let kind = k.chars().take(40).collect();
            vec![(Get, Route::Recommendations { shop: shop(s)?, kind })]
        }
        ["v1", "shops", s, "events"] => vec![(Post, Route::Events { shop: shop(s)? })],
        ["v1", "admin", "shops", s, "recommendations"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::AdminRecommendations { shop: shop.clone() }),
                (Put, Route::AdminSetRecommendations { shop }),
            ]
        }
        ["v1", "admin", "shops", s, "recommendations", "build"] => {
            vec![(Post, Route::AdminBuildRecommendations { shop: shop(s)? })]
        }
        ["r", s, c] => vec![(Get, Route::ReferralLink { shop: shop(s)?, code: referral_code(c)? })],
        ["v1", "admin", "shops", s, "referrals"] => {
            vec![(Get, Route::AdminReferrals { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "referrals", id] => {
            vec![(Put, Route::AdminDecideReferral { shop: shop(s)?, id: referral_id(id)? })]
        }
        ["v1", "admin", "shops", s, "referral-stats"] => {
            vec![(Get, Route::AdminReferralStats { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "discount-codes", c] => {
            vec![(Get, Route::AdminCode { shop: shop(s)?, code: code(c)? })]
        }
        ["v1", "admin", "shops", s, "discount-codes", c, "consume"] => {
            vec![(Post, Route::ConsumeCode { shop: shop(s)?, code: code(c)? })]
        }
        ["v1", "admin", "shops", s, "customers", c, "loyalty"] => {
            let (shop, customer) = (shop(s)?, customer(c)?);
            vec![
                (Get, Route::AdminLedger { shop: shop.clone(), customer: customer.clone() }),
                (Post, Route::AdminAdjust { shop, customer }),
            ]
        }
        ["v1", "admin", "shops", s] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::AdminShopSettings { shop: shop.clone() }),
                (Put, Route::AdminShop { shop: shop.clone() }),
                (Method::Delete, Route::AdminEraseShop { shop }),
            ]
        }
        ["v1", "admin", "shops", s, "erasure"] => {
            vec![(Get, Route::AdminErasure { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "products"] => {
            vec![(Put, Route::AdminProducts { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "reviews"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::AdminReviews { shop: shop.clone() }),
                (Post, Route::AdminImportReviews { shop }),
            ]
        }
        ["v1", "admin", "shops", s, "products", p, "reviews", r] => {
            vec![(Put, Route::AdminReview { shop: shop(s)?, sku: sku(p)?, review: review(r)? })]
        }
        ["v1", "admin", "shops", s, "purchases"] => {
            vec![(Put, Route::AdminPurchases { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "orders", o] => {
            let order = OrderKey::parse(o).map_err(|e| ApiError::invalid_id("order", e))?;
            vec![(Get, Route::AdminOrder { shop: shop(s)?, order })]
        }
        ["v1", "admin", "shops", s, "orders", o, "review-request"] => {
            let order = OrderKey::parse(o).map_err(|e| ApiError::invalid_id("order", e))?;
            vec![(Get, Route::AdminReviewRequest { shop: shop(s)?, order })]
        }
        ["v1", "admin", "shops", s, "follow-ups"] => {
            vec![(Get, Route::AdminFollowUps { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "customers", c] => {
            let (shop, customer) = (shop(s)?, customer(c)?);
            vec![
                (Get, Route::AdminCustomer { shop: shop.clone(), customer: customer.clone() }),
                (Method::Delete, Route::AdminForgetCustomer { shop, customer }),
            ]
        }
        ["v1", "admin", "shops", s, "imports"] => {
            let shop = shop(s)?;
            vec![
                (Get, Route::ImportProgress { shop: shop.clone() }),
                (Post, Route::ImportPart { shop }),
            ]
        }
        ["v1", "admin", "shops", s, "overview"] => {
            vec![(Get, Route::AdminOverview { shop: shop(s)? })]
        }
        ["v1", "admin", "shops", s, "webhook-failures"] => {
            vec![(Get, Route::AdminWebhookFailures { shop: shop(s)? })]
        }
        ["v1", "webhooks", s, "shopify"] => vec![(Post, Route::ShopifyWebhook { shop: shop(s)? })],
        ["v1", "webhooks", s, "generic"] => vec![(Post, Route::GenericWebhook { shop: shop(s)? })],
        ["v1", "webhooks", s, "woocommerce"] => {
            vec![(Post, Route::WooCommerceWebhook { shop: shop(s)? })]
        }
        _ => return Err(ApiError::not_found("route_not_found", format!("no route {path}"))),
    };
    let wanted = if *method == Method::Head { &Get } else { method };
    candidates
        .into_iter()
        .find(|(m, _)| m == wanted)
        .map(|(_, route)| route)
        .ok_or(ApiError::MethodNotAllowed)
}
