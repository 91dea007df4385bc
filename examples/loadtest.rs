//! The load benchmark: starts `authql serve` on a fresh SQLite file
//! or MySQL database, creates users and sessions, and drives the server over
//! HTTP with N concurrent keep-alive connections for a fixed time per scenario.
//!
//! ```text
//! cargo run --release --example loadtest -- [--backend sqlite|mysql]
//!     [--mysql-url mysql://root@127.0.0.1:3306] [--connections 32]
//!     [--duration-secs 10] [--rounds 3] [--scenarios baseline,me,...] [--json]
//!     [--flood-connections 8] [--hash-concurrency N] [--server-bin PATH]
//!     [--enumeration-addresses 200]
//! cargo run --release --example loadtest -- --soak SECS [--backend …]
//!     [--restart-command CMD] [--outage-secs 5]
//! cargo run --release --example loadtest -- --sockets 2000 [--socket-repeats 20]
//! ```
//!
//! `--soak` runs mixed traffic instead of the scenarios, with the database
//! taken away once at half time; see `loadtest/soak.rs`. `--sockets N` opens
//! N live-events WebSockets instead and measures what they cost idle and how
//! fast an ended session's sockets close; see `loadtest/sockets.rs`.
//!
//! A smoke run (seconds): `--duration-secs 1 --connections 4`.
//!
//! Scenarios: `baseline` (`{ __typename }`, no token), `me` (each worker its
//! own session), `mySessions` (a user with 10 sessions), `mySecurityEvents`
//! (the first page, 50 events, of a user with 10,000 security events written
//! into the database before the server starts; see
//! `loadtest/security_events.rs`), `refresh` (each worker
//! rotating its own sessions' refresh tokens), `login` (right passwords, spread
//! over several user names), `completeLogin` (the second step of a TOTP
//! sign-in with a recovery code, each `mfaToken` made by a login before a
//! window of its own, 1 s; see `loadtest/complete_login.rs`),
//! `me_during_login_flood` (`me` while other
//! workers flood `login`), `revocation` (`me` for one session on every
//! worker while it is logged out half way: an answer other than
//! `SESSION_REVOKED` to a request sent after the logout is an error),
//! `disconnects` (`me`, every answer checked to be
//! the caller's own, while `--flood-connections` workers send `mySessions` and
//! hang up without reading the answer; a wrong answer is an error and the
//! budget allows none), and `reset` (`requestPasswordReset` for known and
//! unknown addresses in turn while the SMTP server, the test kit's maildev
//! from `tests/mail`, holds each mail 1 s; every mail owed must arrive, and
//! one that does not is an error; once per run it also times known against
//! unknown addresses one at a time; see `loadtest/reset.rs` and
//! `loadtest/enumeration.rs`). `passkey` sends `beginPasskeyLogin` then
//! `finishPasskeyLogin` with the test kit's software authenticator's
//! assertion, the pair counted as one sign-in, each worker one user's
//! passkey registered before the first window (see `loadtest/passkey.rs`).
//! The flood scenarios, run only when named,
//! `login_amplification`, `login_junk_flood` and `socket_flood`, each on a
//! server of its own: right logins from one client address while another
//! floods, with the server's RSS and descriptors; see `loadtest/floods.rs`.
//! Each reports requests/s, p50, p99, p99.9 and errors;
//! the run also reports the server's start-to-first-answer time on a migrated
//! database, its RSS idle and at peak, and the performance budget as ratios.
//!
//! Throughput on a shared two-core machine moves by a fifth between runs of
//! the same build, so every scenario runs `--rounds` times in turn: each row
//! is the round of median req/s, and each budget line the median of its
//! per-round values, each ratio taken within one round.
//!
//! The server is built with `cargo build --release --bin authql` into the same
//! target directory (or given with `--server-bin`), runs in a temporary
//! folder, and is configured by environment variables set here; others (such
//! as `DB_POOL_SIZE`) pass through. A MySQL database `authql_bench_<random>` is
//! created on the given server and dropped at the end.
//!
//! Exit status: 0 when no request failed, 1 when some did (or the server did
//! not stop cleanly), 2 when the benchmark could not run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test, bench or example stops at the first thing that is not as it expects"
)]

