//! Facts + decision + options → an ordered list of typed steps. Pure: no I/O, no network, so the
//! same plan can be printed (`--dry-run`), serialized (`--json`) or run against a fake.

mod desktop;
mod distro;
mod fingerprint;
mod legacy;
mod pkg;
mod repo;
mod root;
mod server;
mod static_bins;
mod step;
mod toolbox;
mod uninstall;
mod version;
mod vm;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use fingerprint::Fingerprint;
pub use pkg::PackageManager;
pub use root::InstallRoot;
pub use step::{
    PackageSpec, RcTool, Render, Shell, Step, service_commands, shell_line, stop_commands,
};
pub use uninstall::build as build_uninstall;
pub use version::{VersionReq, dotted_lt};

use crate::facts::{Facts, InitSystem, LinuxFacts};
use crate::platform::{Artifact, Catalog, Decision, Family, Strategy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Stable,
    Test,
}

impl Channel {
    pub fn name(&self) -> &'static str {
        match self {
            Channel::Stable => "stable",
            Channel::Test => "test",
        }
    }
}

impl FromStr for Channel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stable" => Ok(Channel::Stable),
            "test" => Ok(Channel::Test),
            other => Err(format!(
                "unknown channel `{other}`; expected stable or test"
            )),
        }
    }
}

/// `--mirror`: a base URL laid out like download.docker.com (`URL/linux/<distro>/...`), or the
/// name of a well-known mirror from platforms/mirrors.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorUrl {
    Url(String),
    Named(String),
}

impl FromStr for MirrorUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_end_matches('/');
        if let Some(rest) = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
        {
            return if !rest.is_empty() && !s.contains(char::is_whitespace) {
                Ok(MirrorUrl::Url(s.to_string()))
            } else {
                Err(format!("`{s}` is not a usable URL"))
            };
        }
        let is_name = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if is_name {
            Ok(MirrorUrl::Named(s.to_ascii_lowercase()))
        } else {
            Err(format!(
                "`{s}` is neither an http(s) URL nor a mirror name; a mirror is a base URL laid out like https://download.docker.com"
            ))
        }
    }
}

/// A proxy URL for dockup's downloads, the package manager and the daemon's pulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyUrl(String);

impl FromStr for ProxyUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok = ["http://", "https://", "socks5://", "socks5h://"]
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
            && !s.contains(char::is_whitespace);
        if ok {
            Ok(ProxyUrl(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a proxy URL (for example http://proxy.example:3128)"
            ))
        }
    }
}

impl ProxyUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registry mirror for the daemon's pulls (`registry-mirrors` in daemon.json).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryMirror(String);

impl FromStr for RegistryMirror {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().parse::<MirrorUrl>() {
            Ok(MirrorUrl::Url(u)) => Ok(RegistryMirror(u)),
            _ => Err(format!(
                "`{s}` is not a registry mirror URL (for example https://mirror.gcr.io)"
            )),
        }
    }
}

impl RegistryMirror {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    pub channel: Channel,
    pub version: Option<VersionReq>,
    pub mirror: Option<MirrorUrl>,
    pub key_fingerprint: Option<Fingerprint>,
    /// Install without starting or enabling anything (image builds, chroots).
    pub no_start: bool,
    /// Add this user to the `docker` group.
    pub add_user: Option<String>,
    /// Merged into daemon.json `registry-mirrors`.
    pub registry_mirrors: Vec<RegistryMirror>,
    /// Used for downloads and package manager runs.
    pub proxy: Option<ProxyUrl>,
    /// Also write the proxy into the package manager's and the daemon's configuration.
    pub persist_proxy: bool,
    /// Install into this root tree (an image being built) instead of the running system.
    pub install_root: Option<String>,
    /// Fetch the artifacts (installers, ISOs, static binaries) from here, each by its file
    /// name, instead of their upstream URLs: an http(s) mirror or a `file://` directory.
    pub artifact_mirror: Option<ArtifactMirror>,
}

/// Where artifacts come from instead of upstream: a base URL or a local directory.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtifactMirror(String);

impl ArtifactMirror {
    /// A directory of artifacts already fetched (`install --from DIR`).
    pub fn directory(dir: &std::path::Path) -> ArtifactMirror {
        ArtifactMirror(format!("file://{}", dir.display()))
    }

    pub fn url_for(&self, file: &str) -> String {
        format!("{}/{file}", self.0)
    }
}

