//! The catalog and the choice: `decide(&Facts, &Catalog, &DecideOptions) -> Decision` is pure.

mod catalog;
mod identity;
mod linux;
mod windows;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

pub use catalog::{
    AptKeyStyle, Artifact, Catalog, CatalogError, Derivative, DistroPackage, Release,
    ReleaseStatus, RepoFormat, Target, major,
};
pub use identity::{AssumeDistro, Identity};

use crate::facts::{Facts, FieldError, InitSystem};
use crate::plan::PackageManager;

/// How Docker gets onto a machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Docker's own package repository.
    Repo,
    /// The distribution's own Docker package.
    Distro,
    /// EL6: docker-io 1.7.1, the last Docker that ran on kernel 2.6.32.
    Legacy,
    /// Kernel older than 3.10: Docker runs in a docker-machine VirtualBox VM.
    Vm,
    DesktopWsl2,
    DesktopHyperv,
    /// Windows 7/8 and Windows too old for Docker Desktop: VirtualBox + docker-machine.
    Toolbox,
    /// Windows Server: Docker Engine as a Windows service, for Windows containers.
    ServerEngine,
    /// Linux without Docker's repository or a distribution package: Docker's static binaries
    /// and a service for them. Only ever an alternative: nothing updates them.
    Static,
    Unsupported,
}

impl Strategy {
    pub const ALL: [Strategy; 10] = [
        Strategy::Repo,
        Strategy::Distro,
        Strategy::Legacy,
        Strategy::Vm,
        Strategy::DesktopWsl2,
        Strategy::DesktopHyperv,
        Strategy::Toolbox,
        Strategy::ServerEngine,
        Strategy::Static,
        Strategy::Unsupported,
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Strategy::Repo => "repo",
            Strategy::Distro => "distro",
            Strategy::Legacy => "legacy",
            Strategy::Vm => "vm",
            Strategy::DesktopWsl2 => "desktop-wsl2",
            Strategy::DesktopHyperv => "desktop-hyperv",
            Strategy::Toolbox => "toolbox",
            Strategy::ServerEngine => "server-engine",
            Strategy::Static => "static",
            Strategy::Unsupported => "unsupported",
        }
    }
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Strategy::ALL
            .into_iter()
            .find(|st| st.name() == s && *st != Strategy::Unsupported)
            .ok_or_else(|| {
                let names: Vec<&str> = Strategy::ALL
                    .iter()
                    .filter(|s| **s != Strategy::Unsupported)
                    .map(|s| s.name())
                    .collect();
                format!(
                    "unknown strategy `{s}`; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// The package ecosystem a machine belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    Debian,
    Rhel,
    Fedora,
    Suse,
    Alpine,
    Arch,
    Other,
    Windows,
    Macos,
}

impl Family {
    pub fn from_name(name: &str) -> Family {
        match name {
            "debian" => Family::Debian,
            "rhel" => Family::Rhel,
            "fedora" => Family::Fedora,
            "suse" => Family::Suse,
            "alpine" => Family::Alpine,
            "arch" => Family::Arch,
            _ => Family::Other,
        }
    }
}

/// A Docker repository release chosen for a machine: `ubuntu/jammy`, `centos/9`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepoChoice {
    pub target: String,
    pub release: String,
    pub format: RepoFormat,
    pub manager: PackageManager,
    pub status: ReleaseStatus,
    /// The architecture as the package manager names it.
    pub arch: Option<String>,
    pub version_series: Option<String>,
    pub apt_key: AptKeyStyle,
    /// apt needs the apt-transport-https package for an https repository.
    pub https_transport: bool,
}

impl RepoChoice {
    pub fn slug(&self) -> String {
        format!("{}/{}", self.target, self.release)
    }
}

/// The distribution's own Docker packages.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DistroChoice {
    pub key: String,
    pub manager: PackageManager,
    pub packages: Vec<String>,
    /// Commands to run first (argv), already filled in.
    pub before: Vec<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alternative {
    pub strategy: Strategy,
    pub summary: String,
    /// Set when this way is not possible yet: what has to change first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requires: Option<String>,
}

/// What dockup will do on a machine, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub strategy: Strategy,
    pub family: Family,
    /// The machine in words: "Ubuntu 22.04.4 LTS", "Windows 11 Pro 23H2 (build 22631.4317)".
    pub os: String,
    #[serde(skip)]
    pub repo_choice: Option<RepoChoice>,
    #[serde(skip)]
    pub distro_choice: Option<DistroChoice>,
    pub derivative: Option<String>,
    /// The init system the plan drives: the one running, else the one installed, else the
    /// distribution's default from the catalog.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<InitSystem>,
    pub reasons: Vec<String>,
    pub warnings: Vec<String>,
    pub alternatives: Vec<Alternative>,
}

