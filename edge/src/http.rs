//! Request and response plumbing: JSON in with a size limit, JSON out, bearer credentials.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::{Request, Response};

use crate::error::ApiError;

const INTERNAL: &str =
    r#"{"error":{"code":"internal","message":"something went wrong on our side"}}"#;

/// A JSON response. Serialising our own types cannot fail; if it ever did, the caller gets an
/// opaque 500 rather than a panic.
pub fn json<T: Serialize>(value: &T, status: u16) -> worker::Result<Response> {
    let (body, status) = match serde_json::to_string(value) {
        Ok(body) => (body, status),
        Err(_) => (INTERNAL.to_owned(), 500),
    };
    let mut resp = Response::ok(body)?.with_status(status);
    let headers = resp.headers_mut();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(resp)
}

/// Reads a JSON body of at most `limit` bytes. Checks the declared length first, so an oversized
/// upload is refused before it is read, and the real length after, for senders that lie.
pub async fn read_json<T: DeserializeOwned>(
    req: &mut Request,
    limit: usize,
) -> Result<T, ApiError> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(ApiError::UnsupportedMediaType);
    }
    if let Some(len) = req.headers().get("content-length")? {
        if len.trim().parse::<usize>().map_or(true, |n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
    }
    let bytes = req.bytes().await?;
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid: {e}")))
}

/// The credential of an `Authorization: Bearer <credential>` header.
pub fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok()??;
    let (scheme, credential) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| credential.trim().to_owned())
}

/// Unix seconds, from the Workers clock.
pub fn now() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}
