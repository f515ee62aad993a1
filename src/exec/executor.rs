//! Runs a plan's steps in order. Each step first says whether it is already satisfied (so a
//! rerun changes nothing and an interrupted run is completed), then runs through the
//! `CommandRunner`, writes files atomically, and reports what it did as events.

mod done;
mod machine;
mod windows;

pub(crate) use windows::{feature_enabled, group_members as local_group_members};

use std::path::{Path, PathBuf};

use super::download::{self, Downloader, Fetched};
use super::error::ExecError;
use super::events::{Event, Observer};
use super::extract;
use super::fetch::Fetcher;
use super::fsops::{self, WriteOutcome};
use super::interrupt;
use super::keys;
use super::runlog::RunLog;
use super::{CommandOutput, CommandRunner, config, daemon, packages, sys};
use crate::facts::InitSystem;
use crate::plan::{
    InstallRoot, PackageManager, PackageSpec, Plan, Shell, Step, service_commands, shell_line,
    stop_commands,
};

/// How long a freshly started daemon gets to answer `docker version`.
const VERIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Docker Desktop's first start sets up its VM (and WSL distribution) before it answers.
const DESKTOP_VERIFY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(240);

pub struct Executor<'a> {
    runner: &'a dyn CommandRunner,
    observer: &'a mut dyn Observer,
    log: &'a mut RunLog,
    /// `-y`: accept the confirmations a step asks for.
    yes: bool,
    fetcher: Option<Fetcher>,
    /// Whether this process may change the system.
    is_root: bool,
    backup_root: PathBuf,
    /// Passed to package manager commands and used for fetches.
    proxy: Option<String>,
    /// The tree being installed into, when not the running system (from the plan).
    root: Option<InstallRoot>,
    /// Warnings accepted by their own flags (`--accept-legacy`): `-y` alone does not.
    accepted: Vec<String>,
    /// The plan is for Windows (cmd.exe syntax, reg.exe, setx).
    windows: bool,
    /// A step said Windows must restart before the next ones.
    reboot_needed: bool,
    /// Set by the restart step: the run ends there (whether the restart was started now).
    restart_pending: Option<bool>,
    /// What RunOnce runs after the restart: this dockup with the same arguments.
    resume_command: Option<Vec<String>>,
    /// The plan's docker-machine VM, and its environment once it runs.
    machine: Option<String>,
    machine_env: Vec<(String, String)>,
    /// Where `~/` in a profile path points.
    home: PathBuf,
}

/// Aims every command at the install root, if there is one.
struct Rooted<'r> {
    inner: &'r dyn CommandRunner,
    root: Option<&'r InstallRoot>,
}

impl CommandRunner for Rooted<'_> {
    fn run(&self, argv: &[&str]) -> std::io::Result<CommandOutput> {
        match self.root {
            None => self.inner.run(argv),
            Some(root) => {
                let owned: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
                let wrapped = root.wrap(&owned);
                let refs: Vec<&str> = wrapped.iter().map(String::as_str).collect();
                self.inner.run(&refs)
            }
        }
    }
}

/// The outcome of a whole run.
#[derive(Debug, PartialEq, Eq)]
pub enum RunSummary {
    /// Every step was already satisfied.
    NothingToDo,
    Changed {
        steps_run: usize,
    },
    /// The steps up to a restart are done; the rest runs after it (RunOnce), or on a rerun.
    NeedsReboot {
        steps_run: usize,
        /// The restart was started (the person agreed at the prompt).
        restarting: bool,
    },
}

impl<'a> Executor<'a> {
    pub fn new(
        runner: &'a dyn CommandRunner,
        observer: &'a mut dyn Observer,
        log: &'a mut RunLog,
        yes: bool,
    ) -> Self {
        Executor {
            runner,
            observer,
            log,
            yes,
            fetcher: None,
            is_root: sys::is_admin(),
            backup_root: PathBuf::from(fsops::BACKUP_ROOT),
            proxy: None,
            root: None,
            accepted: Vec::new(),
            windows: false,
            reboot_needed: false,
            restart_pending: None,
            resume_command: None,
            machine: None,
            machine_env: Vec::new(),
            home: std::env::var_os("HOME")
                .or_else(|| std::env::var_os("USERPROFILE"))
                .map_or_else(|| PathBuf::from("/root"), PathBuf::from),
        }
    }

