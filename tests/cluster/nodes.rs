//! Three `mariadbd` processes with the Galera provider, one per network
//! namespace, each with its own data folder in a temporary directory; the
//! first bootstraps the cluster, the others join it by state transfer.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const MARIADBD: &str = "/usr/sbin/mariadbd";
pub const GALERA: &str = "/usr/lib/galera/libgalera_smm.so";
/// How long a node may take to start, join and reach Synced.
const START_PATIENCE: Duration = Duration::from_secs(120);

/// Galera's failure detection, tightened from its defaults (a node that
/// stops answering is suspected after 5 s, dropped after 15 s) so that a
/// killed node stops holding commits back within about 2 s.
pub const PROVIDER_OPTIONS: &str = "gcache.size=64M;evs.keepalive_period=PT0.5S;\
evs.inactive_check_period=PT0.5S;evs.suspect_timeout=PT1.5S;\
evs.inactive_timeout=PT3S;evs.install_timeout=PT3S";

pub struct Node {
    pub number: usize,
    pub folder: PathBuf,
    namespace: String,
    address: String,
    child: Option<Child>,
    /// The length of its error log when it was last started.
    log_before_start: usize,
}

pub struct Nodes {
    pub nodes: Vec<Node>,
    cluster_address: String,
    /// Kept (and named) when the test fails, for the nodes' error logs.
    root: Option<tempfile::TempDir>,
}

/// Runs the `mariadb` client on a node's socket; returns what it printed.
pub fn sql(folder: &Path, statement: &str) -> Result<String, String> {
    let output = Command::new("mariadb")
        .args(["--no-defaults", "-uroot", "-N", "-B"])
        .arg(format!("--socket={}", folder.join("mysqld.sock").display()))
        .args(["-e", statement])
        .output()
        .map_err(|error| error.to_string())?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).trim().to_owned())
    }
}

