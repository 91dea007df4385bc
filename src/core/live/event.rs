//! One session event as the feed hands it out (`api::graphql::session_event`
//! shows it as the schema's `SessionEvent`).

use chrono::{NaiveDateTime, TimeDelta};

use crate::core::clock;

use crate::store::sessions::{SessionChange, SessionView};
use crate::vocabulary::EndReason;

/// How long past its `expires_at` an expiry is announced, at most. Replica
/// clocks may disagree by up to about a second: a replica whose clock runs
/// ahead would otherwise announce an expiry while another replica still
/// accepts the session. The event's `at` stays `expires_at`.
pub(crate) const EXPIRY_ANNOUNCED_AFTER: TimeDelta = TimeDelta::seconds(1);

/// How late an expiry is announced with reads every `poll_interval`: the
/// full [`EXPIRY_ANNOUNCED_AFTER`], less what a slow poll already adds, so
/// that the delay and the wait for the next read stay within 1.5 s of the
/// expiry and the event within the contract's 2 s (with the 500 ms default,
/// the full second; at the slowest allowed poll, 1 s, half a second).
pub(crate) fn expiry_announced_after(poll_interval: std::time::Duration) -> TimeDelta {
    let poll = TimeDelta::from_std(poll_interval).unwrap_or(EXPIRY_ANNOUNCED_AFTER);
    (TimeDelta::milliseconds(1500) - poll)
        .clamp(TimeDelta::milliseconds(500), EXPIRY_ANNOUNCED_AFTER)
}

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
    /// or later; an expiry once it is `announced_after` past (see
    /// [`expiry_announced_after`]).
    pub(crate) fn from_change(
        change: SessionChange,
        since: NaiveDateTime,
        now: NaiveDateTime,
        announced_after: TimeDelta,
    ) -> Vec<SessionEvent> {
        let mut events = Vec::with_capacity(1);
        let view = change.view;
        let end = match change.ended_at {
            Some(ended_at) => (ended_at >= since)
                .then(|| (ended_at, change.end_reason.unwrap_or(EndReason::Expired))),
            // Expiry writes nothing: it is an end at `expires_at`, told a
            // little late against clock skew.
            None => (view.expires_at >= since
                && clock::later(view.expires_at, announced_after) <= now)
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_slower_poll_leaves_less_of_the_skew_delay() {
        let after = |ms| expiry_announced_after(Duration::from_millis(ms));
        assert_eq!(after(50), TimeDelta::seconds(1));
        assert_eq!(after(500), TimeDelta::seconds(1));
        assert_eq!(after(800), TimeDelta::milliseconds(700));
        assert_eq!(after(1000), TimeDelta::milliseconds(500));
        // The delay and one poll: within 1.5 s of the expiry, whatever the
        // allowed setting, leaving the read room in the contract's 2 s.
        for ms in [50, 250, 500, 750, 1000] {
            assert!(
                after(ms) + TimeDelta::milliseconds(ms as i64) <= TimeDelta::milliseconds(1500)
            );
        }
    }
}
