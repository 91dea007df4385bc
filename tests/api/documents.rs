//! The test kit's documents (`tests/support/documents`) against the schema
//! the server serves: each parses and validates, so that a document that
//! drifts from the schema fails here, by its name, and not as a puzzling
//! answer in every test that sends it.

use authql_testkit::{Answer, Backend, TestServer, documents};
use serde_json::json;

/// Whether the answer is the one a valid subscription gets over HTTP: the
/// server validates a document before it looks at the transport.
fn only_refused_for_its_transport(answer: &Answer) -> bool {
    answer.body["errors"].as_array().is_some_and(|errors| {
        errors.len() == 1
            && errors[0]["message"] == "Subscriptions are not supported on this transport."
    })
}

/// Sent without variables: the server parses and validates a document
/// before it reads any (a missing one is `BAD_USER_INPUT` after that), so
/// no document needs test data here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kit_document_is_valid_against_the_served_schema() {
    let server = TestServer::start(Backend::Sqlite).await;
    for &(name, document) in documents::ALL {
        let answer = server.graphql(document, json!({})).await;
        let subscription = document.lines().any(|l| l.starts_with("subscription "));
        if subscription && only_refused_for_its_transport(&answer) {
            continue;
        }
        for code in answer.codes() {
            assert!(
                !matches!(
                    code.as_str(),
                    "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED"
                ),
                "documents/{name}: {}",
                answer.body
            );
        }
    }
}
