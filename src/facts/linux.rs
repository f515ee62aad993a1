//! Linux facts, read from files under a root.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Arch, DockerInstall, HostRoot, InitFacts, KernelVersion, Virtualization};
use super::{docker, init, os_release, virt};

/// Identity files are a few hundred bytes; anything far larger is not one.
const SMALL_FILE: u64 = 64 << 10;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LinuxFacts {
    /// The parsed os-release, as key → value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release: Option<BTreeMap<String, String>>,
    /// Which file it came from: `/etc/os-release` or `/usr/lib/os-release`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_release_path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lsb_release: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redhat_release: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debian_version: Option<String>,
    /// `uname -r`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// `uname -m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kernel_arch: Option<Arch>,
    /// What the installed programs are built for (can differ from the kernel's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userland_arch: Option<Arch>,
    #[serde(default)]
    pub init: InitFacts,
    #[serde(default)]
    pub docker: DockerInstall,
    /// Installed packages a plan may need first (`ca-certificates`, `apt-transport-https`);
    /// meaningful only when `docker.package_db` says a database was read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub support_packages: Vec<String>,
    #[serde(default)]
    pub virtualization: Virtualization,
    /// Alpine's `/etc/apk/repositories`, so a plan can enable `community` where Docker lives.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apk_repositories: Vec<String>,
    /// Files that exist but could not be used, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl LinuxFacts {
    pub fn kernel_version(&self) -> Option<KernelVersion> {
        self.kernel.as_deref().and_then(KernelVersion::parse)
    }

    /// The architecture packages must be built for.
    pub fn arch(&self) -> Option<&Arch> {
        self.userland_arch.as_ref().or(self.kernel_arch.as_ref())
    }

    /// An os-release field, ignoring empty values.
    pub fn os_field(&self, key: &str) -> Option<&str> {
        self.os_release
            .as_ref()
            .and_then(|m| m.get(key))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

pub(super) fn gather(root: &HostRoot) -> LinuxFacts {
    let mut facts = LinuxFacts::default();
    let mut problems = Vec::new();
    let mut small = |inner: &str| match root.read_text(inner, SMALL_FILE) {
        Ok(text) => text,
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };

    for path in ["etc/os-release", "usr/lib/os-release"] {
        if let Some(text) = small(path) {
            facts.os_release = Some(os_release::parse(&text));
            facts.os_release_path = Some(format!("/{path}"));
            break;
        }
    }
    facts.lsb_release = small("etc/lsb-release").map(|t| os_release::parse(&t));
    facts.redhat_release = small("etc/redhat-release").map(|t| first_line(&t));
    facts.debian_version = small("etc/debian_version").map(|t| first_line(&t));
    facts.kernel = small("proc/sys/kernel/osrelease")
        .map(|t| first_line(&t))
        .filter(|k| !k.is_empty());
    facts.kernel_arch = small("proc/sys/kernel/arch")
        .map(|t| first_line(&t))
        .filter(|a| !a.is_empty())
        .map(|a| Arch::from_kernel_name(&a));
    facts.apk_repositories = small("etc/apk/repositories")
        .map(|t| t.lines().map(|l| l.trim().to_string()).collect())
        .unwrap_or_default();

    // /proc/sys/kernel/arch only exists since Linux 6.1; older live kernels answer through uname.
    if facts.kernel_arch.is_none() {
        facts.kernel_arch = root
            .probe(&["uname", "-m"])
            .map(|out| Arch::from_kernel_name(out.stdout_text().trim()));
    }
    facts.userland_arch = userland_arch(root);
    facts.init = init::gather(root);
    (facts.docker, facts.support_packages) = docker::gather(root, &mut problems);
    facts.virtualization = virt::gather(root, facts.kernel.as_deref());
    facts.problems = problems;
    facts
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

fn userland_arch(root: &HostRoot) -> Option<Arch> {
    ["usr/bin/dpkg", "bin/sh", "usr/bin/env", "bin/busybox"]
        .iter()
        .find_map(|p| {
            let header = root.read_bytes_prefix(p, 20)?;
            Arch::from_elf_header(&header)
        })
}
