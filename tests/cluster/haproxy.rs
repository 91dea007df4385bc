//! HAProxy (Debian's package) in front of the nodes, as a replica's single
//! address: a TCP health check every 500 ms, a node down after two failed
//! checks, and a connection that cannot reach its node sent to another.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const HAPROXY: &str = "/usr/sbin/haproxy";

pub struct HaProxy {
    pub port: u16,
    child: Child,
    _config: tempfile::NamedTempFile,
}

impl HaProxy {
    pub fn start(node_addresses: &[String]) -> HaProxy {
        let port = free_port();
        let servers: String = node_addresses
            .iter()
            .enumerate()
            .map(|(index, address)| format!("  server node{} {address}:3306 check\n", index + 1))
            .collect();
        let config = format!(
            "global\n  maxconn 2000\n\
             defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 120s\n  timeout server 120s\n  \
             retries 3\n  option redispatch\n\
             listen galera\n  bind 127.0.0.1:{port}\n  balance leastconn\n  \
             default-server inter 500ms fall 2 rise 2 on-marked-down shutdown-sessions\n{servers}"
        );
        let mut file = tempfile::NamedTempFile::new().expect("haproxy config");
        std::io::Write::write_all(&mut file, config.as_bytes()).expect("write config");
        let child = Command::new(HAPROXY)
            .args(["-db", "-f"])
            .arg(file.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let began = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                began.elapsed() < Duration::from_secs(10),
                "haproxy does not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        HaProxy {
            port,
            child,
            _config: file,
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

impl Drop for HaProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
