//! Live session events with a real WebSocket client (tokio-tungstenite)
//! speaking `graphql-transport-ws`: the `connection_init` guard, each event
//! kind, the socket of an ended session told and closed, events crossing
//! replicas, and the socket's bounds.

use std::net::SocketAddr;
use std::time::Duration;

use authql::config::Config;
use authql_testkit::documents::{CHANGE_PASSWORD, LOGOUT_ALL, ME, SESSION_EVENTS};
use authql_testkit::{Backend, TestServer, access_token, both_backends, session_id};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::served::ServedProcess;

const PASSWORD: &str = "correct horse battery";
/// Longer than the contract's 2 s, so that only a real failure times out.
const WAIT: Duration = Duration::from_secs(6);

/// What the server said next.
#[derive(Debug)]
enum Said {
    Json(Value),
    Closed(u16, String),
}

struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

impl Socket {
    async fn open(addr: SocketAddr, origin: Option<&str>) -> Result<Socket, tungstenite::Error> {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        if let Some(origin) = origin {
            headers.insert("origin", origin.parse().expect("header"));
        }
        let (stream, answer) = tokio_tungstenite::connect_async(request).await?;
        assert_eq!(
            answer
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap_or("")),
            Some("graphql-transport-ws")
        );
        Ok(Socket(stream))
    }

    async fn send(&mut self, message: Value) {
        self.0
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("send");
    }

    async fn init(&mut self, access_token: Option<&str>) {
        let payload = match access_token {
            Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
            None => json!({}),
        };
        self.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
    }

    /// Opens a socket for `access_token`, acknowledged.
    async fn acked(addr: SocketAddr, access_token: &str) -> Socket {
        let mut socket = Socket::open(addr, None).await.expect("handshake");
        socket.init(Some(access_token)).await;
        match socket.next().await {
            Said::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
            other => panic!("expected connection_ack, got {other:?}"),
        }
        socket
    }

    async fn subscribe(&mut self, id: &str, query: &str) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query } }))
            .await;
    }

    async fn frame(&mut self, frame: Message) {
        self.0.send(frame).await.expect("send");
    }

    /// The `error` message for `id`: its codes and first message.
    async fn refused(&mut self, id: &str) -> (Vec<String>, String) {
        match self.next().await {
            Said::Json(message) if message["type"] == "error" && message["id"] == id => {
                let errors = message["payload"].as_array().expect("errors").clone();
                let codes = errors
                    .iter()
                    .map(|e| {
                        e["extensions"]["code"]
                            .as_str()
                            .unwrap_or("<none>")
                            .to_owned()
                    })
                    .collect();
                let first = errors[0]["message"].as_str().unwrap_or("").to_owned();
                (codes, first)
            }
            other => panic!("expected an error message for {id}, got {other:?}"),
        }
    }

    /// Opens a socket for `access_token` with `sessionEvents` subscribed.
    async fn subscribed(addr: SocketAddr, access_token: &str) -> Socket {
        let mut socket = Socket::open(addr, None).await.expect("handshake");
        socket.init(Some(access_token)).await;
        match socket.next().await {
            Said::Json(ack) => assert_eq!(ack["type"], "connection_ack", "{ack}"),
            other => panic!("expected connection_ack, got {other:?}"),
        }
        socket
            .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": SESSION_EVENTS } }))
            .await;
        socket
    }

    async fn next(&mut self) -> Said {
        loop {
            let frame = tokio::time::timeout(WAIT, self.0.next())
                .await
                .expect("the server said something in time");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Said::Json(serde_json::from_str(&text).expect("JSON"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return match frame {
                        Some(frame) => Said::Closed(frame.code.into(), frame.reason.to_string()),
                        None => Said::Closed(1005, String::new()),
                    };
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Said::Closed(1006, error.to_string()),
                None => return Said::Closed(1006, "ended".to_owned()),
            }
        }
    }

    /// The next `sessionEvents` payload.
    async fn event(&mut self) -> Value {
        match self.next().await {
            Said::Json(message) if message["type"] == "next" => {
                message["payload"]["data"]["sessionEvents"].clone()
            }
            other => panic!("expected an event, got {other:?}"),
        }
    }

    async fn closed(&mut self) -> (u16, String) {
        loop {
            match self.next().await {
                Said::Closed(code, reason) => return (code, reason),
                Said::Json(message)
                    if message["type"] == "complete" || message["type"] == "pong" =>
                {
                    continue;
                }
                Said::Json(message) => panic!("expected the close, got {message}"),
            }
        }
    }
}

