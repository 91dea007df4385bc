//! One WebSocket at `/graphql`: the handshake's `Origin` rule, the
//! `graphql-transport-ws` protocol (async-graphql's), `connection_init`
//! through the same guard as every request, and the socket's bounds and
//! close codes.
//!
//! async-graphql's own `GraphQLWebSocket` runs the whole loop itself, so it
//! can neither close a socket whose session ended, nor say 4429 or 4408, nor
//! count messages; this module runs the loop around async-graphql's protocol
//! stream instead (its `http::WebSocket`), which still does all of the
//! protocol.
//!
//! Close codes: 4403 for a missing or refused token, and (reason
//! `SESSION_REVOKED`) when the socket's own session ends; 4408 when
//! `connection_init` does not come within `WS_INIT_TIMEOUT_SECS`; 4429 past
//! `MAX_SOCKETS_PER_USER`; 1008 past `WS_MAX_MESSAGES_PER_SEC`; 1013
//! (`SERVICE_UNAVAILABLE`) while the database cannot be reached; 1012 when
//! the service stops; 1011 for a socket too far behind its events. A
//! `subscribe` before `connection_init` is 4403 `UNAUTHENTICATED`: no token
//! came. A client that stops reading is dropped once a send has waited
//! [`SEND_TIMEOUT`], so that it never holds its socket's loop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{WebSocket as ProtocolStream, WebSocketProtocols, WsMessage};
use axum::extract::FromRequestParts;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{FutureExt as _, SinkExt as _, StreamExt as _};
use tokio::sync::broadcast;
use tokio::time::Instant;

use crate::app::App;
use crate::auth::sessions::{Authenticated, authenticate};
use crate::browser::origin::{Scheme, may_use_cookie};
use crate::db::models::sessions as session_rows;
use crate::error::AppError;
use crate::graphql::subscription::SocketSession;
use crate::http::HttpState;
use crate::live::event::SessionEvent;
use crate::live::feed::{LastWord, TooManySockets, Watch};
use crate::vocabulary::EndReason;

/// Read and write buffer of one socket.
const SOCKET_BUFFER_BYTES: usize = 4 * 1024;
/// Largest message a client may send, as for a request body.
const MAX_MESSAGE_BYTES: usize = crate::http::graphql::MAX_BODY_BYTES;
/// The one subprotocol spoken.
const SUBPROTOCOL: &str = "graphql-transport-ws";
/// Events a socket's subscriptions may fall behind by.
const SUBSCRIPTION_BACKLOG: usize = 64;
/// How often the server pings a socket; one that has sent nothing (a pong
/// included) for two of these is taken as gone and closed.
const PING_EVERY: Duration = Duration::from_secs(30);
/// How long one send may wait for a client that does not read.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether a request asks to become a WebSocket.
pub(crate) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("websocket"))
}

/// Answers a WebSocket handshake at `/graphql`.
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
            let feed = state.app.session_feed.clone();
            feed.track(serve(state, socket))
        })
}

