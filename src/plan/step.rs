//! One change dockup makes to a machine, carrying everything needed to make it, and rendered as
//! the exact command or file an expert would recognise: printing a plan is the dry run.

use std::fmt;

use serde::Serialize;

use super::{Fingerprint, InstallRoot, PackageManager, VersionReq};
use crate::facts::InitSystem;
use crate::platform::Artifact;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Step {
    /// A warning the user must accept; unattended runs need `flag`.
    Confirm {
        message: String,
        flag: String,
    },
    RemovePackages {
        manager: PackageManager,
        packages: Vec<String>,
        /// The packages are candidates: only those installed at run time are removed.
        only_installed: bool,
    },
    AddSigningKey {
        url: String,
        fingerprint: Fingerprint,
        dest: String,
        /// Also `rpm --import` it (rpm-based systems keep keys in the rpm database).
        rpm_import: bool,
        /// Store it as a binary keyring: apt before 1.4 cannot read armored keys.
        dearmor: bool,
    },
    WriteFile {
        path: String,
        contents: String,
        mode: u32,
        why: String,
    },
    RefreshIndex {
        manager: PackageManager,
        /// apt: read only this sources file, when the host's other lists are fresh.
        only_source: Option<String>,
    },
    /// Finds the newest package version matching `--version` in the repository's real list.
    ResolveVersion {
        manager: PackageManager,
        package: String,
        requested: VersionReq,
    },
    InstallPackages {
        manager: PackageManager,
        packages: Vec<PackageSpec>,
        /// Install only those not installed yet (prerequisites the facts could not check).
        only_missing: bool,
    },
    Run {
        argv: Vec<String>,
        why: String,
    },
    /// Run a command only when the file an earlier step writes has changed (a daemon-reload
    /// after a unit drop-in).
    RunAfterChange {
        argv: Vec<String>,
        why: String,
        file: String,
        contents: String,
    },
    /// Start the daemon now and at every boot.
    EnableService {
        name: String,
        init: InitSystem,
        /// Debian's `update-rc.d` or Red Hat's `chkconfig`, for sysvinit.
        rc_tool: RcTool,
    },
    /// No init system runs (a container, a chroot, a sandbox): start dockerd directly.
    StartDaemon {
        argv: Vec<String>,
        log: String,
    },
    /// A system group (the docker group, where no package creates it).
    CreateGroup {
        group: String,
    },
    AddUserToGroup {
        /// `None`: the user who invoked dockup (SUDO_USER, or the Windows user).
        user: Option<String>,
        group: String,
        windows: bool,
    },
    Download {
        artifact: Artifact,
        dest: String,
    },
    Extract {
        archive: String,
        members: Vec<String>,
        dest: String,
    },
    RunInstaller {
        /// What is being installed, for people: "VirtualBox 7.1.12".
        name: String,
        program: String,
        args: Vec<String>,
        /// Where the installer logs, to show when it fails.
        log: Option<String>,
    },
    EnableWindowsFeatures {
        features: Vec<String>,
    },
    /// Reboot if an earlier step needs it, and resume the install after logon (RunOnce).
    RebootAndResume {
        resume_args: Vec<String>,
    },
    AddToPath {
        dir: String,
        system_wide: bool,
    },
    CreateMachine {
        name: String,
        args: Vec<String>,
    },
    /// Persist `docker-machine env NAME` for the user: setx on Windows, a profile snippet on Linux.
    PersistMachineEnv {
        machine: String,
        profile: Option<String>,
    },
    Verify {
        argv: Vec<String>,
    },
    /// Merge settings into daemon.json, keeping what is there (lists are unioned), after a backup.
    MergeDaemonJson {
        path: String,
        settings: serde_json::Map<String, serde_json::Value>,
    },
    /// Set `key=value` in one section of an ini file (dnf.conf), keeping the rest.
    SetIniValue {
        path: String,
        section: String,
        key: String,
        value: String,
    },
    /// Remove Docker's own packages (uninstall), those of them that are installed.
    UninstallPackages {
        manager: PackageManager,
        packages: Vec<String>,
    },
    /// Stop the daemon and keep it from starting at boot.
    StopDaemon {
        init: InitSystem,
    },
    /// Delete files dockup put there (repository definitions, keys).
    RemoveFiles {
        paths: Vec<String>,
    },
    /// Delete Docker's data: images, containers, volumes. Only with --purge, after confirming.
    RemoveData {
        dirs: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RcTool {
    UpdateRcD,
    Chkconfig,
    None,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PackageSpec {
    pub name: String,
    /// Pinned to the version `ResolveVersion` finds (or to this exact string).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin: Option<VersionReq>,
}

impl PackageSpec {
    pub fn new(name: &str) -> Self {
        PackageSpec {
            name: name.to_string(),
            pin: None,
        }
    }
}

/// Which shell the commands are written for: a plan for Windows reads as cmd.exe lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Shell {
    #[default]
    Posix,
    Cmd,
}

impl Shell {
    pub fn line(&self, argv: &[String]) -> String {
        match self {
            Shell::Posix => shell_line(argv),
            Shell::Cmd => cmd_line(argv),
        }
    }
}

/// How steps are written out: for which shell, and aimed at which root.
#[derive(Debug, Clone, Copy)]
pub struct Render<'a> {
    pub shell: Shell,
    pub root: Option<&'a InstallRoot>,
}

impl Render<'_> {
    pub fn line(&self, argv: &[String]) -> String {
        match self.root {
            Some(root) => self.shell.line(&root.wrap(argv)),
            None => self.shell.line(argv),
        }
    }
}

