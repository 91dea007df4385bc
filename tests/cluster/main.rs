//! authql on a three-node MariaDB Galera cluster: the test starts the
//! cluster itself (three `mariadbd` with the Galera provider, each in its
//! own network namespace, with 20 ms of delay each way between nodes, see
//! [`wire`]), runs the scenarios of README's "Running a cluster" on
//! it, and removes everything afterwards. Each scenario prints its counts
//! of answers by code, the longest gap without a successful answer, and the
//! time until full recovery.
//!
//! Needs root (namespaces), `mariadbd`, the Galera provider, `rsync` (state
//! transfer), `haproxy` and `ip`; `.ci/run` installs what is missing.
//! Without them the test says what is missing, from which Debian package,
//! and passes, except under CI (`CI` set), where it fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test, bench or example stops at the first thing that is not as it expects"
)]

mod haproxy;
mod nodes;
mod probe;
mod replica;
mod scenarios;
mod wire;

use std::path::Path;
use std::time::{Duration, Instant};

use nodes::{GALERA, MARIADBD, Nodes};
use replica::Replica;
use wire::Network;

/// What the test runs (an absolute path, or a program it finds on `PATH`)
/// and the Debian package that provides it.
const PARTS: [(&str, &str); 7] = [
    (MARIADBD, "mariadb-server"),
    ("mariadb-install-db", "mariadb-server"),
    ("mariadb", "mariadb-client"),
    (GALERA, "galera-4"),
    // The state transfer's script runs it.
    ("rsync", "rsync"),
    (haproxy::HAPROXY, "haproxy"),
    ("ip", "iproute2"),
];

/// Whether `part` is there: the file, or the program somewhere on `PATH`.
fn found(part: &str) -> bool {
    if part.contains('/') {
        return Path::new(part).exists();
    }
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|folder| folder.join(part).is_file()))
}

/// What is missing to run the cluster here, if anything, and how to get it.
fn missing() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("root (it makes network namespaces); run it as root".to_owned());
    }
    let absent: Vec<(&str, &str)> = PARTS.into_iter().filter(|(part, _)| !found(part)).collect();
    if absent.is_empty() {
        return None;
    }
    let parts: Vec<String> = absent
        .iter()
        .map(|(part, package)| format!("{part} (Debian package {package})"))
        .collect();
    let mut packages: Vec<&str> = Vec::new();
    for (_, package) in &absent {
        if !packages.contains(package) {
            packages.push(package);
        }
    }
    Some(format!(
        "{}; install with `apt-get install {}` (or run .ci/run, which installs them)",
        parts.join(", "),
        packages.join(" ")
    ))
}

/// The whole cluster: the wire, the nodes, and the database authql uses.
pub struct Cluster {
    // Dropped in this order: the nodes stop before their network goes.
    pub nodes: Nodes,
    pub network: Network,
}

impl Cluster {
    /// `mysql://` URL of the test database through node `n`.
    pub fn url(&self, n: usize) -> String {
        format!("mysql://root@{}:3306/authql", self.network.address(n))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn authql_on_a_three_node_galera_cluster() {
    if let Some(what) = missing() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the cluster test needs {what}"
        );
        eprintln!("cluster test skipped: needs {what}");
        return;
    }
    // The replicas' warnings (a database error's cause) on the test's output.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("warn,authql::core=error")
        .with_test_writer()
        .try_init();
    let began = Instant::now();
    let network = Network::start(3);
    let nodes = tokio::task::spawn_blocking({
        let addresses: Vec<String> = (1..=3).map(|n| network.address(n)).collect();
        let namespaces: Vec<String> = (1..=3).map(|n| network.namespace(n)).collect();
        move || Nodes::start(&addresses, &namespaces)
    })
    .await
    .expect("cluster starts");
    let mut cluster = Cluster { nodes, network };
    eprintln!("cluster: three nodes Synced after {:?}", began.elapsed());
    nodes::sql(
        &cluster.nodes.node(1).folder,
        "CREATE DATABASE authql CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
    )
    .expect("database");
    let url = cluster.url(1);
    authql::store::migrate::run_pending(&url.parse().expect("url"))
        .await
        .expect("migrations through node 1");
    migrations_applied_everywhere(&mut cluster).await;
    probe::operator_bits_are_kept(&cluster).await;
    let mail = authql_testkit::MailServer::start().await;
    let replicas: Vec<Replica> = (1..=3)
        .map(|n| Replica::start_with_mail(&cluster.url(n), &mail))
        .collect();

    scenarios::the_throttle_holds_across_nodes(&replicas).await;
    scenarios::a_refresh_storm_never_forks(&replicas).await;
    probe::stale_reads(&cluster).await;
    scenarios::ended_sessions_are_refused_everywhere(&replicas).await;
    scenarios::me_through_one_node_and_one_server(&replicas[0]).await;
    scenarios::resets_through_every_node_mail_each_once(&replicas, &mail).await;
    scenarios::one_code_through_three_replicas_opens_one_session(&replicas).await;
    scenarios::users_added_through_every_node_are_found_through_each(&replicas).await;
    scenarios::a_node_killed_under_load(&mut cluster).await;
    eprintln!("cluster: all scenarios passed in {:?}", began.elapsed());
}

/// Waits until every node has applied the migrations node 1 ran, so that no
/// scenario's statement (each bounded by a 3 s timeout) can meet a schema
/// change still being applied on a loaded node. (Seen taking 11 ms; it is
/// a guard, not a fix: the throttle scenario's one SERVICE_UNAVAILABLE in
/// two runs on a machine shared with a benchmark was load, not this.)
async fn migrations_applied_everywhere(cluster: &mut Cluster) {
    const COUNT: &str = "SELECT COUNT(*) FROM authql.__diesel_schema_migrations";
    let expected = nodes::sql(&cluster.nodes.node(1).folder, COUNT).expect("node 1's migrations");
    let began = Instant::now();
    for n in 2..=3 {
        loop {
            let applied = nodes::sql(&cluster.nodes.node(n).folder, COUNT);
            if applied.as_deref() == Ok(expected.as_str()) {
                break;
            }
            assert!(
                began.elapsed() < Duration::from_secs(60),
                "node {n} has not applied the migrations after 60 s: {applied:?}, node 1 has {expected}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    eprintln!(
        "cluster: migrations applied on every node after {:?}",
        began.elapsed()
    );
}
