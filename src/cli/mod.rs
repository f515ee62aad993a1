//! Arguments and wiring: parse, gather facts, decide, plan, hand the result to `ui`. No decisions.

mod args;
mod config;
mod exit;

use std::path::PathBuf;

use clap::CommandFactory;

pub use args::Cli;
pub use exit::ExitCode;

use args::{
    Command, DoctorArgs, FetchArgs, InstallArgs, MachineArgs, PlanArgs, UninstallArgs, VerifyArgs,
};

use crate::exec::{ExecError, Executor, RunLog, RunSummary, SystemRunner, lock};
use crate::facts::{Facts, HostRoot};
use crate::plan::{self, PlanOptions, ProxyUrl};
use crate::platform::{self, Catalog, DecideOptions, Decision, Strategy};
use crate::ui;

/// A failure with what to tell the user and how to exit.
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
    pub help: Option<String>,
    /// The command already printed its JSON answer (verify's checks): no result line after it.
    json_done: bool,
}

impl Failure {
    fn new(code: ExitCode, message: impl ToString, help: Option<String>) -> Failure {
        Failure {
            code,
            message: message.to_string(),
            help,
            json_done: false,
        }
    }

    fn after_json(mut self) -> Failure {
        self.json_done = true;
        self
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let json = cli.machine.json;
    match dispatch(cli) {
        Ok(code) => code,
        Err(f) => {
            // Scripts read stdout: every failure with --json ends on one result line saying
            // what failed, the exit code and what to do, whether or not the run had started.
            if json && !f.json_done {
                ui::print_json_line(&serde_json::json!({
                    "event": "result", "ok": false, "exit": f.code as u8,
                    "error": f.message, "help": f.help,
                }));
            }
            ui::print_error(&f.message, f.help.as_deref());
            f.code
        }
    }
}

fn dispatch(cli: Cli) -> Result<ExitCode, Failure> {
    let mut machine = cli.machine;
    let usage = |why: String| Failure::new(ExitCode::Usage, why, None);
    let file = match &machine.config {
        Some(path) => config::FileConfig::load(path).map_err(usage)?,
        None => config::FileConfig::default(),
    };
    if machine.assume_distro.is_none() {
        machine.assume_distro =
            config::parse_key("assume-distro", file.assume_distro.as_ref()).map_err(usage)?;
    }
    // `dockup` alone is `dockup install`.
    let mut command = cli
        .command
        .unwrap_or(Command::Install(InstallArgs::default()));
    match &mut command {
        Command::Detect(args) if args.strategy.is_none() => {
            args.strategy = config::parse_key("strategy", file.strategy.as_ref()).map_err(usage)?;
        }
        Command::Plan(args) => args.fill_from(&file).map_err(usage)?,
        Command::Install(args) => {
            args.plan.fill_from(&file).map_err(usage)?;
            args.run.fill_from(&file);
            args.accept_legacy |= file.accept_legacy.unwrap_or(false);
            // The run after a restart goes on as the first one was told to.
            args.run.yes |= args.resume;
        }
        Command::Uninstall(args) => args.run.fill_from(&file),
        _ => {}
    }
    match command {
        Command::Detect(args) => detect(&machine, args.strategy),
        Command::Plan(args) => plan(&machine, &args),
        Command::Install(args) => install(&machine, &args),
        Command::Uninstall(args) => uninstall(&machine, &args),
        Command::Verify(args) => verify(&machine, &args),
        Command::Fetch(args) => fetch(&machine, &args),
        Command::Doctor(args) => doctor(&machine, &args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dockup", &mut out);
            ui::print(&String::from_utf8_lossy(&out));
            Ok(ExitCode::Success)
        }
        Command::Man => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
            ui::print(&String::from_utf8_lossy(&out));
            Ok(ExitCode::Success)
        }
    }
}

