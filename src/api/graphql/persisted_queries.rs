//! Automatic persisted queries (Apollo's protocol): a client sends a
//! document's SHA-256 in `extensions.persistedQuery` and no `query`; this
//! replica runs the document it was sent under that hash before, or answers
//! `PERSISTED_QUERY_NOT_FOUND`, and the client sends the hash again with the
//! document, which registers it. A hash-only `GET` of a query can then be
//! cached by a CDN.
//!
//! Each replica keeps what it was sent, in memory and bounded (entries and
//! bytes): a replica that never saw a hash, or forgot it, answers not found
//! and the client's retry with the document puts it back. The store follows
//! `BoundedMap`'s policy (forget everything when full) for the same reason:
//! what it keeps costs one round trip to get again. A flood of new
//! documents can only make clients send theirs again.
//!
//! A request is resolved here before anything else looks at its document,
//! so a hash-only request is judged (password fields, nesting, admission)
//! exactly as the document it names would be.
//!
//! Written by hand: async-graphql's `ApolloPersistedQueries` extension runs
//! inside one operation, after the transport's checks of the document, and
//! neither checks that a sent document matches its hash nor answers the
//! contract's codes.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Request, ServerError};
use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::api::graphql::error_codes::with_code;
use crate::core::mail::seal::hex;
use crate::error::Code;

/// Most documents a replica keeps.
const MOST_DOCUMENTS: usize = 1_000;
/// Most bytes of documents a replica keeps (a document is at most the
/// 64 KiB of a request body).
const MOST_BYTES: usize = 8 * 1024 * 1024;

/// The message Apollo's clients look for (besides the code) to send the
/// document again.
const NOT_FOUND_MESSAGE: &str = "PersistedQueryNotFound";

/// The documents this replica was sent, by hash.
#[derive(Default)]
pub(crate) struct PersistedQueries {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    documents: HashMap<String, Arc<str>>,
    bytes: usize,
}

/// What `extensions.persistedQuery` holds.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: u32,
    sha256_hash: String,
}

impl PersistedQueries {
    /// The request to run: `request` itself when it names no persisted
    /// query; with the document kept under its hash when it sends the hash
    /// alone; `request` again, its document now kept, when it sends both and
    /// they match. Refused otherwise (nothing runs): an unknown hash
    /// (`PERSISTED_QUERY_NOT_FOUND`), a document that is not the hash's, an
    /// unreadable extension or another version (`BAD_USER_INPUT`).
    pub(crate) fn resolve(&self, mut request: Request) -> Result<Request, ServerError> {
        let Some(extension) = request.extensions.get("persistedQuery") else {
            return Ok(request);
        };
        let named = extension
            .clone()
            .into_json()
            .ok()
            .and_then(|json| serde_json::from_value::<PersistedQuery>(json).ok())
            .ok_or_else(|| {
                refusal(
                    "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<hex>\"}",
                    Code::BadUserInput,
                )
            })?;
        if named.version != 1 {
            return Err(refusal(
                "only version 1 of persisted queries is supported",
                Code::BadUserInput,
            ));
        }
        if request.query.is_empty() {
            let document = self
                .kept
                .lock()
                .documents
                .get(&named.sha256_hash)
                .cloned()
                .ok_or_else(|| refusal(NOT_FOUND_MESSAGE, Code::PersistedQueryNotFound))?;
            request.query = document.to_string();
            return Ok(request);
        }
        if sha256_hex(&request.query) != named.sha256_hash {
            return Err(refusal(
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query (lower-case hex)",
                Code::BadUserInput,
            ));
        }
        self.keep(named.sha256_hash, &request.query);
        Ok(request)
    }

    fn keep(&self, hash: String, document: &str) {
        let mut kept = self.kept.lock();
        if kept.documents.contains_key(&hash) {
            return;
        }
        if kept.documents.len() >= MOST_DOCUMENTS || kept.bytes + document.len() > MOST_BYTES {
            kept.documents.clear();
            kept.bytes = 0;
        }
        kept.bytes += document.len();
        kept.documents.insert(hash, Arc::from(document));
    }
}

fn refusal(message: &str, code: Code) -> ServerError {
    with_code(ServerError::new(message, None), code)
}

/// A document's SHA-256 as Apollo's clients write it: lower-case hex.
fn sha256_hex(document: &str) -> String {
    hex(&Sha256::digest(document.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_hash(query: &str, hash: &str) -> Request {
        let extension = serde_json::json!({"version": 1, "sha256Hash": hash});
        let mut request = Request::new(query);
        request.extensions.insert(
            "persistedQuery".into(),
            async_graphql::Value::from_json(extension).expect("a value"),
        );
        request
    }

    #[test]
    fn the_hash_is_lower_case_hex_sha256() {
        // SHA-256 of "abc" (FIPS 180-2's example).
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn a_store_past_its_bounds_starts_over() {
        let store = PersistedQueries::default();
        for n in 0..MOST_DOCUMENTS {
            let query = format!("{{ me {{ id }} }} # {n}");
            store
                .resolve(with_hash(&query, &sha256_hex(&query)))
                .expect("registered");
        }
        let first = "{ me { id } } # 0";
        assert!(store.resolve(with_hash("", &sha256_hex(first))).is_ok());
        let next = "{ me { userName } }";
        store
            .resolve(with_hash(next, &sha256_hex(next)))
            .expect("registered");
        assert!(store.resolve(with_hash("", &sha256_hex(first))).is_err());
        assert_eq!(
            store
                .resolve(with_hash("", &sha256_hex(next)))
                .expect("kept")
                .query,
            next
        );
        assert_eq!(store.kept.lock().documents.len(), 1);
        assert_eq!(store.kept.lock().bytes, next.len());
    }
}
