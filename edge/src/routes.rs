//! The route table: every URL the Worker answers, as one `match`.
//!
//! Routing is a pure function from method and path to a [`Route`] with parsed identifiers, so a
//! handler never sees a raw shop id or SKU, and the table can be tested without a runtime.
//! Everything else under `/v1/` is a JSON 404; paths outside `/v1/` never reach the Worker
//! (they are the widget files, served as static assets).

use rapport_shared::ids::{ShopId, Sku};
use worker::Method;

use crate::error::ApiError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/health`
    Health,
    /// `OPTIONS /v1/shops/{shop}/...`: a browser's CORS preflight.
    Preflight { shop: ShopId },
    /// `GET /v1/shops/{shop}/products/{sku}/reviews`: summary and newest reviews.
    ProductReviews { shop: ShopId, sku: Sku },
    /// `GET /v1/shops/{shop}/me`: the signed-in shopper, from their token.
    Me { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}`: create or replace the shop's settings.
    AdminShop { shop: ShopId },
    /// `PUT /v1/admin/shops/{shop}/products`: upsert catalog products.
    AdminProducts { shop: ShopId },
    /// `POST /v1/admin/shops/{shop}/reviews`: import reviews.
    AdminImportReviews { shop: ShopId },
}

fn shop(s: &str) -> Result<ShopId, ApiError> {
    ShopId::parse(s).map_err(|e| ApiError::invalid_id("shop id", e))
}

fn sku(s: &str) -> Result<Sku, ApiError> {
    Sku::parse(s).map_err(|e| ApiError::invalid_id("product SKU", e))
}

/// Resolves a request to its route, or to the JSON error it deserves.
pub fn route(method: &Method, path: &str) -> Result<Route, ApiError> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let (route, allowed) = match segments.as_slice() {
        ["v1", "health"] => (Route::Health, Method::Get),
        ["v1", "shops", s, rest @ ..] if *method == Method::Options && !rest.is_empty() => {
            (Route::Preflight { shop: shop(s)? }, Method::Options)
        }
        ["v1", "shops", s, "products", p, "reviews"] => (
            Route::ProductReviews {
                shop: shop(s)?,
                sku: sku(p)?,
            },
            Method::Get,
        ),
        ["v1", "shops", s, "me"] => (Route::Me { shop: shop(s)? }, Method::Get),
        ["v1", "admin", "shops", s] => (Route::AdminShop { shop: shop(s)? }, Method::Put),
        ["v1", "admin", "shops", s, "products"] => {
            (Route::AdminProducts { shop: shop(s)? }, Method::Put)
        }
        ["v1", "admin", "shops", s, "reviews"] => {
            (Route::AdminImportReviews { shop: shop(s)? }, Method::Post)
        }
        _ => {
            return Err(ApiError::not_found(
                "route_not_found",
                format!("no route {path}"),
            ))
        }
    };
    let head_of_get = *method == Method::Head && allowed == Method::Get;
    if *method == allowed || head_of_get {
        Ok(route)
    } else {
        Err(ApiError::MethodNotAllowed)
    }
}
