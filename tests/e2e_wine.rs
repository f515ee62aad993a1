#![cfg(unix)]
//! The real dockup.exe under wine: the live Windows fact gathering (registry and Win32 calls,
//! src/facts/windows_live.rs) runs for real, with wine reporting Windows 7, 8.1, 10 and 11
//! (scripts/wine/run.sh sets the version in wine's registry).
//!
//! Needs wine (Debian: wine64), mingw-w64 (gcc-mingw-w64-x86-64) and the x86_64-pc-windows-gnu
//! Rust target; DOCKUP_E2E=require makes a skip a failure. The exe is a debug build in a target
//! directory of its own (`<target>/wine-build`), so it never waits on the lock of the build that
//! runs this test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

const TARGET: &str = "x86_64-pc-windows-gnu";

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Skips, or fails where the e2e tests are required (CI sets DOCKUP_E2E=require).
fn skip_or_fail(why: &str) {
    if std::env::var("DOCKUP_E2E").as_deref() == Ok("require") {
        panic!("the e2e test cannot run here: {why}");
    }
    eprintln!("skipped: {why}");
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Why dockup.exe cannot be built and run here, if it cannot.
fn unavailable() -> Option<String> {
    if !runs("wine", &["--version"]) {
        return Some("no wine (Debian: apt-get install wine64)".into());
    }
    if !runs("x86_64-w64-mingw32-gcc", &["--version"]) {
        return Some("no mingw-w64 (Debian: apt-get install gcc-mingw-w64-x86-64)".into());
    }
    let sysroot = Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()?;
    let sysroot = String::from_utf8_lossy(&sysroot.stdout).trim().to_string();
    if !Path::new(&sysroot)
        .join("lib/rustlib")
        .join(TARGET)
        .is_dir()
    {
        return Some(format!(
            "no Rust target {TARGET} (rustup target add {TARGET})"
        ));
    }
    None
}

/// `<target>/wine-build`: the test binary is `<target>/<profile>/deps/e2e_wine-<hash>`.
fn build_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().join("wine-build")
}

/// dockup.exe, built once for all the tests; `None` when this machine cannot (skipped).
fn dockup_exe() -> Option<&'static Path> {
    static EXE: OnceLock<Option<PathBuf>> = OnceLock::new();
    EXE.get_or_init(|| {
        if let Some(why) = unavailable() {
            skip_or_fail(&why);
            return None;
        }
        let dir = build_dir();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .current_dir(repo_dir())
            // Without debug info the build directory is half the size (0.7 GB), and as fast.
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .args(["build", "--locked", "--bin", "dockup", "--target", TARGET])
            .arg("--target-dir")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --target {TARGET} failed");
        Some(dir.join(TARGET).join("debug/dockup.exe"))
    })
    .as_deref()
}

/// `dockup.exe ARGS` under wine reporting `version`; its stdout as JSON.
fn run(exe: &Path, version: &str, args: &[&str]) -> Value {
    let (code, value) = run_with_code(exe, version, args);
    assert_eq!(
        code,
        Some(0),
        "dockup.exe {args:?} under wine {version}: {value}"
    );
    value
}

/// dockup.exe's exit code and JSON, for commands whose code says what they found.
fn run_with_code(exe: &Path, version: &str, args: &[&str]) -> (Option<i32>, Value) {
    let out = Command::new("bash")
        .arg(repo_dir().join("scripts/wine/run.sh"))
        .arg(exe)
        .arg(version)
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("dockup.exe {args:?} under wine {version}: {e}:\n{stdout}\n{stderr}")
    });
    (out.status.code(), value)
}

/// What platforms/windows.toml says this machine should get: the decision of
/// src/platform/windows.rs for a 64-bit client, from the facts dockup read.
fn expected_strategy(build: u64, virtualization: bool, memory_mb: u64) -> &'static str {
    let text = std::fs::read_to_string(repo_dir().join("platforms/windows.toml")).unwrap();
    let cat: toml::Table = toml::from_str(&text).unwrap();
    let num = |section: &str, key: &str| cat[section][key].as_integer().unwrap() as u64;
    let desktop_build = if build >= num("desktop", "windows11_first_build") {
        build >= num("desktop", "windows11_min_build")
    } else {
        build >= num("desktop", "windows10_min_build")
    };
    let desktop = desktop_build && memory_mb >= num("desktop", "min_memory_mb");
    match (virtualization, desktop) {
        (false, _) => "unsupported",
        (true, true) => "desktop-wsl2",
        (true, false) if build >= num("toolbox", "min_build") => "toolbox",
        (true, false) => "unsupported",
    }
}

struct Want {
    version: &'static str,
    builds: std::ops::RangeInclusive<u64>,
    product: &'static str,
    /// The start of `os`, dockup's name for it.
    os: &'static str,
}

