//! Mail that is never lost: a mail is queued in the database in the same
//! transaction as the change that causes it (`store::outbox`), sealed
//! ([`seal`]), and sent in the background by whichever replica claims it
//! first. No request waits for SMTP.

mod queue;
pub(crate) mod seal;
pub mod sender;

pub use queue::queue;

use std::sync::Arc;

use tokio::sync::Notify;

use crate::secret::Secret;
use crate::store::outbox::{MailLimits, NewOutboxMail};
use seal::MailSeal;

/// What a mail is about: the outbox's `kind` column, the per-address limit
/// (each kind has its own), and the metrics' label.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumIter,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[strum(serialize_all = "snake_case")]
pub enum MailKind {
    /// A link that proves an address (sign-up, `requestEmailVerification`,
    /// `changeEmail`).
    Verification,
    /// A link to set a new password.
    PasswordReset,
    /// A link to create an account (`user invite`, `inviteUser`).
    Invitation,
    /// To the owner of an address someone tried to sign up or move to.
    AddressInUse,
    /// To the old address, once a new one is verified.
    EmailChanged,
    /// To the owner, after a sign-in from a device that is not known, with
    /// a link to report it.
    NewDeviceAlert,
}

impl MailKind {
    /// The column's text and the metrics' label.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// How many of this kind one address may get. New-device alerts follow
    /// successful sign-ins only, which a stranger cannot cause: several new
    /// devices in a minute must each be told (an attacker's sign-in right
    /// after the owner's included), so they have a minute's limit of their
    /// own and a larger hour's.
    pub(crate) fn limits(self) -> MailLimits {
        match self {
            MailKind::NewDeviceAlert => MailLimits {
                per_minute: 10,
                per_hour: 30,
            },
            _ => MailLimits::ASKED_FOR,
        }
    }
}

/// One mail, in the clear: only ever held in memory.
#[derive(Clone)]
pub struct Mail {
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// The outbox's side in `App`: seals mails for their rows, and wakes this
/// replica's sender when a request has queued one.
pub struct Mailer {
    pub(crate) seal: MailSeal,
    queued: Arc<Notify>,
}

impl Mailer {
    /// A mailer whose seal is derived from `jwt_secret`.
    pub fn new(jwt_secret: &Secret) -> Mailer {
        Mailer {
            seal: MailSeal::new(jwt_secret),
            queued: Arc::new(Notify::new()),
        }
    }

    /// The row that queues `mail`, due at once.
    pub(crate) fn outbox_row(&self, mail: &Mail, now: chrono::NaiveDateTime) -> NewOutboxMail {
        NewOutboxMail {
            id: crate::core::ids::new_id(),
            kind: mail.kind.as_str().to_owned(),
            recipient_key: self.seal.recipient_key(&mail.to),
            sealed: self.seal.seal(mail),
            created_at: now,
            due_at: Some(now),
            attempts: 0,
            limits: mail.kind.limits(),
        }
    }

    /// Tells this replica's sender that a mail was committed to the outbox
    /// (or, from a test, that the clock moved).
    pub fn wake(&self) {
        self.queued.notify_one();
    }

    /// What the sender waits on between reads of the outbox.
    pub(crate) fn queued(&self) -> Arc<Notify> {
        self.queued.clone()
    }
}
