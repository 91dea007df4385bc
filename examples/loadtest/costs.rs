//! What one request costs, read around a scenario's measured window: the CPU
//! time of authql's process and of the local database server's (utime +
//! stime from `/proc/<pid>/stat`), and the statements authql sent (its own
//! `authql_db_statements_total`, counted the same way on both backends).
//! Divided by every request answered in the window, the load beside
//! included.

use std::net::SocketAddr;
use std::path::Path;

use serde::Serialize;

use crate::BoxError;
use crate::client::{Connection, GqlRequest};

/// Where the counters are read.
#[derive(Clone, Debug)]
pub struct Probe {
    pub authql_pid: u32,
    /// The database server's process, when it runs on this machine (MySQL).
    pub database_pid: Option<u32>,
    pub addr: SocketAddr,
}

/// The counters at one moment.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    authql_ticks: u64,
    database_ticks: Option<u64>,
    statements: f64,
}

/// Per request, over a window.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Costs {
    pub authql_cpu_us: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_cpu_us: Option<f64>,
    pub statements: f64,
}

impl Probe {
    pub async fn sample(&self) -> Result<Sample, BoxError> {
        let body = Connection::new(self.addr)
            .post(&GqlRequest::metrics())
            .await
            .map_err(|failure| format!("GET /metrics: {failure}"))?;
        let statements = String::from_utf8_lossy(&body)
            .lines()
            .find_map(|line| line.strip_prefix("authql_db_statements_total "))
            .and_then(|value| value.trim().parse().ok())
            .ok_or("/metrics has no authql_db_statements_total")?;
        Ok(Sample {
            authql_ticks: cpu_ticks(self.authql_pid)?,
            database_ticks: self.database_pid.map(cpu_ticks).transpose()?,
            statements,
        })
    }
}

impl Sample {
    /// Statements authql had sent when the sample was read.
    pub fn statements(&self) -> f64 {
        self.statements
    }
}

impl Costs {
    /// The costs between two samples, over `requests` answers.
    pub fn per_request(before: Sample, after: Sample, requests: u64) -> Option<Costs> {
        if requests == 0 {
            return None;
        }
        let requests = requests as f64;
        let micros = |ticks: u64| ticks as f64 * 1e6 / ticks_per_sec() / requests;
        Some(Costs {
            authql_cpu_us: micros(after.authql_ticks.saturating_sub(before.authql_ticks)),
            database_cpu_us: after
                .database_ticks
                .zip(before.database_ticks)
                .map(|(after, before)| micros(after.saturating_sub(before))),
            statements: (after.statements - before.statements) / requests,
        })
    }
}

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> Result<u64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name (field 2) may hold spaces; the fields after it do not.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("bad /proc stat")?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of the whole line are the 12th and 13th after the name.
    let field = |index: usize| -> Result<u64, BoxError> {
        Ok(fields.get(index).ok_or("short /proc stat")?.parse()?)
    };
    Ok(field(11)? + field(12)?)
}

fn ticks_per_sec() -> f64 {
    // SAFETY: sysconf only reads a configuration value.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 { ticks as f64 } else { 100.0 }
}

/// The local MariaDB or MySQL server's process, if one runs here.
pub fn local_database_pid() -> Option<u32> {
    let entries = std::fs::read_dir("/proc").ok()?;
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("comm"))
                .is_ok_and(|comm| matches!(comm.trim(), "mariadbd" | "mysqld"))
        })
}
