//! GraphQL over HTTP as clients other than ours speak it: answers in the
//! media type the client accepts, and automatic persisted queries (Apollo's
//! protocol) by POST and by a hash-only GET, per replica.

use authql_testkit::{Answer, Backend, DEFAULT_PEER, TestServer, access_token, both_backends};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";
const ME: &str = "query Me { me { userName } }";

/// A document's persisted-query hash, as clients write it: SHA-256 in
/// lower-case hex (also used by the password-field tests).
pub(crate) fn hex_sha256(document: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(document.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// `text` as a query-string value: unreserved characters as they are, the
/// rest percent-encoded.
fn query_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// The media type of an answer, without parameters.
fn media_type(answer: &Answer) -> &str {
    answer
        .header("content-type")
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_come_in_the_media_type_asked_for() {
    let app = TestServer::start(Backend::Sqlite).await;
    let body = json!({ "query": "{ __typename }" });
    for (accept, expected) in [
        (None, GRAPHQL_RESPONSE),
        (Some("application/json"), JSON),
        (Some("application/json, text/plain, */*"), JSON),
        (Some("*/*"), GRAPHQL_RESPONSE),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/graphql-response+json, application/json;q=0.9"),
            GRAPHQL_RESPONSE,
        ),
    ] {
        let headers: Vec<(&str, &str)> = accept.iter().map(|a| ("accept", *a)).collect();
        let answer = app.post_json(body.clone(), &headers, DEFAULT_PEER).await;
        assert_eq!(answer.status, 200, "{accept:?}");
        assert_eq!(media_type(&answer), expected, "POST, Accept {accept:?}");
        assert_eq!(answer.body["data"]["__typename"], "Query", "{accept:?}");
        let get = app
            .request("GET", "/graphql?query=%7B__typename%7D", &headers)
            .await;
        assert_eq!(media_type(&get), expected, "GET, Accept {accept:?}");
        assert_eq!(get.body["data"]["__typename"], "Query", "{accept:?}");
    }
    // An error answer follows the same rule, and keeps its status.
    let mut request = axum::http::Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(axum::body::Body::from("{ not json"))
        .expect("request");
    let peer: std::net::SocketAddr = DEFAULT_PEER.parse().expect("peer");
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    let refused = app.send(request).await;
    assert_eq!(refused.status, 400);
    assert_eq!(media_type(&refused), JSON);
    assert_eq!(refused.code(), "GRAPHQL_PARSE_FAILED");
}

async fn persisted_queries_run_by_hash_on_the_replica_that_knows_them(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("perry", "pw-of-perry").await;
    let token = access_token(&app.login("perry", "pw-of-perry").await);
    let bearer = format!("Bearer {token}");
    let auth = [("authorization", bearer.as_str())];
    let hash = hex_sha256(ME);

    // Unknown: the client is told to send the document.
    let hash_only = json!({ "extensions": persisted(&hash), "operationName": "Me" });
    let unknown = app.post_json(hash_only.clone(), &auth, DEFAULT_PEER).await;
    assert_eq!(
        unknown.code(),
        "PERSISTED_QUERY_NOT_FOUND",
        "{}",
        unknown.body
    );
    assert_eq!(
        unknown.body["errors"][0]["message"],
        "PersistedQueryNotFound"
    );
    assert!(unknown.body["data"].is_null(), "{}", unknown.body);

    // Sent with its document, it runs and is kept.
    let both = json!({ "query": ME, "extensions": persisted(&hash), "operationName": "Me" });
    let registered = app.post_json(both, &auth, DEFAULT_PEER).await;
    assert_eq!(registered.data("me")["userName"], "perry");
    let by_hash = app.post_json(hash_only.clone(), &auth, DEFAULT_PEER).await;
    assert_eq!(by_hash.data("me")["userName"], "perry");

    // A hash-only GET (what a CDN can cache) runs it too.
    let extensions = persisted(&hash).to_string();
    let path = format!(
        "/graphql?operationName=Me&extensions={}",
        query_encoded(&extensions)
    );
    let get = app.request("GET", &path, &auth).await;
    assert_eq!(get.status, 200);
    assert_eq!(get.data("me")["userName"], "perry");

    // Another replica never saw it.
    let other = app.second_server();
    let elsewhere = other.post_json(hash_only, &auth, DEFAULT_PEER).await;
    assert_eq!(elsewhere.code(), "PERSISTED_QUERY_NOT_FOUND");

    // A document that is not its hash's runs nothing.
    let logout = "mutation { logout }";
    let mismatched = json!({ "query": logout, "extensions": persisted(&hash) });
    let refused = app.post_json(mismatched, &auth, DEFAULT_PEER).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "{}", refused.body);
    assert!(refused.body["data"].is_null(), "{}", refused.body);
    let upper = json!({ "query": ME, "extensions": persisted(&hash.to_uppercase()) });
    let refused = app.post_json(upper, &auth, DEFAULT_PEER).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT", "lower-case hex only");
    let wrong_version = json!({ "query": ME, "extensions": { "persistedQuery": { "version": 2, "sha256Hash": hash } } });
    let refused = app.post_json(wrong_version, &auth, DEFAULT_PEER).await;
    assert_eq!(refused.code(), "BAD_USER_INPUT");
    assert!(app.is_live(&token).await, "the logout never ran");

    // A mutation kept by POST still never runs through GET.
    let logout_hash = hex_sha256(logout);
    let kept = json!({ "query": logout, "extensions": persisted(&logout_hash) });
    let other_token = access_token(&app.login("perry", "pw-of-perry").await);
    let other_bearer = format!("Bearer {other_token}");
    let logged_out = app
        .post_json(
            kept,
            &[("authorization", other_bearer.as_str())],
            DEFAULT_PEER,
        )
        .await;
    assert_eq!(logged_out.data("logout"), true);
    let path = format!(
        "/graphql?extensions={}",
        query_encoded(&persisted(&logout_hash).to_string())
    );
    let refused = app.request("GET", &path, &auth).await;
    assert_eq!(
        refused.code(),
        "GRAPHQL_VALIDATION_FAILED",
        "{}",
        refused.body
    );
    assert!(app.is_live(&token).await, "GET ran no mutation");
}

both_backends!(persisted_queries_run_by_hash_on_the_replica_that_knows_them);
