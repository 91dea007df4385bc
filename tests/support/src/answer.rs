//! One HTTP answer, whatever was asked: status, headers, the body as sent
//! and as JSON, with the readings tests make of a GraphQL answer.

use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;

/// An answer of the router (or of a server over TCP).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body as it came.
    pub bytes: Vec<u8>,
    /// The body as JSON; Null when it is not JSON.
    pub body: Value,
}

impl Answer {
    pub fn new(status: StatusCode, headers: HeaderMap, bytes: Vec<u8>) -> Answer {
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            bytes,
            body,
        }
    }

    /// `data.<field>`, failing the test when there were errors.
    pub fn data(&self, field: &str) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"][field]
    }

    /// Whether the answer carries GraphQL errors.
    pub fn has_errors(&self) -> bool {
        self.body.get("errors").is_some()
    }

    /// The `extensions.code` of every error, in order.
    pub fn codes(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The only error's code.
    pub fn code(&self) -> String {
        let codes = self.codes();
        assert_eq!(codes.len(), 1, "expected one error: {}", self.body);
        codes[0].clone()
    }

    /// The first error's code; None without errors (or without a code).
    pub fn first_code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    /// A header's value as text; "" when it is missing.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}
