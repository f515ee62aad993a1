//! Arguments and wiring: parse, gather facts, decide, plan, hand the result to `ui`. No decisions.

mod args;
mod config;
mod doctor;
mod exit;
mod run;

use clap::CommandFactory;

pub use args::Cli;
pub use exit::ExitCode;

use args::{Command, FetchArgs, InstallArgs, MachineArgs, PlanArgs, VerifyArgs};

use crate::exec::SystemRunner;
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
            args.accept_legacy = config::file_bool(
                args.accept_legacy,
                "DOCKUP_ACCEPT_LEGACY",
                file.accept_legacy,
            );
            args.non_interactive = config::file_bool(
                args.non_interactive,
                "DOCKUP_NON_INTERACTIVE",
                file.non_interactive,
            );
            // The run after a restart goes on as the first one was told to.
            args.run.yes |= args.resume;
        }
        Command::Uninstall(args) => args.run.fill_from(&file),
        _ => {}
    }
    match command {
        Command::Detect(args) => detect(&machine, args.strategy),
        Command::Plan(args) => plan(&machine, &args),
        Command::Install(args) => run::install(&machine, &args),
        Command::Uninstall(args) => run::uninstall(&machine, &args),
        Command::Verify(args) => verify(&machine, &args),
        Command::Fetch(args) => fetch(&machine, &args),
        Command::Doctor(args) => doctor::doctor(&machine, &args),
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
        crate::exec::download::TIMEOUT,
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
