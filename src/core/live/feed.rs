//! The replica's one reader of session changes and security events, and
//! the sockets' places it hands them to (see the module above for the
//! design). The sockets
//! themselves (their tasks, the stop, those awaiting `connection_init`)
//! belong to the HTTP layer: `api::http::socket::sockets`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use parking_lot::{Mutex, MutexGuard};
use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::core::app::App;
use crate::core::live::event::{SessionEvent, SessionEventKind, expiry_announced_after};
use crate::error::AppError;
use crate::store::security_events::{self as event_rows, SecurityEventRecord};
use crate::store::sessions as session_rows;

/// How long reads may fail, or hang, before every socket is closed.
pub(crate) const UNAVAILABLE_AFTER: Duration = Duration::from_secs(2);
/// How far apart replica clocks may be, on top of the time a change may
/// take to commit after it was stamped (see [`lookback`]).
const CLOCK_SKEW: Duration = Duration::from_secs(2);
/// A socket hears of changes stamped up to this long before it subscribed,
/// so that a clock a little behind another replica's loses nothing.
const CLOCK_TOLERANCE: TimeDelta = TimeDelta::seconds(1);
/// Changes waiting for one socket; a socket this far behind is closed.
const SOCKET_BACKLOG: usize = 256;

/// How far each read reaches back before the start of the last one that
/// succeeded: a change is stamped with the time its request took, then may
/// wait for a pooled connection (`DB_POOL_TIMEOUT_SECS`) and for its
/// statements (`DB_QUERY_TIMEOUT_SECS`) before it commits, on a replica
/// whose clock may be a little ahead; a read must still see it. 17 s with
/// the defaults.
pub(crate) fn lookback(app: &App) -> TimeDelta {
    let pool = &app.config.pool;
    TimeDelta::from_std(pool.wait_timeout + pool.query_timeout + CLOCK_SKEW)
        .unwrap_or(TimeDelta::seconds(17))
}

/// What the feed hands a socket: a session of its user opened or ended, or
/// a security event of its user was recorded.
#[derive(Debug, Clone)]
pub(crate) enum FeedItem {
    Session(Arc<SessionEvent>),
    Security(Arc<SecurityEventRecord>),
}

/// The feed's last word to a socket, which never waits behind a full
/// queue: after it the socket closes.
#[derive(Debug)]
pub(crate) enum LastWord {
    /// The socket's own session ended.
    OwnSessionEnded(Arc<SessionEvent>),
    /// The database could not be read for [`UNAVAILABLE_AFTER`].
    Unavailable,
}

/// The sockets of this replica, by user, and the poller that feeds them.
#[derive(Clone, Default)]
pub(crate) struct SessionFeed {
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    watchers: Mutex<HashMap<String, Vec<Watcher>>>,
    next_id: AtomicU64,
    /// Wakes the poller when the first socket opens.
    first_socket: Notify,
    /// The poller was started.
    started: AtomicBool,
}

struct Watcher {
    id: u64,
    session_id: String,
    /// Changes stamped before this are older than the socket.
    since: NaiveDateTime,
    sender: mpsc::Sender<FeedItem>,
    last_word: Option<oneshot::Sender<LastWord>>,
}

/// The user already holds `MAX_SOCKETS_PER_USER` sockets here.
#[derive(Debug)]
pub(crate) struct TooManySockets;

/// A socket's place in the feed; dropping it leaves.
pub(crate) struct Watch {
    pub receiver: mpsc::Receiver<FeedItem>,
    pub last_word: oneshot::Receiver<LastWord>,
    feed: SessionFeed,
    user_id: String,
    id: u64,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut watchers = self.feed.shared.lock();
        if let Some(list) = watchers.get_mut(&self.user_id) {
            list.retain(|watcher| watcher.id != self.id);
            if list.is_empty() {
                watchers.remove(&self.user_id);
            }
        }
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<Watcher>>> {
        self.watchers.lock()
    }
}

