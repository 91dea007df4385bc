//! Subscription fields: `sessionEvents` and `securityEvents`, served over
//! WebSocket only (see `crate::core::live`).

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, Subscription as SubscriptionRoot};
use futures_util::Stream;
use tokio::sync::broadcast;

use crate::api::graphql::security_events::SecurityEvent;
use crate::api::graphql::session_event::SessionEventView;
use crate::core::live::event::SessionEvent;
use crate::error::AppError;
use crate::store::security_events::SecurityEventRecord;
use crate::store::users::UserRecord;

#[derive(Default)]
pub struct Subscription;

/// What a socket's `connection_init` established, kept in the connection's
/// data for its subscriptions.
pub(crate) struct SocketSession {
    pub user: UserRecord,
    pub session_id: String,
    /// The socket's session events, as its feed hands them out.
    pub events: broadcast::Sender<Arc<SessionEvent>>,
    /// The socket's security events, as its feed hands them out.
    pub security_events: broadcast::Sender<Arc<SecurityEventRecord>>,
}

#[SubscriptionRoot]
impl Subscription {
    /// Pushes an event whenever a session of the signed-in user opens or ends,
    /// through whichever server replica it happened on. Over WebSocket
    /// (graphql-transport-ws); see API.md, Live session events.
    async fn session_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = SessionEventView>> {
        let Some(socket) = ctx.data_opt::<Arc<SocketSession>>() else {
            return Err(AppError::Unauthenticated.extend());
        };
        let receiver = socket.events.subscribe();
        let socket = socket.clone();
        Ok(futures_util::stream::unfold(
            (receiver, socket),
            |(mut receiver, socket)| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) => {
                            let view = SessionEventView {
                                current: event.session_id == socket.session_id,
                                user: socket.user.clone(),
                                event,
                            };
                            return Some((view, (receiver, socket)));
                        }
                        // The socket is closed for being too far behind
                        // before a subscription could lag this far.
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }

    /// Pushes each security event of the signed-in user as it is recorded (what
    /// mySecurityEvents lists), through whichever server replica recorded it.
    /// Over WebSocket (graphql-transport-ws), beside sessionEvents.
    async fn security_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = SecurityEvent>> {
        let Some(socket) = ctx.data_opt::<Arc<SocketSession>>() else {
            return Err(AppError::Unauthenticated.extend());
        };
        Ok(futures_util::stream::unfold(
            socket.security_events.subscribe(),
            |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) => {
                            return Some((SecurityEvent(event.as_ref().clone()), receiver));
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}