async fn signed_in(
    backend: Backend,
    edit: impl Fn(&mut Config) + Send + Sync + 'static,
) -> (TestServer, SocketAddr, Value) {
    let app = TestServer::start_with(backend, edit).await;
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let first = app.login("june", PASSWORD).await;
    (app, addr, first)
}

async fn refused_tokens_close_the_socket_4403(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |_| {}).await;
    for token in [None, Some("not-a-token")] {
        let mut socket = Socket::open(addr, None).await.expect("handshake");
        socket.init(token).await;
        let (code, _) = socket.closed().await;
        assert_eq!(code, 4403, "token {token:?}");
    }
    let mut socket = Socket::open(addr, None).await.expect("handshake");
    socket.init(Some(&access_token(&first))).await;
    match socket.next().await {
        Said::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
}

async fn sessions_opening_and_ending_are_pushed(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    let second = app.login("june", PASSWORD).await;
    let opened = socket.event().await;
    assert_eq!(opened["kind"], "OPENED");
    assert_eq!(opened["sessionId"], session_id(&second));
    assert_eq!(opened["current"], false);
    assert_eq!(opened["reason"], Value::Null);
    assert_eq!(opened["session"]["id"], session_id(&second));
    let logout = format!(
        "mutation {{ logoutSession(sessionId: \"{}\") }}",
        session_id(&second)
    );
    let answer = app.graphql_as(&access_token(&second), &logout).await;
    assert_eq!(answer.data("logoutSession"), true);
    let ended = socket.event().await;
    assert_eq!(ended["kind"], "ENDED");
    assert_eq!(ended["sessionId"], session_id(&second));
    assert_eq!(ended["current"], false);
    assert_eq!(ended["reason"], "LOGOUT");
    assert_eq!(ended["session"], Value::Null);
    // Another user's sessions are not this socket's business.
    app.add_user("other", PASSWORD).await;
    let theirs = app.login("other", PASSWORD).await;
    let mine = app.login("june", PASSWORD).await;
    let next = socket.event().await;
    assert_eq!(next["sessionId"], session_id(&mine), "not {theirs}");
}

/// Each way the socket's own session can end: the event with `current`,
/// then the close.
async fn the_socket_of_an_ended_session_is_told_and_closed(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let endings: [(&str, &str); 3] = [
        ("mutation { logoutSession(sessionId: \"{own}\") }", "LOGOUT"),
        (
            "mutation { logoutSession(sessionId: \"{own}\") }",
            "ENDED_BY_OTHER_SESSION",
        ),
        ("mutation { logoutAll(exceptCurrent: true) }", "LOGOUT_ALL"),
    ];
    let mut watched = first;
    for (mutation, reason) in endings {
        let other = app.login("june", PASSWORD).await;
        let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
        let caller = if reason == "LOGOUT" { &watched } else { &other };
        let mutation = mutation.replace("{own}", &session_id(&watched));
        let answer = app.graphql_as(&access_token(caller), &mutation).await;
        assert!(answer.body.get("errors").is_none(), "{}", answer.body);
        let ended = loop {
            let event = socket.event().await;
            if event["sessionId"] == session_id(&watched) {
                break event;
            }
        };
        assert_eq!(ended["kind"], "ENDED");
        assert_eq!(ended["current"], true);
        assert_eq!(ended["reason"], reason);
        assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
        watched = other;
    }
}

/// Reads events until the end of `watched`'s session, which must be the
/// socket's own (`current`), then the 4403 close; returns the reason.
async fn own_end(socket: &mut Socket, watched: &Value) -> String {
    let ended = loop {
        let event = socket.event().await;
        if event["sessionId"] == session_id(watched) && event["kind"] == "ENDED" {
            break event;
        }
    };
    assert_eq!(ended["current"], true, "{ended}");
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
    ended["reason"].as_str().unwrap_or_default().to_owned()
}

