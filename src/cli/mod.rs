//! Arguments and wiring: parse, gather facts, decide, plan, hand the result to `ui`. No decisions.

mod config;
mod exit;

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

pub use exit::ExitCode;

use crate::exec::{ExecError, Executor, RunLog, RunSummary, SystemRunner, lock};
use crate::facts::{Facts, HostRoot};
use crate::plan::{
    self, Channel, Fingerprint, MirrorUrl, PlanOptions, ProxyUrl, RegistryMirror, VersionReq,
};
use crate::platform::{self, AssumeDistro, Catalog, DecideOptions, Decision, Strategy};
use crate::ui;

#[derive(Debug, Parser)]
#[command(
    name = "dockup",
    version,
    about = "Installs Docker correctly on whatever machine it lands on",
    long_about = "Installs Docker correctly on whatever machine it lands on.\n\n\
                  dockup reads the machine's facts, chooses how Docker should be installed \
                  (Docker's repository, the distribution's package, Docker Desktop, a VM, ...) \
                  and shows the exact steps before it runs them."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    machine: MachineArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show what this machine is and how Docker would be installed on it.
    Detect(DetectArgs),
    /// Print the exact steps an install would take, without changing anything.
    Plan(PlanArgs),
    /// Install Docker (with --dry-run: print the plan, like `dockup plan`).
    Install(InstallArgs),
    /// Remove Docker's packages, repository and key; images and containers only with --purge.
    Uninstall(UninstallArgs),
    /// Check that the docker CLI and daemon answer and that a container runs.
    Verify(VerifyArgs),
    /// Download a file and keep it only if its sha256 matches (resumes, retries).
    Fetch(FetchArgs),
    /// Diagnose the machine: what would stop Docker from working, and how to fix it.
    Doctor(DoctorArgs),
    /// Print a shell completion script: dockup completions bash > /etc/bash_completion.d/dockup
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): dockup man > /usr/local/share/man/man1/dockup.1
    Man,
}

#[derive(Debug, Args)]
struct DoctorArgs {
    /// Only the kernel checks (version, configuration options, cgroups).
    #[arg(long)]
    kernel_only: bool,
    /// Read the kernel configuration from this file (plain or gzip) instead of looking for it.
    #[arg(long, value_name = "FILE")]
    kernel_config: Option<PathBuf>,
    /// List every check, also the kernel options that are fine.
    #[arg(long)]
    all: bool,
}

#[derive(Debug, Args)]
struct FetchArgs {
    /// What to download.
    url: String,
    /// The sha256 the file must have.
    #[arg(long, value_name = "HEX")]
    sha256: String,
    /// Where to put it.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Proxy for the download (default: $https_proxy).
    #[arg(long, value_name = "URL", value_parser = parse::<ProxyUrl>)]
    proxy: Option<ProxyUrl>,
}

#[derive(Debug, Args)]
struct VerifyArgs {
    /// The image to run (it must run and exit by itself).
    #[arg(long, value_name = "IMAGE", default_value = "hello-world")]
    image: String,
}

/// Which machine: this one, a root tree, or a facts file.
#[derive(Debug, Clone, Args)]
struct MachineArgs {
    /// Read the machine's facts from this directory instead of / (a chroot, an image, a fixture).
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "facts")]
    root: Option<PathBuf>,
    /// Read the machine's facts from a JSON file (what `dockup detect --json` prints).
    #[arg(long, global = true, value_name = "FILE")]
    facts: Option<PathBuf>,
    /// Treat the machine as this distribution release, e.g. ubuntu:22.04 or debian:bookworm.
    #[arg(long, global = true, value_name = "ID:VERSION", env = "DOCKUP_ASSUME_DISTRO", value_parser = parse::<AssumeDistro>)]
    assume_distro: Option<AssumeDistro>,
    /// Settings in a TOML file, keys named like the long flags (flags and DOCKUP_* win).
    #[arg(long, global = true, value_name = "FILE", env = "DOCKUP_CONFIG")]
    config: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, Args)]
struct DetectArgs {
    /// Use this strategy when it is possible here, e.g. distro or desktop-hyperv.
    #[arg(long, value_name = "STRATEGY", value_parser = parse::<Strategy>)]
    strategy: Option<Strategy>,
}

