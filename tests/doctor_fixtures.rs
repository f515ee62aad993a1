//! `dockup doctor --root` on machines in known states: tests/fixtures/doctor/<state>/ is the
//! healthy machine (tests/fixtures/doctor/healthy/, on the Debian 6.1 kernel of
//! tests/fixtures/kernel/debian-6.1-amd64) with the state's files laid over it, and its
//! expect.toml says which checks must find what. Adding a state is adding a folder; see
//! tests/fixtures/doctor/README.md.
#![cfg(unix)]

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    exit: i32,
    #[serde(default)]
    args: Vec<String>,
    /// Paths of the healthy machine that this state does not have.
    #[serde(default)]
    delete: Vec<String>,
    /// Lines taken out of a file of the healthy machine.
    #[serde(default)]
    edit: Vec<Edit>,
    /// The socket stand-in's group: "docker" (default) or "other"; "absent" for none.
    #[serde(default)]
    socket: Option<String>,
    #[serde(default)]
    socket_mode: Option<u32>,
    /// A directory to mount a tmpfs on and fill (needs root; the state is skipped without).
    #[serde(default)]
    tmpfs_full: Option<String>,
    #[serde(default)]
    check: Vec<ExpectCheck>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    remove: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectCheck {
    id: String,
    status: String,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    fix: Option<String>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Copies a tree, keeping symlinks as symlinks (a fixture's absolute links point inside it).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type().unwrap();
        if kind.is_symlink() {
            let _ = std::fs::remove_file(&dst);
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_tree(&src, &dst);
        } else if entry.file_name() != "expect.toml" {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// Unmounts what a state mounted, even when its assertions fail.
struct Mounted(Vec<PathBuf>);

impl Drop for Mounted {
    fn drop(&mut self) {
        for m in &self.0 {
            let _ = Command::new("umount").arg(m).status();
        }
    }
}

/// Builds the state's machine in a temporary directory.
fn build(state: &str, expect: &Expect) -> Option<(tempfile::TempDir, Mounted)> {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_tree(&fixtures().join("kernel/debian-6.1-amd64"), root);
    copy_tree(&fixtures().join("doctor/healthy"), root);
    if state != "healthy" {
        copy_tree(&fixtures().join("doctor").join(state), root);
    }
    for rel in &expect.delete {
        let p = root.join(rel);
        if p.is_dir() {
            std::fs::remove_dir_all(p).unwrap();
        } else {
            std::fs::remove_file(p).unwrap();
        }
    }
    for edit in &expect.edit {
        let p = root.join(&edit.file);
        let text = std::fs::read_to_string(&p).unwrap();
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with(&edit.remove))
            .collect();
        assert_ne!(
            kept.len(),
            text.lines().count(),
            "{state}: nothing to remove in {}",
            edit.file
        );
        std::fs::write(&p, kept.join("\n") + "\n").unwrap();
    }
    let sock = root.join("run/docker.sock");
    match expect.socket.as_deref().unwrap_or("docker") {
        "absent" => std::fs::remove_file(&sock).unwrap(),
        group => {
            std::fs::set_permissions(
                &sock,
                std::fs::Permissions::from_mode(expect.socket_mode.unwrap_or(0o660)),
            )
            .unwrap();
            if group == "docker" {
                docker_owns(root, &sock);
            }
        }
    }
    let mut mounted = Mounted(Vec::new());
    if let Some(rel) = &expect.tmpfs_full {
        if !is_root() {
            eprintln!("skipped {state}: mounting a tmpfs needs root");
            return None;
        }
        let at = root.join(rel);
        std::fs::create_dir_all(&at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
            .arg(&at)
            .status()
            .unwrap();
        assert!(ok.success());
        mounted.0.push(at.clone());
        // Filled the way a pull fills it: until the filesystem says no.
        let _ = std::fs::write(at.join("layer"), vec![0u8; 8 << 20]);
    }
    Some((dir, mounted))
}

/// The socket stand-in owned by the docker group of the fixture: chown as root, else give the
/// docker group this user's gid (the only one a file can get without privileges).
fn docker_owns(root: &Path, sock: &Path) {
    if is_root() {
        std::os::unix::fs::chown(sock, None, Some(998)).unwrap();
        return;
    }
    let gid = std::fs::metadata(sock).unwrap().gid();
    let group = root.join("etc/group");
    let text = std::fs::read_to_string(&group).unwrap();
    let lines: Vec<String> = text
        .lines()
        .filter(|l| l.split(':').nth(2) != Some(&gid.to_string()) || l.starts_with("docker:"))
        .map(|l| l.replace("docker:x:998:", &format!("docker:x:{gid}:")))
        .collect();
    std::fs::write(group, lines.join("\n") + "\n").unwrap();
}

fn doctor(root: &Path, args: &[String]) -> (i32, Value) {
    let fpr = std::fs::read_to_string(fixtures().join("keys/test.fingerprint")).unwrap();
    let out = Command::new(DOCKUP)
        .args(["doctor", "--json", "--root"])
        .arg(root)
        .args(["--key-fingerprint", fpr.trim()])
        .args(if args.iter().any(|a| a == "--user") {
            &[][..]
        } else {
            &["--user", "alice"][..]
        })
        .args(args)
        .env_remove("SUDO_USER")
        .env_remove("DOCKER_HOST")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// What is wrong with the state's report, if anything.
fn run_state(state: &str) -> Vec<String> {
    let text =
        std::fs::read_to_string(fixtures().join("doctor").join(state).join("expect.toml")).unwrap();
    let expect: Expect = toml::from_str(&text).unwrap_or_else(|e| panic!("{state}: {e}"));
    let Some((dir, _mounted)) = build(state, &expect) else {
        return Vec::new();
    };
    let (code, json) = doctor(dir.path(), &expect.args);
    let checks = json["checks"].as_array().unwrap();
    let mut wrong = Vec::new();
    if code != expect.exit {
        let problems: Vec<&Value> = checks
            .iter()
            .filter(|c| c["status"] == "fail" || c["status"] == "skipped")
            .collect();
        wrong.push(format!(
            "exit {code}, expected {}: {problems:?}",
            expect.exit
        ));
    }
    for want in &expect.check {
        let Some(got) = checks.iter().find(|c| c["id"] == want.id.as_str()) else {
            wrong.push(format!("no check {}", want.id));
            continue;
        };
        let summary = got["summary"].as_str().unwrap_or("");
        let fix = got["fix"].as_str();
        if got["status"] != want.status.as_str() {
            wrong.push(format!(
                "status {}, expected {}: {got}",
                got["status"], want.status
            ));
        }
        if let Some(words) = &want.summary
            && !summary.contains(words.as_str())
        {
            wrong.push(format!("summary lacks {words:?}: {got}"));
        }
        if let Some(words) = &want.fix
            && !fix.is_some_and(|f| f.contains(words.as_str()))
        {
            wrong.push(format!("fix lacks {words:?}: {got}"));
        }
        if (want.status == "warn" || want.status == "fail") && fix.is_none() {
            wrong.push(format!("a {} without a fix: {got}", want.status));
        }
    }
    if state == "healthy" {
        wrong.extend(
            checks
                .iter()
                .filter(|c| c["status"] == "fail")
                .map(|c| format!("fails: {c}")),
        );
    }
    wrong.into_iter().map(|w| format!("{state}: {w}")).collect()
}

#[test]
fn every_state_is_diagnosed_with_its_fix() {
    let mut states: Vec<String> = std::fs::read_dir(fixtures().join("doctor"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("expect.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    states.sort();
    assert!(states.len() >= 16, "{states:?}");
    let wrong: Vec<String> = states.iter().flat_map(|s| run_state(s)).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

fn load(state: &str) -> Expect {
    let text =
        std::fs::read_to_string(fixtures().join("doctor").join(state).join("expect.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

#[test]
fn fix_applies_the_safe_fixes_inside_the_root() {
    // A stale pid file, a broken daemon.json with dockup's backup, and bob outside the group.
    let (dir, _m) = build("stale-pid-file", &load("stale-pid-file")).unwrap();
    let root = dir.path();
    copy_tree(&fixtures().join("doctor/daemon-json-invalid"), root);
    let args: Vec<String> = ["--fix", "--user", "bob"].map(String::from).to_vec();

    // Without a terminal and without -y nothing is applied.
    let (_, json) = doctor(root, &args);
    let fixes = json["fixes"].as_array().unwrap();
    assert!(fixes.iter().all(|f| f["applied"] == false), "{fixes:?}");
    assert!(root.join("run/docker.pid").exists());

    let mut yes = args.clone();
    yes.push("-y".into());
    let (code, json) = doctor(root, &yes);
    let fixes = json["fixes"].as_array().unwrap();
    let fix = |id: &str| {
        fixes
            .iter()
            .find(|f| f["id"] == id)
            .unwrap_or_else(|| panic!("{id}: {fixes:?}"))
    };
    assert_eq!(fix("pid-file")["applied"], true);
    assert!(!root.join("run/docker.pid").exists());
    assert_eq!(fix("daemon-json")["applied"], true);
    let restored = std::fs::read(root.join("etc/docker/daemon.json")).unwrap();
    assert_eq!(
        restored,
        std::fs::read(fixtures().join("doctor/healthy/etc/docker/daemon.json")).unwrap()
    );
    assert!(root.join("etc/docker/daemon.json.broken").exists());
    assert_eq!(fix("docker-group")["applied"], true);
    let group = std::fs::read_to_string(root.join("etc/group")).unwrap();
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("docker:") && l.ends_with(":alice,bob")),
        "{group}"
    );
    // Nothing is started inside a tree; the daemon is still down, so problems remain.
    assert_eq!(fix("daemon-running")["applied"], false);
    assert!(
        fix("daemon-running")["result"]
            .as_str()
            .unwrap()
            .contains("nothing is started under --root")
    );
    assert_eq!(code, 1);
    let checks = json["checks"].as_array().unwrap();
    let status = |id: &str| checks.iter().find(|c| c["id"] == id).unwrap()["status"].clone();
    assert_eq!(status("daemon-json"), "ok");
    assert_eq!(status("docker-group"), "ok");
}

#[test]
fn the_bundle_has_the_report_and_configs_without_secrets() {
    let (dir, _m) = build("healthy", &load("healthy")).unwrap();
    let root = dir.path();
    let put = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    put(
        "root/.docker/config.json",
        r#"{"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOmh1bnRlcjI="}, "registry.example.com": {"auth": "YWxpY2U6czNjcmV0", "identitytoken": "tok-123"}}}"#,
    );
    put(
        "etc/systemd/system/docker.service.d/http-proxy.conf",
        "[Service]\nEnvironment=\"HTTPS_PROXY=http://proxyuser:s3cret@proxy.corp:3128\"\n",
    );
    put(
        "etc/docker/daemon.json",
        r#"{"proxies": {"https-proxy": "http://proxyuser:s3cret@proxy.corp:3128"}, "log-driver": "json-file"}"#,
    );
    let zip_path = root.join("bundle.zip");
    let out = Command::new(DOCKUP)
        .args(["doctor", "--root"])
        .arg(root)
        .arg("--bundle")
        .arg(&zip_path)
        .output()
        .unwrap();
    assert!(out.status.code().is_some(), "{out:?}");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut all = String::new();
    let mut names = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        names.push(entry.name().unwrap().to_string());
        std::io::Read::read_to_string(&mut entry, &mut all).unwrap();
    }
    for name in [
        "report.json",
        "report.txt",
        "files/etc/docker/daemon.json",
        "files/root/.docker/config.json",
        "files/etc/systemd/system/docker.service.d/http-proxy.conf",
        "files/var/log/dockup/dockup.log",
        "files/var/log/daemon.log",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
    for secret in [
        "s3cret",
        "Ym9iOmh1bnRlcjI=",
        "YWxpY2U6czNjcmV0",
        "tok-123",
        "proxyuser",
    ] {
        assert!(!all.contains(secret), "{secret} is in the bundle");
    }
    assert!(all.contains("proxy.corp:3128") && all.contains("registry.example.com"));
    assert!(all.contains("\"checks\""));
}
