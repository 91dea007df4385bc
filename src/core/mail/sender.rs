//! The sender: one background task per replica that takes due mails from
//! the outbox and hands them to the SMTP server (`SMTP_URL`, through
//! lettre), so that no request ever waits for SMTP.
//!
//! - **Waking.** It reads the outbox when a request of this replica queued
//!   a mail ([`super::Mailer::wake`]), when a mail of its own falls due
//!   again, when one of its sends ends, and otherwise every
//!   [`IDLE_READ_INTERVAL`]: mails queued by another replica (whose own
//!   sender may be down) wait that long at most. At rest that read is the
//!   only statement: one look at the `due_at` index that finds nothing.
//! - **Claiming.** Every replica runs a sender; a mail goes to whichever
//!   claims it first, by a compare-and-set on the row as it was read
//!   ([`outbox::claim`]), which holds it for [`LEASE`] (longer than a send
//!   may take). A replica that dies mid-send lets the lease run out, and
//!   the mail is sent again: the only way a mail goes out twice.
//! - **Sending.** At most [`MAX_SENDING`] mails at once, each bounded by
//!   [`SEND_TIMEOUT`], so one slow SMTP answer holds up neither the rest nor
//!   the claims. Sent: the row keeps when, and loses its sealed text.
//! - **Failing.** An attempt that fails is retried after a pause that
//!   doubles from [`FIRST_RETRY`] up to [`MAX_RETRY`]; a mail still failing
//!   [`GIVE_UP_AFTER`] after it was queued, or whose seal no longer opens
//!   (`JWT_SECRET` changed), is given up and logged.
//!
//! Log lines name a mail by its kind and id only: never its address,
//! subject, body or link, nor the SMTP server's answer, which may quote the
//! address.

use std::str::FromStr;
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{Mail, MailKind};
use crate::config::ConfigError;
use crate::core::app::AppState;
use crate::core::clock;
use crate::core::metrics::GiveUpReason;
use crate::secret::ExposeSecret;
use crate::store::outbox::{self, PendingMail};

/// The longest one mail may take to send, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a claim holds a mail: longer than a send may take, with room
/// for marking it.
pub const LEASE: Duration = Duration::from_secs(60);
/// The longest the sender waits between two reads of the outbox.
pub const IDLE_READ_INTERVAL: Duration = Duration::from_secs(10);
/// Mails sent at once by one replica.
pub const MAX_SENDING: usize = 4;
/// The pause after a first failed attempt; it doubles with each failure.
pub const FIRST_RETRY: Duration = Duration::from_secs(2);
/// The longest pause between two attempts at one mail.
pub const MAX_RETRY: Duration = Duration::from_secs(30);
/// A mail still failing this long after it was queued is given up.
pub const GIVE_UP_AFTER: TimeDelta = TimeDelta::hours(24);
/// Rows one read of the outbox takes.
const READ_LIMIT: i64 = 32;
/// The pause after a read of the outbox failed (the database is down).
const READ_RETRY: Duration = Duration::from_secs(5);

type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The sends under way on this replica, and the mail each is sending.
#[derive(Default)]
struct Sending {
    tasks: JoinSet<()>,
    mails: std::collections::HashMap<tokio::task::Id, String>,
}

