//! Parsed documents, kept by their text. Clients send the same few
//! documents again and again (a generated client sends nothing else), and
//! async-graphql's parser was the largest single cost of a small request
//! under callgrind (about 32,000 instructions for `{ __typename }` and 65,000
//! for `{ me { id userName } }`, against a few thousand to clone the parsed
//! document). A document found here is handed to async-graphql already
//! parsed; validation, depth and complexity limits still run on every request.
//!
//! Written by hand because the policy is this small: only documents that
//! parsed, at most [`MAX_DOCUMENT_BYTES`] long, at most [`MAX_DOCUMENTS`] of
//! them; when it is full it starts over, so a client that sends endless new
//! documents costs everyone only the parse they would have paid anyway.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;

/// Most documents kept.
pub(crate) const MAX_DOCUMENTS: usize = 256;
/// Longest document text kept, in bytes.
pub(crate) const MAX_DOCUMENT_BYTES: usize = 4096;

/// The documents of one process.
#[derive(Default)]
pub(crate) struct ParsedDocuments {
    by_text: Mutex<HashMap<String, ExecutableDocument>>,
}

impl ParsedDocuments {
    /// Gives `request` its parsed document: the kept one when its text was
    /// seen before, else the parser's (kept for next time when it parsed).
    /// A document that does not parse is left for async-graphql to answer.
    pub(crate) fn prepare(&self, request: &mut Request) {
        if request.query.len() > MAX_DOCUMENT_BYTES {
            return;
        }
        let kept = self.lock().get(&request.query).cloned();
        match kept {
            Some(document) => request.set_parsed_query(document),
            None => {
                let Ok(document) = request.parsed_query() else {
                    return;
                };
                let document = document.clone();
                let mut by_text = self.lock();
                if by_text.len() >= MAX_DOCUMENTS {
                    by_text.clear();
                }
                by_text.insert(request.query.clone(), document);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, ExecutableDocument>> {
        self.by_text.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(documents: &ParsedDocuments) -> usize {
        documents.lock().len()
    }

    #[test]
    fn a_document_is_parsed_once_and_then_served_kept() {
        let documents = ParsedDocuments::default();
        let mut first = Request::new("{ me { id } }");
        documents.prepare(&mut first);
        assert_eq!(kept(&documents), 1);
        let mut again = Request::new("{ me { id } }");
        documents.prepare(&mut again);
        assert_eq!(kept(&documents), 1);
        let document = again.parsed_query().expect("parsed");
        assert_eq!(document.operations.iter().count(), 1);
    }

    #[test]
    fn documents_that_do_not_parse_or_are_long_are_not_kept() {
        let documents = ParsedDocuments::default();
        documents.prepare(&mut Request::new("{ me { id "));
        let long = format!("{{ {} }}", "me ".repeat(MAX_DOCUMENT_BYTES));
        documents.prepare(&mut Request::new(long));
        assert_eq!(kept(&documents), 0);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let documents = ParsedDocuments::default();
        for n in 0..MAX_DOCUMENTS {
            documents.prepare(&mut Request::new(format!("{{ a{n}: __typename }}")));
        }
        assert_eq!(kept(&documents), MAX_DOCUMENTS);
        documents.prepare(&mut Request::new("{ __typename }"));
        assert_eq!(kept(&documents), 1);
    }
}
