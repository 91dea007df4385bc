//! One session event as the feed hands it out (`api::graphql::session_event`
//! shows it as the schema's `SessionEvent`).

use chrono::{NaiveDateTime, TimeDelta};

use crate::core::clock;

use crate::store::sessions::{SessionChange, SessionView};
use crate::vocabulary::EndReason;

/// How long past its `expires_at` an expiry is announced. Replica clocks
/// may disagree by up to about a second: a replica whose clock runs ahead
/// would otherwise announce an expiry while another replica still accepts
/// the session. The event's `at` stays `expires_at`.
pub(crate) const EXPIRY_ANNOUNCED_AFTER: TimeDelta = TimeDelta::seconds(1);

/// Whether a session opened or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SessionEventKind {
    Opened,
    Ended,
}

/// A session that opened or ended, whoever's.
#[derive(Debug, Clone)]
pub(crate) struct SessionEvent {
    pub kind: SessionEventKind,
    pub session_id: String,
    pub user_id: String,
    pub reason: Option<EndReason>,
    pub at: NaiveDateTime,
    /// For `OPENED`: the session as `mySessions` lists it.
    pub session: Option<SessionView>,
}

impl SessionEvent {
    /// The events a row read at `since` stands for, up to `now`: its
    /// opening, and its end or its expiry, each when it happened at `since`
    /// or later; an expiry once it is [`EXPIRY_ANNOUNCED_AFTER`] past.
    pub(crate) fn from_change(
        change: SessionChange,
        since: NaiveDateTime,
        now: NaiveDateTime,
    ) -> Vec<SessionEvent> {
        let mut events = Vec::with_capacity(1);
        let view = change.view;
        let end = match change.ended_at {
            Some(ended_at) => (ended_at >= since)
                .then(|| (ended_at, change.end_reason.unwrap_or(EndReason::Expired))),
            // Expiry writes nothing: it is an end at `expires_at`, told a
            // little late against clock skew.
            None => (view.expires_at >= since
                && clock::later(view.expires_at, EXPIRY_ANNOUNCED_AFTER) <= now)
                .then_some((view.expires_at, EndReason::Expired)),
        };
        if view.created_at >= since {
            events.push(SessionEvent {
                kind: SessionEventKind::Opened,
                session_id: view.id.clone(),
                user_id: view.user_id.clone(),
                reason: None,
                at: view.created_at,
                session: Some(view.clone()),
            });
        }
        if let Some((at, reason)) = end {
            events.push(SessionEvent::ended(&view.id, &view.user_id, reason, at));
        }
        events
    }

    /// The end of a session, for `reason`, at `at`.
    pub(crate) fn ended(
        session_id: &str,
        user_id: &str,
        reason: EndReason,
        at: NaiveDateTime,
    ) -> SessionEvent {
        SessionEvent {
            kind: SessionEventKind::Ended,
            session_id: session_id.to_owned(),
            user_id: user_id.to_owned(),
            reason: Some(reason),
            at,
            session: None,
        }
    }
}