/// Inserts `$rows` into `$table` in one transaction on `$conn`, one INSERT
/// per row (diesel-async's SQLite connection takes no multi-row INSERT; in
/// one transaction a row costs a round trip, not a commit): how the
/// scenarios that seed rows before the server starts write them.
macro_rules! insert_in_one_transaction {
    ($conn:expr, $table:expr, $rows:expr) => {
        authql::with_conn!($conn, |c| {
            c.transaction(async |c| {
                for row in $rows {
                    diesel::insert_into($table).values(row).execute(c).await?;
                }
                QueryResult::Ok(())
            })
            .await
        })
    };
}

// The crate root is this file, so its modules live in `loadtest/` by path.
#[path = "loadtest/accounts.rs"]
mod accounts;
#[path = "loadtest/client.rs"]
mod client;
#[path = "loadtest/complete_login.rs"]
mod complete_login;
#[path = "loadtest/costs.rs"]
mod costs;
#[path = "loadtest/directory.rs"]
mod directory;
#[path = "loadtest/enrolment.rs"]
mod enrolment;
#[path = "loadtest/enumeration.rs"]
mod enumeration;
#[path = "loadtest/floods.rs"]
mod floods;
#[path = "loadtest/hashing.rs"]
mod hashing;
#[path = "loadtest/mailbox.rs"]
mod mailbox;
#[path = "loadtest/passkey.rs"]
mod passkey;
#[path = "loadtest/report.rs"]
mod report;
#[path = "loadtest/reset.rs"]
mod reset;
#[path = "loadtest/scenarios.rs"]
mod scenarios;
#[path = "loadtest/security_events.rs"]
mod security_events;
#[path = "loadtest/server.rs"]
mod server;
#[path = "loadtest/soak.rs"]
mod soak;
#[path = "loadtest/sockets.rs"]
mod sockets;
#[path = "loadtest/stats.rs"]
mod stats;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use authql::config::Argon2Cost;
use authql_testkit::TestDb;
use clap::{Parser, ValueEnum};

use crate::report::{Hashing, Machine, Report, ScenarioRow, ServerNumbers};
use crate::scenarios::{LOGIN_WORKERS_PER_USER, Outcome, Plan, Scenario, Users};
use crate::server::ServerSetup;

/// The error type of everything that stops the benchmark.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Users created for `me`, `refresh` and `login`, at the least.
const MIN_LOGIN_USERS: usize = 16;
/// The password of every benchmark user.
const PASSWORD: &str = "loadtest-password-1";
/// Pause between the first answer and the idle memory reading.
const IDLE_SETTLE: Duration = Duration::from_millis(200);
/// Longest warm-up before a scenario's measured window.
const MAX_WARMUP: Duration = Duration::from_secs(1);

