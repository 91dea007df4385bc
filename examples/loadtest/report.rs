//! The report of one run: per-scenario numbers, the server's start time and
//! memory, the hashing bound, and the performance budget as ratios measured in
//! the same run. Printed as a plain text table, or as JSON with `--json`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::costs::Costs;
use crate::directory::DirectoryCheck;
use crate::enumeration::Enumeration;
use crate::floods::FloodNumbers;
use crate::mailbox::MailCheck;
use crate::scenarios::Outcome;
use crate::security_events::PageCheck;
use crate::stats::Summary;

/// Everything one run measured.
#[derive(Debug, Serialize)]
pub struct Report {
    pub backend: &'static str,
    pub machine: Machine,
    pub connections: usize,
    pub flood_connections: usize,
    pub warmup_secs: f64,
    pub duration_secs: f64,
    /// Times every scenario ran; each row is the round of median req/s.
    pub rounds: usize,
    pub server: ServerNumbers,
    pub hashing: Hashing,
    pub scenarios: Vec<ScenarioRow>,
    pub budget: Vec<BudgetLine>,
    /// The `reset` scenario's timing of known against unknown addresses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enumeration: Option<Enumeration>,
}

/// Where the run ran.
#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
}

impl Machine {
    /// This machine: the CPU model from `/proc/cpuinfo` and the usable cores.
    pub fn this_one() -> Machine {
        let cpu = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|l| l.strip_prefix("model name"))
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).trim().to_owned())
            })
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        Machine { cpu, cores }
    }
}

/// The server process's own numbers.
#[derive(Debug, Serialize)]
pub struct ServerNumbers {
    /// From spawning `authql serve` on a migrated database to its first `/healthz` 200.
    pub start_to_first_answer_ms: f64,
    /// Resident memory after start, before any load (MB = 10^6 bytes).
    pub rss_idle_mb: f64,
    /// Peak resident memory over the whole run (`VmHWM`).
    pub rss_peak_mb: f64,
    /// Whether it exited 0 on SIGTERM at the end.
    pub exited_cleanly: bool,
}

/// The Argon2id cost and the login rate it allows.
#[derive(Debug, Serialize)]
pub struct Hashing {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    pub one_verify_ms: f64,
    pub password_hash_concurrency: usize,
    /// `password_hash_concurrency` / `one_verify_ms`: the budget's bound.
    pub bound_logins_per_sec: f64,
    /// For context: verifies/s reached with that many threads at once here.
    pub parallel_verifies_per_sec: f64,
}

/// One scenario's line; `beside` is the load that ran beside it (the login
/// flood of `me_during_login_flood`, the hang-ups of `disconnects`).
#[derive(Debug, Serialize)]
pub struct ScenarioRow {
    pub scenario: &'static str,
    #[serde(flatten)]
    pub summary: Summary,
    /// Per request in the window, the load beside included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub costs: Option<Costs>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beside: Option<BesideRow>,
    /// What a flood scenario read of its own server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flood: Option<FloodNumbers>,
    /// What the SMTP server received of the mails `reset` asked for: every
    /// round's, added up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailCheck>,
    /// What `mySecurityEvents` read of its first page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_page: Option<PageCheck>,
    /// What `users` read of each search before its window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory: Option<DirectoryCheck>,
}

/// The load beside a scenario, with what it was.
#[derive(Debug, Serialize)]
pub struct BesideRow {
    pub what: &'static str,
    #[serde(flatten)]
    pub summary: Summary,
}

impl From<Outcome> for ScenarioRow {
    fn from(outcome: Outcome) -> ScenarioRow {
        ScenarioRow {
            scenario: outcome.scenario.name(),
            summary: outcome.summary,
            costs: outcome.costs,
            beside: outcome
                .beside
                .map(|(what, summary)| BesideRow { what, summary }),
            flood: outcome.flood,
            mail: outcome.mail,
            events_page: outcome.events_page,
            directory: outcome.directory,
        }
    }
}