impl SessionFeed {
    /// Joins the feed for the sessions of `user_id`, as the socket of
    /// `session_id`, from `now` on; refused past `max_per_user` sockets.
    pub(crate) fn watch(
        &self,
        user_id: &str,
        session_id: &str,
        now: NaiveDateTime,
        max_per_user: usize,
    ) -> Result<Watch, TooManySockets> {
        let (sender, receiver) = mpsc::channel(SOCKET_BACKLOG);
        let (last_word_sender, last_word) = oneshot::channel();
        let id = self.shared.next_id.fetch_add(1, Ordering::Relaxed);
        let mut watchers = self.shared.lock();
        let list = watchers.entry(user_id.to_owned()).or_default();
        if list.len() >= max_per_user {
            if list.is_empty() {
                watchers.remove(user_id);
            }
            return Err(TooManySockets);
        }
        list.push(Watcher {
            id,
            session_id: session_id.to_owned(),
            since: now - CLOCK_TOLERANCE,
            sender,
            last_word: Some(last_word_sender),
        });
        drop(watchers);
        self.shared.first_socket.notify_one();
        Ok(Watch {
            receiver,
            last_word,
            feed: self.clone(),
            user_id: user_id.to_owned(),
            id,
        })
    }

    /// Sockets open on this replica.
    pub(crate) fn sockets(&self) -> usize {
        self.shared.lock().values().map(Vec::len).sum()
    }

    /// Starts the poller on the first call; it holds the service only while
    /// it reads, and stops once the service is gone.
    pub(crate) fn start(&self, app: &Arc<App>) {
        if !self.shared.started.swap(true, Ordering::AcqRel) {
            tokio::spawn(self.clone().run(Arc::downgrade(app)));
        }
    }

    /// Reads and hands out changes until the service is gone.
    async fn run(self, app: Weak<App>) {
        let Some((interval, lookback)) = app
            .upgrade()
            .map(|app| (app.config.live.poll_interval, lookback(&app)))
        else {
            return;
        };
        let mut since: Option<NaiveDateTime> = None;
        let mut handed_out: HashMap<(String, SessionEventKind), NaiveDateTime> = HashMap::new();
        // Security events handed out, by id, with their time.
        let mut events_handed_out: HashMap<String, NaiveDateTime> = HashMap::new();
        let mut last_ok = Instant::now();
        // The read in flight (when it started, and its task). Each read runs
        // on a task of its own so that giving up on it never cuts a
        // statement midway (its connection would be thrown away); it
        // finishes or fails by itself within the pool's timeouts. Only one
        // runs at a time: one still running is waited for again rather than
        // joined by a newer one, so results are applied in the order the
        // reads started (no stale one can land after a newer one, with no
        // bookkeeping to tell them apart), and a slow database is not handed
        // one more statement every interval.
        let mut in_flight: Option<(NaiveDateTime, Reading)> = None;
        loop {
            if self.sockets() == 0 {
                // Idle: no read at all until a socket opens; then start
                // afresh, as no socket can have missed anything. A read
                // still in flight stays the one to wait for: what it finds
                // goes to the sockets that want it, like any read's.
                since = None;
                handed_out.clear();
                events_handed_out.clear();
                self.shared.first_socket.notified().await;
                last_ok = Instant::now();
                continue;
            }
            tokio::time::sleep(interval).await;
            let Some(app) = app.upgrade() else {
                return;
            };
            let (started, mut reading) = match in_flight.take() {
                Some(running) => running,
                None => {
                    let started = app.clock.now();
                    let from = since.unwrap_or(started - lookback);
                    (started, tokio::spawn(read(app.clone(), from, started)))
                }
            };
            // A read that hangs (a pool wait, a statement timeout) counts as
            // failing: the sockets must hear within UNAVAILABLE_AFTER. Only
            // the wait is given up; the read goes on.
            let error = match tokio::time::timeout(UNAVAILABLE_AFTER, &mut reading).await {
                Ok(Ok(Ok(Read {
                    session_events,
                    security_events,
                }))) => {
                    last_ok = Instant::now();
                    since = Some(started - lookback);
                    // Security events first: a socket whose own session
                    // ended closes on that end, after what is queued
                    // before it (its own end's SESSION_ENDED included).
                    for event in security_events {
                        if events_handed_out
                            .insert(event.id.clone(), event.at)
                            .is_none()
                        {
                            self.hand_out_security(&app, Arc::new(event));
                        }
                    }
                    for event in session_events {
                        let key = (event.session_id.clone(), event.kind);
                        if handed_out.insert(key, event.at).is_none() {
                            self.hand_out(&app, Arc::new(event));
                        }
                    }
                    let keep_from = started - lookback - lookback;
                    handed_out.retain(|_, at| *at >= keep_from);
                    events_handed_out.retain(|_, at| *at >= keep_from);
                    continue;
                }
                Ok(Ok(Err(error))) => error.detail(),
                Ok(Err(lost)) => format!("the read's task was lost: {lost}"),
                Err(_) => {
                    in_flight = Some((started, reading));
                    "the read did not finish in time".to_owned()
                }
            };
            tracing::warn!(%error, "cannot read session changes");
            if last_ok.elapsed() >= UNAVAILABLE_AFTER {
                self.close_all_unavailable();
            }
        }
    }