/// This replica's sender, running until [`MailSender::stop`] or drop.
pub struct MailSender {
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl MailSender {
    /// Starts the sender on the current runtime; None when `SMTP_URL` is
    /// unset (no mail is sent, and the flows refuse what needs one). Fails
    /// when `SMTP_URL` or `MAIL_FROM` is not something lettre can use.
    pub fn start(app: AppState) -> Result<Option<MailSender>, ConfigError> {
        let Some(url) = &app.config.accounts.smtp_url else {
            return Ok(None);
        };
        let transport = Transport::from_url(url.expose_secret())
            .map_err(|_| ConfigError {
                variable: "SMTP_URL",
                // lettre's message might quote the URL, password included.
                problem: "not a URL lettre can use: smtp://HOST:PORT, smtp://USER:PASS@HOST:PORT?tls=required or smtps://USER:PASS@HOST:PORT".into(),
            })?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        let from =
            Mailbox::from_str(&app.config.accounts.mail_from).map_err(|error| ConfigError {
                variable: "MAIL_FROM",
                problem: format!("not a mailbox such as `authql <no-reply@example.com>`: {error}"),
            })?;
        let stop = CancellationToken::new();
        let sender = Sender {
            app,
            transport,
            from,
            replica: crate::core::ids::new_id(),
        };
        tracing::info!(replica = %sender.replica, "mail sender started");
        let task = tokio::spawn(sender.run(stop.clone()));
        Ok(Some(MailSender {
            stop,
            task: Some(task),
        }))
    }

    /// Stops reading the outbox and lets the sends under way finish until
    /// `by`; those still running then are cut off (their mails fall due
    /// again when their lease ends).
    pub async fn stop(mut self, by: Instant) {
        self.stop.cancel();
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout_at(by, &mut task).await.is_err()
        {
            task.abort();
            tracing::warn!("mails were still being sent at shutdown; they will be sent again");
        }
    }
}

impl Drop for MailSender {
    fn drop(&mut self) {
        self.stop.cancel();
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// What the sender's task holds.
#[derive(Clone)]
struct Sender {
    app: AppState,
    transport: Transport,
    from: Mailbox,
    /// This sender's name in `claimed_by`.
    replica: String,
}

impl Sender {
    async fn run(self, stop: CancellationToken) {
        let queued = self.app.mail.queued();
        let mut sending = Sending::default();
        loop {
            let wait = match self.pass(&mut sending).await {
                Ok(wait) => wait,
                Err(error) => {
                    tracing::warn!(error = %error.detail(), "cannot read the mail outbox; will try again");
                    READ_RETRY
                }
            };
            tokio::select! {
                () = stop.cancelled() => break,
                () = queued.notified() => {}
                () = tokio::time::sleep(wait) => {}
                Some(ended) = sending.tasks.join_next_with_id(), if !sending.tasks.is_empty() => {
                    let task = ended.map_or_else(|error| error.id(), |(task, ())| task);
                    sending.mails.remove(&task);
                }
            }
        }
        // The sends under way finish (or `stop` gives up on them).
        while sending.tasks.join_next().await.is_some() {}
    }

    /// Reads the outbox once, claims what is due while there is room, and
    /// says how long to wait before the next read.
    async fn pass(&self, sending: &mut Sending) -> Result<Duration, crate::error::AppError> {
        let now = self.app.clock.now();
        let mut conn = self.app.pool.get().await?;
        let pending = outbox::pending(&mut conn, READ_LIMIT).await?;
        let oldest = if pending.len() as i64 >= READ_LIMIT {
            outbox::oldest_pending(&mut conn).await?
        } else {
            pending.iter().map(|mail| mail.created_at).min()
        };
        let age = oldest.map_or(0.0, |queued| seconds(now - queued));
        self.app.metrics.mail_oldest_unsent_age.set(age);
        let mut wait = IDLE_READ_INTERVAL;
        for mail in pending {
            if mail.due_at > now {
                // Sorted by due time: the rest fall due later still.
                wait = wait.min(to_std(mail.due_at - now));
                break;
            }
            if sending.tasks.len() >= MAX_SENDING {
                // Read again when a send ends.
                break;
            }
            if sending.mails.values().any(|id| *id == mail.id) {
                // Still being sent here, past its lease by the clock (which
                // the tests move): never sent twice by one replica.
                continue;
            }
            let lease_until = clock::later(now, delta(LEASE));
            if outbox::claim(&mut conn, &mail, &self.replica, now, lease_until).await? {
                let id = mail.id.clone();
                let task = sending.tasks.spawn(self.clone().send(mail));
                sending.mails.insert(task.id(), id);
            }
        }
        Ok(wait)
    }

    /// Opens, sends and marks one claimed mail.
    async fn send(self, mail: PendingMail) {
        let Ok(kind) = MailKind::from_str(&mail.kind) else {
            // Queued by a newer version of authql: give it up here rather
            // than read past it forever.
            self.give_up(&mail, None, GiveUpReason::Unsendable).await;
            return;
        };
        let opened = match self.app.mail.seal.open(kind, &mail.sealed) {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(kind = kind.as_str(), mail_id = %mail.id, reason = %error, "a queued mail does not open (was JWT_SECRET changed?); giving it up");
                self.give_up(&mail, Some(kind), GiveUpReason::Unsealable)
                    .await;
                return;
            }
        };
        let Some(message) = self.message(&opened) else {
            tracing::warn!(kind = kind.as_str(), mail_id = %mail.id, "a queued mail has an address or header lettre cannot send; giving it up");
            self.give_up(&mail, Some(kind), GiveUpReason::Unsendable)
                .await;
            return;
        };
        let sent = tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await;
        let now = self.app.clock.now();
        match sent {
            Ok(Ok(_)) => {
                self.app.metrics.mail_sent(kind);
                let marked = match self.app.pool.get().await {
                    Ok(mut conn) => outbox::mark_sent(&mut conn, &mail.id, &self.replica, now)
                        .await
                        .map_err(crate::error::AppError::from),
                    Err(error) => Err(error.into()),
                };
                match marked {
                    Ok(true) => {
                        tracing::debug!(kind = kind.as_str(), mail_id = %mail.id, "mail sent")
                    }
                    Ok(false) => {
                        tracing::warn!(kind = kind.as_str(), mail_id = %mail.id, "mail sent after its claim ran out; it may be sent twice")
                    }
                    Err(error) => {
                        tracing::warn!(kind = kind.as_str(), mail_id = %mail.id, error = %error.detail(), "mail sent but not marked; it will be sent again")
                    }
                }
            }
            Ok(Err(error)) => {
                let (status, transient) = (error.status(), error.is_transient());
                self.failed(
                    &mail,
                    kind,
                    now,
                    &format!(
                        "smtp status {status:?}, transient {transient}, timeout {}",
                        error.is_timeout()
                    ),
                )
                .await;
            }
            Err(_) => self.failed(&mail, kind, now, "timed out").await,
        }
    }

    /// The lettre message of an opened mail; None when an address does not
    /// parse.
    fn message(&self, mail: &Mail) -> Option<Message> {
        let builder = Message::builder()
            .from(self.from.clone())
            .to(mail.to.parse().ok()?)
            .subject(mail.subject.clone());
        let message = match &mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                html.clone(),
            )),
            None => builder
                .header(lettre::message::header::ContentType::TEXT_PLAIN)
                .body(mail.text.clone()),
        };
        message.ok()
    }

    /// Counts a failed attempt and schedules the next, or gives the mail
    /// up when it has been failing for [`GIVE_UP_AFTER`].
    async fn failed(&self, mail: &PendingMail, kind: MailKind, now: NaiveDateTime, cause: &str) {
        self.app.metrics.mail_send_failed(kind);
        if now - mail.created_at >= GIVE_UP_AFTER {
            tracing::warn!(kind = kind.as_str(), mail_id = %mail.id, attempts = mail.attempts + 1, cause, "a mail failed for a day; giving it up");
            self.give_up(mail, Some(kind), GiveUpReason::Expired).await;
            return;
        }
        let retry_at = clock::later(now, delta(retry_pause(mail.attempts + 1)));
        tracing::info!(kind = kind.as_str(), mail_id = %mail.id, attempts = mail.attempts + 1, cause, "sending a mail failed; will try again");
        self.mark_failed(mail, Some(retry_at)).await;
    }

    /// Gives a claimed mail up: never sent, its sealed text emptied.
    async fn give_up(&self, mail: &PendingMail, kind: Option<MailKind>, reason: GiveUpReason) {
        if let Some(kind) = kind {
            self.app.metrics.mail_given_up(kind, reason);
        } else {
            tracing::warn!(mail_id = %mail.id, "a queued mail is of a kind this version does not know; giving it up");
        }
        self.mark_failed(mail, None).await;
    }

    async fn mark_failed(&self, mail: &PendingMail, retry_at: Option<NaiveDateTime>) {
        let marked = match self.app.pool.get().await {
            Ok(mut conn) => outbox::mark_failed(&mut conn, &mail.id, &self.replica, retry_at)
                .await
                .map_err(crate::error::AppError::from),
            Err(error) => Err(error.into()),
        };
        if let Err(error) = marked {
            // The claim runs out and the mail falls due again.
            tracing::warn!(mail_id = %mail.id, error = %error.detail(), "cannot record a mail's failed attempt");
        }
    }
}

/// The pause before attempt `attempts + 1`: [`FIRST_RETRY`] doubled for
/// each failure after the first, at most [`MAX_RETRY`].
pub fn retry_pause(attempts: i32) -> Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

fn delta(duration: Duration) -> TimeDelta {
    TimeDelta::from_std(duration).unwrap_or(TimeDelta::MAX)
}

fn to_std(delta: TimeDelta) -> Duration {
    delta.to_std().unwrap_or(Duration::ZERO)
}

fn seconds(delta: TimeDelta) -> f64 {
    delta.num_milliseconds() as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_from_two_seconds_to_thirty() {
        let pauses: Vec<u64> = (1..=7).map(|a| retry_pause(a).as_secs()).collect();
        assert_eq!(pauses, [2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(retry_pause(i32::MAX), MAX_RETRY);
    }
}
