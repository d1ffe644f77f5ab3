//! CORS. Public, read-only data (reviews) is readable from any origin: it is on the storefront
//! for anyone to see anyway. Everything that carries a shopper's token is answered only to the
//! storefront origins the shop lists in its settings.

use rapport_shared::catalog::ShopSettings;
use worker::{Request, Response};

use crate::error::ApiError;

/// The request's `Origin`, if a browser sent one.
pub fn origin(req: &Request) -> Option<String> {
    req.headers().get("origin").ok().flatten()
}

/// Marks a response as readable by any origin.
pub fn public(mut resp: Response) -> worker::Result<Response> {
    resp.headers_mut().set("access-control-allow-origin", "*")?;
    Ok(resp)
}

/// Checks a browser origin against the shop's list. Calls without an `Origin` (the merchant's
/// server, curl) are not browser calls and pass: the token is what authenticates them.
pub fn check(req: &Request, settings: &ShopSettings) -> Result<Option<String>, ApiError> {
    match origin(req) {
        Some(o) if settings.allows_origin(&o) => Ok(Some(o)),
        Some(_) => Err(ApiError::OriginNotAllowed),
        None => Ok(None),
    }
}

/// Adds the headers that let an allowed origin read a shopper response.
pub fn allow(mut resp: Response, origin: Option<String>) -> worker::Result<Response> {
    if let Some(o) = origin {
        let headers = resp.headers_mut();
        headers.set("access-control-allow-origin", &o)?;
        headers.set("vary", "Origin")?;
    }
    Ok(resp)
}

/// The answer to a preflight from an allowed origin.
pub fn preflight(origin: String) -> worker::Result<Response> {
    let mut resp = allow(Response::empty()?.with_status(204), Some(origin))?;
    let headers = resp.headers_mut();
    headers.set("access-control-allow-methods", "GET, POST, OPTIONS")?;
    headers.set("access-control-allow-headers", "authorization, content-type")?;
    headers.set("access-control-max-age", "86400")?;
    Ok(resp)
}