/// Load benchmark of authql: starts the server and drives it over HTTP.
#[derive(Parser, Debug)]
#[command(name = "loadtest")]
struct Args {
    /// Storage backend of the server under test.
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// MySQL server (no database part) on which a database is created and dropped.
    #[arg(long, default_value = "mysql://root@127.0.0.1:3306")]
    mysql_url: String,
    /// Concurrent keep-alive connections (one worker each).
    #[arg(long, default_value_t = 32, value_parser = at_least_one)]
    connections: usize,
    /// Measured seconds per scenario (after a warm-up of a fifth of it, at most 1 s).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    duration_secs: u64,
    /// Times the whole list of scenarios runs, one round after the other.
    #[arg(long, default_value_t = 3, value_parser = at_least_one)]
    rounds: usize,
    /// Scenarios to run, comma-separated, in order.
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = Scenario::ALL)]
    scenarios: Vec<Scenario>,
    /// Known addresses, and as many unknown ones, in the `reset` scenario's
    /// enumeration timing.
    #[arg(long, default_value_t = 200, value_parser = at_least_one)]
    enumeration_addresses: usize,
    /// mfaTokens made per round for `completeLogin` (each costs a login
    /// before the window) [default: enough for 3,000 requests/s].
    #[arg(long, value_parser = at_least_one)]
    mfa_tokens: Option<usize>,
    /// Users written into the directory `users` searches, besides the
    /// benchmark's own.
    #[arg(long, default_value_t = directory::DEFAULT_USERS, value_parser = at_least_one)]
    directory_users: usize,
    /// Connections flooding `login` in `me_during_login_flood`.
    #[arg(long, default_value_t = 8, value_parser = at_least_one)]
    flood_connections: usize,
    /// PASSWORD_HASH_CONCURRENCY given to the server [default: number of CPUs].
    #[arg(long, value_parser = at_least_one)]
    hash_concurrency: Option<usize>,
    /// A built `authql` binary to use instead of building one.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Instead of the scenarios, mixed traffic for this many seconds with one
    /// database outage at half time.
    #[arg(long, value_parser = clap::value_parser!(u64).range(10..=86_400))]
    soak: Option<u64>,
    /// Instead of the scenarios, the live-events check with this many
    /// WebSockets open.
    #[arg(long, value_parser = at_least_one)]
    sockets: Option<usize>,
    /// Sessions ended one at a time in the live-events check.
    #[arg(long, default_value_t = 20, value_parser = at_least_one)]
    socket_repeats: usize,
    /// The soak's outage: a command run with `sh -c` (a database restart,
    /// say); the outage lasts while it runs. Needed on MySQL.
    #[arg(long)]
    restart_command: Option<String>,
    /// On SQLite without --restart-command: how long the database file is
    /// locked by another process.
    #[arg(long, default_value_t = 5)]
    outage_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    Mysql,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Mysql => "mysql",
        }
    }
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("must be a whole number, 1 or more".to_owned()),
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.soak.is_some() {
        return match run_soak(&args) {
            Ok(report) => {
                print!("{}", report.text());
                if report.passed() {
                    ExitCode::SUCCESS
                } else {
                    eprintln!(
                        "loadtest: the soak failed (wrong answers, dead sessions or growing memory)"
                    );
                    ExitCode::from(1)
                }
            }
            Err(error) => {
                eprintln!("loadtest: {error}");
                ExitCode::from(2)
            }
        };
    }
    if let Some(count) = args.sockets {
        return match run_sockets(&args, count) {
            Ok(report) => {
                if args.json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&report).unwrap_or_default()
                    );
                } else {
                    print!("{}", report.text());
                }
                if report.passed() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(error) => {
                eprintln!("loadtest: {error}");
                ExitCode::from(2)
            }
        };
    }
    match run(&args) {
        Ok(report) => {
            if args.json {
                println!("{}", report.json());
            } else {
                print!("{}", report.table());
            }
            if report.has_errors() {
                eprintln!("loadtest: some requests failed (the report lists them by kind)");
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("loadtest: {error}");
            ExitCode::from(2)
        }
    }
}

/// Prepares the database, benchmarks, and removes the database whatever happened.
fn run(args: &Args) -> Result<Report, BoxError> {
    on_fresh_database(args, "authql-loadtest", |runtime, binary, workdir, url| {
        bench(args, runtime, binary, workdir, url)
    })
}

/// The soak: a fresh database, one user per connection, mixed traffic.
fn run_soak(args: &Args) -> Result<soak::SoakReport, BoxError> {
    on_fresh_database(args, "authql-soak", |runtime, binary, workdir, url| {
        let outage = match (&args.restart_command, url.strip_prefix("sqlite://")) {
            (Some(command), _) => soak::Outage::Command(command.clone()),
            (None, Some(path)) => soak::Outage::SqliteLock {
                path: path.into(),
                hold: Duration::from_secs(args.outage_secs),
            },
            (None, None) => {
                return Err("--soak on MySQL needs --restart-command (a database restart)".into());
            }
        };
        let setup = ServerSetup::new(binary, workdir, url, Machine::this_one().cores)?;
        setup.migrate()?;
        let users: Vec<String> = (0..args.connections)
            .map(|i| format!("soak_user_{i:03}"))
            .collect();
        eprintln!("creating {} users", users.len());
        for user in &users {
            setup.add_user(user, PASSWORD)?;
        }
        let mut server = setup.start()?;
        let plan = soak::SoakPlan {
            addr: server.addr(),
            duration: Duration::from_secs(args.soak.unwrap_or(60)),
            users,
            password: PASSWORD.to_owned(),
            outage,
        };
        eprintln!("soaking for {} s", plan.duration.as_secs());
        let report = runtime.block_on(soak::run(plan, &server))?;
        server.check_alive()?;
        server.stop()?;
        Ok(report)
    })
}

