//! The command line: what each command takes. Flags, then DOCKUP_* variables (clap), then the
//! config file (`fill_from`) decide each value.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use super::config;
use super::{ExitCode, Failure};
use crate::plan::{
    ArtifactMirror, Channel, Fingerprint, MirrorUrl, ProxyUrl, RegistryMirror, VersionReq,
};
use crate::platform::{AssumeDistro, Strategy};

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
    pub(super) command: Option<Command>,
    #[command(flatten)]
    pub(super) machine: MachineArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
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
pub(super) struct DoctorArgs {
    /// Only the kernel checks (version, configuration options, cgroups).
    #[arg(long)]
    pub(super) kernel_only: bool,
    /// Read the kernel configuration from this file (plain or gzip) instead of looking for it.
    #[arg(long, value_name = "FILE")]
    pub(super) kernel_config: Option<PathBuf>,
    /// List every check, also the kernel options that are fine.
    #[arg(long)]
    pub(super) all: bool,
    /// The signing key the repository is expected to use (mirrors that re-sign packages).
    #[arg(long, value_name = "FPR", value_parser = parse::<Fingerprint>)]
    pub(super) key_fingerprint: Option<Fingerprint>,
    /// Check this user's docker group membership [default: $SUDO_USER, else you].
    #[arg(long, value_name = "NAME")]
    pub(super) user: Option<String>,
    /// Apply the safe fixes (start the daemon, add the user to the docker group, restore
    /// daemon.json from dockup's backup, remove a stale pid file), asking before each.
    #[arg(long)]
    pub(super) fix: bool,
    /// With --fix: apply without asking.
    #[arg(short, long)]
    pub(super) yes: bool,
    /// Write a support bundle: the report, redacted configuration files and log tails.
    #[arg(long, value_name = "FILE.zip")]
    pub(super) bundle: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct FetchArgs {
    /// What to download.
    pub(super) url: String,
    /// The sha256 the file must have.
    #[arg(long, value_name = "HEX")]
    pub(super) sha256: String,
    /// Where to put it.
    #[arg(short, long, value_name = "FILE")]
    pub(super) output: PathBuf,
    /// Proxy for the download (default: $https_proxy).
    #[arg(long, value_name = "URL", value_parser = parse::<ProxyUrl>)]
    pub(super) proxy: Option<ProxyUrl>,
}

#[derive(Debug, Args)]
pub(super) struct VerifyArgs {
    /// The image to run (it must run and exit by itself).
    #[arg(long, value_name = "IMAGE", default_value = "hello-world")]
    pub(super) image: String,
}

/// Which machine: this one, a root tree, or a facts file.
#[derive(Debug, Clone, Args)]
pub(super) struct MachineArgs {
    /// Read the machine's facts from this directory instead of / (a chroot, an image, a fixture).
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "facts")]
    pub(super) root: Option<PathBuf>,
    /// Read the machine's facts from a JSON file (what `dockup detect --json` prints).
    #[arg(long, global = true, value_name = "FILE")]
    pub(super) facts: Option<PathBuf>,
    /// Treat the machine as this distribution release, e.g. ubuntu:22.04 or debian:bookworm.
    #[arg(long, global = true, value_name = "ID:VERSION", env = "DOCKUP_ASSUME_DISTRO", value_parser = parse::<AssumeDistro>)]
    pub(super) assume_distro: Option<AssumeDistro>,
    /// Settings in a TOML file, keys named like the long flags (flags and DOCKUP_* win).
    #[arg(long, global = true, value_name = "FILE", env = "DOCKUP_CONFIG")]
    pub(super) config: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    pub(super) json: bool,
}

#[derive(Debug, Args)]
pub(super) struct DetectArgs {
    /// Use this strategy when it is possible here, e.g. distro or desktop-hyperv.
    #[arg(long, value_name = "STRATEGY", value_parser = parse::<Strategy>)]
    pub(super) strategy: Option<Strategy>,
}

