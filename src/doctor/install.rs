//! The install group: which Docker is installed and from where, whether packages that exclude
//! each other are both there, and whether Docker's repository definition and signing key are
//! the ones this machine needs. Plus daemon.json, which breaks a daemon silently when it is not
//! valid JSON.

use std::path::Path;

use super::{Check, Status};
use crate::exec::fsops;
use crate::exec::keys;
use crate::facts::{HostRoot, LinuxFacts};
use crate::plan::Fingerprint;
use crate::platform::{Catalog, Decision, RepoFormat};

const DOCKER_LIST: &str = "etc/apt/sources.list.d/docker.list";

pub fn check_install(
    root: &HostRoot,
    facts: &LinuxFacts,
    decision: &Decision,
    catalog: &Catalog,
    key_fingerprint: Option<&Fingerprint>,
) -> Vec<Check> {
    let mut checks = vec![packages(facts, catalog)];
    if let Some(repo) = &decision.repo_choice
        && repo.format == RepoFormat::Apt
    {
        checks.extend(apt_repo(
            root,
            facts,
            &repo.release,
            &repo.target,
            catalog,
            key_fingerprint,
        ));
    }
    checks.push(daemon_json(root));
    checks
}

fn packages(facts: &LinuxFacts, catalog: &Catalog) -> Check {
    let docker = &facts.docker;
    let ours = docker.version_of("docker-ce");
    let theirs: Vec<&str> = [
        "docker.io",
        "moby-engine",
        "docker",
        "podman-docker",
        "docker-engine",
    ]
    .into_iter()
    .filter(|p| docker.is_installed(p))
    .collect();
    match (ours, theirs.as_slice()) {
        (Some(v), []) => Check::new(
            "docker-packages",
            "install",
            Status::Ok,
            format!("docker-ce {v}, from Docker's repository"),
        ),
        (Some(_), conflicting) => {
            let conflicting: Vec<String> = conflicting
                .iter()
                .filter(|p| {
                    catalog
                        .conflicts
                        .apt
                        .iter()
                        .chain(&catalog.conflicts.rpm)
                        .any(|c| c == *p)
                })
                .map(|p| p.to_string())
                .collect();
            Check::new(
                "docker-packages",
                "install",
                Status::Fail,
                format!(
                    "docker-ce and {} are both installed: they ship the same files and services",
                    conflicting.join(", ")
                ),
            )
            .with_fix(format!(
                "apt-get remove -y {}   # or dnf remove; images and containers are kept",
                conflicting.join(" ")
            ))
        }
        (None, [one, ..]) => Check::new(
            "docker-packages",
            "install",
            Status::Ok,
            format!(
                "{one} {}, the distribution's package",
                docker.version_of(one).unwrap_or("")
            ),
        ),
        (None, []) if !docker.binaries.is_empty() => Check::new(
            "docker-packages",
            "install",
            Status::Warn,
            format!(
                "Docker binaries not owned by any package: {}",
                docker.binaries.join(", ")
            ),
        )
        .with_fix("nothing updates them: prefer `dockup install`, which uses a package"),
        (None, []) => Check::new(
            "docker-packages",
            "install",
            Status::Warn,
            "Docker is not installed",
        )
        .with_fix("dockup install"),
    }
}

