//! Facts + decision + options → an ordered list of typed steps. Pure: no I/O, no network, so the
//! same plan can be printed (`--dry-run`), serialized (`--json`) or run against a fake.

mod desktop;
mod distro;
mod fingerprint;
mod legacy;
mod pkg;
mod repo;
mod server;
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
pub use step::{PackageSpec, RcTool, Shell, Step, service_commands, shell_line, stop_commands};
pub use uninstall::build as build_uninstall;
pub use version::VersionReq;

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

/// A base URL laid out like download.docker.com (`URL/linux/<distro>/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorUrl(String);

impl FromStr for MirrorUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().trim_end_matches('/');
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        match rest {
            Some(host) if !host.is_empty() && !s.contains(char::is_whitespace) => {
                Ok(MirrorUrl(s.to_string()))
            }
            _ => Err(format!(
                "`{s}` is not an http(s) URL; a mirror is a base URL laid out like https://download.docker.com"
            )),
        }
    }
}

impl MirrorUrl {
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub strategy: Strategy,
    /// The shell the commands are written for.
    pub shell: Shell,
    pub steps: Vec<Step>,
    /// What the user should know that is not a step (re-login for the group, ...).
    pub notes: Vec<String>,
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match self.shell {
                Shell::Posix => write!(f, "{:>2}. {step}", i + 1)?,
                Shell::Cmd => write!(f, "{:>2}. {step:#}", i + 1)?,
            }
        }
        for note in &self.notes {
            writeln!(f, "note: {note}")?;
        }
        Ok(())
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
        _ => None,
    };
    if let (Some(source_name), Some(_)) = (version_fixed_by, &opts.version) {
        return Err(PlanError::VersionNotApplicable {
            strategy: decision.strategy,
            source_name,
        });
    }
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
    Ok(plan)
}

impl Plan {
    fn new() -> Plan {
        Plan {
            strategy: Strategy::Unsupported,
            shell: Shell::Posix,
            steps: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn push(&mut self, step: Step) {
        self.steps.push(step);
    }
}

/// Starting the daemon, adding the user, verifying: the tail every Linux plan shares.
fn finish_linux(plan: &mut Plan, decision: &Decision, opts: &PlanOptions) {
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
