//! Parsed documents, kept by their text. Clients send the same few
//! documents again and again (a generated client sends nothing else), and
//! async-graphql's parser was the largest single cost of a small request
//! under callgrind (about 32,000 instructions for `{ __typename }` and 65,000
//! for `{ me { id userName } }`, against a few thousand to clone the parsed
//! document). A document found here is handed to async-graphql already
//! parsed.
//!
//! Validation was next (about 19,000 instructions of a `me`). Its answer
//! depends on nothing but the schema, the document, the operation name and
//! the variables, so a document kept here also remembers the operation names
//! it passed validation with and no variables; a request that sends the same
//! again is run by the schema in async-graphql's fast validation mode, which
//! skips those rules but still holds it to the depth and complexity limits.
//! A request with variables, or a document that has not passed yet, is
//! validated in full. Only documents that `admission::admit` admitted are
//! kept, so a kept one skips the parse, not the admission: it is judged
//! again (a scan and a walk, linear and small) on every request.
//!
//! Kept: only documents that were admitted, at most [`MAX_DOCUMENT_BYTES`]
//! long, at most [`MAX_DOCUMENTS`] of them; when it is full it starts over
//! ([`BoundedMap`], which says why that is written by hand), so a client that
//! sends endless new documents costs everyone only the parse they would have
//! paid anyway.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

use crate::core::bounded_map::BoundedMap;

/// Most documents kept.
pub(crate) const MAX_DOCUMENTS: usize = 256;
/// Longest document text kept, in bytes.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 4096;

/// The documents of one process.
#[derive(Default)]
pub(crate) struct ParsedDocuments {
    by_text: BoundedMap<String, Kept, MAX_DOCUMENTS>,
}

/// A kept document and what it is known to pass.
struct Kept {
    document: ExecutableDocument,
    /// Operation names (None: none given) it passed validation with, no
    /// variables sent.
    validated: Vec<Option<String>>,
}

/// Whether a prepared request still needs validating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Validation {
    /// It must be validated in full.
    Needed,
    /// The same document, operation name and (no) variables passed before.
    Passed,
}

/// Request data through which the schema's validation hook tells whether the
/// request passed (see `error_codes`).
#[derive(Clone, Default)]
pub(crate) struct ValidationWatch(Arc<AtomicBool>);

impl ValidationWatch {
    pub(crate) fn note_passed(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub(crate) fn passed(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

impl ParsedDocuments {
    /// Gives `request` its parsed document when its text was seen (and
    /// admitted) before, and tells whether it must still be validated. None:
    /// not kept; the request is left unparsed for `admission::admit`, which
    /// scans the text before any parse.
    pub(crate) fn lookup(&self, request: &mut Request) -> Option<Validation> {
        if request.query.len() > MAX_DOCUMENT_BYTES {
            return None;
        }
        let (document, passed) = self.by_text.get(&request.query).map(|kept| {
            let passed =
                request.variables.is_empty() && kept.validated.contains(&request.operation_name);
            (kept.document.clone(), passed)
        })?;
        request.set_parsed_query(document);
        Some(if passed {
            Validation::Passed
        } else {
            Validation::Needed
        })
    }

    /// Keeps the document of `request` for next time. Call it only once
    /// `admission::admit` admitted the request: its document is parsed then,
    /// and is not parsed again here.
    pub(crate) fn keep(&self, request: &mut Request) {
        if request.query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let text = request.query.clone();
        let Ok(document) = request.parsed_query() else {
            return;
        };
        let kept = Kept {
            document: document.clone(),
            validated: Vec::new(),
        };
        self.by_text.insert(text, kept);
    }

    /// Notes that `request` (sent with no variables) passed validation.
    pub(crate) fn passed_validation(&self, query: &str, operation_name: Option<&str>) {
        let name = operation_name.map(str::to_owned);
        let Some(mut kept) = self.by_text.get(query) else {
            return;
        };
        // Bounded like the document: names that fail never get here, and a
        // document names each of its operations once.
        if !kept.validated.contains(&name) && kept.validated.len() < MAX_OPERATION_NAMES {
            kept.validated.push(name);
        }
    }
}

/// Most operation names remembered as validated per document.
const MAX_OPERATION_NAMES: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(documents: &ParsedDocuments) -> usize {
        documents.by_text.len()
    }

    /// What `execute` does: a kept document, or an admitted one kept.
    fn prepare(documents: &ParsedDocuments, request: &mut Request) -> Validation {
        documents.lookup(request).unwrap_or_else(|| {
            if crate::api::graphql::admission::admit(request, true).is_ok() {
                documents.keep(request);
            }
            Validation::Needed
        })
    }

    #[test]
    fn a_document_is_parsed_once_and_then_served_kept() {
        let documents = ParsedDocuments::default();
        let mut first = Request::new("{ me { id } }");
        prepare(&documents, &mut first);
        assert_eq!(kept(&documents), 1);
        let mut again = Request::new("{ me { id } }");
        assert_eq!(documents.lookup(&mut again), Some(Validation::Needed));
        assert_eq!(kept(&documents), 1);
        let document = again.parsed_query().expect("parsed");
        assert_eq!(document.operations.iter().count(), 1);
    }

    #[test]
    fn only_what_passed_with_no_variables_skips_validation() {
        let documents = ParsedDocuments::default();
        let text = "query A { me { id } } query B { me { id } }";
        let named = |name: &str| Request::new(text).operation_name(name);
        assert_eq!(prepare(&documents, &mut named("A")), Validation::Needed);
        documents.passed_validation(text, Some("A"));
        assert_eq!(prepare(&documents, &mut named("A")), Validation::Passed);
        assert_eq!(prepare(&documents, &mut named("B")), Validation::Needed);
        assert_eq!(
            prepare(&documents, &mut Request::new(text)),
            Validation::Needed
        );
        let variables = async_graphql::Variables::from_json(serde_json::json!({ "x": 1 }));
        assert_eq!(
            prepare(&documents, &mut named("A").variables(variables)),
            Validation::Needed
        );
    }

    #[test]
    fn documents_that_do_not_parse_are_refused_or_long_are_not_kept() {
        let documents = ParsedDocuments::default();
        prepare(&documents, &mut Request::new("{ me { id "));
        let long = format!("{{ {} }}", "me ".repeat(MAX_DOCUMENT_BYTES));
        prepare(&documents, &mut Request::new(long));
        let refused = "{ me { ...F } } fragment F on User { ...F }";
        prepare(&documents, &mut Request::new(refused));
        assert_eq!(kept(&documents), 0);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let documents = ParsedDocuments::default();
        for n in 0..MAX_DOCUMENTS {
            prepare(
                &documents,
                &mut Request::new(format!("{{ a{n}: __typename }}")),
            );
        }
        assert_eq!(kept(&documents), MAX_DOCUMENTS);
        prepare(&documents, &mut Request::new("{ __typename }"));
        assert_eq!(kept(&documents), 1);
    }
}