    /// Flags given on the command line that accept a plan's warnings (`--accept-legacy`).
    pub fn accept(mut self, flags: &[&str]) -> Self {
        self.accepted = flags.iter().map(|f| f.to_string()).collect();
        self
    }

    /// The command RunOnce runs after a restart.
    pub fn resume_with(mut self, argv: Vec<String>) -> Self {
        self.resume_command = Some(argv);
        self
    }

    /// The home directory profile snippets go to (tests use a temporary one).
    pub fn home(mut self, dir: &Path) -> Self {
        self.home = dir.to_path_buf();
        self
    }

    /// Use this proxy for fetches and the package manager.
    pub fn proxy(mut self, proxy: Option<&crate::plan::ProxyUrl>) -> Self {
        self.proxy = proxy.map(|p| p.as_str().to_string());
        self
    }

    /// Keep replaced files' old versions here instead of /var/lib/dockup/backup.
    pub fn backup_root(mut self, dir: &Path) -> Self {
        self.backup_root = dir.to_path_buf();
        self
    }

    /// For tests that drive the executor without root.
    pub fn assume_root(mut self, is_root: bool) -> Self {
        self.is_root = is_root;
        self
    }

    pub fn run(&mut self, plan: &Plan) -> Result<RunSummary, ExecError> {
        let total = plan.steps.len();
        // Satisfaction is decided up front: an index refresh is only needed if some install
        // after it is not done, and the root check only covers steps that will really run.
        let done = self.satisfied(plan);
        // Checks change nothing: when every other step is done, the run has nothing to do, and
        // the checks only confirm it.
        let changes_nothing = |s: &Step| matches!(s, Step::Verify { .. });
        if plan
            .steps
            .iter()
            .zip(&done)
            .all(|(s, d)| d.is_some() || changes_nothing(s))
        {
            for step in plan.steps.iter().filter(|s| changes_nothing(s)) {
                self.execute(step)?;
            }
            self.log
                .line("every step is already satisfied; nothing to do");
            return Ok(RunSummary::NothingToDo);
        }
        let needs_root: Vec<String> = plan
            .steps
            .iter()
            .zip(&done)
            .filter(|(s, d)| d.is_none() && !matches!(s, Step::Verify { .. }))
            .map(|(s, _)| s.title())
            .collect();
        if !self.is_root && !needs_root.is_empty() {
            return Err(ExecError::NotRoot { steps: needs_root });
        }
        if !self.yes && !self.observer.approve_plan() {
            return Err(ExecError::PlanDeclined);
        }
        let mut steps_run = 0;
        for (i, (step, done)) in plan.steps.iter().zip(done).enumerate() {
            let title = step.title();
            // A step satisfied before the run started may have been undone by an earlier one
            // (a removal), so installs are checked again.
            let done = match step {
                Step::InstallPackages { .. } => self.already_done(step, &plan.steps[i + 1..]),
                // Whether a restart is due is only known once the steps before it ran.
                Step::RebootAndResume { .. } => self.already_done(step, &[]),
                _ => done,
            };
            if let Some(why) = done {
                self.log
                    .line(&format!("step {}: {title}: already done ({why})", i + 1));
                self.observer.event(&Event::Skipped {
                    index: i + 1,
                    total,
                    title,
                    why,
                });
                continue;
            }
            self.log.line(&format!("step {}: {title}", i + 1));
            self.observer.event(&Event::Started {
                index: i + 1,
                total,
                title: title.clone(),
            });
            let result = self.execute(step);
            // The step's command got the same Ctrl-C and failed of it, or the step finished
            // just before: either way the run stops here, and says so rather than why it broke.
            if interrupt::requested() {
                self.log
                    .line(&format!("interrupted during step {}: {title}", i + 1));
                return Err(ExecError::Interrupted {
                    index: i + 1,
                    step: title,
                });
            }
            let detail = result?;
            steps_run += 1;
            self.observer.event(&Event::Done {
                index: i + 1,
                total,
                title,
                detail,
            });
            if let Some(restarting) = self.restart_pending {
                self.log
                    .line("stopping here: Windows must restart before the next steps");
                return Ok(RunSummary::NeedsReboot {
                    steps_run,
                    restarting,
                });
            }
        }
        Ok(RunSummary::Changed { steps_run })
    }