fn gather(machine: &MachineArgs) -> Result<Facts, Failure> {
    let facts = match (&machine.facts, &machine.root) {
        (Some(file), _) => Facts::from_file(file),
        (None, Some(root)) => Facts::from_root(&HostRoot::at(root)),
        (None, None) => Facts::from_live_host(),
    };
    facts.map_err(|e| Failure::new(ExitCode::BadInput, &e, e.help()))
}

fn catalog() -> Result<Catalog, Failure> {
    Catalog::builtin().map_err(|e| Failure::new(ExitCode::Failed, e, None))
}

fn decide(
    machine: &MachineArgs,
    strategy: Option<Strategy>,
) -> Result<(Facts, Catalog, Decision), Failure> {
    let facts = gather(machine)?;
    let catalog = catalog()?;
    let opts = DecideOptions {
        strategy,
        assume_distro: machine.assume_distro.clone(),
    };
    let decision = platform::decide(&facts, &catalog, &opts).map_err(|e| {
        let code = match e {
            platform::DecisionError::Fact(_) => ExitCode::BadInput,
            platform::DecisionError::StrategyNotPossible { .. } => ExitCode::Unsupported,
        };
        Failure::new(code, &e, e.help())
    })?;
    Ok((facts, catalog, decision))
}

fn detect(machine: &MachineArgs, strategy: Option<Strategy>) -> Result<ExitCode, Failure> {
    let (facts, _, decision) = decide(machine, strategy)?;
    if machine.json {
        ui::print_json(&ui::detect_json(&facts, &decision));
    } else {
        ui::print(&ui::detect_text(&facts, &decision, &ui::Style::stdout()));
    }
    Ok(ExitCode::Success)
}

/// The decision and its plan, or the failure to report.
fn make_plan(
    machine: &MachineArgs,
    args: &PlanArgs,
    install_root: Option<&std::path::Path>,
) -> Result<(Facts, Decision, plan::Plan), Failure> {
    let (facts, catalog, decision) = decide(machine, args.strategy)?;
    let opts = PlanOptions {
        channel: args.channel.unwrap_or_default(),
        version: args.docker_version.clone(),
        mirror: args.mirror.clone(),
        key_fingerprint: args.key_fingerprint.clone(),
        no_start: args.no_start,
        add_user: args.add_user.clone(),
        registry_mirrors: args.registry_mirrors.clone(),
        proxy: args.proxy()?,
        persist_proxy: args.persist_proxy,
        install_root: install_root.map(|p| p.display().to_string()),
        artifact_mirror: args.artifact_mirror.clone(),
    };
    let plan = plan::build(&facts, &decision, &catalog, &opts).map_err(|e| {
        let code = match e {
            plan::PlanError::Unsupported { .. } => ExitCode::Unsupported,
            plan::PlanError::MissingFact { .. } => ExitCode::BadInput,
            plan::PlanError::UnknownMirror { .. } => ExitCode::Usage,
            _ => ExitCode::Failed,
        };
        let help = e.help().or_else(|| {
            matches!(e, plan::PlanError::Unsupported { .. })
                .then(|| "`dockup detect` shows what dockup found and the alternatives".to_string())
        });
        Failure::new(code, &e, help)
    })?;
    Ok((facts, decision, plan))
}

fn print_plan(machine: &MachineArgs, decision: &Decision, plan: &plan::Plan) {
    print_checked_plan(machine, decision, plan, None);
}

/// The plan with, where `done` is given, each step already done on this machine marked.
fn print_checked_plan(
    machine: &MachineArgs,
    decision: &Decision,
    plan: &plan::Plan,
    done: Option<&[Option<String>]>,
) {
    if machine.json {
        ui::print_json(&ui::plan_json(decision, plan, done));
    } else {
        ui::print(&ui::plan_text(decision, plan, done, &ui::Style::stdout()));
    }
}

fn plan(machine: &MachineArgs, args: &PlanArgs) -> Result<ExitCode, Failure> {
    let (_, decision, plan) = make_plan(machine, args, None)?;
    print_plan(machine, &decision, &plan);
    Ok(ExitCode::Success)
}

