//! Talking to the Worker: `fetch`, then JSON straight into the shared wire types.

use rapport_shared::error::ErrorDetail;
use rapport_shared::ErrorBody;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, RequestMode};

/// Why a request did not give data. The widget decides what the shopper sees for each.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The API answered 404 with this error code (`shop_not_found`, `product_not_found`).
    NotFound(String),
    /// The API refused the request (4xx) and said why.
    Refused { status: u16, error: ErrorDetail },
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
            ApiError::Refused { status, error } => write!(f, "HTTP {status} {}", error.code),
            ApiError::Status(s) => write!(f, "HTTP {s}"),
            ApiError::Network(e) => write!(f, "network: {e}"),
            ApiError::Decode(e) => write!(f, "unreadable answer: {e}"),
        }
    }
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "unknown error".into())
}

/// Where requests go and who makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Origin of the Rapport Worker.
    pub api: String,
    /// The signed-in shopper's token, if the page has one.
    pub token: Option<String>,
}

impl Client {
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.send("GET", path, None, false).await
    }

    /// GETs the signed-in shopper's own data, with their token.
    pub async fn get_own<T: DeserializeOwned>(&self, path: &str) -> Result<T, ApiError> {
        self.send("GET", path, None, true).await
    }

    /// POSTs `body` as JSON, with the shopper's token when there is one.
    pub async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, ApiError> {
        let value =
            serde_wasm_bindgen::to_value(body).map_err(|e| ApiError::Decode(e.to_string()))?;
        let text = js_sys::JSON::stringify(&value).map_err(|e| ApiError::Decode(js_err(e)))?;
        self.send("POST", path, Some(text.into()), true).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<JsValue>,
        with_token: bool,
    ) -> Result<T, ApiError> {
        let body = self.fetch(method, path, body, with_token).await?;
        serde_wasm_bindgen::from_value(body).map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// The request itself, apart from reading the answer into a type: one copy in the module
    /// however many answer types the widgets read.
    async fn fetch(
        &self,
        method: &str,
        path: &str,
        body: Option<JsValue>,
        with_token: bool,
    ) -> Result<JsValue, ApiError> {
        let window = web_sys::window().ok_or_else(|| ApiError::Network("no window".into()))?;
        let init = RequestInit::new();
        init.set_method(method);
        init.set_mode(RequestMode::Cors);
        let token = self.token.as_ref().filter(|_| with_token);
        if body.is_some() || token.is_some() {
            let headers = Headers::new().map_err(|e| ApiError::Network(js_err(e)))?;
            if let Some(body) = body {
                let _ = headers.set("content-type", "application/json");
                init.set_body(&body);
            }
            if let Some(token) = token {
                let _ = headers.set("authorization", &format!("Bearer {token}"));
            }
            init.set_headers(&headers);
        }
        let url = format!("{}{path}", self.api.trim_end_matches('/'));
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
            return body.ok_or_else(|| ApiError::Decode("no JSON body".into()));
        }
        let error =
            body.and_then(|b| serde_wasm_bindgen::from_value::<ErrorBody>(b).ok()).map(|b| b.error);
        match (status, error) {
            (404, e) => Err(ApiError::NotFound(e.map(|e| e.code).unwrap_or_default())),
            (400..=499, Some(error)) => Err(ApiError::Refused { status, error }),
            _ => Err(ApiError::Status(status)),
        }
    }
}

/// Percent-encodes a path segment. Shop ids and SKUs are already restricted to URL-safe
/// characters by the API; this keeps a stray attribute value from changing the path.
pub fn segment(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}
