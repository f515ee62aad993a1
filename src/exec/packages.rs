//! Asking the package manager what is installed and what the repository offers.

use super::CommandRunner;
use crate::plan::{PackageManager, VersionReq};

/// The installed version of `package`, or `None` when it is not installed.
pub fn installed_version(
    runner: &dyn CommandRunner,
    manager: PackageManager,
    package: &str,
) -> Option<String> {
    match manager {
        PackageManager::Apt => {
            let out = runner
                .run(&["dpkg-query", "-W", "-f=${Status}\t${Version}", package])
                .ok()?;
            if !out.success() {
                return None;
            }
            let text = out.stdout_text();
            let (status, version) = text.split_once('\t')?;
            status
                .ends_with(" installed")
                .then(|| version.trim().to_string())
        }
        PackageManager::Dnf
        | PackageManager::Dnf5
        | PackageManager::Yum
        | PackageManager::Zypper
        | PackageManager::Tdnf => {
            let out = runner
                .run(&["rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", package])
                .ok()?;
            out.success().then(|| out.stdout_text().trim().to_string())
        }
        PackageManager::Apk => {
            let out = runner.run(&["apk", "info", "-e", package]).ok()?;
            (out.success() && !out.stdout.is_empty()).then(|| "installed".to_string())
        }
        PackageManager::Pacman => {
            let out = runner.run(&["pacman", "-Q", package]).ok()?;
            let text = out.stdout_text();
            out.success()
                .then(|| text.split_whitespace().nth(1).unwrap_or("").to_string())
        }
        _ => None,
    }
}

/// Every version of `package` the configured repositories offer, newest first.
pub fn available_versions(
    runner: &dyn CommandRunner,
    manager: PackageManager,
    package: &str,
) -> Result<Vec<String>, String> {
    let argv = manager
        .versions_argv(package)
        .ok_or_else(|| format!("{} cannot list versions", manager.name()))?;
    let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = runner.run(&argv).map_err(|e| e.to_string())?;
    if !out.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    let text = out.stdout_text();
    Ok(match manager {
        PackageManager::Apt => parse_madison(&text),
        PackageManager::Zypper => parse_zypper_search(&text),
        _ => parse_dnf_list(&text, package),
    })
}

/// `docker-ce | 5:27.3.1-1~debian.12~bookworm | http://... bookworm/stable amd64 Packages`
pub fn parse_madison(text: &str) -> Vec<String> {
    let mut versions: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut cols = line.split('|').map(str::trim);
        if let (Some(_), Some(v)) = (cols.next(), cols.next())
            && !v.is_empty()
            && !versions.iter().any(|x| x == v)
        {
            versions.push(v.to_string());
        }
    }
    versions
}

/// `docker-ce.x86_64   3:27.3.1-1.el9   docker-ce-stable`, oldest first as dnf prints them.
fn parse_dnf_list(text: &str, package: &str) -> Vec<String> {
    let mut versions: Vec<String> = text
        .lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let name = cols.next()?;
            let version = cols.next()?;
            name.starts_with(&format!("{package}."))
                .then(|| version.to_string())
        })
        .collect();
    versions.reverse();
    versions.dedup();
    versions
}

/// `v | docker | package | 27.3.1-1.1 | x86_64 | repo`
fn parse_zypper_search(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('|').map(str::trim).collect();
            (cols.len() >= 4 && cols[2] == "package").then(|| cols[3].to_string())
        })
        .collect()
}

/// The newest offered version matching the request.
pub fn resolve(requested: &VersionReq, offered: &[String]) -> Option<String> {
    offered.iter().find(|v| requested.matches(v)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn madison_lines() {
        let text = " docker-ce | 5:27.3.1-1~debian.12~bookworm | http://127.0.0.1:8080/linux/debian bookworm/stable amd64 Packages\n \
                     docker-ce | 5:24.0.7-1~debian.12~bookworm | http://127.0.0.1:8080/linux/debian bookworm/stable amd64 Packages\n";
        let v = parse_madison(text);
        assert_eq!(
            v,
            [
                "5:27.3.1-1~debian.12~bookworm",
                "5:24.0.7-1~debian.12~bookworm"
            ]
        );
        assert_eq!(
            resolve(&"24.0".parse().unwrap(), &v).as_deref(),
            Some("5:24.0.7-1~debian.12~bookworm")
        );
        assert_eq!(resolve(&"24.04".parse().unwrap(), &v), None);
    }

    #[test]
    fn dnf_lines() {
        let text = "Available Packages\ndocker-ce.x86_64  3:26.1.3-1.el9  docker-ce-stable\ndocker-ce.x86_64  3:27.3.1-1.el9  docker-ce-stable\n";
        assert_eq!(
            parse_dnf_list(text, "docker-ce"),
            ["3:27.3.1-1.el9", "3:26.1.3-1.el9"]
        );
    }
}
