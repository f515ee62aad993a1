#![cfg(unix)]
//! The Ansible role and module (ansible/) for real: ansible-core from PyPI (a venv cached by
//! scripts/e2e/check-ansible.sh) runs ansible/site.yml against localhost, and the dockup module
//! installs Docker into a Debian bookworm chroot from outside (`dockup install --root DIR`),
//! from the local signed mirror the apt e2e test uses.
//!
//! In order: a wrong key fails the play with dockup's message (the binary comes from a "release"
//! served here, checked against its SHA256SUMS); check mode reports the plan and changes nothing
//! (the release downloaded on the controller this time); the install reports changed (the binary
//! copied from the controller); a rerun reports nothing changed.
//!
//! Needs root (chroot, mounts) and PyPI (the first time); where that is not possible it says why
//! and skips. Set DOCKUP_E2E=require to make a skip a failure (CI does).

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use support::e2e::{Chroot, Mirror, skip_or_fail, unavailable};
use support::http::Server;

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one ansible-playbook run printed, and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    /// The PLAY RECAP counters of the target host (ok, changed, failed, ...).
    recap: BTreeMap<String, u32>,
}

/// The counters on the PLAY RECAP line of `host`.
fn recap(stdout: &str, host: &str) -> BTreeMap<String, u32> {
    let line = stdout
        .lines()
        .skip_while(|l| !l.starts_with("PLAY RECAP"))
        .find(|l| l.split_whitespace().next() == Some(host))
        .unwrap_or_else(|| panic!("no PLAY RECAP line for {host}:\n{stdout}"));
    line.split_whitespace()
        .filter_map(|w| w.split_once('='))
        .map(|(k, v)| (k.to_string(), v.parse().unwrap()))
        .collect()
}

/// ansible/site.yml as the README shows it, through scripts/e2e/check-ansible.sh.
struct Ansible {
    work: PathBuf,
    inventory: PathBuf,
}

