#![cfg(unix)]
//! scripts/install.sh against a fake release served on 127.0.0.1, under dash and BusyBox ash,
//! with curl, GNU wget or BusyBox's wget and each sha256 tool it can fall back to.
//!
//! Needs dash and busybox (Debian: busybox-static); without them it says why and skips.
//! DOCKUP_E2E=require (CI) makes a skip a failure.

#[path = "support/http.rs"]
#[allow(dead_code)]
mod http;

use std::ffi::OsString;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use http::Server;
use tempfile::TempDir;

/// What install.sh needs besides a download tool and a sha256 tool (its `cat` is for --help).
const BASE_TOOLS: &[&str] = &[
    "uname", "id", "mktemp", "rm", "mkdir", "mv", "chmod", "cp", "awk", "tr", "sed", "cat",
];

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh")
}

/// Skips, or fails where these tests are required (CI sets DOCKUP_E2E=require). A local copy
/// of tests/support/e2e.rs's, which would drag in the chroot helpers.
fn skip_or_fail(why: &str) {
    if std::env::var("DOCKUP_E2E").as_deref() == Ok("require") {
        panic!("the install.sh test cannot run here: {why}");
    }
    eprintln!("skipped: {why}");
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| {
            p.metadata()
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

fn busybox() -> Option<PathBuf> {
    // busybox-static installs /bin/busybox, which may not be on a restricted PATH.
    find_program("busybox").or_else(|| Some(PathBuf::from("/bin/busybox")).filter(|p| p.is_file()))
}

#[derive(Clone, Debug)]
struct Shell {
    name: &'static str,
    argv: Vec<OsString>,
}

/// dash and BusyBox ash, the shells install.sh promises to run under. A missing one is a skip.
fn shells() -> Vec<Shell> {
    let mut out = Vec::new();
    match find_program("dash") {
        Some(dash) => out.push(Shell {
            name: "dash",
            argv: vec![dash.into()],
        }),
        None => skip_or_fail("no dash"),
    }
    match busybox() {
        Some(bb) => out.push(Shell {
            name: "busybox ash",
            argv: vec![bb.into(), "sh".into()],
        }),
        None => skip_or_fail("no busybox (apt-get install busybox-static)"),
    }
    out
}

/// The artifact install.sh picks on this machine.
fn artifact() -> Option<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Some("dockup-x86_64-unknown-linux-musl"),
        "aarch64" => Some("dockup-aarch64-unknown-linux-musl"),
        _ => None,
    }
}

const FAKE: &str = "#!/bin/sh\necho \"dockup fake $@\"\n";

/// A release directory served over http: the fake binaries and a SHA256SUMS.
struct Release {
    _dir: TempDir,
    server: Server,
    artifact: &'static str,
    hash: String,
}

impl Release {
    /// `sums` turns (this machine's artifact, its true sha256) into SHA256SUMS, or None for none.
    fn new(sums: impl FnOnce(&str, &str) -> Option<String>) -> Option<Release> {
        let Some(artifact) = artifact() else {
            skip_or_fail(&format!("no dockup release for {}", std::env::consts::ARCH));
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "dockup-x86_64-unknown-linux-musl",
            "dockup-aarch64-unknown-linux-musl",
            "dockup-x86_64-pc-windows-gnu.exe",
        ] {
            let body = if name == artifact {
                FAKE.to_string()
            } else {
                format!("#!/bin/sh\necho wrong artifact {name}\n")
            };
            std::fs::write(dir.path().join(name), body).unwrap();
        }
        let hash = dockup::exec::download::hash_file(&dir.path().join(artifact)).unwrap();
        if let Some(text) = sums(artifact, &hash) {
            std::fs::write(dir.path().join("SHA256SUMS"), text).unwrap();
        }
        let server = Server::serve_dir(dir.path());
        Some(Release {
            _dir: dir,
            server,
            artifact,
            hash,
        })
    }

    /// A SHA256SUMS as the release build writes it, with look-alike names around ours.
    fn good() -> Option<Release> {
        Release::new(|artifact, hash| Some(sums_with(artifact, hash)))
    }

    fn url(&self) -> String {
        self.server.url()
    }
}