/// Exit 0 healthy, 1 problems found, 2 could not check (README).
fn doctor(machine: &MachineArgs, args: &DoctorArgs) -> Result<ExitCode, Failure> {
    if let Some(file) = &machine.facts {
        // Windows is diagnosed from its facts; a Linux machine needs its files (--root).
        let facts =
            Facts::from_file(file).map_err(|e| Failure::new(ExitCode::BadInput, &e, e.help()))?;
        let Facts::Windows { windows } = facts else {
            return Err(Failure::new(
                ExitCode::Usage,
                "doctor reads a Linux machine's files; --facts only describes one",
                Some("use --root DIR for a tree".into()),
            ));
        };
        let checks = crate::doctor::check_windows(&windows, &docker_env(false));
        return doctor_report(machine, args, &checks, &[]);
    }
    let root = match &machine.root {
        Some(dir) => HostRoot::at(dir),
        None => HostRoot::live(),
    };
    #[cfg(windows)]
    if machine.root.is_none()
        && let Ok(Facts::Windows { windows }) = Facts::from_live_host()
    {
        let mut checks = crate::doctor::check_windows(&windows, &docker_env(true));
        let probe = crate::doctor::WindowsProbe::gather(&SystemRunner);
        checks.extend(crate::doctor::check_windows_probe(&probe));
        return doctor_report(machine, args, &checks, &[]);
    }
    let (mut checks, linux) = doctor_checks(machine, args, &root)?;
    let mut fixes = Vec::new();
    if args.fix
        && let Some(linux) = &linux
    {
        fixes = doctor_fix(&root, linux, &checks, args.yes, machine.json);
        if fixes.iter().any(|f| f["applied"] == true) {
            checks = doctor_checks(machine, args, &root)?.0;
        }
    }
    if let Some(path) = &args.bundle {
        let files = crate::doctor::bundle_files(&root, doctor_user(args, &root).as_deref());
        let json = serde_json::to_string_pretty(&doctor_json(&checks, &fixes)).unwrap_or_default();
        let text = ui::doctor_text(&checks, &ui::Style::for_stream(false), true);
        crate::doctor::write_bundle(path, &json, &text, &files)
            .map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
    }
    doctor_report(machine, args, &checks, &fixes)
}

fn doctor_json(checks: &[crate::doctor::Check], fixes: &[serde_json::Value]) -> serde_json::Value {
    let mut json = serde_json::json!({"checks": checks, "exit": crate::doctor::verdict(checks)});
    if !fixes.is_empty() {
        json["fixes"] = serde_json::Value::from(fixes.to_vec());
    }
    json
}

fn doctor_report(
    machine: &MachineArgs,
    args: &DoctorArgs,
    checks: &[crate::doctor::Check],
    fixes: &[serde_json::Value],
) -> Result<ExitCode, Failure> {
    let code = crate::doctor::verdict(checks);
    if machine.json {
        ui::print_json(&doctor_json(checks, fixes));
    } else {
        let style = ui::Style::stdout();
        ui::print(&ui::doctor_text(checks, &style, args.all));
        ui::print(&ui::doctor_fixes_text(fixes, &style));
        if let Some(path) = &args.bundle {
            ui::print(&format!("support bundle: {}\n", path.display()));
        }
    }
    Ok(match code {
        0 => ExitCode::Success,
        1 => ExitCode::Failed,
        _ => ExitCode::Usage,
    })
}

