//! Every way a request can fail, and the one place that maps each to an HTTP status.

use rapport_shared::catalog::FieldError;
use rapport_shared::error::FieldProblem;
use rapport_shared::identity::TokenError;
use rapport_shared::ids::IdError;
use rapport_shared::ErrorBody;
use worker::{console_error, Response};

#[derive(Debug)]
pub enum ApiError {
    /// 400: the body or a parameter is malformed or breaks a rule.
    BadRequest {
        code: &'static str,
        message: String,
    },
    /// 401: no valid credentials for this shop.
    Unauthorized {
        code: &'static str,
        message: String,
    },
    /// 403: the calling storefront origin is not one the shop allows.
    OriginNotAllowed,
    /// 403: credentials that are valid, but not for this (another shop, a cross-site form).
    Forbidden {
        code: &'static str,
        message: String,
    },
    /// 404: no such shop, product or route.
    NotFound {
        code: &'static str,
        message: String,
    },
    MethodNotAllowed,
    /// 409: the request conflicts with what is stored (a second vote).
    Conflict {
        code: &'static str,
        message: String,
    },
    PayloadTooLarge {
        limit: usize,
    },
    UnsupportedMediaType,
    /// 400 naming each form field to fix.
    InvalidFields(Vec<FieldError>),
    /// 429: too many writes; try again after this many seconds.
    TooManyRequests {
        retry_after: i64,
    },
    /// 501: a request Rapport recognises but does not handle yet.
    NotImplemented(&'static str),
    /// 500: our fault. The detail goes to the log, never to the caller.
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::NotFound { code, message: message.into() }
    }

    pub fn shop_not_found() -> Self {
        Self::not_found("shop_not_found", "no shop with this id")
    }

    pub fn invalid_id(what: &'static str, e: IdError) -> Self {
        Self::bad_request("invalid_id", format!("{what} {e}"))
    }

    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest { .. } => 400,
            ApiError::Unauthorized { .. } => 401,
            ApiError::OriginNotAllowed | ApiError::Forbidden { .. } => 403,
            ApiError::NotFound { .. } => 404,
            ApiError::MethodNotAllowed => 405,
            ApiError::Conflict { .. } => 409,
            ApiError::PayloadTooLarge { .. } => 413,
            ApiError::UnsupportedMediaType => 415,
            ApiError::InvalidFields(_) => 400,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::NotImplemented(_) => 501,
            ApiError::Internal(_) => 500,
        }
    }

    fn body(&self) -> ErrorBody {
        match self {
            ApiError::BadRequest { code, message }
            | ApiError::Unauthorized { code, message }
            | ApiError::Forbidden { code, message }
            | ApiError::NotFound { code, message }
            | ApiError::Conflict { code, message } => ErrorBody::new(*code, message.clone()),
            ApiError::InvalidFields(fields) => ErrorBody::invalid_fields(
                fields
                    .iter()
                    .map(|f| FieldProblem { field: f.field.clone(), problem: f.problem.clone() }),
            ),
            ApiError::TooManyRequests { retry_after } => ErrorBody::new(
                "rate_limited",
                format!("too many requests; try again in {retry_after} seconds"),
            ),
            ApiError::OriginNotAllowed => ErrorBody::new(
                "origin_not_allowed",
                "this storefront origin is not in the shop's allowed origins",
            ),
            ApiError::MethodNotAllowed => {
                ErrorBody::new("method_not_allowed", "this route does not accept that method")
            }
            ApiError::PayloadTooLarge { limit } => ErrorBody::new(
                "payload_too_large",
                format!("the request body is over the limit of {limit} bytes"),
            ),
            ApiError::UnsupportedMediaType => {
                ErrorBody::new("unsupported_media_type", "send the body as application/json")
            }
            ApiError::NotImplemented(what) => ErrorBody::new("not_implemented", *what),
            ApiError::Internal(_) => ErrorBody::new("internal", "something went wrong on our side"),
        }
    }

    /// The JSON error body's code (`link_expired`), for a page that words it itself.
    pub fn code(&self) -> String {
        self.body().error.code
    }

    /// The JSON error body's message, for a page that shows it.
    pub fn message(&self) -> String {
        self.body().error.message
    }

    /// The JSON error body's code and message, for logs kept for the merchant.
    pub fn describe(&self) -> serde_json::Value {
        let body = self.body();
        serde_json::json!({ "code": body.error.code, "message": body.error.message })
    }

    pub fn into_response(self) -> worker::Result<Response> {
        if let ApiError::Internal(detail) = &self {
            console_error!("[rapport] internal error: {detail}");
        }
        let mut resp = crate::http::json(&self.body(), self.status())?;
        if let ApiError::TooManyRequests { retry_after } = self {
            resp.headers_mut().set("retry-after", &retry_after.to_string())?;
        }
        Ok(resp)
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<worker::kv::KvError> for ApiError {
    fn from(e: worker::kv::KvError) -> Self {
        ApiError::Internal(format!("kv: {e:?}"))
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::bad_request("invalid_field", e.to_string())
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::Unauthorized { code: e.code(), message: e.to_string() }
    }
}