fn sums_with(artifact: &str, hash: &str) -> String {
    let other = "a".repeat(64);
    let sig = "b".repeat(64);
    let exe = "c".repeat(64);
    let wrong_arch = if artifact.contains("x86_64") {
        "dockup-aarch64-unknown-linux-musl"
    } else {
        "dockup-x86_64-unknown-linux-musl"
    };
    format!(
        "{other}  {wrong_arch}\n{sig}  {artifact}.sig\n{exe}  dockup-x86_64-pc-windows-gnu.exe\n{hash}  {artifact}\n"
    )
}

/// The places one run may touch, so a test can tell what it left behind.
struct Sandbox {
    root: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("tmp")).unwrap();
        std::fs::create_dir(root.path().join("home")).unwrap();
        Sandbox { root }
    }

    /// The --to directory; not created, so the script must create it.
    fn target(&self) -> PathBuf {
        self.root.path().join("target-bin")
    }

    fn tmp(&self) -> PathBuf {
        self.root.path().join("tmp")
    }

    fn entries(dir: &Path) -> Vec<String> {
        match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    fn assert_nothing_installed(&self) {
        assert_eq!(
            Sandbox::entries(&self.target()),
            Vec::<String>::new(),
            "the target dir must stay empty"
        );
        self.assert_no_temp_files();
    }

    fn assert_no_temp_files(&self) {
        assert_eq!(
            Sandbox::entries(&self.tmp()),
            Vec::<String>::new(),
            "temporary files left in TMPDIR"
        );
    }

    /// Runs install.sh under `shell` with a clean environment; `path` is the whole PATH.
    /// install.sh from the release at `base`, into this sandbox's target, plus `more` args.
    fn install(&self, shell: &Shell, path: &str, base: &str, more: &[&str]) -> Output {
        let target = self.target();
        let mut args = vec!["--base-url", base, "--to", target.to_str().unwrap()];
        args.extend_from_slice(more);
        self.run(shell, path, &args)
    }

    fn run(&self, shell: &Shell, path: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(&shell.argv[0]);
        cmd.args(&shell.argv[1..])
            .arg(script())
            .args(args)
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.root.path().join("home"))
            .env("TMPDIR", self.tmp());
        let out = cmd.output().unwrap();
        eprintln!(
            "[{}] install.sh {}: {}\n--- stdout\n{}--- stderr\n{}",
            shell.name,
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

fn host_path() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".into())
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A directory of symlinks to exactly `tools` (plus what install.sh always needs), for a PATH
/// that hides everything else. None when one of `tools` is not installed here.
fn tool_dir(tools: &[&str]) -> Option<TempDir> {
    let dir = tempfile::tempdir().unwrap();
    for name in BASE_TOOLS.iter().chain(tools) {
        let Some(real) = find_program(name) else {
            eprintln!("no {name} here");
            return None;
        };
        symlink(real, dir.path().join(name)).unwrap();
    }
    Some(dir)
}

/// A directory holding BusyBox's applets and nothing else: an Alpine-like userland.
fn busybox_dir() -> Option<TempDir> {
    let bb = busybox()?;
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(bb)
        .arg("--install")
        .arg("-s")
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(status.success(), "busybox --install -s failed");
    Some(dir)
}

fn path_of(dir: &TempDir) -> String {
    dir.path().to_str().unwrap().to_string()
}

/// Installs with a good checksum, then checks that `fetcher` (where known) and `hasher` did the
/// work, that the binary landed and runs, and that nothing else was left.
fn assert_installs(
    shell: &Shell,
    release: &Release,
    path: &str,
    (fetcher, hasher): (Option<&str>, &str),
) {
    let sb = Sandbox::new();
    let target = sb.target();
    let out = sb.install(shell, path, &release.url(), &[]);
    assert!(out.status.success(), "[{}] install failed", shell.name);
    let installed = target.join("dockup");
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), FAKE);
    let mode = installed.metadata().unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o755, "installed mode {mode:o}");
    assert_eq!(Sandbox::entries(&target), vec!["dockup".to_string()]);
    sb.assert_no_temp_files();
    let err = stderr(&out);
    if let Some(fetcher) = fetcher {
        assert!(
            err.contains(&format!("(with {fetcher})")),
            "not {fetcher}: {err}"
        );
    }
    assert!(
        err.contains(&format!("verified sha256 {} (with {hasher})", release.hash)),
        "not {hasher}: {err}"
    );
    assert!(
        stderr(&out).contains("install --dry-run"),
        "without `--` it says what to run next"
    );
    let ran = Command::new(&installed).arg("--version").output().unwrap();
    assert_eq!(stdout(&ran), "dockup fake --version\n");
}

