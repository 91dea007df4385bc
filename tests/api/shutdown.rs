//! `authql serve` is gone within `SHUTDOWN_TIMEOUT_SECS` plus a few seconds
//! of SIGTERM, whatever is still running (the contract's "The program").

use std::time::{Duration, Instant};

use authql_testkit::{Backend, TestServer};
use serde_json::json;

use crate::served::ServedProcess;

#[test]
fn sigterm_ends_the_process_on_time_whatever_still_runs() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    // The watching app only reads the throttle rows of the shared database.
    let app = runtime.block_on(TestServer::start(Backend::Sqlite));
    let timeout_secs = 3;
    // A password check that takes far longer than the shutdown timeout (a
    // login for an unknown name checks a dummy hash made with these costs).
    let slow = [
        ("ARGON2_MEMORY_KIB", "262144"),
        ("ARGON2_ITERATIONS", "64"),
        ("SHUTDOWN_TIMEOUT_SECS", "3"),
    ];
    let server = ServedProcess::start(&app.db.url_text, &slow);
    let login =
        "mutation { login(input: {userName: \"nobody\", password: \"pw\"}) { session { id } } }";
    let in_flight = server.send_graphql(login, json!({}), None);
    runtime.block_on(app.wait_for_password_check("nobody"));
    let began = Instant::now();
    let status = server.terminate();
    let took = began.elapsed();
    assert!(status.success(), "exit 0 after the deadline: {status:?}");
    // Before, each wait of the shutdown had a deadline of its own (6 s and
    // more here).
    assert!(
        took < Duration::from_secs(timeout_secs + 2),
        "gone {took:?} after SIGTERM, with a shutdown timeout of {timeout_secs} s"
    );
    assert!(
        !server.log_lines_with(&["stopping anyway"]).is_empty(),
        "the log says a request was cut off"
    );
    drop(in_flight);
}