/// The live-events check: one session per user, 16 sockets per session.
fn run_sockets(args: &Args, count: usize) -> Result<sockets::SocketsReport, BoxError> {
    on_fresh_database(args, "authql-sockets", |runtime, binary, workdir, url| {
        let setup = ServerSetup::new(binary, workdir, url, Machine::this_one().cores)?;
        setup.migrate()?;
        let user_count = count.div_ceil(sockets::SOCKETS_PER_SESSION);
        let users = Users {
            names: (0..user_count)
                .map(|i| format!("socket_user_{i:04}"))
                .collect(),
            my_sessions_users: Vec::new(),
            attacker: String::new(),
            password: PASSWORD.to_owned(),
        };
        eprintln!("creating {user_count} users");
        for name in &users.names {
            setup.add_user(name, PASSWORD)?;
        }
        let mut server = setup.start()?;
        let poll_interval_ms = std::env::var("SESSION_EVENTS_POLL_MS")
            .ok()
            .and_then(|value| value.parse().ok())
            .unwrap_or(500);
        let plan = Plan {
            addr: server.addr(),
            connections: 1,
            flood_connections: 0,
            warmup: Duration::ZERO,
            duration: Duration::ZERO,
            users,
            round: 0,
            probe: costs::Probe {
                authql_pid: server.pid(),
                database_pid: None,
                addr: server.addr(),
            },
            window_opened: std::sync::Mutex::new(None),
            reset: None,
            complete_login: None,
            passkey: None,
            directory: None,
        };
        let report = runtime.block_on(sockets::run(
            &plan,
            &server,
            count,
            args.socket_repeats,
            poll_interval_ms,
        ))?;
        server.check_alive()?;
        server.stop()?;
        Ok(report)
    })
}

/// Runs `work` with a runtime, the server binary, a scratch folder and the
/// URL of a database made for it, and removes the database whatever
/// happened.
fn on_fresh_database<T>(
    args: &Args,
    prefix: &str,
    work: impl FnOnce(&tokio::runtime::Runtime, PathBuf, &Path, &str) -> Result<T, BoxError>,
) -> Result<T, BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let binary = match &args.server_bin {
        Some(path) => path.clone(),
        None => server::build_release_binary()?,
    };
    let workdir = tempfile::Builder::new().prefix(prefix).tempdir()?;
    let database = match args.backend {
        Backend::Sqlite => TestDb::sqlite()?,
        Backend::Mysql => runtime.block_on(server::mysql_database(&args.mysql_url))?,
    };
    let outcome = work(&runtime, binary, workdir.path(), &database.url_text);
    let removed = runtime.block_on(database.remove());
    let outcome = outcome?;
    removed?;
    Ok(outcome)
}