#[test]
fn good_checksum_installs_and_the_binary_runs() {
    let Some(release) = Release::good() else {
        return;
    };
    for shell in shells() {
        // curl where the host has it; which wget otherwise depends on the host.
        let fetcher = find_program("curl").map(|_| "curl");
        assert_installs(&shell, &release, &host_path(), (fetcher, "sha256sum"));
    }
}

#[test]
fn arguments_after_double_dash_go_to_the_installed_dockup() {
    let Some(release) = Release::good() else {
        return;
    };
    for shell in shells() {
        let sb = Sandbox::new();
        let target = sb.target();
        // An older dockup already there: it is replaced, not added to.
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("dockup"), "#!/bin/sh\necho old\n").unwrap();
        let out = sb.install(
            &shell,
            &host_path(),
            &release.url(),
            &["--", "install", "-y", "--dry-run"],
        );
        assert!(out.status.success(), "[{}] failed", shell.name);
        assert_eq!(stdout(&out), "dockup fake install -y --dry-run\n");
        assert_eq!(
            std::fs::read_to_string(target.join("dockup")).unwrap(),
            FAKE
        );
        assert_eq!(Sandbox::entries(&target), vec!["dockup".to_string()]);
        sb.assert_no_temp_files();
    }
}

#[test]
fn bad_checksum_installs_nothing() {
    let Some(release) = Release::new(|artifact, _| Some(sums_with(artifact, &"d".repeat(64))))
    else {
        return;
    };
    for shell in shells() {
        let sb = Sandbox::new();
        let out = sb.install(&shell, &host_path(), &release.url(), &["--", "install"]);
        assert!(!out.status.success(), "[{}] must fail", shell.name);
        let err = stderr(&out);
        assert!(
            err.contains("install.sh: error: checksum mismatch"),
            "{err}"
        );
        assert!(err.contains(&"d".repeat(64)), "names the expected hash");
        assert!(err.contains(&release.hash), "names the actual hash");
        assert_eq!(stdout(&out), "", "dockup must not have run");
        sb.assert_nothing_installed();
    }
}

#[test]
fn missing_sums_line_or_file_installs_nothing() {
    let no_line = Release::new(|artifact, hash| {
        Some(
            sums_with(artifact, hash)
                .lines()
                .filter(|l| !l.ends_with(&format!("  {artifact}")))
                .map(|l| format!("{l}\n"))
                .collect(),
        )
    });
    let no_file = Release::new(|_, _| None);
    let (Some(no_line), Some(no_file)) = (no_line, no_file) else {
        return;
    };
    for shell in shells() {
        for (release, expect) in [
            (&no_line, "install.sh: error: checksum missing"),
            (&no_file, "install.sh: error: could not download"),
        ] {
            let sb = Sandbox::new();
            let out = sb.install(&shell, &host_path(), &release.url(), &[]);
            assert!(!out.status.success(), "[{}] must fail", shell.name);
            let err = stderr(&out);
            assert!(err.contains(expect), "{err}");
            assert!(err.contains(release.artifact) || err.contains("SHA256SUMS"));
            sb.assert_nothing_installed();
        }
    }
}

#[test]
fn dry_run_downloads_and_installs_nothing() {
    let Some(release) = Release::good() else {
        return;
    };
    for shell in shells() {
        let sb = Sandbox::new();
        let target = sb.target();
        let out = sb.run(
            &shell,
            &host_path(),
            &[
                "--dry-run",
                "--base-url",
                &release.url(),
                "--to",
                target.to_str().unwrap(),
                "--",
                "install",
                "it's",
            ],
        );
        assert!(out.status.success(), "[{}] dry run failed", shell.name);
        let text = stdout(&out);
        assert!(text.contains(&format!("{}/{}", release.url(), release.artifact)));
        assert!(text.contains(&format!("{}/SHA256SUMS", release.url())));
        assert!(text.contains(&format!("would install:  {}/dockup", target.display())));
        assert!(text.contains(r"install 'it'\''s'"), "{text}");
        assert!(!target.exists(), "the dry run created the target dir");
        sb.assert_no_temp_files();
    }
    assert_eq!(
        release.server.requests(),
        Vec::new(),
        "the dry run downloaded"
    );
}

