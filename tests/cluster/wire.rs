//! The network between the cluster's nodes: one network namespace per node
//! and a wire that carries their packets with a delay.
//!
//! The kernel here is built without `netem` (`CONFIG_NET_SCH_NETEM is not
//! set` in /proc/config.gz; `tc qdisc add ... netem` answers "Specified
//! qdisc kind is unknown"), and no other qdisc delays packets. So each
//! namespace gets a TUN device instead of a veth, and this module is the
//! link layer: a thread per device reads each IP packet, and a thread per
//! (destination, source) pair writes the packets of that path once their
//! delay has passed. The sockets, TCP and Galera's traffic are the kernel's
//! and MariaDB's own; only the time on the wire is ours. Packets keep their
//! order per path, as on a real link; a path's queue holds only its own
//! packets, so a packet on a 1 ms path never waits behind the 20 ms ones
//! bound for the same device from another node.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// One way, between two nodes: 40 ms round trips, machines in two zones
/// of a region far apart.
pub const BETWEEN_NODES: Duration = Duration::from_millis(20);
/// One way, between a node and the authql replicas (and HAProxy), which sit
/// beside their nodes.
pub const TO_REPLICAS: Duration = Duration::from_millis(1);

const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
const MTU: usize = 1500;
/// How often a reader looks up from an idle device to see if it must stop.
const POLL_MS: libc::c_int = 200;
/// Every name this module gives starts with this, then the id of the
/// process that gave it: `aq{pid}n{n}` is node n's namespace, `aq{pid}w{i}`
/// device i (at most 11 characters, within a device name's 15).
const PREFIX: &str = "aq";

#[repr(C)]
struct InterfaceRequest {
    name: [u8; libc::IFNAMSIZ],
    flags: libc::c_short,
    _rest: [u8; 22],
}

/// Runs `ip` with these arguments, failing the test when it fails.
pub fn ip(args: &[&str]) {
    run("ip", args);
}

fn run(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("{program} {args:?}: {error}"));
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn open_tun(name: &str) -> File {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .expect("/dev/net/tun");
    let mut request = InterfaceRequest {
        name: [0; libc::IFNAMSIZ],
        flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
        _rest: [0; 22],
    };
    request.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: TUNSETIFF reads and writes an ifreq, which `request` is laid
    // out as, on a descriptor of /dev/net/tun that lives through the call.
    let done = unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut request) };
    assert!(
        done >= 0,
        "TUNSETIFF {name}: {}",
        std::io::Error::last_os_error()
    );
    file
}