    fn execute(&mut self, step: &Step) -> Result<Option<String>, ExecError> {
        match step {
            Step::Confirm { message, flag } => {
                // A warning with its own flag: -y accepts defaults, not this.
                if self.accepted.iter().any(|a| a == flag) {
                    self.log.line(&format!("accepted by {flag}: {message}"));
                    return Ok(Some(format!("accepted with {flag}")));
                }
                match self.observer.ask(message) {
                    Some(true) => Ok(Some("accepted".into())),
                    Some(false) => Err(ExecError::Declined(message.clone())),
                    None => Err(ExecError::NeedsConfirmation {
                        question: message.clone(),
                        flag: flag.clone(),
                    }),
                }
            }
            Step::RemovePackages {
                manager, packages, ..
            } => {
                let installed = self.installed_among(*manager, packages);
                self.confirm(
                    &format!(
                        "remove {} (they conflict with Docker's packages; your images and containers are kept)",
                        installed.join(", ")
                    ),
                    "-y",
                )?;
                self.package_change(*manager, manager.remove_argv(&installed))?;
                Ok(Some(format!("removed {}", installed.join(", "))))
            }
            Step::MergeDaemonJson { path, settings } => {
                let existing = match std::fs::read_to_string(path) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                    Err(e) => {
                        return Err(ExecError::Write {
                            path: path.clone(),
                            why: e.to_string(),
                        });
                    }
                };
                let merged = config::merge_daemon_json(&existing, settings).map_err(|why| {
                    ExecError::Config {
                        path: path.clone(),
                        why,
                    }
                })?;
                let detail = self.write(path, merged.as_bytes(), 0o644)?;
                if sys::daemon_answers() {
                    self.observer.event(&Event::Note(
                        "the daemon is already running: restart it to apply the new settings"
                            .into(),
                    ));
                }
                Ok(detail)
            }
            Step::SetIniValue {
                path,
                section,
                key,
                value,
            } => {
                let existing = std::fs::read_to_string(path).unwrap_or_default();
                let updated = config::set_ini_value(&existing, section, key, value);
                self.write(path, updated.as_bytes(), 0o644)
            }
            Step::Download { artifact, dest } => {
                let dest = &self.expand(dest);
                let downloader = Downloader::new(self.proxy.as_deref(), download::TIMEOUT)?;
                let mut last = 0u64;
                let observer = &mut *self.observer;
                let fetched = downloader.fetch(
                    &artifact.name,
                    &artifact.url,
                    artifact.sha256.as_deref(),
                    Path::new(dest),
                    &mut |bytes, total| {
                        // A progress event per 8 MiB, and the last one.
                        if bytes - last >= 8 << 20 || Some(bytes) == total {
                            last = bytes;
                            observer.event(&Event::Progress { bytes, total });
                        }
                    },
                )?;
                self.log.line(&format!(
                    "downloaded {} to {dest}: {fetched:?}",
                    artifact.url
                ));
                Ok(Some(match fetched {
                    Fetched::Cached => format!("{dest} was already there, verified"),
                    Fetched::Downloaded { bytes, resumed } => format!(
                        "{} MiB, sha256 verified{}",
                        bytes >> 20,
                        if resumed { ", resumed after a cut" } else { "" }
                    ),
                }))
            }
            Step::Extract {
                archive,
                members,
                dest,
            } => {
                let (archive, dest) = (self.expand(archive), self.expand(dest));
                let written = extract::extract(
                    Path::new(&archive),
                    members,
                    Path::new(&dest),
                    &self.backup_root,
                )?;
                let names: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
                self.log.line(&format!("unpacked {}", names.join(", ")));
                Ok(Some(format!("unpacked {}", names.join(", "))))
            }
            Step::UninstallPackages { manager, packages } => {
                let installed = self.installed_among(*manager, packages);
                self.package_change(*manager, manager.purge_argv(&installed))?;
                Ok(Some(format!("removed {}", installed.join(", "))))
            }
            Step::StopDaemon { init } => {
                match init {
                    InitSystem::None | InitSystem::Unknown => {
                        daemon::stop_by_pidfile().map_err(ExecError::Daemon)?
                    }
                    init => {
                        for argv in stop_commands(*init) {
                            self.command(&argv)?;
                        }
                    }
                }
                Ok(None)
            }
            Step::RemoveFiles { paths } => {
                let mut removed = Vec::new();
                for path in paths.iter().filter(|p| Path::new(p).exists()) {
                    std::fs::remove_file(path).map_err(|e| ExecError::Write {
                        path: path.clone(),
                        why: e.to_string(),
                    })?;
                    self.log.line(&format!("removed {path}"));
                    removed.push(path.as_str());
                }
                Ok(Some(format!("removed {}", removed.join(", "))))
            }
            Step::RemoveData { dirs } => {
                let present: Vec<&String> = dirs.iter().filter(|d| Path::new(d).exists()).collect();
                let list: Vec<&str> = present.iter().map(|d| d.as_str()).collect();
                self.confirm(
                    &format!(
                        "delete {}: every image, container and volume on this machine, for good",
                        list.join(" and ")
                    ),
                    "-y",
                )?;
                for dir in present {
                    std::fs::remove_dir_all(dir).map_err(|e| ExecError::Write {
                        path: dir.clone(),
                        why: e.to_string(),
                    })?;
                    self.log.line(&format!("deleted {dir}"));
                }
                Ok(Some(format!("deleted {}", list.join(", "))))
            }
            Step::AddSigningKey {
                url,
                fingerprint,
                dest,
                rpm_import,
                dearmor,
            } => {
                let fetcher = match self.fetcher.take() {
                    Some(f) => f,
                    None => Fetcher::new(self.proxy.as_deref())?,
                };
                let fetched = fetcher.get_small(url, 1 << 20);
                self.fetcher = Some(fetcher);
                let bytes = fetched?;
                let key = keys::verify(&bytes, fingerprint, url)?;
                let contents = if *dearmor {
                    key.to_binary().map_err(|why| ExecError::Write {
                        path: dest.clone(),
                        why,
                    })?
                } else {
                    bytes
                };
                self.write(dest, &contents, 0o644)?;
                if *rpm_import {
                    self.command(&["rpm".into(), "--import".into(), dest.clone()])?;
                }
                Ok(Some(format!("key {} verified", fingerprint)))
            }
            Step::WriteFile {
                path,
                contents,
                mode,
                ..
            } => self.write(path, contents.as_bytes(), *mode),
            Step::RefreshIndex {
                manager,
                only_source,
            } => {
                let Some(mut argv) = manager.refresh_argv() else {
                    return Ok(None);
                };
                if let (PackageManager::Apt, Some(source)) = (manager, only_source) {
                    if apt_lists_fresh(&self.host_path("/var/lib/apt/lists")) {
                        argv = PackageManager::apt_update_only(source);
                    } else {
                        self.observer.event(&Event::Note(
                            "the package lists are missing or older than a day: refreshing all of them".into(),
                        ));
                    }
                }
                self.command(&with_env(*manager, self.proxy.as_deref(), argv))?;
                Ok(None)
            }
            Step::ResolveVersion {
                manager,
                package,
                requested,
            } => {
                let offered = packages::available_versions(&self.rooted(), *manager, package)
                    .map_err(ExecError::VersionList)?;
                let found = packages::resolve(requested, &offered).ok_or_else(|| {
                    ExecError::VersionNotFound {
                        requested: requested.to_string(),
                        available: if offered.is_empty() {
                            "nothing".into()
                        } else {
                            offered.join(", ")
                        },
                    }
                })?;
                Ok(Some(format!("{package} {found}")))
            }
            Step::InstallPackages {
                manager,
                packages,
                only_missing,
            } => {
                let wanted: Vec<&PackageSpec> = if *only_missing {
                    packages
                        .iter()
                        .filter(|p| self.installed_version(*manager, &p.name).is_none())
                        .collect()
                } else {
                    packages.iter().collect()
                };
                if *only_missing && let Some(refresh) = manager.refresh_argv() {
                    self.command(&with_env(*manager, self.proxy.as_deref(), refresh))?;
                }
                let mut names = Vec::new();
                for p in &wanted {
                    names.push(match &p.pin {
                        Some(v) if v.is_exact_package_version() => {
                            manager.pinned(&p.name, v.as_str())
                        }
                        Some(v) => {
                            manager.pinned(&p.name, &self.pinned_version(*manager, &p.name, v)?)
                        }
                        None => p.name.clone(),
                    });
                }
                // A pinned version may be older than what is installed.
                let argv = if packages.iter().any(|p| p.pin.is_some()) {
                    manager.install_pinned_argv(&names)
                } else {
                    manager.install_argv(&names)
                };
                self.package_change(*manager, argv)?;
                Ok(Some(format!("installed {}", names.join(" "))))
            }
            Step::Run { argv, .. } | Step::RunAfterChange { argv, .. } => {
                self.command(argv)?;
                Ok(None)
            }
            Step::EnableService {
                name,
                init,
                rc_tool,
            } => {
                for argv in service_commands(name, *init, *rc_tool) {
                    self.command(&argv)?;
                }
                Ok(None)
            }
            Step::StartDaemon { argv, log } => {
                self.log
                    .line(&format!("$ {} >>{log} 2>&1 &", shell_line(argv)));
                daemon::start_detached(argv, Path::new(log)).map_err(ExecError::Daemon)?;
                Ok(Some(format!("dockerd is answering; its log is {log}")))
            }
            Step::AddUserToGroup {
                user: Some(user),
                group,
                windows: false,
            } => {
                self.command(&["usermod".into(), "-aG".into(), group.clone(), user.clone()])?;
                Ok(Some(format!(
                    "{user} can use docker after logging in again"
                )))
            }
            Step::AddUserToGroup {
                user,
                group,
                windows: true,
            } => {
                let user = self.windows_user(user.as_deref()).ok_or_else(|| {
                    ExecError::Spawn {
                        command: format!("net.exe localgroup {group} <you> /add"),
                        why: "USERNAME is not set, so dockup cannot tell who you are: pass --add-user".into(),
                    }
                })?;
                self.add_to_local_group(&user, group)
            }
            Step::CreateGroup { group } => {
                self.command(&["groupadd".into(), "-f".into(), group.clone()])?;
                Ok(None)
            }
            Step::EnableWindowsFeatures { features } => self.enable_features(features),
            Step::RebootAndResume { resume_args } => {
                self.reboot_and_resume(resume_args)?;
                Ok(Some(if self.restart_pending == Some(true) {
                    "Windows restarts in a minute; dockup goes on after you sign in".into()
                } else {
                    "restart Windows to go on: dockup runs again after you sign in".into()
                }))
            }
            Step::RunInstaller {
                name,
                program,
                args,
                log,
            } => self.run_installer(name, program, args, log.as_deref()),
            Step::AddToPath { dir, system_wide } => self.add_to_path(dir, *system_wide),
            Step::CreateMachine { name, args } => self.create_machine(name, args),
            Step::PersistMachineEnv { machine, profile } => {
                self.persist_machine_env(machine, profile.as_deref())
            }
            Step::Verify { argv } => {
                // A daemon that was just started may still be coming up (a Type=simple unit, a
                // slow machine): ask until it answers; past the deadline the failure is reported.
                // A VM that was running already: its environment was not read on the way.
                if let (true, Some(name)) = (self.machine_env.is_empty(), self.machine.clone()) {
                    self.machine_env = self.read_machine_env(&name);
                }
                let argv = &self.aimed_at_machine(argv);
                let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
                let wait = if self.windows {
                    DESKTOP_VERIFY_TIMEOUT
                } else {
                    VERIFY_TIMEOUT
                };
                let deadline = std::time::Instant::now() + wait;
                let out = loop {
                    match self.rooted().run(&refs) {
                        Ok(out) if out.success() => {
                            self.log.line(&format!("$ {}", shell_line(argv)));
                            self.log.line(out.stdout_text().trim_end());
                            break out;
                        }
                        _ if std::time::Instant::now() >= deadline || interrupt::requested() => {
                            break self.command(argv)?;
                        }
                        _ => std::thread::sleep(std::time::Duration::from_millis(250)),
                    }
                };
                Ok(out
                    .stdout_text()
                    .lines()
                    .find(|l| l.trim_start().starts_with("Version:"))
                    .map(|l| l.trim().to_string()))
            }
            // The user who ran dockup through sudo; nobody else is guessed at.
            Step::AddUserToGroup {
                user: None,
                group,
                windows: false,
            } => match std::env::var("SUDO_USER")
                .ok()
                .filter(|u| !u.is_empty() && u != "root")
            {
                Some(user) => {
                    self.command(&["usermod".into(), "-aG".into(), group.clone(), user.clone()])?;
                    Ok(Some(format!(
                        "{user} can use docker after logging in again"
                    )))
                }
                None => Ok(Some(format!(
                    "nobody to add to {group}: pass --add-user USER to choose someone"
                ))),
            },
        }
    }

    /// The exact version of `package` to install for a `--version` request. Each package is
    /// resolved on its own: rpm packages of one Docker release carry different epochs
    /// (docker-ce 3:, docker-ce-cli 1:), and zypper matches epochs exactly.
    fn pinned_version(
        &self,
        manager: PackageManager,
        package: &str,
        requested: &crate::plan::VersionReq,
    ) -> Result<String, ExecError> {
        let offered = packages::available_versions(&self.rooted(), manager, package)
            .map_err(ExecError::VersionList)?;
        let found =
            packages::resolve(requested, &offered).ok_or_else(|| ExecError::VersionNotFound {
                requested: format!("{requested} ({package})"),
                available: offered.join(", "),
            })?;
        Ok(pin_version(manager, &found))
    }

    fn rooted(&self) -> Rooted<'_> {
        Rooted {
            inner: self.runner,
            root: self.root.as_ref(),
        }
    }

    /// A path inside the machine being installed, as a host path.
    fn host_path(&self, inner: &str) -> PathBuf {
        PathBuf::from(match &self.root {
            Some(root) => root.host_path(inner),
            None => inner.to_string(),
        })
    }

    /// Installs or removes packages. A dpkg that was interrupted (Ctrl-C, a lost connection)
    /// refuses every apt-get until `dpkg --configure -a` has run, so that comes first: a rerun
    /// completes what an interrupted run began.
    fn package_change(
        &mut self,
        manager: PackageManager,
        argv: Vec<String>,
    ) -> Result<CommandOutput, ExecError> {
        if manager == PackageManager::Apt
            && dpkg_interrupted(&self.host_path("/var/lib/dpkg/updates"))
        {
            self.observer.event(&Event::Note(
                "an earlier package run was interrupted: finishing it first (dpkg --configure -a)"
                    .into(),
            ));
            let recover = vec!["dpkg".to_string(), "--configure".into(), "-a".into()];
            self.command(&with_env(manager, None, recover))?;
        }
        self.command(&with_env(manager, self.proxy.as_deref(), argv))
    }

    fn confirm(&mut self, question: &str, flag: &str) -> Result<(), ExecError> {
        if self.yes {
            self.log.line(&format!("confirmed by {flag}: {question}"));
            return Ok(());
        }
        match self.observer.ask(question) {
            Some(true) => Ok(()),
            Some(false) => Err(ExecError::Declined(question.to_string())),
            None => Err(ExecError::NeedsConfirmation {
                question: question.to_string(),
                flag: flag.to_string(),
            }),
        }
    }

    fn write(
        &mut self,
        path: &str,
        contents: &[u8],
        mode: u32,
    ) -> Result<Option<String>, ExecError> {
        let outcome = fsops::write_atomic(Path::new(path), contents, mode, &self.backup_root)
            .map_err(|e| ExecError::Write {
                path: path.to_string(),
                why: e.to_string(),
            })?;
        let detail = match outcome {
            WriteOutcome::Unchanged => None,
            WriteOutcome::Created => Some(format!("wrote {path}")),
            WriteOutcome::Replaced { backup } => Some(format!(
                "wrote {path} (the old one is {})",
                backup.display()
            )),
        };
        self.log
            .line(&format!("write {path} ({} bytes)", contents.len()));
        Ok(detail)
    }

    fn command(&mut self, argv: &[String]) -> Result<CommandOutput, ExecError> {
        let out = self.run_logged(argv)?;
        if !out.success() {
            return Err(self.failed(argv, &out));
        }
        Ok(out)
    }

    /// A Windows plan's `%USERPROFILE%` and the like, as cmd.exe would expand them.
    pub(super) fn expand(&self, text: &str) -> String {
        if self.windows {
            windows::expand_vars(text, windows::env_var)
        } else {
            text.to_string()
        }
    }

    /// Runs argv (aimed at the root), logging it and its output, whatever its exit code.
    fn run_logged(&mut self, argv: &[String]) -> Result<CommandOutput, ExecError> {
        let argv = match &self.root {
            Some(root) => root.wrap(argv),
            None => argv.to_vec(),
        };
        let line = shell_line(&argv);
        self.log.line(&format!("$ {line}"));
        let refs: Vec<&str> = argv.iter().map(String::as_str).collect();
        let out = self.runner.run(&refs).map_err(|e| ExecError::Spawn {
            command: line.clone(),
            why: e.to_string(),
        })?;
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        if !output.trim().is_empty() {
            self.log.line(output.trim_end());
        }
        Ok(out)
    }

    /// The error for a command that failed: its exit status and the end of its output.
    fn failed(&self, argv: &[String], out: &CommandOutput) -> ExecError {
        let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stderr));
        let status = out
            .code
            .map_or_else(|| "killed by a signal".to_string(), |c| format!("exit {c}"));
        let lines: Vec<&str> = output.trim_end().lines().collect();
        ExecError::Command {
            command: shell_line(argv),
            status,
            output: lines[lines.len().saturating_sub(20)..].join("\n"),
        }
    }
}

