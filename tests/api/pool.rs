//! The pool never hands out a connection it cannot trust: one whose statement
//! was cut half way, or one that answered with a row nobody asked for, is
//! closed, and the next checkout answers its own statement.

use std::time::Duration;

use authql::store::{DbConn, Discard};
use authql::with_conn;
use authql_testkit::{Backend, TestServer};
use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;

/// A number read in SQL, as `n`.
#[derive(diesel::QueryableByName)]
pub(crate) struct Number {
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// Runs `SELECT <n>` and returns what came back.
async fn select_number(conn: &mut DbConn, n: i64) -> diesel::QueryResult<i64> {
    let sql = format!("SELECT CAST({n} AS SIGNED) AS n");
    let sql = if conn.is_mysql() {
        sql
    } else {
        format!("SELECT {n} AS n")
    };
    with_conn!(conn, |c| {
        diesel::sql_query(&sql)
            .get_result::<Number>(c)
            .await
            .map(|row| row.n)
    })
}

/// A statement that keeps the database busy for a few seconds.
fn long_statement(conn: &DbConn) -> &'static str {
    if conn.is_mysql() {
        "SELECT CAST(SLEEP(3) AS SIGNED) AS n"
    } else {
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 30000000) \
         SELECT COUNT(*) AS n FROM c"
    }
}

fn discarded(app: &TestServer, reason: Discard) -> u64 {
    app.app.pool.usage().discarded[reason as usize]
}

async fn a_statement_cut_half_way_closes_its_connection(backend: Backend) {
    // One connection, so that the next checkout would be the same one.
    let app = TestServer::start_with(backend, |c| c.pool.max_size = 1).await;
    let mut conn = app.app.pool.get().await.expect("connection");
    assert_eq!(select_number(&mut conn, 7).await.expect("select"), 7);
    let sql = long_statement(&conn);
    let cut = tokio::time::timeout(Duration::from_millis(200), async {
        with_conn!(&mut conn, |c| {
            diesel::sql_query(sql)
                .get_result::<Number>(c)
                .await
                .map(|row| row.n)
        })
    })
    .await;
    assert!(
        cut.is_err(),
        "the statement was cut by the caller's timeout"
    );
    drop(conn);

    let mut next = app.app.pool.get().await.expect("a connection");
    assert_eq!(
        select_number(&mut next, 42).await.expect("select"),
        42,
        "the next statement reads its own answer"
    );
    drop(next);
    assert_eq!(
        discarded(&app, Discard::Interrupted),
        1,
        "the cut connection was closed, the clean one went back"
    );
}

async fn a_connection_answering_for_another_row_is_closed(backend: Backend) {
    let app = TestServer::start_with(backend, |c| c.pool.max_size = 1).await;
    let mut conn = app.app.pool.get().await.expect("connection");
    let answer = with_conn!(&mut conn, |c| {
        let n = diesel::sql_query("SELECT 1 AS n")
            .get_result::<Number>(c)
            .await?
            .n;
        authql::store::expect_key("session", "asked-for", &format!("got-{n}"))
    });
    let error = answer.expect_err("a row other than the one asked for is refused");
    assert!(authql::store::is_wrong_answer(&error), "{error}");
    assert_eq!(
        authql::error::AppError::from(error).code().as_str(),
        "INTERNAL_SERVER_ERROR",
        "an internal error, never an answer"
    );
    drop(conn);
    assert_eq!(discarded(&app, Discard::WrongAnswer), 1);
    let mut next = app.app.pool.get().await.expect("a fresh connection");
    assert_eq!(select_number(&mut next, 5).await.expect("select"), 5);
}

authql_testkit::both_backends!(
    a_statement_cut_half_way_closes_its_connection,
    a_connection_answering_for_another_row_is_closed,
);