/// The endings that are not a logout: a password changed on another
/// device, the user disabled, an operator's `authql user logout` (another
/// process), a refresh token reused, eviction past MAX_SESSIONS_PER_USER.
async fn every_other_ending_reaches_the_socket(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.refresh_reuse_grace = chrono::TimeDelta::seconds(1);
        c.max_sessions_per_user = 2;
    })
    .await;
    let addr = app.listen().await;

    app.add_user("pia", PASSWORD).await;
    let watched = app.login("pia", PASSWORD).await;
    let other = app.login("pia", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    let header = format!("Bearer {}", access_token(&other));
    let input = json!({ "currentPassword": PASSWORD, "newPassword": "a new password 2" });
    let changed = app
        .graphql_with(
            CHANGE_PASSWORD,
            json!({ "input": input }),
            &[("authorization", &header)],
        )
        .await;
    assert_eq!(changed.data("changePassword"), 1, "{}", changed.body);
    assert_eq!(own_end(&mut socket, &watched).await, "PASSWORD_CHANGED");

    app.add_user("dora", PASSWORD).await;
    let watched = app.login("dora", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    authql::core::users::disable_user(&app.app.pool, "dora")
        .await
        .expect("disabled");
    assert_eq!(own_end(&mut socket, &watched).await, "USER_DISABLED");

    app.add_user("ada", PASSWORD).await;
    let watched = app.login("ada", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    let (ok, _, stderr) = crate::cli::run(&app.db.url_text, &["user", "logout", "ada"], "").await;
    assert!(ok, "user logout: {stderr}");
    assert_eq!(own_end(&mut socket, &watched).await, "ENDED_BY_ADMIN");

    app.add_user("rui", PASSWORD).await;
    let watched = app.login("rui", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    let used_up = authql_testkit::refresh_token(&watched);
    assert!(app.refresh(&used_up).await.body.get("errors").is_none());
    app.advance(chrono::TimeDelta::milliseconds(1500));
    assert_eq!(app.refresh(&used_up).await.code(), "REFRESH_TOKEN_REUSED");
    assert_eq!(own_end(&mut socket, &watched).await, "REFRESH_REUSE");

    app.add_user("eve", PASSWORD).await;
    let watched = app.login("eve", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    let _second = app.login("eve", PASSWORD).await;
    let _third = app.login("eve", PASSWORD).await;
    assert_eq!(own_end(&mut socket, &watched).await, "EVICTED");
}

/// Expiry writes nothing, yet it is pushed: another session's as an event,
/// the socket's own as the event and the close.
async fn expiry_is_pushed(backend: Backend) {
    let app = TestServer::start_with(backend, |c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(3600)
    })
    .await;
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let older = app.login("june", PASSWORD).await;
    app.advance(chrono::TimeDelta::minutes(10));
    let watched = app.login("june", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    // Let the feed read once at this time, so that the expiry is news.
    tokio::time::sleep(Duration::from_secs(1)).await;
    app.advance(chrono::TimeDelta::minutes(55));
    let expired = socket.event().await;
    assert_eq!(expired["kind"], "ENDED");
    assert_eq!(expired["sessionId"], session_id(&older));
    assert_eq!(expired["current"], false);
    assert_eq!(expired["reason"], "EXPIRED");
    app.advance(chrono::TimeDelta::minutes(10));
    assert_eq!(own_end(&mut socket, &watched).await, "EXPIRED");
}

/// Another session's expiry is announced only once it is a second past
/// (replica clocks may disagree by about that much, and one ahead must not
/// announce an end that another does not see yet), with the expiry itself
/// as its `at`.
async fn an_expiry_is_announced_a_second_late(backend: Backend) {
    use authql::core::clock::Clock;
    let app = TestServer::start_with(backend, |c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(3600);
    })
    .await;
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let older = app.login("june", PASSWORD).await;
    app.advance(chrono::TimeDelta::minutes(10));
    let watched = app.login("june", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&watched)).await;
    // Let the subscription start before anything happens.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let expires_at = app.stored_session(&session_id(&older)).await.expires_at;
    app.advance(expires_at - app.clock.now() - chrono::TimeDelta::milliseconds(200));
    let expired = socket.event().await;
    let heard_at = app.clock.now();
    assert_eq!(expired["sessionId"], session_id(&older), "{expired}");
    assert_eq!(expired["kind"], "ENDED");
    assert_eq!(expired["reason"], "EXPIRED");
    assert_eq!(expired["at"], older["session"]["expiresAt"]);
    assert!(
        heard_at >= expires_at + chrono::TimeDelta::seconds(1),
        "heard by {heard_at}, less than a second after the expiry at {expires_at}"
    );
}

/// The socket's own session expiring, told by the socket's own read of its
/// row at expiry: the `ENDED` event carries the session's expiry (the time
/// every other socket of the user hears), not the moment it was found out.
async fn the_own_expiry_is_told_at_the_sessions_time(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(3);
    })
    .await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    let ended = loop {
        let event = socket.event().await;
        if event["sessionId"] == session_id(&first) && event["kind"] == "ENDED" {
            break event;
        }
    };
    assert_eq!(ended["current"], true, "{ended}");
    assert_eq!(ended["reason"], "EXPIRED", "{ended}");
    assert_eq!(ended["at"], first["session"]["expiresAt"], "{ended}");
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
}

