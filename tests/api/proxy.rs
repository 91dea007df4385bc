//! A loopback TCP proxy between authql and MariaDB that fails on demand: it
//! can cut every connection, freeze them (open but silent), or slow down the
//! database's answers while still delivering them.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;

use authql::config::{Config, DatabaseUrl};
use authql_testkit::{TestDb, TestServer, mysql_server_url};

/// What the proxy does with traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forwards both ways.
    Open,
    /// Closes every connection and refuses new ones: a database that is down.
    Cut,
    /// Keeps connections open but forwards nothing: a database that hangs or
    /// a network that drops packets.
    Frozen,
    /// Holds each chunk of the database's answers this long before passing
    /// it on: a database (or a link) that is slow but not dead.
    Slow(Duration),
}

/// The proxy; it stops when the test's runtime does.
pub struct FaultyProxy {
    pub port: u16,
    mode: watch::Sender<Mode>,
    links: Arc<Mutex<Vec<JoinHandle<()>>>>,
    tripwire: Tripwire,
}

/// Bytes that, once authql sends them, cut the connection they travel on
/// before they reach the database; fires once.
type Tripwire = Arc<std::sync::Mutex<Option<Vec<u8>>>>;

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `upstream` (host:port).
    pub async fn start(upstream: String) -> FaultyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let (mode, _) = watch::channel(Mode::Open);
        let links: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let tripwire: Tripwire = Arc::default();
        let (accept_mode, accept_links) = (mode.clone(), links.clone());
        let accept_tripwire = tripwire.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *accept_mode.borrow() == Mode::Cut {
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let mode = accept_mode.subscribe();
                let tripwire = accept_tripwire.clone();
                let link = tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let (client_read, client_write) = client.into_split();
                    let (server_read, server_write) = server.into_split();
                    tokio::join!(
                        pump(client_read, server_write, mode.clone(), Some(tripwire)),
                        pump(server_read, client_write, mode, None),
                    );
                });
                accept_links.lock().await.push(link);
            }
        });
        FaultyProxy {
            port,
            mode,
            links,
            tripwire,
        }
    }

    /// Cuts the connection on which authql next sends `bytes` (say, the text
    /// of a statement being prepared), before the database sees them: the
    /// server then rolls back whatever that connection had begun.
    pub fn cut_when_sent(&self, bytes: &[u8]) {
        if let Ok(mut armed) = self.tripwire.lock() {
            *armed = Some(bytes.to_vec());
        }
    }

    async fn close_links(&self) {
        for link in self.links.lock().await.drain(..) {
            link.abort();
            // Wait until the task is gone and both sockets are closed.
            let _ = link.await;
        }
    }

    /// Closes every connection and refuses new ones.
    pub async fn cut(&self) {
        self.mode.send_replace(Mode::Cut);
        self.close_links().await;
    }

    /// Stops forwarding, keeping connections open.
    pub fn freeze(&self) {
        self.mode.send_replace(Mode::Frozen);
    }

    /// Delays every answer of the database by `delay`.
    pub fn slow_down(&self, delay: Duration) {
        self.mode.send_replace(Mode::Slow(delay));
    }

    /// Forwards normally again without touching the connections: answers
    /// held back while slow still arrive, late.
    pub fn speed_up(&self) {
        self.mode.send_replace(Mode::Open);
    }

    /// Back to normal; connections that hung are closed, as a peer that
    /// comes back would reset them.
    pub async fn restore(&self) {
        self.close_links().await;
        self.mode.send_replace(Mode::Open);
    }

    /// A `mysql://` URL for `database` through this proxy.
    pub fn url(&self, server_url: &str, database: &str) -> String {
        let user = server_url
            .trim_start_matches("mysql://")
            .rsplit_once('@')
            .map(|(user, _)| format!("{user}@"))
            .unwrap_or_default();
        format!("mysql://{user}127.0.0.1:{}/{database}", self.port)
    }
}

/// Copies one direction of a link, obeying the mode as it changes. The
/// database's answers are slowed; authql's side (the one given the tripwire)
/// can be cut when it sends the armed bytes.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    mut mode: watch::Receiver<Mode>,
    tripwire: Option<Tripwire>,
) {
    let answers = tripwire.is_none();
    let mut buffer = vec![0_u8; 16 * 1024];
    loop {
        let read = tokio::select! {
            read = from.read(&mut buffer) => read,
            _ = async { mode.wait_for(|mode| *mode == Mode::Frozen).await.is_ok() } => {
                // Hold both sockets open, silent, until aborted.
                std::future::pending::<()>().await;
                return;
            }
        };
        let Ok(length @ 1..) = read else {
            break;
        };
        if let Some(tripwire) = &tripwire
            && tripped(tripwire, &buffer[..length])
        {
            break;
        }
        let current = *mode.borrow();
        match current {
            Mode::Slow(delay) if answers => tokio::time::sleep(delay).await,
            Mode::Frozen => std::future::pending::<()>().await,
            _ => {}
        }
        if to.write_all(&buffer[..length]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Whether `chunk` holds the armed bytes; disarms when it does.
fn tripped(tripwire: &Tripwire, chunk: &[u8]) -> bool {
    let Ok(mut armed) = tripwire.lock() else {
        return false;
    };
    let hit = armed
        .as_deref()
        .is_some_and(|bytes| chunk.windows(bytes.len()).any(|window| window == bytes));
    if hit {
        *armed = None;
    }
    hit
}

/// A MySQL test server whose database is reached through a [`FaultyProxy`].
pub async fn app_behind_proxy(
    edit: impl Fn(&mut Config) + Send + Sync + 'static,
) -> Option<(TestServer, FaultyProxy)> {
    let server_url = mysql_server_url()?;
    let db = TestDb::create(authql_testkit::Backend::Mysql).await;
    let host = server_url
        .rsplit('@')
        .next()
        .expect("host:port in the URL")
        .to_owned();
    let proxy = FaultyProxy::start(host).await;
    let database = db.url_text.rsplit('/').next().expect("database").to_owned();
    let proxied: DatabaseUrl = proxy
        .url(&server_url, &database)
        .parse()
        .expect("a MySQL URL");
    let server = TestServer::builder()
        .database(db)
        .with_config(move |c| c.database_url = proxied.clone())
        .with_config(edit)
        .start()
        .await;
    Some((server, proxy))
}