/// The kernel, install and daemon checks, and the Linux facts they were made from.
fn doctor_checks(
    machine: &MachineArgs,
    args: &DoctorArgs,
    root: &HostRoot,
) -> Result<(Vec<crate::doctor::Check>, Option<crate::facts::LinuxFacts>), Failure> {
    use crate::doctor::{DaemonOptions, KernelCatalog, check_daemon, check_install, check_kernel};
    let kernel = KernelCatalog::builtin().map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
    let mut checks = check_kernel(root, &kernel, args.kernel_config.as_deref());
    if args.kernel_only {
        return Ok((checks, None));
    }
    let facts =
        Facts::from_root(root).map_err(|e| Failure::new(ExitCode::BadInput, &e, e.help()))?;
    let Facts::Linux { linux } = &facts else {
        return Ok((checks, None));
    };
    checks.extend(crate::doctor::check_runtime(root, linux));
    let catalog = catalog()?;
    let opts = DecideOptions {
        strategy: None,
        assume_distro: machine.assume_distro.clone(),
    };
    if let Ok(decision) = platform::decide(&facts, &catalog, &opts) {
        checks.extend(check_install(
            root,
            linux,
            &decision,
            &catalog,
            args.key_fingerprint.as_ref(),
        ));
    }
    // The caller's environment describes this machine only, not a tree under --root.
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
            .filter(|_| root.is_live())
    };
    let daemon = DaemonOptions {
        user: doctor_user(args, root),
        shell_proxy: env(&["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]),
        docker_host: env(&["DOCKER_HOST"]),
    };
    checks.extend(check_daemon(root, linux, &daemon));
    Ok((checks, Some(linux.clone())))
}

fn doctor_user(args: &DoctorArgs, root: &HostRoot) -> Option<String> {
    args.user
        .clone()
        .or_else(|| crate::doctor::invoking_user(root))
}

/// The DOCKER_* variables docker-machine sets, from this process's environment when `live`.
fn docker_env(live: bool) -> Vec<(String, String)> {
    if !live {
        return Vec::new();
    }
    std::env::vars()
        .filter(|(k, _)| k.starts_with("DOCKER_"))
        .collect()
}

/// Applies the safe fixes the checks offer, each after a yes (or with -y); the daemon is started
/// last, once its configuration and pid file are sorted out.
fn doctor_fix(
    root: &HostRoot,
    linux: &crate::facts::LinuxFacts,
    checks: &[crate::doctor::Check],
    yes: bool,
    json: bool,
) -> Vec<serde_json::Value> {
    use crate::doctor::{Action, Status};
    let mut todo: Vec<(&str, &Action)> = checks
        .iter()
        .filter(|c| c.status >= Status::Warn)
        .filter_map(|c| c.action.as_ref().map(|a| (c.id.as_str(), a)))
        .collect();
    todo.sort_by_key(|(_, a)| matches!(a, Action::StartDaemon { .. }));
    let ask = !yes && !json && ui::can_prompt();
    todo.into_iter()
        .map(|(id, action)| {
            let what = action.describe();
            let (applied, result) = if !yes && !ask {
                (
                    false,
                    "not applied: pass -y to apply fixes without a terminal".to_string(),
                )
            } else if ask && !ui::confirm(&format!("{id}: {what}?"), false) {
                (false, "declined".to_string())
            } else {
                match action.apply(root, linux) {
                    Ok(done) => (true, done),
                    Err(e) => (false, e.to_string()),
                }
            };
            serde_json::json!({"id": id, "action": what, "applied": applied, "result": result})
        })
        .collect()
}

fn fetch(machine: &MachineArgs, args: &FetchArgs) -> Result<ExitCode, Failure> {
    use crate::exec::download::{Downloader, Fetched};
    let sha = args.sha256.trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Failure::new(
            ExitCode::Usage,
            format!("`{}` is not a sha256 (64 hex digits)", args.sha256),
            None,
        ));
    }
    let fail = |e: crate::exec::download::DownloadError| {
        let help = e.help();
        Failure::new(ExitCode::Failed, e, help)
    };
    let downloader = Downloader::new(
        args.proxy.as_ref().map(ProxyUrl::as_str),
        std::time::Duration::from_secs(30),
    )
    .map_err(fail)?;
    let mut view = ui::RunView::new(machine.json);
    let name = args.output.display().to_string();
    let mut progress = |bytes, total| {
        crate::exec::Observer::event(&mut view, &crate::exec::Event::Progress { bytes, total })
    };
    let fetched = downloader
        .fetch(&name, &args.url, Some(&sha), &args.output, &mut progress)
        .map_err(fail)?;
    let message = match fetched {
        Fetched::Cached => format!("{name} is already there with that sha256"),
        Fetched::Downloaded { bytes, .. } => format!("{name}: {bytes} bytes, sha256 verified"),
    };
    if machine.json {
        ui::print_json(&serde_json::json!({"ok": true, "message": message}));
    } else {
        ui::print(&format!("{message}\n"));
    }
    Ok(ExitCode::Success)
}