/// At its session's expiry a socket reads its row once. A database that
/// cannot answer (frozen here, with pool and statement timeouts of 20 s)
/// closes the socket with 1013 `SERVICE_UNAVAILABLE` within the contract's
/// 2 s, as an outage does, rather than holding it silent until those
/// timeouts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_recheck_without_an_answer_closes_1013_in_time() {
    let Some((app, proxy)) = crate::proxy::app_behind_proxy(|c| {
        c.refresh_token_ttl = chrono::TimeDelta::seconds(4);
        c.pool.wait_timeout = Duration::from_secs(20);
        c.pool.query_timeout = Duration::from_secs(20);
    })
    .await
    else {
        return;
    };
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let first = app.login("june", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    let expires_at = app.stored_session(&session_id(&first)).await.expires_at;
    // Frozen a second before the expiry: the feed's reads then fail for
    // their 2 s only after the socket's own read has begun, so that read is
    // the one that must give up in time.
    let now = authql::core::clock::Clock::now(app.clock.as_ref());
    let until_freeze = (expires_at - now - chrono::TimeDelta::seconds(1))
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(until_freeze).await;
    proxy.freeze();
    let frozen = std::time::Instant::now();
    let (code, reason) = socket.closed().await;
    eprintln!(
        "closed {code} {reason} {:?} after the freeze",
        frozen.elapsed()
    );
    assert_eq!((code, reason.as_str()), (1013, "SERVICE_UNAVAILABLE"));
    proxy.restore().await;
}

/// A `subscribe` before `connection_init` carries no token: 4403.
async fn a_subscribe_before_connection_init_is_refused_4403(backend: Backend) {
    let (_app, addr, _) = signed_in(backend, |_| {}).await;
    let mut socket = Socket::open(addr, None).await.expect("handshake");
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": SESSION_EVENTS } }))
        .await;
    assert_eq!(socket.closed().await, (4403, "UNAUTHENTICATED".to_owned()));
}

async fn a_socket_with_no_subscription_is_closed_too(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let mut socket = Socket::open(addr, None).await.expect("handshake");
    socket.init(Some(&access_token(&first))).await;
    match socket.next().await {
        Said::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
    let answer = app.graphql_as(&access_token(&first), LOGOUT_ALL).await;
    assert_eq!(answer.data("logoutAll"), 1);
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
}

async fn events_cross_replicas(backend: Backend) {
    let (app, _, first) = signed_in(backend, |_| {}).await;
    let replica = app.second_server();
    let replica_addr = replica.listen().await;
    let mut socket = Socket::subscribed(replica_addr, &access_token(&first)).await;
    let answer = app.graphql_as(&access_token(&first), LOGOUT_ALL).await;
    assert_eq!(answer.data("logoutAll"), 1);
    let ended = socket.event().await;
    assert_eq!(ended["reason"], "LOGOUT_ALL");
    assert_eq!(ended["current"], true);
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
}

/// The `securityEvents` subscription's document.
const SECURITY_EVENTS: &str = "subscription { securityEvents { id kind sessionId reason } }";

impl Socket {
    /// The next `securityEvents` payload.
    async fn security_event(&mut self) -> Value {
        match self.next().await {
            Said::Json(message) if message["type"] == "next" => {
                message["payload"]["data"]["securityEvents"].clone()
            }
            other => panic!("expected a security event, got {other:?}"),
        }
    }
}

async fn security_events_are_pushed_from_any_replica(backend: Backend) {
    let (app, _, first) = signed_in(backend, |_| {}).await;
    app.add_user("kim", PASSWORD).await;
    // A socket hears events stamped up to a second before it subscribed
    // (replica clocks disagree): the first sign-in is made older than that.
    app.advance(chrono::TimeDelta::seconds(2));
    let replica = app.second_server();
    let replica_addr = replica.listen().await;
    let mut socket = Socket::acked(replica_addr, &access_token(&first)).await;
    socket.subscribe("7", SECURITY_EVENTS).await;
    // Another user's events are not this socket's; the first sign-in's
    // was recorded before it subscribed.
    let _ = app.login_answer("kim", "a-guess", None).await;
    app.login("kim", PASSWORD).await;
    let wrong = app.login_answer("june", "a-guess", None).await;
    assert_eq!(wrong.code(), "INVALID_CREDENTIALS");
    let failed = socket.security_event().await;
    assert_eq!(failed["kind"], "SIGN_IN_FAILED", "{failed}");
    let second = app.login("june", PASSWORD).await;
    let signed_in = socket.security_event().await;
    assert_eq!(signed_in["kind"], "SIGNED_IN", "{signed_in}");
    assert_eq!(signed_in["sessionId"], session_id(&second).as_str());
    app.graphql_as(&access_token(&second), LOGOUT_ALL).await;
    let mut ends = Vec::new();
    for _ in 0..2 {
        let event = socket.security_event().await;
        assert_eq!(event["kind"], "SESSION_ENDED", "{event}");
        assert_eq!(event["reason"], "LOGOUT_ALL", "{event}");
        ends.push(event["sessionId"].as_str().unwrap_or("").to_owned());
    }
    ends.sort();
    let mut expected = vec![session_id(&first), session_id(&second)];
    expected.sort();
    assert_eq!(ends, expected);
    // The socket's own session ended with the others: it closes.
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
}

async fn sockets_per_user_are_bounded(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| c.live.max_sockets_per_user = 2).await;
    let token = access_token(&first);
    let _one = Socket::subscribed(addr, &token).await;
    let _two = Socket::subscribed(addr, &token).await;
    let mut three = Socket::open(addr, None).await.expect("handshake");
    three.init(Some(&token)).await;
    assert_eq!(three.closed().await.0, 4429);
    drop(_one);
    // The first one's place is given back once the server sees it gone.
    let began = std::time::Instant::now();
    loop {
        let mut again = Socket::open(addr, None).await.expect("handshake");
        again.init(Some(&token)).await;
        match again.next().await {
            Said::Json(ack) if ack["type"] == "connection_ack" => break,
            Said::Closed(4429, _) if began.elapsed() < WAIT => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            other => panic!("expected connection_ack, got {other:?}"),
        }
    }
}

