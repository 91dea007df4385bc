//! The `mail_outbox` table: mails queued with the change that caused them,
//! claimed by a sender with a compare-and-set, marked sent (or given up),
//! and pruned after their retention.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::store::DbConn;
use crate::store::schema::mail_outbox;
use crate::with_conn;

/// A mail to queue; see `core::mail::Mailer::outbox_row`.
#[derive(Insertable, Clone)]
#[diesel(table_name = mail_outbox)]
pub(crate) struct NewOutboxMail {
    pub id: String,
    pub kind: String,
    pub recipient_key: String,
    pub sealed: String,
    pub created_at: NaiveDateTime,
    pub due_at: Option<NaiveDateTime>,
    pub attempts: i32,
    /// How many mails of its kind one address may get (not stored).
    #[diesel(skip_insertion)]
    pub limits: MailLimits,
}

/// The most mails of one kind that one address gets in a minute and in an
/// hour; [`queue_mail!`] queues no more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MailLimits {
    pub per_minute: i64,
    pub per_hour: i64,
}

impl MailLimits {
    /// One mail a minute and five an hour: for mails that anyone who knows
    /// an address can cause.
    pub(crate) const ASKED_FOR: MailLimits = MailLimits {
        per_minute: 1,
        per_hour: 5,
    };
}

/// Takes the row lock of `$key` (any text) on `$c` inside a transaction,
/// as its first write: concurrent transactions that take the same key run
/// one after the other on MySQL (the row's lock; on Galera a real change,
/// so that two nodes' transactions conflict and one runs again), and a
/// SQLite transaction that begins with it takes the write lock at once
/// (one that read first could not become a writer once another commit made
/// its snapshot stale). The row lives in `login_throttle`, whose pruning
/// deletes it an hour or so after its window began. Evaluates to
/// `QueryResult<()>`.
#[macro_export]
macro_rules! lock_key {
    ($c:ident, $key:expr, $now:expr) => {{
        use ::diesel::prelude::*;
        use ::diesel_async::RunQueryDsl;
        use $crate::store::schema::login_throttle as locks;
        let key: &str = $key;
        let now: ::chrono::NaiveDateTime = $now;
        ::diesel::insert_or_ignore_into(locks::table)
            .values((
                locks::throttle_key.eq(key),
                locks::failure_count.eq(0),
                locks::window_started_at.eq(now),
                locks::checking.eq(0),
            ))
            .execute($c)
            .await?;
        ::diesel::update(locks::table.filter(locks::throttle_key.eq(key)))
            .set(locks::failure_count.eq(locks::failure_count + 1))
            .execute($c)
            .await
            .map(|_| ())
    }};
}

/// The lock of [`queue_mail!`]: one per recipient and kind.
pub(crate) fn recipient_lock(row: &NewOutboxMail) -> String {
    format!("mail:{}:{}", row.kind, row.recipient_key)
}

/// Queues `$row` (a [`NewOutboxMail`]) on `$c` inside a `with_conn!` body
/// (and so inside the caller's transaction), unless its address already got
/// the most mails of its kind the limits allow. Evaluates to
/// `QueryResult<bool>`: whether the mail was queued. The recipient's lock
/// ([`lock_key!`]) is taken first, so that two requests for one address
/// cannot both count below the limit. A macro, as `with_conn!` bodies are
/// compiled once per backend.
#[macro_export]
macro_rules! queue_mail {
    ($c:ident, $row:expr) => {{
        use ::diesel::prelude::*;
        use ::diesel_async::RunQueryDsl;
        use $crate::store::schema::mail_outbox as outbox;
        let row: &$crate::store::outbox::NewOutboxMail = $row;
        $crate::lock_key!(
            $c,
            &$crate::store::outbox::recipient_lock(row),
            row.created_at
        )?;
        let hour_ago = row.created_at - ::chrono::TimeDelta::hours(1);
        let minute_ago = row.created_at - ::chrono::TimeDelta::minutes(1);
        let recent: Vec<::chrono::NaiveDateTime> = outbox::table
            .filter(outbox::recipient_key.eq(&row.recipient_key))
            .filter(outbox::kind.eq(&row.kind))
            .filter(outbox::created_at.gt(hour_ago))
            .select(outbox::created_at)
            .load($c)
            .await?;
        let last_minute = recent.iter().filter(|at| **at > minute_ago).count() as i64;
        if recent.len() as i64 >= row.limits.per_hour || last_minute >= row.limits.per_minute {
            Ok::<bool, ::diesel::result::Error>(false)
        } else {
            ::diesel::insert_into(outbox::table)
                .values(row)
                .execute($c)
                .await
                .map(|_| true)
        }
    }};
}