/// How a budget line's numbers read.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Ratio,
    Times,
    Mb,
    Ms,
    Count,
    PerRequest,
}

/// One line of the budget: measured against its limit.
#[derive(Debug, Serialize)]
pub struct BudgetLine {
    pub what: &'static str,
    pub measured: f64,
    pub limit: f64,
    /// True for "at least `limit`", false for "at most `limit`".
    pub at_least: bool,
    pub unit: Unit,
    pub holds: bool,
    /// What each round measured, when there were several: `measured` is
    /// their median (their sum for counts).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub per_round: Vec<f64>,
}

impl BudgetLine {
    fn new(what: &'static str, measured: f64, at_least: bool, limit: f64, unit: Unit) -> Self {
        let holds = if at_least {
            measured >= limit
        } else {
            measured <= limit
        };
        BudgetLine {
            what,
            measured,
            limit,
            at_least,
            unit,
            holds,
            per_round: Vec::new(),
        }
    }

    /// One line from the same line of every round: the median of what they
    /// measured, or the sum for counts (a wrong answer in any round counts).
    fn over_rounds(lines: Vec<BudgetLine>) -> Option<BudgetLine> {
        let first = lines.first()?;
        let (what, at_least, limit, unit) = (first.what, first.at_least, first.limit, first.unit);
        let per_round: Vec<f64> = lines.iter().map(|line| line.measured).collect();
        let measured = match unit {
            Unit::Count => per_round.iter().sum(),
            _ => median(&per_round),
        };
        let mut line = BudgetLine::new(what, measured, at_least, limit, unit);
        // The server's own numbers are one reading, the same in every round.
        let varies = per_round.windows(2).any(|pair| pair[0] != pair[1]);
        if per_round.len() > 1 && varies {
            line.per_round = per_round;
        }
        Some(line)
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The rows of several rounds as one: per scenario, the round of median
/// req/s, with the errors of every round added to it so that none is hidden.
pub fn median_rows(rounds: &[Vec<ScenarioRow>]) -> Vec<ScenarioRow> {
    let Some(first) = rounds.first() else {
        return Vec::new();
    };
    let mut rows = Vec::with_capacity(first.len());
    for index in 0..first.len() {
        let mut same: Vec<&ScenarioRow> = rounds.iter().filter_map(|r| r.get(index)).collect();
        same.sort_by(|a, b| {
            a.summary
                .requests_per_sec
                .total_cmp(&b.summary.requests_per_sec)
        });
        let Some(middle) = same.get(same.len() / 2) else {
            continue;
        };
        let mut row = ScenarioRow {
            scenario: middle.scenario,
            summary: middle.summary.clone(),
            costs: middle.costs,
            beside: middle.beside.as_ref().map(|b| BesideRow {
                what: b.what,
                summary: b.summary.clone(),
            }),
            flood: middle.flood.clone(),
            mail: middle.mail.clone(),
            events_page: middle.events_page.clone(),
            directory: middle.directory.clone(),
        };
        for other in same.iter().filter(|other| !std::ptr::eq(**other, *middle)) {
            add_errors(&mut row.summary, &other.summary);
            if let (Some(mine), Some(theirs)) = (row.mail.as_mut(), other.mail.as_ref()) {
                mine.add(theirs);
            }
            if let (Some(mine), Some(theirs)) = (row.beside.as_mut(), other.beside.as_ref()) {
                add_errors(&mut mine.summary, &theirs.summary);
            }
        }
        rows.push(row);
    }
    rows
}

fn add_errors(into: &mut Summary, from: &Summary) {
    into.errors += from.errors;
    for (kind, count) in &from.error_kinds {
        *into.error_kinds.entry(kind.clone()).or_default() += count;
    }
}

/// The budget over several rounds: each line measured per round, then
/// combined (see `BudgetLine::over_rounds`).
pub fn budget_over_rounds(
    rounds: &[Vec<ScenarioRow>],
    server: &ServerNumbers,
    hashing: &Hashing,
    is_mysql: bool,
) -> Vec<BudgetLine> {
    let per_round: Vec<Vec<BudgetLine>> = rounds
        .iter()
        .map(|rows| budget(rows, server, hashing, is_mysql))
        .collect();
    let Some(first) = per_round.first() else {
        return Vec::new();
    };
    let whats: Vec<&'static str> = first.iter().map(|line| line.what).collect();
    let mut by_what: Vec<Vec<BudgetLine>> = whats.iter().map(|_| Vec::new()).collect();
    for lines in per_round {
        for line in lines {
            if let Some(slot) = whats.iter().position(|what| *what == line.what) {
                by_what[slot].push(line);
            }
        }
    }
    by_what
        .into_iter()
        .filter_map(BudgetLine::over_rounds)
        .collect()
}

/// authql's CPU per request against the database's own for the same
/// requests (MySQL, where the database is a process of its own), at most:
/// `mySessions` and `refresh` are bound by the database (its CPU per
/// request is larger than `baseline`'s whole cost), so a ratio to
/// `baseline`'s req/s measured the machine, not authql. Set from the code
/// of 2026-12-05 (see README, Performance): medians of 1.16-1.29x for
/// `mySessions` and 0.76-0.80x for `refresh` over runs of three rounds on
/// a loaded machine, single rounds up to 1.39x and 0.89x. The limits leave
/// that much room for noise and no more: authql's share must not grow.
const CPU_VS_DATABASE: [(&str, &str, f64); 2] = [
    (
        "mySessions CPU: authql / db",
        "mySessions",
        MY_SESSIONS_CPU_VS_DATABASE,
    ),
    (
        "refresh CPU: authql / db",
        "refresh",
        REFRESH_CPU_VS_DATABASE,
    ),
];
/// `mySessions`: authql's CPU per request over the database's, at most.
const MY_SESSIONS_CPU_VS_DATABASE: f64 = 1.35;
/// `refresh`: the same.
const REFRESH_CPU_VS_DATABASE: f64 = 0.95;

/// `mySessions`' p99 at most this many times its p50, in the same window:
/// the shape `me`'s latency has (its p99 is 3-4x its p50 at 32
/// connections here), so that a cost only some requests pay (a write, a
/// wait for the pool) shows, whatever the machine's speed.
const MY_SESSIONS_P99_VS_P50: f64 = 4.0;

/// `mySecurityEvents`' first page (50 of 10,000 events) p99 at most this
/// many ms (the devices and history line): the page is one range read of the timeline
/// index, newest first, whatever the user's history holds, so its latency
/// must not grow with the events a user has. An absolute figure, unlike the
/// ratios above: at 32 connections on a shared machine it holds the
/// queueing for the cores too, which a run with fewer connections leaves out.
const SECURITY_EVENTS_FIRST_PAGE_P99_MS: f64 = 5.0;

/// `users` searches over a directory of 100,000 users p99 at most this many
/// ms (the admin line). An absolute figure, measured on the scenario's two
/// admin connections, not 32.
const DIRECTORY_SEARCH_P99_MS: f64 = 20.0;

/// `reset`'s p99 at most this many times `me`'s, in the same round (the
/// accounts line): a reset reads one row and seals a mail before it answers;
/// its writes come after the answer and SMTP never enters it, so a slow
/// SMTP server must not show here.
const RESET_P99_VS_ME: f64 = 2.0;

/// `completeLogin`'s authql CPU per request over `login`'s, in the same
/// round, at most. A login's cost is its Argon2id verify (20-25 ms of CPU
/// per login here); the second step reads the token, spends a recovery
/// code and opens the session, and hashes no password, so it costs about a
/// millisecond: medians of 2.8 % (MySQL) and 7.2 % (SQLite, rounds 4.8-7.9
/// %) on a busy machine when the line was set (see README, Performance). A
/// hash at the server's cost in the second step would put it near 100 %.
const COMPLETE_LOGIN_CPU_VS_LOGIN: f64 = 0.10;

/// `passkey`'s authql CPU per sign-in over `login`'s per login, in the
/// same round, at most. A login's cost is its Argon2id verify; a passkey
/// sign-in hashes no password (it checks one ECDSA signature and opens the
/// session), so a hash slipped into its path would put it near 100 %.
/// Set from the runs of 2026-12-05 on a busy machine (see README,
/// Performance): medians of 7.4 % and 7.1 % on SQLite (rounds 6.5-8.0 %),
/// 3.0 % on MySQL (rounds 2.9-3.1 %, the database's CPU apart). 12 % is
/// 1.5x the worst round: room for the machine's noise, not for a second
/// signature check or a doubled session opening on SQLite.
const PASSKEY_CPU_VS_LOGIN: f64 = 0.12;
/// Sign-ins that hash no password, each against `login`'s CPU (above).
const CPU_VS_LOGIN: [(&str, &str, f64); 2] = [
    (
        "completeLogin CPU / login's",
        "completeLogin",
        COMPLETE_LOGIN_CPU_VS_LOGIN,
    ),
    (
        "passkey sign-in CPU / login's",
        "passkey",
        PASSKEY_CPU_VS_LOGIN,
    ),
];

/// RSS peak with one hashing thread.
const RSS_PEAK_MB: f64 = 64.0;
/// What each further hashing thread may add: its Argon2id working memory
/// (19 MiB = 19.9 MB at the cost the server is given), held while it hashes.
const RSS_PEAK_PER_HASH_THREAD_MB: f64 = 20.0;

/// The RSS peak allowed a server hashing `password_hash_concurrency`
/// passwords at once: 64 MB + 20 MB x (concurrency - 1).
fn rss_peak_limit_mb(hashing: &Hashing) -> f64 {
    let further = hashing.password_hash_concurrency.saturating_sub(1) as f64;
    RSS_PEAK_MB + RSS_PEAK_PER_HASH_THREAD_MB * further
}

/// The performance budget of one round, for the scenarios that ran. The throughput
/// ratios are set per backend (`is_mysql`); the others are the same on both.
fn budget(
    rows: &[ScenarioRow],
    server: &ServerNumbers,
    hashing: &Hashing,
    is_mysql: bool,
) -> Vec<BudgetLine> {
    let find = |name: &str| rows.iter().find(|r| r.scenario == name);
    let rps = |name: &str| find(name).map(|r| r.summary.requests_per_sec);
    let mut lines = Vec::new();
    let me_ratio = if is_mysql { 0.45 } else { 0.60 };
    if let (Some(baseline), Some(me)) = (rps("baseline").filter(|b| *b > 0.0), rps("me")) {
        lines.push(BudgetLine::new(
            "me / baseline (req/s)",
            me / baseline,
            true,
            me_ratio,
            Unit::Ratio,
        ));
    }
    // The database bounds these two (see `CPU_VS_DATABASE`): what authql
    // spends per request is measured against what the database spends on
    // the same request, in the same window.
    for (what, name, limit) in CPU_VS_DATABASE {
        let costs = find(name).and_then(|row| row.costs);
        let database = costs.and_then(|c| c.database_cpu_us).filter(|us| *us > 0.0);
        if let (Some(costs), Some(database)) = (costs, database) {
            lines.push(BudgetLine::new(
                what,
                costs.authql_cpu_us / database,
                false,
                limit,
                Unit::Times,
            ));
        }
    }
    if is_mysql && let Some(costs) = find("me").and_then(|row| row.costs) {
        lines.push(BudgetLine::new(
            "me: statements per request",
            costs.statements,
            false,
            0.3,
            Unit::PerRequest,
        ));
    }
    if let Some(login) = rps("login") {
        let ratio = login / hashing.bound_logins_per_sec;
        lines.push(BudgetLine::new(
            "login / hashing bound",
            ratio,
            true,
            0.90,
            Unit::Ratio,
        ));
    }
    let authql_cpu = |name: &str| find(name).and_then(|r| r.costs).map(|c| c.authql_cpu_us);
    let login_cpu = authql_cpu("login").filter(|us| *us > 0.0);
    for (what, name, limit) in CPU_VS_LOGIN {
        if let (Some(sign_in), Some(login)) = (authql_cpu(name), login_cpu) {
            lines.push(BudgetLine::new(
                what,
                sign_in / login,
                false,
                limit,
                Unit::Ratio,
            ));
        }
    }
    let p99 = |name: &str| find(name).map(|r| r.summary.p99_ms);
    if let (Some(flood), Some(alone)) = (p99("me_during_login_flood"), p99("me")) {
        let ratio = flood / alone.max(f64::MIN_POSITIVE);
        lines.push(BudgetLine::new(
            "me p99: flood / alone",
            ratio,
            false,
            3.0,
            Unit::Times,
        ));
    }
    if let (Some(reset), Some(me)) = (p99("reset"), p99("me")) {
        lines.push(BudgetLine::new(
            "reset p99 / me p99",
            reset / me.max(f64::MIN_POSITIVE),
            false,
            RESET_P99_VS_ME,
            Unit::Times,
        ));
    }
    let p50 = |name: &str| find(name).map(|r| r.summary.p50_ms);
    if let (Some(tail), Some(middle)) = (p99("mySessions"), p50("mySessions")) {
        lines.push(BudgetLine::new(
            "mySessions p99 / p50",
            tail / middle.max(f64::MIN_POSITIVE),
            false,
            MY_SESSIONS_P99_VS_P50,
            Unit::Times,
        ));
    }
    if let Some(tail) = p99("mySecurityEvents") {
        lines.push(BudgetLine::new(
            "mySecurityEvents: first page p99",
            tail,
            false,
            SECURITY_EVENTS_FIRST_PAGE_P99_MS,
            Unit::Ms,
        ));
    }
    if let Some(tail) = p99("users") {
        lines.push(BudgetLine::new(
            "users: search p99",
            tail,
            false,
            DIRECTORY_SEARCH_P99_MS,
            Unit::Ms,
        ));
    }
    // Every error of these is an answer that should not have been given: a
    // failed `me` beside the hang-ups (a live session refused), or one sent
    // after the logout that was not SESSION_REVOKED. None is allowed.
    for (what, name) in [
        ("disconnects: wrong answers", "disconnects"),
        ("revocation: live after the end", "revocation"),
    ] {
        if let Some(row) = find(name) {
            lines.push(BudgetLine::new(
                what,
                row.summary.errors as f64,
                false,
                0.0,
                Unit::Count,
            ));
        }
    }
    if let Some(mail) = find("reset").and_then(|row| row.mail.as_ref()) {
        lines.push(BudgetLine::new(
            "reset: mails lost",
            mail.lost as f64,
            false,
            0.0,
            Unit::Count,
        ));
    }
    for row in rows {
        if let Some(flood) = &row.flood {
            lines.extend(flood_budget(row, flood, hashing));
        }
    }
    lines.push(BudgetLine::new(
        "RSS idle",
        server.rss_idle_mb,
        false,
        20.0,
        Unit::Mb,
    ));
    lines.push(BudgetLine::new(
        "RSS peak",
        server.rss_peak_mb,
        false,
        rss_peak_limit_mb(hashing),
        Unit::Mb,
    ));
    lines.push(BudgetLine::new(
        "start to first answer",
        server.start_to_first_answer_ms,
        false,
        100.0,
        Unit::Ms,
    ));
    lines
}

/// The right login's p99 beside a flood at most this many Argon2id verifies,
/// and at most [`FLOOD_LOGIN_P99_FLOOR_MS`] whatever a verify takes. The
/// contract lets a flood from one address delay another address's login by
/// the checks already under way: a wait for one of the busy hash slots,
/// then the login's own verify, two verifies on an idle machine. Ten leave
/// room for the load generator and the flood's own HTTP work on the same
/// cores; the code before the fix waited 30 s.
const FLOOD_LOGIN_P99_VERIFIES: f64 = 10.0;
/// The floor of that bound: on a fast machine ten verifies are only a few
/// hundred milliseconds, less than a shared two-core machine's scheduling
/// noise.
const FLOOD_LOGIN_P99_FLOOR_MS: f64 = 1000.0;

/// A flood scenario's lines: the right login's p99 beside it, the server's
/// RSS peak and descriptors, and for the amplification the sessions the
/// attacker's account gained (none: the request is refused whole).
fn flood_budget(row: &ScenarioRow, flood: &FloodNumbers, hashing: &Hashing) -> Vec<BudgetLine> {
    let (p99, rss, descriptors) = match row.scenario {
        "login_amplification" => (
            "amplification: right login p99",
            "amplification: RSS peak",
            "amplification: descriptors",
        ),
        "login_junk_flood" => (
            "junk flood: right login p99",
            "junk flood: RSS peak",
            "junk flood: descriptors",
        ),
        _ => (
            "socket flood: right login p99",
            "socket flood: RSS peak",
            "socket flood: descriptors",
        ),
    };
    let p99_limit =
        (hashing.one_verify_ms * FLOOD_LOGIN_P99_VERIFIES).max(FLOOD_LOGIN_P99_FLOOR_MS);
    let mut lines = vec![
        BudgetLine::new(p99, row.summary.p99_ms, false, p99_limit, Unit::Ms),
        // A flood's server hashes as many at once as the main one: the
        // same bound as its peak.
        BudgetLine::new(
            rss,
            flood.rss_peak_mb,
            false,
            rss_peak_limit_mb(hashing),
            Unit::Mb,
        ),
        BudgetLine::new(
            descriptors,
            flood.descriptors_peak as f64,
            false,
            flood.descriptors_limit() as f64,
            Unit::Count,
        ),
    ];
    if let Some(sessions) = flood.attacker_sessions {
        lines.push(BudgetLine::new(
            "amplification: attacker sessions",
            sessions as f64,
            false,
            0.0,
            Unit::Count,
        ));
    }
    lines
}

impl Report {
    /// Whether any scenario counted an error, or the server did not stop cleanly.
    pub fn has_errors(&self) -> bool {
        !self.server.exited_cleanly
            || self.scenarios.iter().any(|row| {
                row.summary.errors > 0 || row.beside.as_ref().is_some_and(|b| b.summary.errors > 0)
            })
            || self
                .enumeration
                .as_ref()
                .is_some_and(|timing| timing.failures() > 0)
    }

    /// The report as a plain text table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        self.write_header(&mut out);
        self.write_scenarios(&mut out);
        self.write_enumeration(&mut out);
        self.write_server(&mut out);
        self.write_budget(&mut out);
        self.write_errors(&mut out);
        out
    }

    fn write_header(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "authql load benchmark: {}, {} connections ({} flooding logins), {} s per scenario after {} s warm-up, {} round{}",
            self.backend,
            self.connections,
            self.flood_connections,
            self.duration_secs,
            self.warmup_secs,
            self.rounds,
            if self.rounds == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            out,
            "machine: {}, {} cores (server and load generator share them)\n",
            self.machine.cpu, self.machine.cores
        );
    }

