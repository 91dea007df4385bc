//! The mail sender against a real SMTP server (maildev, started by the test
//! kit's `MailServer`): mails queued in the outbox arrive once, promptly,
//! through an outage, a restart, a slow server and two replicas; the
//! outbox holds no readable mail at rest; a mail sealed under another
//! `JWT_SECRET` is given up and logged without its content.
//!
//! Mails are queued through `authql::core::mail::queue` (a mail alone, as
//! the flows queue their notices), so that these tests are about the sender,
//! not about the flows that cause mails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use authql::config::JwtSecretSource;
use authql::core::mail::{Mail, MailKind};
use authql::secret::Secret;
use authql_testkit::documents::ME;
use authql_testkit::{Backend, MailServer, ReceivedMail, TestServer, access_token, both_backends};

use crate::operations::scrape_metrics;

/// A reset mail to `to` whose link carries a fresh token.
fn reset_mail(to: &str) -> (Mail, String) {
    let token = authql::core::ids::new_secret();
    let mail = Mail {
        kind: MailKind::PasswordReset,
        to: to.to_owned(),
        subject: format!("Reset your password ({to})"),
        text: format!(
            "Someone asked to reset the password of your account.\n\
             Set a new one here: http://app.test/reset-password#token={token}\n\
             If it was not you, ignore this mail.\n"
        ),
        html: None,
    };
    (mail, token)
}

async fn queue(server: &TestServer, mail: &Mail) {
    let queued = authql::core::mail::queue(&server.app, mail)
        .await
        .expect("queue a mail");
    assert!(queued, "the per-address limit let the mail through");
}

