//! What is refused before a document reaches the schema's validation and
//! execution, whatever the transport: [`admit`] is the one entry point
//! (POST and GET `/graphql` and the WebSocket's `subscribe` all call it). In
//! order: nesting deeper than the parser can take, the parse, introspection
//! when it is turned off, and what the document expands to.
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
//!
//! A document declaring more than [`MAX_VARIABLES`] variables is refused too.
//!
//! Then the document is judged as its fragments expand (`expansion`), in
//! time linear in the document: an expanded depth past `MAX_DEPTH`, nesting
//! past [`MAX_NESTING`] or more than `MAX_EXPANDED_SELECTIONS` selections is
//! refused with `GRAPHQL_VALIDATION_FAILED` before async-graphql's own
//! validation, which expands every spread in place, ever sees it.
//!
//! Measured through `POST /graphql` on the debug build, on a 2-core machine
//! shared with other builds (best of 5; release parses about 5 to 10 times
//! faster): before, two 887-byte 2^22 documents took 16.8 s each and held
//! `/healthz` for 16.3 s; now 2^22, 2^30, the `__typename`-only 2^20 and
//! 64^4 are refused in 7 to 15 ms and `/healthz` answers in 37 ms while two
//! 2^30 documents arrive. What is left is linear and is mostly the parse of
//! a long document: the slowest admitted documents of at most 64 KiB were a
//! list of 30,000 numbers (607 ms, 625 ms of it the parse alone when timed
//! apart), 1,900 operations (230 ms), 5,000 unused variables (333 ms, 194
//! ms parsing, before [`MAX_VARIABLES`]) and 2,040 aliased fields (149 ms); under the selection cap,
//! async-graphql's own validation of spreads is no longer what costs (500
//! sets spreading one fragment: 100 ms, mostly the parse). Documents over 4
//! KiB are therefore judged on a blocking thread (`http::graphql`), not on
//! an async worker.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, ServerError};

use crate::api::graphql::MAX_DEPTH;
use crate::api::graphql::error_codes::with_code;
use crate::api::graphql::expansion::{MAX_EXPANDED_SELECTIONS, Unjudgeable, expand};
pub(crate) use crate::api::graphql::nesting::MAX_NESTING;
use crate::api::graphql::nesting::NestingRefusal;
use crate::error::Code;

/// Admits `request` to the schema, or says why not. Its document is parsed
/// here (unless already given, as `parsed_documents` does for a document
/// seen before) and stays on the request, so the schema does not parse it
/// again.
pub(crate) fn admit(request: &mut Request, introspection_enabled: bool) -> Result<(), ServerError> {
    check_nesting(&request.query)?;
    let document = request
        .parsed_query()
        .map_err(|error| with_code(error, Code::GraphqlParseFailed))?;
    if !introspection_enabled {
        check_no_introspection(document)?;
    }
    check_variables(document)?;
    check_expansion(document)
}

/// Documents longer than this are judged on a blocking thread rather than on
/// an async worker: the parse is linear, but a 64 KiB document still costs
/// milliseconds of it (tens under load), which would hold every request or
/// socket queued on that worker. A short one is judged in place (a kept one
/// is not even parsed), where a thread hand-off would cost more than the
/// judging.
const JUDGED_IN_PLACE_BYTES: usize = 4096;

/// Runs `verdict` (the transport's rules around [`admit`]) on `request`, on
/// a blocking thread when the document is long; every transport judges
/// through here. The request comes back, parsed when it was admitted.
pub(crate) async fn judge_off_workers(
    request: Request,
    verdict: impl FnOnce(&mut Request) -> Result<(), ServerError> + Send + 'static,
) -> (Request, Result<(), ServerError>) {
    judge_many_off_workers(vec![request], move |requests| match requests {
        [request] => verdict(request),
        _ => Ok(()),
    })
    .await
    .map(|(mut requests, verdict)| {
        let request = requests
            .pop()
            .unwrap_or_else(|| Request::new(String::new()));
        (request, verdict)
    })
    .unwrap_or_else(|refused| (Request::new(String::new()), Err(refused)))
}

