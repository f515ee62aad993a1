//! Which init system starts services. What is *running* decides how dockup starts the daemon
//! (a chroot or a container has systemd installed but not running); what is *installed* is the
//! fallback when the root is a tree that is not booted (a fixture, a golden image).

use serde::{Deserialize, Serialize};

use super::HostRoot;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InitSystem {
    Systemd,
    Openrc,
    Sysvinit,
    Upstart,
    Runit,
    /// PID 1 is something else (a container entrypoint, a sandbox): nothing manages services.
    None,
    /// Nothing under the root tells.
    Unknown,
}

impl InitSystem {
    pub fn name(&self) -> &'static str {
        match self {
            InitSystem::Systemd => "systemd",
            InitSystem::Openrc => "OpenRC",
            InitSystem::Sysvinit => "sysvinit",
            InitSystem::Upstart => "upstart",
            InitSystem::Runit => "runit",
            InitSystem::None => "none",
            InitSystem::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InitFacts {
    pub running: InitSystem,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid1: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub installed: Vec<InitSystem>,
}

impl Default for InitFacts {
    fn default() -> Self {
        InitFacts {
            running: InitSystem::Unknown,
            pid1: None,
            installed: Vec::new(),
        }
    }
}

impl InitFacts {
    /// The init system a plan should drive.
    pub fn effective(&self) -> InitSystem {
        match self.running {
            InitSystem::Unknown => self
                .installed
                .first()
                .copied()
                .unwrap_or(InitSystem::Unknown),
            running => running,
        }
    }
}

pub(super) fn gather(root: &HostRoot) -> InitFacts {
    let pid1 = root
        .read_text("proc/1/comm", 4096)
        .ok()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let installed = installed(root);
    let running = if root.is_dir("run/systemd/system") {
        InitSystem::Systemd
    } else {
        match pid1.as_deref() {
            Some("systemd") => InitSystem::Systemd,
            Some("runit" | "runit-init") => InitSystem::Runit,
            Some("openrc-init") => InitSystem::Openrc,
            Some("init") if root.exists("run/openrc") => InitSystem::Openrc,
            Some("init") if installed.contains(&InitSystem::Upstart) => InitSystem::Upstart,
            Some("init") => InitSystem::Sysvinit,
            Some(_) => InitSystem::None,
            None => InitSystem::Unknown,
        }
    };
    InitFacts {
        running,
        pid1,
        installed,
    }
}

fn installed(root: &HostRoot) -> Vec<InitSystem> {
    let mut found = Vec::new();
    if root.exists("usr/lib/systemd/systemd") || root.exists("lib/systemd/systemd") {
        found.push(InitSystem::Systemd);
    }
    if root.exists("sbin/openrc") || root.exists("usr/sbin/openrc") {
        found.push(InitSystem::Openrc);
    }
    if root.exists("sbin/initctl") && root.is_dir("etc/init") {
        found.push(InitSystem::Upstart);
    }
    if root.exists("sbin/runit") || root.exists("usr/bin/runit") {
        found.push(InitSystem::Runit);
    }
    if found.is_empty() && root.is_dir("etc/init.d") && root.exists("sbin/init") {
        found.push(InitSystem::Sysvinit);
    }
    found
}
