//! The JSON error body every 4xx and 5xx of the API carries.
//!
//! `code` is stable and machine-readable (widgets branch on it); `message` is for the developer
//! reading the response and may change.

use serde::{Deserialize, Serialize};

/// `{"error": {"code": "...", "message": "..."}}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    /// For a form: each field that needs fixing, so a widget can say so beside the field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldProblem>,
}

/// One field of a request and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub problem: String,
}

impl ErrorBody {
    /// A 400 for a form, naming each field to fix.
    pub fn invalid_fields(problems: impl IntoIterator<Item = FieldProblem>) -> Self {
        let mut body = Self::new("invalid_field", "some fields need fixing");
        body.error.fields = problems.into_iter().collect();
        body
    }

    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: ErrorDetail { code: code.into(), message: message.into(), fields: Vec::new() },
        }
    }
}