#[derive(Debug, Default, Args)]
struct PlanArgs {
    /// Use this strategy when it is possible here, e.g. distro or desktop-hyperv.
    #[arg(long, value_name = "STRATEGY", env = "DOCKUP_STRATEGY", value_parser = parse::<Strategy>)]
    strategy: Option<Strategy>,
    /// Docker's release channel [default: stable].
    #[arg(long, value_name = "CHANNEL", env = "DOCKUP_CHANNEL", value_parser = parse::<Channel>)]
    channel: Option<Channel>,
    /// Install exactly this Docker version (27.3 means the newest 27.3.x).
    #[arg(long = "version", value_name = "VERSION", env = "DOCKUP_VERSION", value_parser = parse::<VersionReq>)]
    docker_version: Option<VersionReq>,
    /// Base URL of a mirror laid out like https://download.docker.com, or a known mirror's name.
    #[arg(long, value_name = "URL", env = "DOCKUP_MIRROR", value_parser = parse::<MirrorUrl>)]
    mirror: Option<MirrorUrl>,
    /// Trust this signing key instead of Docker's (mirrors that re-sign packages).
    #[arg(long, value_name = "FPR", env = "DOCKUP_KEY_FINGERPRINT", value_parser = parse::<Fingerprint>)]
    key_fingerprint: Option<Fingerprint>,
    /// Install without starting or enabling the daemon (image builds, chroots).
    #[arg(long, env = "DOCKUP_NO_START")]
    no_start: bool,
    /// Add this user to the docker group.
    #[arg(long, value_name = "USER", env = "DOCKUP_ADD_USER")]
    add_user: Option<String>,
    /// A registry mirror for the daemon's pulls (daemon.json registry-mirrors); repeatable.
    #[arg(long = "registry-mirror", value_name = "URL", env = "DOCKUP_REGISTRY_MIRROR", value_delimiter = ',', value_parser = parse::<RegistryMirror>)]
    registry_mirrors: Vec<RegistryMirror>,
    /// Proxy for dockup's downloads and the package manager (default: $https_proxy).
    #[arg(long, value_name = "URL", env = "DOCKUP_PROXY", value_parser = parse::<ProxyUrl>)]
    proxy: Option<ProxyUrl>,
    /// Also keep using the proxy afterwards: for the package manager and the daemon's pulls.
    #[arg(long, env = "DOCKUP_PERSIST_PROXY")]
    persist_proxy: bool,
}

impl PlanArgs {
    /// Fills what neither a flag nor DOCKUP_* set from the config file.
    fn fill_from(&mut self, file: &config::FileConfig) -> Result<(), String> {
        use config::{file_bool, parse_key};
        if self.strategy.is_none() {
            self.strategy = parse_key("strategy", file.strategy.as_ref())?;
        }
        if self.channel.is_none() {
            self.channel = parse_key("channel", file.channel.as_ref())?;
        }
        if self.docker_version.is_none() {
            self.docker_version = parse_key("version", file.version.as_ref())?;
        }
        if self.mirror.is_none() {
            self.mirror = parse_key("mirror", file.mirror.as_ref())?;
        }
        if self.key_fingerprint.is_none() {
            self.key_fingerprint = parse_key("key-fingerprint", file.key_fingerprint.as_ref())?;
        }
        if self.add_user.is_none() {
            self.add_user = file.add_user.clone();
        }
        if self.registry_mirrors.is_empty() {
            for m in file.registry_mirror.iter().flatten() {
                self.registry_mirrors
                    .extend(parse_key("registry-mirror", Some(m))?);
            }
        }
        if self.proxy.is_none() {
            self.proxy = parse_key("proxy", file.proxy.as_ref())?;
        }
        self.no_start = file_bool(self.no_start, "DOCKUP_NO_START", file.no_start);
        self.persist_proxy = file_bool(
            self.persist_proxy,
            "DOCKUP_PERSIST_PROXY",
            file.persist_proxy,
        );
        Ok(())
    }
}

impl PlanArgs {
    /// --proxy, else the proxy the environment names (as curl and apt would use it).
    fn proxy(&self) -> Result<Option<ProxyUrl>, Failure> {
        if let Some(p) = &self.proxy {
            return Ok(Some(p.clone()));
        }
        for var in ["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"] {
            if let Ok(value) = std::env::var(var)
                && !value.trim().is_empty()
            {
                return value.parse().map(Some).map_err(|e: String| {
                    Failure::new(ExitCode::Usage, format!("${var}: {e}"), None)
                });
            }
        }
        Ok(None)
    }
}