    /// Gives `event` to every socket of its user that should hear it: its
    /// own session's end always; its own opening never (the socket signed in
    /// with it); anything else stamped after the socket subscribed.
    fn hand_out(&self, app: &App, event: Arc<SessionEvent>) {
        self.for_sockets_of(&event.user_id, |watcher| {
            let own = watcher.session_id == event.session_id;
            let wanted = match event.kind {
                SessionEventKind::Ended if own => {
                    // The last word: never lost to a full queue.
                    if let Some(last_word) = watcher.last_word.take()
                        && last_word
                            .send(LastWord::OwnSessionEnded(event.clone()))
                            .is_ok()
                    {
                        app.metrics.session_events_delivered.inc();
                    }
                    return false;
                }
                SessionEventKind::Opened if own => false,
                _ => event.at >= watcher.since,
            };
            !wanted || queue(app, watcher, FeedItem::Session(event.clone()))
        });
    }

    /// Gives a security event to every socket of its user that subscribed
    /// before it was recorded.
    fn hand_out_security(&self, app: &App, event: Arc<SecurityEventRecord>) {
        self.for_sockets_of(&event.user_id, |watcher| {
            event.at < watcher.since || queue(app, watcher, FeedItem::Security(event.clone()))
        });
    }

    /// Runs `keep` for each socket of `user_id` here, letting go of those
    /// it answers false for.
    fn for_sockets_of(&self, user_id: &str, mut keep: impl FnMut(&mut Watcher) -> bool) {
        let mut watchers = self.shared.lock();
        let Some(list) = watchers.get_mut(user_id) else {
            return;
        };
        list.retain_mut(|watcher| keep(watcher));
        if list.is_empty() {
            watchers.remove(user_id);
        }
    }

    fn close_all_unavailable(&self) {
        let mut watchers = self.shared.lock();
        for watcher in watchers.values_mut().flatten() {
            if let Some(last_word) = watcher.last_word.take() {
                let _ = last_word.send(LastWord::Unavailable);
            }
        }
        watchers.clear();
    }
}

/// Queues `item` for a socket; false when the socket is too far behind or
/// gone (it closes when its receiver finds the channel closed).
fn queue(app: &App, watcher: &Watcher, item: FeedItem) -> bool {
    match watcher.sender.try_send(item) {
        Ok(()) => {
            app.metrics.session_events_delivered.inc();
            true
        }
        Err(_) => false,
    }
}

/// What one read found.
struct Read {
    session_events: Vec<SessionEvent>,
    security_events: Vec<SecurityEventRecord>,
}

/// A read on its own task.
type Reading = JoinHandle<Result<Read, AppError>>;

/// One read of what changed between `since` and `now`, on its own task:
/// the sessions opened or ended, and the security events recorded (two
/// indexed statements on one connection, whatever the number of sockets).
async fn read(app: Arc<App>, since: NaiveDateTime, now: NaiveDateTime) -> Result<Read, AppError> {
    let mut conn = app.pool.get().await?;
    let changes = session_rows::changed_since(&mut conn, since, now).await?;
    let security_events = event_rows::recorded_between(&mut conn, since, now).await?;
    app.metrics.session_event_polls.inc();
    let announced_after = expiry_announced_after(app.config.live.poll_interval);
    Ok(Read {
        session_events: changes
            .into_iter()
            .flat_map(|change| SessionEvent::from_change(change, since, now, announced_after))
            .collect(),
        security_events,
    })
}
