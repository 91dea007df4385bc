//! The server under test: building the release `authql` binary, a fresh
//! database for it (the test kit's: a SQLite file, or a MySQL database
//! created and dropped), the CLI steps before serving (`migrate`, `user add`),
//! mail when the `reset` scenario runs (`SMTP_URL`, `PUBLIC_APP_URL`), and the
//! `authql serve` process itself: its start-to-first-answer time, its memory,
//! and a graceful stop.

use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use authql::config::Argon2Cost;
use authql_testkit::TestDb;

use crate::BoxError;

/// How long `authql serve` may take to answer `GET /healthz` at all.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How often `/healthz` is polled while the server starts.
const HEALTH_POLL_INTERVAL: Duration = Duration::from_millis(1);
/// How long a graceful stop (SIGTERM) may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// Failed logins per client address before the server refuses the address:
/// every request of the benchmark comes from 127.0.0.1.
const IP_MAX_FAILURES: &str = "1000000";

/// Builds `authql` with `cargo build --release` into the target directory this
/// example runs from (`<target>/<profile>/examples/loadtest`), and returns the
/// path of `<target>/release/authql`.
pub fn build_release_binary() -> Result<PathBuf, BoxError> {
    let exe = std::env::current_exe()?;
    let target_dir = exe
        .ancestors()
        .nth(3)
        .filter(|_| exe.parent().is_some_and(|dir| dir.ends_with("examples")))
        .ok_or(
            "cannot tell the target directory from the loadtest's own path; pass --server-bin",
        )?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    eprintln!("building the server: cargo build --release --bin authql");
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "authql", "--manifest-path"])
        .arg(&manifest)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdout(Stdio::from(std::io::stderr()))
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("cargo build --release --bin authql failed: {status}").into());
    }
    Ok(target_dir
        .join("release")
        .join(format!("authql{}", std::env::consts::EXE_SUFFIX)))
}

/// A new, empty database `authql_bench_<random>` on a MySQL server given
/// by a URL without a database part; the test kit's, dropped by `remove`.
pub async fn mysql_database(server_url: &str) -> Result<TestDb, BoxError> {
    if !server_url.trim().starts_with("mysql://") {
        return Err("--mysql-url must look like mysql://USER:PASS@HOST:PORT".into());
    }
    Ok(TestDb::mysql_on(server_url, "authql_bench").await?)
}

/// How to run `authql` against one database: binary, working folder (so that
/// no `.env` of the caller is read) and environment.
pub struct ServerSetup {
    binary: PathBuf,
    workdir: PathBuf,
    listen_addr: SocketAddr,
    vars: Vec<(&'static str, String)>,
    /// The server's log, in `workdir`.
    log_name: String,
}

impl ServerSetup {
    /// The configuration every `authql` command of the run shares. Variables
    /// not set here (for example `DB_POOL_SIZE`) pass through from the caller.
    pub fn new(
        binary: PathBuf,
        workdir: &Path,
        database_url: &str,
        hash_concurrency: usize,
    ) -> Result<ServerSetup, BoxError> {
        if !binary.is_file() {
            return Err(format!("no server binary at {}", binary.display()).into());
        }
        let listen_addr = free_local_port()?;
        let cost = Argon2Cost::OWASP_MINIMUM;
        let vars = vec![
            ("DATABASE_URL", database_url.to_owned()),
            ("LISTEN_ADDR", listen_addr.to_string()),
            ("JWT_SECRET", random_hex(32)),
            ("RUST_LOG", "warn".to_owned()),
            ("PASSWORD_HASH_CONCURRENCY", hash_concurrency.to_string()),
            ("LOGIN_IP_MAX_FAILURES", IP_MAX_FAILURES.to_owned()),
            ("ARGON2_MEMORY_KIB", cost.memory_kib.to_string()),
            ("ARGON2_ITERATIONS", cost.iterations.to_string()),
            ("ARGON2_PARALLELISM", cost.parallelism.to_string()),
        ];
        Ok(ServerSetup {
            binary,
            workdir: workdir.to_owned(),
            listen_addr,
            vars,
            log_name: "server.log".to_owned(),
        })
    }

    /// Mail enabled: `SMTP_URL` and `PUBLIC_APP_URL` set for every command
    /// (so `serve` runs its mail sender).
    pub fn with_mail(mut self, smtp_url: &str, app_url: &str) -> ServerSetup {
        self.vars.push(("SMTP_URL", smtp_url.to_owned()));
        self.vars.push(("PUBLIC_APP_URL", app_url.to_owned()));
        self
    }

