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
//!
//! What waits is bounded, so a flood of requests for known addresses cannot
//! grow a replica's memory: a write for an address this replica already
//! started one for, of the same kind, within the minute is not made (the
//! outbox's limit of one mail a minute per address would refuse it), and
//! past [`MAX_PENDING`] writes waiting or under way a new one is dropped and
//! logged (the answer is `true` either way, as for a limited address).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{NaiveDateTime, TimeDelta};
use tokio::sync::Semaphore;

use crate::core::bounded_map::BoundedMap;
use crate::core::mail::MailKind;
use crate::store::DbPool;
use crate::store::accounts::{self as account_rows, NewAccountToken};
use crate::store::outbox::NewOutboxMail;

/// Writes made at most this many at once; the rest wait their turn.
const AT_ONCE: usize = 4;
/// Most writes waiting or under way on a replica.
pub(crate) const MAX_PENDING: usize = 256;
/// Recipients remembered (by kind and keyed address) with when this replica
/// last started a write for them; a full map forgets them all.
const RECENT_CAPACITY: usize = 4096;

/// A recipient of a kind of mail: the mail's kind and the keyed address.
type Recipient = (&'static str, String);

/// The turns of deferred writes, shared by a replica's requests, and what
/// bounds them (see the module doc).
#[derive(Clone)]
pub(crate) struct DeferredWrites {
    turns: Arc<Semaphore>,
    pending: Arc<AtomicUsize>,
    recent: Arc<BoundedMap<Recipient, NaiveDateTime, RECENT_CAPACITY>>,
}

impl Default for DeferredWrites {
    fn default() -> Self {
        DeferredWrites {
            turns: Arc::new(Semaphore::new(AT_ONCE)),
            pending: Arc::default(),
            recent: Arc::default(),
        }
    }
}

/// One write counted as pending until it is dropped.
struct Pending(Arc<AtomicUsize>);

impl Drop for Pending {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
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
        let recipient = (write.kind, write.mail.recipient_key.clone());
        if self.started_within_the_minute(&recipient, write.created_at) {
            tracing::info!(
                user_id = %write.user_id,
                kind = write.mail_kind.as_str(),
                "mail not queued: this address was sent one of this kind within the minute"
            );
            return;
        }
        if self.pending.fetch_add(1, Ordering::AcqRel) >= MAX_PENDING {
            self.pending.fetch_sub(1, Ordering::AcqRel);
            tracing::warn!(
                user_id = %write.user_id,
                kind = write.mail_kind.as_str(),
                "mail not queued: too many mail writes are waiting on this replica"
            );
            return;
        }
        self.recent.insert(recipient, write.created_at);
        let pending = Pending(self.pending.clone());
        let turns = self.turns.clone();
        tokio::spawn(async move {
            let _pending = pending;
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
                session_id: None,
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

    /// Whether this replica started a write for `recipient` less than a
    /// minute before `now`.
    fn started_within_the_minute(&self, recipient: &Recipient, now: NaiveDateTime) -> bool {
        self.recent
            .get(recipient)
            .is_some_and(|started| *started > now - TimeDelta::minutes(1))
    }
}
