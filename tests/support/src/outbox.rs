//! The mail outbox as stored, for tests of what it holds at rest.

use authql::store::schema::mail_outbox;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::server::TestServer;

/// One row of `mail_outbox`.
#[derive(Debug, Clone, Queryable)]
pub struct OutboxRow {
    pub id: String,
    pub kind: String,
    /// The sealed mail; empty once sent or given up.
    pub sealed: String,
    pub created_at: NaiveDateTime,
    /// None once sent or given up.
    pub due_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub claimed_by: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
}

impl TestServer {
    /// Every row of the mail outbox, oldest first.
    pub async fn outbox(&self) -> Vec<OutboxRow> {
        let mut conn = self.app.pool.get().await.expect("connection");
        authql::with_conn!(&mut conn, |c| {
            mail_outbox::table
                .order((mail_outbox::created_at.asc(), mail_outbox::id.asc()))
                .select((
                    mail_outbox::id,
                    mail_outbox::kind,
                    mail_outbox::sealed,
                    mail_outbox::created_at,
                    mail_outbox::due_at,
                    mail_outbox::attempts,
                    mail_outbox::claimed_by,
                    mail_outbox::sent_at,
                ))
                .load::<OutboxRow>(c)
                .await
        })
        .expect("the outbox")
    }
}
