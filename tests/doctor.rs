//! `dockup doctor --kernel-only` on real kernel configurations: two of Debian's (one plain in
//! /boot, one gzipped as /proc/config.gz), this machine's, and broken ones.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

fn doctor(args: &[&str]) -> Output {
    Command::new(DOCKUP)
        .args(["doctor", "--kernel-only", "--json"])
        .args(args)
        .output()
        .unwrap()
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/kernel")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

fn check<'a>(json: &'a Value, id: &str) -> &'a Value {
    json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

#[test]
fn debian_kernels_have_everything_docker_needs() {
    for (name, source) in [
        ("debian-6.1-amd64", "/boot/config-6.1.0-41-amd64"),
        ("debian-6.1-cloud", "/proc/config.gz"),
    ] {
        let out = doctor(&["--root", &fixture(name)]);
        assert_eq!(out.status.code(), Some(0), "{name}");
        let json: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            check(&json, "kernel-config")["summary"],
            format!("options read from {source}")
        );
        for id in [
            "CONFIG_VETH",
            "CONFIG_BRIDGE",
            "CONFIG_CGROUP_BPF",
            "CONFIG_MEMCG",
            "storage-driver",
        ] {
            assert_eq!(check(&json, id)["status"], "ok", "{name} {id}");
        }
        // Options that left the kernel are not asked for on a 6.1 kernel.
        let ids = json["checks"].to_string();
        assert!(
            !ids.contains("CONFIG_NF_NAT_IPV4") && !ids.contains("CONFIG_MEMCG_SWAP"),
            "{name}"
        );
        for c in json["checks"].as_array().unwrap() {
            assert_eq!(c["group"], "kernel");
            assert_ne!(c["status"], "fail", "{name}: {c}");
        }
    }
}

#[test]
fn a_kernel_without_ipvs_matching_fails_with_the_fix() {
    // This machine's own kernel (a Firecracker guest): built without the IPVS match.
    let out = doctor(&["--root", &fixture("firecracker-6.18")]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ipvs = check(&json, "CONFIG_NETFILTER_XT_MATCH_IPVS");
    assert_eq!(ipvs["status"], "fail");
    assert!(
        ipvs["fix"]
            .as_str()
            .unwrap()
            .contains("CONFIG_NETFILTER_XT_MATCH_IPVS=y")
    );
    assert_eq!(check(&json, "CONFIG_IP_VS")["status"], "warn");
    assert_eq!(check(&json, "CONFIG_VETH")["status"], "ok");
}

#[test]
fn missing_required_options_and_no_storage_driver_fail() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(
        &config,
        "# Linux/x86 4.19.0 Kernel Configuration\nCONFIG_NAMESPACES=y\n# CONFIG_VETH is not set\n",
    )
    .unwrap();
    let out = doctor(&[
        "--kernel-config",
        config.to_str().unwrap(),
        "--root",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&json, "CONFIG_NAMESPACES")["status"], "ok");
    assert_eq!(check(&json, "CONFIG_VETH")["status"], "fail");
    assert_eq!(check(&json, "storage-driver")["status"], "fail");
    // The version comes from the config's header when the root has no release: 4.19 still
    // needs NF_NAT_IPV4 and the cgroup v1 controllers.
    assert_eq!(check(&json, "CONFIG_NF_NAT_IPV4")["status"], "fail");
    assert_eq!(
        check(&json, "kernel-version")["summary"],
        "kernel 4.19.0 (Docker needs 3.10 or newer)"
    );
}

