//! Whether a step has anything left to do on this machine: the checks a run starts with, and
//! that `install --dry-run` shows. They read files and query the package database; they
//! change nothing.

use std::path::Path;

use super::*;

impl Executor<'_> {
    /// Per step, `Some(why)` when it has nothing left to do on this machine. Changes nothing.
    pub fn satisfied(&mut self, plan: &Plan) -> Vec<Option<String>> {
        self.root = plan.root.clone();
        self.windows = plan.shell == Shell::Cmd;
        self.machine = plan.steps.iter().find_map(|s| match s {
            Step::CreateMachine { name, .. } => Some(name.clone()),
            _ => None,
        });
        (0..plan.steps.len())
            .map(|i| self.already_done(&plan.steps[i], &plan.steps[i + 1..]))
            .collect()
    }

    /// `Some(why)` when the step has nothing left to do on this machine.
    pub(super) fn already_done(&self, step: &Step, later: &[Step]) -> Option<String> {
        match step {
            Step::RemovePackages {
                manager, packages, ..
            }
            | Step::UninstallPackages { manager, packages } => self
                .installed_among(*manager, packages)
                .is_empty()
                .then(|| "none of them is installed".into()),
            Step::Download { artifact, dest } => {
                let sha = artifact.sha256.as_deref()?;
                let dest = &self.expand(dest);
                download::hash_file(Path::new(dest))
                    .is_ok_and(|h| h.eq_ignore_ascii_case(sha))
                    .then(|| format!("{dest} is already there, verified"))
            }
            Step::Extract {
                archive,
                members,
                dest,
            } => {
                let (archive, dest) = (self.expand(archive), self.expand(dest));
                extract::is_extracted(Path::new(&archive), members, Path::new(&dest))
                    .then(|| format!("already unpacked in {dest}"))
            }
            Step::RunAfterChange { file, contents, .. } => {
                fsops::has_contents(Path::new(file), contents.as_bytes())
                    .then(|| format!("{file} had not changed"))
            }
            Step::MergeDaemonJson { path, settings } => {
                let existing = std::fs::read_to_string(path).unwrap_or_default();
                let merged = config::merge_daemon_json(&existing, settings).ok()?;
                (merged == existing).then(|| format!("{path} already has these settings"))
            }
            Step::SetIniValue {
                path,
                section,
                key,
                value,
            } => {
                let existing = std::fs::read_to_string(path).ok()?;
                (config::set_ini_value(&existing, section, key, value) == existing)
                    .then(|| format!("{path} already sets {key}"))
            }
            Step::StopDaemon { init } => (!sys::daemon_answers()
                && !self.service_running("docker", *init))
            .then(|| "dockerd is not running".into()),
            Step::RemoveFiles { paths } => paths
                .iter()
                .all(|p| !Path::new(p).exists())
                .then(|| "none of them exists".into()),
            Step::RemoveData { dirs } => dirs
                .iter()
                .all(|d| !Path::new(d).exists())
                .then(|| "none of them exists".into()),
            Step::InstallPackages {
                manager, packages, ..
            } => {
                let mut have = Vec::new();
                for p in packages {
                    let version = self.installed_version(*manager, &p.name)?;
                    if let Some(pin) = &p.pin
                        && !pin.matches(&version)
                    {
                        return None;
                    }
                    have.push(format!("{} {version}", p.name));
                }
                Some(format!("installed: {}", have.join(", ")))
            }
            Step::RefreshIndex { .. } | Step::ResolveVersion { .. } => {
                let installs: Vec<&Step> = later
                    .iter()
                    .filter(|s| matches!(s, Step::InstallPackages { .. }))
                    .collect();
                installs
                    .iter()
                    .all(|s| self.already_done(s, &[]).is_some())
                    .then(|| "the packages are already installed".into())
            }
            Step::AddSigningKey {
                dest,
                fingerprint,
                dearmor,
                ..
            } => {
                let bytes = std::fs::read(dest).ok()?;
                let key = keys::verify(&bytes, fingerprint, dest).ok()?;
                if *dearmor && key.to_binary().ok()? != bytes {
                    return None;
                }
                Some(format!("{dest} holds the pinned key"))
            }
            Step::WriteFile { path, contents, .. } => {
                fsops::has_contents(Path::new(path), contents.as_bytes())
                    .then(|| format!("{path} is up to date"))
            }
            Step::EnableService { name, init, .. } => self
                .service_running(name, *init)
                .then(|| format!("{name} is running")),
            Step::StartDaemon { .. } => {
                sys::daemon_answers().then(|| "dockerd is answering".into())
            }
            Step::AddUserToGroup {
                user: Some(user),
                group,
                windows: false,
            } => group_has(user, group).then(|| format!("{user} is in {group}")),
            Step::CreateGroup { group } => group_exists(&self.host_path("/etc/group"), group)
                .then(|| format!("the {group} group exists")),
            Step::AddUserToGroup {
                user,
                group,
                windows: true,
            } => {
                let user = self.windows_user(user.as_deref())?;
                self.in_local_group(&user, group)
                    .then(|| format!("{user} is in {group}"))
            }
            Step::EnableWindowsFeatures { features } => self
                .features_to_enable(features)
                .is_empty()
                .then(|| "they are enabled".into()),
            Step::RebootAndResume { .. } => {
                (!self.reboot_needed).then(|| "nothing asked for a restart".into())
            }
            Step::AddToPath { dir, system_wide } => self
                .path_has(dir, *system_wide)
                .then(|| format!("{dir} is on PATH")),
            Step::CreateMachine { name, .. } => self
                .machine_status(name)
                .filter(|s| s.eq_ignore_ascii_case("running"))
                .map(|_| format!("the `{name}` VM is running")),
            Step::PersistMachineEnv { machine, profile } => self
                .machine_env_persisted(machine, profile.as_deref())
                .then(|| "the environment is kept already".into()),
            _ => None,
        }
    }

    pub(super) fn installed_among(
        &self,
        manager: PackageManager,
        candidates: &[String],
    ) -> Vec<String> {
        candidates
            .iter()
            .filter(|p| self.installed_version(manager, p).is_some())
            .cloned()
            .collect()
    }

    pub(super) fn installed_version(
        &self,
        manager: PackageManager,
        package: &str,
    ) -> Option<String> {
        // `rpm -q` creates a database where there is none, and checks must change nothing: a
        // tree without one has nothing installed.
        let rpm_based = matches!(
            manager,
            PackageManager::Dnf
                | PackageManager::Dnf5
                | PackageManager::Yum
                | PackageManager::Zypper
                | PackageManager::Tdnf
        );
        if rpm_based
            && self.root.is_some()
            && !["/var/lib/rpm", "/usr/lib/sysimage/rpm"]
                .iter()
                .any(|db| self.host_path(db).exists())
        {
            return None;
        }
        packages::installed_version(&self.rooted(), manager, package)
    }

    pub(super) fn service_running(&self, name: &str, init: InitSystem) -> bool {
        let argv: Vec<&str> = match init {
            InitSystem::Systemd => vec!["systemctl", "is-active", "--quiet", name],
            InitSystem::Openrc => vec!["rc-service", name, "status"],
            InitSystem::Runit => vec!["sv", "status", name],
            _ => vec!["service", name, "status"],
        };
        self.rooted().run(&argv).is_ok_and(|o| o.success())
    }
}

/// Whether /etc/group lists `user` as a member of `group`.
fn group_exists(group_file: &Path, group: &str) -> bool {
    std::fs::read_to_string(group_file)
        .is_ok_and(|text| text.lines().any(|l| l.split(':').next() == Some(group)))
}

pub(super) fn group_has(user: &str, group: &str) -> bool {
    std::fs::read_to_string("/etc/group").is_ok_and(|text| {
        text.lines().any(|l| {
            let mut f = l.split(':');
            f.next() == Some(group) && f.nth(2).is_some_and(|m| m.split(',').any(|u| u == user))
        })
    })
}