/// Sets the server up, runs the scenarios, and gathers the report.
fn bench(
    args: &Args,
    runtime: &tokio::runtime::Runtime,
    binary: PathBuf,
    workdir: &Path,
    database_url: &str,
) -> Result<Report, BoxError> {
    let machine = Machine::this_one();
    let hash_concurrency = args.hash_concurrency.unwrap_or(machine.cores);
    let mut setup = ServerSetup::new(binary, workdir, database_url, hash_concurrency)?;
    let mailbox = if args.scenarios.contains(&Scenario::Reset) {
        eprintln!("starting the SMTP server (maildev, each mail held 1 s)");
        let mailbox = runtime.block_on(mailbox::Mailbox::start())?;
        setup = setup.with_mail(&mailbox.smtp_url(), mailbox::APP_URL);
        Some(mailbox)
    } else {
        None
    };
    let runs_complete_login = args.scenarios.contains(&Scenario::CompleteLogin);
    if runs_complete_login {
        setup = setup.with_vars(&complete_login::SERVER_VARS);
    }
    eprintln!("migrating a fresh {} database", args.backend.name());
    setup.migrate()?;
    let users = create_users(&setup, args)?;
    let complete_login = if runs_complete_login {
        Some(Arc::new(
            runtime.block_on(complete_login::prepare(
                &setup,
                args.mfa_tokens
                    .unwrap_or_else(complete_login::default_tokens),
            ))?,
        ))
    } else {
        None
    };
    let reset = match mailbox {
        Some(mailbox) => Some(Arc::new(runtime.block_on(reset::prepare(
            &setup,
            mailbox,
            args.connections,
            args.rounds,
            warmup(args.duration_secs) + Duration::from_secs(args.duration_secs),
            args.enumeration_addresses,
        ))?)),
        None => None,
    };
    if args.scenarios.contains(&Scenario::MySecurityEvents) {
        runtime.block_on(security_events::prepare(&setup))?;
    }
    let passkey = if args.scenarios.contains(&Scenario::Passkey) {
        Some(Arc::new(
            runtime.block_on(passkey::prepare(&setup, args.connections))?,
        ))
    } else {
        None
    };
    let directory = if args.scenarios.contains(&Scenario::Users) {
        Some(Arc::new(runtime.block_on(directory::prepare(
            &setup,
            args.directory_users,
        ))?))
    } else {
        None
    };
    let hashing = measure_hashing(hash_concurrency)?;

    eprintln!("starting authql serve");
    let mut server = setup.start()?;
    std::thread::sleep(IDLE_SETTLE);
    let idle = server.memory()?;
    let mut plan = Plan {
        addr: server.addr(),
        connections: args.connections,
        flood_connections: args.flood_connections,
        warmup: warmup(args.duration_secs),
        duration: Duration::from_secs(args.duration_secs),
        users,
        round: 0,
        probe: costs::Probe {
            authql_pid: server.pid(),
            database_pid: match args.backend {
                Backend::Mysql => costs::local_database_pid(),
                Backend::Sqlite => None,
            },
            addr: server.addr(),
        },
        window_opened: std::sync::Mutex::new(None),
        reset,
        complete_login,
        passkey,
        directory,
    };
    let mut rounds = Vec::with_capacity(args.rounds);
    for round in 1..=args.rounds {
        plan.round = round - 1;
        let mut rows = Vec::with_capacity(args.scenarios.len());
        for scenario in &args.scenarios {
            eprintln!(
                "round {round} of {}: running {}",
                args.rounds,
                scenario.name()
            );
            let outcome = match scenario.flood_server_vars() {
                Some(vars) => run_flood(runtime, &setup, &plan, *scenario, &vars)?,
                None => runtime.block_on(scenarios::run(*scenario, &plan))?,
            };
            server.check_alive()?;
            rows.push(ScenarioRow::from(outcome));
        }
        rounds.push(rows);
    }
    let enumeration = match &plan.reset {
        Some(reset) => {
            eprintln!(
                "timing requestPasswordReset: {} known and {} unknown addresses, one at a time",
                args.enumeration_addresses, args.enumeration_addresses
            );
            let timing = runtime.block_on(enumeration::measure(plan.addr, reset))?;
            server.check_alive()?;
            Some(timing)
        }
        None => None,
    };
    let peak = server.memory()?;
    let start_to_first_answer = server.start_to_first_answer;
    let exit = server.stop()?;

    let server = ServerNumbers {
        start_to_first_answer_ms: start_to_first_answer.as_secs_f64() * 1000.0,
        rss_idle_mb: megabytes(idle.rss_kib),
        rss_peak_mb: megabytes(peak.peak_kib),
        exited_cleanly: exit.success(),
    };
    let budget =
        report::budget_over_rounds(&rounds, &server, &hashing, args.backend == Backend::Mysql);
    Ok(Report {
        backend: args.backend.name(),
        machine,
        connections: args.connections,
        flood_connections: args.flood_connections,
        warmup_secs: plan.warmup.as_secs_f64(),
        duration_secs: plan.duration.as_secs_f64(),
        rounds: args.rounds,
        server,
        hashing,
        scenarios: report::median_rows(&rounds),
        budget,
        enumeration,
    })
}