#[test]
fn no_configuration_means_could_not_check() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("proc/sys/kernel")).unwrap();
    std::fs::write(
        dir.path().join("proc/sys/kernel/osrelease"),
        "5.10.0-28-amd64\n",
    )
    .unwrap();
    let out = doctor(&["--root", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let config = check(&json, "kernel-config");
    assert_eq!(config["status"], "skipped");
    assert!(config["fix"].as_str().unwrap().contains("--kernel-config"));
    // Old kernels are a finding of their own.
    std::fs::write(
        dir.path().join("proc/sys/kernel/osrelease"),
        "2.6.32-754.el6.x86_64\n",
    )
    .unwrap();
    let out = doctor(&["--root", dir.path().to_str().unwrap()]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check(&json, "kernel-version")["status"], "fail");
    assert_eq!(out.status.code(), Some(1));
}

/// A Debian 12 tree with the given Docker packages installed, and nothing else of Docker's.
fn debian_root(packages: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux/debian-12");
    for rel in [
        "etc/os-release",
        "proc/sys/kernel/osrelease",
        "proc/sys/kernel/arch",
    ] {
        let to = dir.path().join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fixture.join(rel), to).unwrap();
    }
    let status: Vec<String> = packages
        .iter()
        .map(|p| format!("Package: {p}\nStatus: install ok installed\nVersion: 1.0\n"))
        .collect();
    std::fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
    std::fs::write(dir.path().join("var/lib/dpkg/status"), status.join("\n")).unwrap();
    dir
}

fn write(root: &Path, rel: &str, contents: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

fn full_doctor(root: &Path, extra: &[&str]) -> Value {
    let out = Command::new(DOCKUP)
        .args(["doctor", "--json", "--root", root.to_str().unwrap()])
        .args(extra)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

const TEST_KEY: &[u8] = include_bytes!("fixtures/keys/test.asc");
const TEST_FPR: &str = include_str!("fixtures/keys/test.fingerprint");
const LIST: &str = "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/debian bookworm stable\n";

#[test]
fn docker_io_and_docker_ce_together_fail_with_the_removal() {
    let root = debian_root(&["docker-ce", "docker.io"]);
    let json = full_doctor(root.path(), &[]);
    let c = check(&json, "docker-packages");
    assert_eq!(c["status"], "fail");
    assert_eq!(c["group"], "install");
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .contains("apt-get remove -y docker.io"),
        "{c}"
    );
}

#[test]
fn a_repository_for_another_release_fails() {
    let root = debian_root(&["docker-ce"]);
    write(
        root.path(),
        "etc/apt/sources.list.d/docker.list",
        LIST.replace("bookworm", "bullseye").as_bytes(),
    );
    write(root.path(), "etc/apt/keyrings/docker.asc", TEST_KEY);
    let json = full_doctor(root.path(), &["--key-fingerprint", TEST_FPR.trim()]);
    let c = check(&json, "repo-file");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("needs debian/bookworm"),
        "{c}"
    );
}

#[test]
fn a_key_that_is_not_the_pinned_one_fails() {
    let root = debian_root(&["docker-ce"]);
    write(
        root.path(),
        "etc/apt/sources.list.d/docker.list",
        LIST.as_bytes(),
    );
    write(root.path(), "etc/apt/keyrings/docker.asc", TEST_KEY);
    // Docker's own fingerprint is pinned by default: the test key is not it.
    let json = full_doctor(root.path(), &[]);
    let c = check(&json, "repo-key");
    assert_eq!(c["status"], "fail", "{c}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("does not match the pinned fingerprint"),
        "{c}"
    );
    // A mirror's own key, named: healthy, and nothing in the install group fails.
    let json = full_doctor(root.path(), &["--key-fingerprint", TEST_FPR.trim()]);
    assert_eq!(check(&json, "repo-key")["status"], "ok");
    for c in json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["group"] == "install")
    {
        assert_ne!(c["status"], "fail", "{c}");
    }
}

#[test]
fn a_broken_daemon_json_points_at_dockups_backup() {
    let root = debian_root(&["docker-ce"]);
    write(root.path(), "etc/docker/daemon.json", b"{\"log-driver\": ");
    let json = full_doctor(root.path(), &[]);
    let c = check(&json, "daemon-json");
    assert_eq!(c["status"], "fail");
    assert!(
        c["fix"]
            .as_str()
            .unwrap()
            .starts_with("fix the JSON at line 1"),
        "{c}"
    );
    write(
        root.path(),
        "var/lib/dockup/backup/etc/docker/daemon.json",
        b"{}\n",
    );
    let json = full_doctor(root.path(), &[]);
    let c = check(&json, "daemon-json");
    assert!(
        c["fix"].as_str().unwrap().starts_with(
            "cp /var/lib/dockup/backup/etc/docker/daemon.json /etc/docker/daemon.json"
        ),
        "{c}"
    );
}
