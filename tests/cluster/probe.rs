//! Why authql makes its reads causal: a row committed through node 1 and
//! read at once through node 3, whose applier is kept busy by a stream of
//! large writes through node 2. With `wsrep_sync_wait = 0` the read may
//! see the row as it was; with `1` (the bit authql sets) it never does.
//! And that authql adds its bit to the node's global value, keeping the
//! operator's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::BigInt;
use diesel_async::{AsyncConnection, AsyncMysqlConnection, RunQueryDsl};

use authql::store::{DbPool, PoolSettings};

use crate::Cluster;
use crate::nodes;

const ROUNDS: i64 = 200;

#[derive(QueryableByName)]
struct Value {
    #[diesel(sql_type = BigInt)]
    v: i64,
}

async fn connect(url: &str) -> AsyncMysqlConnection {
    AsyncMysqlConnection::establish(url).await.expect("connect")
}

async fn run(conn: &mut AsyncMysqlConnection, statement: &str) {
    diesel::sql_query(statement)
        .execute(conn)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
}

async fn read(conn: &mut AsyncMysqlConnection) -> i64 {
    diesel::sql_query("SELECT v FROM probe WHERE id = 1")
        .get_result::<Value>(conn)
        .await
        .expect("read")
        .v
}

pub async fn stale_reads(cluster: &Cluster) {
    let mut writer = connect(&cluster.url(1)).await;
    run(
        &mut writer,
        "CREATE TABLE probe (id INT PRIMARY KEY, v BIGINT NOT NULL)",
    )
    .await;
    run(&mut writer, "INSERT INTO probe VALUES (1, 0)").await;
    run(&mut writer, "CREATE TABLE noise (id INT PRIMARY KEY, v BIGINT NOT NULL, pad CHAR(200) NOT NULL DEFAULT '')").await;
    run(&mut writer, "SET SESSION max_recursive_iterations = 100000").await;
    run(
        &mut writer,
        "INSERT INTO noise (id, v) WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 20000) SELECT i, 0 FROM n",
    )
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let noise = {
        let (url, stop) = (cluster.url(2), stop.clone());
        tokio::spawn(async move {
            let mut conn = connect(&url).await;
            while !AtomicBool::load(&stop, Ordering::Relaxed) {
                run(&mut conn, "UPDATE noise SET v = v + 1").await;
            }
        })
    };
    let mut plain = connect(&cluster.url(3)).await;
    run(&mut plain, "SET SESSION wsrep_sync_wait = 0").await;
    let mut causal = connect(&cluster.url(3)).await;
    run(&mut causal, "SET SESSION wsrep_sync_wait = 1").await;
    let (mut stale_plain, mut stale_causal) = (0, 0);
    for round in 1..=ROUNDS {
        run(
            &mut writer,
            &format!("UPDATE probe SET v = {round} WHERE id = 1"),
        )
        .await;
        if read(&mut plain).await < round {
            stale_plain += 1;
        }
        if read(&mut causal).await < round {
            stale_causal += 1;
        }
    }
    stop.store(true, Ordering::Relaxed);
    noise.await.expect("noise");
    eprintln!(
        "cluster probe: a commit through node 1 read at once through node 3 (its applier busy \
         with 20,000-row updates through node 2), {ROUNDS} rounds: stale with wsrep_sync_wait=0: \
         {stale_plain}; with wsrep_sync_wait=1: {stale_causal}"
    );
    assert_eq!(stale_causal, 0, "causal reads are never stale");
    run(&mut writer, "DROP TABLE noise").await;
    run(&mut writer, "DROP TABLE probe").await;
}

/// An operator made SHOW wait too on node 3 (`SET GLOBAL wsrep_sync_wait =
/// 8`): a connection authql's pool then opens to it waits for both, 9.
pub async fn operator_bits_are_kept(cluster: &Cluster) {
    let folder = &cluster.nodes.nodes[2].folder;
    let global = nodes::sql(folder, "SELECT @@global.wsrep_sync_wait").expect("global value");
    nodes::sql(folder, "SET GLOBAL wsrep_sync_wait = 8").expect("set the global value");
    let pool = DbPool::new(
        &cluster.url(3).parse().expect("url"),
        PoolSettings {
            max_size: 1,
            wait_timeout: Duration::from_secs(10),
            query_timeout: Duration::from_secs(10),
        },
    )
    .expect("pool");
    let session = async {
        let mut conn = pool.get().await.map_err(|error| error.to_string())?;
        authql::with_conn!(&mut conn, |c| {
            diesel::sql_query("SELECT CAST(@@session.wsrep_sync_wait AS SIGNED) AS v")
                .get_result::<Value>(c)
                .await
        })
        .map_err(|error| error.to_string())
    }
    .await;
    pool.close();
    // Put back before any assertion, for the scenarios after this one.
    nodes::sql(folder, &format!("SET GLOBAL wsrep_sync_wait = {global}"))
        .expect("restore the global value");
    let session = session.expect("the session's value").v;
    eprintln!(
        "cluster probe: node 3 set to wsrep_sync_wait = 8 globally (was {global}); authql's \
         connection to it got {session}"
    );
    assert_eq!(session, 9, "the operator's bit 8 and authql's bit 1");
}