#[test]
fn dry_run_without_a_base_url_names_github() {
    for shell in shells() {
        let sb = Sandbox::new();
        let target = sb.target();
        let t = target.to_str().unwrap();
        let latest = sb.run(&shell, &host_path(), &["--dry-run", "--to", t]);
        assert!(latest.status.success());
        assert!(
            stdout(&latest)
                .contains("https://github.com/dockup/dockup/releases/latest/download/SHA256SUMS")
        );
        let pinned = sb.run(
            &shell,
            &host_path(),
            &["--dry-run", "--version", "v0.3.1", "--to", t],
        );
        assert!(pinned.status.success());
        assert!(
            stdout(&pinned)
                .contains("https://github.com/dockup/dockup/releases/download/v0.3.1/SHA256SUMS")
        );
        assert!(!target.exists());
    }
}

#[test]
fn unknown_options_and_conflicts_are_errors() {
    for shell in shells() {
        let sb = Sandbox::new();
        let t = sb.target();
        let t = t.to_str().unwrap();
        for (args, expect) in [
            (
                &["--frobnicate", "--to", t][..],
                "install.sh: error: unknown option '--frobnicate'",
            ),
            (&["--to"][..], "install.sh: error: --to needs a value"),
            (
                &["--version=", "--to", t][..],
                "install.sh: error: --version needs a non-empty value",
            ),
            (
                &[
                    "--version",
                    "1.0",
                    "--base-url",
                    "http://127.0.0.1:9",
                    "--to",
                    t,
                ][..],
                "install.sh: error: --version 1.0 cannot be combined with --base-url",
            ),
            (
                &["--base-url", "ftp://example.com", "--to", t][..],
                "install.sh: error: base URL 'ftp://example.com' must start with https://",
            ),
        ] {
            let out = sb.run(&shell, &host_path(), args);
            assert!(!out.status.success(), "[{}] {args:?} must fail", shell.name);
            assert!(stderr(&out).contains(expect), "{}", stderr(&out));
        }
        let help = sb.run(&shell, &host_path(), &["--help"]);
        assert!(help.status.success());
        assert!(stdout(&help).starts_with("Usage: sh install.sh"));
        sb.assert_nothing_installed();
    }
}

/// An Alpine-like host: nothing but BusyBox, so its wget and sha256sum do the work.
#[test]
fn busybox_wget_and_sha256sum_alone_are_enough() {
    let Some(release) = Release::good() else {
        return;
    };
    let Some(applets) = busybox_dir() else {
        return skip_or_fail("no busybox (apt-get install busybox-static)");
    };
    assert!(!applets.path().join("curl").exists());
    let path = path_of(&applets);
    for shell in shells() {
        assert_installs(&shell, &release, &path, (Some("wget-basic"), "sha256sum"));

        let sb = Sandbox::new();
        let missing = format!("{}/missing", release.url());
        let out = sb.install(&shell, &path, &missing, &[]);
        assert!(!out.status.success(), "[{}] a 404 must fail", shell.name);
        assert!(stderr(&out).contains("install.sh: error: could not download"));
        sb.assert_nothing_installed();
    }
    let bad = Release::new(|artifact, _| Some(sums_with(artifact, &"e".repeat(64)))).unwrap();
    for shell in shells() {
        let sb = Sandbox::new();
        let out = sb.install(&shell, &path, &bad.url(), &[]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("checksum mismatch"));
        sb.assert_nothing_installed();
    }
}

/// curl absent: GNU wget downloads. Optional, as not every host has GNU wget.
#[test]
fn gnu_wget_without_curl() {
    let Some(release) = Release::good() else {
        return;
    };
    let gnu = find_program("wget")
        .and_then(|wget| Command::new(wget).arg("--version").output().ok())
        .is_some_and(|out| stdout(&out).contains("GNU Wget"));
    let Some(tools) = tool_dir(&["wget", "sha256sum"]).filter(|_| gnu) else {
        return eprintln!("skipped: no GNU wget here");
    };
    for shell in shells() {
        // BusyBox ash runs its own wget applet whatever PATH says, so only dash tests GNU wget.
        if shell.name == "dash" {
            assert_installs(
                &shell,
                &release,
                &path_of(&tools),
                (Some("wget"), "sha256sum"),
            );
        }
    }
}

