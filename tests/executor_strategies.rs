//! The Windows, Toolbox, VM and legacy plans run through the executor against a recording
//! runner: VirtualBox, docker-machine, dism and Windows installers cannot run here, so these
//! tests answer for them and check every command dockup runs, what it skips on a rerun, where
//! it stops for a restart, and how it explains the classic failures. The downloads these plans
//! start with are left out: the downloader has its own tests against a real server.

use std::path::{Path, PathBuf};

use dockup::exec::{
    CommandOutput, Event, ExecError, Executor, Observer, RecordingRunner, RunLog, RunSummary,
};
use dockup::facts::{Facts, HostRoot};
use dockup::plan::{self, Plan, PlanOptions, Step};
use dockup::platform::{self, Catalog, DecideOptions, Strategy};

#[derive(Default)]
struct Unattended {
    events: Vec<Event>,
    asked: Vec<String>,
}

impl Observer for Unattended {
    fn event(&mut self, event: &Event) {
        self.events.push(event.clone());
    }
    fn ask(&mut self, question: &str) -> Option<bool> {
        self.asked.push(question.to_string());
        None
    }
}

fn out(code: i32, stdout: &str, stderr: &str) -> CommandOutput {
    CommandOutput {
        code: Some(code),
        stdout: stdout.as_bytes().to_vec(),
        stderr: stderr.as_bytes().to_vec(),
    }
}