/// As [`judge_off_workers`], for the documents of a batch judged together
/// (such as the one-password-field rule, which counts over the batch): on a
/// blocking thread when they are long in all. Err when the thread failed.
pub(crate) async fn judge_many_off_workers(
    mut requests: Vec<Request>,
    verdict: impl FnOnce(&mut [Request]) -> Result<(), ServerError> + Send + 'static,
) -> Result<(Vec<Request>, Result<(), ServerError>), ServerError> {
    let bytes: usize = requests.iter().map(|request| request.query.len()).sum();
    if bytes <= JUDGED_IN_PLACE_BYTES {
        let judged = verdict(&mut requests);
        return Ok((requests, judged));
    }
    tokio::task::spawn_blocking(move || {
        let judged = verdict(&mut requests);
        (requests, judged)
    })
    .await
    .map_err(|error| {
        tracing::error!(%error, "judging a document failed");
        refusal(
            "internal server error".to_owned(),
            Code::InternalServerError,
        )
    })
}

/// Most variables a document may declare, over all its operations. No
/// client needs more; 5,000 unused ones (59 KB) took async-graphql's
/// validation about 140 ms of a worker on the debug build, and drew 5,000
/// errors.
pub(crate) const MAX_VARIABLES: usize = 256;

/// Refuses a document declaring more than [`MAX_VARIABLES`] variables.
fn check_variables(document: &ExecutableDocument) -> Result<(), ServerError> {
    let declared: usize = document
        .operations
        .iter()
        .map(|(_, operation)| operation.node.variable_definitions.len())
        .sum();
    if declared > MAX_VARIABLES {
        return Err(refusal(
            format!("a document declares at most {MAX_VARIABLES} variables"),
            Code::GraphqlValidationFailed,
        ));
    }
    Ok(())
}

/// Refuses a document whose expansion passes the depth, nesting or
/// selection bounds, or whose fragments spread each other in a cycle.
pub(crate) fn check_expansion(document: &ExecutableDocument) -> Result<(), ServerError> {
    let judged = match expand(document) {
        Ok(judged) => judged,
        Err(Unjudgeable::Cycle(names)) => {
            return Err(refusal(
                format!(
                    "the fragments {} spread each other in a cycle",
                    names.join(", ")
                ),
                Code::GraphqlValidationFailed,
            ));
        }
    };
    let deepest = judged.deepest();
    let too_much = if deepest.depth > MAX_DEPTH {
        Some(format!(
            "Query is nested too deep: fields nest past {MAX_DEPTH} levels once fragments are spread"
        ))
    } else if deepest.nesting > MAX_NESTING {
        Some(format!(
            "the selections nest past {MAX_NESTING} levels once fragments are spread"
        ))
    } else if judged.total_selections > MAX_EXPANDED_SELECTIONS {
        Some(format!(
            "Query is too complex: it selects more than {MAX_EXPANDED_SELECTIONS} fields once fragments are spread"
        ))
    } else {
        None
    };
    match too_much {
        Some(message) => Err(refusal(message, Code::GraphqlValidationFailed)),
        None => Ok(()),
    }
}

