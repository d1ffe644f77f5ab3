//! Talking to the Worker: `fetch`, then JSON straight into the shared wire types.

use rapport_shared::ErrorBody;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{RequestInit, RequestMode};

/// Why data could not be shown. The widget decides what the shopper sees for each.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The API answered 404 with this error code (`shop_not_found`, `product_not_found`).
    NotFound(String),
    /// Any other HTTP error status.
    Status(u16),
    /// No answer: offline, blocked, or CORS.
    Network(String),
    /// An answer we could not read.
    Decode(String),
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ApiError::NotFound(code) => write!(f, "not found ({code})"),
            ApiError::Status(s) => write!(f, "HTTP {s}"),
            ApiError::Network(e) => write!(f, "network: {e}"),
            ApiError::Decode(e) => write!(f, "unreadable answer: {e}"),
        }
    }
}

fn js_err(e: wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "unknown error".into())
}

/// `GET {api}{path}` and decode the JSON body.
pub async fn get<T: DeserializeOwned>(api: &str, path: &str) -> Result<T, ApiError> {
    let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_mode(RequestMode::Cors);
    let url = format!("{}{path}", api.trim_end_matches('/'));
    let resp = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(|e| ApiError::Network(js_err(e)))?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|e| ApiError::Decode(js_err(e)))?;
    let status = resp.status();
    let body = match resp.json() {
        Ok(promise) => JsFuture::from(promise).await.ok(),
        Err(_) => None,
    };
    if resp.ok() {
        let body = body.ok_or_else(|| ApiError::Decode("no JSON body".into()))?;
        return serde_wasm_bindgen::from_value(body).map_err(|e| ApiError::Decode(e.to_string()));
    }
    if status == 404 {
        let code = body
            .and_then(|b| serde_wasm_bindgen::from_value::<ErrorBody>(b).ok())
            .map(|b| b.error.code)
            .unwrap_or_default();
        return Err(ApiError::NotFound(code));
    }
    Err(ApiError::Status(status))
}

/// Percent-encodes a path segment. Shop ids and SKUs are already restricted to URL-safe
/// characters by the API; this keeps a stray attribute value from changing the path.
pub fn segment(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}