fn verify(machine: &MachineArgs, args: &VerifyArgs) -> Result<ExitCode, Failure> {
    require_live(machine, "verify")?;
    let checks = crate::exec::verify::run(&SystemRunner, &args.image);
    let ok = checks.iter().all(|c| c.ok);
    if machine.json {
        ui::print_json(&serde_json::json!({"ok": ok, "checks": checks}));
    } else {
        ui::print(&ui::checks_text(&checks, &ui::Style::stdout()));
    }
    if ok {
        Ok(ExitCode::Success)
    } else {
        let failure = Failure::new(
            ExitCode::Failed,
            "Docker is not working yet",
            Some("`dockup doctor` explains most reasons".into()),
        );
        Err(if machine.json {
            failure.after_json()
        } else {
            failure
        })
    }
}

/// `help` with one more hint under it.
fn more_help(help: Option<String>, more: &str) -> Option<String> {
    Some(match help {
        Some(h) => format!("{h}\n  help: {more}"),
        None => more.to_string(),
    })
}

/// What Windows runs after a restart (RunOnce): this dockup with the same arguments, going on
/// without asking.
fn resume_command() -> Vec<String> {
    let exe = std::env::current_exe().map_or_else(
        |_| "dockup".to_string(),
        |p| p.to_string_lossy().into_owned(),
    );
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--sudo" && a != "--resume")
        .collect();
    let mut argv = vec![exe];
    // `dockup` alone is `dockup install`, but --resume belongs to the subcommand.
    if !args.iter().any(|a| a == "install") {
        argv.push("install".into());
    }
    argv.extend(args);
    argv.push("--resume".into());
    argv
}

/// Replaces this process with `sudo -- dockup <same arguments but --sudo>`; returns only if
/// that could not start.
fn reexec_with_sudo() -> Failure {
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--sudo")
        .collect();
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("dockup"));
    let mut command = std::process::Command::new("sudo");
    command.arg("--").arg(exe).args(args);
    #[cfg(unix)]
    let err = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let err = std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "run dockup from an elevated prompt",
    );
    Failure::new(
        ExitCode::Failed,
        format!("cannot run sudo: {err}"),
        Some("run dockup as root instead".into()),
    )
}

/// The live machine only: an install or uninstall never acts on a described one.
/// `--root DIR` as an absolute path: dnf --installroot and gpgkey= paths need one.
fn canonical_root(machine: &MachineArgs) -> Result<Option<PathBuf>, Failure> {
    machine
        .root
        .as_ref()
        .map(|dir| {
            std::fs::canonicalize(dir).map_err(|e| {
                Failure::new(
                    ExitCode::BadInput,
                    format!("the root directory {} cannot be used: {e}", dir.display()),
                    Some("--root takes a directory laid out like / (etc/os-release, ...)".into()),
                )
            })
        })
        .transpose()
}

fn require_live(machine: &MachineArgs, verb: &str) -> Result<(), Failure> {
    if machine.root.is_some() || machine.facts.is_some() {
        return Err(Failure::new(
            ExitCode::Usage,
            format!(
                "{verb} changes the machine dockup runs on; --root and --facts only describe other machines"
            ),
            Some("use `dockup plan --root DIR` (or --facts FILE) to see what would run there, or run dockup inside that machine or chroot".into()),
        ));
    }
    Ok(())
}

