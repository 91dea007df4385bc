//! The `mail_outbox` table: mails queued with the change that caused them,
//! claimed by a sender with a compare-and-set, and marked sent.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::store::schema::mail_outbox;

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
}

/// At most one mail a minute and five an hour of each kind to one address.
pub(crate) const PER_MINUTE: i64 = 1;
pub(crate) const PER_HOUR: i64 = 5;

/// Queues `$row` (a [`NewOutboxMail`]) on `$c` inside a `with_conn!` body
/// (and so inside the caller's transaction), unless its address already got
/// the most mails of its kind the limits allow. Evaluates to
/// `QueryResult<bool>`: whether the mail was queued. A macro, as
/// `with_conn!` bodies are compiled once per backend.
#[macro_export]
macro_rules! queue_mail {
    ($c:ident, $row:expr) => {{
        use ::diesel::prelude::*;
        use ::diesel_async::RunQueryDsl;
        use $crate::store::schema::mail_outbox as outbox;
        let row: &$crate::store::outbox::NewOutboxMail = $row;
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
        if recent.len() as i64 >= $crate::store::outbox::PER_HOUR
            || last_minute >= $crate::store::outbox::PER_MINUTE
        {
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