fn ok(stdout: &str) -> CommandOutput {
    out(0, stdout, "")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The plan dockup makes for a fixture machine, without its downloads and unpacking.
fn plan_for(facts: &Facts, opts: &PlanOptions) -> (Strategy, Plan) {
    let catalog = Catalog::builtin().unwrap();
    let decision = platform::decide(facts, &catalog, &DecideOptions::default()).unwrap();
    let mut plan = plan::build(facts, &decision, &catalog, opts).unwrap();
    plan.steps
        .retain(|s| !matches!(s, Step::Download { .. } | Step::Extract { .. }));
    (decision.strategy, plan)
}

fn windows(name: &str, opts: &PlanOptions) -> (Strategy, Plan) {
    let facts = Facts::from_file(&fixtures().join(format!("windows/{name}.json"))).unwrap();
    plan_for(&facts, opts)
}

fn linux(name: &str) -> (Strategy, Plan) {
    let facts = Facts::from_root(&HostRoot::at(fixtures().join("linux").join(name))).unwrap();
    plan_for(&facts, &PlanOptions::default())
}

/// A plan of just these steps.
fn bare(steps: Vec<Step>) -> Plan {
    Plan {
        strategy: Strategy::Unsupported,
        shell: dockup::plan::Shell::Posix,
        root: None,
        steps,
        notes: Vec::new(),
    }
}

fn calls(runner: &RecordingRunner) -> Vec<String> {
    runner.calls.borrow().iter().map(|c| c.join(" ")).collect()
}

struct Run {
    result: Result<RunSummary, ExecError>,
    asked: Vec<String>,
}

fn run(runner: &RecordingRunner, plan: &Plan, home: &Path, accept: &[&str]) -> Run {
    let mut observer = Unattended::default();
    let mut log = RunLog::none();
    let result = Executor::new(runner, &mut observer, &mut log, true)
        .assume_root(true)
        .backup_root(&home.join("backup"))
        .home(home)
        .accept(accept)
        .resume_with(vec![
            r"C:\Program Files\dockup\dockup.exe".into(),
            "install".into(),
            "--resume".into(),
        ])
        .run(plan);
    Run {
        result,
        asked: observer.asked,
    }
}

#[test]
fn desktop_stops_for_the_restart_then_resumes_and_installs() {
    let opts = PlanOptions {
        add_user: Some("ana".into()),
        ..PlanOptions::default()
    };
    let (strategy, plan) = windows("win11-23h2-home", &opts);
    assert_eq!(strategy, Strategy::DesktopWsl2);
    let home = tempfile::tempdir().unwrap();

    // Before the restart: the features are off and dism says a restart is due (3010).
    let runner = RecordingRunner::default();
    runner.answer(
        "dism.exe /online /get-featureinfo",
        ok("State : Disabled\r\n"),
    );
    runner.answer("dism.exe /online /enable-feature", out(3010, "", ""));
    runner.answer("wsl.exe", ok(""));
    runner.answer("reg.exe add", ok(""));
    let first = run(&runner, &plan, home.path(), &[]);
    match first.result {
        Ok(RunSummary::NeedsReboot { restarting, .. }) => assert!(!restarting),
        other => panic!("expected a stop for the restart, got {other:?}"),
    }
    let ran = calls(&runner);
    let enabled: Vec<&String> = ran
        .iter()
        .filter(|c| c.contains("/enable-feature"))
        .collect();
    assert_eq!(enabled.len(), 2, "{ran:#?}");
    assert!(
        enabled
            .iter()
            .any(|c| c.contains("/featurename:VirtualMachinePlatform /all /norestart")),
        "{ran:#?}"
    );
    // The resume is registered for the next sign-in, elevated (HKLM), with the same command.
    let runonce = ran.iter().find(|c| c.contains("RunOnce")).unwrap();
    assert!(
        runonce.contains(r#""C:\Program Files\dockup\dockup.exe" install --resume"#),
        "{runonce}"
    );
    assert!(
        runonce.starts_with(r"reg.exe add HKLM\SOFTWARE"),
        "{runonce}"
    );
    // Nobody to ask: no restart is started, and nothing after it ran.
    assert_eq!(first.asked.len(), 1);
    assert!(!ran.iter().any(|c| c.starts_with("shutdown.exe")));
    assert!(!ran.iter().any(|c| c.contains("Installer.exe")), "{ran:#?}");

    // After the restart: the features are on, the rest runs.
    let runner = RecordingRunner::default();
    runner.answer(
        "dism.exe /online /get-featureinfo",
        ok("State : Enabled\r\n"),
    );
    runner.answer("wsl.exe", ok(""));
    runner.answer(
        "net.exe localgroup docker-users ana /add",
        ok("The command completed successfully.\r\n"),
    );
    runner.answer(
        "net.exe localgroup docker-users",
        ok("Members\r\n\r\n-------\r\nAdministrator\r\nThe command completed successfully.\r\n"),
    );
    runner.answer(r"C:\ProgramData\dockup\downloads\", ok(""));
    runner.answer(r"C:\Program Files\Docker\Docker\Docker Desktop.exe", ok(""));
    runner.answer(
        "docker version",
        ok("Server: Docker Desktop\n Version: 27.3.1\n"),
    );
    let second = run(&runner, &plan, home.path(), &[]);
    assert!(
        matches!(second.result, Ok(RunSummary::Changed { .. })),
        "{:?}",
        second.result
    );
    let ran = calls(&runner);
    assert!(
        !ran.iter().any(|c| c.contains("/enable-feature")),
        "{ran:#?}"
    );
    assert!(!ran.iter().any(|c| c.contains("RunOnce")), "{ran:#?}");
    let installer = ran.iter().find(|c| c.contains("Installer.exe")).unwrap();
    assert!(
        installer.ends_with("install --quiet --accept-license --backend=wsl-2"),
        "{installer}"
    );
    assert!(ran.contains(&"net.exe localgroup docker-users ana /add".to_string()));
}

#[test]
fn a_failed_installer_shows_the_end_of_its_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("install-log.txt");
    // Docker Desktop's log is UTF-16 with a BOM.
    let text = "starting\r\nchecking WSL\r\nError: WSL 2 is not installed or is too old\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&log, bytes).unwrap();
    let plan = bare(vec![Step::RunInstaller {
        name: "Docker Desktop 4.36.0".into(),
        program: "Installer.exe".into(),
        args: vec!["install".into(), "--quiet".into()],
        log: Some(log.to_string_lossy().into_owned()),
    }]);
    let runner = RecordingRunner::default();
    runner.answer("Installer.exe", out(1, "", ""));
    let err = run(&runner, &plan, dir.path(), &[]).result.unwrap_err();
    assert_eq!(
        err.to_string(),
        "the Docker Desktop 4.36.0 installer failed (exit 1)"
    );
    let help = err.help().unwrap();
    assert!(
        help.contains("WSL 2 is not installed or is too old"),
        "{help}"
    );
}

#[test]
fn toolbox_installs_virtualbox_creates_the_vm_and_keeps_its_environment() {
    let (strategy, plan) = windows("win7-sp1-pro-x64", &PlanOptions::default());
    assert_eq!(strategy, Strategy::Toolbox);
    let home = tempfile::tempdir().unwrap();
    let env = "SET DOCKER_TLS_VERIFY=1\r\nSET DOCKER_HOST=tcp://192.168.56.101:2376\r\nSET DOCKER_CERT_PATH=C:\\Users\\ana\\.docker\\machine\\machines\\default\r\nSET DOCKER_MACHINE_NAME=default\r\nREM Run this command to configure your shell:\r\n";

    let runner = RecordingRunner::default();
    runner.answer(
        r"reg.exe query HKCU\Environment /v Path",
        ok("\r\nHKEY_CURRENT_USER\\Environment\r\n    Path    REG_EXPAND_SZ    %USERPROFILE%\\bin\r\n"),
    );
    runner.answer("reg.exe", ok(""));
    runner.answer(
        "docker-machine status default",
        out(1, "", "Host does not exist: \"default\"\n"),
    );
    runner.answer("docker-machine create", ok("Docker is up and running!\n"));
    runner.answer("docker-machine env --shell cmd default", ok(env));
    runner.answer("setx", ok("SUCCESS: Specified value was saved.\r\n"));
    runner.answer(r"C:\ProgramData\dockup\downloads\VirtualBox", ok(""));
    runner.answer(
        "docker --host",
        ok("Server: Docker Engine\n Version: 19.03.12\n"),
    );
    let result = run(&runner, &plan, home.path(), &[]).result;
    assert!(
        matches!(result, Ok(RunSummary::Changed { .. })),
        "{result:?}"
    );
    let ran = calls(&runner);
    let vbox = ran.iter().find(|c| c.contains("VirtualBox")).unwrap();
    assert!(
        vbox.ends_with("--silent --ignore-reboot --msiparams REBOOT=ReallySuppress"),
        "{vbox}"
    );
    // PATH gets the Toolbox folder appended, through reg.exe (setx would cut it at 1024).
    let path = ran
        .iter()
        .find(|c| c.starts_with(r"reg.exe add HKCU\Environment /v Path"))
        .unwrap();
    assert!(
        path.contains(r"%USERPROFILE%\bin;C:\Program Files\Docker Toolbox"),
        "{path}"
    );
    let create = ran
        .iter()
        .find(|c| c.starts_with("docker-machine create"))
        .unwrap();
    assert!(
        create.contains("--virtualbox-hostonly-cidr 192.168.56.1/24"),
        "{create}"
    );
    assert!(create.ends_with(" default"), "{create}");
    for key in [
        "DOCKER_TLS_VERIFY",
        "DOCKER_HOST",
        "DOCKER_CERT_PATH",
        "DOCKER_MACHINE_NAME",
    ] {
        assert!(
            ran.iter().any(|c| c.starts_with(&format!("setx {key} "))),
            "{key}: {ran:#?}"
        );
    }
    // The closing check talks to the VM with its certificates, not to a local daemon.
    let verify = ran.iter().find(|c| c.starts_with("docker --host")).unwrap();
    assert!(
        verify.contains("tcp://192.168.56.101:2376 --tlsverify --tlscacert C:\\Users\\ana\\.docker\\machine\\machines\\default\\ca.pem"),
        "{verify}"
    );

    // A VM that exists but stopped (after a reboot) is started, not created again.
    let runner = RecordingRunner::default();
    runner.answer("docker-machine status default", ok("Stopped\n"));
    runner.answer("docker-machine start default", ok(""));
    runner.answer("docker-machine env --shell cmd default", ok(env));
    runner.answer("reg.exe query", out(1, "", ""));
    runner.answer("reg.exe add", ok(""));
    runner.answer("setx", ok(""));
    runner.answer(r"C:\ProgramData\dockup\downloads\VirtualBox", ok(""));
    runner.answer("docker --host", ok(" Version: 19.03.12\n"));
    run(&runner, &plan, home.path(), &[]).result.unwrap();
    let ran = calls(&runner);
    assert!(
        ran.contains(&"docker-machine start default".to_string()),
        "{ran:#?}"
    );
    assert!(!ran.iter().any(|c| c.starts_with("docker-machine create")));
}

#[test]
fn docker_machine_failures_come_with_their_fix() {
    let (_, plan) = windows("win8.1-pro", &PlanOptions::default());
    let home = tempfile::tempdir().unwrap();
    let runner = RecordingRunner::default();
    runner.answer("docker-machine status", out(1, "", "Host does not exist\n"));
    runner.answer(
        "docker-machine create",
        out(3, "", "Error with pre-create check: \"This computer doesn't have VT-X/AMD-v enabled. Enabling it in the BIOS is mandatory\"\n"),
    );
    runner.answer("reg.exe", ok(""));
    runner.answer(r"C:\ProgramData\dockup\downloads\VirtualBox", ok(""));
    let err = run(&runner, &plan, home.path(), &[]).result.unwrap_err();
    assert!(err.to_string().contains("VT-X/AMD-v"), "{err}");
    assert!(err.help().unwrap().contains("--virtualbox-no-vtx-check"));
}

#[test]
fn an_old_kernel_gets_a_vm_and_a_profile_block_written_once() {
    let (strategy, plan) = linux("ubuntu-12.04");
    assert_eq!(strategy, Strategy::Vm);
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".profile"), "umask 022\n").unwrap();
    let env = "export DOCKER_TLS_VERIFY=\"1\"\nexport DOCKER_HOST=\"tcp://192.168.56.101:2376\"\nexport DOCKER_CERT_PATH=\"/root/.docker/machine/machines/default\"\nexport DOCKER_MACHINE_NAME=\"default\"\n";
    let answers = |runner: &RecordingRunner, status: CommandOutput| {
        runner.answer("docker-machine status default", status);
        runner.answer("docker-machine create", ok(""));
        runner.answer("docker-machine env --shell bash default", ok(env));
        runner.answer("sh /var/cache/dockup/", ok(""));
        runner.answer("docker --host", ok(" Version: 19.03.12\n"));
    };
    let runner = RecordingRunner::default();
    answers(&runner, out(1, "", "Host does not exist\n"));
    run(&runner, &plan, home.path(), &[]).result.unwrap();
    let ran = calls(&runner);
    assert!(
        ran.iter()
            .any(|c| c.starts_with("sh /var/cache/dockup/VirtualBox")),
        "{ran:#?}"
    );
    let profile = std::fs::read_to_string(home.path().join(".profile")).unwrap();
    assert!(profile.starts_with("umask 022\n# >>> dockup"), "{profile}");
    assert!(profile.contains("export DOCKER_HOST=\"tcp://192.168.56.101:2376\""));

    // The rerun: the VM runs and the profile has the block, so only the closing check runs
    // beyond the VirtualBox installer (which cannot tell whether it is installed).
    let runner = RecordingRunner::default();
    answers(&runner, ok("Running\n"));
    run(&runner, &plan, home.path(), &[]).result.unwrap();
    let ran = calls(&runner);
    assert!(
        !ran.iter().any(|c| c.starts_with("docker-machine create")),
        "{ran:#?}"
    );
    assert_eq!(
        std::fs::read_to_string(home.path().join(".profile")).unwrap(),
        profile
    );
}

#[test]
fn legacy_docker_needs_its_own_flag_not_just_yes() {
    let (strategy, plan) = linux("centos-6");
    assert_eq!(strategy, Strategy::Legacy);
    let confirm = bare(
        plan.steps
            .iter()
            .filter(|s| matches!(s, Step::Confirm { .. }))
            .cloned()
            .collect(),
    );
    assert_eq!(confirm.steps.len(), 1);
    let home = tempfile::tempdir().unwrap();
    // -y (the executor runs with yes=true here) does not accept an insecure Docker.
    let err = run(&RecordingRunner::default(), &confirm, home.path(), &[])
        .result
        .unwrap_err();
    assert!(
        matches!(err, ExecError::NeedsConfirmation { ref flag, .. } if flag == "--accept-legacy")
    );
    assert_eq!(err.help().as_deref(), Some("rerun with --accept-legacy"));
    let accepted = run(
        &RecordingRunner::default(),
        &confirm,
        home.path(),
        &["--accept-legacy"],
    );
    assert!(accepted.result.is_ok(), "{:?}", accepted.result);
    assert!(accepted.asked.is_empty());
}