#[derive(Debug, Default, Clone, Args)]
pub(super) struct PlanArgs {
    /// Use this strategy when it is possible here, e.g. distro or desktop-hyperv.
    #[arg(long, value_name = "STRATEGY", env = "DOCKUP_STRATEGY", value_parser = parse::<Strategy>)]
    pub(super) strategy: Option<Strategy>,
    /// Docker's release channel [default: stable].
    #[arg(long, value_name = "CHANNEL", env = "DOCKUP_CHANNEL", value_parser = parse::<Channel>)]
    pub(super) channel: Option<Channel>,
    /// Install exactly this Docker version (27.3 means the newest 27.3.x).
    #[arg(long = "version", value_name = "VERSION", env = "DOCKUP_VERSION", value_parser = parse::<VersionReq>)]
    pub(super) docker_version: Option<VersionReq>,
    /// Base URL of a mirror laid out like https://download.docker.com, or a known mirror's name.
    #[arg(long, value_name = "URL", env = "DOCKUP_MIRROR", value_parser = parse::<MirrorUrl>)]
    pub(super) mirror: Option<MirrorUrl>,
    /// Trust this signing key instead of Docker's (mirrors that re-sign packages).
    #[arg(long, value_name = "FPR", env = "DOCKUP_KEY_FINGERPRINT", value_parser = parse::<Fingerprint>)]
    pub(super) key_fingerprint: Option<Fingerprint>,
    /// Install without starting or enabling the daemon (image builds, chroots).
    #[arg(long, env = "DOCKUP_NO_START")]
    pub(super) no_start: bool,
    /// Add this user to the docker group.
    #[arg(long, value_name = "USER", env = "DOCKUP_ADD_USER")]
    pub(super) add_user: Option<String>,
    /// A registry mirror for the daemon's pulls (daemon.json registry-mirrors); repeatable.
    #[arg(long = "registry-mirror", value_name = "URL", env = "DOCKUP_REGISTRY_MIRROR", value_delimiter = ',', value_parser = parse::<RegistryMirror>)]
    pub(super) registry_mirrors: Vec<RegistryMirror>,
    /// Fetch installers, ISOs and static binaries from this base URL (or file:///DIR), each by
    /// its file name, instead of upstream; the pinned sha256 still decides.
    #[arg(long, value_name = "URL", env = "DOCKUP_ARTIFACT_MIRROR", value_parser = parse::<ArtifactMirror>)]
    pub(super) artifact_mirror: Option<ArtifactMirror>,
    /// Proxy for dockup's downloads and the package manager (default: $https_proxy).
    #[arg(long, value_name = "URL", env = "DOCKUP_PROXY", value_parser = parse::<ProxyUrl>)]
    pub(super) proxy: Option<ProxyUrl>,
    /// Also keep using the proxy afterwards: for the package manager and the daemon's pulls.
    #[arg(long, env = "DOCKUP_PERSIST_PROXY")]
    pub(super) persist_proxy: bool,
}

impl PlanArgs {
    /// Fills what neither a flag nor DOCKUP_* set from the config file.
    pub(super) fn fill_from(&mut self, file: &config::FileConfig) -> Result<(), String> {
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
        if self.artifact_mirror.is_none() {
            self.artifact_mirror = parse_key("artifact-mirror", file.artifact_mirror.as_ref())?;
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
    pub(super) fn proxy(&self) -> Result<Option<ProxyUrl>, Failure> {
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

/// What every command that changes the machine takes.
#[derive(Debug, Default, Args)]
pub(super) struct RunArgs {
    /// Print the plan and change nothing.
    #[arg(long)]
    pub(super) dry_run: bool,
    /// Answer yes to confirmations (removing conflicting packages, deleting data with --purge).
    #[arg(short = 'y', long, env = "DOCKUP_YES")]
    pub(super) yes: bool,
    /// Log every command and its output here [default: /var/log/dockup/dockup.log].
    #[arg(long, value_name = "FILE", env = "DOCKUP_LOG")]
    pub(super) log: Option<PathBuf>,
}

impl RunArgs {
    /// --log, DOCKUP_LOG or the config file's, else /var/log/dockup/dockup.log.
    pub(super) fn log_path(&self) -> &std::path::Path {
        self.log
            .as_deref()
            .unwrap_or(std::path::Path::new("/var/log/dockup/dockup.log"))
    }

    pub(super) fn fill_from(&mut self, file: &config::FileConfig) {
        self.yes = config::file_bool(self.yes, "DOCKUP_YES", file.yes);
        self.log = self.log.take().or_else(|| file.log.clone());
    }
}

#[derive(Debug, Default, Args)]
pub(super) struct InstallArgs {
    #[command(flatten)]
    pub(super) plan: PlanArgs,
    #[command(flatten)]
    pub(super) run: RunArgs,
    /// When not root, run again through sudo (asks for your password).
    #[arg(long)]
    pub(super) sudo: bool,
    /// Never ask: where a question has no safe default, fail naming the flag that answers it.
    #[arg(long, env = "DOCKUP_NON_INTERACTIVE")]
    pub(super) non_interactive: bool,
    /// Only fetch and verify every artifact the plan needs into DIR, changing nothing else
    /// (with --facts FILE: for another machine); then `install --from DIR` there.
    #[arg(long, value_name = "DIR", conflicts_with = "from")]
    pub(super) download_only: Option<PathBuf>,
    /// Take the plan's artifacts from DIR (filled by --download-only) instead of the network.
    #[arg(long, value_name = "DIR")]
    pub(super) from: Option<PathBuf>,
    /// Install the unmaintained docker-io 1.7.1 on EL6 (the legacy strategy) without asking.
    #[arg(long, env = "DOCKUP_ACCEPT_LEGACY")]
    pub(super) accept_legacy: bool,
    /// Set by dockup itself in the command Windows runs after a restart: go on without asking.
    #[arg(long, hide = true)]
    pub(super) resume: bool,
}

#[derive(Debug, Args)]
pub(super) struct UninstallArgs {
    /// Also delete /var/lib/docker and /var/lib/containerd: every image, container and volume.
    #[arg(long)]
    pub(super) purge: bool,
    #[command(flatten)]
    pub(super) run: RunArgs,
}

pub(super) fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}