/// Two runs never interleave: the lock is held before the facts are read, so the plan
/// describes the machine as it is.
/// Without root the lock cannot be created, and nothing can be changed either: the run goes on
/// without it, and the executor names what needs root (or finds nothing to do).
fn hold_lock(root: Option<&std::path::Path>) -> Result<Option<lock::RunLock>, Failure> {
    match lock::acquire(&lock::path_for(root)) {
        Ok(held) => Ok(Some(held)),
        Err(lock::LockError::Io { .. }) if !crate::exec::is_admin() => Ok(None),
        Err(e) => Err(Failure::new(
            ExitCode::Failed,
            e,
            Some("wait for the other run to finish".into()),
        )),
    }
}

/// `install --root DIR` installs into the tree at DIR (an image being built): its facts are
/// read from DIR and every command is aimed at it. Without --root, the running system.
fn install(machine: &MachineArgs, args: &InstallArgs) -> Result<ExitCode, Failure> {
    if machine.facts.is_some() && !args.run.dry_run && args.download_only.is_none() {
        return Err(Failure::new(
            ExitCode::Usage,
            "install changes a real machine; --facts only describes another one",
            Some("use `dockup plan --facts FILE` to see what would run there".into()),
        ));
    }
    let install_root = canonical_root(machine)?;
    let install_root = install_root.as_deref();
    if let Some(dir) = &args.download_only {
        return download_only(machine, args, install_root, dir);
    }
    if args.run.dry_run {
        let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
        // On this machine (or the tree at --root) the dry run also says what is done already,
        // by the checks a run makes first: they read files and query the package database.
        let done = machine.facts.is_none().then(|| {
            let mut view = ui::RunView::new(false).non_interactive();
            let mut log = RunLog::none();
            Executor::new(&SystemRunner, &mut view, &mut log, false).satisfied(&plan)
        });
        print_checked_plan(machine, &decision, &plan, done.as_deref());
        return Ok(ExitCode::Success);
    }
    if args.sudo && !crate::exec::is_admin() {
        return Err(reexec_with_sudo());
    }
    let _lock = hold_lock(install_root)?;
    let mut choices = args.plan.clone();
    if let Some(dir) = &args.from {
        let dir = std::fs::canonicalize(dir).map_err(|e| {
            Failure::new(
                ExitCode::BadInput,
                format!("cannot use {} for --from: {e}", dir.display()),
                Some("--from takes the directory `install --download-only DIR` filled".into()),
            )
        })?;
        choices.artifact_mirror = Some(plan::ArtifactMirror::directory(&dir));
    }
    loop {
        let (_, decision, plan) = make_plan(machine, &choices, install_root)?;
        let changes = ui::Changes::offered(&decision, choices.channel, choices.add_user.as_deref());
        let outcome = Outcome {
            verb: "install",
            question: "Install Docker this way?",
            done: "Docker is installed",
            nothing: "Docker is already installed as planned: nothing to do",
            non_interactive: args.non_interactive,
            changes: changes.clone(),
            accepted: if args.accept_legacy {
                vec!["--accept-legacy"]
            } else {
                Vec::new()
            },
        };
        let proxy = choices.proxy()?;
        let ran = execute(
            machine,
            &decision,
            &plan,
            args.run.yes,
            args.run.log_path(),
            proxy.as_ref(),
            &outcome,
        )?;
        match ran {
            Ran::Exit(code) => return Ok(code),
            Ran::ChangeRequested => {
                let picked = ui::ask_changes(&changes, decision.strategy);
                choices.strategy = Some(picked.strategy);
                choices.channel = picked.channel.or(choices.channel);
                choices.add_user = picked.add_user.or(choices.add_user.take());
                ui::print("\n");
            }
        }
    }
}