impl Ansible {
    /// Makes sure the cached venv exists; Err (why) where it cannot be made (no python3, no PyPI).
    fn new(work: &Path) -> Result<Ansible, String> {
        if Command::new("python3").arg("--version").output().is_err() {
            return Err("no python3 to run ansible-core".into());
        }
        let out = Command::new("bash")
            .arg(repo_dir().join("scripts/e2e/check-ansible.sh"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        eprint!("{stderr}");
        if !out.status.success() {
            // No PyPI, no python3-venv: a prerequisite this machine lacks.
            return Err(format!("could not set up ansible-core: {}", stderr.trim()));
        }
        let venv = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let inventory = work.join("inventory.ini");
        std::fs::write(
            &inventory,
            format!(
                "[docker_hosts]\nlocalhost ansible_connection=local \
                 ansible_python_interpreter={venv}/bin/python ansible_become=false\n"
            ),
        )
        .unwrap();
        Ok(Ansible {
            work: work.to_path_buf(),
            inventory,
        })
    }

    fn playbook(&self, vars: &serde_json::Value, extra: &[&str]) -> Run {
        let vars_file = self.work.join("vars.json");
        std::fs::write(&vars_file, vars.to_string()).unwrap();
        let start = Instant::now();
        let out = Command::new("bash")
            .arg(repo_dir().join("scripts/e2e/check-ansible.sh"))
            .arg("-i")
            .arg(&self.inventory)
            .arg(repo_dir().join("ansible/site.yml"))
            .arg("-e")
            .arg(format!("@{}", vars_file.display()))
            .args(extra)
            .current_dir(&self.work)
            .env("ANSIBLE_HOME", self.work.join("ansible-home"))
            .env("ANSIBLE_REMOTE_TMP", self.work.join("ansible-tmp"))
            // One line per result, so messages can be looked for (the yaml format folds them).
            .env("ANSIBLE_CALLBACK_RESULT_FORMAT", "json")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        eprintln!(
            "$ ansible-playbook site.yml {} ({:.1?})\n{stdout}{}",
            extra.join(" "),
            start.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
        let recap = recap(&stdout, "localhost");
        Run {
            code: out.status.code(),
            stdout,
            recap,
        }
    }

    /// The per-host results site.yml wrote (dockup_report).
    fn report(&self) -> serde_json::Value {
        let path = self.work.join("report.json");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        serde_json::from_str::<serde_json::Value>(&text).unwrap()["localhost"].clone()
    }
}

/// A release as the role downloads it: the binary under its artifact name, and SHA256SUMS.
fn release_dir(dir: &Path, dockup: &Path) -> String {
    let artifact = format!("dockup-{}-unknown-linux-musl", std::env::consts::ARCH);
    std::fs::copy(dockup, dir.join(&artifact)).unwrap();
    std::fs::write(dir.join("dockup-riscv64-unknown-linux-musl"), "another one").unwrap();
    let out = Command::new("sha256sum")
        .args([&artifact, "dockup-riscv64-unknown-linux-musl"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(dir.join("SHA256SUMS"), &out.stdout).unwrap();
    artifact
}

#[test]
fn ansible_role_installs_into_a_chroot() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let work = tempfile::Builder::new()
        .prefix("dockup-e2e-ansible")
        .tempdir()
        .unwrap();
    let ansible = match Ansible::new(work.path()) {
        Ok(a) => a,
        Err(why) => return skip_or_fail(&why),
    };
    // This test's own copy of the binary: a cargo build elsewhere may replace DOCKUP meanwhile,
    // and the copy task would then (rightly) report a change.
    let dockup = work.path().join("dockup");
    std::fs::copy(DOCKUP, &dockup).unwrap();
    let mirror = Mirror::build("build-mirror.sh");
    let chroot = Chroot::new(DOCKUP);
    let root = chroot.dir.path().to_str().unwrap().to_string();
    let release = tempfile::tempdir().unwrap();
    let artifact = release_dir(release.path(), &dockup);
    let release_server = Server::serve_dir(release.path());
    // Where the role puts dockup on the "host": not the real /usr/local/bin.
    let binary = work.path().join("bin/dockup");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    let vars = |key: &str, source: serde_json::Value| {
        let mut v = serde_json::json!({
            "dockup_root": root,
            "dockup_mirror": mirror.url(),
            "dockup_key_fingerprint": key,
            "dockup_no_start": true,
            "dockup_binary_path": binary,
            "dockup_log": chroot.path("tmp/dockup.log"),
            "dockup_report": work.path().join("report.json"),
        });
        v.as_object_mut()
            .unwrap()
            .extend(source.as_object().unwrap().clone());
        v
    };
    let key_file = "etc/apt/keyrings/docker.asc";
    let list_file = "etc/apt/sources.list.d/docker.list";

    // A key that is not the pinned one: the play fails with dockup's message and exit code, and
    // nothing is written. The binary was downloaded from the release and checked against it.
    let from_release = serde_json::json!({"dockup_release_url": release_server.url()});
    let run = ansible.playbook(&vars(&mirror.wrong, from_release), &[]);
    assert_ne!(run.code, Some(0));
    assert_eq!(run.recap["failed"], 1, "{:?}", run.recap);
    assert!(
        run.stdout
            .contains("dockup install failed (exit 1, a step or check failed)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("does not match the pinned fingerprint"),
        "dockup's error is not shown:\n{}",
        run.stdout
    );
    // The task's msg (one JSON string on the fatal line) carries dockup's help lines too.
    let msg = run
        .stdout
        .split("\"msg\": \"")
        .nth(1)
        .and_then(|m| m.split("\", \"").next())
        .unwrap_or_default();
    assert!(
        msg.contains("\\nhelp: ") && msg.contains("--key-fingerprint"),
        "no help line in the message: {msg}"
    );
    assert!(!chroot.exists(key_file) && !chroot.exists(list_file));
    assert_eq!(chroot.installed("docker-ce"), None);
    assert_eq!(
        std::fs::read(&binary).unwrap(),
        std::fs::read(release.path().join(&artifact)).unwrap()
    );
    let seen = release_server.seen.lock().unwrap().clone();
    assert!(
        seen.iter().any(|s| s.path == "/SHA256SUMS"),
        "the checksum was not read from the release: {seen:?}"
    );

    // Check mode: the plan, changed (steps are left to do), and nothing installed. The release is downloaded once on the controller this time.
    let cache = work.path().join("controller-cache");
    let via_controller = serde_json::json!({
        "dockup_release_url": release_server.url(),
        "dockup_download_on": "controller",
        "dockup_controller_cache": cache,
    });
    let run = ansible.playbook(&vars(&mirror.fpr, via_controller), &["--check"]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["failed"], 0);
    assert_eq!(
        std::fs::read(cache.join(&artifact)).unwrap(),
        std::fs::read(&dockup).unwrap()
    );
    let report = ansible.report();
    assert_eq!(report["changed"], true, "{report}");
    assert!(
        report["msg"]
            .as_str()
            .unwrap()
            .starts_with("check mode: dockup would run"),
        "{report}"
    );
    assert_eq!(chroot.installed("docker-ce"), None);
    assert!(!chroot.exists(list_file));

    // The install: changed, Docker's packages in the chroot from the mirror. The binary comes
    // from the controller.
    let from_controller = serde_json::json!({"dockup_binary_src": dockup});
    let run = ansible.playbook(&vars(&mirror.fpr, from_controller.clone()), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["failed"], 0);
    // Only the dockup task: the same binary is on the host already.
    assert_eq!(run.recap["changed"], 1, "{:?}", run.recap);
    let report = ansible.report();
    assert_eq!(report["changed"], true, "{report}");
    assert_eq!(report["rc"], 0, "{report}");
    assert!(
        report["msg"]
            .as_str()
            .unwrap()
            .starts_with("Docker is installed"),
        "{report}"
    );
    assert!(report["steps_run"].as_u64().unwrap() >= 1, "{report}");
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:27.3.1-1~debian.12~bookworm")
    );
    for p in ["docker-ce-cli", "containerd.io"] {
        assert!(chroot.installed(p).is_some(), "{p} not installed");
    }
    assert_eq!(
        std::fs::read_to_string(chroot.path(list_file)).unwrap(),
        format!(
            "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] {}/linux/debian bookworm stable\n",
            mirror.url()
        )
    );

    // Again: nothing changes anywhere, dockup has nothing to do.
    let from_controller_again = || from_controller.clone();
    let run = ansible.playbook(&vars(&mirror.fpr, from_controller_again()), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["failed"], 0);
    assert_eq!(run.recap["changed"], 0, "{:?}", run.recap);
    let report = ansible.report();
    assert_eq!(report["changed"], false, "{report}");
    assert!(
        report["msg"].as_str().unwrap().contains("nothing to do"),
        "{report}"
    );

    // Check mode on the installed host: dockup's dry run marks every step done, so no change.
    let run = ansible.playbook(&vars(&mirror.fpr, from_controller_again()), &["--check"]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["changed"], 0, "{:?}", run.recap);
    let report = ansible.report();
    assert_eq!(report["changed"], false, "{report}");
    assert!(
        report["msg"]
            .as_str()
            .unwrap()
            .starts_with("check mode: dockup would run 0 of"),
        "{report}"
    );

    // state: absent takes Docker out of the tree: changed, then nothing to do.
    let mut absent = vars(&mirror.fpr, from_controller_again());
    absent["dockup_state"] = serde_json::json!("absent");
    let run = ansible.playbook(&absent, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["changed"], 1, "{:?}", run.recap);
    assert_eq!(chroot.installed("docker-ce"), None);
    assert!(!chroot.exists(list_file));
    let run = ansible.playbook(&absent, &[]);
    assert_eq!(run.code, Some(0), "{}", run.stdout);
    assert_eq!(run.recap["changed"], 0, "{:?}", run.recap);
}
