//! What a `subscribe` must pass before async-graphql sees it: the same
//! admission as a document sent over HTTP (nesting, parse, introspection
//! when off), and then that it is a subscription: queries and mutations run
//! over HTTP only, where each gets its request context, its log line and
//! its metrics.
//!
//! The parse is kept in the request, so async-graphql runs the document
//! that was judged and never parses the client's text itself.

use async_graphql::parser::types::OperationType;
use async_graphql::{Request, ServerError};
use serde_json::json;

use crate::api::graphql::admission::admit;
use crate::api::graphql::error_codes::with_code;
use crate::api::graphql::operation::selected;
use crate::error::Code;

/// Judges the document of a `subscribe`; the error is what the client is
/// told in an `error` message.
pub(crate) fn judge(request: &mut Request, introspection_enabled: bool) -> Result<(), ServerError> {
    admit(request, introspection_enabled)?;
    let operation_name = request.operation_name.clone();
    let document = request
        .parsed_query()
        .map_err(|error| with_code(error, Code::GraphqlParseFailed))?;
    match selected(&document.operations, operation_name.as_deref()) {
        Some(operation) if operation.node.ty != OperationType::Subscription => Err(refusal(
            "only subscriptions run over the socket: send queries and mutations with POST /graphql",
        )),
        // No operation chosen: async-graphql's validation says why.
        _ => Ok(()),
    }
}

/// A refusal with `GRAPHQL_VALIDATION_FAILED`.
pub(crate) fn refusal(message: &str) -> ServerError {
    with_code(
        ServerError::new(message, None),
        Code::GraphqlValidationFailed,
    )
}

/// The protocol's `error` message for the operation `id`.
pub(crate) fn error_message(id: &str, errors: &[ServerError]) -> String {
    json!({ "id": id, "type": "error", "payload": errors }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(result: Result<(), ServerError>) -> Option<String> {
        let error = result.err()?;
        let value = serde_json::to_value(&error).ok()?;
        value["extensions"]["code"].as_str().map(str::to_owned)
    }

    #[test]
    fn only_subscriptions_pass() {
        let mut request = Request::new("subscription { sessionEvents { kind } }");
        assert!(judge(&mut request, true).is_ok());
        for document in [
            "{ me { id } }",
            "mutation { logoutAll }",
            "query Q { me { id } }",
        ] {
            let mut request = Request::new(document);
            assert_eq!(
                code_of(judge(&mut request, true)).as_deref(),
                Some("GRAPHQL_VALIDATION_FAILED"),
                "{document}"
            );
        }
    }

    #[test]
    fn the_operation_name_picks_the_kind() {
        let document = "query Q { me { id } } subscription S { sessionEvents { kind } }";
        let mut subscription = Request::new(document).operation_name("S");
        assert!(judge(&mut subscription, true).is_ok());
        let mut query = Request::new(document).operation_name("Q");
        assert!(judge(&mut query, true).is_err());
    }

    #[test]
    fn deep_and_broken_documents_are_refused_unparsed() {
        let deep = format!(
            "subscription {{ sessionEvents(x: {}1{}) {{ kind }} }}",
            "[".repeat(5000),
            "]".repeat(5000)
        );
        let mut request = Request::new(deep);
        assert_eq!(
            code_of(judge(&mut request, true)).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
        let mut request = Request::new("subscription { sessionEvents { kind ");
        assert_eq!(
            code_of(judge(&mut request, true)).as_deref(),
            Some("GRAPHQL_PARSE_FAILED")
        );
    }

    #[test]
    fn introspection_is_refused_when_off() {
        let mut request =
            Request::new("subscription { sessionEvents { kind } __schema { types { name } } }");
        assert!(judge(&mut request, true).is_ok());
        let mut request =
            Request::new("subscription { sessionEvents { kind } __schema { types { name } } }");
        assert_eq!(
            code_of(judge(&mut request, false)).as_deref(),
            Some("GRAPHQL_VALIDATION_FAILED")
        );
    }
}