/// Quotes an argv the way a user would type it into sh.
pub fn shell_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// Windows argv as cmd.exe would take it.
fn cmd_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.contains([' ', '&', '(', ')']) {
                format!("\"{a}\"")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Step {
    /// One line saying what the step does and why.
    pub fn title(&self) -> String {
        match self {
            Step::Confirm { .. } => "Ask before going on".into(),
            Step::RemovePackages { .. } => "Remove packages that conflict with Docker's".into(),
            Step::AddSigningKey { fingerprint, .. } => {
                format!("Add the repository's signing key, only if its fingerprint is {fingerprint}")
            }
            Step::WriteFile { why, .. } => why.clone(),
            Step::RefreshIndex { only_source: Some(_), .. } => {
                "Refresh the package index for Docker's repository".into()
            }
            Step::RefreshIndex { .. } => "Refresh the package index".into(),
            Step::ResolveVersion { requested, .. } => {
                format!("Find the newest {requested} packages in the repository")
            }
            Step::InstallPackages {
                only_missing: true, ..
            } => "Install what the package manager needs for an https repository".into(),
            Step::InstallPackages { .. } => "Install Docker".into(),
            Step::Run { why, .. } | Step::RunAfterChange { why, .. } => why.clone(),
            Step::EnableService { init, .. } => {
                format!("Start Docker now and at boot ({})", init.name())
            }
            Step::StartDaemon { .. } => {
                "Start the Docker daemon directly: no init system runs here, so it will not start at boot".into()
            }
            Step::CreateGroup { group } => format!("Create the {group} group"),
            Step::AddUserToGroup { group, user, .. } => match user {
                Some(u) => format!("Let {u} use Docker without root (group {group})"),
                None => format!("Let you use Docker without admin rights (group {group})"),
            },
            Step::Download { artifact, .. } => {
                format!("Download {} {}", artifact.name, artifact.version)
            }
            Step::Extract { .. } => "Unpack the binaries".into(),
            Step::RunInstaller { name, .. } => format!("Install {name} silently"),
            Step::EnableWindowsFeatures { .. } => "Enable the Windows features Docker needs".into(),
            Step::RebootAndResume { .. } => {
                "Restart Windows if the features need it; dockup resumes after you log on".into()
            }
            Step::AddToPath { dir, .. } => format!("Put {dir} on PATH"),
            Step::CreateMachine { name, .. } => {
                format!("Create the VirtualBox VM `{name}` that runs the Docker engine")
            }
            Step::PersistMachineEnv { machine, .. } => {
                format!("Point the docker CLI at the `{machine}` VM in every new shell")
            }
            Step::Verify { .. } => "Check that Docker answers".into(),
            Step::StopDaemon { .. } => "Stop the Docker daemon".into(),
            Step::MergeDaemonJson { .. } => "Configure the Docker daemon".into(),
            Step::SetIniValue { key, path, .. } => format!("Set {key} in {path}"),
            Step::UninstallPackages { .. } => "Remove Docker's packages".into(),
            Step::RemoveFiles { .. } => "Remove Docker's repository and signing key".into(),
            Step::RemoveData { .. } => {
                "Delete all images, containers and volumes (--purge)".into()
            }
        }
    }

    /// The exact commands, or the file and its contents, this step amounts to.
    pub fn lines(&self, ctx: &Render) -> Vec<String> {
        match self {
            Step::Confirm { message, flag } => vec![
                format!("! {message}"),
                format!("(asks for confirmation; unattended runs need {flag})"),
            ],
            Step::RemovePackages {
                manager,
                packages,
                only_installed,
            } => {
                let line = ctx.line(&manager.remove_argv(packages));
                if *only_installed {
                    vec![format!("{line}   # only those of these that are installed")]
                } else {
                    vec![line]
                }
            }
            Step::AddSigningKey {
                url,
                dest,
                rpm_import,
                dearmor,
                fingerprint,
            } => {
                let fetch = if *dearmor {
                    format!("curl -fsSL {url} | gpg --dearmor -o {dest}")
                } else {
                    format!("curl -fsSL {url} -o {dest}")
                };
                let mut v = vec![
                    format!("install -d -m 0755 {}", parent_dir(dest)),
                    fetch,
                    format!("# dockup fetches it itself and writes it only if the key's fingerprint is {}", fingerprint.hex()),
                ];
                if *rpm_import {
                    v.push(ctx.line(&["rpm".to_string(), "--import".into(), dest.clone()]));
                }
                v
            }
            Step::WriteFile {
                path,
                contents,
                mode,
                ..
            } => {
                let mut v = vec![format!("{path} (mode {mode:04o}):")];
                v.extend(contents.lines().map(|l| format!("  {l}")));
                v
            }
            Step::RefreshIndex {
                manager,
                only_source: Some(source),
            } if *manager == PackageManager::Apt => vec![
                ctx.line(&PackageManager::apt_update_only(source)),
                "# the whole index instead (apt-get update) when the host's lists are missing or stale".into(),
            ],
            Step::RefreshIndex { manager, .. } => manager
                .refresh_argv()
                .map(|argv| vec![ctx.line(&argv)])
                .unwrap_or_default(),
            Step::ResolveVersion {
                manager,
                package,
                requested,
            } => {
                let query = manager
                    .versions_argv(package)
                    .map(|argv| ctx.line(&argv))
                    .unwrap_or_default();
                vec![format!(
                    "{query}   # newest version whose components start with {requested}: 24.0 never matches 24.04"
                )]
            }
            Step::InstallPackages {
                manager,
                packages,
                only_missing,
            } => {
                let names: Vec<String> = packages
                    .iter()
                    .map(|p| match &p.pin {
                        Some(v) if v.is_exact_package_version() => manager.pinned(&p.name, v.as_str()),
                        Some(v) => manager.pinned(&p.name, &format!("<{v}.x found above>")),
                        None => p.name.clone(),
                    })
                    .collect();
                let env: String = manager
                    .env()
                    .iter()
                    .map(|(k, v)| format!("{k}={v} "))
                    .collect();
                let line = format!("{env}{}", ctx.line(&if packages.iter().any(|p| p.pin.is_some()) {
                        manager.install_pinned_argv(&names)
                    } else {
                        manager.install_argv(&names)
                    }));
                if *only_missing {
                    let mut v: Vec<String> = manager
                        .refresh_argv()
                        .map(|argv| format!("{}   # only if one of them is missing", ctx.line(&argv)))
                        .into_iter()
                        .collect();
                    v.push(format!("{line}   # only those not installed yet"));
                    v
                } else {
                    vec![line]
                }
            }
            Step::Run { argv, .. } => vec![ctx.line(argv)],
            Step::RunAfterChange { argv, file, .. } => vec![format!(
                "{}   # only when {file} changed",
                ctx.line(argv)
            )],
            Step::EnableService {
                name,
                init,
                rc_tool,
            } => service_commands(name, *init, *rc_tool)
                .iter()
                .map(|argv| ctx.line(argv))
                .collect(),
            Step::StartDaemon { argv, log } => {
                vec![format!("{} >>{log} 2>&1 &", ctx.line(argv))]
            }
            Step::CreateGroup { group } => {
                vec![ctx.line(&["groupadd".into(), "-f".into(), group.clone()])]
            }
            Step::AddUserToGroup {
                user,
                group,
                windows: true,
            } => vec![format!(
                "net localgroup {group} \"{}\" /add",
                user.as_deref().unwrap_or("%USERNAME%")
            )],
            Step::AddUserToGroup { user, group, .. } => vec![
                format!(
                    "usermod -aG {group} {}",
                    user.as_deref().unwrap_or("\"$SUDO_USER\"")
                ),
                "# takes effect at the next login (or `newgrp docker`)".into(),
            ],
            Step::Download { artifact, dest } => {
                let mut v = vec![format!("curl -fL {} -o \"{dest}\"", artifact.url)];
                match &artifact.sha256 {
                    Some(sha) => v.push(format!("# kept only if its sha256 is {sha}")),
                    None => v.push(
                        "# not pinned: the catalog has no sha256 for it yet, so dockup refuses to download it unverified".into(),
                    ),
                }
                v
            }
            Step::Extract {
                archive,
                members,
                dest,
            } => vec![format!(
                "extract {} from \"{archive}\" into \"{dest}\"   # entries escaping the folder are refused",
                members.join(", ")
            )],
            Step::RunInstaller {
                program, args, log, ..
            } => {
                let mut argv = vec![program.clone()];
                argv.extend(args.iter().cloned());
                let mut v = vec![cmd_line(&argv)];
                if let Some(log) = log {
                    v.push(format!("# on failure dockup shows {log}"));
                }
                v
            }
            Step::EnableWindowsFeatures { features } => features
                .iter()
                .map(|f| format!("dism.exe /online /enable-feature /featurename:{f} /all /norestart"))
                .collect(),
            Step::RebootAndResume { resume_args } => vec![
                format!(
                    "reg add HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\RunOnce /v dockup /d \"dockup.exe {}\"",
                    resume_args.join(" ")
                ),
                "shutdown.exe /r /t 60 /c \"dockup: restarting to finish enabling Windows features\"".into(),
                "# only when a step reported that a restart is required (exit code 3010), after asking; the run stops here (exit 6)".into(),
            ],
            Step::AddToPath { dir, system_wide } => vec![if *system_wide {
                format!("append \"{dir}\" to PATH in HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment")
            } else {
                format!("append \"{dir}\" to PATH in HKCU\\Environment   # not setx: it truncates PATH at 1024 characters")
            }],
            Step::CreateMachine { name, args } => {
                let mut argv = vec![
                    "docker-machine".to_string(),
                    "create".into(),
                    "-d".into(),
                    "virtualbox".into(),
                ];
                argv.extend(args.iter().cloned());
                argv.push(name.clone());
                vec![ctx.line(&argv)]
            }
            Step::PersistMachineEnv { machine, profile } => match profile {
                Some(profile) => vec![
                    format!("{profile}:"),
                    format!("  # values read from `docker-machine env {machine}` after it is created"),
                    "  export DOCKER_TLS_VERIFY=1".into(),
                    "  export DOCKER_HOST=tcp://<VM address>:2376".into(),
                    format!("  export DOCKER_CERT_PATH=\"$HOME/.docker/machine/machines/{machine}\""),
                    format!("  export DOCKER_MACHINE_NAME={machine}"),
                ],
                None => vec![
                    format!("# values read from `docker-machine env {machine}` after it is created"),
                    "setx DOCKER_TLS_VERIFY 1".into(),
                    "setx DOCKER_HOST tcp://<VM address>:2376".into(),
                    format!("setx DOCKER_CERT_PATH \"%USERPROFILE%\\.docker\\machine\\machines\\{machine}\""),
                    format!("setx DOCKER_MACHINE_NAME {machine}"),
                ],
            },
            Step::Verify { argv } => vec![ctx.line(argv)],
            Step::MergeDaemonJson { path, settings } => {
                let mut v = vec![format!("{path}: merge into what is there (a backup is kept):")];
                let text = serde_json::to_string_pretty(settings).unwrap_or_default();
                v.extend(text.lines().map(|l| format!("  {l}")));
                v
            }
            Step::SetIniValue {
                path,
                section,
                key,
                value,
            } => vec![format!("{path}: [{section}] {key}={value}")],
            Step::UninstallPackages { manager, packages } => vec![format!(
                "{}   # only those of these that are installed",
                ctx.line(&manager.purge_argv(packages))
            )],
            Step::StopDaemon {
                init: InitSystem::None | InitSystem::Unknown,
            } => vec!["kill -TERM \"$(cat /var/run/docker.pid)\"   # then wait until dockerd has stopped".into()],
            Step::StopDaemon { init } => stop_commands(*init)
                .iter()
                .map(|argv| ctx.line(argv))
                .collect(),
            Step::RemoveFiles { paths } => {
                let mut argv = vec!["rm".to_string(), "-f".into()];
                argv.extend(paths.iter().cloned());
                vec![ctx.line(&argv)]
            }
            Step::RemoveData { dirs } => {
                let mut argv = vec!["rm".to_string(), "-rf".into()];
                argv.extend(dirs.iter().cloned());
                vec![
                    ctx.line(&argv),
                    "# asks first: this cannot be undone".into(),
                ]
            }
        }
    }
}

fn parent_dir(path: &str) -> &str {
    path.rsplit_once('/')
        .map_or(".", |(dir, _)| if dir.is_empty() { "/" } else { dir })
}

/// The commands that start `name` now and at every boot under `init`.
pub fn service_commands(name: &str, init: InitSystem, rc_tool: RcTool) -> Vec<Vec<String>> {
    let argv = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match (init, rc_tool) {
        (InitSystem::Openrc, _) => vec![
            argv(&["rc-update", "add", name, "default"]),
            argv(&["rc-service", name, "start"]),
        ],
        (InitSystem::Runit, _) => vec![argv(&[
            "ln",
            "-s",
            &format!("/etc/sv/{name}"),
            "/var/service/",
        ])],
        (InitSystem::Upstart, _) => vec![argv(&["start", name])],
        (InitSystem::Sysvinit, RcTool::Chkconfig) => vec![
            argv(&["chkconfig", name, "on"]),
            argv(&["service", name, "start"]),
        ],
        (InitSystem::Sysvinit, _) => vec![
            argv(&["update-rc.d", name, "defaults"]),
            argv(&["service", name, "start"]),
        ],
        _ => vec![argv(&[
            "systemctl",
            "enable",
            "--now",
            &format!("{name}.service"),
        ])],
    }
}

/// The commands that stop the daemon and disable it at boot under `init`. Where nothing
/// manages it there is none: dockerd's own pid file says which process to stop.
pub fn stop_commands(init: InitSystem) -> Vec<Vec<String>> {
    let argv = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match init {
        InitSystem::Systemd => vec![argv(&[
            "systemctl",
            "disable",
            "--now",
            "docker.service",
            "docker.socket",
        ])],
        InitSystem::Openrc => vec![
            argv(&["rc-service", "docker", "stop"]),
            argv(&["rc-update", "del", "docker", "default"]),
        ],
        InitSystem::Runit => vec![argv(&["rm", "-f", "/var/service/docker"])],
        InitSystem::Upstart => vec![argv(&["stop", "docker"])],
        InitSystem::Sysvinit => vec![argv(&["service", "docker", "stop"])],
        // dockup stops it itself, by its pid file.
        InitSystem::None | InitSystem::Unknown => Vec::new(),
    }
}

impl fmt::Display for Step {
    /// The step for a POSIX shell; `{:#}` writes it for cmd.exe.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shell = if f.alternate() {
            Shell::Cmd
        } else {
            Shell::Posix
        };
        writeln!(f, "{}", self.title())?;
        for line in self.lines(&Render { shell, root: None }) {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}
