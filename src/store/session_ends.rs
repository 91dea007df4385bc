//! How sessions end, written once: the one UPDATE that stamps `ended_at`
//! and `end_reason` ([`end_statement`]), run with the `SESSION_ENDED`
//! security event of every session it ended by [`end_sessions!`], and what
//! "open at `now`" means in a statement's filter ([`open_at()`]). The
//! sessions table's other queries and the users table's transactions (a
//! password change, a disable) both use them, so they live apart from
//! either.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::expression::BoxableExpression;
use diesel::prelude::*;
use diesel::query_builder::{AsChangeset, BoxedUpdateStatement};
use diesel::sql_types::{Nullable, Timestamp};

use crate::store::DbConn;
use crate::store::schema::user_login_sessions as sessions;
use crate::store::security_events::NewSecurityEvent;
use crate::vocabulary::{EndReason, SecurityEventKind};
use crate::with_conn;

/// Open at `now`, as a statement's filter: neither ended nor past its
/// expiry. The SQL form of `SessionState::is_open`; every query that
/// wants open sessions filters with this.
#[diesel::dsl::auto_type]
pub(crate) fn open_at(now: NaiveDateTime) -> _ {
    sessions::ended_at
        .is_null()
        .and(sessions::expires_at.gt(now))
}

/// Which sessions an end applies to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ending<'a> {
    /// One session, if it is this user's.
    One {
        session_id: &'a str,
        user_id: &'a str,
    },
    /// Every session of the user, but `except` when given.
    AllOfUser {
        user_id: &'a str,
        except: Option<&'a str>,
    },
    /// These sessions (those a login evicts).
    These(&'a [String]),
    /// One session whose expiry has passed with no end stamped: it ended at
    /// its own `expires_at`, which is what the stamp says. The session
    /// already behaves as ended; this only records why, for the audit trail.
    PastExpiry { session_id: &'a str },
}

/// The value `ended_at` takes: `now`, or the row's own expiry.
type EndedAt<'a, DB> =
    Box<dyn BoxableExpression<sessions::table, DB, SqlType = Nullable<Timestamp>> + Send + 'a>;

/// The changes of [`end_statement`].
type EndChanges<'a, DB> = (
    diesel::dsl::Eq<sessions::ended_at, EndedAt<'a, DB>>,
    diesel::dsl::Eq<sessions::end_reason, EndReason>,
);

/// The UPDATE [`end_statement`] builds, on either backend.
pub(crate) type EndStatement<'a, DB> =
    BoxedUpdateStatement<'a, DB, sessions::table, <EndChanges<'a, DB> as AsChangeset>::Changeset>;

/// The one statement that ends sessions: stamps `ended_at` and `end_reason`
/// on the sessions `which` names that are open at `now` (see [`open_at()`]),
/// so that an end never moves the time or reason of a session that had
/// already ended or expired. [`Ending::PastExpiry`] is the exception that
/// proves it: it stamps, at its expiry, a session no longer open.
///
/// Plain ends run it through [`end`]; transactions that end sessions along
/// with another change (a password change, a disable, a login's evictions)
/// execute it on their own connection. Executing it returns how many
/// sessions ended (MySQL counts matched rows, and the filter matches only
/// rows it changes).
pub(crate) fn end_statement<'a, DB: EndSql>(
    which: Ending<'a>,
    reason: EndReason,
    now: NaiveDateTime,
) -> EndStatement<'a, DB> {
    DB::end_statement(which, reason, now)
}

/// The backends [`end_statement`] is built for. Its statement is boxed (the
/// filter depends on [`Ending`]), and diesel cannot box a statement for any
/// backend in general, so the body below is compiled once per backend, as
/// `with_conn!` bodies are: one text, two impls.
pub(crate) trait EndSql: Backend + Sized {
    /// See [`end_statement`].
    fn end_statement(
        which: Ending<'_>,
        reason: EndReason,
        now: NaiveDateTime,
    ) -> EndStatement<'_, Self>;
}

/// Implements [`EndSql`] for one backend.
macro_rules! end_sql_for {
    ($backend:ty) => {
        impl EndSql for $backend {
            fn end_statement(
                which: Ending<'_>,
                reason: EndReason,
                now: NaiveDateTime,
            ) -> EndStatement<'_, Self> {
                let update = diesel::update(sessions::table).into_boxed::<Self>();
                let at_now =
                    || -> EndedAt<'_, Self> { Box::new(now.into_sql::<Nullable<Timestamp>>()) };
                let (update, ended_at) = match which {
                    Ending::One {
                        session_id,
                        user_id,
                    } => (
                        update
                            .filter(sessions::id.eq(session_id))
                            .filter(sessions::user_id.eq(user_id))
                            .filter(open_at(now)),
                        at_now(),
                    ),
                    Ending::AllOfUser { user_id, except } => {
                        let update = update.filter(sessions::user_id.eq(user_id));
                        let update = match except {
                            Some(except) => update.filter(sessions::id.ne(except)),
                            None => update,
                        };
                        (update.filter(open_at(now)), at_now())
                    }
                    Ending::These(session_ids) => (
                        update
                            .filter(sessions::id.eq_any(session_ids))
                            .filter(open_at(now)),
                        at_now(),
                    ),
                    Ending::PastExpiry { session_id } => (
                        update
                            .filter(sessions::id.eq(session_id))
                            .filter(sessions::ended_at.is_null())
                            .filter(sessions::expires_at.le(now)),
                        Box::new(sessions::expires_at.nullable()) as EndedAt<'_, Self>,
                    ),
                };
                update.set((
                    sessions::ended_at.eq(ended_at),
                    sessions::end_reason.eq(reason),
                ))
            }
        }
    };
}

