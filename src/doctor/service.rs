//! Is dockerd running, and if not, why not: the cause from what its start would run into (an
//! init script's `ulimit` above the hard limit) or from its log, and the command that starts it
//! under this machine's init system. Plus its pid file and whether it starts at boot.

use super::config::Settings;
use super::host::{self, start_command};
use super::logs::{self, Cause};
use super::{Action, Check, Status};
use crate::facts::{HostRoot, InitSystem, LinuxFacts};

/// CAP_SYS_RESOURCE: without it a hard limit can only be lowered.
const CAP_SYS_RESOURCE: u32 = 24;

pub struct Daemon {
    pub pid: Option<u32>,
    pub installed: bool,
}

pub fn find(root: &HostRoot, facts: &LinuxFacts) -> Daemon {
    let installed = facts
        .docker
        .binaries
        .iter()
        .any(|b| b.ends_with("/dockerd"))
        || ["docker-ce", "docker.io", "moby-engine", "docker-engine"]
            .iter()
            .any(|p| facts.docker.is_installed(p));
    Daemon {
        pid: host::find_process(root, "dockerd"),
        installed,
    }
}

/// `ulimit -n 1048576` in Debian's /etc/init.d/docker (and `-p unlimited`) sets soft and hard
/// limits; above the hard limit that needs CAP_SYS_RESOURCE, which a container usually lacks,
/// and then `service docker start` stops at "ulimit: error setting limit" before dockerd runs.
pub fn init_script_limits(root: &HostRoot) -> Option<Cause> {
    let script = root.read_text("etc/init.d/docker", 1 << 20).ok()??;
    if can_raise_limits(root) {
        return None;
    }
    let mut too_high = Vec::new();
    for line in script.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let words: Vec<&str> = line.split_whitespace().collect();
        let ["ulimit", flag, value] = words.as_slice() else {
            continue;
        };
        let (letter, name, shown) = match *flag {
            "-n" => ('n', "Max open files", "open files"),
            "-p" | "-u" => (
                flag.chars().nth(1).unwrap_or('u'),
                "Max processes",
                "processes",
            ),
            _ => continue,
        };
        let Some(hard) = host::hard_limit(root, name) else {
            continue;
        };
        let wanted = match *value {
            "unlimited" => None,
            v => v.parse::<u64>().ok(),
        };
        let exceeds = match (wanted, hard) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(w), Some(h)) => w > h,
        };
        if exceeds {
            let hard = hard.map_or("unlimited".into(), |h| h.to_string());
            too_high.push((
                letter,
                value.to_string(),
                format!("{shown} (hard limit {hard}, `ulimit -H{letter}`)"),
            ));
        }
    }
    if too_high.is_empty() {
        return None;
    }
    // `-u` (bash) and `-p` (dash) are the same limit in the script's two branches: /bin/sh runs
    // it, so name `-p` when both are there.
    let has_p = too_high.iter().any(|(l, _, _)| *l == 'p');
    let what = too_high
        .iter()
        .filter(|(l, _, _)| !(has_p && *l == 'u'))
        .map(|(l, v, s)| format!("`ulimit -{l} {v}` exceeds {s}"))
        .collect::<Vec<_>>()
        .join(" and ");
    let seds: String = too_high
        .iter()
        .map(|(l, v, _)| format!(" -e 's/ulimit -{l} {v}/ulimit -{l} \"$(ulimit -H{l})\"/'"))
        .collect();
    Some(Cause {
        what: format!(
            "/etc/init.d/docker stops at \"ulimit: error setting limit (Operation not permitted)\" before dockerd runs: {what}, and this machine cannot raise hard limits (no CAP_SYS_RESOURCE, e.g. a container)"
        ),
        fix: format!(
            "sed -i{seds} /etc/init.d/docker && service docker start   # or start it without the script: dockerd -p /var/run/docker.pid >>/var/log/docker.log 2>&1 &"
        ),
    })
}

/// Whether the reading process may raise hard limits. Unknown (no /proc/self/status) counts as
/// no: a fixture describes a machine that cannot.
fn can_raise_limits(root: &HostRoot) -> bool {
    let status = root.read_text("proc/self/status", 1 << 20).ok().flatten();
    status
        .as_deref()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("CapEff:")))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

