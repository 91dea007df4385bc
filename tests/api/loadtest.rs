//! The load benchmark must not rot: run every scenario for a second against
//! the debug server, on each backend, and expect no errors.

use std::path::PathBuf;
use std::process::Command;

use crate::harness::mysql_server_url;

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
        "refresh",
        "login",
        "me_during_login_flood",
        "disconnects",
    ] {
        assert!(stdout.contains(scenario), "{scenario} reported:\n{stdout}");
    }
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