    fn write_scenarios(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "{:<24} {:>10} {:>9} {:>9} {:>9} {:>7} {:>11} {:>10} {:>9}",
            "scenario",
            "req/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "errors",
            "authql µs",
            "db µs",
            "stmts"
        );
        for row in &self.scenarios {
            write_row(out, row.scenario, &row.summary, row.costs.as_ref());
            if let Some(beside) = &row.beside {
                let name = format!("  ({} beside)", beside.what);
                write_row(out, &name, &beside.summary, None);
            }
            if let Some(flood) = &row.flood {
                write_flood(out, flood);
            }
            if let Some(mail) = &row.mail {
                let _ = writeln!(out, "  {}", mail.text());
            }
            if let Some(page) = &row.events_page {
                let _ = writeln!(out, "  {}", page.text());
            }
            if let Some(directory) = &row.directory {
                let _ = writeln!(out, "  {}", directory.text());
            }
        }
        let _ = writeln!(
            out,
            "(authql µs, db µs: CPU time of the authql process and of the local database \
             server per request; stmts: SQL statements per request; all three over every \
             request answered in the window, the load beside included)"
        );
        if self.scenarios.iter().any(|row| row.scenario == "passkey") {
            let _ = writeln!(
                out,
                "(passkey: one request is one sign-in, beginPasskeyLogin then finishPasskeyLogin, \
                 the load generator's ES256 signature between them)"
            );
        }
        if self.scenarios.iter().any(|row| row.flood.is_some()) {
            let _ = writeln!(
                out,
                "(a flood scenario's row: right logins from another address on new connections, \
                 each waited for to its end, failures included; its server is its own)"
            );
        }
        if self.rounds > 1 {
            let _ = writeln!(
                out,
                "(each row is the round of median req/s; its errors are those of every round)"
            );
        }
    }

    /// The enumeration timing of `reset`, when it ran.
    fn write_enumeration(&self, out: &mut String) {
        let Some(timing) = &self.enumeration else {
            return;
        };
        let _ = writeln!(
            out,
            "\nenumeration timing: requestPasswordReset one at a time, {} known and {} unknown addresses interleaved, pass {} of {}",
            timing.addresses, timing.addresses, timing.passes, timing.passes
        );
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>10} {:>9}",
            "addresses", "answers", "median ms", "p90 ms"
        );
        for (name, kind) in [("known", &timing.known), ("unknown", &timing.unknown)] {
            let _ = writeln!(
                out,
                "{:<24} {:>8} {:>10.3} {:>9.3}",
                name, kind.answers, kind.median_ms, kind.p90_ms
            );
        }
        let _ = writeln!(
            out,
            "{:<24} {:>8} {:>+10.3} {:>+9.3}",
            "known - unknown",
            "",
            timing.known.median_ms - timing.unknown.median_ms,
            timing.known.p90_ms - timing.unknown.p90_ms
        );
        let _ = writeln!(out, "  {}", timing.mail.text());
    }

    fn write_server(&self, out: &mut String) {
        let (server, hashing) = (&self.server, &self.hashing);
        let _ = writeln!(
            out,
            "\nserver: start to first answer {:.1} ms (migrated database); RSS idle {:.1} MB, peak {:.1} MB; {}",
            server.start_to_first_answer_ms,
            server.rss_idle_mb,
            server.rss_peak_mb,
            if server.exited_cleanly {
                "exited 0 on SIGTERM"
            } else {
                "did NOT exit cleanly on SIGTERM"
            }
        );
        let _ = writeln!(
            out,
            "argon2id verify (m={} KiB, t={}, p={}): {:.1} ms; PASSWORD_HASH_CONCURRENCY={} -> hashing bound {:.1} logins/s \
             ({} threads verifying at once reach {:.1}/s here)",
            hashing.memory_kib,
            hashing.iterations,
            hashing.parallelism,
            hashing.one_verify_ms,
            hashing.password_hash_concurrency,
            hashing.bound_logins_per_sec,
            hashing.password_hash_concurrency,
            hashing.parallel_verifies_per_sec
        );
    }

    fn write_budget(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\nperformance budget ({}, set for 32 connections)",
            self.backend
        );
        let _ = writeln!(out, "{:<32} {:>10}     {:<9}", "", "measured", "budget");
        for line in &self.budget {
            let sign = if line.at_least { ">=" } else { "<=" };
            let _ = write!(
                out,
                "{:<32} {:>10} {:>3} {:<9} {}",
                line.what,
                format_value(line.measured, line.unit),
                sign,
                format_value(line.limit, line.unit),
                if line.holds { "ok" } else { "MISSED" }
            );
            if !line.per_round.is_empty() {
                let rounds: Vec<String> = line
                    .per_round
                    .iter()
                    .map(|value| format_value(*value, line.unit))
                    .collect();
                let how = if matches!(line.unit, Unit::Count) {
                    "sum"
                } else {
                    "median"
                };
                let _ = write!(out, "  ({how} of {})", rounds.join(", "));
            }
            out.push('\n');
        }
    }

    fn write_errors(&self, out: &mut String) {
        for row in &self.scenarios {
            let beside = row.beside.iter().map(|b| (b.what, &b.summary));
            for (name, summary) in std::iter::once((row.scenario, &row.summary)).chain(beside) {
                for (kind, count) in &summary.error_kinds {
                    let _ = writeln!(out, "errors in {name}: {count} x {kind}");
                }
            }
        }
        if let Some(timing) = &self.enumeration {
            for (kind, count) in &timing.error_kinds {
                let _ = writeln!(out, "errors in the enumeration timing: {count} x {kind}");
            }
            if timing.mail.errors() > 0 {
                let _ = writeln!(
                    out,
                    "errors in the enumeration timing's mail: {}",
                    timing.mail.errors()
                );
            }
        }
    }

    /// The report as pretty-printed JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}

