//! The kernel as it runs, beyond its build options: the memory cgroup controller, and the
//! security modules (AppArmor, SELinux) with the userland tools Docker needs for them.

use super::host::install_command;
use super::{Check, Status};
use crate::facts::{HostRoot, LinuxFacts};

pub fn check_runtime(root: &HostRoot, facts: &LinuxFacts) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.extend(cgroup_mount(root));
    checks.extend(memory_cgroup(root));
    checks.push(apparmor(root, facts));
    checks.extend(selinux(root, facts));
    checks
}

/// How to add `cgroup_enable=memory` to the kernel command line on this machine.
fn cmdline_fix(root: &HostRoot) -> String {
    let words = "cgroup_enable=memory cgroup_memory=1";
    // Raspberry Pi firmware reads one line of parameters; GRUB is everywhere else.
    for pi in ["boot/firmware/cmdline.txt", "boot/cmdline.txt"] {
        if root.exists(pi) {
            return format!("sed -i '1s/$/ {words}/' /{pi} && reboot");
        }
    }
    format!(
        "sed -i 's/^GRUB_CMDLINE_LINUX=\"/&{words} /' /etc/default/grub && update-grub && reboot   # grub2-mkconfig -o /boot/grub2/grub.cfg on RHEL"
    )
}

/// `cgroup-mount`: dockerd panics ("cannot statfs cgroup root") without a cgroup filesystem at
/// /sys/fs/cgroup, which a chroot or a bare container often lacks. Skipped for a tree without
/// any /sys (a fixture that does not model it).
fn cgroup_mount(root: &HostRoot) -> Option<Check> {
    let id = "cgroup-mount";
    if !root.is_dir("sys") {
        return None;
    }
    if root.list_dir("sys/fs/cgroup").is_empty() {
        return Some(
            Check::new(id, "kernel", Status::Fail, "nothing is mounted at /sys/fs/cgroup: dockerd stops at \"cannot statfs cgroup root\"")
                .with_fix("mount -t sysfs sysfs /sys 2>/dev/null; mount -t cgroup2 none /sys/fs/cgroup   # in a chroot: mount --rbind /sys/fs/cgroup <chroot>/sys/fs/cgroup from outside"),
        );
    }
    Some(Check::new(
        id,
        "kernel",
        Status::Ok,
        "a cgroup filesystem is mounted at /sys/fs/cgroup",
    ))
}

/// `cgroup-memory`: without the controller `docker run -m` fails and dockerd warns at start.
fn memory_cgroup(root: &HostRoot) -> Option<Check> {
    let id = "cgroup-memory";
    let disabled_at_boot = root
        .read_text("proc/cmdline", 64 << 10)
        .ok()
        .flatten()
        .is_some_and(|c| c.split_whitespace().any(|w| w == "cgroup_disable=memory"));
    let missing = |why: &str| {
        let boot = if disabled_at_boot {
            " (cgroup_disable=memory on the kernel command line)"
        } else {
            ""
        };
        Some(
            Check::new(
                id,
                "kernel",
                Status::Warn,
                format!("{why}{boot}: memory limits (docker run -m) do not work"),
            )
            .with_fix(cmdline_fix(root)),
        )
    };
    if let Ok(Some(controllers)) = root.read_text("sys/fs/cgroup/cgroup.controllers", 4096) {
        return if controllers.split_whitespace().any(|c| c == "memory") {
            Some(Check::new(
                id,
                "kernel",
                Status::Ok,
                "cgroup v2 memory controller available",
            ))
        } else {
            missing("cgroup v2 without the memory controller")
        };
    }
    let cgroups = root.read_text("proc/cgroups", 64 << 10).ok().flatten()?;
    // #subsys_name hierarchy num_cgroups enabled
    let memory = cgroups
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.first() == Some(&"memory"));
    match memory {
        None => missing("cgroup v1 without a memory controller (the kernel lacks CONFIG_MEMCG)"),
        Some(f) if f.get(3) == Some(&"0") => missing("cgroup v1 with the memory controller disabled"),
        Some(_) if root.is_dir("sys/fs/cgroup") && !root.is_dir("sys/fs/cgroup/memory") => Some(
            Check::new(id, "kernel", Status::Warn, "cgroup v1 memory controller enabled but not mounted at /sys/fs/cgroup/memory")
                .with_fix("mkdir -p /sys/fs/cgroup/memory && mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory   # or install cgroupfs-mount"),
        ),
        Some(_) => Some(Check::new(id, "kernel", Status::Ok, "cgroup v1 memory controller enabled")),
    }
}

/// `apparmor`: on in the kernel means Docker loads its docker-default profile, which needs
/// apparmor_parser; without it `docker run` fails.
fn apparmor(root: &HostRoot, facts: &LinuxFacts) -> Check {
    let id = "apparmor";
    let enabled = root
        .read_text("sys/module/apparmor/parameters/enabled", 64)
        .ok()
        .flatten()
        .is_some_and(|v| v.trim_start().starts_with('Y'));
    if !enabled {
        return Check::new(id, "kernel", Status::Ok, "AppArmor is not enabled");
    }
    let parser = ["sbin/apparmor_parser", "usr/sbin/apparmor_parser"]
        .iter()
        .any(|p| root.exists(p));
    if parser {
        Check::new(
            id,
            "kernel",
            Status::Ok,
            "AppArmor is enabled and apparmor_parser is installed",
        )
    } else {
        Check::new(
            id,
            "kernel",
            Status::Fail,
            "AppArmor is enabled but apparmor_parser is missing: `docker run` fails loading the docker-default profile",
        )
        .with_fix(format!("{}   # then restart the daemon", install_command(facts, "apparmor")))
    }
}

/// `selinux`: enforcing needs the container policy (container-selinux).
fn selinux(root: &HostRoot, facts: &LinuxFacts) -> Option<Check> {
    let id = "selinux";
    let mode = root
        .read_text("sys/fs/selinux/enforce", 64)
        .ok()
        .flatten()?;
    if mode.trim() != "1" {
        return Some(Check::new(
            id,
            "kernel",
            Status::Ok,
            "SELinux is permissive",
        ));
    }
    let policy = root.exists("usr/share/selinux/packages/container.pp.bz2")
        || root.exists("usr/share/selinux/packages/container.pp")
        || root.is_dir("var/lib/selinux/targeted/active/modules/200/container")
        || root.is_dir("etc/selinux/targeted/active/modules/200/container");
    Some(if policy {
        Check::new(
            id,
            "kernel",
            Status::Ok,
            "SELinux is enforcing, with the container policy",
        )
    } else {
        Check::new(
            id,
            "kernel",
            Status::Warn,
            "SELinux is enforcing but the container policy (container-selinux) is not installed: containers may be denied access",
        )
        .with_fix(install_command(facts, "container-selinux"))
    })
}
