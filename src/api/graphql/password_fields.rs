//! At most one field that checks a password, a code or a passkey per
//! request, a batch included, decided before any of it runs.
//!
//! Each such field costs an Argon2id check (or a code guess). Aliases let one
//! document hold hundreds of them within the complexity bound, and a batch
//! multiplies that by its operations: one small request would then run
//! thousands of checks (and, with the sender's own account, open as many
//! sessions). So the fields are counted in every operation that would run,
//! through aliases, fragment spreads and inline fragments on the root, and a
//! request holding more than one is refused whole.
//!
//! Fragments are counted once each (a spread adds its fragment's count, kept
//! from the first time), so a document of fragments that spread into each
//! other costs time in proportion to its size; a spread cycle counts nothing
//! the second time round (validation refuses the document anyway).

use std::collections::HashMap;

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, ServerError};

use crate::api::graphql::error_codes::with_code;
use crate::api::graphql::operation;
use crate::error::Code;

/// Root fields that check a password, a code or a passkey (some are still to
/// come; they are listed so that they are covered the day they exist).
pub(crate) const PASSWORD_CHECKING_FIELDS: [&str; 8] = [
    "login",
    "changePassword",
    "signUp",
    "resetPassword",
    "completeLogin",
    "reauthenticate",
    "confirmTotp",
    "finishPasskeyLogin",
];

/// Most password-checking fields in one request.
pub(crate) const MAX_PER_REQUEST: usize = 1;

/// How many password-checking fields the operation that `operation_name`
/// selects in `document` would run. None selected (a name that matches
/// nothing, or several operations and no name) runs nothing: 0.
pub(crate) fn count(document: &ExecutableDocument, operation_name: Option<&str>) -> usize {
    let Some(selected) = operation::selected(&document.operations, operation_name) else {
        return 0;
    };
    let mut counter = Counter {
        document,
        fragments: HashMap::new(),
    };
    counter.in_selection_set(&selected.node.selection_set.node)
}

/// Refuses a request whose operations hold more than one such field in all.
pub(crate) fn check_total(total: usize) -> Result<(), ServerError> {
    if total <= MAX_PER_REQUEST {
        return Ok(());
    }
    let message = format!(
        "a request (a batch included) may hold at most one field that checks a password, \
         a code or a passkey ({}); this one holds {total}",
        PASSWORD_CHECKING_FIELDS.join(", ")
    );
    Err(with_code(
        ServerError::new(message, None),
        Code::GraphqlValidationFailed,
    ))
}

/// What a fragment's root selections count; `InProgress` while it is being
/// counted, so that a spread cycle ends.
#[derive(Clone, Copy)]
enum Known {
    InProgress,
    Counted(usize),
}

struct Counter<'a> {
    document: &'a ExecutableDocument,
    fragments: HashMap<&'a Name, Known>,
}

impl<'a> Counter<'a> {
    fn in_selection_set(&mut self, set: &'a SelectionSet) -> usize {
        set.items
            .iter()
            .fold(0usize, |total, item| match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let checks = PASSWORD_CHECKING_FIELDS.contains(&name);
                    total.saturating_add(usize::from(checks))
                }
                Selection::InlineFragment(inline) => {
                    total.saturating_add(self.in_selection_set(&inline.node.selection_set.node))
                }
                Selection::FragmentSpread(spread) => {
                    total.saturating_add(self.in_fragment(&spread.node.fragment_name.node))
                }
            })
    }

    fn in_fragment(&mut self, name: &'a Name) -> usize {
        match self.fragments.get(name) {
            Some(Known::Counted(count)) => return *count,
            Some(Known::InProgress) => return 0,
            None => {}
        }
        let Some(fragment) = self.document.fragments.get(name) else {
            // An unknown fragment: validation refuses the document.
            return 0;
        };
        self.fragments.insert(name, Known::InProgress);
        let count = self.in_selection_set(&fragment.node.selection_set.node);
        self.fragments.insert(name, Known::Counted(count));
        count
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn counted(document: &str) -> usize {
        count(&parse_query(document).unwrap(), None)
    }

    #[test]
    fn aliases_fragments_and_inline_fragments_all_count() {
        assert_eq!(counted("mutation { login(input: {}) { tokenType } }"), 1);
        assert_eq!(
            counted("mutation { a: login(x: 1) { t } b: login(x: 2) { t } }"),
            2
        );
        assert_eq!(
            counted(
                "mutation { ...F } fragment F on Mutation { a: login(x: 1) { t } b: login(x: 2) { t } }"
            ),
            2
        );
        assert_eq!(
            counted("mutation { ... on Mutation { changePassword(x: 1) } login(x: 2) { t } }"),
            2
        );
        assert_eq!(counted("mutation { logout refreshToken(x: 1) { t } }"), 0);
        // A field named like one but below the root is not a root field.
        assert_eq!(counted("{ me { login } }"), 0);
    }

    #[test]
    fn fragments_that_spread_into_each_other_are_counted_once_each() {
        let mut document = String::from("mutation { ...F0 }");
        for level in 0..40 {
            let next = level + 1;
            document.push_str(&format!(
                " fragment F{level} on Mutation {{ ...F{next} ...F{next} }}"
            ));
        }
        document.push_str(" fragment F40 on Mutation { login(x: 1) { t } }");
        // 2^40 spreads, saturating rather than expanded.
        assert!(counted(&document) > MAX_PER_REQUEST);
        assert_eq!(
            counted(
                "mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ...A login(x: 1) { t } }"
            ),
            1
        );
    }

    #[test]
    fn only_the_operation_that_runs_counts() {
        let document = parse_query(
            "mutation One { login(x: 1) { t } } mutation Two { a: login(x: 1) { t } b: login(x: 1) { t } }",
        )
        .unwrap();
        assert_eq!(count(&document, Some("One")), 1);
        assert_eq!(count(&document, Some("Two")), 2);
        assert_eq!(count(&document, None), 0);
        assert!(check_total(1).is_ok());
        assert!(check_total(2).is_err());
    }
}
