#![cfg(unix)]
//! `dockup install --root DIR` with dnf, for real: an empty Rocky Linux 9 root, a local rpm
//! repository laid out and signed like download.docker.com, served on 127.0.0.1.
//!
//! Needs root and Debian's rpm/dnf packages (the mirror script installs them). Set
//! DOCKUP_E2E=require to make a skip a failure (CI does).

mod support;

use std::path::Path;
use std::process::{Command, Output};

use support::e2e::{Mirror, skip_or_fail, unavailable};

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

const ROCKY_OS_RELEASE: &str = include_str!("fixtures/linux/rocky-9/etc/os-release");

/// What an empty Rocky 9 image has before Docker: its identity and dnf's configuration.
fn rocky_root(dir: &Path) {
    std::fs::create_dir_all(dir.join("etc/dnf")).unwrap();
    std::fs::write(dir.join("etc/os-release"), ROCKY_OS_RELEASE).unwrap();
    // Without its own dnf.conf dnf would use the host's (Debian's skips broken repositories).
    std::fs::write(
        dir.join("etc/dnf/dnf.conf"),
        "[main]\ngpgcheck=1\ninstallonly_limit=3\nclean_requirements_on_remove=True\nbest=True\nskip_if_unavailable=False\n",
    )
    .unwrap();
}

struct Env {
    home: tempfile::TempDir,
}

impl Env {
    /// Debian's rpm keeps its database under ~/.rpmdb; Rocky keeps it in /var/lib/rpm.
    fn new() -> Env {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".rpmmacros"), "%_dbpath /var/lib/rpm\n").unwrap();
        Env { home }
    }

    fn dockup(&self, args: &[&str]) -> Output {
        let out = Command::new(DOCKUP)
            .args(args)
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        eprintln!(
            "$ dockup {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn installed(&self, root: &Path, package: &str) -> Option<String> {
        let out = Command::new("rpm")
            .args(["--root"])
            .arg(root)
            .args(["-q", "--qf", "%{EPOCH}:%{VERSION}-%{RELEASE}", package])
            .env("HOME", self.home.path())
            .output()
            .unwrap();
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dnf_install_into_an_empty_rocky_root() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-rpm-mirror.sh");
    let (fpr, wrong, url) = (mirror.fpr.clone(), mirror.wrong.clone(), mirror.url());
    let env = Env::new();
    let root_dir = tempfile::Builder::new()
        .prefix("dockup-e2e-rocky")
        .tempdir()
        .unwrap();
    let root = root_dir.path();
    rocky_root(root);
    let r = root.to_str().unwrap();
    let log = root.join("dockup.log");
    let log = log.to_str().unwrap();
    let install = |extra: &[&str]| {
        let mut args = vec!["install", "-y", "--root", r, "--mirror", &url, "--log", log];
        args.extend(extra);
        env.dockup(&args)
    };

    // A key that is not the pinned one: refused, nothing written.
    let out = install(&["--key-fingerprint", &wrong]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("does not match the pinned fingerprint"),
        "{}",
        stderr(&out)
    );
    assert!(!root.join("etc/yum.repos.d/docker-ce.repo").exists());
    assert!(!root.join("etc/pki/rpm-gpg/docker-ce.asc").exists());

    // The newest stable release, through dnf --installroot.
    let out = install(&["--key-fingerprint", &fpr]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.installed(root, "docker-ce").as_deref(),
        Some("3:27.3.1-1.el9")
    );
    assert_eq!(
        env.installed(root, "docker-ce-cli").as_deref(),
        Some("1:27.3.1-1.el9")
    );
    for p in [
        "containerd.io",
        "docker-buildx-plugin",
        "docker-compose-plugin",
    ] {
        assert!(env.installed(root, p).is_some(), "{p} not installed");
    }
    let repo = std::fs::read_to_string(root.join("etc/yum.repos.d/docker-ce.repo")).unwrap();
    assert!(
        repo.contains(&format!("baseurl={url}/linux/centos/9/$basearch/stable")),
        "{repo}"
    );
    assert!(
        repo.contains(&format!("gpgkey=file://{r}/etc/pki/rpm-gpg/docker-ce.asc")),
        "{repo}"
    );
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.contains(&format!(
            "$ dnf --installroot={r} --releasever=9 install -y docker-ce"
        )),
        "{text}"
    );

    // Again: nothing to do.
    let out = install(&["--key-fingerprint", &fpr]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));

    // A pin resolves against dnf's list and installs across different epochs.
    let out = install(&["--key-fingerprint", &fpr, "--version", "24.0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.installed(root, "docker-ce").as_deref(),
        Some("3:24.0.7-1.el9")
    );
    assert_eq!(
        env.installed(root, "docker-ce-cli").as_deref(),
        Some("1:24.0.7-1.el9")
    );
}

const SLES_OS_RELEASE: &str = include_str!("fixtures/linux/sles-15-s390x/etc/os-release");

/// The zypper path: a SLES 15 root. Docker's sles tree is s390x only (and frozen), so dockup
/// prefers SUSE's own package and takes the repo only with --strategy repo; the test mirror
/// serves its x86_64 stand-ins under that s390x path, which zypper on this x86_64 host installs.
#[test]
fn zypper_install_into_a_sles_root() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-rpm-mirror.sh");
    let linux = mirror.dir.path().join("linux");
    std::fs::create_dir_all(linux.join("sles/15")).unwrap();
    std::os::unix::fs::symlink(linux.join("centos/9/x86_64"), linux.join("sles/15/s390x")).unwrap();
    std::fs::copy(linux.join("centos/gpg"), linux.join("sles/gpg")).unwrap();
    let env = Env::new();
    let root_dir = tempfile::Builder::new()
        .prefix("dockup-e2e-sles")
        .tempdir()
        .unwrap();
    let root = root_dir.path();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
    std::fs::write(root.join("etc/os-release"), SLES_OS_RELEASE).unwrap();
    std::fs::write(root.join("proc/sys/kernel/arch"), "s390x\n").unwrap();
    let r = root.to_str().unwrap();
    let log = root.join("dockup.log");
    let (url, fpr) = (mirror.url(), mirror.fpr.clone());
    let install = |extra: &[&str]| {
        let mut args = vec![
            "install",
            "-y",
            "--root",
            r,
            "--strategy",
            "repo",
            "--mirror",
            &url,
            "--key-fingerprint",
            &fpr,
            "--log",
            log.to_str().unwrap(),
        ];
        args.extend(extra);
        env.dockup(&args)
    };

    let out = install(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.installed(root, "docker-ce").as_deref(),
        Some("3:27.3.1-1.el9")
    );
    let repo = std::fs::read_to_string(root.join("etc/zypp/repos.d/docker-ce.repo")).unwrap();
    assert!(
        repo.contains(&format!("baseurl={url}/linux/sles/15/s390x/stable")),
        "{repo}"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!(
            "$ zypper --root {r} --non-interactive install docker-ce"
        )),
        "{text}"
    );

    // A pin resolves against zypper's own search and downgrades.
    let out = install(&["--version", "24.0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.installed(root, "docker-ce").as_deref(),
        Some("3:24.0.7-1.el9")
    );
    assert_eq!(
        env.installed(root, "docker-ce-cli").as_deref(),
        Some("1:24.0.7-1.el9")
    );
}