impl Decision {
    /// `ubuntu/jammy` when the strategy is `repo`.
    pub fn repo(&self) -> Option<String> {
        (self.strategy == Strategy::Repo)
            .then(|| self.repo_choice.as_ref().map(RepoChoice::slug))
            .flatten()
    }

    fn new(strategy: Strategy, family: Family, os: String) -> Decision {
        Decision {
            strategy,
            family,
            os,
            repo_choice: None,
            distro_choice: None,
            derivative: None,
            init: None,
            reasons: Vec::new(),
            warnings: Vec::new(),
            alternatives: Vec::new(),
        }
    }

    fn alternative(&mut self, strategy: Strategy, summary: impl Into<String>) {
        self.alternatives.push(Alternative {
            strategy,
            summary: summary.into(),
            requires: None,
        });
    }

    fn alternative_after(
        &mut self,
        strategy: Strategy,
        summary: impl Into<String>,
        requires: impl Into<String>,
    ) {
        self.alternatives.push(Alternative {
            strategy,
            summary: summary.into(),
            requires: Some(requires.into()),
        });
    }

    /// Applies `--strategy`: only the chosen way or an alternative possible now may be forced.
    fn force(mut self, wanted: Option<Strategy>) -> Result<Decision, DecisionError> {
        let Some(wanted) = wanted else {
            return Ok(self);
        };
        if wanted == self.strategy {
            return Ok(self);
        }
        let Some(pos) = self.alternatives.iter().position(|a| a.strategy == wanted) else {
            return Err(DecisionError::StrategyNotPossible {
                wanted,
                why: self.reasons.join("; "),
                possible: self.possible(),
            });
        };
        if let Some(requires) = self.alternatives[pos].requires.clone() {
            return Err(DecisionError::StrategyNotPossible {
                wanted,
                why: requires,
                possible: self.possible(),
            });
        }
        let alt = self.alternatives.remove(pos);
        let previous = std::mem::replace(&mut self.strategy, wanted);
        self.reasons.push(format!(
            "--strategy {wanted} chosen over {previous}: {}",
            alt.summary
        ));
        if previous != Strategy::Unsupported {
            self.alternative(previous, "dockup's own choice for this machine");
        }
        Ok(self)
    }

    fn possible(&self) -> Vec<Strategy> {
        std::iter::once(self.strategy)
            .filter(|s| *s != Strategy::Unsupported)
            .chain(
                self.alternatives
                    .iter()
                    .filter(|a| a.requires.is_none())
                    .map(|a| a.strategy),
            )
            .collect()
    }
}

#[derive(Debug, Clone, Default)]
pub struct DecideOptions {
    pub strategy: Option<Strategy>,
    pub assume_distro: Option<AssumeDistro>,
}

#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    #[error("{0}")]
    Fact(#[from] FieldError),
    #[error("the {wanted} strategy is not possible on this machine: {why}")]
    StrategyNotPossible {
        wanted: Strategy,
        why: String,
        possible: Vec<Strategy>,
    },
}

impl DecisionError {
    pub fn help(&self) -> Option<String> {
        match self {
            DecisionError::Fact(_) => Some(
                "add the field to the facts file; `dockup detect --json` on that machine prints \
                 all of them"
                    .into(),
            ),
            DecisionError::StrategyNotPossible { possible, .. } if possible.is_empty() => None,
            DecisionError::StrategyNotPossible { possible, .. } => {
                let names: Vec<&str> = possible.iter().map(|s| s.name()).collect();
                Some(format!("possible here: --strategy {}", names.join(" | ")))
            }
        }
    }
}

pub fn decide(
    facts: &Facts,
    catalog: &Catalog,
    opts: &DecideOptions,
) -> Result<Decision, DecisionError> {
    let decision = match facts {
        Facts::Linux { linux } => linux::decide(linux, catalog, opts.assume_distro.as_ref()),
        Facts::Windows { windows } => windows::decide(windows, catalog)?,
        Facts::Macos { macos } => {
            let os = format!(
                "macOS {}",
                macos
                    .product_version
                    .as_deref()
                    .unwrap_or("(unknown version)")
            );
            let mut d = Decision::new(Strategy::Unsupported, Family::Macos, os);
            d.reasons.push(
                "Docker Engine does not run natively on macOS: install Docker Desktop for Mac \
                 (https://docs.docker.com/desktop/setup/install/mac-install/)"
                    .into(),
            );
            d
        }
    };
    decision.force(opts.strategy)
}