fn write_row(out: &mut String, name: &str, summary: &Summary, costs: Option<&Costs>) {
    let _ = write!(
        out,
        "{:<24} {:>10.1} {:>9.2} {:>9.2} {:>9.2} {:>7}",
        name,
        summary.requests_per_sec,
        summary.p50_ms,
        summary.p99_ms,
        summary.p999_ms,
        summary.errors
    );
    if let Some(costs) = costs {
        let database = costs
            .database_cpu_us
            .map_or_else(|| "-".to_owned(), |us| format!("{us:.0}"));
        let _ = write!(
            out,
            " {:>11.0} {:>10} {:>9.2}",
            costs.authql_cpu_us, database, costs.statements
        );
    }
    out.push('\n');
}

/// A flood scenario's server numbers, under its rows.
fn write_flood(out: &mut String, flood: &FloodNumbers) {
    let _ = write!(
        out,
        "  server: RSS {:.1} MB idle, peak {:.1} MB; descriptors {} idle, peak {}",
        flood.rss_idle_mb, flood.rss_peak_mb, flood.descriptors_idle, flood.descriptors_peak
    );
    if let (Some(accepted), Some(peak)) = (flood.sockets_accepted, flood.sockets_open_peak) {
        let _ = write!(
            out,
            "; sockets accepted {accepted}, at most {peak} open at once"
        );
    }
    if let (Some(logins), Some(sessions)) = (flood.logins_per_request, flood.attacker_sessions) {
        let settled = if flood.attacker_sessions_settled == Some(true) {
            "settled"
        } else {
            "still growing when counted"
        };
        let _ = write!(
            out,
            "; {logins} logins per request, attacker sessions +{sessions} ({settled})"
        );
    }
    out.push('\n');
    let answers: Vec<String> = flood
        .answers
        .iter()
        .map(|(kind, count)| format!("{count} x {kind}"))
        .collect();
    let _ = writeln!(out, "  flood answers: {}", answers.join(", "));
}

fn format_value(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ratio => format!("{:.1} %", value * 100.0),
        Unit::Times => format!("{value:.2}x"),
        Unit::Mb => format!("{value:.1} MB"),
        Unit::Ms => format!("{value:.1} ms"),
        Unit::Count => format!("{value:.0}"),
        Unit::PerRequest => format!("{value:.2}"),
    }
}
