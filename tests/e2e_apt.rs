#![cfg(unix)]
//! `dockup install` for real: apt inside a Debian bookworm chroot, against a local mirror laid
//! out and signed like download.docker.com, served over real HTTP on 127.0.0.1.
//!
//! Needs root (chroot, mounts) and builds its chroot with mmdebstrap (cached); where that is not
//! possible it says why and skips. Set DOCKUP_E2E=require to make a skip a failure (CI does).

mod support;

use std::process::{Command, Output};
use std::time::Instant;

use support::e2e::{Chroot, Mirror, skip_or_fail, unavailable};

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn apt_repo_install_in_a_chroot() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-mirror.sh");
    let (fpr, wrong, url) = (mirror.fpr.clone(), mirror.wrong.clone(), mirror.url());
    let chroot = Chroot::new(env!("CARGO_BIN_EXE_dockup"));
    // Every install here is unattended in a chroot: nothing is started.
    let install = |mirror: &str, key: &str, extra: &[&str]| {
        let mut args = vec![
            "install",
            "--no-start",
            "--mirror",
            mirror,
            "--key-fingerprint",
            key,
        ];
        args.extend(extra);
        chroot.dockup(&args)
    };
    let key_file = "etc/apt/keyrings/docker.asc";
    let list_file = "etc/apt/sources.list.d/docker.list";

    // A key that is not the pinned one: refused, and nothing is written.
    let out = install(&url, &wrong, &["-y"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not match the pinned fingerprint"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--key-fingerprint"));
    assert!(!chroot.exists(key_file) && !chroot.exists(list_file));

    // The mirror is down: a clear error, nothing written.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let out = install(&format!("http://127.0.0.1:{dead}"), &fpr, &["-y"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot reach http://127.0.0.1"),
        "{}",
        stderr(&out)
    );
    assert!(!chroot.exists(key_file) && !chroot.exists(list_file));

    // docker.io is installed: without -y and without a terminal, dockup stops and says why.
    chroot.install_fake_docker_io();
    let out = install(&url, &fpr, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("remove docker.io"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("rerun with -y"), "{}", stderr(&out));
    assert!(chroot.installed("docker.io").is_some());

    // As if an earlier dpkg run had been cut short: its journal still holds an entry, and every
    // apt-get refuses to run until `dpkg --configure -a` has finished it.
    let status = std::fs::read_to_string(chroot.path("var/lib/dpkg/status")).unwrap();
    let entry = status
        .split("\n\n")
        .find(|p| p.starts_with("Package: docker.io\n"))
        .unwrap();
    std::fs::write(
        chroot.path("var/lib/dpkg/updates/0000"),
        format!("{entry}\n\n"),
    )
    .unwrap();

    // With -y and a pinned version: docker.io goes, Docker's packages come at exactly 24.0.x.
    let out = install(&url, &fpr, &["-y", "--version", "24.0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("an earlier package run was interrupted"),
        "the interrupted dpkg run was not finished first"
    );
    assert_eq!(chroot.installed("docker.io"), None);
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:24.0.7-1~debian.12~bookworm")
    );
    assert_eq!(
        chroot.installed("docker-ce-cli").as_deref(),
        Some("5:24.0.7-1~debian.12~bookworm")
    );
    for p in [
        "containerd.io",
        "docker-buildx-plugin",
        "docker-compose-plugin",
    ] {
        assert!(chroot.installed(p).is_some(), "{p} not installed");
    }
    assert_eq!(
        std::fs::read(chroot.path(key_file)).unwrap(),
        std::fs::read(mirror.dir.path().join("linux/debian/gpg")).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(chroot.path(list_file)).unwrap(),
        format!(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] {url}/linux/debian bookworm stable\n"
        )
    );
    // No extra packages for dockup's own sake.
    for p in ["curl", "gnupg", "ca-certificates"] {
        assert_eq!(chroot.installed(p), None, "{p} was pulled in");
    }

    // The same command again: nothing to do, apt untouched, fast.
    let log_before = std::fs::read_to_string(chroot.path("var/log/dockup/dockup.log")).unwrap();
    let start = Instant::now();
    let out = install(&url, &fpr, &["-y", "--version", "24.0"]);
    let took = start.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
    let log_after = std::fs::read_to_string(chroot.path("var/log/dockup/dockup.log")).unwrap();
    let rerun_log = &log_after[log_before.len()..];
    assert!(
        !rerun_log.contains("$ "),
        "the rerun ran commands:\n{rerun_log}"
    );
    eprintln!("rerun took {took:?}");

    // The dry run on the installed machine marks what is done, by the same checks.
    let out = install(&url, &fpr, &["--dry-run", "--json", "--version", "24.0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = plan["steps"].as_array().unwrap();
    let pending: Vec<&str> = steps
        .iter()
        .filter(|s| s["already_done"].is_null() && s["kind"] != "verify")
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(pending.is_empty(), "not marked done: {pending:?}");
    assert!(steps.len() >= 5, "{plan:#}");

    // Unknown versions list what the repository has.
    let out = install(&url, &fpr, &["-y", "--version", "99.0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("5:27.3.1-1~debian.12~bookworm"),
        "{}",
        stderr(&out)
    );

    // A newer pin upgrades; a registry mirror is merged into the user's daemon.json.
    std::fs::create_dir_all(chroot.path("etc/docker")).unwrap();
    std::fs::write(
        chroot.path("etc/docker/daemon.json"),
        "{\"log-driver\": \"local\"}\n",
    )
    .unwrap();
    let out = install(
        &url,
        &fpr,
        &[
            "-y",
            "--version",
            "27.3",
            "--registry-mirror",
            "https://mirror.gcr.io",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:27.3.1-1~debian.12~bookworm")
    );
    let daemon_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(chroot.path("etc/docker/daemon.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        daemon_json,
        serde_json::json!({"log-driver": "local", "registry-mirrors": ["https://mirror.gcr.io"]})
    );
    assert_eq!(
        std::fs::read_to_string(chroot.path("var/lib/dockup/backup/etc/docker/daemon.json"))
            .unwrap(),
        "{\"log-driver\": \"local\"}\n"
    );
    // A broken daemon.json is never overwritten.
    std::fs::write(chroot.path("etc/docker/daemon.json"), "{\"log-driver\": ").unwrap();
    let out = install(
        &url,
        &fpr,
        &[
            "-y",
            "--version",
            "27.3",
            "--registry-mirror",
            "https://mirror.gcr.io",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not valid JSON"), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(chroot.path("etc/docker/daemon.json")).unwrap(),
        "{\"log-driver\": "
    );
    std::fs::remove_file(chroot.path("etc/docker/daemon.json")).unwrap();

    // The test channel: the source line changes (the old one is backed up) and the rc installs.
    let out = install(
        &url,
        &fpr,
        &["-y", "--channel", "test", "--version", "28.0.0"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        std::fs::read_to_string(chroot.path(list_file))
            .unwrap()
            .ends_with(" bookworm test\n")
    );
    assert_eq!(
        std::fs::read_to_string(
            chroot.path("var/lib/dockup/backup/etc/apt/sources.list.d/docker.list")
        )
        .unwrap(),
        format!(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] {url}/linux/debian bookworm stable\n"
        )
    );
    assert!(
        std::fs::read_dir(chroot.path("etc/apt/sources.list.d"))
            .unwrap()
            .count()
            == 1,
        "stray files in sources.list.d"
    );
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:28.0.0~rc.1-1~debian.12~bookworm")
    );

    // Uninstall keeps the user's data; only --purge deletes it, and only when confirmed.
    let volume = chroot.path("var/lib/docker/volumes/precious/_data/file");
    std::fs::create_dir_all(volume.parent().unwrap()).unwrap();
    std::fs::write(&volume, "keep me").unwrap();
    let out = chroot.dockup(&["uninstall", "-y"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for p in [
        "docker-ce",
        "docker-ce-cli",
        "containerd.io",
        "docker-buildx-plugin",
        "docker-compose-plugin",
    ] {
        assert_eq!(chroot.installed(p), None, "{p} is still installed");
    }
    assert!(!chroot.exists(key_file) && !chroot.exists(list_file));
    assert_eq!(std::fs::read_to_string(&volume).unwrap(), "keep me");
    let out = chroot.dockup(&["uninstall", "-y"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));

    let out = chroot.dockup(&["uninstall", "--purge"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("every image, container and volume"),
        "{}",
        stderr(&out)
    );
    assert!(volume.exists());
    let out = chroot.dockup(&["uninstall", "--purge", "-y"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!chroot.exists("var/lib/docker"));
}

/// `dockup install --root DIR` from outside: facts from the tree, apt run through chroot, files
/// written under DIR, nothing started.
#[test]
fn apt_install_into_a_root_from_outside() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-mirror.sh");
    let fpr = mirror.fpr.clone();
    let chroot = Chroot::new(env!("CARGO_BIN_EXE_dockup"));
    let root = chroot.dir.path().to_str().unwrap().to_string();
    let dockup = |args: &[&str]| {
        let out = Command::new(DOCKUP)
            .args(args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        eprintln!(
            "$ dockup {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
        out
    };
    let log = chroot.path("tmp/dockup.log");
    let log = log.to_str().unwrap();
    let args = [
        "install",
        "-y",
        "--root",
        &root,
        "--mirror",
        &mirror.url(),
        "--key-fingerprint",
        &fpr,
        "--log",
        log,
    ];
    let out = dockup(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:27.3.1-1~debian.12~bookworm")
    );
    assert!(chroot.exists("etc/apt/keyrings/docker.asc"));
    assert_eq!(
        std::fs::read_to_string(chroot.path("etc/apt/sources.list.d/docker.list")).unwrap(),
        format!(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] {}/linux/debian bookworm stable\n",
            mirror.url()
        )
    );
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains(&format!(
            "$ chroot {root} env DEBIAN_FRONTEND=noninteractive apt-get install"
        )),
        "{text}"
    );
    assert!(!text.contains("dockerd"), "something was started:\n{text}");
    // Again: nothing to do.
    let out = dockup(&args);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));

    // And out of the tree again, from outside: packages, repository and key go, nothing is
    // stopped (nothing runs there), the data directory stays.
    std::fs::create_dir_all(chroot.path("var/lib/docker/volumes/keep")).unwrap();
    let out = dockup(&["uninstall", "-y", "--root", &root, "--log", log]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(chroot.installed("docker-ce"), None);
    assert_eq!(chroot.installed("containerd.io"), None);
    assert!(!chroot.exists("etc/apt/sources.list.d/docker.list"));
    assert!(!chroot.exists("etc/apt/keyrings/docker.asc"));
    assert!(chroot.exists("var/lib/docker/volumes/keep"));
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains(&format!(
            "$ chroot {root} env DEBIAN_FRONTEND=noninteractive apt-get"
        )),
        "{text}"
    );
    assert!(!text.contains("systemctl stop"), "{text}");
    let out = dockup(&["uninstall", "-y", "--root", &root]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
}
