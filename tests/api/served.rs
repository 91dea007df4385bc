//! A real `authql serve` process on a free port, spoken to over real TCP, with
//! its whole log kept for the test to read. For the tests where the HTTP
//! server itself matters: clients that hang up, sockets, the process's log.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// A running server process, killed when dropped.
pub struct ServedProcess {
    child: Mutex<Child>,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
    workdir: tempfile::TempDir,
}

/// One answer: the status code and the body as JSON (Null if it is not).
pub struct HttpAnswer {
    pub status: u16,
    pub body: Value,
}

impl ServedProcess {
    /// Starts `authql serve` on `database_url` with extra variables, and waits
    /// until it listens.
    pub fn start(database_url: &str, extra: &[(&str, &str)]) -> ServedProcess {
        ServedProcess::start_binary(
            std::path::Path::new(env!("CARGO_BIN_EXE_authql")),
            database_url,
            extra,
        )
    }

    /// Starts a given `authql` binary (the release build, say) the same way.
    pub fn start_binary(
        binary: &std::path::Path,
        database_url: &str,
        extra: &[(&str, &str)],
    ) -> ServedProcess {
        let workdir = tempfile::tempdir().expect("workdir");
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .current_dir(workdir.path())
            .env("DATABASE_URL", database_url)
            .env("JWT_SECRET", authql_testkit::TEST_JWT_SECRET)
            .env("LISTEN_ADDR", "127.0.0.1:0")
            .env("PASSWORD_HASH_CONCURRENCY", "2")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("spawn authql serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let port = loop {
            let line = lines
                .next()
                .expect("the server logs where it listens")
                .expect("readable log");
            let port = line
                .split("http://127.0.0.1:")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .and_then(|port| port.parse::<u16>().ok());
            log.lock().expect("log").push(line);
            if let Some(port) = port {
                break port;
            }
        };
        // Keep reading, so the server never blocks on a full pipe.
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().expect("log").push(line);
            }
        });
        ServedProcess {
            child: Mutex::new(child),
            port,
            log,
            workdir,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.lock().expect("child").id()
    }

    /// The folder the process runs in (files it makes for itself land here).
    pub fn workdir(&self) -> &std::path::Path {
        self.workdir.path()
    }

    /// The log lines so far that contain any of `needles` (case-insensitive).
    pub fn log_lines_with(&self, needles: &[&str]) -> Vec<String> {
        let log = self.log.lock().expect("log");
        log.iter()
            .filter(|line| {
                let line = line.to_lowercase();
                needles
                    .iter()
                    .any(|needle| line.contains(&needle.to_lowercase()))
            })
            .cloned()
            .collect()
    }

    /// POSTs a GraphQL operation and reads the whole answer.
    pub fn graphql(&self, query: &str, variables: Value, bearer: Option<&str>) -> HttpAnswer {
        let mut stream = self.send_graphql(query, variables, bearer);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the answer");
        parse_answer(&raw)
    }

    /// POSTs a GraphQL operation and hangs up at once, without reading the
    /// answer: a closed tab, a phone that lost its network.
    pub fn graphql_and_hang_up(&self, query: &str, variables: Value, bearer: Option<&str>) {
        drop(self.send_graphql(query, variables, bearer));
    }

    /// GETs a path and reads the status.
    pub fn get_status(&self, path: &str) -> u16 {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).expect("send");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("read the answer");
        parse_answer(&raw).status
    }

    /// POSTs a GraphQL operation and hands back the open connection, so that
    /// the test decides when to read or hang up.
    pub fn send_graphql(&self, query: &str, variables: Value, bearer: Option<&str>) -> TcpStream {
        let body = json!({ "query": query, "variables": variables }).to_string();
        let authorization = bearer
            .map(|token| format!("Authorization: Bearer {token}\r\n"))
            .unwrap_or_default();
        let request = format!(
            "POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
             {authorization}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.write_all(request.as_bytes()).expect("send");
        stream
    }
}

impl ServedProcess {
    /// Sends SIGTERM and waits for the process to exit.
    pub fn terminate(&self) -> std::process::ExitStatus {
        let mut child = self.child.lock().expect("child");
        let kill = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(kill.success(), "SIGTERM sent");
        child.wait().expect("the server exits")
    }
}

impl Drop for ServedProcess {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Splits a whole `Connection: close` answer into status and JSON body.
fn parse_answer(raw: &[u8]) -> HttpAnswer {
    let text = String::from_utf8_lossy(raw);
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(Value::Null);
    HttpAnswer { status, body }
}