/// `install --download-only DIR`: every artifact the plan needs, fetched and verified into DIR
/// by file name, nothing else changed. Needs no root; with --facts, for another machine.
fn download_only(
    machine: &MachineArgs,
    args: &InstallArgs,
    install_root: Option<&std::path::Path>,
    dir: &std::path::Path,
) -> Result<ExitCode, Failure> {
    use crate::exec::download::{Downloader, Fetched};
    let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
    let artifacts: Vec<&crate::platform::Artifact> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            plan::Step::Download { artifact, .. } => Some(artifact),
            _ => None,
        })
        .collect();
    let proxy = args.plan.proxy()?;
    let downloader = Downloader::new(
        proxy.as_ref().map(|p| p.as_str()),
        std::time::Duration::from_secs(30),
    )
    .map_err(|e| Failure::new(ExitCode::Failed, &e, e.help()))?;
    crate::exec::interrupt::catch();
    let view = ui::RunView::new(machine.json);
    let mut failed = Vec::new();
    for artifact in &artifacts {
        let dest = dir.join(&artifact.file);
        let result = downloader.fetch(
            &artifact.name,
            &artifact.url,
            artifact.sha256.as_deref(),
            &dest,
            &mut |_, _| {},
        );
        let (ok, detail) = match result {
            Ok(Fetched::Cached) => (true, "already there, verified".to_string()),
            Ok(Fetched::Downloaded { bytes, .. }) => (true, format!("{bytes} bytes, verified")),
            Err(e) => (false, e.to_string()),
        };
        if machine.json {
            view.json_event(serde_json::json!({
                "event": "artifact", "name": artifact.name, "file": dest, "ok": ok, "detail": detail,
            }));
        } else {
            ui::print(&format!(
                "{} {}: {detail}\n",
                if ok { "ok" } else { "FAILED" },
                artifact.name
            ));
        }
        if !ok {
            failed.push(artifact.name.clone());
        }
    }
    if !failed.is_empty() {
        return Err(Failure::new(
            ExitCode::Failed,
            format!(
                "could not fetch {} into {}",
                failed.join(", "),
                dir.display()
            ),
            Some("rerun to resume; an artifact without a pinned sha256 is never fetched".into()),
        ));
    }
    let message = format!(
        "{} artifacts for the {} plan are in {}; there: dockup install --from {}",
        artifacts.len(),
        decision.strategy,
        dir.display(),
        dir.display()
    );
    if machine.json {
        view.json_event(serde_json::json!({
            "event": "result", "ok": true, "exit": 0, "changed": false, "message": message,
        }));
    } else {
        ui::print(&format!("{message}\n"));
    }
    Ok(ExitCode::Success)
}

fn uninstall(machine: &MachineArgs, args: &UninstallArgs) -> Result<ExitCode, Failure> {
    if machine.facts.is_some() && !args.run.dry_run {
        require_live(machine, "uninstall")?;
    }
    let install_root = canonical_root(machine)?;
    let install_root = install_root.as_deref();
    let _lock = if args.run.dry_run {
        None
    } else {
        hold_lock(install_root)?
    };
    let (facts, catalog, decision) = decide(machine, None)?;
    let root_arg = install_root.map(|p| p.display().to_string());
    let plan = plan::build_uninstall(&facts, &decision, &catalog, args.purge, root_arg.as_deref())
        .map_err(|e| Failure::new(ExitCode::Unsupported, &e, e.help()))?;
    if args.run.dry_run {
        print_plan(machine, &decision, &plan);
        return Ok(ExitCode::Success);
    }
    let outcome = Outcome {
        verb: "uninstall",
        question: "Remove Docker this way?",
        done: "Docker is removed",
        nothing: "Docker is not installed: nothing to do",
        non_interactive: false,
        changes: ui::Changes::default(),
        accepted: Vec::new(),
    };
    match execute(
        machine,
        &decision,
        &plan,
        args.run.yes,
        args.run.log_path(),
        None,
        &outcome,
    )? {
        Ran::Exit(code) => Ok(code),
        // Nothing to change in an uninstall's plan, so the prompt never offers it.
        Ran::ChangeRequested => Ok(ExitCode::Declined),
    }
}

/// How a run asks before it starts and reports its end.
struct Outcome {
    verb: &'static str,
    question: &'static str,
    done: &'static str,
    nothing: &'static str,
    non_interactive: bool,
    /// What a person at the prompt may change before the run (install only).
    changes: ui::Changes,
    /// Flags that accept a plan's warnings (`--accept-legacy`).
    accepted: Vec<&'static str>,
}