async fn a_socket_that_never_initialises_is_closed_4408(backend: Backend) {
    let (_app, addr, _) =
        signed_in(backend, |c| c.live.init_timeout = Duration::from_secs(1)).await;
    let mut socket = Socket::open(addr, None).await.expect("handshake");
    assert_eq!(socket.closed().await.0, 4408);
}

async fn a_flooding_client_is_closed_1008(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| c.live.max_messages_per_sec = 5).await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    for _ in 0..20 {
        socket.send(json!({ "type": "ping" })).await;
    }
    assert_eq!(socket.closed().await.0, 1008);
}

async fn foreign_origins_cannot_open_a_socket(backend: Backend) {
    let (_app, addr, _) = signed_in(backend, |c| {
        c.browsers.allowed_origins = vec!["http://app.example.com".parse().expect("an origin")]
    })
    .await;
    match Socket::open(addr, Some("http://evil.example")).await {
        Err(tungstenite::Error::Http(answer)) => assert_eq!(answer.status(), 403),
        Err(other) => panic!("expected 403, got {other}"),
        Ok(_) => panic!("a foreign origin opened a socket"),
    }
    assert!(
        Socket::open(addr, Some("http://app.example.com"))
            .await
            .is_ok()
    );
    assert!(
        Socket::open(addr, Some(&format!("http://{addr}")))
            .await
            .is_ok(),
        "the service's own origin"
    );
}

/// The real `authql serve`, whose own HTTP server must hand the connection
/// over to the socket, and still stop cleanly with a socket open.
async fn the_served_process_speaks_websocket(backend: Backend) {
    let app = TestServer::start(backend).await;
    app.add_user("june", PASSWORD).await;
    let server = ServedProcess::start(&app.db.url_text, &[]);
    let addr: SocketAddr = format!("127.0.0.1:{}", server.port)
        .parse()
        .expect("address");
    let login = server.graphql(
        authql_testkit::documents::LOGIN,
        json!({ "input": { "userName": "june", "password": PASSWORD } }),
        None,
    );
    let payload = login.body["data"]["login"].clone();
    let token = access_token(&payload);
    let mut socket = Socket::subscribed(addr, &token).await;
    let logout = server.graphql(LOGOUT_ALL, json!({}), Some(&token));
    assert_eq!(logout.body["data"]["logoutAll"], 1, "{}", logout.body);
    let ended = socket.event().await;
    assert_eq!(ended["current"], true);
    assert_eq!(socket.closed().await, (4403, "SESSION_REVOKED".to_owned()));
    let second = server.graphql(
        authql_testkit::documents::LOGIN,
        json!({ "input": { "userName": "june", "password": PASSWORD } }),
        None,
    );
    let mut open = Socket::subscribed(addr, &access_token(&second.body["data"]["login"])).await;
    assert!(
        server.terminate().success(),
        "stopped cleanly with a socket open"
    );
    assert_eq!(open.closed().await.0, 1012, "told the service restarts");
}

