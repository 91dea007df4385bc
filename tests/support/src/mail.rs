//! A real SMTP server for the tests: `maildev` (npm, installed into
//! `tests/mail/node_modules` by `.ci/run`), started as a process of its own
//! on free loopback ports, read through its REST API (`GET /email`).
//!
//! ```ignore
//! let mail = MailServer::start().await;
//! let server = TestServer::builder().backend(backend).with_mail(&mail).start().await;
//! // ... something queues a mail ...
//! let received = mail.wait_for(1, Duration::from_secs(5)).await;
//! assert!(received[0].text.contains("http://app.test/verify-email#token="));
//! ```
//!
//! Between authql and maildev sits a small TCP relay of ours, always: it
//! keeps the SMTP address the same while maildev is stopped and started
//! again (the outage test), and [`MailServer::set_delay`] makes it hold
//! the server's greeting and its answer to each mail's data for a while (a
//! slow SMTP server; maildev has no such option). Received mails are kept
//! in a folder of maildev's, so they survive a restart.
//!
//! A free port is only free until someone binds it, and tests in other
//! processes pick ports at the same time: a maildev that exits because its
//! port was taken (`EADDRINUSE`) is started again on new ports, which the
//! relay follows, so authql's `SMTP_URL` never changes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One mail maildev received.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The recipients' addresses, as given.
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML alternative, when the mail has one.
    pub html: Option<String>,
}

impl ReceivedMail {
    /// The text body's link with a `#token=`, else its first `http://` or
    /// `https://` link (without a sentence's closing punctuation).
    pub fn link(&self) -> Option<&str> {
        let links: Vec<&str> = self
            .text
            .split_whitespace()
            .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
            .map(|word| word.trim_end_matches(['.', ',', ')', '>', ';']))
            .collect();
        links
            .iter()
            .find(|link| link.contains("#token="))
            .or(links.first())
            .copied()
    }

    /// The token of the link's `#token=` part.
    pub fn token(&self) -> Option<&str> {
        let link = self.link()?;
        Some(&link[link.find("#token=")? + "#token=".len()..])
    }
}

/// A maildev process behind a relay of ours: see the module doc.
pub struct MailServer {
    /// maildev's SMTP port, which the relay reads for each connection.
    smtp_port: Arc<AtomicU16>,
    web_port: u16,
    relay_addr: SocketAddr,
    delay_millis: Arc<AtomicU64>,
    mail_dir: tempfile::TempDir,
    process: Option<Child>,
    relay: tokio::task::JoinHandle<()>,
}

impl MailServer {
    /// Whether maildev is installed where [`MailServer::start`] runs it
    /// from: for a caller that would rather say so than panic.
    pub fn installed() -> bool {
        maildev_bin().is_file()
    }

    /// Starts maildev on free loopback ports, and the relay in front of it.
    pub async fn start() -> MailServer {
        let mail_dir = tempfile::tempdir().expect("a folder for maildev");
        let smtp_port = Arc::new(AtomicU16::new(free_port()));
        let web_port = free_port();
        let delay_millis = Arc::new(AtomicU64::new(0));
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the relay");
        let relay_addr = listener.local_addr().expect("the relay's address");
        let relay = tokio::spawn(relay(listener, smtp_port.clone(), delay_millis.clone()));
        let mut server = MailServer {
            smtp_port,
            web_port,
            relay_addr,
            delay_millis,
            mail_dir,
            process: None,
            relay,
        };
        server.start_again().await;
        server
    }

    /// `SMTP_URL` for authql: the relay, plain SMTP.
    pub fn smtp_url(&self) -> String {
        format!("smtp://{}", self.relay_addr)
    }

    /// Stops maildev (mails it received are kept); the relay stays, and
    /// refuses every connection until [`MailServer::start_again`].
    pub fn stop(&mut self) {
        if let Some(mut process) = self.process.take() {
            let _ = process.kill();
            let _ = process.wait();
        }
    }

