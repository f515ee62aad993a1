//! The daemon's log: its last errors since it last started, and what the well-known ones mean.
//! dockerd logs to `/var/log/docker.log` under sysvinit (Debian's init script), to
//! `/var/log/dockerd.log` when dockup started it directly, and to syslog otherwise; under
//! systemd without a syslog daemon only the journal has it (asked through journalctl, on the
//! running machine only).

use std::io::{Read, Seek, SeekFrom};

use super::host::install_command;
use super::{Check, Status};
use crate::facts::{HostRoot, LinuxFacts};

/// Only the end of a log matters, and syslog files can be huge.
const TAIL: u64 = 512 << 10;

const LOGS: &[&str] = &[
    "var/log/docker.log",
    "var/log/dockerd.log",
    "var/log/upstart/docker.log",
    "var/log/daemon.log",
    "var/log/syslog",
    "var/log/messages",
];

/// A recognised failure: what it means here, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub what: String,
    pub fix: String,
}

/// The daemon's log lines since it last started (the whole tail when no start is logged),
/// and which file they came from.
pub fn last_run(root: &HostRoot) -> Option<(String, Vec<String>)> {
    for inner in LOGS {
        let Some(text) = tail(root, inner) else {
            continue;
        };
        let shared = !inner.contains("docker");
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !shared || l.contains("dockerd") || l.contains("docker["))
            .map(str::to_string)
            .collect();
        if lines.is_empty() {
            continue;
        }
        let start = lines
            .iter()
            .rposition(|l| l.contains("msg=\"Starting up\""))
            .unwrap_or(0);
        return Some((format!("/{inner}"), lines[start..].to_vec()));
    }
    journal(root)
}

/// dockerd's lines in the journal since this boot, from its last start on.
fn journal(root: &HostRoot) -> Option<(String, Vec<String>)> {
    let out = root.probe(&[
        "journalctl",
        "--unit",
        "docker.service",
        "--boot",
        "--no-pager",
        "--output",
        "cat",
        "--lines",
        "400",
    ])?;
    let lines: Vec<String> = out
        .stdout_text()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("-- "))
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        return None;
    }
    let start = lines
        .iter()
        .rposition(|l| l.contains("msg=\"Starting up\""))
        .unwrap_or(0);
    Some(("journalctl -u docker".into(), lines[start..].to_vec()))
}

fn tail(root: &HostRoot, inner: &str) -> Option<String> {
    let path = root.resolve(inner)?;
    let mut file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL))).ok()?;
    let mut bytes = Vec::new();
    file.take(TAIL).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

pub fn is_error(line: &str) -> bool {
    line.contains("level=error")
        || line.contains("level=fatal")
        || line.contains("failed to start daemon")
        || line.contains("Error starting daemon")
        || line.contains("error setting limit")
        || line.starts_with("panic: ")
}

/// The error that stopped (or troubles) the daemon: a fatal one if there is one, else the last.
pub fn worst(lines: &[String]) -> Option<&String> {
    let errors: Vec<&String> = lines.iter().filter(|l| is_error(l)).collect();
    errors
        .iter()
        .rev()
        .find(|l| {
            l.contains("level=fatal")
                || l.contains("failed to start daemon")
                || l.starts_with("panic: ")
        })
        .or(errors.last())
        .copied()
}