impl Node {
    fn command(&self, cluster_address: &str, bootstrap: bool) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.namespace, MARIADBD, "--no-defaults"])
            .arg(format!("--datadir={}", self.folder.join("data").display()))
            .arg(format!(
                "--socket={}",
                self.folder.join("mysqld.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                self.folder.join("mysqld.pid").display()
            ))
            .arg(format!(
                "--log-error={}",
                self.folder.join("error.log").display()
            ))
            .arg(format!("--bind-address={}", self.address))
            .args([
                "--port=3306",
                // Not root: the state transfer's rsync daemon, started by
                // the server, would then write as `nobody`.
                "--user=mysql",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--innodb-log-file-size=16M",
                "--innodb-flush-log-at-trx-commit=2",
                "--binlog-format=ROW",
                "--default-storage-engine=InnoDB",
                "--innodb-autoinc-lock-mode=2",
                "--wsrep-on=ON",
                "--wsrep-cluster-name=authql-test",
                "--wsrep-sst-method=rsync",
            ])
            .arg(format!("--wsrep-provider={GALERA}"))
            .arg(format!("--wsrep-node-address={}", self.address))
            .arg(format!("--wsrep-cluster-address={cluster_address}"))
            .arg(format!("--wsrep-provider-options={PROVIDER_OPTIONS}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if bootstrap {
            command.arg("--wsrep-new-cluster");
        }
        command
    }

    /// What the node says about itself, as `SHOW STATUS` has it.
    pub fn status(&self, name: &str) -> Option<String> {
        sql(&self.folder, &format!("SHOW GLOBAL STATUS LIKE '{name}'"))
            .ok()
            .and_then(|line| line.split_whitespace().nth(1).map(str::to_owned))
    }

    /// How the node last caught up on joining: by `IST` (the writesets it
    /// missed, from a donor's cache) or `SST` (a whole copy).
    pub fn last_state_transfer(&self) -> &'static str {
        let log = std::fs::read_to_string(self.folder.join("error.log")).unwrap_or_default();
        let since = log.get(self.log_before_start..).unwrap_or_default();
        // The state transfer script says which it was when it is done.
        if since.contains("rsync IST completed on joiner") {
            "IST"
        } else if since.contains("rsync SST completed on joiner") {
            "SST"
        } else {
            "neither"
        }
    }

    fn error_log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.folder.join("error.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Waits until the node is Synced in a cluster of `size`.
    pub fn wait_synced(&mut self, size: usize) -> Duration {
        let began = Instant::now();
        loop {
            let synced = self.status("wsrep_local_state_comment").as_deref() == Some("Synced");
            let sized = self.status("wsrep_cluster_size") == Some(size.to_string());
            if synced && sized {
                return began.elapsed();
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "node {} exited ({status}) while starting:\n{}",
                    self.number,
                    self.error_log_tail()
                );
            }
            assert!(
                began.elapsed() < START_PATIENCE,
                "node {} not Synced in a cluster of {size} after {START_PATIENCE:?}:\n{}",
                self.number,
                self.error_log_tail()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Kills the node with SIGKILL, as a machine that dies.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the node again on its data folder. A node killed mid-flight
    /// has not written its position down (`grastate.dat` says seqno -1), so
    /// first `--wsrep-recover` reads it back from InnoDB, as Debian's
    /// service does before each start (`galera_recovery`); started at that
    /// position, the node rejoins by IST, the writesets it missed.
    pub fn restart(&mut self, cluster_address: &str) {
        let log = self.folder.join("error.log");
        let log_length =
            || std::fs::metadata(&log).map_or(0, |meta| usize::try_from(meta.len()).unwrap_or(0));
        let before_recovery = log_length();
        let recovered = self
            .command(cluster_address, false)
            .arg("--wsrep-recover")
            .status()
            .expect("mariadbd --wsrep-recover");
        assert!(
            recovered.success(),
            "wsrep-recover:\n{}",
            self.error_log_tail()
        );
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let position = text
            .get(before_recovery..)
            .unwrap_or_default()
            .lines()
            .find_map(|line| line.split("WSREP: Recovered position: ").nth(1))
            .map(|position| position.trim().to_owned());
        self.log_before_start = log_length();
        let mut command = self.command(cluster_address, false);
        if let Some(position) = position {
            command.arg(format!("--wsrep-start-position={position}"));
        }
        self.child = Some(command.spawn().expect("mariadbd restarts"));
    }
}

impl Nodes {
    /// Makes the data folders, bootstraps node 1, and joins the others
    /// one by one; returns once all are Synced in a cluster of `count`.
    pub fn start(addresses: &[String], namespaces: &[String]) -> Nodes {
        let count = addresses.len();
        let root = tempfile::Builder::new()
            .prefix("authql-galera-")
            .tempdir()
            .expect("temp dir");
        // The servers run as `mysql`, which must reach their folders.
        std::fs::set_permissions(
            root.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod");
        let cluster_address = format!("gcomm://{}", addresses.join(","));
        let nodes: Vec<Node> = (1..=count)
            .map(|number| Node {
                number,
                folder: root.path().join(format!("node{number}")),
                namespace: namespaces[number - 1].clone(),
                address: addresses[number - 1].clone(),
                child: None,
                log_before_start: 0,
            })
            .collect();
        let mut this = Nodes {
            nodes,
            cluster_address: cluster_address.clone(),
            root: Some(root),
        };
        // One system database, copied: three installs at once trip over
        // each other's temporary tables.
        let first = this.nodes[0].folder.clone();
        for node in &this.nodes {
            std::fs::create_dir_all(&node.folder).expect("node folder");
        }
        let output = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", first.join("data").display()))
            .args([
                "--user=mysql",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ])
            .output()
            .expect("mariadb-install-db");
        assert!(
            output.status.success(),
            "mariadb-install-db: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        for node in &this.nodes[1..] {
            let copied = Command::new("cp")
                .arg("-a")
                .arg(first.join("data"))
                .arg(&node.folder)
                .status()
                .expect("cp");
            assert!(copied.success(), "copy the system database");
        }
        for node in &this.nodes {
            let owned = Command::new("chown")
                .args(["-R", "mysql:mysql"])
                .arg(&node.folder)
                .status()
                .expect("chown");
            assert!(owned.success(), "chown mysql {}", node.folder.display());
        }
        for (index, node) in this.nodes.iter_mut().enumerate() {
            let bootstrap = index == 0;
            node.child = Some(
                node.command(&cluster_address, bootstrap)
                    .spawn()
                    .expect("mariadbd starts"),
            );
            let took = node.wait_synced(index + 1);
            eprintln!("cluster: node {} Synced after {took:?}", node.number);
            if bootstrap {
                // The replicas connect from the test's side of the wire.
                sql(
                    &node.folder,
                    "CREATE USER 'root'@'%' IDENTIFIED BY ''; \
                     GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;",
                )
                .expect("root over TCP");
            }
        }
        this
    }

    pub fn node(&mut self, number: usize) -> &mut Node {
        &mut self.nodes[number - 1]
    }

    pub fn cluster_address(&self) -> String {
        self.cluster_address.clone()
    }
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.kill();
        }
        if std::thread::panicking()
            && let Some(root) = self.root.take()
        {
            eprintln!(
                "cluster: the nodes' folders are kept in {}",
                root.keep().display()
            );
        }
    }
}