/// apt must not ask debconf questions of a run nobody watches, and a --proxy must reach the
/// package manager.
fn with_env(manager: PackageManager, proxy: Option<&str>, argv: Vec<String>) -> Vec<String> {
    let mut vars: Vec<String> = manager
        .env()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if let Some(p) = proxy {
        for k in ["http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"] {
            vars.push(format!("{k}={p}"));
        }
    }
    if vars.is_empty() {
        return argv;
    }
    let mut full = vec!["env".to_string()];
    full.extend(vars);
    full.extend(argv);
    full
}

/// The host's apt lists exist and were refreshed within a day: then refreshing Docker's source
/// alone is enough to install.
fn apt_lists_fresh(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    let day = std::time::Duration::from_secs(24 * 3600);
    entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.contains("_Packages")
            && e.metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age < day)
    })
}

/// The version string a package manager takes in a pin: dnf and yum match
/// `name-version-release` whatever the epoch; apt and zypper want the epoch too.
fn pin_version(manager: PackageManager, version: &str) -> String {
    match manager {
        PackageManager::Apt | PackageManager::Zypper => version.to_string(),
        _ => version
            .split_once(':')
            .map_or(version, |(_, rest)| rest)
            .to_string(),
    }
}

/// dpkg journals a run in updates/ and empties it when done: files left there mean it stopped
/// half way.
fn dpkg_interrupted(updates: &Path) -> bool {
    std::fs::read_dir(updates).is_ok_and(|mut entries| entries.next().is_some())
}