/// What a log line means, for the errors people hit again and again.
pub fn classify(line: &str, facts: &LinuxFacts) -> Option<Cause> {
    let has = |s: &str| line.contains(s);
    let cause = |what: &str, fix: String| {
        Some(Cause {
            what: what.to_string(),
            fix,
        })
    };
    if has("error setting limit") {
        return cause(
            "a `ulimit` above the hard limit failed before dockerd started",
            "lower the ulimit line in /etc/init.d/docker to `ulimit -n \"$(ulimit -Hn)\"`, or start dockerd directly: dockerd >>/var/log/docker.log 2>&1 &".into(),
        );
    }
    if has("apparmor_parser") || has("docker-default profile could not be loaded") {
        return cause(
            "AppArmor is enabled in the kernel but apparmor_parser is missing, so the docker-default profile cannot be loaded and containers do not start",
            format!(
                "{} && systemctl restart docker",
                install_command(facts, "apparmor")
            ),
        );
    }
    if has("iptables")
        && (has("can't initialize")
            || has("Failed to create NAT chain")
            || has("No chain/target/match")
            || has("Table does not exist")
            || has("failed to register \"bridge\" driver")
            || has("executable file not found"))
    {
        let fix = if has("executable file not found") {
            install_command(facts, "iptables")
        } else {
            "update-alternatives --set iptables /usr/sbin/iptables-legacy && update-alternatives --set ip6tables /usr/sbin/ip6tables-legacy   # or the -nft ones, whichever this kernel supports; then restart the daemon".into()
        };
        return cause(
            "dockerd cannot set up its firewall rules: the iptables backend does not match the kernel (nf_tables vs legacy) or iptables is missing",
            fix,
        );
    }
    if has("d_type")
        || has("driver not supported")
        || has("error initializing graphdriver")
        || has("overlay2 is not supported over")
    {
        return cause(
            "the storage driver cannot work on the filesystem under Docker's data root",
            "give /var/lib/docker its own ext4 (or xfs with ftype=1) filesystem, or set \"storage-driver\" in /etc/docker/daemon.json to one that works there (fuse-overlayfs, vfs)".into(),
        );
    }
    if has("directives are specified both as a flag and in the configuration file")
        || has("don't match any configuration option")
    {
        return cause(
            "daemon.json conflicts with the daemon's flags or has unknown keys",
            "see the daemon-config check; `dockerd --validate` names the offending keys".into(),
        );
    }
    if has("pid file found, ensure docker is not running") {
        return cause(
            "a pid file from an earlier dockerd is in the way",
            "rm /var/run/docker.pid   # only if no dockerd is running".into(),
        );
    }
    if has("address already in use") {
        return cause(
            "another daemon already listens on Docker's socket or port",
            "find it with `ss -xlp | grep docker.sock` (or `ss -tlnp`) and stop it".into(),
        );
    }
    if has("no space left on device") {
        return cause(
            "the disk under Docker's data root is full",
            "docker system prune   # or free space under /var/lib/docker".into(),
        );
    }
    if has("containerd")
        && (has("executable file not found") || has("connection refused") || has("failed to dial"))
    {
        return cause(
            "dockerd cannot reach containerd",
            format!(
                "{}   # then start containerd before dockerd",
                install_command(facts, "containerd")
            ),
        );
    }
    if has("cgroup")
        && (has("mountpoint") || has("not mounted") || has("Devices cgroup") || has("cgroup root"))
    {
        return cause(
            "the cgroup filesystem is not mounted where dockerd looks",
            "mount -t cgroup2 none /sys/fs/cgroup   # cgroup v2; on cgroup v1 hosts install cgroupfs-mount".into(),
        );
    }
    None
}

/// The `daemon-log` check: the last run's errors, explained where they are well known.
pub fn check(root: &HostRoot, facts: &LinuxFacts, running: bool) -> Check {
    let id = "daemon-log";
    let Some((file, lines)) = last_run(root) else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            "no daemon log found (/var/log/docker.log, syslog, the journal)",
        );
    };
    let Some(line) = worst(&lines) else {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            format!("{file}: no errors since the daemon last started"),
        );
    };
    let status = if running { Status::Warn } else { Status::Fail };
    let shown = shorten(line);
    match classify(line, facts) {
        Some(c) => {
            Check::new(id, "daemon", status, format!("{file}: {}: {shown}", c.what)).with_fix(c.fix)
        }
        None => Check::new(id, "daemon", status, format!("{file}: {shown}"))
            .with_fix(format!("read the lines before it: tail -n 50 {file}")),
    }
}

/// A log line without its timestamp, and not a screenful.
fn shorten(line: &str) -> String {
    let msg = line.find("msg=").map(|i| &line[i..]).unwrap_or(line).trim();
    let mut out: String = msg.chars().take(300).collect();
    if out.len() < msg.len() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_errors_are_explained() {
        let facts = LinuxFacts::default();
        let apparmor = "time=\"2024-01-01T00:00:00Z\" level=error msg=\"AppArmor enabled on system but the docker-default profile could not be loaded: running `apparmor_parser apparmor_parser --version` failed with output: \\nerror: exec: \\\"apparmor_parser\\\": executable file not found in $PATH\"";
        assert!(
            classify(apparmor, &facts)
                .unwrap()
                .what
                .contains("apparmor_parser is missing")
        );
        let nat = "failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to create NAT chain DOCKER: iptables failed: iptables --wait -t nat -N DOCKER: iptables v1.8.7 (legacy): can't initialize iptables table `nat': Table does not exist";
        assert!(
            classify(nat, &facts)
                .unwrap()
                .fix
                .contains("iptables-legacy")
        );
        assert_eq!(
            classify(
                "level=info msg=\"Daemon has completed initialization\"",
                &facts
            ),
            None
        );
    }

    #[test]
    fn under_systemd_the_journal_is_read_on_the_running_machine() {
        use crate::exec::{CommandOutput, RecordingRunner};
        let runner = RecordingRunner::default();
        runner.answer(
            "journalctl --unit docker.service",
            CommandOutput {
                code: Some(0),
                stdout: b"time=\"2026-12-01T10:00:00Z\" level=info msg=\"Starting up\"\ntime=\"2026-12-01T10:00:01Z\" level=error msg=\"failed to start daemon: Error initializing network controller: error obtaining controller instance: failed to register \\\"bridge\\\" driver: iptables not found\"\n".to_vec(),
                stderr: Vec::new(),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let root = HostRoot::with_probes(dir.path(), std::rc::Rc::new(runner));
        let (file, lines) = last_run(&root).unwrap();
        assert_eq!(file, "journalctl -u docker");
        assert_eq!(lines.len(), 2);
        assert!(worst(&lines).unwrap().contains("iptables not found"));
        // A tree is never asked about the host's journal.
        assert!(last_run(&HostRoot::at(dir.path())).is_none());
    }
}
