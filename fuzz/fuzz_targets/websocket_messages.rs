//! WebSocket messages through the real socket path: an in-process test-kit
//! server on a loopback port (embedded SQLite, one signed-in user), a real client
//! socket that sends `connection_init` with a valid token and then the
//! input's frames. The server must never panic (a panic on any thread, or a
//! stack overflow, aborts this process), and everything it says must be the
//! contract's: JSON protocol messages whose errors carry contract codes, and
//! close codes the contract or the protocol names.
//!
//! An input is a sequence of frames separated by the byte 0xFF; a frame
//! that starts with 0x01 is binary, 0x02 a ping, 0x03 a pong (the rest is
//! its payload); any other is a text frame of the bytes (lossy UTF-8).
#![no_main]

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::OnceLock;
use std::time::Duration;

use authql::error::Code;
use authql_testkit::{TestServer, access_token};
use futures_util::{SinkExt, StreamExt};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Frames sent per input at most (the rate limit, 20 a second, is reached
/// well before).
const MAX_FRAMES: usize = 48;
/// How long the server may take to say anything; a hang is a failure.
const PATIENCE: Duration = Duration::from_secs(10);
/// Close codes the contract or graphql-transport-ws name: normal, policy
/// (rate), server error (too far behind), restart, try again later, and
/// the protocol's 44xx.
const CLOSE_CODES: [u16; 10] = [1000, 1008, 1011, 1012, 1013, 4400, 4403, 4408, 4409, 4429];
const PASSWORD: &str = "fuzz password 1";
/// The id of the last `subscribe` of every input.
const SENTINEL: &str = "fuzz-sentinel-ff";

struct Target {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    access_token: String,
    _server: TestServer,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let (server, addr, access_token) = runtime.block_on(async {
            let server = TestServer::builder()
                .with_config(|c| {
                    c.password_hash_concurrency = 1;
                    // One token and one user for the whole run, and sockets
                    // of earlier inputs may still be closing.
                    c.access_token_ttl = chrono::TimeDelta::days(7);
                    c.live.max_sockets_per_user = 100_000;
                })
                .start()
                .await;
            server.add_user("fuzz", PASSWORD).await;
            let access_token = access_token(&server.login("fuzz", PASSWORD).await);
            let addr = server.listen().await;
            (server, addr, access_token)
        });
        Target {
            runtime,
            addr,
            access_token,
            _server: server,
        }
    })
}

fn frames_of(data: &[u8]) -> Vec<Message> {
    data.split(|byte| *byte == 0xFF)
        .take(MAX_FRAMES)
        .map(|frame| match frame.split_first() {
            Some((0x01, rest)) => Message::Binary(rest.to_vec().into()),
            Some((0x02, rest)) => Message::Ping(control(rest).into()),
            Some((0x03, rest)) => Message::Pong(control(rest).into()),
            _ => Message::Text(String::from_utf8_lossy(frame).into_owned().into()),
        })
        .collect()
}

/// A control frame's payload holds at most 125 bytes.
fn control(payload: &[u8]) -> Vec<u8> {
    payload[..payload.len().min(125)].to_vec()
}

/// Every error of a result or an `error` message carries a contract code.
fn check_errors(errors: &Value, message: &str) {
    let Some(errors) = errors.as_array() else {
        panic!("errors that are not a list: {message}");
    };
    for error in errors {
        let code = error["extensions"]["code"].as_str().unwrap_or("<none>");
        assert!(
            Code::from_str(code).is_ok(),
            "an error without a contract code: {message}"
        );
    }
}

/// One message from the server is the protocol's; returns it.
fn check_text(text: &str) -> Value {
    let message: Value = serde_json::from_str(text)
        .unwrap_or_else(|_| panic!("the server sent text that is not JSON: {text:?}"));
    match message["type"].as_str() {
        Some("connection_ack" | "ping" | "pong") => {}
        Some("complete") => assert!(message["id"].is_string(), "complete without id: {text}"),
        Some("next") => {
            assert!(message["id"].is_string(), "next without id: {text}");
            if !message["payload"]["errors"].is_null() {
                check_errors(&message["payload"]["errors"], text);
            }
        }
        Some("error") => {
            assert!(message["id"].is_string(), "error without id: {text}");
            check_errors(&message["payload"], text);
        }
        _ => panic!("not a graphql-transport-ws message: {text}"),
    }
    message
}

async fn exchange(target: &Target, frames: Vec<Message>) {
    let mut request = format!("ws://{}/graphql", target.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("handshake");
    let init = json!({ "type": "connection_init",
        "payload": { "Authorization": format!("Bearer {}", target.access_token) } });
    socket
        .send(Message::Text(init.to_string().into()))
        .await
        .expect("send connection_init");
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("connection_ack in time");
        match frame {
            Some(Ok(Message::Text(text))) => {
                assert!(text.contains("connection_ack"), "before the ack: {text}");
                break;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("no connection_ack: {other:?}"),
        }
    }
    // Sending stops once the server has closed the socket.
    for frame in frames {
        if socket.send(frame).await.is_err() {
            break;
        }
    }
    // A query over the socket is always refused with an `error` message for
    // its id (or, past the subscription bound, refused the same way): the
    // end of the server's answers to this input.
    let sentinel = json!({ "id": SENTINEL, "type": "subscribe",
        "payload": { "query": "{ __typename }" } });
    let _ = socket.send(Message::Text(sentinel.to_string().into())).await;
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("the server answered in time");
        match frame {
            Some(Ok(Message::Text(text))) => {
                let message = check_text(&text);
                if message["type"] == "error" && message["id"] == SENTINEL {
                    break;
                }
            }
            Some(Ok(Message::Close(Some(close)))) => {
                let code = u16::from(close.code);
                assert!(
                    CLOSE_CODES.contains(&code),
                    "close code {code} ({})",
                    close.reason
                );
                break;
            }
            Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
            Some(Ok(_)) => continue,
            // The server dropped the connection: a frame over the size
            // limit, or one the WebSocket layer refused.
            Some(Err(_)) | None => break,
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
}

fuzz_target!(|data: &[u8]| {
    let target = target();
    let frames = frames_of(data);
    target.runtime.block_on(exchange(target, frames));
});