fn check(want: Want) {
    let Some(exe) = dockup_exe() else { return };
    let v = want.version;
    let detect = run(exe, v, &["detect", "--json"]);
    eprintln!(
        "wine {v}: {} -> {} ({})",
        detect["facts"]["windows"], detect["strategy"], detect["os"]
    );

    let w = &detect["facts"]["windows"];
    assert_eq!(detect["facts"]["os"], "windows", "{detect}");
    assert_eq!(detect["family"], "windows", "{detect}");
    assert_eq!(w["arch"], "x86_64", "{w}");
    assert_eq!(detect["arch"], "x86_64", "{detect}");
    let build = w["current_build"]
        .as_u64()
        .unwrap_or_else(|| panic!("no current_build: {w}"));
    assert!(want.builds.contains(&build), "wine {v}: build {build}");
    let product = w["product_name"].as_str().unwrap_or_default();
    assert!(product.contains(want.product), "wine {v}: {product:?}");
    // Wine's profiles have no InstallationType: ProductType (WinNT) says client.
    assert_eq!(w["installation_type"], "Client", "{w}");
    if let Some(edition) = w.get("edition_id") {
        assert!(edition.as_str().is_some_and(|e| !e.is_empty()), "{w}");
    }
    let os = detect["os"].as_str().unwrap();
    assert!(os.starts_with(want.os), "wine {v}: os {os:?}");
    let nt = match build {
        b if b >= 10240 => "10.0",
        b if b >= 9600 => "6.3",
        _ => "6.1",
    };
    assert_eq!(
        detect["kernel"],
        format!("{nt}.{build}").as_str(),
        "{detect}"
    );
    let virtualization = w["virtualization_enabled"]
        .as_bool()
        .expect("virtualization");
    let memory = w["memory_mb"].as_u64().expect("memory_mb");
    assert!(memory > 0);
    // wsl.exe does not exist under wine: WSL is simply not installed.
    assert!(w.get("wsl_version").is_none(), "{w}");

    let strategy = expected_strategy(build, virtualization, memory);
    assert_eq!(detect["strategy"], strategy, "wine {v}: {detect}");
    assert!(
        detect["reasons"].as_array().is_some_and(|r| !r.is_empty()),
        "{detect}"
    );
    if strategy == "unsupported" {
        return;
    }

    let plan = run(exe, v, &["plan", "--json"]);
    assert_eq!(plan["strategy"], strategy, "wine {v}: {plan}");
    let steps = plan["steps"].as_array().expect("steps");
    assert!(!steps.is_empty(), "wine {v}: no steps: {plan}");
    assert!(
        steps.iter().all(|s| s["kind"].is_string()),
        "wine {v}: {plan}"
    );
    let first = steps[0]["artifact"]["key"].as_str().unwrap_or_default();
    let wanted = if strategy == "toolbox" {
        "virtualbox"
    } else {
        "docker-desktop"
    };
    assert!(
        first.starts_with(wanted),
        "wine {v}: first step {}",
        steps[0]
    );

    // doctor on the live Windows: its windows group, from the registry and Win32; wine has no
    // docker-users group and no docker-machine, so those checks are not claimed.
    let (code, doctor) = run_with_code(exe, v, &["doctor", "--json"]);
    assert!(
        matches!(code, Some(0 | 1)),
        "wine {v}: doctor exited {code:?}: {doctor}"
    );
    let checks = doctor["checks"].as_array().expect("checks");
    assert!(
        checks.iter().all(|c| c["group"] == "windows"),
        "wine {v}: {doctor}"
    );
    let ids: Vec<&str> = checks.iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(
        ids.contains(&"virtualization") && ids.contains(&"memory"),
        "wine {v}: {ids:?}"
    );
    assert!(!ids.contains(&"docker-users"), "wine {v}: {ids:?}");
}

#[test]
fn windows_7() {
    check(Want {
        version: "win7",
        builds: 7601..=7601,
        product: "Windows 7",
        os: "Windows 7 SP1 ",
    });
}

#[test]
fn windows_8_1() {
    check(Want {
        version: "win81",
        builds: 9600..=9600,
        product: "Windows 8.1",
        os: "Windows 8.1 ",
    });
}

#[test]
fn windows_10() {
    // Wine's own Windows 10 build (18362 in wine 8, 19043 or later in newer wines).
    check(Want {
        version: "win10",
        builds: 10240..=21999,
        product: "Windows 10",
        os: "Windows 10 ",
    });
}

#[test]
fn windows_11() {
    // run.sh writes what Windows 11 23H2 Pro has; ProductName says Windows 10 there too.
    check(Want {
        version: "win11",
        builds: 22631..=22631,
        product: "Windows 10 Pro",
        os: "Windows 11 Pro 23H2 (build 22631.4460)",
    });
}
