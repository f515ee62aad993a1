#![cfg(unix)]
//! The real failure behind tests/fixtures/doctor/docker-io-ulimit: Debian's docker.io in a
//! chroot with no init system, where the open-files hard limit is 20000 and cannot be raised
//! (CAP_SYS_RESOURCE dropped, as in a container). `service docker start` stops at "ulimit: error
//! setting limit"; `dockup doctor` must say so, and its fix must start the daemon.
//!
//! Needs root and Debian's mirror (apt installs docker.io in the chroot); set DOCKUP_E2E=require
//! to make a skip a failure.

mod support;

use std::process::Output;

use serde_json::Value;
use support::e2e::{Chroot, skip_or_fail, unavailable};

/// A shell inside the chroot with the limits of a container: a hard limit of 20000 open files
/// and no way to raise it.
fn contained(chroot: &Chroot, script: &str) -> Output {
    let script = format!("ulimit -n 20000 && {script}");
    chroot.run(&[
        "setpriv",
        "--bounding-set",
        "-sys_resource",
        "sh",
        "-c",
        &script,
    ])
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn daemon_check(chroot: &Chroot) -> (Option<i32>, Value) {
    let out = contained(chroot, "dockup doctor --json --user root");
    let json: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let check = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "daemon-running")
        .cloned()
        .unwrap();
    (out.status.code(), check)
}

#[test]
fn a_docker_io_that_cannot_start_is_explained_and_fixed() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let chroot = Chroot::for_engine(env!("CARGO_BIN_EXE_dockup"));
    // Debian's packages, from the e2e cache when an earlier run fetched them.
    let cache =
        std::env::var("DOCKUP_E2E_CACHE").unwrap_or_else(|_| "/var/cache/dockup-e2e".into());
    if let Ok(debs) = std::fs::read_dir(std::path::Path::new(&cache).join("debs")) {
        for deb in debs.flatten() {
            let _ = std::fs::copy(
                deb.path(),
                chroot.path("var/cache/apt/archives").join(deb.file_name()),
            );
        }
    }
    // Installing must not start anything: the failure is shown by `service` below.
    std::fs::write(chroot.path("usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n").unwrap();
    let out = chroot.run(&["chmod", "+x", "/usr/sbin/policy-rc.d"]);
    assert!(out.status.success());
    let out = chroot.run(&[
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        "docker.io",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::remove_file(chroot.path("usr/sbin/policy-rc.d")).unwrap();
    // The chroot shares the host's network: keep dockerd away from its bridges and firewall.
    std::fs::write(
        chroot.path("etc/docker/daemon.json"),
        "{\"bridge\": \"none\", \"iptables\": false, \"ip-forward\": false}\n",
    )
    .unwrap();

    let out = contained(&chroot, "service docker start");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("ulimit: error setting limit"),
        "{}",
        text(&out)
    );

    let (code, check) = daemon_check(&chroot);
    assert_eq!(code, Some(1));
    assert_eq!(check["status"], "fail", "{check}");
    let summary = check["summary"].as_str().unwrap();
    assert!(summary.contains("ulimit: error setting limit"), "{check}");
    assert!(summary.contains("hard limit 20000"), "{check}");
    let fix = check["fix"].as_str().unwrap();
    assert!(fix.contains("ulimit -Hn"), "{check}");

    // The fix, pasted as printed (its comment dropped), starts the daemon.
    let command = fix.split("   #").next().unwrap();
    let out = contained(&chroot, command);
    assert!(out.status.success(), "{command}: {}", text(&out));
    let mut up = false;
    for _ in 0..300 {
        if chroot.run(&["docker", "version"]).status.success() {
            up = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(chroot.path("var/log/docker.log")).unwrap_or_default();
    assert!(up, "dockerd did not come up after the fix:\n{log}");
    let (_, check) = daemon_check(&chroot);
    assert_eq!(check["status"], "ok", "{check}");

    // --fix on the machine itself: the daemon stopped, a stale pid file (a pid nobody has) and
    // a user outside the docker group. The paths are written from inside: /var/run is a link.
    stop_dockerd(&chroot);
    let out = chroot.run(&[
        "sh",
        "-c",
        "echo 999999 > /var/run/docker.pid && useradd ana",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let out = contained(&chroot, "dockup doctor --fix -y --user ana --json");
    let json: Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let fixes = json["fixes"]
        .as_array()
        .unwrap_or_else(|| panic!("{json:#}"));
    let applied = |id: &str| fixes.iter().any(|f| f["id"] == id && f["applied"] == true);
    for id in ["pid-file", "daemon-running", "docker-group"] {
        assert!(applied(id), "{id} was not fixed: {fixes:#?}");
    }
    assert!(chroot.run(&["docker", "version"]).status.success());
    let group = std::fs::read_to_string(chroot.path("etc/group")).unwrap();
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("docker:") && l.split(':').nth(3).unwrap_or("").contains("ana")),
        "{group}"
    );
    // The report after the fixes is a fresh one: nothing left to fix there.
    let (_, check) = daemon_check(&chroot);
    assert_eq!(check["status"], "ok", "{check}");
    stop_dockerd(&chroot);
}

/// Stops the chroot's dockerd by its pid file and waits until it is gone.
fn stop_dockerd(chroot: &Chroot) {
    let out = chroot.run(&[
        "sh",
        "-c",
        "pid=$(cat /var/run/docker.pid) && kill \"$pid\" && \
         while kill -0 \"$pid\" 2>/dev/null; do sleep 0.1; done",
    ]);
    assert!(out.status.success(), "{}", text(&out));
}
