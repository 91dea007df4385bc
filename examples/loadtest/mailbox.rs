//! The SMTP side of the `reset` scenario: the test kit's maildev, behind
//! its relay, which holds each mail's answer for [`SMTP_DELAY`] (a slow
//! SMTP server), and the check that no mail was lost: every known address
//! a reset was answered for must get its mail, however long the outbox
//! takes to drain.
//!
//! The sender sends a few mails at once (`MAX_SENDING`, 4), so at 1 s a
//! mail the outbox drains at about four mails a second; the check waits
//! for as long as mails keep arriving, and gives up on the rest only after
//! [`DRAIN_STALL`] without a new one: longer than the sender's longest
//! pause between two attempts at a mail (30 s) plus its idle read (10 s).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use authql_testkit::MailServer;
use serde::Serialize;

use crate::BoxError;
use crate::stats::Summary;

/// How long the relay holds the answer to each mail's data (and each
/// connection's greeting).
pub const SMTP_DELAY: Duration = Duration::from_secs(1);
/// `PUBLIC_APP_URL` of the server: where the mails link (nothing serves it).
pub const APP_URL: &str = "http://app.loadtest.example";
/// Without a new mail for this long, the ones still missing count as lost.
const DRAIN_STALL: Duration = Duration::from_secs(90);
/// How often maildev's list is read while waiting.
const POLL: Duration = Duration::from_millis(500);

/// The SMTP server of a run: maildev, slowed by [`SMTP_DELAY`].
pub struct Mailbox {
    server: MailServer,
}

impl Mailbox {
    /// Starts maildev (installed by `npm ci` in `tests/mail`) and its relay,
    /// on the current runtime.
    pub async fn start() -> Result<Mailbox, BoxError> {
        if !MailServer::installed() {
            return Err(
                "the reset scenario needs maildev: run `npm ci` in tests/mail (or leave reset out of --scenarios)"
                    .into(),
            );
        }
        let server = MailServer::start().await;
        server.set_delay(SMTP_DELAY);
        Ok(Mailbox { server })
    }

    /// `SMTP_URL` for the server under test.
    pub fn smtp_url(&self) -> String {
        self.server.smtp_url()
    }

    /// Waits until every address of `asked.answered` received a mail, or
    /// no new mail came for [`DRAIN_STALL`], and counts what arrived for
    /// the addresses of `asked` (none other).
    pub async fn check(&self, asked: &Asked) -> MailCheck {
        let began = Instant::now();
        let mut last_arrival = began;
        let mut seen = 0;
        loop {
            let received = self.received_by(asked).await;
            let total: usize = received.values().sum();
            if total != seen {
                seen = total;
                last_arrival = Instant::now();
            }
            let arrived = asked
                .answered
                .iter()
                .filter(|address| received.contains_key(*address))
                .count();
            if arrived == asked.answered.len() || last_arrival.elapsed() >= DRAIN_STALL {
                return asked.count(&received, began.elapsed());
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Mails received per recipient, of the addresses `asked` names: its
    /// known ones, and any of its unknown ones (by their prefix).
    async fn received_by(&self, asked: &Asked) -> BTreeMap<String, usize> {
        let mut received = BTreeMap::new();
        for mail in self.server.mails().await {
            for to in mail.to {
                let to = to.to_lowercase();
                if asked.known.contains(&to) || to.starts_with(&asked.unknown_prefix) {
                    *received.entry(to).or_default() += 1;
                }
            }
        }
        received
    }
}

/// The addresses a run of resets asked for.
#[derive(Debug, Default)]
pub struct Asked {
    /// Known addresses asked for at least once (in lower case).
    pub known: BTreeSet<String>,
    /// Of them, those answered `true` at least once: each is owed one mail
    /// (the asks of one address fall within a minute, so the limit lets
    /// exactly one through).
    pub answered: BTreeSet<String>,
    /// How every unknown address asked for begins: none may get a mail.
    pub unknown_prefix: String,
}

impl Asked {
    fn count(&self, received: &BTreeMap<String, usize>, waited: Duration) -> MailCheck {
        let owed = |address: &String| self.answered.contains(address);
        let delivered = received.keys().filter(|address| owed(address)).count();
        MailCheck {
            known_addresses: self.known.len(),
            expected: self.answered.len(),
            delivered,
            lost: self.answered.len() - delivered,
            beyond_limit: received
                .iter()
                .filter(|(address, _)| self.known.contains(*address))
                .map(|(_, count)| count.saturating_sub(1))
                .sum(),
            to_unknown: received
                .iter()
                .filter(|(address, _)| !self.known.contains(*address))
                .map(|(_, count)| count)
                .sum(),
            drain_secs: waited.as_secs_f64(),
            writes_done_secs: None,
        }
    }
}

/// What the SMTP server received for a run of resets.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MailCheck {
    /// Known addresses asked for.
    pub known_addresses: usize,
    /// Mails owed: one per known address answered `true`.
    pub expected: usize,
    /// Of those, the addresses whose mail arrived.
    pub delivered: usize,
    /// Owed and never arrived.
    pub lost: usize,
    /// Mails past the first to one known address (asked within a minute,
    /// the limit allows one).
    pub beyond_limit: usize,
    /// Mails to addresses no account has.
    pub to_unknown: usize,
    /// From the end of the asking to the last owed mail (or to giving up);
    /// the longest of the rounds when several are added up.
    pub drain_secs: f64,
    /// From the end of the asking until the server sent no more statements
    /// (the tokens and mails it writes after answering, and the limit's
    /// refusals, all done); the longest of the rounds. None when not waited for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub writes_done_secs: Option<f64>,
}

impl MailCheck {
    /// Each mail lost, sent beyond the limit or sent to an unknown address.
    pub fn errors(&self) -> u64 {
        (self.lost + self.beyond_limit + self.to_unknown) as u64
    }

    /// Counts this check's failures among `summary`'s errors, by kind.
    pub fn charge(&self, summary: &mut Summary) {
        for (kind, count) in [
            ("mail lost", self.lost),
            ("mail beyond the per-address limit", self.beyond_limit),
            ("mail to an unknown address", self.to_unknown),
        ] {
            if count > 0 {
                summary.errors += count as u64;
                *summary.error_kinds.entry(kind.to_owned()).or_default() += count as u64;
            }
        }
    }

    /// Another round's check added to this one.
    pub fn add(&mut self, other: &MailCheck) {
        self.known_addresses += other.known_addresses;
        self.expected += other.expected;
        self.delivered += other.delivered;
        self.lost += other.lost;
        self.beyond_limit += other.beyond_limit;
        self.to_unknown += other.to_unknown;
        self.drain_secs = self.drain_secs.max(other.drain_secs);
        self.writes_done_secs = match (self.writes_done_secs, other.writes_done_secs) {
            (Some(mine), Some(theirs)) => Some(mine.max(theirs)),
            (mine, theirs) => mine.or(theirs),
        };
    }

    /// One line for the report.
    pub fn text(&self) -> String {
        let waited = if self.lost == 0 {
            "the last owed mail arrived"
        } else {
            "gave up waiting"
        };
        let writes = self.writes_done_secs.map_or_else(String::new, |secs| {
            format!("; the server's writes done {secs:.1} s after it")
        });
        format!(
            "mail: {} known addresses asked, {} mails owed, {} delivered ({} lost, {} beyond the per-address limit, {} to unknown addresses); {waited} {:.1} s after the asking{writes}",
            self.known_addresses,
            self.expected,
            self.delivered,
            self.lost,
            self.beyond_limit,
            self.to_unknown,
            self.drain_secs
        )
    }
}