/// A mail waiting in the outbox, as the sender reads it: enough to claim,
/// open and schedule it.
#[derive(Debug, Clone, Queryable)]
pub(crate) struct PendingMail {
    pub id: String,
    pub kind: String,
    pub sealed: String,
    pub created_at: NaiveDateTime,
    /// When the next attempt may start: past for a mail that is due, the
    /// end of the lease for one a sender holds.
    pub due_at: NaiveDateTime,
    pub attempts: i32,
}

/// The mails still to send, soonest due first, at most `limit`: due ones
/// (`due_at <= now`) and, after them, when the next one falls due. One read
/// of the `due_at` index; while the outbox holds nothing to send it finds
/// no row.
pub(crate) async fn pending(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<PendingMail>> {
    with_conn!(conn, |c| {
        mail_outbox::table
            .filter(mail_outbox::due_at.is_not_null())
            .order(mail_outbox::due_at.asc())
            .select((
                mail_outbox::id,
                mail_outbox::kind,
                mail_outbox::sealed,
                mail_outbox::created_at,
                mail_outbox::due_at.assume_not_null(),
                mail_outbox::attempts,
            ))
            .limit(limit)
            .load::<PendingMail>(c)
            .await
    })
}

/// When the oldest mail still to send was queued; read only when
/// [`pending`] came back full, so the rows it read may not hold it.
pub(crate) async fn oldest_pending(conn: &mut DbConn) -> QueryResult<Option<NaiveDateTime>> {
    with_conn!(conn, |c| {
        mail_outbox::table
            .filter(mail_outbox::due_at.is_not_null())
            .select(diesel::dsl::min(mail_outbox::created_at))
            .first::<Option<NaiveDateTime>>(c)
            .await
    })
}

/// Claims `mail` for `replica` until `lease_until`, if it is still as it
/// was read: due (`due_at <= now`), with the same attempts, and not held by
/// a live lease. The claim moves `due_at` to the lease's end, so that no
/// sender reads it as due while it is held, and a sender that dies holding
/// it lets it fall due again. The compare-and-set's row count says who won
/// (MySQL counts matched rows, and a row another sender claimed no longer
/// matches); on Galera a certification conflict fails one of two
/// concurrent claims, and `with_conn!` runs it again, to match nothing.
pub(crate) async fn claim(
    conn: &mut DbConn,
    mail: &PendingMail,
    replica: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        diesel::update(
            mail_outbox::table
                .filter(mail_outbox::id.eq(&mail.id))
                .filter(mail_outbox::attempts.eq(mail.attempts))
                .filter(mail_outbox::due_at.le(now))
                .filter(
                    mail_outbox::claimed_until
                        .is_null()
                        .or(mail_outbox::claimed_until.le(now)),
                ),
        )
        .set((
            mail_outbox::claimed_by.eq(replica),
            mail_outbox::claimed_until.eq(lease_until),
            mail_outbox::due_at.eq(lease_until),
        ))
        .execute(c)
        .await
        .map(|matched| matched == 1)
    })
}

