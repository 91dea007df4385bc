//! The `audit_log` table: one row per admin mutation, written with
//! [`record_admin_action!`] in the transaction of the change it records
//! (with the `ADMIN_ACTION` security event of the user it touched), read
//! newest first by `auditLog`, deleted by the pruning with security events.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::schema::{audit_log as entries, users};
use crate::store::security_events::{NewSecurityEvent, next_seq};
use crate::store::{DbConn, expect_key};
use crate::with_conn;

/// An audit entry to store; built by `crate::core::admin::audit`.
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = entries)]
pub(crate) struct NewAuditEntry {
    pub id: String,
    pub at: NaiveDateTime,
    pub seq: i64,
    pub actor_id: String,
    pub action: String,
    pub target_user_id: Option<String>,
    pub detail: Option<String>,
    pub ip_address: Option<String>,
}

impl NewAuditEntry {
    /// An entry of `action` by `actor_id` at `at`, with a fresh id and the
    /// next `seq` (the same series as security events': see `next_seq`).
    pub(crate) fn new(actor_id: &str, action: &str, at: NaiveDateTime) -> Self {
        NewAuditEntry {
            id: crate::ids::new_id(),
            at,
            seq: next_seq(),
            actor_id: actor_id.to_owned(),
            action: action.to_owned(),
            target_user_id: None,
            detail: None,
            ip_address: None,
        }
    }
}

/// An admin's change as it is stored: its audit entry and, when it touched
/// a user, that user's `ADMIN_ACTION` event.
#[derive(Clone, Debug)]
pub(crate) struct AdminAction {
    pub entry: NewAuditEntry,
    pub event: Option<NewSecurityEvent>,
}

/// Stores an [`AdminAction`] on a connection of either backend inside the
/// caller's transaction (a macro, as `insert_security_event!` is); `?` on
/// failure, so the caller's body must return a `QueryResult`.
#[macro_export]
macro_rules! record_admin_action {
    ($c:expr, $action:expr) => {{
        let action: &$crate::store::audit_log::AdminAction = $action;
        ::diesel_async::RunQueryDsl::execute(
            ::diesel::insert_into($crate::store::schema::audit_log::table).values(&action.entry),
            $c,
        )
        .await?;
        if let Some(event) = &action.event {
            $crate::insert_security_event!($c, event)?;
        }
    }};
}

/// A stored audit entry, with its actor's name (when the actor's row is
/// still there).
#[derive(Clone, Debug)]
pub(crate) struct AuditRecord {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: String,
    pub actor_name: Option<String>,
    pub action: String,
    pub target_user_id: Option<String>,
    pub detail: Option<String>,
    pub ip_address: Option<String>,
}

/// The columns of an entry as [`page`] reads them.
type Row = (
    String,
    NaiveDateTime,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Up to `first` entries, newest first; with `before`, only those older
/// than that entry. None when `before` is no entry.
pub(crate) async fn page(
    conn: &mut DbConn,
    before: Option<&str>,
    first: i64,
) -> QueryResult<Option<Vec<AuditRecord>>> {
    with_conn!(conn, |c| {
        let mut query = entries::table
            .left_join(users::table.on(users::id.eq(entries::actor_id)))
            .select((
                entries::id,
                entries::at,
                entries::actor_id,
                users::user_name.nullable(),
                entries::action,
                entries::target_user_id,
                entries::detail,
                entries::ip_address,
            ))
            .order((entries::at.desc(), entries::seq.desc(), entries::id.desc()))
            .limit(first)
            .into_boxed();
        if let Some(before) = before {
            let cursor = entries::table
                .filter(entries::id.eq(before))
                .select((entries::id, entries::at, entries::seq))
                .first::<(String, NaiveDateTime, i64)>(c)
                .await
                .optional()?;
            let Some((id, at, seq)) = cursor else {
                return Ok(None);
            };
            expect_key("audit entry", before, &id)?;
            query = query.filter(
                entries::at.lt(at).or(entries::at.eq(at).and(
                    entries::seq
                        .lt(seq)
                        .or(entries::seq.eq(seq).and(entries::id.lt(id))),
                )),
            );
        }
        let rows = query.load::<Row>(c).await?;
        Ok(Some(
            rows.into_iter()
                .map(
                    |(id, at, actor_id, actor_name, action, target_user_id, detail, ip_address)| {
                        AuditRecord {
                            id,
                            at,
                            actor_id,
                            actor_name,
                            action,
                            target_user_id,
                            detail,
                            ip_address,
                        }
                    },
                )
                .collect(),
        ))
    })
}

/// Up to `limit` ids of entries recorded before `cutoff`.
pub(crate) async fn recorded_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        entries::table
            .filter(entries::at.lt(cutoff))
            .select(entries::id)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `ids` recorded before `cutoff`; how many.
pub(crate) async fn delete_recorded_before(
    conn: &mut DbConn,
    ids: &[String],
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            entries::table
                .filter(entries::id.eq_any(ids))
                .filter(entries::at.lt(cutoff)),
        )
        .execute(c)
        .await
    })
}