/// Stack of every thread of the service's runtime: enough for
/// async-graphql's parser to take any document the transports let in (64
/// KiB) however it nests, so that no path, not even one that forgot
/// [`admit`], can overflow a stack on a deep document and abort the process.
///
/// The nesting scan is the bound that keeps deep documents from everything
/// after the parse: [`admit`] runs it first, and the schema's parse hook
/// (`error_codes`) runs it again on every request that reaches the schema,
/// parsed or not, before async-graphql parses, validates or runs it. This
/// stack is the backstop for the parse itself. pest (the parser's engine)
/// guards its own recursion, failing with "stack limit reached" when less
/// than 64 KiB of stack is left, but async-graphql-parser turns its output
/// into values by a recursion of its own, about three times as deep in
/// bytes per level, that nothing guards: on a 2 MiB stack (tokio's default)
/// a list nested 1,700 to 4,000 deep (3 to 8 KB) aborted the process; past
/// that pest refused first. pest's call limit could not bound it: the
/// limit counts calls over the whole parse, and a legitimate 64 KiB
/// document needs more (370,000 for 4,300 aliased fields, 1.3 million for a
/// list of 32,000 numbers) than a 1,500-deep list (155,000). Measured with
/// async-graphql-parser 7.2.1 on the deepest 64 KiB documents (a list
/// 32,000 deep; objects 16,000 deep; the two mixed): the release build
/// parses all three on 64 MiB and overflows on 32 MiB; the debug build
/// needs 256 MiB and overflows on 128 MiB. Each is doubled here. The
/// size is address space: only the pages a deep parse touches are ever
/// resident.
pub(crate) const THREAD_STACK_BYTES: usize = if cfg!(debug_assertions) {
    512 << 20
} else {
    128 << 20
};