/// The database cut away (MySQL behind a proxy that is cut): every socket is
/// closed with 1013 `SERVICE_UNAVAILABLE` rather than left open while its
/// session's end could not be heard, and once the database is back a new
/// socket is accepted and hears events again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_closes_sockets_1013_and_service_resumes() {
    let Some((app, proxy)) =
        crate::proxy::app_behind_proxy(|c| c.pool.wait_timeout = Duration::from_secs(1)).await
    else {
        return;
    };
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let first = app.login("june", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    let began = std::time::Instant::now();
    proxy.cut().await;
    let (code, reason) = socket.closed().await;
    eprintln!("closed {code} {reason} after {:?}", began.elapsed());
    assert_eq!((code, reason.as_str()), (1013, "SERVICE_UNAVAILABLE"));
    let mut refused = Socket::open(addr, None).await.expect("handshake");
    refused.init(Some(&access_token(&first))).await;
    assert_eq!(
        refused.closed().await.0,
        1013,
        "no guard without the database"
    );
    proxy.restore().await;
    let restored = std::time::Instant::now();
    let mut socket = loop {
        let mut again = Socket::open(addr, None).await.expect("handshake");
        again.init(Some(&access_token(&first))).await;
        match again.next().await {
            Said::Json(ack) if ack["type"] == "connection_ack" => break again,
            Said::Closed(1013, _) if restored.elapsed() < Duration::from_secs(15) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => panic!("expected connection_ack after the outage, got {other:?}"),
        }
    };
    socket
        .send(json!({ "id": "1", "type": "subscribe", "payload": { "query": SESSION_EVENTS } }))
        .await;
    let second = app.login("june", PASSWORD).await;
    let opened = socket.event().await;
    assert_eq!(opened["sessionId"], session_id(&second));
}

