#![cfg(unix)]
//! dockup under systemd for real: a qemu VM (TCG: no KVM here) booted with systemd as PID 1 runs
//! `dockup install` against the host's mirror (reached at 10.0.2.2 through qemu's user network)
//! and must leave docker.service active and enabled; a second run has nothing to do.
//!
//! One VM boot, about a minute. Needs root; DOCKUP_E2E=require makes a skip a failure.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::e2e::{Mirror, skip_or_fail, unavailable};

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name))
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn systemd_starts_and_enables_docker_in_a_vm() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-mirror.sh");
    let port = mirror.url().rsplit(':').next().unwrap().to_string();
    let results = tempfile::Builder::new()
        .prefix("dockup-e2e-vm")
        .tempdir()
        .unwrap();
    let out_dir = results.path().join("results");
    let status = Command::new("bash")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/e2e/vm/run.sh"))
        .arg(format!("http://10.0.2.2:{port}"))
        .arg(&mirror.fpr)
        .arg(env!("CARGO_BIN_EXE_dockup"))
        .arg(&out_dir)
        .status()
        .unwrap();
    let r = |name: &str| read(&out_dir, name);
    let context = || {
        format!(
            "install.stdout:\n{}\ninstall.stderr:\n{}\ndocker journal:\n{}",
            r("install.stdout"),
            r("install.stderr"),
            r("journal-docker.txt")
        )
    };
    assert!(status.success(), "the VM did not run to the end");
    assert_eq!(r("install.rc"), "0", "{}", context());
    assert_eq!(r("is-active"), "active", "{}", context());
    assert_eq!(r("is-enabled"), "enabled", "{}", context());
    assert_eq!(
        r("docker-ce-version"),
        "Version: 5:27.3.1-1~debian.12~bookworm"
    );
    let stdout = r("install.stdout");
    assert!(
        stdout.contains("systemctl enable --now docker.service"),
        "{stdout}"
    );
    assert_eq!(r("install2.rc"), "0", "{}", r("install2.stderr"));
    assert!(
        r("install2.stdout").contains("nothing to do"),
        "{}",
        r("install2.stdout")
    );
    let detect: serde_json::Value = serde_json::from_str(&r("detect.json")).unwrap();
    assert_eq!(detect["init"], "systemd");
    assert_eq!(detect["repo"], "debian/bookworm");
}
