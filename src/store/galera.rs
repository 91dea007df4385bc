//! MariaDB Galera: found when a connection opens, and its reads made causal.
//!
//! On Galera a commit on one node is certified everywhere before it returns,
//! but another node may apply it a moment later: a plain read there can
//! still see the row as it was (a session ended a moment ago, open). With
//! bit 1 of `wsrep_sync_wait` set, each read statement (and each `BEGIN`)
//! first waits until the node has applied everything committed anywhere
//! before it started. It is set once per connection, when it opens, not per
//! query, and added to the node's global value rather than replacing it: the
//! other bits an operator set globally (2: UPDATE and DELETE wait too, 4:
//! INSERT and REPLACE, 8: SHOW) stay set on authql's connections.
//! Writes need no such wait: one that ran on stale rows loses certification
//! at commit (error 1213), and `with_conn!` runs its body again, whose reads
//! are then causal.

use std::sync::atomic::{AtomicBool, Ordering};

use diesel::sql_types::Text;
use diesel::{ConnectionError, ConnectionResult, QueryableByName};
use diesel_async::{AsyncMysqlConnection, RunQueryDsl};

/// `wsrep_sync_wait`'s bit for reads (SELECT, SHOW and BEGIN wait), on top
/// of whatever bits the node is configured with.
const CAUSAL_READS: &str = "SET SESSION wsrep_sync_wait = @@global.wsrep_sync_wait | 1";

/// One row of `SHOW VARIABLES`.
#[derive(QueryableByName)]
struct Variable {
    #[diesel(sql_type = Text, column_name = "Value")]
    value: String,
}

/// The first Galera connection is logged, once per process.
static ANNOUNCED: AtomicBool = AtomicBool::new(false);

/// Makes a new connection's reads causal when its server is a Galera node
/// (`wsrep_on` is `ON`); on MySQL and plain MariaDB it changes nothing.
pub(super) async fn prepare(conn: &mut AsyncMysqlConnection) -> ConnectionResult<()> {
    let failed = |error: diesel::result::Error| ConnectionError::BadConnection(error.to_string());
    // SHOW answers an empty set where the variable does not exist (MySQL),
    // where `SELECT @@wsrep_on` would fail.
    let wsrep_on = diesel::sql_query("SHOW VARIABLES LIKE 'wsrep_on'")
        .load::<Variable>(conn)
        .await
        .map_err(failed)?
        .into_iter()
        .any(|variable| variable.value.eq_ignore_ascii_case("ON"));
    if !wsrep_on {
        return Ok(());
    }
    diesel::sql_query(CAUSAL_READS)
        .execute(conn)
        .await
        .map_err(failed)?;
    if !ANNOUNCED.swap(true, Ordering::Relaxed) {
        tracing::info!(
            "the database is a Galera node: reads are causal \
             (wsrep_sync_wait = the global value | 1)"
        );
    }
    Ok(())
}
