//! `SessionEvent` as the schema shows it, for one subscriber, and the
//! schema's mirrors of the vocabulary it uses (`SessionEventKind`,
//! `SessionEndReason`): the rules' enums stay free of GraphQL, and these
//! remote enums convert both ways, variant by variant, checked when built.

use async_graphql::{Enum, ID, Object};

use crate::api::graphql::scalars::DateTime;
use crate::api::graphql::types::Session;
use crate::core::live::event::{SessionEvent, SessionEventKind};
use crate::store::users::UserRecord;
use crate::vocabulary::EndReason;

/// Whether a session opened or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SessionEventKind", remote = "SessionEventKind")]
pub(crate) enum SessionEventKindValue {
    Opened,
    Ended,
}

/// Why a session ended, as `SessionEndReason` shows it and `end_reason` keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "SessionEndReason", remote = "EndReason")]
pub(crate) enum SessionEndReason {
    /// logout, or logoutSession of this session from itself.
    Logout,
    /// logoutSession from another session of the same user.
    EndedByOtherSession,
    /// logoutAll.
    LogoutAll,
    /// A used-up refresh token was presented after the grace window.
    RefreshReuse,
    /// The user was disabled (`authql user disable`).
    UserDisabled,
    /// changePassword or `authql user set-password`.
    PasswordChanged,
    /// Ended by an operator (`authql user logout`).
    EndedByAdmin,
    /// The oldest session, ended to keep the user within MAX_SESSIONS_PER_USER.
    Evicted,
    /// Its refresh token went unused too long, or it reached its maximum lifetime.
    Expired,
    /// resetPassword with the token of a reset mail.
    PasswordReset,
    /// reportSignIn: the user said a sign-in was not theirs.
    ReportedByUser,
}

/// `SessionEvent` for one subscriber: the event, whether it is about the
/// subscriber's own session, and the subscriber's user (the owner of every
/// session it hears of).
pub(crate) struct SessionEventView {
    pub event: std::sync::Arc<SessionEvent>,
    pub current: bool,
    pub user: UserRecord,
}

#[Object(name = "SessionEvent")]
impl SessionEventView {
    async fn kind(&self) -> SessionEventKindValue {
        self.event.kind.into()
    }

    async fn session_id(&self) -> ID {
        ID(self.event.session_id.clone())
    }

    /// True when the event is about the session of this subscription's token.
    async fn current(&self) -> bool {
        self.current
    }

    /// For ENDED: why. Null for OPENED.
    async fn reason(&self) -> Option<SessionEndReason> {
        self.event.reason.map(Into::into)
    }

    async fn at(&self) -> DateTime {
        self.event.at.into()
    }

    /// For OPENED: the new session as mySessions lists it. Null for ENDED.
    async fn session(&self) -> Option<Session> {
        self.event.session.clone().map(|record| Session {
            record,
            current: self.current,
            user: self.user.clone(),
        })
    }
}
