//! `dockup doctor --fix`: the few fixes that are safe to apply unasked-about beyond a yes/no
//! (start the daemon, add the user to the docker group, restore daemon.json from dockup's backup,
//! remove a stale pid file). Everything else stays a command printed for a person to judge.
//! Under `--root DIR` files are changed inside DIR and nothing is started.

use std::path::PathBuf;

use super::host;
use crate::exec::{CommandRunner, SystemRunner};
use crate::facts::{HostRoot, InitSystem, LinuxFacts};

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `direct`: run dockerd itself rather than through the init system (whose script fails).
    StartDaemon {
        direct: bool,
    },
    AddToGroup {
        user: String,
        group: String,
        create: bool,
    },
    RestoreDaemonJson {
        backup: String,
    },
    /// `pid`: what the file held, checked again before removing it.
    RemovePidFile {
        path: String,
        pid: Option<u32>,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error("nothing is started under --root: start the daemon on the machine itself")]
    NotLive,
    #[error("`{command}` failed: {why}")]
    Command { command: String, why: String },
    #[error("cannot change {path}: {why}")]
    File { path: String, why: String },
    #[error("{0}")]
    Refused(String),
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::StartDaemon { direct: true } => {
                "start dockerd directly (its log: /var/log/docker.log)".into()
            }
            Action::StartDaemon { direct: false } => "start the docker service".into(),
            Action::AddToGroup {
                user,
                group,
                create: true,
            } => format!("create the {group} group and add {user} to it"),
            Action::AddToGroup { user, group, .. } => format!("add {user} to the {group} group"),
            Action::RestoreDaemonJson { backup } => format!(
                "restore /etc/docker/daemon.json from {backup} (the broken one is kept as daemon.json.broken)"
            ),
            Action::RemovePidFile { path, .. } => format!("remove the stale {path}"),
        }
    }

    /// Applies the fix; `Ok` says what was done.
    pub fn apply(&self, root: &HostRoot, facts: &LinuxFacts) -> Result<String, FixError> {
        match self {
            Action::StartDaemon { direct } => start(root, facts, *direct),
            Action::AddToGroup {
                user,
                group,
                create,
            } => add_to_group(root, facts, user, group, *create),
            Action::RestoreDaemonJson { backup } => restore(root, backup),
            Action::RemovePidFile { path, pid } => remove_pid_file(root, path, *pid),
        }
    }
}

fn run(argv: &[&str]) -> Result<(), FixError> {
    let command = argv.join(" ");
    let out = SystemRunner.run(argv).map_err(|e| FixError::Command {
        command: command.clone(),
        why: e.to_string(),
    })?;
    if out.success() {
        Ok(())
    } else {
        Err(FixError::Command {
            command,
            why: format!(
                "{}{}",
                out.stdout_text().trim(),
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        })
    }
}

fn start(root: &HostRoot, facts: &LinuxFacts, direct: bool) -> Result<String, FixError> {
    if !root.is_live() {
        return Err(FixError::NotLive);
    }
    if !direct {
        let argv: &[&str] = match facts.init.effective() {
            InitSystem::Systemd => &["systemctl", "start", "docker"],
            InitSystem::Openrc => &["rc-service", "docker", "start"],
            _ => &["service", "docker", "start"],
        };
        run(argv)?;
        // An init script returns once dockerd is forked: done is when it answers.
        crate::exec::daemon::wait_until_answers(|| None).map_err(|why| FixError::Command {
            command: argv.join(" "),
            why: format!("{why}; `dockup doctor` again says why"),
        })?;
        return Ok(format!("ran {}; dockerd answers", argv.join(" ")));
    }
    // Started as dockup starts it where no init system runs: detached, logging to a file.
    let log = "/var/log/docker.log";
    let argv = ["dockerd", "-p", crate::exec::daemon::PIDFILE].map(String::from);
    crate::exec::daemon::start_detached(&argv, std::path::Path::new(log)).map_err(|why| {
        FixError::Command {
            command: "dockerd".into(),
            why,
        }
    })?;
    Ok(format!("started dockerd, logging to {log}"))
}

fn add_to_group(
    root: &HostRoot,
    facts: &LinuxFacts,
    user: &str,
    group: &str,
    create: bool,
) -> Result<String, FixError> {
    let alpine = host::family(facts) == host::Family::Alpine;
    if root.is_live() {
        if create {
            if alpine {
                run(&["addgroup", "-S", group])?;
            } else {
                run(&["groupadd", "--system", group])?;
            }
        }
        if alpine {
            run(&["addgroup", user, group])?;
        } else {
            run(&["usermod", "-aG", group, user])?;
        }
        return Ok(format!(
            "added {user} to {group}; it takes effect at the next login (or: newgrp {group})"
        ));
    }
    // A tree: edit its /etc/group (and /etc/gshadow, which must agree) directly.
    let edited = edit_group_file(root, "etc/group", user, group, create)?;
    if root.exists("etc/gshadow") {
        edit_group_file(root, "etc/gshadow", user, group, create)?;
    }
    Ok(edited)
}

fn edit_group_file(
    root: &HostRoot,
    inner: &str,
    user: &str,
    group: &str,
    create: bool,
) -> Result<String, FixError> {
    let path = real_path(root, inner)?;
    let fail = |e: std::io::Error| FixError::File {
        path: format!("/{inner}"),
        why: e.to_string(),
    };
    let text = std::fs::read_to_string(&path).map_err(fail)?;
    let shadow = inner.ends_with("gshadow");
    let mut found = false;
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&group) || fields.len() < 4 {
                return line.to_string();
            }
            found = true;
            let mut members: Vec<&str> = fields[3].split(',').filter(|m| !m.is_empty()).collect();
            if !members.contains(&user) {
                members.push(user);
            }
            format!(
                "{}:{}:{}:{}",
                fields[0],
                fields[1],
                fields[2],
                members.join(",")
            )
        })
        .collect();
    if !found {
        if !create {
            return Err(FixError::Refused(format!(
                "there is no {group} group in /{inner}"
            )));
        }
        let line = if shadow {
            format!("{group}:!::{user}")
        } else {
            format!("{group}:x:{}:{user}", free_system_gid(root))
        };
        lines.push(line);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    std::fs::write(&path, out).map_err(fail)?;
    Ok(format!("added {user} to {group} in /{inner}"))
}