impl FromStr for ArtifactMirror {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_end_matches('/');
        let usable = ["https://", "http://", "file:///"]
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(|rest| !rest.is_empty()))
            && !s.contains(char::is_whitespace);
        if usable {
            Ok(ArtifactMirror(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not an http(s) URL or a file:/// directory holding the artifacts by file name"
            ))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub strategy: Strategy,
    /// The shell the commands are written for.
    pub shell: Shell,
    /// Set when installing into another root tree rather than the running system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<InstallRoot>,
    pub steps: Vec<Step>,
    /// What the user should know that is not a step (re-login for the group, ...).
    pub notes: Vec<String>,
}

impl Plan {
    /// The plan as text, each step marked with why it is already done where `done` says so
    /// (one entry per step: what the executor found on this machine).
    pub fn text(&self, done: Option<&[Option<String>]>) -> String {
        let ctx = Render {
            shell: self.shell,
            root: self.root.as_ref(),
        };
        let mut out = String::new();
        for (i, step) in self.steps.iter().enumerate() {
            let mark = match done.and_then(|d| d.get(i)).and_then(Option::as_deref) {
                Some(why) => format!("   [already done: {why}]"),
                None => String::new(),
            };
            out.push_str(&format!("{:>2}. {}{mark}\n", i + 1, step.title()));
            for line in step.lines(&ctx) {
                out.push_str(&format!("    {line}\n"));
            }
        }
        for note in &self.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        out
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(None))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("dockup has no way to install Docker on this machine: {}", .reasons.join("; "))]
    Unsupported { reasons: Vec<String> },
    #[error("the plan needs the machine's {what}, which the facts do not have")]
    MissingFact { what: &'static str },
    #[error("the catalog has no {what}")]
    Catalog { what: String },
    #[error("Docker {requested} is not in {repo}: its packages end with the {series} series")]
    VersionUnavailable {
        requested: String,
        repo: String,
        series: String,
    },
    #[error(
        "installing into another root is only possible for the repo and distro strategies, not {strategy}"
    )]
    RootNotSupported { strategy: Strategy },
    #[error("there is no well-known mirror called `{name}`; known: {known}")]
    UnknownMirror { name: String, known: String },
    #[error(
        "--version does not apply to the {strategy} strategy: its version is fixed by the {source_name}"
    )]
    VersionNotApplicable {
        strategy: Strategy,
        source_name: &'static str,
    },
}

impl PlanError {
    pub fn help(&self) -> Option<String> {
        match self {
            PlanError::MissingFact { what } if *what == "architecture" => {
                Some("run on the machine itself, or add proc/sys/kernel/arch under --root".into())
            }
            PlanError::UnknownMirror { .. } => {
                Some("or pass the mirror's base URL: --mirror https://host/path".into())
            }
            PlanError::VersionUnavailable { series, .. } => {
                Some(format!("pass --version {series} (or omit --version)"))
            }
            _ => None,
        }
    }
}

/// The steps that install Docker the way `decision` chose.
pub fn build(
    facts: &Facts,
    decision: &Decision,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let linux = match facts {
        Facts::Linux { linux } => Some(linux),
        _ => None,
    };
    let windows = match facts {
        Facts::Windows { windows } => Some(windows),
        _ => None,
    };
    let version_fixed_by = match decision.strategy {
        Strategy::Distro => Some("distribution"),
        Strategy::Legacy => Some("EPEL 6 archive"),
        Strategy::DesktopWsl2 | Strategy::DesktopHyperv => Some("Docker Desktop release"),
        Strategy::Toolbox | Strategy::Vm => Some("boot2docker ISO"),
        Strategy::Static => Some("catalog's static binaries"),
        _ => None,
    };
    if let (Some(source_name), Some(_)) = (version_fixed_by, &opts.version) {
        return Err(PlanError::VersionNotApplicable {
            strategy: decision.strategy,
            source_name,
        });
    }
    // Nothing can be started inside a tree that is not booted.
    let rooted_opts;
    let opts = match &opts.install_root {
        Some(_) => {
            rooted_opts = PlanOptions {
                no_start: true,
                ..opts.clone()
            };
            &rooted_opts
        }
        None => opts,
    };
    let mut plan = match (decision.strategy, linux, windows) {
        (Strategy::Repo, Some(l), _) => repo::plan(l, decision, catalog, opts)?,
        (Strategy::Distro, Some(l), _) => distro::plan(l, decision, opts)?,
        (Strategy::Legacy, Some(_), _) => legacy::plan(decision, catalog, opts)?,
        (Strategy::Vm, Some(_), _) => vm::plan(decision, catalog)?,
        (Strategy::DesktopWsl2 | Strategy::DesktopHyperv, _, Some(w)) => {
            desktop::plan(w, decision, catalog, opts)?
        }
        (Strategy::Toolbox, _, Some(w)) => toolbox::plan(w, catalog)?,
        (Strategy::ServerEngine, _, Some(_)) => server::plan(catalog)?,
        (Strategy::Static, Some(l), _) => static_bins::plan(l, decision, catalog, opts)?,
        _ => {
            return Err(PlanError::Unsupported {
                reasons: decision.reasons.clone(),
            });
        }
    };
    plan.strategy = decision.strategy;
    if windows.is_some() {
        plan.shell = Shell::Cmd;
    }
    if let Some(mirror) = &opts.artifact_mirror {
        for step in &mut plan.steps {
            if let Step::Download { artifact, .. } = step {
                artifact.url = mirror.url_for(&artifact.file);
            }
        }
    }
    if let Some(dir) = &opts.install_root {
        if !matches!(decision.strategy, Strategy::Repo | Strategy::Distro) {
            return Err(PlanError::RootNotSupported {
                strategy: decision.strategy,
            });
        }
        let releasever = decision
            .repo_choice
            .as_ref()
            .filter(|r| r.format == crate::platform::RepoFormat::Rpm)
            .map(|r| r.release.clone());
        let root = InstallRoot::new(dir, releasever);
        aim_at_root(&mut plan, &root);
        plan.root = Some(root);
    }
    Ok(plan)
}