#[derive(Debug, Default, Args)]
struct InstallArgs {
    #[command(flatten)]
    plan: PlanArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Answer yes to confirmations (removing conflicting packages).
    #[arg(short = 'y', long, env = "DOCKUP_YES")]
    yes: bool,
    /// Log every command and its output here [default: /var/log/dockup/dockup.log].
    #[arg(long, value_name = "FILE", env = "DOCKUP_LOG")]
    log: Option<PathBuf>,
    /// When not root, run again through sudo (asks for your password).
    #[arg(long)]
    sudo: bool,
    /// Never ask: where a question has no safe default, fail naming the flag that answers it.
    #[arg(long, env = "DOCKUP_NON_INTERACTIVE")]
    non_interactive: bool,
}

#[derive(Debug, Args)]
struct UninstallArgs {
    /// Also delete /var/lib/docker and /var/lib/containerd: every image, container and volume.
    #[arg(long)]
    purge: bool,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Answer yes to confirmations (deleting data with --purge).
    #[arg(short = 'y', long, env = "DOCKUP_YES")]
    yes: bool,
    /// Log every command and its output here [default: /var/log/dockup/dockup.log].
    #[arg(long, value_name = "FILE", env = "DOCKUP_LOG")]
    log: Option<PathBuf>,
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// A failure with what to tell the user and how to exit.
pub struct Failure {
    pub code: ExitCode,
    pub message: String,
    pub help: Option<String>,
}

impl Failure {
    fn new(code: ExitCode, message: impl ToString, help: Option<String>) -> Failure {
        Failure {
            code,
            message: message.to_string(),
            help,
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    match dispatch(cli) {
        Ok(code) => code,
        Err(f) => {
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
            args.yes = config::file_bool(args.yes, "DOCKUP_YES", file.yes);
            args.log = args.log.take().or_else(|| file.log.clone());
        }
        Command::Uninstall(args) => {
            args.yes = config::file_bool(args.yes, "DOCKUP_YES", file.yes);
            args.log = args.log.take().or_else(|| file.log.clone());
        }
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

/// Where runs are logged unless --log, DOCKUP_LOG or the config file says otherwise.
const DEFAULT_LOG: &str = "/var/log/dockup/dockup.log";

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
    if machine.json {
        ui::print_json(&ui::plan_json(decision, plan));
    } else {
        ui::print(&ui::plan_text(decision, plan, &ui::Style::stdout()));
    }
}

fn plan(machine: &MachineArgs, args: &PlanArgs) -> Result<ExitCode, Failure> {
    let (_, decision, plan) = make_plan(machine, args, None)?;
    print_plan(machine, &decision, &plan);
    Ok(ExitCode::Success)
}

/// Exit 0 healthy, 1 problems found, 2 could not check (README).
fn doctor(machine: &MachineArgs, args: &DoctorArgs) -> Result<ExitCode, Failure> {
    use crate::doctor::{KernelCatalog, check_kernel, verdict};
    if machine.facts.is_some() {
        return Err(Failure::new(
            ExitCode::Usage,
            "doctor looks at a real machine or root tree; --facts only describes one",
            Some("use --root DIR for a tree".into()),
        ));
    }
    let root = match &machine.root {
        Some(dir) => HostRoot::at(dir),
        None => HostRoot::live(),
    };
    let catalog = KernelCatalog::builtin().map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
    let checks = check_kernel(&root, &catalog, args.kernel_config.as_deref());
    let code = verdict(&checks);
    if machine.json {
        ui::print_json(&serde_json::json!({"checks": checks, "exit": code}));
    } else {
        let mut text = ui::doctor_text(&checks, &ui::Style::stdout(), args.all);
        if !args.kernel_only {
            text.push_str(
                "note: this version of doctor checks the kernel; the installation and daemon checks come next\n",
            );
        }
        ui::print(&text);
    }
    Ok(match code {
        0 => ExitCode::Success,
        1 => ExitCode::Failed,
        _ => ExitCode::Usage,
    })
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
        Err(Failure::new(
            ExitCode::Failed,
            "Docker is not working yet",
            Some("`dockup doctor` explains most reasons".into()),
        ))
    }
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
    if machine.facts.is_some() && !args.dry_run {
        return Err(Failure::new(
            ExitCode::Usage,
            "install changes a real machine; --facts only describes another one",
            Some("use `dockup plan --facts FILE` to see what would run there".into()),
        ));
    }
    // dnf --installroot and gpgkey= paths need the root as an absolute path.
    let install_root = match &machine.root {
        Some(dir) => Some(std::fs::canonicalize(dir).map_err(|e| {
            Failure::new(
                ExitCode::BadInput,
                format!("the root directory {} cannot be used: {e}", dir.display()),
                None,
            )
        })?),
        None => None,
    };
    let install_root = install_root.as_deref();
    if args.dry_run {
        let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
        print_plan(machine, &decision, &plan);
        return Ok(ExitCode::Success);
    }
    if args.sudo && !crate::exec::is_admin() {
        return Err(reexec_with_sudo());
    }
    let _lock = hold_lock(install_root)?;
    let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
    let outcome = Outcome {
        verb: "install",
        question: "Install Docker this way?",
        done: "Docker is installed",
        nothing: "Docker is already installed as planned: nothing to do",
        non_interactive: args.non_interactive,
    };
    let proxy = args.plan.proxy()?;
    execute(
        machine,
        &decision,
        &plan,
        args.yes,
        args.log
            .as_deref()
            .unwrap_or(std::path::Path::new(DEFAULT_LOG)),
        proxy.as_ref(),
        &outcome,
    )
}

fn uninstall(machine: &MachineArgs, args: &UninstallArgs) -> Result<ExitCode, Failure> {
    if !args.dry_run {
        require_live(machine, "uninstall")?;
    }
    let _lock = if args.dry_run { None } else { hold_lock(None)? };
    let (facts, catalog, decision) = decide(machine, None)?;
    let plan = plan::build_uninstall(&facts, &decision, &catalog, args.purge)
        .map_err(|e| Failure::new(ExitCode::Unsupported, &e, e.help()))?;
    if args.dry_run {
        print_plan(machine, &decision, &plan);
        return Ok(ExitCode::Success);
    }
    let outcome = Outcome {
        verb: "uninstall",
        question: "Remove Docker this way?",
        done: "Docker is removed",
        nothing: "Docker is not installed: nothing to do",
        non_interactive: false,
    };
    execute(
        machine,
        &decision,
        &plan,
        args.yes,
        args.log
            .as_deref()
            .unwrap_or(std::path::Path::new(DEFAULT_LOG)),
        None,
        &outcome,
    )
}

/// How a run asks before it starts and reports its end.
struct Outcome {
    verb: &'static str,
    question: &'static str,
    done: &'static str,
    nothing: &'static str,
    non_interactive: bool,
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
) -> Result<ExitCode, Failure> {
    let mut view = ui::RunView::new(machine.json);
    if outcome.non_interactive {
        view = view.non_interactive();
    }
    if machine.json {
        view.json_event(
            serde_json::json!({"event": "plan", "plan": ui::plan_json(decision, plan)}),
        );
    } else {
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
    let result = Executor::new(&runner, &mut view, &mut log, yes)
        .proxy(proxy)
        .run(plan);
    match result {
        Ok(summary) => {
            let message = match summary {
                RunSummary::NothingToDo => outcome.nothing.to_string(),
                RunSummary::Changed { steps_run } => {
                    format!("{} ({steps_run} steps run)", outcome.done)
                }
            };
            log.line(&message);
            if machine.json {
                view.json_event(serde_json::json!({
                    "event": "result", "ok": true,
                    "changed": summary != RunSummary::NothingToDo,
                    "message": message,
                }));
            } else {
                ui::print(&format!("{message}\n"));
                for note in &plan.notes {
                    ui::print(&format!("note: {note}\n"));
                }
            }
            Ok(ExitCode::Success)
        }
        Err(e) => {
            log.line(&format!("failed: {e}"));
            if machine.json {
                view.json_event(
                    serde_json::json!({"event": "result", "ok": false, "error": e.to_string()}),
                );
            }
            let code = match e {
                ExecError::Declined(_) | ExecError::PlanDeclined => ExitCode::Declined,
                _ => ExitCode::Failed,
            };
            let mut help = e.help();
            if let Some(path) = &log.path {
                let see = format!("the full log is {}", path.display());
                help = Some(match help {
                    Some(h) => format!("{h}\n  help: {see}"),
                    None => see,
                });
            }
            Err(Failure::new(code, e, help))
        }
    }
}