/// `daemon-running`: the service state, and for a stopped daemon its cause and the fix.
pub fn running(
    root: &HostRoot,
    facts: &LinuxFacts,
    daemon: &Daemon,
    docker_host: Option<&str>,
) -> Check {
    let id = "daemon-running";
    let init = facts.init.effective();
    if let Some(pid) = daemon.pid {
        let how = match init {
            InitSystem::Systemd | InitSystem::Openrc | InitSystem::Sysvinit => {
                format!(", under {}", init.name())
            }
            _ => String::new(),
        };
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            format!("dockerd is running (pid {pid}{how})"),
        );
    }
    if !daemon.installed {
        return match docker_host {
            Some(host) => Check::new(id, "daemon", Status::Ok, format!("no dockerd here; the CLI talks to DOCKER_HOST={host}")),
            None if !facts.docker.binaries.is_empty() => Check::new(id, "daemon", Status::Skipped, "only the docker CLI is installed (no dockerd): set DOCKER_HOST to use a remote daemon")
                .with_fix("dockup install   # for a daemon on this machine"),
            None => Check::new(id, "daemon", Status::Skipped, "Docker is not installed: no daemon to check"),
        };
    }
    // `service docker start` runs the init script unless systemd is up (run/systemd/system,
    // as `service` itself decides): a chroot on a systemd host still runs the script.
    let script_cause = if root.is_dir("run/systemd/system") || init == InitSystem::Openrc {
        None
    } else {
        init_script_limits(root)
    };
    let log_cause = logs::last_run(root).and_then(|(file, lines)| {
        let line = logs::worst(&lines)?;
        Some(match logs::classify(line, facts) {
            Some(c) => Cause {
                what: format!("its log ({file}) says {}", c.what),
                fix: c.fix,
            },
            None => Cause {
                what: format!("its log ({file}) ends with an error"),
                fix: format!(
                    "read it: tail -n 50 {file}; then {}",
                    start_command(root, facts)
                ),
            },
        })
    });
    let under = match init {
        InitSystem::None | InitSystem::Unknown => "no init system runs services here".to_string(),
        other => format!("init: {}", other.name()),
    };
    let check = |cause: &str| {
        Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("dockerd is not running ({under}){cause}"),
        )
    };
    match script_cause.or(log_cause) {
        Some(c) => {
            // The service would fail the same way again; dockerd itself starts.
            let action = Action::StartDaemon { direct: true };
            check(&format!(": {}", c.what))
                .with_fix(c.fix)
                .with_action(action)
        }
        None => check("")
            .with_fix(start_command(root, facts))
            .with_action(Action::StartDaemon {
                direct: !matches!(init, InitSystem::Systemd | InitSystem::Openrc)
                    && !root.exists("etc/init.d/docker"),
            }),
    }
}

/// `daemon-enabled`: starts at boot, where an init system runs and manages services.
pub fn enabled(root: &HostRoot, facts: &LinuxFacts) -> Option<Check> {
    let id = "daemon-enabled";
    let (on, fix) = match facts.init.running {
        InitSystem::Systemd => (
            root.exists("etc/systemd/system/multi-user.target.wants/docker.service")
                || root.exists("etc/systemd/system/sockets.target.wants/docker.socket"),
            "systemctl enable docker",
        ),
        InitSystem::Openrc => (
            root.exists("etc/runlevels/default/docker"),
            "rc-update add docker default",
        ),
        InitSystem::Sysvinit => (
            root.list_dir("etc/rc2.d")
                .iter()
                .any(|n| n.starts_with('S') && n.ends_with("docker")),
            "update-rc.d docker defaults",
        ),
        _ => return None,
    };
    Some(if on {
        Check::new(
            id,
            "daemon",
            Status::Ok,
            format!("docker starts at boot ({})", facts.init.running.name()),
        )
    } else {
        Check::new(id, "daemon", Status::Warn, "docker does not start at boot").with_fix(fix)
    })
}

/// `pid-file`: a pid file whose process is gone is stale; one naming another live process makes
/// dockerd refuse to start.
pub fn pid_file(root: &HostRoot, settings: &Settings, daemon: &Daemon) -> Option<Check> {
    let id = "pid-file";
    let path = settings.pidfile();
    let text = root.read_text(&path, 4096).ok()??;
    let Ok(pid) = text.trim().parse::<u32>() else {
        return Some(
            Check::new(
                id,
                "daemon",
                Status::Warn,
                format!("{path} does not hold a pid ({:?})", text.trim()),
            )
            .with_fix(format!("rm {path}"))
            .with_action(Action::RemovePidFile { path, pid: None }),
        );
    };
    Some(match (host::process_name(root, pid), daemon.pid) {
        (Some(name), _) if name == "dockerd" => Check::new(id, "daemon", Status::Ok, format!("{path}: pid {pid} is dockerd")),
        (Some(name), None) => Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{path} names pid {pid}, which is now `{name}`, not dockerd: dockerd refuses to start (\"pid file found, ensure docker is not running\")"),
        )
        .with_fix(format!("rm {path}"))
        .with_action(Action::RemovePidFile { path, pid: Some(pid) }),
        (None, _) => Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("stale {path}: pid {pid} is not running (left by a dockerd that did not stop cleanly)"),
        )
        .with_fix(format!("rm {path}"))
        .with_action(Action::RemovePidFile { path, pid: Some(pid) }),
        (Some(_), Some(running)) => Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("{path} names pid {pid}, but dockerd runs as pid {running}"),
        ),
    })
}