    /// Starts maildev again, with the mails it had: on the same ports, or
    /// on new ones when another process took one meanwhile.
    pub async fn start_again(&mut self) {
        assert!(self.process.is_none(), "maildev is running already");
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            match self.launch().await {
                Ok(()) => return,
                Err(log) if attempt < ATTEMPTS && log.contains("EADDRINUSE") => {
                    self.smtp_port.store(free_port(), Ordering::SeqCst);
                    self.web_port = free_port();
                }
                Err(log) => panic!("maildev exited: {log}"),
            }
        }
    }

    /// Runs maildev on the current ports until it answers both; its log when
    /// it exits first.
    async fn launch(&mut self) -> Result<(), String> {
        let smtp_port = self.smtp_port.load(Ordering::SeqCst);
        let log = std::fs::File::create(self.mail_dir.path().join("maildev.log"))
            .expect("maildev's log file");
        let process = Command::new(maildev_bin())
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1"])
            .args(["--smtp", &smtp_port.to_string()])
            .args(["--web", &self.web_port.to_string()])
            .arg("--mail-directory")
            .arg(self.mail_dir.path().join("mails"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start maildev ({}): {e}; run `npm ci` in tests/mail",
                    maildev_bin().display()
                )
            });
        self.process = Some(process);
        let began = Instant::now();
        loop {
            let smtp_up = TcpStream::connect(("127.0.0.1", smtp_port)).await.is_ok();
            if smtp_up && self.get("/email").await.is_ok() {
                return Ok(());
            }
            if let Some(process) = &mut self.process
                && let Ok(Some(status)) = process.try_wait()
            {
                self.process = None;
                return Err(format!("{status}: {}", self.log()));
            }
            assert!(
                began.elapsed() < Duration::from_secs(30),
                "maildev did not start in 30 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Holds the server's greeting, and its answer to each mail's data, for
    /// `delay` (zero: none) on the relay: a slow SMTP server.
    pub fn set_delay(&self, delay: Duration) {
        let millis = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.delay_millis.store(millis, Ordering::SeqCst);
    }

    /// Every mail received so far, oldest first.
    pub async fn mails(&self) -> Vec<ReceivedMail> {
        let body = self.get("/email").await.expect("maildev's /email");
        let listed: Value = serde_json::from_str(&body).expect("maildev answers JSON");
        listed
            .as_array()
            .expect("a list of mails")
            .iter()
            .map(received)
            .collect()
    }

    /// Waits until at least `count` mails were received, at most `timeout`
    /// (failing the test then); returns them all.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let began = Instant::now();
        loop {
            let mails = self.mails().await;
            if mails.len() >= count {
                return mails;
            }
            assert!(
                began.elapsed() < timeout,
                "{} mails received in {timeout:?}, expected {count}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Forgets every mail received.
    pub async fn clear(&self) {
        self.request("DELETE", "/email/all")
            .await
            .expect("maildev's DELETE /email/all");
    }

    /// maildev's output so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.mail_dir.path().join("maildev.log")).unwrap_or_default()
    }

    async fn get(&self, path: &str) -> Result<String, String> {
        self.request("GET", path).await
    }

    /// One HTTP/1.0 request to maildev's API; the body of a 2xx answer.
    async fn request(&self, method: &str, path: &str) -> Result<String, String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.web_port))
            .await
            .map_err(|e| e.to_string())?;
        let request = format!(
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nAccept: application/json\r\n\r\n",
            self.web_port
        );
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
            .await
            .map_err(|_| "maildev's API did not answer in 10 s".to_owned())?
            .map_err(|e| e.to_string())?;
        let answer = String::from_utf8_lossy(&answer);
        let (head, body) = answer.split_once("\r\n\r\n").ok_or("no HTTP head")?;
        let status = head.split(' ').nth(1).unwrap_or_default();
        if !status.starts_with('2') {
            return Err(format!("{method} {path}: {head}"));
        }
        Ok(body.to_owned())
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        self.stop();
        self.relay.abort();
    }
}

/// maildev's script in `tests/mail/node_modules`.
fn maildev_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../mail/node_modules/maildev/bin/maildev")
}

/// A loopback port free now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A mail of maildev's JSON.
fn received(mail: &Value) -> ReceivedMail {
    let text = |key: &str| mail[key].as_str().unwrap_or_default().to_owned();
    let addresses = |key: &str| {
        mail[key]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|entry| entry["address"].as_str().unwrap_or_default().to_owned())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    ReceivedMail {
        to: addresses("to"),
        from: addresses("from").join(", "),
        subject: text("subject"),
        text: text("text"),
        html: mail["html"].as_str().map(str::to_owned),
    }
}

/// Relays connections to maildev's SMTP port, holding the server's greeting
/// and its answer to each mail's data for the delay set then.
async fn relay(listener: TcpListener, smtp_port: Arc<AtomicU16>, delay_millis: Arc<AtomicU64>) {
    while let Ok((client, _)) = listener.accept().await {
        let delay = Duration::from_millis(delay_millis.load(Ordering::SeqCst));
        let smtp_port = smtp_port.load(Ordering::SeqCst);
        tokio::spawn(async move {
            // maildev stopped: the client's connection closes at once.
            let Ok(server) = TcpStream::connect(("127.0.0.1", smtp_port)).await else {
                return;
            };
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            // Set when the client ended a mail's data; the next answer waits.
            let data_ended = Arc::new(AtomicBool::new(true));
            let ended = data_ended.clone();
            let upstream = async move {
                let mut buffer = [0_u8; 8192];
                let mut tail: Vec<u8> = Vec::new();
                while let Ok(read) = client_read.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                    tail.extend_from_slice(&buffer[..read]);
                    if tail.windows(5).any(|w| w == b"\r\n.\r\n") {
                        ended.store(true, Ordering::SeqCst);
                    }
                    let keep = tail.len().saturating_sub(4);
                    tail.drain(..keep);
                    if server_write.write_all(&buffer[..read]).await.is_err() {
                        break;
                    }
                }
                let _ = server_write.shutdown().await;
            };
            let downstream = async move {
                let mut buffer = [0_u8; 8192];
                while let Ok(read) = server_read.read(&mut buffer).await {
                    if read == 0 {
                        break;
                    }
                    if data_ended.swap(false, Ordering::SeqCst) && !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    if client_write.write_all(&buffer[..read]).await.is_err() {
                        break;
                    }
                }
                let _ = client_write.shutdown().await;
            };
            tokio::join!(upstream, downstream);
        });
    }
}
