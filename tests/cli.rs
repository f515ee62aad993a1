//! The binary as users and scripts meet it: exit codes, errors, JSON shapes, bad input.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

fn dockup(args: &[&str]) -> Output {
    Command::new(DOCKUP)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
        .to_string_lossy()
        .into_owned()
}

fn stdout_json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The machine this runs on is Debian bookworm (the project's machine and CI's).
#[test]
fn detect_on_this_machine() {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    if !os_release.contains("VERSION_CODENAME=bookworm") || !os_release.contains("ID=debian") {
        eprintln!("not a Debian bookworm machine; skipped");
        return;
    }
    let out = dockup(&["detect", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["family"], "debian");
    assert_eq!(json["strategy"], "repo");
    assert_eq!(json["repo"], "debian/bookworm");
}

#[test]
fn detect_output_round_trips_through_a_facts_file() {
    let dir = tempfile::tempdir().unwrap();
    for machine in [
        "linux/mint-21",
        "linux/centos-7",
        "linux/alpine-3.19",
        "linux/debian-7",
    ] {
        let first = stdout_json(&dockup(&["detect", "--json", "--root", &fixture(machine)]));
        let file = dir.path().join("facts.json");
        // Both the whole detect document and its `facts` object are accepted.
        for doc in [&first, &first["facts"]] {
            std::fs::write(&file, serde_json::to_string(doc).unwrap()).unwrap();
            let again = stdout_json(&dockup(&[
                "detect",
                "--json",
                "--facts",
                file.to_str().unwrap(),
            ]));
            assert_eq!(first, again, "{machine}");
        }
    }
}

#[test]
fn plan_json_lists_typed_steps_with_their_commands() {
    let out = dockup(&["plan", "--json", "--root", &fixture("linux/ubuntu-22.04")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["strategy"], "repo");
    assert_eq!(json["repo"], "ubuntu/jammy");
    let steps = json["steps"].as_array().unwrap();
    let kinds: Vec<&str> = steps.iter().map(|s| s["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "remove_packages",
            "install_packages",
            "add_signing_key",
            "write_file",
            "refresh_index",
            "install_packages",
            "enable_service",
            "verify"
        ]
    );
    // Without a dpkg database under the root, prerequisites are installed only if missing.
    assert_eq!(steps[1]["only_missing"], true);
    let key = &steps[2];
    assert_eq!(
        key["fingerprint"],
        "9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
    );
    let source = steps[3]["contents"].as_str().unwrap();
    assert_eq!(
        source,
        "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] https://download.docker.com/linux/ubuntu jammy stable\n"
    );
    for step in steps {
        assert!(!step["commands"].as_array().unwrap().is_empty(), "{step}");
    }
}

#[test]
fn install_dry_run_prints_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let facts = dir.path().join("rocky.json");
    let detected = dockup(&["detect", "--json", "--root", &fixture("linux/rocky-9")]);
    std::fs::write(&facts, &detected.stdout).unwrap();
    let facts = facts.to_str().unwrap();
    let plan = dockup(&["plan", "--facts", facts, "--channel", "test"]);
    let dry = dockup(&[
        "install",
        "--dry-run",
        "--facts",
        facts,
        "--channel",
        "test",
    ]);
    assert!(plan.status.success() && dry.status.success());
    assert_eq!(plan.stdout, dry.stdout);
}

/// `install --root DIR` aims every command and file at the tree, and starts nothing there.
#[test]
fn install_into_a_root_is_aimed_at_it() {
    let root = std::fs::canonicalize(fixture("linux/rocky-9")).unwrap();
    let root = root.to_str().unwrap();
    let listing = |dir: &str| {
        let out = Command::new("find").arg(dir).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = listing(root);
    let out = dockup(&["install", "--dry-run", "--json", "--root", root]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout_json(&out);
    let commands: Vec<String> = json["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["commands"].as_array().unwrap().clone())
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    let text = commands.join("\n");
    assert!(
        text.contains(&format!(
            "dnf --installroot={root} --releasever=9 install -y docker-ce"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "rpm --root {root} --import {root}/etc/pki/rpm-gpg/docker-ce.asc"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("{root}/etc/yum.repos.d/docker-ce.repo")),
        "{text}"
    );
    assert!(!text.contains("systemctl"), "{text}");
    // The dry run's checks read the tree and change nothing in it (rpm would create a
    // database where there is none).
    assert_eq!(listing(root), before);
    // Installing for real needs a real machine: --facts only describes one.
    let out = dockup(&["install", "--facts", "x.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn uninstall_refuses_to_act_on_a_described_machine() {
    let out = dockup(&[
        "uninstall",
        "--facts",
        &fixture("windows/win11-24h2-pro.json"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("only describe other machines"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unsupported_machines_exit_3_with_the_reason() {
    let out = dockup(&["plan", "--root", &fixture("linux/nixos")]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("virtualisation.docker.enable"),
        "{}",
        stderr(&out)
    );
    // detect itself succeeds: unsupported is an answer, not an error.
    let out = dockup(&["detect", "--json", "--root", &fixture("linux/nixos")]);
    assert!(out.status.success());
    assert_eq!(stdout_json(&out)["strategy"], "unsupported");
}

#[test]
fn forcing_an_impossible_strategy_names_the_possible_ones() {
    let out = dockup(&[
        "plan",
        "--root",
        &fixture("linux/alpine-3.19"),
        "--strategy",
        "repo",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let err = stderr(&out);
    assert!(err.contains("the repo strategy is not possible"), "{err}");
    assert!(err.contains("--strategy distro"), "{err}");
}

#[test]
fn bad_facts_files_are_named_errors() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("facts.json");
    // Pro is not Server, so the decision goes on and needs the architecture next.
    std::fs::write(
        &file,
        "{\"os\": \"windows\", \"windows\": {\"edition_id\": \"Professional\"}}",
    )
    .unwrap();
    let out = dockup(&["detect", "--facts", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("have no `arch`"), "{}", stderr(&out));
    // With nothing to tell Server from client, the first field needed is named.
    std::fs::write(&file, "{\"os\": \"windows\", \"windows\": {}}").unwrap();
    let out = dockup(&["detect", "--facts", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("`installation_type`"),
        "{}",
        stderr(&out)
    );

    std::fs::write(&file, "not json").unwrap();
    let out = dockup(&["detect", "--facts", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("is not valid facts JSON"),
        "{}",
        stderr(&out)
    );

    let out = dockup(&["detect", "--facts", "/nonexistent/facts.json"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(
        stderr(&out).contains("cannot read the facts file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_missing_root_is_an_error_not_a_guess() {
    let out = dockup(&["detect", "--root", "/nonexistent/root"]);
    assert_eq!(out.status.code(), Some(4));
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));
}

#[test]
fn with_json_a_failure_before_the_run_still_ends_on_a_result_line() {
    for command in ["install", "detect", "plan"] {
        let out = dockup(&[command, "--json", "--root", "/nonexistent/root"]);
        assert_eq!(out.status.code(), Some(4));
        let text = String::from_utf8_lossy(&out.stdout);
        let last = text.lines().last().unwrap_or_default();
        let result: Value = serde_json::from_str(last).unwrap();
        assert_eq!(result["event"], "result", "{command}");
        assert_eq!(result["ok"], false);
        assert_eq!(result["exit"], 4);
        assert!(
            result["error"]
                .as_str()
                .unwrap()
                .contains("/nonexistent/root")
        );
    }
    let out = dockup(&["install", "--json", "--assume-distro", "nonexistent:1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let result: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(result["exit"], out.status.code().unwrap());
    assert!(result["help"].is_string() || result["help"].is_null());
}

#[test]
fn root_and_facts_conflict() {
    let out = dockup(&["detect", "--root", "/", "--facts", "x.json"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_option_values_are_usage_errors() {
    for args in [
        ["--channel", "nightly"],
        ["--version", "latest"],
        ["--mirror", "ftp://x"],
        ["--key-fingerprint", "0EBFCD88"],
        ["--strategy", "magic"],
    ] {
        let out = dockup(&[
            "plan",
            "--root",
            &fixture("linux/debian-12"),
            args[0],
            args[1],
        ]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

/// A huge os-release is refused with a warning, not read into memory or trusted.
#[test]
fn huge_and_binary_files_give_an_answer_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let root: PathBuf = dir.path().into();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
    let huge = "ID=debian\n".repeat(1_000_000);
    std::fs::write(root.join("etc/os-release"), huge).unwrap();
    std::fs::write(
        root.join("proc/sys/kernel/osrelease"),
        [0xff, 0, 0xfe, b'\n'],
    )
    .unwrap();
    std::fs::write(root.join("proc/sys/kernel/arch"), vec![0u8; 100]).unwrap();
    let out = dockup(&["detect", "--json", "--root", root.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = stdout_json(&out);
    assert_eq!(json["strategy"], "unsupported");
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("larger than"), "{warnings}");
}

/// With the package database readable, the plan names exactly what it removes and installs.
#[test]
fn a_readable_dpkg_database_makes_conflicts_and_prerequisites_exact() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for rel in [
        "etc/os-release",
        "proc/sys/kernel/osrelease",
        "proc/sys/kernel/arch",
    ] {
        let to = root.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(&fixture("linux/debian-12")).join(rel), to).unwrap();
    }
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    let status = |pkgs: &[&str]| {
        pkgs.iter()
            .map(|p| format!("Package: {p}\nStatus: install ok installed\nVersion: 1.0\n"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        status(&["docker.io", "runc", "bash"]),
    )
    .unwrap();
    let plan = |root: &Path| {
        let out = dockup(&["plan", "--json", "--root", root.to_str().unwrap()]);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout_json(&out)["steps"].as_array().unwrap().clone()
    };
    let steps = plan(root);
    assert_eq!(steps[0]["kind"], "remove_packages");
    assert_eq!(
        steps[0]["packages"],
        serde_json::json!(["docker.io", "runc"])
    );
    assert_eq!(steps[0]["only_installed"], false);
    assert_eq!(steps[1]["kind"], "refresh_index");
    assert_eq!(steps[2]["kind"], "install_packages");
    assert_eq!(
        steps[2]["packages"],
        serde_json::json!([{"name": "ca-certificates"}])
    );
    assert_eq!(steps[2]["only_missing"], false);

    std::fs::write(
        root.join("var/lib/dpkg/status"),
        status(&["ca-certificates"]),
    )
    .unwrap();
    let steps = plan(root);
    assert_eq!(
        steps[0]["kind"], "add_signing_key",
        "nothing to remove or add first"
    );
}

/// Two runs never interleave: the second says who holds the lock and changes nothing.
#[test]
fn a_second_concurrent_run_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let lock_path = dir.path().join("dockup.lock");
    let file = std::fs::File::create(&lock_path).unwrap();
    file.lock().unwrap();
    std::fs::write(&lock_path, "4242\n").unwrap();
    for args in [&["install", "-y"][..], &["uninstall", "-y"][..]] {
        let out = Command::new(DOCKUP)
            .args(args)
            .env("DOCKUP_LOCK_FILE", &lock_path)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("another dockup run is in progress, pid 4242"),
            "{err}"
        );
        assert!(
            out.stdout.is_empty(),
            "it printed a plan: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// Without root nothing is changed and the error names every step that needs root.
#[cfg(unix)]
#[test]
fn without_root_install_names_what_needs_root() {
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let has_setpriv = Command::new("setpriv").arg("--version").output().is_ok();
    if !is_root || !has_setpriv {
        eprintln!("skipped: needs root and setpriv to become an unprivileged user");
        return;
    }
    let log = tempfile::NamedTempFile::new().unwrap();
    std::fs::set_permissions(
        log.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o666),
    )
    .unwrap();
    let out = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            DOCKUP,
            "install",
            "-y",
            "--log",
        ])
        .arg(log.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("dockup must run as root to:"), "{err}");
    assert!(err.contains("Install Docker"), "{err}");
    assert!(err.contains("--sudo"), "{err}");
}

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = dockup(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("dockup") && text.contains("uninstall"),
            "{shell}"
        );
    }
    let out = dockup(&["man"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(".ie") && text.contains(".TH dockup 1"),
        "{text}"
    );
}

/// Flags beat DOCKUP_* variables, which beat the config file, which beats the defaults; a key
/// the file should not have is an error naming it.
#[test]
fn config_file_and_environment_precedence() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dockup.toml");
    std::fs::write(
        &config,
        "channel = \"test\"\nmirror = \"https://file.example\"\nversion = \"24.0\"\nregistry-mirror = [\"https://r.example\"]\nno-start = true\n",
    )
    .unwrap();
    let root = fixture("linux/debian-12");
    let plan = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(DOCKUP);
        cmd.args(["plan", "--json", "--root", &root])
            .args(args)
            .env("NO_COLOR", "1");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout_json(&out)["steps"].to_string()
    };
    let config = config.to_str().unwrap();
    // The file alone.
    let steps = plan(&["--config", config], &[]);
    assert!(
        steps.contains("https://file.example/linux/debian bookworm test"),
        "{steps}"
    );
    assert!(steps.contains("https://r.example"), "{steps}");
    assert!(
        !steps.contains("enable_service") && !steps.contains("start_daemon"),
        "{steps}"
    );
    // The environment beats the file; DOCKUP_CONFIG names the file too.
    let steps = plan(
        &[],
        &[
            ("DOCKUP_CONFIG", config),
            ("DOCKUP_MIRROR", "https://env.example"),
            ("DOCKUP_CHANNEL", "stable"),
        ],
    );
    assert!(
        steps.contains("https://env.example/linux/debian bookworm stable"),
        "{steps}"
    );
    // A flag beats both.
    let steps = plan(
        &["--config", config, "--mirror", "https://flag.example"],
        &[("DOCKUP_MIRROR", "https://env.example")],
    );
    assert!(
        steps.contains("https://flag.example/linux/debian"),
        "{steps}"
    );
    // Defaults where nobody says anything.
    let steps = plan(&[], &[]);
    assert!(
        steps.contains("https://download.docker.com/linux/debian bookworm stable"),
        "{steps}"
    );

    std::fs::write(dir.path().join("bad.toml"), "chanel = \"test\"\n").unwrap();
    let out = dockup(&[
        "plan",
        "--root",
        &root,
        "--config",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown field `chanel`"),
        "{}",
        stderr(&out)
    );
    std::fs::write(dir.path().join("bad.toml"), "channel = \"nightly\"\n").unwrap();
    let out = dockup(&[
        "plan",
        "--root",
        &root,
        "--config",
        dir.path().join("bad.toml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("config key `channel`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn artifact_mirror_and_download_only_fetch_by_file_name_and_verify() {
    let facts = fixture("windows/win7-sp1-pro-x64.json");
    // The plan shows where each artifact will come from.
    let out = dockup(&[
        "plan",
        "--json",
        "--facts",
        &facts,
        "--artifact-mirror",
        "https://mirror.example/dockup/",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout_json(&out);
    let downloads: Vec<&Value> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["kind"] == "download")
        .collect();
    assert!(downloads.len() >= 4, "{plan:#}");
    for d in &downloads {
        let file = d["artifact"]["file"].as_str().unwrap();
        assert_eq!(
            d["artifact"]["url"],
            format!("https://mirror.example/dockup/{file}")
        );
    }

    // Fetching for that machine from a mirror whose files are not the pinned ones: each is
    // asked for by name, none is kept, and the run says which failed.
    let served = tempfile::tempdir().unwrap();
    for d in &downloads {
        let file = d["artifact"]["file"].as_str().unwrap();
        std::fs::write(served.path().join(file), b"not the real thing").unwrap();
    }
    let server = support::http::Server::serve_dir(served.path());
    let dest = tempfile::tempdir().unwrap();
    let out = dockup(&[
        "install",
        "--json",
        "--facts",
        &facts,
        "--artifact-mirror",
        &server.url(),
        "--download-only",
        dest.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let artifacts: Vec<&Value> = events.iter().filter(|e| e["event"] == "artifact").collect();
    assert_eq!(artifacts.len(), downloads.len());
    assert!(artifacts.iter().all(|a| a["ok"] == false));
    assert!(
        artifacts.iter().any(|a| a["detail"]
            .as_str()
            .unwrap()
            .contains("does not have the pinned sha256")),
        "{text}"
    );
    assert_eq!(events.last().unwrap()["event"], "result");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
    let asked: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert!(
        asked.iter().all(|p| downloads
            .iter()
            .any(|d| p.ends_with(d["artifact"]["file"].as_str().unwrap()))),
        "{asked:?}"
    );

    // --from takes a directory that exists.
    let out = dockup(&["install", "--from", "/nonexistent/dir", "-y"]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(stderr(&out).contains("--download-only"), "{}", stderr(&out));
}

#[test]
fn static_binaries_are_offered_where_nothing_packages_docker() {
    let root = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", &format!("{}/.", fixture("linux/unknown-no-hints"))])
        .arg(root.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root_arg = root.path().to_str().unwrap();
    // Offered, never chosen: nothing would keep the binaries up to date.
    let out = dockup(&["detect", "--json", "--root", root_arg]);
    let detected = stdout_json(&out);
    assert_eq!(detected["strategy"], "unsupported");
    assert_eq!(detected["alternatives"][0]["strategy"], "static");
    let out = dockup(&["install", "--dry-run", "--root", root_arg]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));

    // Chosen, on a machine where systemd runs: the binaries, the group, a unit, the service.
    std::fs::create_dir_all(root.path().join("run/systemd/system")).unwrap();
    let out = dockup(&["plan", "--json", "--strategy", "static", "--root", root_arg]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout_json(&out);
    let kinds: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "download",
            "extract",
            "create_group",
            "write_file",
            "run_after_change",
            "enable_service",
            "verify"
        ]
    );
    let unit = &plan["steps"][3];
    assert_eq!(unit["path"], "/etc/systemd/system/docker.service");
    assert!(
        unit["contents"]
            .as_str()
            .unwrap()
            .contains("ExecStart=/usr/local/bin/dockerd")
    );
    assert!(plan["steps"][0]["artifact"]["sha256"].is_string());
    assert!(plan["notes"].as_array().unwrap().iter().any(|n| {
        n.as_str()
            .unwrap()
            .contains("no package manager updates them")
    }));
}

#[test]
fn the_cloud_init_example_carries_a_config_dockup_accepts() {
    let example = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cloud-init.yaml"),
    )
    .unwrap();
    // The file written by write_files: the block under `content: |`, six spaces in.
    let config: String = example
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("content: |"))
        .skip(1)
        .take_while(|l| l.starts_with("      "))
        .map(|l| format!("{}\n", &l[6..]))
        .collect();
    assert!(config.contains("yes = true"), "{config}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dockup.toml");
    std::fs::write(&file, &config).unwrap();
    let out = dockup(&[
        "plan",
        "--config",
        file.to_str().unwrap(),
        "--root",
        &fixture("linux/debian-12"),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        example.contains("sha256sum -c"),
        "install.sh is checked before it runs"
    );
}

#[test]
fn every_install_flag_has_its_config_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("dockup.toml");
    std::fs::write(
        &config,
        "non-interactive = true\naccept-legacy = true\nartifact-mirror = \"https://a.example/dockup\"\nyes = true\n",
    )
    .unwrap();
    let out = dockup(&[
        "install",
        "--dry-run",
        "--json",
        "--facts",
        &fixture("windows/win7-sp1-pro-x64.json"),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = stdout_json(&out);
    let urls: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["artifact"]["url"].as_str())
        .collect();
    assert!(!urls.is_empty());
    assert!(
        urls.iter()
            .all(|u| u.starts_with("https://a.example/dockup/")),
        "{urls:?}"
    );
}