/// Marks a mail `replica` claimed as sent: no longer due, and its sealed
/// text emptied, so that no link stays at rest. Whether the claim was still
/// ours.
pub(crate) async fn mark_sent(
    conn: &mut DbConn,
    id: &str,
    replica: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        diesel::update(
            mail_outbox::table
                .filter(mail_outbox::id.eq(id))
                .filter(mail_outbox::claimed_by.eq(replica))
                .filter(mail_outbox::due_at.is_not_null()),
        )
        .set((
            mail_outbox::sent_at.eq(now),
            mail_outbox::due_at.eq(None::<NaiveDateTime>),
            mail_outbox::sealed.eq(""),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(c)
        .await
        .map(|matched| matched == 1)
    })
}

/// Counts a failed attempt of a mail `replica` claimed and releases the
/// claim: due again at `retry_at`, or, when None, given up (no longer due,
/// its sealed text emptied). Whether the claim was still ours.
pub(crate) async fn mark_failed(
    conn: &mut DbConn,
    id: &str,
    replica: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    with_conn!(conn, |c| {
        let mine = mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::claimed_by.eq(replica))
            .filter(mail_outbox::due_at.is_not_null());
        let attempts = mail_outbox::attempts.eq(mail_outbox::attempts + 1);
        let released = (
            mail_outbox::claimed_by.eq(None::<String>),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
        );
        let matched = match retry_at {
            Some(at) => {
                diesel::update(mine)
                    .set((mail_outbox::due_at.eq(at), attempts, released))
                    .execute(c)
                    .await?
            }
            None => {
                diesel::update(mine)
                    .set((
                        mail_outbox::due_at.eq(None::<NaiveDateTime>),
                        mail_outbox::sealed.eq(""),
                        attempts,
                        released,
                    ))
                    .execute(c)
                    .await?
            }
        };
        Ok(matched == 1)
    })
}

/// Queues one mail in a transaction of its own (within the limits of
/// [`queue_mail!`]); whether it was queued.
///
/// On SQLite the transaction reads before it writes, and a read
/// transaction whose snapshot another connection's commit (a sender's
/// claim, say) made stale cannot become a writer: SQLite fails it at once
/// with "database is locked" (`SQLITE_BUSY_SNAPSHOT`; the busy timeout
/// does not wait for it). The transaction was rolled back, so it runs
/// again, on a fresh snapshot.
pub(crate) async fn queue(conn: &mut DbConn, row: &NewOutboxMail) -> QueryResult<bool> {
    let mut attempt = 0;
    loop {
        let queued = with_conn!(conn, |c| {
            use diesel_async::AsyncConnection;
            c.transaction(async |c| crate::queue_mail!(c, row)).await
        });
        match queued {
            Err(error) if attempt < SNAPSHOT_RETRIES && is_stale_snapshot(&error) => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(rand::random_range(1..20)))
                    .await;
            }
            queued => return queued,
        }
    }
}

/// Times a SQLite transaction that lost its snapshot runs again.
const SNAPSHOT_RETRIES: u32 = 10;

/// SQLite's answer to a read transaction that cannot become a writer.
fn is_stale_snapshot(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, info)
            if info.message() == "database is locked"
    )
}

/// Ids of mails sent or given up (no longer due) and queued before
/// `cutoff`, at most `limit`.
pub(crate) async fn finished_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<String>> {
    with_conn!(conn, |c| {
        mail_outbox::table
            .filter(mail_outbox::created_at.lt(cutoff))
            .filter(mail_outbox::due_at.is_null())
            .select(mail_outbox::id)
            .limit(limit)
            .load::<String>(c)
            .await
    })
}

/// Deletes those of `ids` that are still finished and queued before
/// `cutoff`; a mail due again is never deleted.
pub(crate) async fn delete_finished(
    conn: &mut DbConn,
    ids: &[String],
    cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        diesel::delete(
            mail_outbox::table
                .filter(mail_outbox::id.eq_any(ids))
                .filter(mail_outbox::created_at.lt(cutoff))
                .filter(mail_outbox::due_at.is_null()),
        )
        .execute(c)
        .await
    })
}
