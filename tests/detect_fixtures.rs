//! Every fixture machine through the real binary: `dockup detect --root DIR --json` (Linux) and
//! `dockup detect --facts FILE --json` (Windows) must give the answer in its expect.toml.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const DOCKUP: &str = env!("CARGO_BIN_EXE_dockup");

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    strategy: Option<String>,
    family: Option<String>,
    repo: Option<String>,
    derivative: Option<String>,
    #[serde(default)]
    args: Vec<String>,
    error_contains: Option<String>,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Runs one case; returns a description of every mismatch.
fn check(name: &str, machine: [&str; 2], expect_file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(expect_file).unwrap();
    let expect: Expect = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let out = Command::new(DOCKUP)
        .args(["detect", "--json"])
        .args(machine)
        .args(&expect.args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if let Some(needle) = &expect.error_contains {
        let ok = !out.status.success() && stderr.to_lowercase().contains(&needle.to_lowercase());
        return if ok {
            vec![]
        } else {
            vec![format!(
                "{name}: expected failure mentioning `{needle}`, got exit {:?}, stderr: {stderr}",
                out.status.code()
            )]
        };
    }
    if !out.status.success() {
        return vec![format!("{name}: exit {:?}: {stderr}", out.status.code())];
    }
    let json: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{name}: stdout is not JSON: {e}"));
    let mut problems = Vec::new();
    let mut compare = |key: &str, want: Option<&String>| {
        let got = json.get(key).and_then(Value::as_str);
        if got != want.map(String::as_str) {
            problems.push(format!("{name}: {key} = {got:?}, expected {want:?}"));
        }
    };
    compare("strategy", expect.strategy.as_ref());
    compare("family", expect.family.as_ref());
    compare("repo", expect.repo.as_ref());
    compare("derivative", expect.derivative.as_ref());
    let reasons = json["reasons"].as_array().map_or(0, Vec::len);
    if reasons == 0 {
        problems.push(format!("{name}: no reasons given"));
    }
    if json.get("facts").is_none_or(Value::is_null) {
        problems.push(format!("{name}: no facts in the output"));
    }
    problems
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    entries
}

#[test]
fn every_linux_fixture_gets_its_expected_strategy() {
    let mut problems = Vec::new();
    let mut count = 0;
    for dir in sorted_entries(&fixtures().join("linux")) {
        if !dir.is_dir() {
            continue;
        }
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let root = dir.to_string_lossy().into_owned();
        problems.extend(check(&name, ["--root", &root], &dir.join("expect.toml")));
        count += 1;
    }
    assert!(count >= 60, "only {count} Linux fixtures");
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn every_windows_fixture_gets_its_expected_strategy() {
    let mut problems = Vec::new();
    let mut count = 0;
    for file in sorted_entries(&fixtures().join("windows")) {
        let Some(name) = file
            .file_name()
            .unwrap()
            .to_str()
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let facts = file.to_string_lossy().into_owned();
        let expect = file.with_file_name(format!("{name}.expect.toml"));
        problems.extend(check(name, ["--facts", &facts], &expect));
        count += 1;
    }
    assert!(count >= 25, "only {count} Windows fixtures");
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
