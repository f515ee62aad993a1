//! Package managers and the exact commands an expert types for each.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManager {
    Apt,
    Dnf,
    Dnf5,
    Yum,
    Zypper,
    Apk,
    Pacman,
    Emerge,
    Xbps,
    Tdnf,
    Swupd,
}

impl PackageManager {
    pub fn name(&self) -> &'static str {
        match self {
            PackageManager::Apt => "apt",
            PackageManager::Dnf => "dnf",
            PackageManager::Dnf5 => "dnf5",
            PackageManager::Yum => "yum",
            PackageManager::Zypper => "zypper",
            PackageManager::Apk => "apk",
            PackageManager::Pacman => "pacman",
            PackageManager::Emerge => "emerge",
            PackageManager::Xbps => "xbps",
            PackageManager::Tdnf => "tdnf",
            PackageManager::Swupd => "swupd",
        }
    }

    /// argv installing `packages` without prompting.
    pub fn install_argv(&self, packages: &[String]) -> Vec<String> {
        let mut argv = strings(match self {
            PackageManager::Apt => &["apt-get", "install", "-y"],
            PackageManager::Dnf => &["dnf", "install", "-y"],
            PackageManager::Dnf5 => &["dnf5", "install", "-y"],
            PackageManager::Yum => &["yum", "install", "-y"],
            PackageManager::Zypper => &["zypper", "--non-interactive", "install"],
            PackageManager::Apk => &["apk", "add"],
            PackageManager::Pacman => &["pacman", "-S", "--needed", "--noconfirm"],
            PackageManager::Emerge => &["emerge", "--noreplace"],
            PackageManager::Xbps => &["xbps-install", "-y"],
            PackageManager::Tdnf => &["tdnf", "install", "-y"],
            PackageManager::Swupd => &["swupd", "bundle-add"],
        });
        argv.extend(packages.iter().cloned());
        argv
    }

    pub fn remove_argv(&self, packages: &[String]) -> Vec<String> {
        let mut argv = strings(match self {
            PackageManager::Apt => &["apt-get", "remove", "-y"],
            PackageManager::Dnf => &["dnf", "remove", "-y"],
            PackageManager::Dnf5 => &["dnf5", "remove", "-y"],
            PackageManager::Yum => &["yum", "remove", "-y"],
            PackageManager::Zypper => &["zypper", "--non-interactive", "remove"],
            PackageManager::Apk => &["apk", "del"],
            PackageManager::Pacman => &["pacman", "-R", "--noconfirm"],
            PackageManager::Emerge => &["emerge", "--depclean"],
            PackageManager::Xbps => &["xbps-remove", "-y"],
            PackageManager::Tdnf => &["tdnf", "remove", "-y"],
            PackageManager::Swupd => &["swupd", "bundle-remove"],
        });
        argv.extend(packages.iter().cloned());
        argv
    }

    /// Like `remove_argv`, but apt also deletes the packages' configuration files.
    pub fn purge_argv(&self, packages: &[String]) -> Vec<String> {
        let mut argv = self.remove_argv(packages);
        if *self == PackageManager::Apt {
            argv[1] = "purge".into();
        }
        argv
    }

    /// argv refreshing the package index, for managers where installing does not do it.
    pub fn refresh_argv(&self) -> Option<Vec<String>> {
        Some(strings(match self {
            PackageManager::Apt => &["apt-get", "update"],
            PackageManager::Apk => &["apk", "update"],
            PackageManager::Pacman => &["pacman", "-Sy"],
            PackageManager::Xbps => &["xbps-install", "-S"],
            PackageManager::Emerge => &["emerge", "--sync"],
            PackageManager::Zypper => &["zypper", "--non-interactive", "refresh"],
            // dnf, yum, tdnf and swupd refresh stale metadata on their own.
            _ => return None,
        }))
    }

    /// apt-get update reading only one sources file: Docker's, when the rest is fresh.
    pub fn apt_update_only(source: &str) -> Vec<String> {
        vec![
            "apt-get".into(),
            "update".into(),
            format!("-o=Dir::Etc::sourcelist={source}"),
            "-o=Dir::Etc::sourceparts=-".into(),
            "-o=APT::Get::List-Cleanup=0".into(),
        ]
    }

    /// argv listing every version of `package` the repositories offer.
    pub fn versions_argv(&self, package: &str) -> Option<Vec<String>> {
        Some(match self {
            PackageManager::Apt => strings(&["apt-cache", "madison", package]),
            PackageManager::Dnf | PackageManager::Dnf5 | PackageManager::Yum => {
                strings(&[self.name(), "list", "--showduplicates", "--quiet", package])
            }
            PackageManager::Zypper => strings(&[
                "zypper",
                "--quiet",
                "search",
                "-s",
                "--match-exact",
                package,
            ]),
            _ => return None,
        })
    }

    /// Environment an unattended run needs (debconf must not ask).
    pub fn env(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            PackageManager::Apt => &[("DEBIAN_FRONTEND", "noninteractive")],
            _ => &[],
        }
    }

    /// `name=version` (apt) or `name-version` (rpm) for a pinned package.
    pub fn pinned(&self, name: &str, version: &str) -> String {
        match self {
            PackageManager::Apt | PackageManager::Zypper => format!("{name}={version}"),
            _ => format!("{name}-{version}"),
        }
    }

    /// argv installing exactly these pinned packages, older than what is installed if need be
    /// (dnf and yum downgrade to an exact version without being told).
    pub fn install_pinned_argv(&self, packages: &[String]) -> Vec<String> {
        let mut argv = self.install_argv(packages);
        let flag = match self {
            PackageManager::Apt => Some("--allow-downgrades"),
            PackageManager::Zypper => Some("--oldpackage"),
            _ => None,
        };
        if let Some(flag) = flag {
            // After the subcommand: `apt-get install`, `zypper --non-interactive install`.
            let at = argv
                .iter()
                .position(|a| a == "install")
                .map_or(argv.len(), |i| i + 1);
            argv.insert(at, flag.into());
        }
        argv
    }
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}