/// Runs a flood scenario on a server of its own, on the same database with
/// `vars` set besides, so that the flood's aftermath and memory stay its
/// own; the server is stopped after it.
fn run_flood(
    runtime: &tokio::runtime::Runtime,
    setup: &ServerSetup,
    plan: &Plan,
    scenario: Scenario,
    vars: &[(&'static str, String)],
) -> Result<Outcome, BoxError> {
    let log_name = format!("{}-round{}.log", scenario.name(), plan.round + 1);
    let mut server = setup.variant(vars, &log_name)?.start()?;
    let flood_plan = Plan {
        addr: server.addr(),
        connections: plan.connections,
        flood_connections: plan.flood_connections,
        warmup: plan.warmup,
        duration: plan.duration,
        users: plan.users.clone(),
        round: plan.round,
        probe: costs::Probe {
            authql_pid: server.pid(),
            database_pid: plan.probe.database_pid,
            addr: server.addr(),
        },
        window_opened: std::sync::Mutex::new(None),
        reset: None,
        complete_login: None,
        passkey: None,
        directory: None,
    };
    let outcome = runtime.block_on(scenarios::run(scenario, &flood_plan))?;
    server.check_alive()?;
    match server.stop() {
        Ok(status) if status.success() => {}
        Ok(status) => eprintln!("  the {} server exited {status}", scenario.name()),
        Err(error) => eprintln!("  the {} server: {error}", scenario.name()),
    }
    Ok(outcome)
}

/// Creates the benchmark's users with `authql user add`: enough names that no
/// more than [`LOGIN_WORKERS_PER_USER`] login workers share one, and the user
/// that will hold the `mySessions` sessions.
fn create_users(setup: &ServerSetup, args: &Args) -> Result<Users, BoxError> {
    let most_login_workers = args.connections.max(args.flood_connections);
    let count = MIN_LOGIN_USERS.max(most_login_workers.div_ceil(LOGIN_WORKERS_PER_USER));
    let users = Users {
        names: (0..count).map(|i| format!("bench_user_{i:03}")).collect(),
        my_sessions_users: (0..args.rounds)
            .map(|round| format!("bench_sessions_{round}"))
            .collect(),
        attacker: "bench_attacker".to_owned(),
        password: PASSWORD.to_owned(),
    };
    eprintln!(
        "creating {} users",
        count + users.my_sessions_users.len() + 1
    );
    let attacker = std::iter::once(&users.attacker);
    for name in users
        .names
        .iter()
        .chain(&users.my_sessions_users)
        .chain(attacker)
    {
        setup.add_user(name, &users.password)?;
    }
    Ok(users)
}

/// Times one Argon2id verify at the cost the server is given, the login rate
/// that `hash_concurrency` of them at once allow, and what that many threads
/// verifying at once really reach here.
fn measure_hashing(hash_concurrency: usize) -> Result<Hashing, BoxError> {
    let cost = Argon2Cost::OWASP_MINIMUM;
    let verifier = hashing::Verifier::new(cost)?;
    let one_verify = verifier.time_one()?;
    Ok(Hashing {
        memory_kib: cost.memory_kib,
        iterations: cost.iterations,
        parallelism: cost.parallelism,
        one_verify_ms: one_verify.as_secs_f64() * 1000.0,
        password_hash_concurrency: hash_concurrency,
        bound_logins_per_sec: hashing::bound_per_sec(hash_concurrency, one_verify),
        parallel_verifies_per_sec: verifier.parallel_per_sec(hash_concurrency)?,
    })
}

/// The warm-up before each measured window: a fifth of it, at most 1 s.
fn warmup(duration_secs: u64) -> Duration {
    (Duration::from_secs(duration_secs) / 5).min(MAX_WARMUP)
}

/// KiB to MB (10^6 bytes).
fn megabytes(kib: u64) -> f64 {
    kib as f64 * 1024.0 / 1e6
}
