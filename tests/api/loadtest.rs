//! The load benchmark must not rot: run every scenario for a second, twice,
//! against the debug server, on each backend, and expect no errors, sensible
//! cost columns and the budget over both rounds. `reset` needs maildev
//! (`npm ci` in tests/mail), as the mail tests do.

use std::path::PathBuf;
use std::process::Command;

use authql_testkit::mysql_server_url;

fn loadtest_binary() -> PathBuf {
    // `cargo test` builds examples beside the binaries, in `examples/`.
    let server = PathBuf::from(env!("CARGO_BIN_EXE_authql"));
    let dir = server.parent().expect("target dir");
    dir.join("examples")
        .join(format!("loadtest{}", std::env::consts::EXE_SUFFIX))
}

fn smoke(backend: &str, extra: &[&str]) {
    let binary = loadtest_binary();
    assert!(
        binary.exists(),
        "{} is missing: plain `cargo test` builds it (or `cargo build --example loadtest`)",
        binary.display()
    );
    let output = Command::new(binary)
        .args([
            "--backend",
            backend,
            "--duration-secs",
            "1",
            "--connections",
            "4",
            "--rounds",
            "2",
            // 20 mails to wait for at 1 s each, four at once, not 200.
            "--enumeration-addresses",
            "20",
            "--directory-users",
            "12000",
        ])
        .args(["--server-bin", env!("CARGO_BIN_EXE_authql")])
        .args(extra)
        .output()
        .expect("run the load benchmark");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "loadtest failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for scenario in [
        "baseline",
        "me",
        "verify",
        "mySessions",
        "mySecurityEvents",
        "users",
        "refresh",
        "login",
        "me_during_login_flood",
        "disconnects",
        "revocation",
        "reset",
    ] {
        assert!(stdout.contains(scenario), "{scenario} reported:\n{stdout}");
    }
    // `reset`: the mails of both rounds (4 workers, one known address
    // each) and of the enumeration timing all arrived, and its budget line
    // and the timing table are there.
    for expected in [
        "mail: 8 known addresses asked, 8 mails owed, 8 delivered (0 lost, 0 beyond the per-address limit, 0 to unknown addresses)",
        "mail: 20 known addresses asked, 20 mails owed, 20 delivered (0 lost,",
        "reset p99 / me p99",
        "enumeration timing: requestPasswordReset one at a time, 20 known and 20 unknown",
    ] {
        assert!(stdout.contains(expected), "{expected} reported:\n{stdout}");
    }
    // `mySecurityEvents`: its user's 10,000 events were written, the first
    // page read before the window held 50 of them newest first (a wrong
    // page stops the run), and its p99 is reported against the target.
    // `users`: the 12,000 users were written, the round's first search
    // timed, and every search's totalCount checked before the window (a
    // wrong count stops the run); its p99 is reported against the target.
    for expected in [
        "first page: 50 of 10000+ events, newest first",
        "mySecurityEvents: first page p99",
        "directory: 12000 seeded users; the round's first search ",
        "totalCount checked: everyone ",
        "a name 1 (",
        "a last name 240 (",
        "an address 1 (",
        "a domain 600 (",
        "a first name 1200 (",
        "no one 0 (",
        "users: search p99",
    ] {
        assert!(stdout.contains(expected), "{expected} reported:\n{stdout}");
    }
    // Two rounds: each budget ratio shows what both rounds measured.
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("me / baseline") && line.contains("(median of ")),
        "per-round ratios:\n{stdout}"
    );
    // The cost columns: a `me` sends at most one statement (the session and
    // its user in one read, shared with the checks that arrive with it) and
    // costs authql some CPU.
    let me = stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some("me"))
        .expect("a me line");
    let columns: Vec<&str> = me.split_whitespace().collect();
    let statements: f64 = columns[columns.len() - 1].parse().expect("stmts column");
    let authql_cpu_us: f64 = columns[columns.len() - 3]
        .parse()
        .expect("authql µs column");
    assert!(
        statements > 0.0 && statements <= 1.05,
        "statements per me: {me}"
    );
    assert!(authql_cpu_us > 0.0, "authql CPU per me: {me}");
}

#[test]
fn every_scenario_runs_on_sqlite() {
    smoke("sqlite", &[]);
}

#[test]
fn every_scenario_runs_on_mysql() {
    if let Some(url) = mysql_server_url() {
        smoke("mysql", &["--mysql-url", &url]);
    }
}

/// `completeLogin`, which runs only when named: no errors, and its budget
/// line. One connection to the debug server answers about 150 a second
/// here: 600 tokens leave the 1.25 s window three times the room (a pool
/// that runs out is an error), for some 15 s of logins to make them.
fn complete_login_smoke(backend: &str, extra: &[&str]) {
    let output = Command::new(loadtest_binary())
        .args([
            "--backend",
            backend,
            "--duration-secs",
            "1",
            "--connections",
            "1",
        ])
        .args([
            "--rounds",
            "1",
            "--scenarios",
            "login,completeLogin",
            "--mfa-tokens",
            "600",
        ])
        .args(["--server-bin", env!("CARGO_BIN_EXE_authql")])
        .args(extra)
        .output()
        .expect("run the load benchmark");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "loadtest failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout
            .lines()
            .any(|line| line.starts_with("completeLogin CPU / login")),
        "{stdout}"
    );
}

#[test]
fn the_complete_login_scenario_runs_on_sqlite() {
    complete_login_smoke("sqlite", &[]);
}

/// The live-events check, small: sockets open, idle reads within the
/// budget, and every ended session's sockets closed.
fn sockets_smoke(backend: &str, extra: &[&str]) {
    let output = Command::new(loadtest_binary())
        .args([
            "--backend",
            backend,
            "--sockets",
            "48",
            "--socket-repeats",
            "2",
        ])
        .args(["--server-bin", env!("CARGO_BIN_EXE_authql")])
        .args(extra)
        .output()
        .expect("run the live-events check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "live-events check failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("48 sockets open") && stdout.contains("32 closes measured, 0 missing"),
        "{stdout}"
    );
}

#[test]
fn the_live_events_check_runs_on_sqlite() {
    sockets_smoke("sqlite", &[]);
}

#[test]
fn the_live_events_check_runs_on_mysql() {
    if let Some(url) = mysql_server_url() {
        sockets_smoke("mysql", &["--mysql-url", &url]);
    }
}

/// The flood scenarios, briefly, on SQLite: the junk-login flood and the
/// socket flood run on servers of their own and report the right login
/// from another address, the server's RSS and descriptors, and their budget
/// lines. Whether the lines hold is the benchmark's to say: exit 1 is a run
/// that measured failures, 2 one that could not run. (The amplification
/// scenario is left out: on a server without the fix one request keeps a
/// debug build hashing for minutes.)
#[test]
fn the_flood_scenarios_run_on_sqlite() {
    let output = Command::new(loadtest_binary())
        .args([
            "--scenarios",
            "login_junk_flood,socket_flood",
            "--duration-secs",
            "1",
            "--rounds",
            "1",
        ])
        .args(["--server-bin", env!("CARGO_BIN_EXE_authql")])
        .output()
        .expect("run the flood scenarios");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "the flood scenarios could not run:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "login_junk_flood",
        "(junk logins beside)",
        "socket_flood",
        "sockets accepted",
        "junk flood: right login p99",
        "junk flood: RSS peak",
        "junk flood: descriptors",
        "socket flood: right login p99",
        "socket flood: RSS peak",
        "socket flood: descriptors",
    ] {
        assert!(stdout.contains(expected), "{expected} reported:\n{stdout}");
    }
}
