//! A short, bounded label for an operation, for logs and metrics: the root
//! fields it selects (`login`, `me+mySessions`), never client-chosen text.

use async_graphql::Positioned;
use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationDefinition, Selection};

/// Root fields the schema has; anything else is labelled "unknown".
pub const KNOWN_ROOT_FIELDS: [&str; 10] = [
    "login",
    "refreshToken",
    "logout",
    "logoutSession",
    "logoutAll",
    "me",
    "mySessions",
    "__typename",
    "__schema",
    "__type",
];

/// The operation a document runs for `operation_name`, as async-graphql
/// picks it; None when the name matches nothing, or is missing and several
/// operations are defined.
pub fn selected<'a>(
    operations: &'a DocumentOperations,
    operation_name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (operations, operation_name) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations
            .iter()
            .find(|(op_name, _)| op_name.as_str() == name)
            .map(|(_, operation)| operation),
        // One named operation and no operationName: that one runs.
        (DocumentOperations::Multiple(operations), None) if operations.len() == 1 => {
            operations.values().next()
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The label of the operation a request selects ("invalid" when it does not parse).
pub fn label(request: &mut Request) -> String {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return "invalid".into();
    };
    let operation = selected(&document.operations, operation_name.as_deref());
    let Some(operation) = operation else {
        return "invalid".into();
    };
    let mut fields: Vec<&str> = operation
        .node
        .selection_set
        .node
        .items
        .iter()
        .map(|selection| match &selection.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                KNOWN_ROOT_FIELDS
                    .iter()
                    .copied()
                    .find(|known| *known == name)
                    .unwrap_or("unknown")
            }
            Selection::FragmentSpread(_) | Selection::InlineFragment(_) => "fragment",
        })
        .collect();
    fields.sort_unstable();
    fields.dedup();
    fields.join("+")
}
