//! An already installed Docker: which packages (from the package databases under the root) and
//! which binaries. Package databases are read as files, so this works on any root; only the rpm
//! database (Berkeley DB or SQLite) needs the live `rpm` command.

use serde::{Deserialize, Serialize};

use super::HostRoot;

/// Packages that are Docker, or that get in the way of Docker's own packages.
const RELEVANT: &[&str] = &[
    "docker-ce",
    "docker-ce-cli",
    "docker-ce-rootless-extras",
    "containerd.io",
    "docker-buildx-plugin",
    "docker-compose-plugin",
    "docker.io",
    "docker-doc",
    "docker-compose",
    "docker-compose-v2",
    "docker-buildx",
    "podman-docker",
    "containerd",
    "runc",
    "docker-engine",
    "lxc-docker",
    "docker",
    "docker-io",
    "docker-client",
    "docker-client-latest",
    "docker-common",
    "docker-latest",
    "docker-latest-logrotate",
    "docker-logrotate",
    "moby-engine",
    "moby-cli",
    "podman",
    "docker-cli",
];

/// Packages a plan may need first: apt's https transport and CA bundle.
const SUPPORT: &[&str] = &["ca-certificates", "apt-transport-https"];

/// The package database is the one file here that is legitimately large.
const DPKG_STATUS_LIMIT: u64 = 256 << 20;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DockerInstall {
    /// Docker binaries found: `/usr/bin/docker`, `/usr/bin/dockerd`, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub binaries: Vec<String>,
    /// Installed packages that are Docker or conflict with it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<InstalledPackage>,
    /// Which database the packages came from (`dpkg`, `apk`, `pacman`, `rpm`), when one was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_db: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstalledPackage {
    pub name: String,
    pub version: String,
}

impl DockerInstall {
    pub fn is_installed(&self, name: &str) -> bool {
        self.packages.iter().any(|p| p.name == name)
    }

    pub fn version_of(&self, name: &str) -> Option<&str> {
        self.packages
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.version.as_str())
    }
}

/// Docker's packages and binaries, plus which of the `SUPPORT` packages are installed.
pub(super) fn gather(root: &HostRoot, problems: &mut Vec<String>) -> (DockerInstall, Vec<String>) {
    let mut support = Vec::new();
    let mut install = DockerInstall {
        binaries: binaries(root),
        ..DockerInstall::default()
    };
    match root.read_text("var/lib/dpkg/status", DPKG_STATUS_LIMIT) {
        Ok(Some(text)) => {
            let all = parse_dpkg_status(&text);
            support = all
                .iter()
                .filter(|p| SUPPORT.contains(&p.name.as_str()))
                .map(|p| p.name.clone())
                .collect();
            install.packages = all
                .into_iter()
                .filter(|p| RELEVANT.contains(&p.name.as_str()))
                .collect();
            install.package_db = Some("dpkg".into());
        }
        Ok(None) => {}
        Err(e) => problems.push(e.to_string()),
    }
    if install.package_db.is_none() {
        if let Ok(Some(text)) = root.read_text("lib/apk/db/installed", DPKG_STATUS_LIMIT) {
            install.packages = parse_apk_installed(&text);
            install.package_db = Some("apk".into());
        } else if root.is_dir("var/lib/pacman/local") {
            install.packages = parse_pacman_local(&root.list_dir("var/lib/pacman/local"));
            install.package_db = Some("pacman".into());
        } else if root.exists("usr/bin/rpm")
            && let Some(pkgs) = live_rpm_query(root)
        {
            install.packages = pkgs;
            install.package_db = Some("rpm".into());
        }
    }
    (install, support)
}