end_sql_for!(diesel::mysql::Mysql);
end_sql_for!(diesel::sqlite::Sqlite);

/// What a `SESSION_ENDED` event tells of the session that ended.
#[derive(Queryable, Selectable, Clone, Debug)]
#[diesel(table_name = sessions)]
#[diesel(check_for_backend(diesel::mysql::Mysql, diesel::sqlite::Sqlite))]
pub(crate) struct EndedSession {
    pub id: String,
    pub user_id: String,
    pub device_name: String,
    pub ip_address: Option<String>,
}

impl EndedSession {
    /// The `SESSION_ENDED` event of this session, ended for `reason` at
    /// `now`: the session's own address and device name, since the event
    /// is about it (whoever ended it).
    pub(crate) fn event(&self, reason: EndReason, now: NaiveDateTime) -> NewSecurityEvent {
        NewSecurityEvent {
            ip_address: self.ip_address.clone(),
            device_name: Some(self.device_name.clone()),
            session_id: Some(self.id.clone()),
            end_reason: Some(reason),
            ..NewSecurityEvent::new(SecurityEventKind::SessionEnded, &self.user_id, now)
        }
    }
}

/// Runs [`end_statement`] on a connection of either backend inside the
/// caller's transaction, and records a `SESSION_ENDED` event for every
/// session it ended; evaluates to how many ended (`?` on failure, so the
/// caller's body must return a `QueryResult`). The one way a transaction
/// ends sessions: no end goes unrecorded.
///
/// The sessions it ended are read back after the UPDATE, as the rows of
/// `which` now stamped with this reason at this time; the UPDATE holds
/// their locks (SQLite's write lock), so no other end can slip in between.
/// Only an end by another request in the same microsecond, for the same
/// reason, of the same user's sessions could be read as this one's too.
#[macro_export]
macro_rules! end_sessions {
    ($c:expr, $which:expr, $reason:expr, $now:expr) => {{
        use ::diesel::prelude::*;
        // Statements run fully qualified: the caller may have either
        // `RunQueryDsl` in scope, and this block brings diesel's own.
        use $crate::store::schema::user_login_sessions as sessions;
        use $crate::store::session_ends::{EndedSession, Ending, end_statement};
        let which: Ending<'_> = $which;
        let reason: $crate::vocabulary::EndReason = $reason;
        let now: ::chrono::NaiveDateTime = $now;
        let ended =
            ::diesel_async::RunQueryDsl::execute(end_statement(which, reason, now), $c).await?;
        if ended > 0 {
            let stamped = sessions::table
                .filter(sessions::end_reason.eq(reason))
                .select(EndedSession::as_select());
            let rows: Vec<EndedSession> = match which {
                Ending::One {
                    session_id,
                    user_id,
                } => {
                    ::diesel_async::RunQueryDsl::load(
                        stamped
                            .filter(sessions::id.eq(session_id))
                            .filter(sessions::user_id.eq(user_id))
                            .filter(sessions::ended_at.eq(now)),
                        $c,
                    )
                    .await?
                }
                Ending::AllOfUser {
                    user_id,
                    except: Some(except),
                } => {
                    ::diesel_async::RunQueryDsl::load(
                        stamped
                            .filter(sessions::user_id.eq(user_id))
                            .filter(sessions::id.ne(except))
                            .filter(sessions::ended_at.eq(now)),
                        $c,
                    )
                    .await?
                }
                Ending::AllOfUser {
                    user_id,
                    except: None,
                } => {
                    ::diesel_async::RunQueryDsl::load(
                        stamped
                            .filter(sessions::user_id.eq(user_id))
                            .filter(sessions::ended_at.eq(now)),
                        $c,
                    )
                    .await?
                }
                Ending::These(session_ids) => {
                    ::diesel_async::RunQueryDsl::load(
                        stamped
                            .filter(sessions::id.eq_any(session_ids))
                            .filter(sessions::ended_at.eq(now)),
                        $c,
                    )
                    .await?
                }
                Ending::PastExpiry { session_id } => {
                    ::diesel_async::RunQueryDsl::load(
                        stamped
                            .filter(sessions::id.eq(session_id))
                            .filter(sessions::ended_at.eq(sessions::expires_at.nullable())),
                        $c,
                    )
                    .await?
                }
            };
            for row in &rows {
                $crate::insert_security_event!($c, &row.event(reason, now))?;
            }
        }
        ended
    }};
}

/// Ends the sessions `which` names for `reason` (see [`end_statement`]),
/// with their events (see [`end_sessions!`]) and `also`, an event the end
/// belongs to (a refresh token's reuse), in one transaction; returns how
/// many ended.
pub(crate) async fn end(
    conn: &mut DbConn,
    which: Ending<'_>,
    reason: EndReason,
    now: NaiveDateTime,
    also: Option<&NewSecurityEvent>,
) -> QueryResult<usize> {
    use diesel_async::AsyncConnection;
    with_conn!(conn, |c| {
        c.transaction(async |c| {
            if let Some(event) = also {
                crate::insert_security_event!(c, event)?;
            }
            Ok(crate::end_sessions!(c, which, reason, now))
        })
        .await
    })
}
