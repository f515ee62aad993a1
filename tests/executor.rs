//! The executor against a recording command runner: what it runs, what it skips, when it stops.

use dockup::exec::{
    CommandOutput, Event, ExecError, Executor, Observer, RecordingRunner, RunLog, RunSummary,
};
use dockup::plan::{PackageManager, PackageSpec, Plan, Shell, Step};
use dockup::platform::Strategy;

#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    answer: Option<bool>,
    asked: Vec<String>,
}

impl Observer for Recorder {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn ask(&mut self, question: &str) -> Option<bool> {
        self.asked.push(question.to_string());
        self.answer
    }
}

fn ok(stdout: &str) -> CommandOutput {
    CommandOutput {
        code: Some(0),
        stdout: stdout.as_bytes().to_vec(),
        stderr: Vec::new(),
    }
}

fn plan(steps: Vec<Step>) -> Plan {
    Plan {
        strategy: Strategy::Repo,
        shell: Shell::Posix,
        root: None,
        steps,
        notes: Vec::new(),
    }
}

fn docker_packages(pin: Option<&str>) -> Vec<PackageSpec> {
    ["docker-ce", "docker-ce-cli", "containerd.io"]
        .iter()
        .map(|n| PackageSpec {
            name: n.to_string(),
            pin: pin
                .filter(|_| n.starts_with("docker-ce"))
                .map(|p| p.parse().unwrap()),
        })
        .collect()
}

fn install_plan(dir: &std::path::Path, pin: Option<&str>) -> Plan {
    let mut steps = vec![
        Step::WriteFile {
            path: dir.join("docker.list").to_string_lossy().into_owned(),
            contents: "deb [arch=amd64] http://127.0.0.1/linux/debian bookworm stable\n".into(),
            mode: 0o644,
            why: "Add Docker's apt repository".into(),
        },
        Step::RefreshIndex {
            manager: PackageManager::Apt,
            only_source: Some("sources.list.d/docker.list".into()),
        },
    ];
    if let Some(v) = pin {
        steps.push(Step::ResolveVersion {
            manager: PackageManager::Apt,
            package: "docker-ce".into(),
            requested: v.parse().unwrap(),
        });
    }
    steps.push(Step::InstallPackages {
        manager: PackageManager::Apt,
        packages: docker_packages(pin),
        only_missing: false,
    });
    plan(steps)
}

fn run(
    plan: &Plan,
    runner: &RecordingRunner,
    observer: &mut Recorder,
    yes: bool,
) -> Result<RunSummary, ExecError> {
    let mut log = RunLog::none();
    Executor::new(runner, observer, &mut log, yes)
        .assume_root(true)
        .run(plan)
}

fn commands(runner: &RecordingRunner) -> Vec<String> {
    runner.calls.borrow().iter().map(|c| c.join(" ")).collect()
}

#[test]
fn a_rerun_on_an_installed_host_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = install_plan(dir.path(), Some("27.3"));
    std::fs::write(
        dir.path().join("docker.list"),
        "deb [arch=amd64] http://127.0.0.1/linux/debian bookworm stable\n",
    )
    .unwrap();
    let runner = RecordingRunner::default();
    runner.answer(
        "dpkg-query -W -f=${Status}\t${Version} docker-ce",
        ok("install ok installed\t5:27.3.1-1~debian.12~bookworm"),
    );
    runner.answer(
        "dpkg-query -W -f=${Status}\t${Version} docker-ce-cli",
        ok("install ok installed\t5:27.3.1-1~debian.12~bookworm"),
    );
    runner.answer(
        "dpkg-query -W -f=${Status}\t${Version} containerd.io",
        ok("install ok installed\t1.7.22-1"),
    );
    let mut obs = Recorder::default();
    assert_eq!(
        run(&p, &runner, &mut obs, false).unwrap(),
        RunSummary::NothingToDo
    );
    assert!(
        commands(&runner)
            .iter()
            .all(|c| c.starts_with("dpkg-query")),
        "{:?}",
        commands(&runner)
    );
}

#[test]
fn a_pin_is_resolved_against_the_repository_and_installed_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = install_plan(dir.path(), Some("24.0"));
    let runner = RecordingRunner::default();
    runner.answer(
        "apt-cache madison docker-ce",
        ok(" docker-ce | 5:27.3.1-1~debian.12~bookworm | http://x bookworm/stable amd64 Packages\n \
             docker-ce | 5:24.0.7-1~debian.12~bookworm | http://x bookworm/stable amd64 Packages\n"),
    );
    runner.answer("env DEBIAN_FRONTEND=noninteractive apt-get", ok(""));
    let mut obs = Recorder::default();
    let summary = run(&p, &runner, &mut obs, false).unwrap();
    assert_eq!(summary, RunSummary::Changed { steps_run: 4 });
    let cmds = commands(&runner);
    let install = cmds.iter().find(|c| c.contains("apt-get install")).unwrap();
    assert_eq!(
        install,
        "env DEBIAN_FRONTEND=noninteractive apt-get install --allow-downgrades -y \
         docker-ce=5:24.0.7-1~debian.12~bookworm docker-ce-cli=5:24.0.7-1~debian.12~bookworm containerd.io"
    );
}