fn binaries(root: &HostRoot) -> Vec<String> {
    let mut dirs: Vec<String> = [
        "usr/local/sbin",
        "usr/local/bin",
        "usr/sbin",
        "usr/bin",
        "sbin",
        "bin",
        "snap/bin",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // `which` semantics on the live host: the user's PATH decides what `docker` means.
    if root.is_live()
        && let Some(path) = std::env::var_os("PATH")
    {
        for dir in std::env::split_paths(&path) {
            let d = dir.to_string_lossy().trim_start_matches('/').to_string();
            if !d.is_empty() && !dirs.contains(&d) {
                dirs.push(d);
            }
        }
    }
    let mut found = Vec::new();
    for dir in &dirs {
        for name in ["docker", "dockerd"] {
            let inner = format!("{dir}/{name}");
            if root.resolve(&inner).is_some_and(|p| p.is_file()) {
                let shown = format!("/{inner}");
                if !found.contains(&shown) {
                    found.push(shown);
                }
            }
        }
    }
    found
}

/// Installed packages from dpkg's status file (RFC 822-style paragraphs) that are Docker or that
/// a plan may need.
pub fn parse_dpkg_status(text: &str) -> Vec<InstalledPackage> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let (mut name, mut version, mut installed) = (None, None, false);
        for line in para.lines() {
            if let Some(v) = line.strip_prefix("Package: ") {
                name = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Version: ") {
                version = Some(v.trim());
            } else if let Some(v) = line.strip_prefix("Status: ") {
                installed = v.trim().ends_with(" installed");
            }
        }
        if let (Some(n), Some(v), true) = (name, version, installed)
            && (RELEVANT.contains(&n) || SUPPORT.contains(&n))
        {
            out.push(InstalledPackage {
                name: n.into(),
                version: v.into(),
            });
        }
    }
    out
}

fn parse_apk_installed(text: &str) -> Vec<InstalledPackage> {
    let mut out = Vec::new();
    for para in text.split("\n\n") {
        let name = para.lines().find_map(|l| l.strip_prefix("P:"));
        let version = para.lines().find_map(|l| l.strip_prefix("V:"));
        if let (Some(n), Some(v)) = (name, version)
            && RELEVANT.contains(&n)
        {
            out.push(InstalledPackage {
                name: n.into(),
                version: v.into(),
            });
        }
    }
    out
}

/// pacman keeps one directory per package, named `<name>-<pkgver>-<pkgrel>`.
fn parse_pacman_local(entries: &[String]) -> Vec<InstalledPackage> {
    entries
        .iter()
        .filter_map(|e| {
            let mut parts = e.rsplitn(3, '-');
            let rel = parts.next()?;
            let ver = parts.next()?;
            let name = parts.next()?;
            RELEVANT.contains(&name).then(|| InstalledPackage {
                name: name.into(),
                version: format!("{ver}-{rel}"),
            })
        })
        .collect()
}

/// The rpm database is Berkeley DB or SQLite depending on the release: only `rpm` reads both.
fn live_rpm_query(root: &HostRoot) -> Option<Vec<InstalledPackage>> {
    let out = root.probe(&["rpm", "-qa", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\\n"])?;
    Some(
        out.stdout_text()
            .lines()
            .filter_map(|l| l.split_once(' '))
            .filter(|(n, _)| RELEVANT.contains(n))
            .map(|(n, v)| InstalledPackage {
                name: n.into(),
                version: v.into(),
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_keeps_installed_docker_packages_only() {
        let text = "Package: docker.io\nStatus: install ok installed\nVersion: 20.10.24+dfsg1-1+b3\n\n\
                    Package: bash\nStatus: install ok installed\nVersion: 5.2\n\n\
                    Package: runc\nStatus: deinstall ok config-files\nVersion: 1.1\n";
        let pkgs = parse_dpkg_status(text);
        assert_eq!(pkgs.len(), 1, "{pkgs:?}");
        assert_eq!(pkgs[0].name, "docker.io");
        assert_eq!(pkgs[0].version, "20.10.24+dfsg1-1+b3");
    }

    #[test]
    fn pacman_dirs() {
        let pkgs = parse_pacman_local(&["docker-1:27.3.1-1".into(), "glibc-2.40-1".into()]);
        assert_eq!(pkgs.len(), 1);
        assert_eq!(pkgs[0].version, "1:27.3.1-1");
    }
}
