//! One WebSocket at `/graphql`: the handshake's `Origin` rule, the
//! `graphql-transport-ws` protocol (async-graphql's), `connection_init`
//! through the same guard as every request, and the socket's bounds and
//! close codes.
//!
//! async-graphql's own `GraphQLWebSocket` runs the whole loop itself, so it
//! can neither close a socket whose session ended, nor say 4429 or 4408, nor
//! count messages; this module runs the loop around async-graphql's protocol
//! stream instead (its `http::WebSocket`), which still does the rest of the
//! protocol.
//!
//! The loop reads the client's frames itself: it counts every frame, reads
//! each text message's envelope, and hands the protocol stream only what
//! passed. A `subscribe` is judged first (`crate::api::http::socket::subscribe`: the
//! same admission as a document over HTTP, and subscriptions only) within
//! the socket's bounds (`crate::api::http::socket::subscriptions`: at most 10 running, one
//! per id); async-graphql gets the document already parsed and never parses
//! the client's text. A refused `subscribe` gets an `error` message and the
//! socket carries on.
//!
//! Close codes: 4403 for a missing or refused token, and (reason
//! `SESSION_REVOKED`) when the socket's own session ends; 4408 when
//! `connection_init` does not come within `WS_INIT_TIMEOUT_SECS`; 4429 past
//! `MAX_SOCKETS_PER_USER`; 4400 for a message that is not the protocol's;
//! 4409 for a `subscribe` whose id is running; 1008 past
//! `WS_MAX_MESSAGES_PER_SEC` (every frame counts, pings, pongs and binary
//! frames included); 1013
//! (`SERVICE_UNAVAILABLE`) while the database cannot be reached; 1012 when
//! the service stops; 1011 for a socket too far behind its events. A
//! `subscribe` before `connection_init` is 4403 `UNAUTHENTICATED`: no token
//! came. A client that stops reading is dropped once a send has waited
//! [`SEND_TIMEOUT`], so that it never holds its socket's loop.

pub(crate) mod init_wait;
pub(crate) mod sockets;
pub(crate) mod subscribe;
pub(crate) mod subscriptions;

use std::sync::Arc;
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{
    ClientMessage, WebSocket as ProtocolStream, WebSocketProtocols, WsMessage,
};
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDateTime;
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

use crate::api::browser::origin::{Scheme, may_use_cookie};
use crate::api::graphql::admission::judge_off_workers;
use crate::api::graphql::subscription::SocketSession;
use crate::api::http::socket::init_wait::Waiting;
use crate::api::http::socket::subscribe::{error_message, judge, refusal};
use crate::api::http::socket::subscriptions::{MAX_PER_SOCKET as MAX_SUBSCRIPTIONS, Room, Running};
use crate::api::http::state::HttpState;
use crate::core::app::App;
use crate::core::live::event::SessionEvent;
use crate::core::live::feed::{FeedItem, LastWord, SessionFeed, TooManySockets, Watch};
use crate::core::sessions::{self, Authenticated, Liveness, authenticate};
use crate::error::AppError;
use crate::store::security_events::SecurityEventRecord;
use crate::vocabulary::EndReason;

/// Read and write buffer of one socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;
/// Largest message a client may send, as for a request body.
const MAX_MESSAGE_BYTES: usize = crate::api::http::request_parts::MAX_BODY_BYTES;
/// The one subprotocol spoken.
const SUBPROTOCOL: &str = "graphql-transport-ws";
/// Events a socket's subscriptions may fall behind by.
const SUBSCRIPTION_BACKLOG: usize = 64;
/// How often the server pings a socket; one that has sent nothing (a pong
/// included) for two of these is taken as gone and closed.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How long the server reads a client's last frames after its close frame,
/// waiting for the client's own close.
const CLOSE_DRAIN: Duration = Duration::from_secs(1);
/// How long one send may wait for a client that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a request asks to become a WebSocket.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Answers a WebSocket handshake at `/graphql`: 503 while too many sockets
/// wait for `connection_init` (see `crate::api::http::socket::init_wait`).
pub(crate) async fn handshake(
    state: HttpState,
    own_scheme: Scheme,
    request: axum::extract::Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    if !may_use_cookie(
        &parts.headers,
        &state.app.config.browsers.allowed_origins,
        own_scheme,
    ) {
        return (
            StatusCode::FORBIDDEN,
            "this Origin may not open a socket here\n",
        )
            .into_response();
    }
    let offers_ours = parts
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|offered| offered.trim() == SUBPROTOCOL);
    if !offers_ours {
        return (
            StatusCode::BAD_REQUEST,
            "WebSockets at /graphql speak the graphql-transport-ws subprotocol only\n",
        )
            .into_response();
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(refusal) => return refusal.into_response(),
    };
    let address = crate::api::http::request_parts::client_info(&state, &parts).ip_address;
    let Ok(waiting) = state.sockets.init_waiting().enter(address) else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "too many sockets are waiting for connection_init; try again later\n",
        )
            .into_response();
    };
    upgrade
        .protocols([SUBPROTOCOL])
        // tungstenite's defaults are buffers of 128 KiB per socket, made for
        // bulk data; these messages are small, and thousands of sockets sit
        // mostly idle.
        .read_buffer_size(SOCKET_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track(serve(state, socket, waiting))
        })
}