/// How a run ended: an exit code, or the person at the prompt asked to change the plan first.
enum Ran {
    Exit(ExitCode),
    ChangeRequested,
}

/// Shows the plan, runs it through the executor and reports the result.
fn execute(
    machine: &MachineArgs,
    decision: &Decision,
    plan: &plan::Plan,
    yes: bool,
    log_path: &std::path::Path,
    proxy: Option<&ProxyUrl>,
    outcome: &Outcome,
) -> Result<Ran, Failure> {
    let mut view = ui::RunView::new(machine.json).offer_changes(outcome.changes.any());
    if outcome.non_interactive {
        view = view.non_interactive();
    }
    if machine.json {
        view.json_event(
            serde_json::json!({"event": "plan", "plan": ui::plan_json(decision, plan, None)}),
        );
    } else {
        // What was found and why this way, then the plan: what a person decides on.
        ui::print(&ui::why_text(decision, &ui::Style::stdout()));
        print_plan(machine, decision, plan);
        ui::print("\n");
    }
    // A person at a terminal sees the plan and says yes before anything changes.
    view = view.ask_before_start(outcome.question);
    let mut log = RunLog::open(log_path).unwrap_or_else(|why| {
        view.note(&format!("not logging: cannot open the log file {why}"));
        RunLog::none()
    });
    log.line(&format!(
        "dockup {} {}: {} on {}",
        env!("CARGO_PKG_VERSION"),
        outcome.verb,
        decision.strategy,
        decision.os
    ));
    let runner = SystemRunner;
    crate::exec::interrupt::catch();
    let result = Executor::new(&runner, &mut view, &mut log, yes)
        .proxy(proxy)
        .accept(&outcome.accepted)
        .resume_with(resume_command())
        .run(plan);
    match result {
        Ok(summary) => {
            let message = match summary {
                RunSummary::NothingToDo => outcome.nothing.to_string(),
                RunSummary::Changed { steps_run } => {
                    format!("{} ({steps_run} steps run)", outcome.done)
                }
                RunSummary::NeedsReboot { restarting, .. } => if restarting {
                    "Windows restarts in a minute to finish; dockup goes on after you sign in"
                } else {
                    "restart Windows to finish: dockup goes on after you sign in (or run it again)"
                }
                .to_string(),
            };
            let code = match summary {
                RunSummary::NeedsReboot { .. } => ExitCode::NeedsReboot,
                _ => ExitCode::Success,
            };
            log.line(&message);
            if machine.json {
                view.json_event(serde_json::json!({
                    "event": "result", "ok": true, "exit": code as u8,
                    "changed": summary != RunSummary::NothingToDo,
                    "reboot": matches!(summary, RunSummary::NeedsReboot { .. }),
                    "message": message,
                }));
            } else {
                ui::print(&format!("{message}\n"));
                for note in &plan.notes {
                    ui::print(&format!("note: {note}\n"));
                }
                if outcome.verb == "install" && code == ExitCode::Success {
                    ui::print(&ui::next_steps(plan));
                }
            }
            Ok(Ran::Exit(code))
        }
        Err(ExecError::PlanDeclined) if view.change_requested() => Ok(Ran::ChangeRequested),
        Err(e) => {
            log.line(&format!("failed: {e}"));
            let code = match e {
                ExecError::Declined(_) | ExecError::PlanDeclined => ExitCode::Declined,
                ExecError::Interrupted { .. } => ExitCode::Interrupted,
                _ => ExitCode::Failed,
            };
            let mut help = e.help();
            if code == ExitCode::Failed && !matches!(e, ExecError::Daemon(_)) {
                help = more_help(
                    help,
                    "`dockup doctor` checks this machine and says what to fix",
                );
            }
            if let Some(path) = &log.path {
                help = more_help(help, &format!("the full log is {}", path.display()));
            }
            Err(Failure::new(code, e, help))
        }
    }
}