#[test]
fn an_unknown_version_lists_what_there_is() {
    let dir = tempfile::tempdir().unwrap();
    let p = install_plan(dir.path(), Some("24.04"));
    let runner = RecordingRunner::default();
    runner.answer(
        "apt-cache madison docker-ce",
        ok(" docker-ce | 5:24.0.7-1~debian.12~bookworm | http://x bookworm/stable amd64 Packages\n"),
    );
    runner.answer("env DEBIAN_FRONTEND=noninteractive apt-get update", ok(""));
    let err = run(&p, &runner, &mut Recorder::default(), false).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("Docker 24.04 is not in the repository"),
        "{text}"
    );
    assert!(text.contains("5:24.0.7-1~debian.12~bookworm"), "{text}");
    assert!(!commands(&runner).iter().any(|c| c.contains("install")));
}

#[test]
fn removing_conflicts_needs_a_yes() {
    let p = plan(vec![Step::RemovePackages {
        manager: PackageManager::Apt,
        packages: vec!["docker.io".into(), "runc".into()],
        only_installed: true,
    }]);
    let runner = RecordingRunner::default();
    runner.answer(
        "dpkg-query -W -f=${Status}\t${Version} docker.io",
        ok("install ok installed\t20.10.24"),
    );
    runner.answer("env DEBIAN_FRONTEND=noninteractive apt-get remove", ok(""));

    // Nobody to ask: a clear error naming -y, nothing removed.
    let err = run(&p, &runner, &mut Recorder::default(), false).unwrap_err();
    assert!(matches!(err, ExecError::NeedsConfirmation { .. }), "{err}");
    assert_eq!(err.help().as_deref(), Some("rerun with -y"));
    assert!(!commands(&runner).iter().any(|c| c.contains("remove")));

    // Declined at the prompt.
    let mut obs = Recorder {
        answer: Some(false),
        ..Default::default()
    };
    assert!(matches!(
        run(&p, &runner, &mut obs, false),
        Err(ExecError::Declined(_))
    ));
    assert!(obs.asked[0].contains("docker.io"), "{:?}", obs.asked);

    // -y: only what is installed is removed.
    run(&p, &runner, &mut Recorder::default(), true).unwrap();
    assert!(
        commands(&runner).contains(
            &"env DEBIAN_FRONTEND=noninteractive apt-get remove -y docker.io".to_string()
        )
    );
}

#[test]
fn without_root_it_names_what_needs_root() {
    let dir = tempfile::tempdir().unwrap();
    let p = install_plan(dir.path(), None);
    let runner = RecordingRunner::default();
    let mut log = RunLog::none();
    let mut obs = Recorder::default();
    let err = Executor::new(&runner, &mut obs, &mut log, true)
        .assume_root(false)
        .run(&p)
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("dockup must run as root to:"), "{text}");
    assert!(text.contains("Install Docker"), "{text}");
    assert!(!dir.path().join("docker.list").exists());
}

#[test]
fn a_failing_command_stops_the_run_with_its_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = install_plan(dir.path(), None);
    let runner = RecordingRunner::default();
    runner.answer(
        "env DEBIAN_FRONTEND=noninteractive apt-get update",
        CommandOutput {
            code: Some(100),
            stdout: Vec::new(),
            stderr: b"E: Failed to fetch http://127.0.0.1/linux/debian/dists/bookworm/InRelease  Connection refused".to_vec(),
        },
    );
    let err = run(&p, &runner, &mut Recorder::default(), false).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("exit 100") && text.contains("Connection refused"),
        "{text}"
    );
    assert!(!commands(&runner).iter().any(|c| c.contains("install")));
}

/// The distro strategy runs through the same executor: Alpine's plan, as commands.
#[test]
fn an_alpine_plan_runs_apk_and_openrc() {
    use dockup::facts::{Facts, HostRoot};
    use dockup::plan::PlanOptions;
    use dockup::platform::{Catalog, DecideOptions};

    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linux/alpine-3.19");
    let facts = Facts::from_root(&HostRoot::at(root)).unwrap();
    let catalog = Catalog::builtin().unwrap();
    let decision = dockup::platform::decide(&facts, &catalog, &DecideOptions::default()).unwrap();
    let p = dockup::plan::build(&facts, &decision, &catalog, &PlanOptions::default()).unwrap();
    let runner = RecordingRunner::default();
    for prefix in [
        "apk update",
        "apk add",
        "rc-update",
        "rc-service docker start",
        "docker version",
    ] {
        runner.answer(prefix, ok(""));
    }
    let summary = run(&p, &runner, &mut Recorder::default(), false).unwrap();
    assert_eq!(summary, RunSummary::Changed { steps_run: 4 });
    let ran: Vec<String> = commands(&runner)
        .into_iter()
        .filter(|c| !c.starts_with("apk info") && !c.starts_with("rc-service docker status"))
        .collect();
    assert_eq!(
        ran,
        [
            "apk update",
            "apk add docker docker-cli-compose",
            "rc-update add docker default",
            "rc-service docker start",
            "docker version",
        ]
    );
}
