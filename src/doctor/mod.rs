//! `dockup doctor`: checks, each a finding with a status and, for problems, a fix to paste.

mod access;
mod bundle;
mod config;
mod fix;
mod host;
mod install;
mod kernel;
mod logs;
mod network;
mod runtime;
mod service;
mod storage;
mod windows;

use serde::Serialize;

use crate::facts::{HostRoot, LinuxFacts};

pub use bundle::{BundleError, collect as bundle_files, write as write_bundle};
pub use fix::{Action, FixError};
pub use install::check_install;
pub use kernel::{KernelCatalog, check_kernel};
pub use runtime::check_runtime;
pub use windows::{WindowsProbe, check_windows, check_windows_probe};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skipped,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable, for scripts: `kernel-version`, `CONFIG_VETH`, ...
    pub id: String,
    /// kernel / install / daemon / windows
    pub group: &'static str,
    pub status: Status,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// A fix `--fix` may apply (after asking); only the safe ones have one.
    #[serde(skip)]
    pub action: Option<Action>,
}

impl Check {
    pub fn new(
        id: impl Into<String>,
        group: &'static str,
        status: Status,
        summary: impl Into<String>,
    ) -> Check {
        Check {
            id: id.into(),
            group,
            status,
            summary: summary.into(),
            fix: None,
            action: None,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }

    pub fn with_action(mut self, action: Action) -> Check {
        self.action = Some(action);
        self
    }
}

/// What the daemon checks take besides the machine: who is asking, and their environment.
#[derive(Debug, Clone, Default)]
pub struct DaemonOptions {
    /// The user whose `docker` group membership matters (`--user`, else `SUDO_USER`, else the
    /// invoking user).
    pub user: Option<String>,
    /// The proxy the caller's shell uses (`https_proxy`), to compare with the daemon's.
    pub shell_proxy: Option<String>,
    /// `DOCKER_HOST`: the CLI talks to a daemon elsewhere.
    pub docker_host: Option<String>,
}

/// The daemon group: is it running (and if not, why), its pid file, socket, the user's group,
/// its configuration, log, storage, disk space and network.
pub fn check_daemon(root: &HostRoot, facts: &LinuxFacts, opts: &DaemonOptions) -> Vec<Check> {
    let settings = config::Settings::read(root, facts);
    let daemon = service::find(root, facts);
    let mut checks = vec![service::running(
        root,
        facts,
        &daemon,
        opts.docker_host.as_deref(),
    )];
    if !daemon.installed && daemon.pid.is_none() {
        checks.push(config::daemon_json(root));
        return checks;
    }
    checks.extend(service::enabled(root, facts));
    checks.extend(service::pid_file(root, &settings, &daemon));
    let start = host::start_command(root, facts);
    checks.push(access::socket(
        root,
        &settings,
        daemon.pid.is_some(),
        &start,
    ));
    checks.push(access::group_membership(
        root,
        facts,
        &settings,
        opts.user.as_deref(),
    ));
    checks.push(config::daemon_json(root));
    checks.extend(config::daemon_config(&settings));
    checks.push(logs::check(root, facts, daemon.pid.is_some()));
    checks.push(storage::driver_on_fs(root, &settings));
    checks.push(storage::disk_space(root, &settings));
    checks.push(network::iptables(root, facts, &settings));
    checks.push(network::dns(root, &settings));
    checks.push(network::proxy(root, &settings, opts.shell_proxy.as_deref()));
    checks
}

/// The user doctor checks on a live machine: whoever ran sudo, else whoever runs dockup (from
/// the root's `/proc/self/status` and `/etc/passwd`).
pub fn invoking_user(root: &HostRoot) -> Option<String> {
    if root.is_live()
        && let Ok(name) = std::env::var("SUDO_USER")
        && !name.is_empty()
    {
        return Some(name);
    }
    let (uid, _) = host::self_ids(root)?;
    host::users(root)
        .into_iter()
        .find(|u| u.uid == uid)
        .map(|u| u.name)
}

/// Checks without which the report says little: when one is skipped, the doctor could not check.
const ESSENTIAL: [&str; 2] = ["kernel-version", "kernel-config"];

/// The overall answer, as an exit code: 0 healthy (warnings allowed), 1 problems found,
/// 2 could not check.
pub fn verdict(checks: &[Check]) -> u8 {
    if checks.iter().any(|c| c.status == Status::Fail) {
        1
    } else if checks
        .iter()
        .any(|c| c.status == Status::Skipped && ESSENTIAL.contains(&c.id.as_str()))
    {
        2
    } else {
        0
    }
}
