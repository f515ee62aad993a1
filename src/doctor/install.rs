//! The install group: which Docker is installed and from where, whether packages that exclude
//! each other are both there, and whether Docker's repository definition and signing key are
//! the ones this machine needs; Dockers that are not packages (snap, Docker Desktop, podman's
//! shim, binaries in /usr/local/bin); and how the last `dockup` run ended.

use super::{Check, Status};
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
    checks.extend(other_installs(root, facts));
    checks.push(last_run(root));
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

/// Dockers installed some other way than a package, and what they clash with.
fn other_installs(root: &HostRoot, facts: &LinuxFacts) -> Option<Check> {
    let id = "docker-other-installs";
    let packaged = ["docker-ce", "docker.io", "moby-engine", "docker"]
        .iter()
        .any(|p| facts.docker.is_installed(p));
    let snap = root.exists("snap/bin/docker")
        || root
            .list_dir("var/lib/snapd/snaps")
            .iter()
            .any(|n| n.starts_with("docker_"));
    let desktop = root.is_dir("opt/docker-desktop");
    let shim = root
        .read_text("usr/bin/docker", 4096)
        .ok()
        .flatten()
        .is_some_and(|t| t.starts_with("#!") && t.contains("podman"));
    let local: Vec<&String> = facts
        .docker
        .binaries
        .iter()
        .filter(|b| b.starts_with("/usr/local/"))
        .collect();
    if snap && packaged {
        return Some(
            Check::new(id, "install", Status::Fail, "Docker's snap and a Docker package are both installed: two daemons fight over /var/run/docker.sock")
                .with_fix("snap remove --purge docker   # or remove the package; keep one"),
        );
    }
    if shim && packaged {
        return Some(
            Check::new(id, "install", Status::Fail, "/usr/bin/docker is podman's docker shim, not Docker's CLI")
                .with_fix("apt-get remove -y podman-docker   # or dnf remove podman-docker; then reinstall docker-ce-cli"),
        );
    }
    if packaged && !local.is_empty() {
        let names = local
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        return Some(
            Check::new(id, "install", Status::Warn, format!("{names} shadow the packaged Docker in PATH: `docker` runs a binary no package updates"))
                .with_fix(format!("rm {}", names.replace(", ", " "))),
        );
    }
    let kind = if snap {
        "Docker's snap (snap services docker)"
    } else if desktop {
        "Docker Desktop for Linux (/opt/docker-desktop): its VM runs the daemon, not this host"
    } else if shim {
        "podman's docker shim (podman-docker): `docker` runs podman"
    } else {
        return None;
    };
    Some(Check::new(id, "install", Status::Ok, kind))
}

/// `dockup-last-run`: how the last install or uninstall ended, from dockup's own log.
fn last_run(root: &HostRoot) -> Check {
    let id = "dockup-last-run";
    let log = "var/log/dockup/dockup.log";
    let Ok(Some(text)) = root.read_text(log, 64 << 20) else {
        return Check::new(
            id,
            "install",
            Status::Skipped,
            "dockup has not run on this machine (no /var/log/dockup/dockup.log)",
        );
    };
    // Each run starts with "[secs] dockup VERSION VERB: STRATEGY on OS".
    let lines: Vec<&str> = text.lines().collect();
    let Some(start) = lines.iter().rposition(|l| {
        l.split_once("] ")
            .is_some_and(|(_, rest)| rest.starts_with("dockup ") && rest.contains(": "))
    }) else {
        return Check::new(
            id,
            "install",
            Status::Skipped,
            "/var/log/dockup/dockup.log has no run in it",
        );
    };
    let run = &lines[start..];
    let what = run[0].split_once("] dockup ").map_or("", |(_, r)| r);
    let what = what.split_once(' ').map_or(what, |(_, r)| r);
    match run.iter().rev().find_map(|l| l.split_once("] failed: ").map(|(_, e)| e)) {
        Some(error) => Check::new(id, "install", Status::Fail, format!("the last dockup run ({what}) failed: {error}"))
            .with_fix("read /var/log/dockup/dockup.log; rerunning the same command completes an interrupted run"),
        None => Check::new(id, "install", Status::Ok, format!("the last dockup run ({what}) finished: {}", run.last().map_or("", |l| l.split_once("] ").map_or(*l, |(_, r)| r)))),
    }
}