impl Plan {
    fn new() -> Plan {
        Plan {
            strategy: Strategy::Unsupported,
            shell: Shell::Posix,
            root: None,
            steps: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }
}

/// File paths in the steps become host paths under the root. Commands stay as they are: the
/// executor and the renderer aim them at the root (`InstallRoot::wrap`).
fn aim_at_root(plan: &mut Plan, root: &InstallRoot) {
    for step in &mut plan.steps {
        match step {
            Step::WriteFile { path, .. }
            | Step::MergeDaemonJson { path, .. }
            | Step::SetIniValue { path, .. } => *path = root.host_path(path),
            Step::RunAfterChange { file, .. } => *file = root.host_path(file),
            Step::AddSigningKey { dest, .. } => *dest = root.host_path(dest),
            Step::RemoveFiles { paths } | Step::RemoveData { dirs: paths } => {
                for p in paths.iter_mut() {
                    *p = root.host_path(p);
                }
            }
            _ => {}
        }
    }
}

/// Where Linux plans keep what they download: verified, and reused by a rerun.
const LINUX_DOWNLOADS: &str = "/var/cache/dockup";

/// Where the daemon reads its configuration.
pub const DAEMON_JSON: &str = "/etc/docker/daemon.json";

/// Registry mirrors and a persisted proxy: written before the daemon first starts.
fn configure_daemon(plan: &mut Plan, decision: &Decision, opts: &PlanOptions) {
    let mut settings = serde_json::Map::new();
    if !opts.registry_mirrors.is_empty() {
        let mirrors: Vec<&str> = opts.registry_mirrors.iter().map(|m| m.as_str()).collect();
        settings.insert("registry-mirrors".into(), serde_json::json!(mirrors));
    }
    if let (true, Some(proxy)) = (opts.persist_proxy, &opts.proxy) {
        let proxy = proxy.as_str();
        let manager = match decision.strategy {
            Strategy::Repo => decision.repo_choice.as_ref().map(|r| r.manager),
            _ => decision.distro_choice.as_ref().map(|d| d.manager),
        };
        match manager {
            Some(PackageManager::Apt) => plan.push(Step::WriteFile {
                path: "/etc/apt/apt.conf.d/95dockup-proxy".into(),
                contents: format!(
                    "Acquire::http::Proxy \"{proxy}\";\nAcquire::https::Proxy \"{proxy}\";\n"
                ),
                mode: 0o644,
                why: "Send apt through the proxy from now on".into(),
            }),
            Some(m @ (PackageManager::Dnf | PackageManager::Dnf5 | PackageManager::Yum)) => {
                plan.push(Step::SetIniValue {
                    path: if m == PackageManager::Yum {
                        "/etc/yum.conf".into()
                    } else {
                        "/etc/dnf/dnf.conf".into()
                    },
                    section: "main".into(),
                    key: "proxy".into(),
                    value: proxy.into(),
                })
            }
            Some(m) => plan.notes.push(format!(
                "dockup does not persist a proxy for {} yet: configure it yourself for later updates",
                m.name()
            )),
            None => {}
        }
        if decision.init == Some(InitSystem::Systemd) {
            let file = "/etc/systemd/system/docker.service.d/http-proxy.conf".to_string();
            let contents = format!(
                "[Service]\nEnvironment=\"HTTP_PROXY={proxy}\" \"HTTPS_PROXY={proxy}\" \"NO_PROXY=localhost,127.0.0.1\"\n"
            );
            plan.push(Step::WriteFile {
                path: file.clone(),
                contents: contents.clone(),
                mode: 0o644,
                why: "Send the daemon's pulls through the proxy".into(),
            });
            plan.push(Step::RunAfterChange {
                argv: vec!["systemctl".into(), "daemon-reload".into()],
                why: "Make systemd read the new drop-in".into(),
                file,
                contents,
            });
        } else {
            // daemon.json `proxies` works under any init system (Docker 23 and later).
            settings.insert(
                "proxies".into(),
                serde_json::json!({
                    "http-proxy": proxy,
                    "https-proxy": proxy,
                    "no-proxy": "localhost,127.0.0.1",
                }),
            );
        }
    }
    if !settings.is_empty() {
        plan.push(Step::MergeDaemonJson {
            path: DAEMON_JSON.into(),
            settings,
        });
    }
}

/// Starting the daemon, adding the user, verifying: the tail every Linux plan shares.
fn finish_linux(plan: &mut Plan, decision: &Decision, opts: &PlanOptions) {
    if decision.strategy != Strategy::Legacy {
        configure_daemon(plan, decision, opts);
    }
    if let Some(user) = &opts.add_user {
        plan.push(Step::AddUserToGroup {
            user: Some(user.clone()),
            group: "docker".into(),
            windows: false,
        });
        plan.notes.push(format!(
            "{user} can use docker without sudo after logging in again; membership of the docker \
             group is equivalent to root on this machine"
        ));
    }
    if opts.no_start {
        plan.notes.push(
            "--no-start: nothing was started or enabled; start dockerd when the machine boots"
                .into(),
        );
        return;
    }
    let init = decision.init.unwrap_or(InitSystem::Unknown);
    match init {
        InitSystem::None => plan.push(Step::StartDaemon {
            argv: vec!["dockerd".into()],
            log: "/var/log/dockerd.log".into(),
        }),
        init => plan.push(Step::EnableService {
            name: "docker".into(),
            init,
            rc_tool: match decision.family {
                Family::Rhel | Family::Fedora => RcTool::Chkconfig,
                Family::Debian => RcTool::UpdateRcD,
                _ => RcTool::None,
            },
        }),
    }
    plan.push(Step::Verify {
        argv: vec!["docker".into(), "version".into()],
    });
}

/// The docker-machine half shared by `toolbox` and `vm`: download the pinned boot2docker ISO,
/// create the VM from it, point the CLI at it, check it answers.
fn machine_steps(
    plan: &mut Plan,
    catalog: &Catalog,
    iso_path: String,
    iso_url: String,
    profile: Option<String>,
) -> Result<(), PlanError> {
    let toolbox = &catalog.windows.toolbox;
    plan.push(Step::Download {
        artifact: artifact(catalog, "boot2docker-iso")?.clone(),
        dest: iso_path,
    });
    plan.push(Step::CreateMachine {
        name: toolbox.machine_name.clone(),
        args: vec![
            "--virtualbox-boot2docker-url".into(),
            iso_url,
            "--virtualbox-hostonly-cidr".into(),
            toolbox.hostonly_cidr.clone(),
        ],
    });
    plan.push(Step::PersistMachineEnv {
        machine: toolbox.machine_name.clone(),
        profile,
    });
    plan.push(Step::Verify {
        argv: vec!["docker".into(), "version".into()],
    });
    plan.notes.push(
        "if docker-machine says VT-X/AMD-v is not enabled although it is, add \
         --virtualbox-no-vtx-check to the create command"
            .into(),
    );
    Ok(())
}

/// The machine's architecture as the package manager names it, or the error naming it.
fn required_arch(repo_arch: Option<&String>) -> Result<String, PlanError> {
    repo_arch.cloned().ok_or(PlanError::MissingFact {
        what: "architecture",
    })
}

fn artifact<'c>(catalog: &'c Catalog, key: &str) -> Result<&'c Artifact, PlanError> {
    catalog.artifact(key).ok_or_else(|| PlanError::Catalog {
        what: format!("artifact `{key}`"),
    })
}

/// The conflicting packages a plan removes: exactly those installed when the package database
/// was read, else every candidate (removed at run time only if installed).
fn conflicts_step(
    linux: &LinuxFacts,
    manager: PackageManager,
    candidates: &[String],
    db: &str,
) -> Option<Step> {
    if linux.docker.package_db.as_deref() == Some(db) {
        let installed: Vec<String> = candidates
            .iter()
            .filter(|c| linux.docker.is_installed(c))
            .cloned()
            .collect();
        (!installed.is_empty()).then_some(Step::RemovePackages {
            manager,
            packages: installed,
            only_installed: false,
        })
    } else {
        Some(Step::RemovePackages {
            manager,
            packages: candidates.to_vec(),
            only_installed: true,
        })
    }
}