fn apt_repo(
    root: &HostRoot,
    facts: &LinuxFacts,
    release: &str,
    target: &str,
    catalog: &Catalog,
    key_fingerprint: Option<&Fingerprint>,
) -> Vec<Check> {
    let Ok(Some(list)) = root.read_text(DOCKER_LIST, 64 << 10) else {
        let status = if facts.docker.is_installed("docker-ce") {
            Status::Warn
        } else {
            Status::Skipped
        };
        return vec![
            Check::new(
                "repo-file",
                "install",
                status,
                "no /etc/apt/sources.list.d/docker.list: Docker's repository is not configured",
            )
            .with_fix("dockup install   # writes it, with the signing key"),
        ];
    };
    let Some(line) = list.lines().map(str::trim).find(|l| l.starts_with("deb ")) else {
        return vec![
            Check::new(
                "repo-file",
                "install",
                Status::Fail,
                "/etc/apt/sources.list.d/docker.list has no `deb` line",
            )
            .with_fix("rm /etc/apt/sources.list.d/docker.list && dockup install"),
        ];
    };
    // deb [options] URI SUITE COMPONENT...
    let words: Vec<&str> = line
        .split(']')
        .next_back()
        .unwrap_or(line)
        .split_whitespace()
        .filter(|w| *w != "deb")
        .collect();
    let (uri, suite) = (
        words.first().copied().unwrap_or(""),
        words.get(1).copied().unwrap_or(""),
    );
    let mut checks = Vec::new();
    let expected_tree = format!("/linux/{target}");
    checks.push(if suite != release || !uri.ends_with(&expected_tree) {
        Check::new(
            "repo-file",
            "install",
            Status::Fail,
            format!("docker.list points at {uri} {suite}, but this machine needs {target}/{release}: apt will fail or install the wrong builds"),
        )
        .with_fix("rm /etc/apt/sources.list.d/docker.list && dockup install")
    } else {
        Check::new("repo-file", "install", Status::Ok, format!("docker.list: {uri} {suite}"))
    });
    let key_path = line
        .split_whitespace()
        .find_map(|w| {
            w.trim_start_matches('[')
                .trim_end_matches(']')
                .strip_prefix("signed-by=")
        })
        .unwrap_or(&catalog.keys.apt.path)
        .to_string();
    let pinned: Option<Fingerprint> = key_fingerprint
        .cloned()
        .or_else(|| catalog.keys.apt.fingerprint.parse().ok());
    checks.push(match (root.read_bytes(&key_path, 1 << 20), pinned) {
        (Ok(Some(bytes)), Some(fpr)) => match keys::verify(&bytes, &fpr, &key_path) {
            Ok(_) => Check::new(
                "repo-key",
                "install",
                Status::Ok,
                format!("{key_path} holds the pinned key {fpr}"),
            ),
            Err(e) => Check::new(
                "repo-key",
                "install",
                Status::Fail,
                e.to_string().replace('\n', "; "),
            )
            .with_fix(format!(
                "rm {key_path} && dockup install   # a mirror that re-signs: add --key-fingerprint"
            )),
        },
        (Ok(None), _) => Check::new(
            "repo-key",
            "install",
            Status::Fail,
            format!("{key_path}, named by docker.list, does not exist: apt refuses the repository"),
        )
        .with_fix("dockup install"),
        _ => Check::new(
            "repo-key",
            "install",
            Status::Skipped,
            format!("{key_path} could not be read"),
        ),
    });
    checks
}

fn daemon_json(root: &HostRoot) -> Check {
    let inner = "etc/docker/daemon.json";
    match root.read_text(inner, 1 << 20) {
        Ok(None) => Check::new(
            "daemon-json",
            "daemon",
            Status::Ok,
            "no /etc/docker/daemon.json: the daemon's defaults apply",
        ),
        Ok(Some(text)) => {
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(serde_json::Value::Object(_)) => Check::new(
                    "daemon-json",
                    "daemon",
                    Status::Ok,
                    "/etc/docker/daemon.json is valid",
                ),
                Ok(_) => Check::new(
                    "daemon-json",
                    "daemon",
                    Status::Fail,
                    "/etc/docker/daemon.json is JSON but not an object: dockerd will not start",
                ),
                Err(e) => {
                    let backup = fsops::backup_path(
                        Path::new(fsops::BACKUP_ROOT),
                        Path::new("/etc/docker/daemon.json"),
                    );
                    let fix = if root.exists(&backup.to_string_lossy()) {
                        format!(
                            "cp {} /etc/docker/daemon.json   # dockup's backup from before it last changed the file",
                            backup.display()
                        )
                    } else {
                        format!("fix the JSON at line {}, column {}", e.line(), e.column())
                    };
                    Check::new("daemon-json", "daemon", Status::Fail, format!("/etc/docker/daemon.json is not valid JSON ({e}): dockerd will not start"))
                    .with_fix(fix)
                }
            }
        }
        Err(e) => Check::new("daemon-json", "daemon", Status::Skipped, e.to_string()),
    }
}