/// How `connection_init` ended, when it did not succeed: the close code and
/// reason that replace async-graphql's generic one.
#[derive(Default)]
struct InitRefusal(Mutex<Option<(u16, &'static str)>>);

impl InitRefusal {
    fn set(&self, code: u16, reason: &'static str) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((code, reason));
    }

    fn get(&self) -> Option<(u16, &'static str)> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// What a successful `connection_init` hands to the socket's loop.
struct Established {
    auth: Authenticated,
    watch: Watch,
    events: broadcast::Sender<Arc<SessionEvent>>,
}

async fn serve(state: HttpState, socket: WebSocket) {
    let app = state.app.clone();
    let settings = app.config.live;
    let (mut sink, incoming) = socket.split();
    let flooded = Arc::new(AtomicBool::new(false));
    let last_heard = Arc::new(Mutex::new(Instant::now()));
    let incoming = rate_limited(
        incoming,
        settings.max_messages_per_sec,
        flooded.clone(),
        last_heard.clone(),
    );
    let refusal = Arc::new(InitRefusal::default());
    let (established_tx, mut established_rx) = tokio::sync::oneshot::channel::<Established>();
    let established_tx = Mutex::new(Some(established_tx));
    let init = {
        let (app, refusal) = (app.clone(), refusal.clone());
        move |payload: serde_json::Value| async move {
            let (established, data) = match connection_init(&app, &payload).await {
                Ok(ok) => ok,
                Err((code, reason)) => {
                    refusal.set(code, reason);
                    return Err(async_graphql::Error::new(reason));
                }
            };
            if let Some(sender) = established_tx
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take()
            {
                let _ = sender.send(established);
            }
            Ok(data)
        }
    };
    let mut protocol_stream = Box::pin(
        ProtocolStream::new(
            state.schemas.full.clone(),
            incoming,
            WebSocketProtocols::GraphQLWS,
        )
        .on_connection_init(init),
    );

    app.metrics.live_sockets.inc();
    let init_deadline = Instant::now() + settings.init_timeout;
    let mut established: Option<Established> = None;
    let mut init_answered = false;
    let mut expiry_check = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
    let stopping = app.session_feed.stopping();
    tokio::pin!(stopping);
    let close = loop {
        tokio::select! {
            biased;
            () = &mut stopping => break Some((1012, "the service is restarting".to_owned())),
            message = protocol_stream.next() => match message {
                Some(WsMessage::Text(text)) => {
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
                None if flooded.load(Ordering::Acquire) => {
                    break Some((1008, "too many messages".to_owned()));
                }
                None => break None,
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
                    break Some(end_of_own_session(&mut established, event, &mut protocol_stream, &mut sink).await);
                }
                FeedNews::Last(Some(LastWord::Unavailable)) => {
                    break Some((1013, "SERVICE_UNAVAILABLE".to_owned()));
                }
                FeedNews::Last(None) => break Some((1011, "too far behind".to_owned())),
            },
            () = tokio::time::sleep_until(expiry_check), if established.is_some() => {
                match recheck(&app, &mut established).await {
                    Recheck::Open(deadline) => expiry_check = deadline,
                    Recheck::Ended(reason) => {
                        let ended = established.as_ref().map(|e| {
                            SessionEvent::ended(&e.auth.session.id, &e.auth.user.id, reason, app.clock.now())
                        });
                        let Some(event) = ended else {
                            break Some((4403, "SESSION_REVOKED".to_owned()));
                        };
                        break Some(end_of_own_session(&mut established, Arc::new(event), &mut protocol_stream, &mut sink).await);
                    }
                    Recheck::Unknown => break Some((1013, "SERVICE_UNAVAILABLE".to_owned())),
                }
            },
            () = tokio::time::sleep_until(init_deadline), if established.is_none() => {
                break Some((4408, "Connection initialisation timeout".to_owned()));
            },
            _ = ping.tick() => {
                let heard = *last_heard.lock().unwrap_or_else(PoisonError::into_inner);
                if heard.elapsed() >= 2 * PING_EVERY {
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
        }
    }
    drop(established);
    app.metrics.live_sockets.dec();
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
    payload: &serde_json::Value,
) -> Result<(Established, Data), (u16, &'static str)> {
    let authorization = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(serde_json::Value::as_str);
    let now = app.clock.now();
    let token = authorization
        .and_then(crate::auth::sessions::bearer_token)
        .ok_or((4403, "UNAUTHENTICATED"))?;
    let claims = app
        .access_tokens
        .verify(token, crate::clock::unix_secs(now))
        .map_err(|error| (4403, refusal_code(&error)))?;
    app.session_feed.start(app);
    let watch = app
        .session_feed
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
    let session = Arc::new(SocketSession {
        user: auth.user.clone(),
        session_id: auth.session.id.clone(),
        events: events.clone(),
    });
    let mut data = Data::default();
    data.insert(session);
    Ok((
        Established {
            auth,
            watch,
            events,
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
    /// It has ended, or expired, for this reason.
    Ended(EndReason),
    /// The database cannot say.
    Unknown,
}

/// Reads the socket's session again at its expiry.
async fn recheck(app: &App, established: &mut Option<Established>) -> Recheck {
    let Some(current) = established.as_mut() else {
        return Recheck::Ended(EndReason::Expired);
    };
    let found = match app.pool.get().await {
        Ok(mut conn) => session_rows::find_with_user(&mut conn, &current.auth.session.id).await,
        Err(_) => return Recheck::Unknown,
    };
    let now = app.clock.now();
    match found {
        Ok(Some((session, user))) if session.ended_at.is_none() && session.expires_at > now => {
            if !user.is_active() {
                return Recheck::Ended(EndReason::UserDisabled);
            }
            current.auth.session.expires_at = session.expires_at;
            Recheck::Open(deadline_of(app, &current.auth))
        }
        Ok(Some((session, _))) => Recheck::Ended(session.end_reason.unwrap_or(EndReason::Expired)),
        Ok(None) => Recheck::Ended(EndReason::Expired),
        Err(_) => Recheck::Unknown,
    }
}

/// What the feed has for a socket next.
enum FeedNews {
    Event(Arc<SessionEvent>),
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

/// Hands an event to the socket's subscriptions; none yet is not an error:
/// the event simply has no reader.
fn pass_on(established: &Option<Established>, event: Arc<SessionEvent>) {
    if let Some(current) = established {
        let _ = current.events.send(event);
    }
}

/// The socket's own session ended: lets every subscription send that
/// event (after any still queued), then says to close with 4403
/// `SESSION_REVOKED`.
async fn end_of_own_session<S>(
    established: &mut Option<Established>,
    event: Arc<SessionEvent>,
    protocol_stream: &mut S,
    sink: &mut futures_util::stream::SplitSink<WebSocket, Message>,
) -> (u16, String)
where
    S: futures_util::Stream<Item = WsMessage> + Unpin,
{
    if let Some(current) = established.as_mut() {
        while let Ok(queued) = current.watch.receiver.try_recv() {
            let _ = current.events.send(queued);
        }
        let _ = current.events.send(event);
    }
    // Every subscription's stream now holds the events: send what the
    // protocol has ready before closing.
    tokio::task::yield_now().await;
    while let Some(Some(message)) = protocol_stream.next().now_or_never() {
        match message {
            WsMessage::Text(text) => {
                if !send(sink, Message::Text(text.into())).await {
                    break;
                }
            }
            WsMessage::Close(..) => break,
        }
    }
    (4403, "SESSION_REVOKED".to_owned())
}

/// The client's messages as text for the protocol, ending the stream (and
/// noting it) when the client sends more than `per_sec` in a second; every
/// frame, pongs included, is noted in `last_heard`.
fn rate_limited(
    incoming: futures_util::stream::SplitStream<WebSocket>,
    per_sec: u32,
    flooded: Arc<AtomicBool>,
    last_heard: Arc<Mutex<Instant>>,
) -> impl futures_util::Stream<Item = String> + Send + Unpin + 'static {
    let mut window_start = Instant::now();
    let mut in_window = 0u32;
    Box::pin(
        incoming
            .take_while(|message| {
                std::future::ready(matches!(message, Ok(m) if !matches!(m, Message::Close(_))))
            })
            .inspect(move |_| {
                *last_heard.lock().unwrap_or_else(PoisonError::into_inner) = Instant::now();
            })
            .filter_map(|message| {
                std::future::ready(match message {
                    Ok(Message::Text(text)) => Some(text.to_string()),
                    _ => None,
                })
            })
            .take_while(move |_| {
                let now = Instant::now();
                if now.duration_since(window_start) >= Duration::from_secs(1) {
                    window_start = now;
                    in_window = 0;
                }
                in_window += 1;
                let within = in_window <= per_sec;
                if !within {
                    flooded.store(true, Ordering::Release);
                }
                std::future::ready(within)
            }),
    )
}
