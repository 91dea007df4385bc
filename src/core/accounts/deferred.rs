//! Writing a mail's token and row after the answer, for the operations
//! whose answer must not tell whether an address has an account
//! (`requestPasswordReset`, `requestEmailVerification`). Both kinds of
//! request make the same lookup before they answer; only a known address
//! then has a write to make, and that write runs on a task of its own, so
//! its commit (an fsync on MySQL) is not in the answer's time. The tasks
//! are few at once (a semaphore), so a flood queues them rather than
//! opening a connection each; what they write is already sealed. An
//! unknown address's request seals a decoy mail (`super::decoy`) so that the
//! work before the answer is the same too.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::core::mail::MailKind;
use crate::store::DbPool;
use crate::store::accounts::{self as account_rows, NewAccountToken};
use crate::store::outbox::NewOutboxMail;

/// Writes made at most this many at once; the rest wait their turn.
const AT_ONCE: usize = 4;

/// The turns of deferred writes, shared by a replica's requests.
#[derive(Clone)]
pub(crate) struct DeferredWrites(Arc<Semaphore>);

impl Default for DeferredWrites {
    fn default() -> Self {
        DeferredWrites(Arc::new(Semaphore::new(AT_ONCE)))
    }
}

/// A token and the mail that carries it, owned, for a task.
pub(crate) struct TokenMail {
    pub token_hash: String,
    pub kind: &'static str,
    pub user_id: String,
    pub email: String,
    pub created_at: chrono::NaiveDateTime,
    pub expires_at: chrono::NaiveDateTime,
    pub mail: NewOutboxMail,
    pub mail_kind: MailKind,
}

impl DeferredWrites {
    /// Stores the token and queues its mail on a task of its own, then
    /// calls `queued` (to count it and wake the sender); failures are
    /// logged (the request has already answered).
    pub(crate) fn store(
        &self,
        pool: DbPool,
        write: TokenMail,
        queued: impl FnOnce() + Send + 'static,
    ) {
        let turns = self.0.clone();
        tokio::spawn(async move {
            let Ok(_turn) = turns.acquire_owned().await else {
                return;
            };
            let token = NewAccountToken {
                token_hash: &write.token_hash,
                kind: write.kind,
                user_id: Some(&write.user_id),
                email: Some(&write.email),
                role: None,
                created_at: write.created_at,
                expires_at: write.expires_at,
            };
            let stored = async {
                let mut conn = pool.get().await?;
                account_rows::store_token_with_mail(&mut conn, &token, &write.mail)
                    .await
                    .map_err(crate::error::AppError::from)
            }
            .await;
            match stored {
                Ok(true) => queued(),
                Ok(false) => tracing::info!(
                    user_id = %write.user_id,
                    kind = write.mail_kind.as_str(),
                    "mail not queued: the address had its most mails of this kind for now"
                ),
                Err(error) => tracing::warn!(
                    user_id = %write.user_id,
                    kind = write.mail_kind.as_str(),
                    error = %error.detail(),
                    "cannot queue a mail"
                ),
            }
        });
    }
}