/// Refuses a document nested past [`MAX_NESTING`] before it is parsed (see
/// `nesting`), as a GraphQL error.
pub(crate) fn check_nesting(document: &str) -> Result<(), ServerError> {
    crate::api::graphql::nesting::check_nesting(document)
        .map_err(|NestingRefusal(message, code)| refusal(message, code))
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

/// Documents that expand far past every bound from a few hundred bytes
/// (the attacks a security review sent), for tests here and in `tests/api`.
#[cfg(test)]
pub(crate) mod attacks {
    /// `{ me { ...F0 } }` where each fragment spreads the next twice: 2^levels
    /// copies of `leaf`.
    pub(crate) fn doubling(levels: usize, on: &str, leaf: &str) -> String {
        let root = if on == "User" {
            "{ me { ...F0 } }"
        } else {
            "{ ...F0 }"
        };
        let mut document = String::from(root);
        for level in 0..levels {
            let next = level + 1;
            document.push_str(&format!(
                " fragment F{level} on {on} {{ ...F{next} ...F{next} }}"
            ));
        }
        document.push_str(&format!(" fragment F{levels} on {on} {{ {leaf} }}"));
        document
    }

    /// Four levels of fragments each spreading the next 64 times: 64^4.
    pub(crate) fn wide() -> String {
        let mut document = String::from("{ me { ...L0 } }");
        for level in 0..4 {
            let spreads = vec![format!("...L{}", level + 1); 64].join(" ");
            document.push_str(&format!(" fragment L{level} on User {{ {spreads} }}"));
        }
        document.push_str(" fragment L4 on User { id }");
        document
    }

    /// An operation declaring `count` variables it never uses.
    pub(crate) fn unused_variables(count: usize) -> String {
        let variables: Vec<String> = (0..count).map(|n| format!("$v{n}: Int")).collect();
        format!("query Q({}) {{ __typename }}", variables.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query GraphiQL sends on load, as `tests/api/http.rs` has it.
    const GRAPHIQL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name
    ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}"#;

    fn admitted(document: &str) -> Result<(), ServerError> {
        admit(&mut Request::new(document), true)
    }

    fn refusal_code(document: &str) -> String {
        let error = admitted(document).expect_err("refused");
        let code = error.source::<Code>().expect("a code");
        code.as_str().to_owned()
    }

    #[test]
    fn spreads_that_double_are_refused_without_expanding_them() {
        for document in [
            attacks::doubling(30, "User", "id"),
            attacks::doubling(20, "Query", "__typename"),
            attacks::doubling(200, "User", "id"),
            attacks::wide(),
        ] {
            let started = std::time::Instant::now();
            assert_eq!(refusal_code(&document), "GRAPHQL_VALIDATION_FAILED");
            // A hang check: expanding any of these takes minutes.
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
    }

    #[test]
    fn depth_and_nesting_count_through_spreads() {
        let deep_fields = format!(
            "{{ __schema {{ ...T0 }} }} {} fragment T15 on __Type {{ name }}",
            (0..15)
                .map(|n| format!("fragment T{n} on __Type {{ ofType {{ ...T{} }} }}", n + 1))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert!(admitted(&deep_fields).is_err(), "17 fields deep");
        let chain = format!(
            "{{ me {{ ...C0 }} }} {} fragment C40 on User {{ id }}",
            (0..40)
                .map(|n| format!("fragment C{n} on User {{ ...C{} }}", n + 1))
                .collect::<Vec<_>>()
                .join(" ")
        );
        assert_eq!(refusal_code(&chain), "GRAPHQL_VALIDATION_FAILED");
        assert!(admitted("{ me { ...A } } fragment A on User { id userName }").is_ok());
    }

    #[test]
    fn cycles_unknown_fragments_and_bad_syntax() {
        let cycle = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert_eq!(refusal_code(cycle), "GRAPHQL_VALIDATION_FAILED");
        // Unknown fragments are validation's to refuse, with its message.
        assert!(admitted("{ me { ...Nowhere } }").is_ok());
        assert_eq!(refusal_code("{ me { id "), "GRAPHQL_PARSE_FAILED");
    }

    #[test]
    fn graphiql_introspection_is_admitted_and_turned_off_when_asked() {
        let document = GRAPHIQL_INTROSPECTION;
        assert!(admitted(document).is_ok());
        let judged = crate::api::graphql::expansion::expand(
            &async_graphql::parser::parse_query(document).expect("parses"),
        )
        .expect("no cycle");
        eprintln!("GraphiQL introspection: {judged:?}");
        let error = admit(&mut Request::new(document), false).expect_err("refused");
        assert!(error.message.contains("introspection"));
    }

    /// The backstop: async-graphql's own parser (not [`admit`]) takes the
    /// deepest documents of 60 KB on a thread with the runtime's stack.
    #[test]
    fn the_parser_takes_any_deep_document_on_the_runtimes_stack() {
        let levels = 30_000;
        let documents = [
            // Deep enough for pest, too deep for the parser's own recursion
            // on tokio's 2 MiB: this one aborted the process.
            format!("{{ a(x: {}1{}) }}", "[".repeat(3000), "]".repeat(3000)),
            format!("{{ a(x: {}1{}) }}", "[".repeat(levels), "]".repeat(levels)),
            format!(
                "{{ a(x: {}1{}) }}",
                "{a:".repeat(levels / 2),
                "}".repeat(levels / 2)
            ),
            format!("{}{}", "{ a ".repeat(levels / 2), "}".repeat(levels / 2)),
        ];
        let parsed = std::thread::Builder::new()
            .stack_size(THREAD_STACK_BYTES)
            .spawn(move || {
                documents
                    .iter()
                    .map(|document| async_graphql::parser::parse_query(document).is_ok())
                    .collect::<Vec<_>>()
            })
            .expect("a thread")
            .join()
            .expect("no overflow");
        // Syntax it is; only the selection sets hit the parser's own bound.
        assert_eq!(parsed, [true, true, true, false]);
    }

    #[test]
    fn many_variables_are_refused_before_validation() {
        assert_eq!(
            refusal_code(&attacks::unused_variables(5000)),
            "GRAPHQL_VALIDATION_FAILED"
        );
        assert_eq!(
            refusal_code(&attacks::unused_variables(MAX_VARIABLES + 1)),
            "GRAPHQL_VALIDATION_FAILED"
        );
        // Unused, but few: validation's to refuse, one error each.
        assert!(admitted(&attacks::unused_variables(MAX_VARIABLES)).is_ok());
    }
}
