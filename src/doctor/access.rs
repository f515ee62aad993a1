//! Who may talk to the daemon: its socket's type, owner and mode, and whether the user is in the
//! group that owns it. Under `--root DIR` a regular file at the socket's path stands in for the
//! socket (a fixture tree cannot hold one); its owner and mode are checked the same way.

use super::config::Settings;
use super::host::{self, add_to_group_command};
use super::{Action, Check, Status};
use crate::facts::{HostRoot, LinuxFacts};

/// The unix socket the daemon listens on, and whether it listens on one at all.
fn socket_path(settings: &Settings) -> Option<String> {
    let mut hosts: Vec<String> = settings
        .json
        .as_ref()
        .and_then(|m| m.get("hosts"))
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|h| h.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    hosts.extend(
        settings
            .flags
            .iter()
            .filter(|(k, _)| k == "hosts")
            .map(|(_, v)| v.clone()),
    );
    if hosts.is_empty() {
        return Some("/var/run/docker.sock".into());
    }
    hosts.iter().find_map(|h| {
        h.strip_prefix("unix://")
            .map(str::to_string)
            // Socket activation: docker.socket listens on /run/docker.sock.
            .or_else(|| {
                h.starts_with("fd://")
                    .then(|| "/run/docker.sock".to_string())
            })
    })
}

fn group_name(settings: &Settings) -> String {
    settings.get("group").unwrap_or_else(|| "docker".into())
}

/// `docker-socket`.
pub fn socket(root: &HostRoot, settings: &Settings, running: bool, start: &str) -> Check {
    let id = "docker-socket";
    let Some(path) = socket_path(settings) else {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            "the daemon listens on TCP only (hosts in its configuration)",
        );
    };
    let Some(real) = root.resolve(&path) else {
        return if running {
            Check::new(
                id,
                "daemon",
                Status::Fail,
                format!("dockerd runs but {path} does not exist"),
            )
            .with_fix("restart the daemon; check \"hosts\" in /etc/docker/daemon.json")
        } else {
            Check::new(
                id,
                "daemon",
                Status::Skipped,
                format!("no {path}: the daemon is not running"),
            )
        };
    };
    let Ok(meta) = std::fs::symlink_metadata(&real) else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            format!("{path} cannot be examined"),
        );
    };
    if meta.is_dir() {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{path} is a directory (a bind mount of a socket that did not exist yet creates one): dockerd cannot create its socket"),
        )
        .with_fix(format!("rmdir {path} && {start}"));
    }
    owner_and_mode(root, settings, &path, &meta)
}

#[cfg(unix)]
fn owner_and_mode(
    root: &HostRoot,
    settings: &Settings,
    path: &str,
    meta: &std::fs::Metadata,
) -> Check {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let id = "docker-socket";
    if !meta.file_type().is_socket() && root.is_live() {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{path} is not a socket: dockerd cannot listen there"),
        )
        .with_fix(format!("rm {path}   # then restart the daemon"));
    }
    let groups = host::groups(root);
    let wanted = group_name(settings);
    let gid_name = |gid: u32| {
        groups
            .iter()
            .find(|g| g.gid == gid)
            .map_or(gid.to_string(), |g| g.name.clone())
    };
    let owner = if meta.uid() == 0 {
        "root".to_string()
    } else {
        meta.uid().to_string()
    };
    let group = gid_name(meta.gid());
    let mode = meta.mode() & 0o777;
    let shown = format!("{path} is {owner}:{group} {mode:04o}");
    if !groups.iter().any(|g| g.name == wanted) {
        return Check::new(id, "daemon", Status::Warn, format!("{shown}, and there is no `{wanted}` group: only root can use Docker"))
            .with_fix(format!("groupadd {wanted}   # then restart the daemon, which gives the socket to the group, and add users: usermod -aG {wanted} NAME"));
    }
    if group != wanted {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{shown}, not group {wanted}: members of {wanted} get \"permission denied\""),
        )
        .with_fix(format!("chgrp {wanted} {path}   # dockerd sets the group at each start: restart it now that the group exists"));
    }
    if mode & 0o060 != 0o060 {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{shown}: the {wanted} group cannot read and write it"),
        )
        .with_fix(format!("chmod 660 {path}"));
    }
    if mode & 0o006 != 0 {
        return Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("{shown}: every user can use it, which is root access for all"),
        )
        .with_fix(format!("chmod 660 {path}"));
    }
    Check::new(id, "daemon", Status::Ok, shown)
}

#[cfg(not(unix))]
fn owner_and_mode(_: &HostRoot, _: &Settings, path: &str, _: &std::fs::Metadata) -> Check {
    Check::new(
        "docker-socket",
        "daemon",
        Status::Skipped,
        format!("{path}: owner and mode are only read on unix"),
    )
}

/// `docker-group`: the user in the socket's group, and whether their session knows it yet.
pub fn group_membership(
    root: &HostRoot,
    facts: &LinuxFacts,
    settings: &Settings,
    user: Option<&str>,
) -> Check {
    let id = "docker-group";
    let Some(name) = user else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            "no user to check: pass --user NAME",
        );
    };
    let Some(user) = host::users(root).into_iter().find(|u| u.name == name) else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            format!("{name} is not in /etc/passwd"),
        );
    };
    if user.uid == 0 {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            "root uses the socket without the docker group",
        );
    }
    let wanted = group_name(settings);
    let add = add_to_group_command(facts, name, &wanted);
    let Some(group) = host::groups(root).into_iter().find(|g| g.name == wanted) else {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("there is no `{wanted}` group, so {name} cannot use Docker without sudo"),
        )
        .with_fix(format!(
            "groupadd {wanted} && {add}   # then log out and back in, and restart the daemon"
        ))
        .with_action(Action::AddToGroup {
            user: name.to_string(),
            group: wanted,
            create: true,
        });
    };
    if !group.members.iter().any(|m| m == name) && user.gid != group.gid {
        return Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("{name} is not in the {wanted} group: `docker` commands get \"permission denied\" on the socket"),
        )
        .with_fix(format!("{add}   # then log out and back in (or: newgrp {wanted})"))
        .with_action(Action::AddToGroup { user: name.to_string(), group: wanted, create: false });
    }
    // The session's groups were fixed at login: one started before the change lacks the group.
    if let Some((uid, groups)) = host::self_ids(root)
        && uid == user.uid
        && user.gid != group.gid
        && !groups.contains(&group.gid)
    {
        return Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("{name} is in the {wanted} group, but this session started before that: a re-login is needed"),
        )
        .with_fix(format!("newgrp {wanted}   # or log out and back in"));
    }
    Check::new(
        id,
        "daemon",
        Status::Ok,
        format!("{name} is in the {wanted} group"),
    )
}