/// Whether `file` has a packet to read within [`POLL_MS`].
fn readable(file: &File) -> bool {
    let mut poll = libc::pollfd {
        fd: file.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, valid for the call.
    let ready = unsafe { libc::poll(&mut poll, 1, POLL_MS) };
    ready > 0 && poll.revents & libc::POLLIN != 0
}

/// One direction between two devices: its packets, in the order they were
/// sent, each written to the destination once its delay has passed, by a
/// thread of its own.
struct Path {
    delay: Duration,
    queue: mpsc::Sender<(Instant, Vec<u8>)>,
}

impl Path {
    /// The path from device `from` to `destination`, device `to` (0 is the
    /// test's side).
    fn start(destination: &File, from: usize, to: usize) -> Path {
        let delay = if from != 0 && to != 0 {
            BETWEEN_NODES
        } else {
            TO_REPLICAS
        };
        let (queue, packets) = mpsc::channel::<(Instant, Vec<u8>)>();
        let mut destination = destination.try_clone().expect("device");
        std::thread::spawn(move || {
            // One path's delay is fixed, so its packets fall due in order.
            for (due, packet) in packets {
                std::thread::sleep(due.saturating_duration_since(Instant::now()));
                // A TUN device takes a packet per write whole, whichever
                // path's thread writes it. A write to a device going away
                // fails: the end.
                if destination.write_all(&packet).is_err() {
                    return;
                }
            }
        });
        Path { delay, queue }
    }

    fn send(&self, packet: Vec<u8>) {
        let _ = self.queue.send((Instant::now() + self.delay, packet));
    }
}

/// The namespaces, their devices and the wire between them; all removed
/// on drop.
pub struct Network {
    /// Which `/24` of 198.18.0.0/15 (0 to 511) the run uses: node N is
    /// `.N`, the test's own side `.254`. That range is kept for benchmarking
    /// (RFC 2544), so it never is a real network this machine reaches.
    block: u32,
    /// This process's id, in every name.
    pid: u32,
    nodes: usize,
    stop: Arc<AtomicBool>,
}

impl Network {
    /// The namespace node `n` (from 1) runs in.
    pub fn namespace(&self, n: usize) -> String {
        namespace_name(self.pid, n)
    }

    /// Node `n`'s address.
    pub fn address(&self, n: usize) -> String {
        self.host(n)
    }

    /// The address of host `n` (a node, or 254 for the test's side).
    fn host(&self, n: usize) -> String {
        format!("198.{}.{}.{n}", 18 + self.block / 256, self.block % 256)
    }

    /// Makes `nodes` namespaces joined by the delaying wire, the test's own
    /// namespace on it too.
    pub fn start(nodes: usize) -> Network {
        let pid = std::process::id();
        let dead = sweep_dead_runs();
        if !dead.is_empty() {
            eprintln!("cluster: removed the namespaces left by dead runs (process ids {dead:?})");
        }
        let network = Network {
            block: pid % 512,
            pid,
            nodes,
            stop: Arc::new(AtomicBool::new(false)),
        };
        network.remove();
        // Device i: 0 is the test's side, 1..=nodes the nodes.
        let mut devices = Vec::new();
        let own = format!("{PREFIX}{pid}w0");
        devices.push(open_tun(&own));
        let own_address = format!("{}/24", network.host(254));
        ip(&["addr", "add", &own_address, "dev", &own]);
        ip(&["link", "set", &own, "up"]);
        for n in 1..=nodes {
            let name = format!("{PREFIX}{pid}w{n}");
            let namespace = network.namespace(n);
            devices.push(open_tun(&name));
            ip(&["netns", "add", &namespace]);
            ip(&["link", "set", &name, "netns", &namespace]);
            let address = format!("{}/24", network.address(n));
            ip(&["-n", &namespace, "addr", "add", &address, "dev", &name]);
            ip(&["-n", &namespace, "link", "set", &name, "up"]);
            ip(&["-n", &namespace, "link", "set", "lo", "up"]);
        }
        // outgoing[from][to]: the path from device `from` to device `to`.
        let outgoing: Vec<Vec<Option<Path>>> = (0..devices.len())
            .map(|from| {
                devices
                    .iter()
                    .enumerate()
                    .map(|(to, device)| (to != from).then(|| Path::start(device, from, to)))
                    .collect()
            })
            .collect();
        for (mut device, outgoing) in devices.into_iter().zip(outgoing) {
            let stop = network.stop.clone();
            std::thread::spawn(move || {
                let mut buffer = vec![0_u8; MTU + 64];
                while !stop.load(Ordering::Relaxed) {
                    if !readable(&device) {
                        continue;
                    }
                    let Ok(length) = device.read(&mut buffer) else {
                        return;
                    };
                    // IPv4 only; the destination's last byte picks the device.
                    if length < 20 || buffer[0] >> 4 != 4 {
                        continue;
                    }
                    let to = match buffer[19] {
                        254 => 0,
                        n => usize::from(n),
                    };
                    if let Some(Some(path)) = outgoing.get(to) {
                        path.send(buffer[..length].to_vec());
                    }
                }
                // Dropping `outgoing` ends this device's paths.
            });
        }
        network
    }

    /// Removes this process's namespaces, as a dead run whose process id
    /// this one reuses may have left them.
    fn remove(&self) {
        for n in 1..=self.nodes {
            remove_namespace(&self.namespace(n));
        }
    }
}

fn namespace_name(pid: u32, n: usize) -> String {
    format!("{PREFIX}{pid}n{n}")
}

/// The process that made namespace `name`, if this module named it.
fn owner(name: &str) -> Option<u32> {
    let (pid, node) = name.strip_prefix(PREFIX)?.split_once('n')?;
    node.parse::<usize>().ok()?;
    pid.parse().ok()
}

/// Removes what runs killed mid-way (their `Network` never dropped) left
/// behind: each namespace named for a process that no longer exists, with
/// what still runs in it. Their devices went with them: a TUN device that is
/// not made persistent goes when the last descriptor on it closes, and the
/// kernel closes a dead process's. Returns the dead runs' process ids.
fn sweep_dead_runs() -> BTreeSet<u32> {
    let listed = Command::new("ip")
        .args(["netns", "list"])
        .output()
        .expect("ip netns list");
    let mut dead = BTreeSet::new();
    for name in String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
    {
        let Some(pid) = owner(name) else {
            continue;
        };
        // A live process under that id (a run going on now, or a process
        // that took a dead run's id, whose namespaces then stay) is left
        // alone; this run's own are removed by `remove`.
        if std::path::Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        remove_namespace(name);
        dead.insert(pid);
    }
    dead
}

/// Kills what runs in namespace `name`, then removes it. A node's `mariadbd`
/// (and a state transfer's rsync) outlives the test that started it, and
/// would keep the namespace, its address and its port alive after the name
/// is gone.
fn remove_namespace(name: &str) {
    if let Ok(pids) = Command::new("ip").args(["netns", "pids", name]).output() {
        for pid in String::from_utf8_lossy(&pids.stdout)
            .split_whitespace()
            .filter_map(|pid| pid.parse::<libc::pid_t>().ok())
        {
            // SAFETY: kill has no memory preconditions; the kernel has just
            // listed `pid` as running in that namespace.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }
    let _ = Command::new("ip").args(["netns", "del", name]).output();
}

impl Drop for Network {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.remove();
    }
}
