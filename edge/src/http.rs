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

/// Reads a body of at most `limit` bytes: the declared length is checked first, so an oversized
/// upload is refused before it is read, and the real length after, for senders that lie.
pub async fn read_limited(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    if let Some(len) = req.headers().get("content-length")? {
        if len.trim().parse::<usize>().map_or(true, |n| n > limit) {
            return Err(ApiError::PayloadTooLarge { limit });
        }
    }
    let bytes = req.bytes().await?;
    if bytes.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    Ok(bytes)
}

/// Reads a UTF-8 text body of at most `limit` bytes.
pub async fn read_text(req: &mut Request, limit: usize) -> Result<String, ApiError> {
    String::from_utf8(read_limited(req, limit).await?)
        .map_err(|_| ApiError::bad_request("invalid_encoding", "the body is not UTF-8 text"))
}

/// Reads a JSON body of at most `limit` bytes.
pub async fn read_json<T: DeserializeOwned>(
    req: &mut Request,
    limit: usize,
) -> Result<T, ApiError> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = read_limited(req, limit).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not valid: {e}")))
}

/// A client-chosen key (an import's name, a redemption's or an adjustment's idempotency key):
/// 1 to 64 ASCII letters, digits, `-` or `_`; otherwise the 400 that says so about `field`.
pub fn client_key(field: &str, key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        let message = format!("`{field}` must be 1 to 64 letters, digits, - or _");
        Err(ApiError::bad_request("invalid_field", message))
    }
}

/// The credential of an `Authorization: Bearer <credential>` header.
pub fn bearer(req: &Request) -> Option<String> {
    let value = req.headers().get("authorization").ok()??;
    let (scheme, credential) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| credential.trim().to_owned())
}

/// The query string's parameters (the last of repeated names wins). Parsed here rather than
/// through `Request::url`, whose URL parser brings about 150 KB of Unicode tables into the Worker.
/// What a read handler needs of a request: its URL and its headers. Both the runtime's own
/// request (the public read paths take it as it comes, see `handlers::handle`) and the
/// framework's have them.
pub trait Asked {
    /// The whole URL, as the runtime serialised it.
    fn url_text(&self) -> String;
    fn header(&self, name: &str) -> Option<String>;
}

impl Asked for Request {
    fn url_text(&self) -> String {
        self.inner().url()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).ok().flatten()
    }
}

impl Asked for worker::web_sys::Request {
    fn url_text(&self) -> String {
        self.url()
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).ok().flatten()
    }
}

/// The path of a serialised URL (`https://host/a/b?q` → `/a/b`), as the runtime sent it.
pub fn path_of(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// The origin of a serialised URL (`https://host:8787/a?q` → `https://host:8787`).
pub fn origin_of(url: &str) -> &str {
    let scheme_end = url.find("://").map_or(0, |at| at + 3);
    let end = url[scheme_end..].find(['/', '?', '#']).map_or(url.len(), |at| scheme_end + at);
    &url[..end]
}

pub fn query(req: &impl Asked) -> Result<std::collections::HashMap<String, String>, ApiError> {
    let url = req.url_text();
    let query = url.split_once('?').map_or("", |(_, q)| q.split('#').next().unwrap_or(""));
    Ok(pairs(query).into_iter().collect())
}

/// The name-value pairs of a query string or a form body, in order.
pub fn pairs(encoded: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        let s = s.replace('+', " ");
        worker::js_sys::decode_uri_component(&s).map(String::from).unwrap_or(s)
    };
    encoded
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Unix seconds, from the Workers clock.
pub fn now() -> i64 {
    (worker::Date::now().as_millis() / 1000) as i64
}

/// Makes the strings the hot paths hand to the runtime (binding and method names, header names
/// and values) into JavaScript strings once per isolate: decoding them from UTF-8 on every
/// request was 3% of a reviews read's CPU. Later uses of an equal string take the cached one.
pub fn intern_constants() {
    thread_local!(static DONE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if DONE.with(|done| done.replace(true)) {
        return;
    }
    for s in [
        crate::store::KV_BINDING,
        "get",
        "getWithMetadata",
        "put",
        "list",
        "delete",
        "value",
        "metadata",
        "if-none-match",
        "authorization",
        "origin",
        "content-type",
        "x-content-type-options",
        "nosniff",
        "etag",
        "cache-control",
        "access-control-allow-origin",
        "*",
        "vary",
        "Origin",
        "PUBLIC_CACHE_SECONDS",
        "application/json; charset=utf-8",
        "text/html; charset=utf-8",
        "private, no-store",
    ] {
        wasm_bindgen::intern(s);
    }
}
