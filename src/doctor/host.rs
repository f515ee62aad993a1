//! What the daemon checks read about the machine besides Docker's own files: processes, users
//! and groups, resource limits, mounts. All of it from files under the root (`/proc`,
//! `/etc/group`), so a fixture tree stands in for a live machine and a chroot is seen as itself.

use crate::facts::{HostRoot, InitSystem, LinuxFacts};

/// `/etc/group`, `/etc/passwd`, `/proc/self/limits`: small files.
const SMALL: u64 = 4 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

pub fn groups(root: &HostRoot) -> Vec<Group> {
    let text = root.read_text("etc/group", SMALL).ok().flatten();
    text.unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut f = line.split(':');
            let name = f.next()?.trim();
            let gid = f.nth(1)?.trim().parse().ok()?;
            let members = f
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_string)
                .collect();
            (!name.is_empty()).then(|| Group {
                name: name.to_string(),
                gid,
                members,
            })
        })
        .collect()
}

pub fn users(root: &HostRoot) -> Vec<User> {
    let text = root.read_text("etc/passwd", SMALL).ok().flatten();
    text.unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            Some(User {
                name: f.first()?.trim().to_string(),
                uid: f.get(2)?.trim().parse().ok()?,
                gid: f.get(3)?.trim().parse().ok()?,
            })
        })
        .collect()
}

/// `Uid:` and `Groups:` of the process reading the root's `/proc/self/status`: dockup itself on
/// a live machine or a chroot with /proc mounted; a fixture's own file otherwise.
pub fn self_ids(root: &HostRoot) -> Option<(u32, Vec<u32>)> {
    let text = root.read_text("proc/self/status", SMALL).ok()??;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
    };
    let uid = field("Uid:")?.split_whitespace().next()?.parse().ok()?;
    let groups = field("Groups:")
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|g| g.parse().ok())
        .collect();
    Some((uid, groups))
}

/// The command name of a running process, `None` when there is no such process under the root.
pub fn process_name(root: &HostRoot, pid: u32) -> Option<String> {
    let comm = root.read_text(&format!("proc/{pid}/comm"), 4096).ok()??;
    Some(comm.trim().to_string())
}

/// The pid of a running process with this command name.
pub fn find_process(root: &HostRoot, name: &str) -> Option<u32> {
    root.list_dir("proc")
        .iter()
        .filter_map(|e| e.parse::<u32>().ok())
        .find(|pid| process_name(root, *pid).as_deref() == Some(name))
}

/// A hard limit from `/proc/self/limits`; `Some(None)` is unlimited.
pub fn hard_limit(root: &HostRoot, name: &str) -> Option<Option<u64>> {
    let text = root.read_text("proc/self/limits", SMALL).ok()??;
    let rest = text.lines().find_map(|l| l.strip_prefix(name))?;
    let hard = rest.split_whitespace().nth(1)?;
    if hard == "unlimited" {
        Some(None)
    } else {
        hard.parse().ok().map(Some)
    }
}

/// The mount holding `path` (inside the machine): `(mount point, filesystem type, options)`,
/// from the root's `/proc/self/mounts` (or `/proc/mounts`, or a fixture's copy).
pub fn mount_of(root: &HostRoot, path: &str) -> Option<(String, String, String)> {
    let text = root
        .read_text("proc/self/mounts", SMALL)
        .ok()
        .flatten()
        .or_else(|| root.read_text("proc/mounts", SMALL).ok().flatten())?;
    let mut best: Option<(String, String, String)> = None;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(point), Some(fstype)) = (f.get(1), f.get(2)) else {
            continue;
        };
        let point = point.replace("\\040", " ");
        let under = path == point
            || point == "/"
            || path.starts_with(&format!("{}/", point.trim_end_matches('/')));
        // Later mounts over the same point hide earlier ones: `>=` keeps the last.
        if under && best.as_ref().is_none_or(|b| point.len() >= b.0.len()) {
            let opts = f.get(3).unwrap_or(&"").to_string();
            best = Some((point, fstype.to_string(), opts));
        }
    }
    best
}

/// How this distribution spells the usual admin commands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Family {
    Debian,
    Rhel,
    Alpine,
    Other,
}

pub fn family(facts: &LinuxFacts) -> Family {
    let id = facts.os_field("ID").unwrap_or("");
    let like = facts.os_field("ID_LIKE").unwrap_or("");
    let words: Vec<&str> = std::iter::once(id).chain(like.split_whitespace()).collect();
    let any = |names: &[&str]| words.iter().any(|w| names.contains(w));
    if any(&["debian", "ubuntu", "raspbian"]) {
        Family::Debian
    } else if any(&["rhel", "fedora", "centos", "suse", "amzn"]) {
        Family::Rhel
    } else if id == "alpine" {
        Family::Alpine
    } else {
        Family::Other
    }
}

pub fn install_command(facts: &LinuxFacts, package: &str) -> String {
    match family(facts) {
        Family::Debian => format!("apt-get install -y {package}"),
        Family::Rhel => format!("dnf install -y {package}"),
        Family::Alpine => format!("apk add {package}"),
        Family::Other => format!("install the {package} package"),
    }
}

pub fn add_to_group_command(facts: &LinuxFacts, user: &str, group: &str) -> String {
    match family(facts) {
        Family::Alpine => format!("addgroup {user} {group}"),
        _ => format!("usermod -aG {group} {user}"),
    }
}

/// How to start the daemon (and have it start at boot) under this init system.
pub fn start_command(root: &HostRoot, facts: &LinuxFacts) -> String {
    let direct = "dockerd >>/var/log/docker.log 2>&1 &   # no init system manages services here";
    match facts.init.effective() {
        InitSystem::Systemd => "systemctl enable --now docker".into(),
        InitSystem::Openrc => "rc-update add docker default && rc-service docker start".into(),
        InitSystem::Sysvinit | InitSystem::Upstart if root.exists("etc/init.d/docker") => {
            match family(facts) {
                Family::Rhel => "chkconfig docker on && service docker start".into(),
                _ => "update-rc.d docker defaults && service docker start".into(),
            }
        }
        // A container or chroot: the init script still works when there is one, it is only a
        // shell script.
        _ if root.exists("etc/init.d/docker") => "service docker start".into(),
        _ => direct.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_limits_and_mounts_parse() {
        let dir = tempfile::tempdir().unwrap();
        let w = |rel: &str, text: &str| {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        };
        w("etc/group", "root:x:0:\ndocker:x:998:alice,bob\nbroken\n");
        w(
            "proc/self/limits",
            "Limit                     Soft Limit           Hard Limit           Units     \n\
             Max processes             96362                96362                processes \n\
             Max open files            20000                20000                files     \n\
             Max locked memory         unlimited            unlimited            bytes     \n",
        );
        w(
            "proc/self/mounts",
            "/dev/vda / ext4 rw 0 0\noverlay /var/lib overlay rw 0 0\ntmpfs /var/lib/docker2 tmpfs rw 0 0\n",
        );
        let root = HostRoot::at(dir.path());
        let g = groups(&root);
        assert_eq!(g.len(), 2);
        assert_eq!(g[1].members, ["alice", "bob"]);
        assert_eq!(hard_limit(&root, "Max open files"), Some(Some(20000)));
        assert_eq!(hard_limit(&root, "Max locked memory"), Some(None));
        assert_eq!(
            mount_of(&root, "/var/lib/docker").map(|m| m.1),
            Some("overlay".into())
        );
        assert_eq!(mount_of(&root, "/etc").map(|m| m.1), Some("ext4".into()));
    }
}
