//! A short, bounded label for an operation, for logs and metrics: the root
//! fields it selects (`login`, `me+mySessions`), never client-chosen text.

use async_graphql::Positioned;
use async_graphql::Request;
use async_graphql::parser::types::{DocumentOperations, OperationDefinition, Selection};

/// Root fields the schema has; anything else is labelled "unknown".
pub(crate) const KNOWN_ROOT_FIELDS: [&str; 35] = [
    "login",
    "changePassword",
    "signUp",
    "verifyEmail",
    "requestEmailVerification",
    "requestPasswordReset",
    "resetPassword",
    "changeEmail",
    "reportSignIn",
    "completeLogin",
    "reauthenticate",
    "enrollTotp",
    "confirmTotp",
    "disableTotp",
    "regenerateRecoveryCodes",
    "beginPasskeyRegistration",
    "finishPasskeyRegistration",
    "beginPasskeyLogin",
    "finishPasskeyLogin",
    "renamePasskey",
    "removePasskey",
    "refreshToken",
    "logout",
    "logoutSession",
    "logoutAll",
    "me",
    "mySessions",
    "myPasskeys",
    "node",
    "mySecurityEvents",
    "sessionEvents",
    "securityEvents",
    "__typename",
    "__schema",
    "__type",
];

/// The operation a document runs for `operation_name`, as async-graphql
/// picks it; None when the name matches nothing, or is missing and several
/// operations are defined.
pub(crate) fn selected<'a>(
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
pub(crate) fn label(request: &mut Request) -> String {
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

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_schema;
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

    use super::KNOWN_ROOT_FIELDS;

    #[test]
    fn known_root_fields_are_the_schemas() {
        let document = parse_schema(crate::api::graphql::sdl()).expect("the SDL parses");
        let mut in_schema: Vec<String> = ["__typename", "__schema", "__type"]
            .map(str::to_owned)
            .to_vec();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            if !["Query", "Mutation", "Subscription"].contains(&ty.node.name.node.as_str()) {
                continue;
            }
            if let TypeKind::Object(object) = &ty.node.kind {
                in_schema.extend(object.fields.iter().map(|f| f.node.name.node.to_string()));
            }
        }
        in_schema.sort();
        let mut known: Vec<String> = KNOWN_ROOT_FIELDS.map(str::to_owned).to_vec();
        known.sort();
        assert_eq!(
            known, in_schema,
            "KNOWN_ROOT_FIELDS must list every root field"
        );
    }
}