/// The highest free gid below 1000, as `groupadd --system` picks.
fn free_system_gid(root: &HostRoot) -> u32 {
    let used: Vec<u32> = host::groups(root).iter().map(|g| g.gid).collect();
    (100..1000).rev().find(|g| !used.contains(g)).unwrap_or(999)
}

/// The host path of a file inside the root, resolved within it.
fn real_path(root: &HostRoot, inner: &str) -> Result<PathBuf, FixError> {
    root.resolve(inner).ok_or_else(|| FixError::File {
        path: format!("/{}", inner.trim_start_matches('/')),
        why: "it does not exist".into(),
    })
}

fn restore(root: &HostRoot, backup: &str) -> Result<String, FixError> {
    let from = real_path(root, backup)?;
    let to = real_path(root, "etc/docker/daemon.json")?;
    let fail = |path: &str, e: std::io::Error| FixError::File {
        path: path.into(),
        why: e.to_string(),
    };
    let good = std::fs::read(&from).map_err(|e| fail(backup, e))?;
    if !matches!(
        serde_json::from_slice(&good),
        Ok(serde_json::Value::Object(_))
    ) {
        return Err(FixError::Refused(format!(
            "{backup} is not valid JSON either"
        )));
    }
    let mut broken = to.clone().into_os_string();
    broken.push(".broken");
    std::fs::copy(&to, &broken).map_err(|e| fail("/etc/docker/daemon.json.broken", e))?;
    std::fs::write(&to, good).map_err(|e| fail("/etc/docker/daemon.json", e))?;
    Ok(format!("restored /etc/docker/daemon.json from {backup}"))
}

fn remove_pid_file(root: &HostRoot, path: &str, pid: Option<u32>) -> Result<String, FixError> {
    let real = real_path(root, path)?;
    // Checked again now: dockerd may have started since the report.
    let now: Option<u32> = std::fs::read_to_string(&real)
        .ok()
        .and_then(|t| t.trim().parse().ok());
    if now != pid {
        return Err(FixError::Refused(format!(
            "{path} changed since it was checked"
        )));
    }
    if let Some(pid) = pid
        && host::process_name(root, pid).as_deref() == Some("dockerd")
    {
        return Err(FixError::Refused(format!("pid {pid} is a running dockerd")));
    }
    std::fs::remove_file(&real).map_err(|e| FixError::File {
        path: path.into(),
        why: e.to_string(),
    })?;
    Ok(format!("removed {path}"))
}
