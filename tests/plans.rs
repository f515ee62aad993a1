//! Plans are snapshot-tested per fixture machine: a change to what dockup would do on any machine
//! shows up in review as a diff of exactly that machine's plan.

use std::path::{Path, PathBuf};

use dockup::facts::{Facts, HostRoot};
use dockup::plan::{self, PlanOptions};
use dockup::platform::{self, AssumeDistro, Catalog, DecideOptions, Strategy};
use dockup::ui::{self, Style};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

#[derive(serde::Deserialize, Default)]
struct Expect {
    #[serde(default)]
    args: Vec<String>,
}

/// The few CLI arguments fixtures use, applied as the CLI would.
fn decide_options(args: &[String]) -> DecideOptions {
    let mut opts = DecideOptions::default();
    for pair in args.chunks(2) {
        match (pair[0].as_str(), pair.get(1)) {
            ("--strategy", Some(s)) => opts.strategy = Some(s.parse::<Strategy>().unwrap()),
            ("--assume-distro", Some(a)) => {
                opts.assume_distro = Some(a.parse::<AssumeDistro>().unwrap())
            }
            other => panic!("fixture uses an argument this test does not know: {other:?}"),
        }
    }
    opts
}

fn render(facts: &Facts, args: &[String], opts: &PlanOptions) -> String {
    let catalog = Catalog::builtin().unwrap();
    let decision = match platform::decide(facts, &catalog, &decide_options(args)) {
        Ok(d) => d,
        Err(e) => return format!("error: {e}\n"),
    };
    match plan::build(facts, &decision, &catalog, opts) {
        Ok(plan) => ui::plan_text(&decision, &plan, None, &Style::for_stream(false)),
        Err(e) => format!("error: {e}\n"),
    }
}

fn expect_args(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    toml::from_str::<Expect>(&text).unwrap_or_default().args
}

#[test]
fn linux_plans() {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures().join("linux"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let facts = Facts::from_root(&HostRoot::at(&dir)).unwrap();
        let args = expect_args(&dir.join("expect.toml"));
        let text = render(&facts, &args, &PlanOptions::default());
        insta::assert_snapshot!(format!("linux-{name}"), text);
    }
}

#[test]
fn windows_plans() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixtures().join("windows"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let facts = Facts::from_file(&file).unwrap();
        let args = expect_args(&file.with_file_name(format!("{name}.expect.toml")));
        let text = render(&facts, &args, &PlanOptions::default());
        insta::assert_snapshot!(format!("windows-{name}"), text);
    }
}

/// The options that change a repo plan, each on the machine where it matters.
#[test]
fn plans_with_options() {
    let linux =
        |name: &str| Facts::from_root(&HostRoot::at(fixtures().join("linux").join(name))).unwrap();
    let cases: Vec<(&str, &str, PlanOptions)> = vec![
        (
            "ubuntu-mirror-version-test-channel",
            "ubuntu-22.04",
            PlanOptions {
                channel: "test".parse().unwrap(),
                version: Some("24.0".parse().unwrap()),
                mirror: Some("http://127.0.0.1:8080/".parse().unwrap()),
                key_fingerprint: Some(
                    "1234 5678 9ABC DEF0 1234  5678 9ABC DEF0 1234 5678"
                        .parse()
                        .unwrap(),
                ),
                ..PlanOptions::default()
            },
        ),
        (
            "debian-no-start-add-user",
            "debian-12",
            PlanOptions {
                no_start: true,
                add_user: Some("alice".into()),
                ..PlanOptions::default()
            },
        ),
        (
            "centos7-version-beyond-series",
            "centos-7",
            PlanOptions {
                version: Some("27.0".parse().unwrap()),
                ..PlanOptions::default()
            },
        ),
        (
            "rocky9-exact-version-test-channel",
            "rocky-9",
            PlanOptions {
                channel: "test".parse().unwrap(),
                version: Some("27.3.1-1.el9".parse().unwrap()),
                ..PlanOptions::default()
            },
        ),
        (
            "rocky9-named-mirror-registry-mirror-persisted-proxy",
            "rocky-9",
            PlanOptions {
                mirror: Some("aliyun".parse().unwrap()),
                registry_mirrors: vec!["https://mirror.gcr.io".parse().unwrap()],
                proxy: Some("http://proxy.example:3128".parse().unwrap()),
                persist_proxy: true,
                ..PlanOptions::default()
            },
        ),
        (
            "debian-persisted-proxy",
            "debian-12",
            PlanOptions {
                proxy: Some("http://proxy.example:3128".parse().unwrap()),
                persist_proxy: true,
                no_start: true,
                ..PlanOptions::default()
            },
        ),
        (
            "alpine-proxy-under-openrc",
            "alpine-3.19",
            PlanOptions {
                proxy: Some("http://proxy.example:3128".parse().unwrap()),
                persist_proxy: true,
                registry_mirrors: vec!["https://mirror.gcr.io".parse().unwrap()],
                ..PlanOptions::default()
            },
        ),
        (
            "alpine-version-not-applicable",
            "alpine-3.19",
            PlanOptions {
                version: Some("27.3".parse().unwrap()),
                ..PlanOptions::default()
            },
        ),
    ];
    for (snapshot, machine, opts) in cases {
        let text = render(&linux(machine), &[], &opts);
        insta::assert_snapshot!(format!("options-{snapshot}"), text);
    }
}
