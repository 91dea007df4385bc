//! Documents whose fragments expand far past every bound: a real
//! `authql serve` refuses them through POST and GET at once, answers at most
//! 100 errors, and keeps answering `/healthz` while they arrive.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::served::{HttpAnswer, ServedProcess};

/// `{ me { ...F0 } }` where each fragment spreads the next twice.
fn doubling(levels: usize, on: &str, leaf: &str) -> String {
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
fn wide() -> String {
    let mut document = String::from("{ me { ...L0 } }");
    for level in 0..4 {
        let spreads = vec![format!("...L{}", level + 1); 64].join(" ");
        document.push_str(&format!(" fragment L{level} on User {{ {spreads} }}"));
    }
    document.push_str(" fragment L4 on User { id }");
    document
}

fn unused_variables(count: usize) -> String {
    let variables: Vec<String> = (0..count).map(|n| format!("$v{n}: Int")).collect();
    format!("query Q({}) {{ __typename }}", variables.join(" "))
}

fn serve() -> (ServedProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("authql.db").display());
    (ServedProcess::start(&url, &[]), dir)
}

fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Sends raw HTTP and reads the whole answer, failing past `at_most`.
fn exchange(server: &ServedProcess, request: &str, at_most: Duration) -> (u16, Value) {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream.set_read_timeout(Some(at_most)).expect("timeout");
    stream.write_all(request.as_bytes()).expect("send");
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|error| panic!("no whole answer within {at_most:?}: {error}"));
    let text = String::from_utf8_lossy(&raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

fn get_query(server: &ServedProcess, document: &str) -> (u16, Value) {
    let request = format!(
        "GET /graphql?query={} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        percent_encoded(document)
    );
    exchange(server, &request, Duration::from_secs(30))
}

fn codes(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|error| {
                    error["extensions"]["code"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_refused(how: &str, (status, body): (u16, Value)) {
    assert_eq!(status, 200, "{how}: {body}");
    let codes = codes(&body);
    assert!(
        !codes.is_empty() && codes.iter().all(|code| code == "GRAPHQL_VALIDATION_FAILED"),
        "{how}: {body}"
    );
    assert!(codes.len() <= 100, "{how}: {} errors", codes.len());
}

#[test]
fn expanding_documents_are_refused_through_post_and_get() {
    let (server, _dir) = serve();
    for document in [
        doubling(30, "User", "id"),
        doubling(20, "Query", "__typename"),
        doubling(24, "User", "id"),
        wide(),
    ] {
        let HttpAnswer { status, body } = server.graphql(&document, json!({}), None);
        assert_refused("POST", (status, body));
        assert_refused("GET", get_query(&server, &document));
    }
}

#[test]
fn an_answer_holds_at_most_100_errors() {
    let (server, _dir) = serve();
    let document = unused_variables(5000);
    assert!(document.len() > 50_000 && document.len() < 64 * 1024);
    let HttpAnswer { status, body } = server.graphql(&document, json!({}), None);
    assert_refused("5,000 unused variables", (status, body));
    // Within the variables bound, each unused one is an error of its own.
    let HttpAnswer { status, body } = server.graphql(&unused_variables(256), json!({}), None);
    assert_eq!(codes(&body).len(), 100, "{status}: 256 unused variables");
    let unknown_fields: Vec<String> = (0..200).map(|n| format!("f{n}")).collect();
    let document = format!("{{ {} }}", unknown_fields.join(" "));
    let HttpAnswer { status, body } = server.graphql(&document, json!({}), None);
    assert_eq!(
        codes(&body).len(),
        100,
        "{status}: 200 unknown fields (within the complexity bound)"
    );
}

#[test]
fn healthz_is_answered_while_expanding_documents_arrive() {
    let (server, _dir) = serve();
    let server = std::sync::Arc::new(server);
    let senders: Vec<_> = [
        doubling(30, "User", "id"),
        doubling(20, "Query", "__typename"),
    ]
    .into_iter()
    .map(|document| {
        let server = server.clone();
        std::thread::spawn(move || {
            let until = Instant::now() + Duration::from_secs(3);
            while Instant::now() < until {
                let HttpAnswer { status, body } = server.graphql(&document, json!({}), None);
                assert_refused("under load", (status, body));
            }
        })
    })
    .collect();
    // The documents are on their way (or being judged) from here on.
    std::thread::sleep(Duration::from_millis(200));
    let healthz = "GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    for _ in 0..5 {
        // A hang check, not a speed target: each held both workers for
        // minutes before documents were judged by their expansion.
        let (status, _) = exchange(&server, healthz, Duration::from_secs(2));
        assert_eq!(status, 200);
        std::thread::sleep(Duration::from_millis(100));
    }
    for sender in senders {
        sender.join().expect("every document refused");
    }
}