/// Without sha256sum, shasum and then openssl verify the download; without any, nothing
/// installs, and nothing is downloaded either.
#[test]
fn sha256_tool_fallbacks() {
    let Some(release) = Release::good() else {
        return;
    };
    let Some(dash) = shells().into_iter().find(|s| s.name == "dash") else {
        return;
    };
    for hasher in ["shasum", "openssl"] {
        match tool_dir(&["curl", hasher]) {
            Some(tools) => {
                assert_installs(&dash, &release, &path_of(&tools), (Some("curl"), hasher))
            }
            None => eprintln!("skipped: no curl or {hasher} here"),
        }
    }
    let bad = Release::new(|artifact, _| Some(sums_with(artifact, &"f".repeat(64)))).unwrap();
    if let Some(tools) = tool_dir(&["curl", "openssl"]) {
        let sb = Sandbox::new();
        let out = sb.install(&dash, &path_of(&tools), &bad.url(), &[]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("checksum mismatch"));
        sb.assert_nothing_installed();
    }

    let Some(tools) = tool_dir(&["curl"]) else {
        return eprintln!("skipped: no curl here");
    };
    // A server of its own, to show that nothing was even downloaded.
    let untouched = Release::good().unwrap();
    let sb = Sandbox::new();
    let out = sb.install(&dash, &path_of(&tools), &untouched.url(), &[]);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("install.sh: error: no sha256 tool found"),
        "{}",
        stderr(&out)
    );
    sb.assert_nothing_installed();
    assert_eq!(untouched.server.requests(), Vec::new());
}

#[test]
fn no_download_tool_is_an_error() {
    let Some(dash) = shells().into_iter().find(|s| s.name == "dash") else {
        return;
    };
    let Some(tools) = tool_dir(&["sha256sum"]) else {
        return eprintln!("skipped: no coreutils here");
    };
    let sb = Sandbox::new();
    let out = sb.install(&dash, &path_of(&tools), "http://127.0.0.1:9", &[]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("install.sh: error: neither curl nor wget is installed"));
    sb.assert_nothing_installed();
}

/// Other systems and architectures, through a fake `uname` first on PATH. dash only: BusyBox
/// ash runs its own uname applet whatever PATH says.
#[test]
fn unsupported_systems_and_architectures_are_named() {
    let Some(dash) = shells().into_iter().find(|s| s.name == "dash") else {
        return;
    };
    for (s, m, expect) in [
        ("Darwin", "arm64", "unsupported operating system 'Darwin'"),
        ("MINGW64_NT-10.0-19045", "x86_64", "install.ps1"),
        ("Linux", "armv7l", "unsupported architecture 'armv7l'"),
        ("Linux", "riscv64", "unsupported architecture 'riscv64'"),
    ] {
        let fake = tempfile::tempdir().unwrap();
        let uname = fake.path().join("uname");
        std::fs::write(
            &uname,
            format!("#!/bin/sh\ncase $1 in -s) echo '{s}' ;; -m) echo '{m}' ;; esac\n"),
        )
        .unwrap();
        std::fs::set_permissions(&uname, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = format!("{}:{}", path_of(&fake), host_path());
        let sb = Sandbox::new();
        let out = sb.run(
            &dash,
            &path,
            &["--dry-run", "--to", sb.target().to_str().unwrap()],
        );
        assert!(!out.status.success(), "{s}/{m} must fail");
        let err = stderr(&out);
        assert!(
            err.starts_with("install.sh: error: ") && err.contains(expect),
            "{err}"
        );
        assert_eq!(stdout(&out), "");
    }
}

#[test]
fn shellcheck_is_clean() {
    if find_program("shellcheck").is_none() {
        return eprintln!("skipped: no shellcheck here");
    }
    let out = Command::new("shellcheck")
        .args(["-s", "sh"])
        .arg(script())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}
