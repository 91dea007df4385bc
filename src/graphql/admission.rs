//! What is refused before a document reaches the schema: nesting deeper than
//! the parser can take, and introspection when it is turned off.
//!
//! The GraphQL parser recurses once per nested selection set, list or object
//! and gives up past its own bound with a parse error, although such a
//! document is valid syntax that is merely too deep; a much deeper one could
//! exhaust the stack first. So the text is scanned for its bracket depth
//! before anything parses it: balanced but too deep is a validation error, as
//! the depth limit's own refusals are; unbalanced is a syntax error.
//!
//! With introspection off, async-graphql answers `__schema` and `__type` with
//! null; the contract wants them refused, so the parsed document is searched
//! for them (in operations and fragments alike). `__typename` stays allowed.

use async_graphql::ServerError;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

use crate::error::Code;
use crate::graphql::error_codes::with_code;

/// Deepest bracket nesting (`{`, `[`, `(`) parsed at all. The parser's own
/// recursion limits begin at 32 levels; the schema's depth limit (16) is below.
pub(crate) const MAX_NESTING: usize = 32;

/// How far a document's brackets nest, or None when they do not balance.
/// Brackets inside strings, block strings and comments do not count.
fn bracket_depth(document: &str) -> Option<usize> {
    let bytes = document.as_bytes();
    let mut open: Vec<u8> = Vec::new();
    let mut deepest = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                loop {
                    if i >= bytes.len() {
                        return None;
                    }
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 2;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') | Some(b'\r') => return None,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
            }
            opener @ (b'{' | b'[' | b'(') => {
                open.push(opener);
                deepest = deepest.max(open.len());
            }
            closer @ (b'}' | b']' | b')') => {
                let expected = match closer {
                    b'}' => b'{',
                    b']' => b'[',
                    _ => b'(',
                };
                if open.pop() != Some(expected) {
                    return None;
                }
            }
            _ => {}
        }
        i += 1;
    }
    open.is_empty().then_some(deepest)
}

/// Refuses a document nested past [`MAX_NESTING`] before it is parsed. One
/// that does not balance is left to the parser, which reports the syntax
/// error, unless it is also too deep to parse safely.
pub(crate) fn check_nesting(document: &str) -> Result<(), ServerError> {
    match bracket_depth(document) {
        Some(depth) if depth <= MAX_NESTING => Ok(()),
        Some(_) => Err(refusal(
            format!("the document nests deeper than {MAX_NESTING} levels"),
            Code::GraphqlValidationFailed,
        )),
        None => {
            // Unbalanced: a syntax error. Parse only if it cannot be deep.
            let openers = document.bytes().filter(|b| b"{[(".contains(b)).count();
            if openers <= MAX_NESTING {
                Ok(())
            } else {
                Err(refusal(
                    "the document's brackets do not balance".to_owned(),
                    Code::GraphqlParseFailed,
                ))
            }
        }
    }
}

/// Judges a request before it runs, whatever the transport: the nesting
/// scan before anything parses it, then the parse (kept in the request, so
/// that the schema does not parse it again), then introspection when it is
/// turned off.
// placeholder: merged with the admission helper's body
pub(crate) fn admit(
    request: &mut async_graphql::Request,
    introspection_enabled: bool,
) -> Result<(), ServerError> {
    check_nesting(&request.query)?;
    let document = request
        .parsed_query()
        .map_err(|error| with_code(error, Code::GraphqlParseFailed))?;
    if !introspection_enabled {
        check_no_introspection(document)?;
    }
    Ok(())
}

/// Refuses `__schema` and `__type` anywhere in the document.
pub(crate) fn check_no_introspection(document: &ExecutableDocument) -> Result<(), ServerError> {
    let mut pending: Vec<&SelectionSet> = document
        .operations
        .iter()
        .map(|(_, operation)| &operation.node.selection_set.node)
        .chain(
            document
                .fragments
                .values()
                .map(|fragment| &fragment.node.selection_set.node),
        )
        .collect();
    while let Some(set) = pending.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name == "__schema" || name == "__type" {
                        return Err(refusal(
                            format!("introspection is turned off: {name} is not allowed"),
                            Code::GraphqlValidationFailed,
                        ));
                    }
                    pending.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    pending.push(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    Ok(())
}

fn refusal(message: String, code: Code) -> ServerError {
    with_code(ServerError::new(message, None), code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_brackets_outside_strings_and_comments() {
        assert_eq!(bracket_depth("{ me { id } }"), Some(2));
        assert_eq!(bracket_depth("{ a(x: [[1]]) }"), Some(4));
        assert_eq!(bracket_depth("{ a(x: \"{{{{\") } # {{{{"), Some(2));
        assert_eq!(
            bracket_depth("{ a(x: \"\"\" {{ \\\"\"\" {{ \"\"\") }"),
            Some(2)
        );
        assert_eq!(bracket_depth("{ a(x: \"\\\"{\") }"), Some(2));
        assert_eq!(bracket_depth("{ me { id }"), None);
        assert_eq!(bracket_depth("{ me ) }"), None);
        assert_eq!(bracket_depth("{ a(x: \"open) }"), None);
    }
}