/// How `connection_init` ended, when it did not succeed: the close code and
/// reason that replace async-graphql's generic one.
#[derive(Default)]
struct InitRefusal(Mutex<Option<(u16, &'static str)>>);

impl InitRefusal {
    fn set(&self, code: u16, reason: &'static str) {
        *self.0.lock() = Some((code, reason));
    }

    fn get(&self) -> Option<(u16, &'static str)> {
        *self.0.lock()
    }
}

/// What a successful `connection_init` hands to the socket's loop.
struct Established {
    auth: Authenticated,
    watch: Watch,
    events: broadcast::Sender<Arc<SessionEvent>>,
    security_events: broadcast::Sender<Arc<SecurityEventRecord>>,
}

async fn serve(state: HttpState, socket: WebSocket, waiting: Waiting) {
    let app = state.app.clone();
    let settings = app.config.live;
    let introspection_enabled = app.config.graphql_introspection;
    let (mut sink, mut incoming) = socket.split();
    let (to_protocol, protocol_input) = mpsc::channel(MAX_MESSAGES_IN_HAND);
    let refusal = Arc::new(InitRefusal::default());
    let (established_tx, mut established_rx) = tokio::sync::oneshot::channel::<Established>();
    let established_tx = Mutex::new(Some(established_tx));
    let waiting = Mutex::new(Some(waiting));
    let init = {
        let (app, feed, refusal) = (app.clone(), state.session_feed.clone(), refusal.clone());
        move |payload: serde_json::Value| async move {
            let (established, data) = match connection_init(&app, &feed, &payload).await {
                Ok(ok) => ok,
                Err((code, reason)) => {
                    refusal.set(code, reason);
                    return Err(async_graphql::Error::new(reason));
                }
            };
            // No longer waiting, before the client hears connection_ack.
            drop(waiting.lock().take());
            if let Some(sender) = established_tx.lock().take() {
                let _ = sender.send(established);
            }
            Ok(data)
        }
    };
    let mut protocol_stream = Box::pin(
        ProtocolStream::from_message_stream(
            state.schemas.full.clone(),
            admitted_messages(protocol_input),
            WebSocketProtocols::GraphQLWS,
        )
        .on_connection_init(init),
    );

    app.metrics.live_sockets.inc();
    let init_deadline = Instant::now() + settings.init_timeout;
    let mut established: Option<Established> = None;
    let mut init_answered = false;
    let mut init_sent = false;
    let mut running = Running::default();
    let mut rate = FrameRate::new(settings.max_messages_per_sec);
    let mut last_heard = Instant::now();
    let mut expiry_check = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let stopping = state.sockets.stopping();
    tokio::pin!(stopping);
    // The protocol stream comes before the client's frames: whatever it has
    // to say about an id is said before the client's next frame is judged.
    let close = loop {
        tokio::select! {
            biased;
            () = &mut stopping => break Some((1012, "the service is restarting".to_owned())),
            message = protocol_stream.next() => match message {
                Some(WsMessage::Text(text)) => {
                    let Some(text) = running.said_by_server(text) else {
                        continue;
                    };
                    if !send(&mut sink, Message::Text(text.into())).await {
                        break None;
                    }
                }
                Some(WsMessage::Close(code, reason)) => {
                    break Some(match refusal.get() {
                        Some((code, reason)) => (code, reason.to_owned()),
                        // async-graphql's answer to a subscribe before
                        // connection_init: no token came.
                        None if code == 1011 && established.is_none() => {
                            (4403, "UNAUTHENTICATED".to_owned())
                        }
                        None => (code, reason),
                    });
                }
                None => break None,
            },
            frame = incoming.next() => {
                let frame = match frame {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break None,
                    Some(Ok(frame)) => frame,
                };
                last_heard = Instant::now();
                if !rate.take(last_heard) {
                    break Some((1008, "too many messages".to_owned()));
                }
                // Binary frames, pings and pongs count, and say nothing.
                let Message::Text(text) = frame else {
                    continue;
                };
                match judge_message(&text, &mut running, &mut init_sent, introspection_enabled).await {
                    Judged::HandOn(message) => {
                        // The receiver lives in the protocol stream, as long
                        // as this loop; full, the protocol has not taken
                        // what came before (it reads nothing while
                        // connection_init waits on the database).
                        if let Err(mpsc::error::TrySendError::Full(_)) = to_protocol.try_send(*message) {
                            break Some((1008, "too many messages".to_owned()));
                        }
                    }
                    Judged::Answer(answer) => {
                        if !send(&mut sink, Message::Text(answer.into())).await {
                            break None;
                        }
                    }
                    Judged::Close(code, reason) => break Some((code, reason)),
                }
            },
            ready = &mut established_rx, if !init_answered => {
                init_answered = true;
                if let Ok(ready) = ready {
                    expiry_check = deadline_of(&app, &ready.auth);
                    established = Some(ready);
                }
            },
            news = next_from_feed(&mut established) => match news {
                FeedNews::Event(event) => {
                    pass_on(&established, event);
                }
                FeedNews::Last(Some(LastWord::OwnSessionEnded(event))) => {
                    break Some(end_of_own_session(&mut established, event, &mut protocol_stream, &mut running, &mut sink).await);
                }
                FeedNews::Last(Some(LastWord::Unavailable)) => {
                    break Some((1013, "SERVICE_UNAVAILABLE".to_owned()));
                }
                FeedNews::Last(None) => break Some((1011, "too far behind".to_owned())),
            },
            () = tokio::time::sleep_until(expiry_check), if established.is_some() => {
                match recheck(&app, &mut established).await {
                    Recheck::Open(deadline) => expiry_check = deadline,
                    Recheck::Ended(reason, at) => {
                        let ended = established.as_ref().map(|e| {
                            SessionEvent::ended(&e.auth.session.id, &e.auth.user.id, reason, at)
                        });
                        let Some(event) = ended else {
                            break Some((4403, "SESSION_REVOKED".to_owned()));
                        };
                        break Some(end_of_own_session(&mut established, Arc::new(event), &mut protocol_stream, &mut running, &mut sink).await);
                    }
                    Recheck::Unknown => break Some((1013, "SERVICE_UNAVAILABLE".to_owned())),
                }
            },
            () = tokio::time::sleep_until(init_deadline), if established.is_none() => {
                break Some((4408, "Connection initialisation timeout".to_owned()));
            },
            _ = ping.tick() => {
                if last_heard.elapsed() >= 2 * PING_EVERY {
                    // Half open: the client is gone without a word.
                    break None;
                }
                if !send(&mut sink, Message::Ping(Vec::new().into())).await {
                    break None;
                }
            },
        }
    };
    if let Some((code, reason)) = close {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        if send(&mut sink, Message::Close(Some(frame))).await {
            let _ = tokio::time::timeout(SEND_TIMEOUT, sink.close()).await;
            // The closing handshake: read (and drop) what the client still
            // sends until its own close. Closing the TCP connection with its
            // frames unread makes the kernel reset it, and a client still
            // sending (a flood cut at 1008, say) then loses the close frame
            // and sees 1006 instead of the code.
            let _ = tokio::time::timeout(CLOSE_DRAIN, async {
                while let Some(Ok(frame)) = incoming.next().await {
                    if matches!(frame, Message::Close(_)) {
                        break;
                    }
                }
            })
            .await;
        }
    }
    drop(established);
    app.metrics.live_sockets.dec();
}

/// What becomes of one text message from the client.
enum Judged {
    /// Handed to the protocol stream.
    HandOn(Box<ClientMessage>),
    /// Answered here (an `error` message); the socket carries on.
    Answer(String),
    /// The socket closes with this code and reason.
    Close(u16, String),
}

/// Reads the client's message and judges it: a `subscribe` is admitted
/// (see [`crate::api::http::socket::subscribe`]) within the socket's bounds before
/// async-graphql sees it.
async fn judge_message(
    text: &str,
    running: &mut Running,
    init_sent: &mut bool,
    introspection_enabled: bool,
) -> Judged {
    let Ok(message) = serde_json::from_str::<ClientMessage>(text) else {
        return Judged::Close(4400, "Invalid message received".to_owned());
    };
    match message {
        ClientMessage::ConnectionInit { .. } => *init_sent = true,
        ClientMessage::Start { id, payload } => {
            if !*init_sent {
                // No token came.
                return Judged::Close(4403, "UNAUTHENTICATED".to_owned());
            }
            match running.room_for(&id) {
                Room::Duplicate => {
                    return Judged::Close(
                        4409,
                        close_reason(format!("Subscriber for {id} already exists")),
                    );
                }
                Room::Full => {
                    let refused = refusal(&format!(
                        "a socket runs at most {MAX_SUBSCRIPTIONS} subscriptions at once: complete one first"
                    ));
                    return Judged::Answer(error_message(&id, &[refused]));
                }
                Room::Free => {}
            }
            let (payload, admitted) =
                judge_off_workers(payload, move |request: &mut async_graphql::Request| {
                    judge(request, introspection_enabled)
                })
                .await;
            if let Err(refused) = admitted {
                return Judged::Answer(error_message(&id, &[refused]));
            }
            running.started(id.clone());
            return Judged::HandOn(Box::new(ClientMessage::Start { id, payload }));
        }
        ClientMessage::Stop { ref id } => running.completed_by_client(id),
        _ => {}
    }
    Judged::HandOn(Box::new(message))
}

/// A close frame's reason holds at most 123 bytes.
fn close_reason(mut reason: String) -> String {
    const MAX_REASON_BYTES: usize = 123;
    if reason.len() > MAX_REASON_BYTES {
        let mut end = MAX_REASON_BYTES;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    reason
}

/// Client messages judged and handed on that the protocol may not have
/// taken yet. It takes them as they come once `connection_init` is
/// answered; before that it reads nothing, and without a bound a client
/// could pile up 64 KiB messages (pongs carry any payload) at its rate for
/// as long as the database keeps the init waiting.
const MAX_MESSAGES_IN_HAND: usize = 16;

/// The admitted messages, as the protocol stream reads them.
fn admitted_messages(
    mut receiver: mpsc::Receiver<ClientMessage>,
) -> impl futures_util::Stream<Item = serde_json::Result<ClientMessage>> + Send + Unpin + 'static {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx).map(|message| message.map(Ok)))
}

/// Counts every frame a client sends (text, binary, ping and pong alike)
/// against `WS_MAX_MESSAGES_PER_SEC`, per second.
struct FrameRate {
    per_sec: u32,
    window_start: Instant,
    in_window: u32,
}

impl FrameRate {
    fn new(per_sec: u32) -> Self {
        FrameRate {
            per_sec,
            window_start: Instant::now(),
            in_window: 0,
        }
    }

    /// Counts one frame; false when it is one too many.
    fn take(&mut self, now: Instant) -> bool {
        if now.duration_since(self.window_start) >= Duration::from_secs(1) {
            self.window_start = now;
            self.in_window = 0;
        }
        self.in_window = self.in_window.saturating_add(1);
        self.in_window <= self.per_sec
    }
}

/// Sends one message, false when the client is gone or has not taken it
/// within [`SEND_TIMEOUT`].
async fn send(
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    message: Message,
) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// Checks `connection_init`'s token and joins the feed. The socket joins
/// before its session is read, so that an end committed after that read is
/// one the feed hands it.
async fn connection_init(
    app: &Arc<App>,
    feed: &SessionFeed,
    payload: &serde_json::Value,
) -> Result<(Established, Data), (u16, &'static str)> {
    let authorization = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(serde_json::Value::as_str);
    let now = app.clock.now();
    let token = authorization
        .and_then(sessions::bearer_token)
        .ok_or((4403, "UNAUTHENTICATED"))?;
    let claims = app
        .access_tokens
        .verify(token, crate::core::clock::unix_secs(now))
        .map_err(|error| (4403, refusal_code(&error)))?;
    feed.start(app);
    let watch = feed
        .watch(
            &claims.sub,
            &claims.sid,
            now,
            app.config.live.max_sockets_per_user,
        )
        .map_err(|TooManySockets| (4429, "too many sockets for this user"))?;
    let auth = authenticate(app, authorization)
        .await
        .map_err(|error| match error {
            AppError::ServiceUnavailable(_) => (1013, "SERVICE_UNAVAILABLE"),
            other => (4403, refusal_code(&other)),
        })?;
    let (events, _) = broadcast::channel(SUBSCRIPTION_BACKLOG);
    let (security_events, _) = broadcast::channel(SUBSCRIPTION_BACKLOG);
    let session = Arc::new(SocketSession {
        user: auth.user.clone(),
        session_id: auth.session.id.clone(),
        events: events.clone(),
        security_events: security_events.clone(),
    });
    let mut data = Data::default();
    data.insert(session);
    Ok((
        Established {
            auth,
            watch,
            events,
            security_events,
        },
        data,
    ))
}

/// The contract code of a refused token, as the close reason.
fn refusal_code(error: &AppError) -> &'static str {
    error.code().as_str()
}

/// When to read the socket's session again: at its expiry.
fn deadline_of(app: &App, auth: &Authenticated) -> Instant {
    let left = (auth.session.expires_at - app.clock.now())
        .to_std()
        .unwrap_or_default();
    Instant::now() + left
}

/// What the socket's session is at its expiry.
enum Recheck {
    /// A refresh moved its expiry: read again then.
    Open(Instant),
    /// It has ended, or expired, for this reason, at this time.
    Ended(EndReason, NaiveDateTime),
    /// The database cannot say, or not within [`RECHECK_WITHIN`].
    Unknown,
}

/// How long the socket waits for its session's row at expiry: the
/// contract's bound on telling a socket that its session ended (2 s).
const RECHECK_WITHIN: Duration = Duration::from_secs(2);

/// Reads the socket's session again at its expiry, through the sessions
/// service's liveness rule.
async fn recheck(app: &Arc<App>, established: &mut Option<Established>) -> Recheck {
    let Some(current) = established.as_mut() else {
        return Recheck::Ended(EndReason::Expired, app.clock.now());
    };
    // The read runs on a task of its own, so that giving up on it never
    // cuts a statement midway (its connection would be thrown away): it
    // finishes or fails by itself, within the pool's timeouts.
    let read = tokio::spawn({
        let (app, session_id) = (app.clone(), current.auth.session.id.clone());
        async move { sessions::recheck(&app, &session_id).await }
    });
    match tokio::time::timeout(RECHECK_WITHIN, read).await {
        Ok(Ok(Ok(Liveness::Live { expires_at }))) => {
            current.auth.session.expires_at = expires_at;
            Recheck::Open(deadline_of(app, &current.auth))
        }
        // The row's own time, as the feed would tell it; a row gone expired
        // no later than the expiry the socket knew.
        Ok(Ok(Ok(Liveness::Ended(reason, at)))) => {
            Recheck::Ended(reason, at.unwrap_or(current.auth.session.expires_at))
        }
        // Failed, not in time, or the task was lost: the database cannot say.
        _ => Recheck::Unknown,
    }
}

/// What the feed has for a socket next.
enum FeedNews {
    Event(FeedItem),
    /// The feed's last word; None when the feed let the socket go for
    /// being too far behind.
    Last(Option<LastWord>),
}

/// The socket's next news from the feed; never, before `connection_init`.
/// The last word comes after every event queued before it.
async fn next_from_feed(established: &mut Option<Established>) -> FeedNews {
    let Some(established) = established else {
        return std::future::pending().await;
    };
    let watch = &mut established.watch;
    tokio::select! {
        biased;
        Some(event) = watch.receiver.recv() => FeedNews::Event(event),
        word = &mut watch.last_word => FeedNews::Last(word.ok()),
    }
}

/// Hands an event to the socket's subscriptions of its kind; none yet is
/// not an error: the event simply has no reader.
fn pass_on(established: &Option<Established>, item: FeedItem) {
    if let Some(current) = established {
        match item {
            FeedItem::Session(event) => {
                let _ = current.events.send(event);
            }
            FeedItem::Security(event) => {
                let _ = current.security_events.send(event);
            }
        }
    }
}

/// The socket's own session ended: lets every subscription send that
/// event (after any still queued), then says to close with 4403
/// `SESSION_REVOKED`.
async fn end_of_own_session<S>(
    established: &mut Option<Established>,
    event: Arc<SessionEvent>,
    protocol_stream: &mut S,
    running: &mut Running,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
) -> (u16, String)
where
    S: futures_util::Stream<Item = WsMessage> + Unpin,
{
    while let Some(queued) = established
        .as_mut()
        .and_then(|current| current.watch.receiver.try_recv().ok())
    {
        pass_on(established, queued);
    }
    pass_on(established, FeedItem::Session(event));
    // Every subscription's stream now holds the events: send what the
    // protocol has ready before closing.
    tokio::task::yield_now().await;
    while let Some(Some(message)) = protocol_stream.next().now_or_never() {
        match message {
            WsMessage::Text(text) => {
                let Some(text) = running.said_by_server(text) else {
                    continue;
                };
                if !send(sink, Message::Text(text.into())).await {
                    break;
                }
            }
            WsMessage::Close(..) => break,
        }
    }
    (4403, "SESSION_REVOKED".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = "subscription { sessionEvents { kind } }";

    fn subscribe(id: &str, query: &str) -> String {
        serde_json::json!({ "id": id, "type": "subscribe", "payload": { "query": query } })
            .to_string()
    }

    fn closed(judged: Judged) -> Option<(u16, String)> {
        match judged {
            Judged::Close(code, reason) => Some((code, reason)),
            _ => None,
        }
    }

    fn answered(judged: Judged) -> Option<serde_json::Value> {
        match judged {
            Judged::Answer(text) => serde_json::from_str(&text).ok(),
            _ => None,
        }
    }

    #[tokio::test]
    async fn messages_outside_the_protocol_close_4400() {
        let (mut running, mut init_sent) = (Running::default(), true);
        for text in ["not json", "{}", r#"{"type":"subscribe"}"#, "[1]"] {
            let judged = judge_message(text, &mut running, &mut init_sent, true).await;
            assert_eq!(closed(judged).map(|c| c.0), Some(4400), "{text}");
        }
    }

    #[tokio::test]
    async fn a_subscribe_before_connection_init_closes_4403() {
        let (mut running, mut init_sent) = (Running::default(), false);
        let judged =
            judge_message(&subscribe("1", EVENTS), &mut running, &mut init_sent, true).await;
        assert_eq!(closed(judged), Some((4403, "UNAUTHENTICATED".to_owned())));
    }

    #[tokio::test]
    async fn subscribes_are_bounded_and_ids_unique() {
        let (mut running, mut init_sent) = (Running::default(), false);
        let init = r#"{"type":"connection_init","payload":{}}"#;
        let judged = judge_message(init, &mut running, &mut init_sent, true).await;
        assert!(matches!(judged, Judged::HandOn(_)));
        for id in 0..MAX_SUBSCRIPTIONS {
            let judged = judge_message(
                &subscribe(&id.to_string(), EVENTS),
                &mut running,
                &mut init_sent,
                true,
            )
            .await;
            assert!(matches!(judged, Judged::HandOn(_)));
        }
        let refused = answered(
            judge_message(
                &subscribe("new", EVENTS),
                &mut running,
                &mut init_sent,
                true,
            )
            .await,
        )
        .expect("an error message");
        assert_eq!(refused["type"], "error");
        assert_eq!(refused["id"], "new");
        let judged =
            judge_message(&subscribe("3", EVENTS), &mut running, &mut init_sent, true).await;
        assert_eq!(
            closed(judged),
            Some((4409, "Subscriber for 3 already exists".to_owned()))
        );
    }

    #[test]
    fn a_long_id_makes_a_close_reason_that_fits() {
        let reason = close_reason(format!("Subscriber for {} already exists", "é".repeat(200)));
        assert!(reason.len() <= 123);
    }

    #[test]
    fn every_frame_counts_within_a_second() {
        let mut rate = FrameRate::new(3);
        let start = Instant::now();
        assert!((0..3).all(|_| rate.take(start)));
        assert!(!rate.take(start));
        assert!(rate.take(start + Duration::from_secs(1)));
    }
}
