//! Live session events: the `sessionEvents` subscription over WebSocket,
//! and sockets that close the moment their own session ends; beside it,
//! `securityEvents`, the user's security events as they are recorded.
//!
//! Design:
//! - **Where events come from.** The sessions table itself: a session row
//!   gets `created_at` when it opens and `ended_at` (with `end_reason`)
//!   when it ends, on whichever replica did it, in the same statement that
//!   opens or ends it. Both columns are indexed, so nothing is written twice
//!   and no event can exist for a change that did not commit.
//! - **One read per replica per interval.** Each replica runs one poller
//!   ([`feed`]) that, while at least one socket is open on it, reads every
//!   session opened or ended since a moment (`SESSION_EVENTS_POLL_MS`, 500 ms
//!   by default), whoever's: one indexed statement, whatever the number of
//!   sockets, and none while no socket is open. It hands each change to the
//!   sockets of that user on this replica. The same read also takes the
//!   security events recorded since then (a second indexed statement on
//!   the same connection, by `at`), deduplicated by id, for
//!   `securityEvents`; they are handed out before the session changes of
//!   the read, so a socket closed by its own session's end has first been
//!   given that end's `SESSION_ENDED` event.
//! - **Where a replica left off.** Each read reaches back
//!   [`feed::lookback`] (17 s with the defaults) before the start of the
//!   last read that succeeded, and changes already handed out are
//!   remembered for twice as long, so a change is delivered once even
//!   though it is read several times. The reach-back covers a change that
//!   commits after the time it stamped (a pool wait and a statement, each
//!   bounded by its timeout) and replica clocks that disagree by up to 2 s.
//! - **Expiry** writes nothing, so the same read also returns open sessions
//!   whose `expires_at` passed since then: `ENDED` with `EXPIRED`, at
//!   `expires_at`, announced once it is a second past
//!   ([`event::EXPIRY_ANNOUNCED_AFTER`]), so that a replica whose clock runs
//!   a little ahead never announces an end that another replica does not
//!   see yet. A socket also keeps its own session's expiry and, when it
//!   passes, reads its session once (a refresh may have moved it): that read
//!   runs on a task of its own and is waited for at most 2 s (the contract's
//!   bound; no answer in time closes the socket with 1013 as an outage
//!   does), and the `ENDED` it tells carries the row's own time (`ended_at`,
//!   else `expires_at`), as the feed would.
//! - **The database unreachable.** A socket cannot be told that its session
//!   ended while the reads fail, and it must never go on as if nothing had:
//!   once no read has succeeded for [`feed::UNAVAILABLE_AFTER`] (2 s; a read
//!   that hangs counts as failing: each read runs on a task of its own, one
//!   at a time, and only the wait for it is bounded, so it is never cut
//!   mid-statement), every socket on the replica is closed
//!   with 1013 ("try again later", reason `SERVICE_UNAVAILABLE`). A client
//!   reconnects; its `connection_init` is answered once the database is
//!   back (the same guard as every request), and the reads catch up from
//!   where they left off.
//! - **A stop** (SIGTERM) closes every socket with 1012 ("service restart")
//!   and waits for the close frames up to `SHUTDOWN_TIMEOUT_SECS`.
//! - **Pruning.** Nothing to prune beyond the sessions themselves: the
//!   events are the sessions' own columns, deleted with the rows.

pub(crate) mod event;
pub(crate) mod feed;

pub use crate::config::live::LiveSettings;