/// Waits until every outbox row is sent or given up (None due), at most
/// `timeout`.
async fn wait_until_settled(server: &TestServer, timeout: Duration) {
    let began = Instant::now();
    loop {
        let rows = server.outbox().await;
        if rows.iter().all(|row| row.due_at.is_none()) {
            return;
        }
        assert!(began.elapsed() < timeout, "outbox not settled: {rows:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many mails each recipient received.
fn per_recipient(mails: &[ReceivedMail]) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for mail in mails {
        for to in &mail.to {
            *counts.entry(to.clone()).or_insert(0) += 1;
        }
    }
    counts
}

async fn a_queued_mail_arrives_once_and_leaves_no_text_at_rest(backend: Backend) {
    let mail_server = MailServer::start().await;
    // Queued by a server that sends no mail, so the row can be read as it
    // waits.
    let quiet = TestServer::start(backend).await;
    let (mail, token) = reset_mail("Ana@Example.com");
    queue(&quiet, &mail).await;
    let rows = quiet.outbox().await;
    assert_eq!(rows.len(), 1);
    let waiting = &rows[0];
    assert_eq!(waiting.kind, "password_reset");
    assert!(waiting.due_at.is_some() && waiting.sent_at.is_none());
    for part in [
        token.as_str(),
        &token[..8],
        "Ana@Example.com",
        "ana@example.com",
        "Example",
        "Reset your password",
        "app.test",
        "reset-password",
    ] {
        assert!(
            !waiting.sealed.contains(part),
            "the sealed mail shows {part:?}"
        );
    }

    // A replica that sends mail starts on the same database: it sends the
    // mail at once.
    let began = Instant::now();
    let sender = quiet.second().with_mail(&mail_server).serve();
    let received = mail_server.wait_for(1, Duration::from_secs(15)).await;
    assert!(began.elapsed() < Duration::from_secs(5));
    assert_eq!(received[0].to, ["Ana@Example.com"]);
    assert_eq!(received[0].subject, mail.subject);
    assert_eq!(received[0].text.trim_end(), mail.text.trim_end());
    assert_eq!(received[0].token(), Some(token.as_str()));
    assert_eq!(received[0].from, "no-reply@localhost");
    wait_until_settled(&sender, Duration::from_secs(5)).await;
    let sent = &sender.outbox().await[0];
    assert_eq!(sent.sealed, "", "a sent mail keeps no text");
    assert!(sent.sent_at.is_some() && sent.due_at.is_none());
    assert_eq!(sent.attempts, 1);

    // Queued while the sender runs: sent within 5 s of the queueing (and
    // with its HTML alternative).
    let (mut second_mail, _) = reset_mail("bo@example.com");
    second_mail.html = Some("<p>Set a <a href=\"http://app.test/\">new password</a></p>".into());
    let began = Instant::now();
    queue(&sender, &second_mail).await;
    let received = mail_server.wait_for(2, Duration::from_secs(15)).await;
    let took = began.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(received[1].text.trim_end(), second_mail.text.trim_end());
    assert!(
        received[1]
            .html
            .as_deref()
            .is_some_and(|html| html.contains("new password")),
        "{:?}",
        received[1].html
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(mail_server.mails().await.len(), 2, "each mail once");
    let metrics = scrape_metrics(&sender).await;
    assert_eq!(
        metrics[r#"authql_mails_sent_total{kind="password_reset"}"#],
        2.0
    );
    assert_eq!(
        metrics[r#"authql_mails_queued_total{kind="password_reset"}"#], 1.0,
        "the second replica queued one"
    );
    assert_eq!(metrics["authql_mail_oldest_unsent_age_seconds"], 0.0);
}

async fn every_mail_arrives_once_through_an_outage_and_a_restart(backend: Backend) {
    let mut mail_server = MailServer::start().await;
    let first = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    mail_server.stop();
    let recipients: Vec<String> = (0..6).map(|i| format!("user{i}@example.com")).collect();
    for to in &recipients {
        queue(&first, &reset_mail(to).0).await;
    }
    // The sender tried each and failed.
    let began = Instant::now();
    while !first.outbox().await.iter().all(|row| row.attempts >= 1) {
        assert!(began.elapsed() < Duration::from_secs(15), "no attempts");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let metrics = scrape_metrics(&first).await;
    assert!(metrics[r#"authql_mail_send_failures_total{kind="password_reset"}"#] >= 6.0);

    // authql restarts while SMTP is down.
    let restart = first.second();
    drop(first);
    let second = restart.serve();
    mail_server.start_again().await;
    // Past any retry pause or claim the first server held, then a look.
    second.advance(chrono::TimeDelta::seconds(61));
    second.app.mail.wake();
    // An attempt that still met the server coming up is retried within 30 s
    // (the longest pause between attempts).
    let received = mail_server.wait_for(6, Duration::from_secs(45)).await;
    wait_until_settled(&second, Duration::from_secs(45)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received_after = mail_server.mails().await;
    assert_eq!(received_after.len(), received.len());
    let counts = per_recipient(&received_after);
    for to in &recipients {
        assert_eq!(counts.get(to), Some(&1), "{to}: {counts:?}");
    }
    assert_eq!(received_after.len(), 6, "no duplicates");
    assert!(
        second
            .outbox()
            .await
            .iter()
            .all(|row| row.sealed.is_empty())
    );
}

async fn a_slow_smtp_server_slows_no_request(backend: Backend) {
    let mail_server = MailServer::start().await;
    mail_server.set_delay(Duration::from_secs(5));
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    server.add_user("ana", "pw").await;
    let token = access_token(&server.login("ana", "pw").await);
    let began = Instant::now();
    for i in 0..3 {
        let queued_at = Instant::now();
        queue(&server, &reset_mail(&format!("slow{i}@example.com")).0).await;
        assert!(queued_at.elapsed() < Duration::from_secs(1));
    }
    // The mails are stuck in the SMTP conversation; requests are not.
    let mut slowest = Duration::ZERO;
    while began.elapsed() < Duration::from_secs(4) {
        let asked = Instant::now();
        let me = server.graphql_as(&token, ME).await;
        assert_eq!(me.data("me")["userName"], "ana");
        slowest = slowest.max(asked.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(slowest < Duration::from_secs(1), "me took {slowest:?}");
    assert!(
        mail_server.mails().await.is_empty(),
        "the server was not slow"
    );
    let received = mail_server.wait_for(3, Duration::from_secs(30)).await;
    assert!(began.elapsed() >= Duration::from_secs(5));
    assert_eq!(received.len(), 3);
}

async fn two_replicas_send_each_mail_once(backend: Backend) {
    let mail_server = MailServer::start().await;
    let one = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    let two = one.second_server();
    assert!(one.sends_mail() && two.sends_mail());
    let count = 20;
    for i in 0..count {
        let replica = if i % 2 == 0 { &one } else { &two };
        queue(replica, &reset_mail(&format!("pair{i}@example.com")).0).await;
    }
    mail_server.wait_for(count, Duration::from_secs(20)).await;
    wait_until_settled(&one, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let received = mail_server.mails().await;
    assert_eq!(received.len(), count, "each mail once");
    let counts = per_recipient(&received);
    assert_eq!(counts.len(), count);
    assert!(counts.values().all(|n| *n == 1), "{counts:?}");
}

async fn a_mail_still_failing_after_a_day_is_given_up(backend: Backend) {
    let mut mail_server = MailServer::start().await;
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    mail_server.stop();
    queue(&server, &reset_mail("late@example.com").0).await;
    let began = Instant::now();
    while server.outbox().await[0].attempts < 1 {
        assert!(began.elapsed() < Duration::from_secs(15), "no attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.advance(chrono::TimeDelta::hours(25));
    server.app.mail.wake();
    wait_until_settled(&server, Duration::from_secs(10)).await;
    let row = &server.outbox().await[0];
    assert!(row.sent_at.is_none() && row.sealed.is_empty());
    let metrics = scrape_metrics(&server).await;
    assert_eq!(
        metrics[r#"authql_mails_given_up_total{kind="password_reset",reason="expired"}"#],
        1.0
    );
    mail_server.start_again().await;
    server.app.mail.wake();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(mail_server.mails().await.is_empty());
}

async fn at_rest_the_sender_reads_the_outbox_once_per_ten_seconds(backend: Backend) {
    let mail_server = MailServer::start().await;
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    // Past the sender's first read, at its start.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = scrape_metrics(&server).await["authql_db_statements_total"];
    tokio::time::sleep(Duration::from_millis(10_500)).await;
    let statements = scrape_metrics(&server).await["authql_db_statements_total"] - before;
    assert!(
        (1.0..=2.0).contains(&statements),
        "{statements} statements in 10.5 s at rest"
    );
}

both_backends!(
    at_rest_the_sender_reads_the_outbox_once_per_ten_seconds,
    a_queued_mail_arrives_once_and_leaves_no_text_at_rest,
    every_mail_arrives_once_through_an_outage_and_a_restart,
    a_slow_smtp_server_slows_no_request,
    two_replicas_send_each_mail_once,
    a_mail_still_failing_after_a_day_is_given_up,
);

/// A mail sealed under another `JWT_SECRET` (queued before a rotation) does
/// not open: given up, counted, logged by kind and id, its content nowhere.
async fn a_foreign_seal_is_given_up_and_logged_without_content(backend: Backend, logs: Logs) {
    let mail_server = MailServer::start().await;
    let server = TestServer::builder()
        .backend(backend)
        .with_mail(&mail_server)
        .start()
        .await;
    let rotated = server
        .second()
        .with_config(|c| {
            c.jwt_secret =
                JwtSecretSource::Given(Secret::from("another-secret-another-secret-0123456789"));
            c.accounts.smtp_url = None;
        })
        .serve();
    assert!(!rotated.sends_mail());
    let (mail, token) = reset_mail("cy@example.com");
    queue(&rotated, &mail).await;
    server.app.mail.wake();
    wait_until_settled(&server, Duration::from_secs(10)).await;
    let row = &server.outbox().await[0];
    assert!(row.sent_at.is_none() && row.sealed.is_empty());
    let metrics = scrape_metrics(&server).await;
    assert_eq!(
        metrics[r#"authql_mails_given_up_total{kind="password_reset",reason="unsealable"}"#],
        1.0
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(mail_server.mails().await.is_empty());
    let logged = String::from_utf8_lossy(&logs.lock().expect("logs")).into_owned();
    let line = logged
        .lines()
        .find(|line| line.contains(&row.id))
        .unwrap_or_else(|| panic!("no log line names the mail: {logged}"));
    assert!(
        line.contains("password_reset") && line.contains("does not open"),
        "{line}"
    );
    for secret in [
        token.as_str(),
        "cy@example.com",
        "Reset your password",
        "reset-password#",
    ] {
        assert!(!logged.contains(secret), "the log shows {secret:?}");
    }
}

pub(crate) type Logs = Arc<Mutex<Vec<u8>>>;

/// Runs `body` on a runtime of its own whose every thread logs into a
/// buffer (a default dispatcher per thread: the process's global one may
/// belong to another test).
pub(crate) fn with_captured_logs<F, Fut>(body: F)
where
    F: FnOnce(Logs) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let logs: Logs = Arc::default();
    let dispatch = {
        let logs = logs.clone();
        tracing::Dispatch::new(
            tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
                .with_writer(move || LogWriter(logs.clone()))
                .finish(),
        )
    };
    let on_start = dispatch.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .on_thread_start(move || {
            // Kept for the thread's life.
            std::mem::forget(tracing::dispatcher::set_default(&on_start));
        })
        .build()
        .expect("runtime");
    let _main = tracing::dispatcher::set_default(&dispatch);
    runtime.block_on(body(logs));
}

struct LogWriter(Logs);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

mod a_foreign_seal_is_given_up_and_logged_without_content {
    use super::*;

    #[test]
    fn sqlite() {
        with_captured_logs(|logs| {
            a_foreign_seal_is_given_up_and_logged_without_content(Backend::Sqlite, logs)
        });
    }

    #[test]
    fn mysql() {
        if authql_testkit::mysql_server_url().is_some() {
            with_captured_logs(|logs| {
                a_foreign_seal_is_given_up_and_logged_without_content(Backend::Mysql, logs)
            });
        }
    }
}