/// A database slower than the feed's 2 s bound (each answer held 3 s): the
/// sockets are closed with 1013 `SERVICE_UNAVAILABLE`, as in an outage, but
/// the feed's read is not cut mid-statement (which throws its connection
/// away): it finishes late on a task of its own, and no connection is
/// discarded as interrupted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_feed_read_is_waited_out_not_cut() {
    let Some((app, proxy)) = crate::proxy::app_behind_proxy(|_| {}).await else {
        return;
    };
    app.add_user("june", PASSWORD).await;
    let addr = app.listen().await;
    let first = app.login("june", PASSWORD).await;
    let mut socket = Socket::subscribed(addr, &access_token(&first)).await;
    proxy.slow_down(Duration::from_secs(3));
    let (code, reason) = socket.closed().await;
    assert_eq!((code, reason.as_str()), (1013, "SERVICE_UNAVAILABLE"));
    proxy.speed_up();
    let began = std::time::Instant::now();
    while app.app.pool.usage().in_use > 0 {
        assert!(began.elapsed() < WAIT, "the late read finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let interrupted = app.app.pool.usage().discarded[authql::store::Discard::Interrupted as usize];
    assert_eq!(interrupted, 0, "connections thrown away mid-statement");
}

/// `subscription { sessionEvents(x: [[[ ... 1 ... ]]]) { kind } }`, the list
/// nested `depth` deep.
fn nested_subscription(depth: usize) -> String {
    format!(
        "subscription {{ sessionEvents(x: {}1{}) {{ kind }} }}",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

/// A document nested 5,000 deep (10 KB) used to overflow the worker's stack
/// and abort the process: now it gets an `error` message, and the socket,
/// other sockets and logins carry on.
async fn a_deeply_nested_subscribe_is_refused_and_all_carries_on(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let token = access_token(&first);
    let mut socket = Socket::acked(addr, &token).await;
    socket.subscribe("deep", &nested_subscription(5000)).await;
    let (codes, message) = socket.refused("deep").await;
    assert_eq!(codes, ["GRAPHQL_VALIDATION_FAILED"], "{message}");
    // Unbalanced, and too deep to parse: a syntax error, unparsed.
    let broken = nested_subscription(5000).replacen(']', "", 1);
    socket.subscribe("broken", &broken).await;
    assert_eq!(socket.refused("broken").await.0, ["GRAPHQL_PARSE_FAILED"]);
    socket.subscribe("1", SESSION_EVENTS).await;
    let mut other = Socket::subscribed(addr, &token).await;
    let second = app.login("june", PASSWORD).await;
    for socket in [&mut socket, &mut other] {
        let opened = socket.event().await;
        assert_eq!(opened["sessionId"], session_id(&second));
    }
}

/// Only subscriptions run over the socket: a query or a mutation gets an
/// `error` message and runs nothing (the sessions stay open).
async fn queries_and_mutations_are_refused_over_the_socket(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let token = access_token(&first);
    let mut socket = Socket::acked(addr, &token).await;
    socket.subscribe("q", "{ me { userName } }").await;
    let (codes, message) = socket.refused("q").await;
    assert_eq!(codes, ["GRAPHQL_VALIDATION_FAILED"], "{message}");
    socket.subscribe("m", "mutation { logoutAll }").await;
    let (codes, message) = socket.refused("m").await;
    assert_eq!(codes, ["GRAPHQL_VALIDATION_FAILED"], "{message}");
    let named = "mutation M { logoutAll } subscription S { sessionEvents { kind } }";
    socket
        .send(json!({ "id": "n", "type": "subscribe",
            "payload": { "query": named, "operationName": "M" } }))
        .await;
    assert_eq!(socket.refused("n").await.0, ["GRAPHQL_VALIDATION_FAILED"]);
    let me = app.graphql_as(&token, ME).await;
    assert_eq!(
        me.data("me")["userName"],
        "june",
        "the session is still open"
    );
    // The socket carries on.
    socket.subscribe("1", SESSION_EVENTS).await;
    let second = app.login("june", PASSWORD).await;
    assert_eq!(socket.event().await["sessionId"], session_id(&second));
}

/// With introspection off, `__schema` over the socket is refused, as over
/// HTTP, rather than answered null.
async fn introspection_off_is_refused_over_the_socket(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| c.graphql_introspection = false).await;
    let mut socket = Socket::acked(addr, &access_token(&first)).await;
    socket
        .subscribe(
            "i",
            "subscription { sessionEvents { kind } __schema { queryType { name } } }",
        )
        .await;
    let (codes, message) = socket.refused("i").await;
    assert_eq!(codes, ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(message.contains("introspection"), "{message}");
}

/// A socket runs at most 10 subscriptions: the 11th gets an `error`
/// message, and once one completes there is room again.
async fn an_eleventh_subscription_is_refused(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |_| {}).await;
    let mut socket = Socket::acked(addr, &access_token(&first)).await;
    for id in 1..=10 {
        socket.subscribe(&id.to_string(), SESSION_EVENTS).await;
    }
    socket.subscribe("11", SESSION_EVENTS).await;
    let (codes, message) = socket.refused("11").await;
    assert_eq!(codes, ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(message.contains("at most 10"), "{message}");
    socket.send(json!({ "id": "1", "type": "complete" })).await;
    socket.subscribe("11", SESSION_EVENTS).await;
    let second = app.login("june", PASSWORD).await;
    let mut ids = Vec::new();
    while ids.len() < 10 {
        match socket.next().await {
            Said::Json(message) if message["type"] == "next" => {
                let event = &message["payload"]["data"]["sessionEvents"];
                assert_eq!(event["sessionId"], session_id(&second));
                ids.push(message["id"].as_str().expect("id").to_owned());
            }
            Said::Json(message) if message["type"] == "complete" => {}
            other => panic!("expected events, got {other:?}"),
        }
    }
    ids.sort_by_key(|id| id.parse::<u32>().unwrap_or(0));
    let expected: Vec<String> = (2..=11).map(|id| id.to_string()).collect();
    assert_eq!(ids, expected);
}

/// A `subscribe` whose id is running closes the socket with 4409, as the
/// protocol says.
async fn a_running_id_again_closes_4409(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |_| {}).await;
    let mut socket = Socket::acked(addr, &access_token(&first)).await;
    socket.subscribe("same", SESSION_EVENTS).await;
    socket.subscribe("same", SESSION_EVENTS).await;
    assert_eq!(
        socket.closed().await,
        (4409, "Subscriber for same already exists".to_owned())
    );
}

/// 150 `subscribe` messages on one socket: 140 refused, and one login is
/// told 10 times, not 150.
async fn many_subscribes_deliver_at_most_ten(backend: Backend) {
    let (app, addr, first) = signed_in(backend, |c| c.live.max_messages_per_sec = 1000).await;
    let token = access_token(&first);
    let mut socket = Socket::acked(addr, &token).await;
    for id in 0..150 {
        socket.subscribe(&id.to_string(), SESSION_EVENTS).await;
    }
    for _ in 0..140 {
        match socket.next().await {
            Said::Json(message) if message["type"] == "error" => {}
            other => panic!("expected an error message, got {other:?}"),
        }
    }
    let second = app.login("june", PASSWORD).await;
    let mut opened = 0;
    while opened < 10 {
        let event = socket.event().await;
        if event["kind"] == "OPENED" && event["sessionId"] == session_id(&second) {
            opened += 1;
        }
    }
    // Ending both sessions closes the socket after every event queued
    // before: any further delivery of the login shows up before the close.
    let answer = app.graphql_as(&token, LOGOUT_ALL).await;
    assert_eq!(answer.data("logoutAll"), 2);
    let close = loop {
        match socket.next().await {
            Said::Json(message) if message["type"] == "next" => {
                let event = &message["payload"]["data"]["sessionEvents"];
                if event["kind"] == "OPENED" && event["sessionId"] == session_id(&second) {
                    opened += 1;
                }
            }
            Said::Json(_) => {}
            Said::Closed(code, reason) => break (code, reason),
        }
    };
    assert_eq!(close, (4403, "SESSION_REVOKED".to_owned()));
    assert_eq!(opened, 10);
}

/// Pings count toward `WS_MAX_MESSAGES_PER_SEC` like any frame.
async fn pings_past_the_rate_close_1008(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| c.live.max_messages_per_sec = 5).await;
    let mut socket = Socket::acked(addr, &access_token(&first)).await;
    for _ in 0..20 {
        socket.frame(Message::Ping(b"hi".to_vec().into())).await;
    }
    assert_eq!(socket.closed().await.0, 1008);
}

/// Binary frames count toward `WS_MAX_MESSAGES_PER_SEC` like any frame.
async fn binary_frames_past_the_rate_close_1008(backend: Backend) {
    let (_app, addr, first) = signed_in(backend, |c| c.live.max_messages_per_sec = 5).await;
    let mut socket = Socket::acked(addr, &access_token(&first)).await;
    for _ in 0..20 {
        socket.frame(Message::Binary(vec![0u8; 1024].into())).await;
    }
    assert_eq!(socket.closed().await.0, 1008);
}

/// Sockets waiting for `connection_init` from one address: at most 64
/// (docs/api.md); past that the handshake is answered 503, and a socket that
/// initialises gives its place back.
async fn init_waiting_sockets_are_bounded_per_address(backend: Backend) {
    const PER_ADDRESS: usize = 64;
    let (_app, addr, first) = signed_in(backend, |_| {}).await;
    let mut waiting = Vec::with_capacity(PER_ADDRESS);
    for _ in 0..PER_ADDRESS {
        waiting.push(Socket::open(addr, None).await.expect("handshake"));
    }
    match Socket::open(addr, None).await {
        Err(tungstenite::Error::Http(answer)) => assert_eq!(answer.status(), 503),
        Err(other) => panic!("expected 503, got {other}"),
        Ok(_) => panic!("a socket past the bound opened"),
    }
    let mut initialised = waiting.pop().expect("a socket");
    initialised.init(Some(&access_token(&first))).await;
    match initialised.next().await {
        Said::Json(ack) => assert_eq!(ack["type"], "connection_ack"),
        other => panic!("expected connection_ack, got {other:?}"),
    }
    assert!(
        Socket::open(addr, None).await.is_ok(),
        "the initialised socket's place is free"
    );
}

both_backends!(
    the_served_process_speaks_websocket,
    refused_tokens_close_the_socket_4403,
    sessions_opening_and_ending_are_pushed,
    the_socket_of_an_ended_session_is_told_and_closed,
    a_socket_with_no_subscription_is_closed_too,
    every_other_ending_reaches_the_socket,
    expiry_is_pushed,
    an_expiry_is_announced_a_second_late,
    the_own_expiry_is_told_at_the_sessions_time,
    a_subscribe_before_connection_init_is_refused_4403,
    events_cross_replicas,
    security_events_are_pushed_from_any_replica,
    sockets_per_user_are_bounded,
    a_socket_that_never_initialises_is_closed_4408,
    a_flooding_client_is_closed_1008,
    foreign_origins_cannot_open_a_socket,
    a_deeply_nested_subscribe_is_refused_and_all_carries_on,
    queries_and_mutations_are_refused_over_the_socket,
    introspection_off_is_refused_over_the_socket,
    an_eleventh_subscription_is_refused,
    a_running_id_again_closes_4409,
    many_subscribes_deliver_at_most_ten,
    pings_past_the_rate_close_1008,
    binary_frames_past_the_rate_close_1008,
    init_waiting_sockets_are_bounded_per_address,
);
