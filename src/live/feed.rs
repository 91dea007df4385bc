//! The replica's one reader of session changes, and the sockets it hands
//! them to (see the module above for the design).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

use crate::app::App;
use crate::db::models::sessions as session_rows;
use crate::error::AppError;
use crate::live::event::{SessionEvent, SessionEventKind};

/// How far each read reaches back before the last one that succeeded.
pub(crate) const LOOKBACK: TimeDelta = TimeDelta::seconds(5);
/// How long reads may fail before every socket is closed.
pub(crate) const UNAVAILABLE_AFTER: Duration = Duration::from_secs(2);
/// A socket hears of changes stamped up to this long before it subscribed,
/// so that a clock a little behind another replica's loses nothing.
const CLOCK_TOLERANCE: TimeDelta = TimeDelta::seconds(1);
/// Changes waiting for one socket; a socket this far behind is closed.
const SOCKET_BACKLOG: usize = 256;

/// What a socket hears from the feed.
#[derive(Debug, Clone)]
pub(crate) enum FeedItem {
    Event(Arc<SessionEvent>),
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
}

/// The user already holds `MAX_SOCKETS_PER_USER` sockets here.
#[derive(Debug)]
pub(crate) struct TooManySockets;

/// A socket's place in the feed; dropping it leaves.
pub(crate) struct Watch {
    pub receiver: mpsc::Receiver<FeedItem>,
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
        self.watchers.lock().unwrap_or_else(PoisonError::into_inner)
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
        });
        drop(watchers);
        self.shared.first_socket.notify_one();
        Ok(Watch {
            receiver,
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
        let Some(interval) = app.upgrade().map(|app| app.config.live.poll_interval) else {
            return;
        };
        let mut since: Option<NaiveDateTime> = None;
        let mut handed_out: HashMap<(String, SessionEventKind), NaiveDateTime> = HashMap::new();
        let mut failing_since: Option<Instant> = None;
        loop {
            if self.sockets() == 0 {
                // Idle: no read at all until a socket opens; then start
                // afresh, as no socket can have missed anything.
                since = None;
                handed_out.clear();
                failing_since = None;
                self.shared.first_socket.notified().await;
                continue;
            }
            tokio::time::sleep(interval).await;
            let Some(app) = app.upgrade() else {
                return;
            };
            let started = app.clock.now();
            let from = since.unwrap_or(started - LOOKBACK);
            match self.read(&app, from).await {
                Ok(events) => {
                    failing_since = None;
                    since = Some(started - LOOKBACK);
                    for event in events {
                        let key = (event.session_id.clone(), event.kind);
                        if handed_out.insert(key, event.at).is_none() {
                            self.hand_out(&app, Arc::new(event));
                        }
                    }
                    let keep_from = started - LOOKBACK - LOOKBACK;
                    handed_out.retain(|_, at| *at >= keep_from);
                }
                Err(error) => {
                    let first = *failing_since.get_or_insert_with(Instant::now);
                    tracing::warn!(error = %error.detail(), "cannot read session changes");
                    if first.elapsed() >= UNAVAILABLE_AFTER {
                        self.close_all_unavailable();
                    }
                }
            }
        }
    }

    async fn read(&self, app: &App, since: NaiveDateTime) -> Result<Vec<SessionEvent>, AppError> {
        let mut conn = app.pool.get().await?;
        let changes = session_rows::changed_since(&mut conn, since).await?;
        app.metrics.session_event_polls.inc();
        Ok(changes
            .into_iter()
            .flat_map(|change| SessionEvent::from_change(change, since))
            .collect())
    }

    /// Gives `event` to every socket of its user that should hear it: its
    /// own session's end always; its own opening never (the socket signed in
    /// with it); anything else stamped after the socket subscribed.
    fn hand_out(&self, app: &App, event: Arc<SessionEvent>) {
        let mut watchers = self.shared.lock();
        let Some(list) = watchers.get_mut(&event.user_id) else {
            return;
        };
        list.retain(|watcher| {
            let own = watcher.session_id == event.session_id;
            let wanted = match event.kind {
                SessionEventKind::Ended if own => true,
                SessionEventKind::Opened if own => false,
                _ => event.at >= watcher.since,
            };
            if !wanted {
                return true;
            }
            match watcher.sender.try_send(FeedItem::Event(event.clone())) {
                Ok(()) => {
                    app.metrics.session_events_delivered.inc();
                    true
                }
                // Too far behind, or gone: the socket closes when its
                // receiver finds the channel closed.
                Err(_) => false,
            }
        });
        if list.is_empty() {
            watchers.remove(&event.user_id);
        }
    }

    fn close_all_unavailable(&self) {
        let mut watchers = self.shared.lock();
        for list in watchers.values() {
            for watcher in list {
                let _ = watcher.sender.try_send(FeedItem::Unavailable);
            }
        }
        watchers.clear();
    }
}