    /// `vars` set for every command, over any earlier value.
    pub fn with_vars(mut self, vars: &[(&'static str, &str)]) -> ServerSetup {
        self.vars.extend(
            vars.iter()
                .map(|(name, value)| (*name, (*value).to_owned())),
        );
        self
    }

    /// The value this setup gives variable `name`, if it sets it.
    pub fn var(&self, name: &str) -> Option<String> {
        self.vars
            .iter()
            .rev()
            .find(|(set, _)| *set == name)
            .map(|(_, value)| value.clone())
    }

    /// Another server on the same database, on a port of its own, with
    /// `extra` variables set over these and its own log `log_name`.
    pub fn variant(
        &self,
        extra: &[(&'static str, String)],
        log_name: &str,
    ) -> Result<ServerSetup, BoxError> {
        let listen_addr = free_local_port()?;
        let mut vars: Vec<(&'static str, String)> = self
            .vars
            .iter()
            .filter(|(name, _)| *name != "LISTEN_ADDR" && extra.iter().all(|(e, _)| e != name))
            .cloned()
            .collect();
        vars.push(("LISTEN_ADDR", listen_addr.to_string()));
        vars.extend(extra.iter().cloned());
        Ok(ServerSetup {
            binary: self.binary.clone(),
            workdir: self.workdir.clone(),
            listen_addr,
            vars,
            log_name: log_name.to_owned(),
        })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .current_dir(&self.workdir)
            .envs(self.vars.iter().map(|(k, v)| (k, v)));
        command
    }

    /// `authql migrate`.
    pub fn migrate(&self) -> Result<(), BoxError> {
        run_to_end(self.command(&["migrate"]), None)
    }

    /// `authql user add NAME`, the password on stdin.
    pub fn add_user(&self, name: &str, password: &str) -> Result<(), BoxError> {
        run_to_end(self.command(&["user", "add", name]), Some(password))
    }

    /// Spawns `authql serve` and waits for its first `/healthz` answer.
    pub fn start(&self) -> Result<RunningServer, BoxError> {
        let log_path = self.workdir.join(&self.log_name);
        let log = File::create(&log_path)?;
        let started = Instant::now();
        let child = self
            .command(&["serve"])
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        let mut server = RunningServer {
            child,
            addr: self.listen_addr,
            log_path,
            start_to_first_answer: Duration::ZERO,
        };
        server.start_to_first_answer = server.wait_for_first_answer(started)?;
        Ok(server)
    }
}

/// Runs a command to its end; its stderr becomes the error when it fails.
fn run_to_end(mut command: Command, stdin_line: Option<&str>) -> Result<(), BoxError> {
    let mut child = command
        .stdin(if stdin_line.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    if let (Some(line), Some(mut stdin)) = (stdin_line, child.stdin.take()) {
        writeln!(stdin, "{line}")?;
    }
    let output = child.wait_with_output()?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("authql failed ({}): {}", output.status, stderr.trim()).into());
    }
    Ok(())
}

/// The memory of the server process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Resident set size now (`VmRSS`), in KiB.
    pub rss_kib: u64,
    /// The highest resident set size so far (`VmHWM`), in KiB.
    pub peak_kib: u64,
}

/// Current and peak resident memory of process `pid`.
pub fn memory_of(pid: u32) -> Result<Memory, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("cannot read the server's /proc status: {e}"))?;
    Ok(Memory {
        rss_kib: status_kib(&status, "VmRSS:")?,
        peak_kib: status_kib(&status, "VmHWM:")?,
    })
}

/// How many file descriptors process `pid` holds open now: its
/// `/proc/<pid>/fd` entries (sockets, files, the listener, the runtime's own).
pub fn descriptors_of(pid: u32) -> Result<u64, BoxError> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| format!("cannot list the server's /proc fd: {e}"))?;
    Ok(entries.count() as u64)
}

/// A running `authql serve`; killed when dropped if not stopped before.
pub struct RunningServer {
    child: Child,
    addr: SocketAddr,
    log_path: PathBuf,
    /// From spawning the process to its first `200` on `GET /healthz`.
    pub start_to_first_answer: Duration,
}

impl RunningServer {
    /// Where it serves HTTP.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its process id, for reading its CPU time.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn wait_for_first_answer(&mut self, started: Instant) -> Result<Duration, BoxError> {
        loop {
            if healthz_answers(self.addr) {
                return Ok(started.elapsed());
            }
            if let Some(status) = self.child.try_wait()? {
                return Err(
                    self.failure(&format!("authql serve exited ({status}) before answering"))
                );
            }
            if started.elapsed() > START_TIMEOUT {
                return Err(self.failure("authql serve did not answer /healthz in 30 s"));
            }
            std::thread::sleep(HEALTH_POLL_INTERVAL);
        }
    }

    /// Current and peak resident memory.
    pub fn memory(&self) -> Result<Memory, BoxError> {
        memory_of(self.child.id())
    }

    /// Whether the process is still running.
    pub fn check_alive(&mut self) -> Result<(), BoxError> {
        match self.child.try_wait()? {
            None => Ok(()),
            Some(status) => Err(self.failure(&format!("authql serve exited ({status})"))),
        }
    }

    /// SIGTERM, then waits for the graceful exit; its status is returned.
    pub fn stop(mut self) -> Result<ExitStatus, BoxError> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        if !sent.success() {
            return Err("cannot send SIGTERM to the server".into());
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(self.failure("authql serve did not stop within 15 s of SIGTERM"))
    }

    /// An error naming `what`, with the end of the server's log.
    fn failure(&self, what: &str) -> BoxError {
        let log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        format!("{what}; end of the server log:\n{tail}").into()
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Whether `GET /healthz` answers 200 now.
fn healthz_answers(addr: SocketAddr) -> bool {
    let attempt = || -> std::io::Result<bool> {
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
        stream.set_read_timeout(Some(Duration::from_secs(2)))?;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer)?;
        Ok(answer.starts_with(b"HTTP/1.1 200"))
    };
    attempt().unwrap_or(false)
}

fn status_kib(status: &str, field: &str) -> Result<u64, BoxError> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in the server's /proc status").into())
}

/// A loopback address with a port that was free a moment ago.
fn free_local_port() -> Result<SocketAddr, BoxError> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}
