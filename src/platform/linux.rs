//! The Linux choice: legacy for EL6, a VM for old kernels, else Docker's repository when it
//! serves the release and architecture, else the distribution's own package.

use super::catalog::{Derivative, DistroPackage, Target, major};
use super::identity::identify;
use super::{
    AssumeDistro, Catalog, Decision, DistroChoice, Family, Identity, ReleaseStatus, RepoChoice,
    RepoFormat, Strategy,
};
use crate::facts::{Arch, InitSystem, LinuxFacts};
use crate::plan::{PackageManager, dotted_lt};

pub(super) fn decide(
    facts: &LinuxFacts,
    catalog: &Catalog,
    assume: Option<&AssumeDistro>,
) -> Decision {
    let identity = match assume {
        Some(a) => Ok(a.identity()),
        None => identify(facts),
    };
    let identity = match identity {
        Ok(identity) => identity,
        Err(why) => {
            let mut d = Decision::new(
                Strategy::Unsupported,
                Family::Other,
                "Linux (unidentified distribution)".into(),
            );
            d.reasons.push(why);
            d.reasons.push(
                "if you know which distribution this machine is compatible with, pass \
                 --assume-distro ID:VERSION (for example debian:12)"
                    .into(),
            );
            d.warnings.extend(facts.problems.iter().cloned());
            return d;
        }
    };
    Linux::new(facts, catalog, identity).decide()
}

/// Where a machine's base release was found in Docker's repository catalog.
struct BaseRef<'c> {
    target: &'c Target,
    key: Option<String>,
    /// How the base was worked out, for the reasons.
    via: String,
}

struct Linux<'a> {
    facts: &'a LinuxFacts,
    catalog: &'a Catalog,
    identity: Identity,
    derivative: Option<&'a Derivative>,
    base: Option<BaseRef<'a>>,
    /// Set when the base came from an os-release hint on a distribution the catalog doesn't know.
    hinted: bool,
}

impl<'a> Linux<'a> {
    fn new(facts: &'a LinuxFacts, catalog: &'a Catalog, identity: Identity) -> Self {
        let derivative = catalog.derivatives.iter().find(|d| matches(d, &identity));
        let mut me = Linux {
            facts,
            catalog,
            identity,
            derivative,
            base: None,
            hinted: false,
        };
        me.base = me.find_base();
        me
    }

    fn find_base(&mut self) -> Option<BaseRef<'a>> {
        let id = &self.identity;
        if let Some(d) = self.derivative {
            let target = self.catalog.target(d.base.as_deref()?)?;
            let (key, via) = derivative_key(d, id)?;
            return Some(BaseRef {
                target,
                key: Some(key),
                via,
            });
        }
        if let Some(target) = self.catalog.target(&id.id) {
            let key = match target.format {
                RepoFormat::Apt => id
                    .codename
                    .clone()
                    .or_else(|| id.field("UBUNTU_CODENAME").map(str::to_ascii_lowercase))
                    .or_else(|| id.version_id.clone()),
                RepoFormat::Rpm => id.version_id.clone(),
            };
            return Some(BaseRef {
                target,
                key,
                via: String::new(),
            });
        }
        // A distribution the catalog does not know. ID_LIKE alone proves nothing (RHEL 8 and
        // Amazon Linux 2023 both say only "fedora"), but a base codename or an EL platform ID
        // names the exact release it is built on.
        let hints = [("UBUNTU_CODENAME", "ubuntu"), ("DEBIAN_CODENAME", "debian")];
        for (field, target) in hints {
            if let Some(codename) = id.field(field) {
                self.hinted = true;
                return Some(BaseRef {
                    target: self.catalog.target(target)?,
                    key: Some(codename.to_ascii_lowercase()),
                    via: format!("its os-release names {field}={codename}"),
                });
            }
        }
        let platform = id.field("PLATFORM_ID")?;
        let el = platform.strip_prefix("platform:el")?;
        self.hinted = true;
        Some(BaseRef {
            target: self.catalog.target("centos")?,
            key: Some(el.to_string()),
            via: format!("its os-release says PLATFORM_ID=\"{platform}\""),
        })
    }

    fn family(&self) -> Family {
        let id = &self.identity.id;
        if let Some(u) = self.catalog.unsupported.iter().find(|u| u.ids.contains(id)) {
            return Family::from_name(&u.family);
        }
        if let Some(f) = self.derivative.and_then(|d| d.family.as_deref()) {
            return Family::from_name(f);
        }
        if let Some(base) = &self.base {
            return Family::from_name(&base.target.family);
        }
        if let Some(d) = self.distro_entry() {
            return Family::from_name(&d.family);
        }
        for (like, family) in [
            ("debian", Family::Debian),
            ("ubuntu", Family::Debian),
            ("rhel", Family::Rhel),
            ("centos", Family::Rhel),
            ("fedora", Family::Fedora),
            ("suse", Family::Suse),
            ("opensuse", Family::Suse),
            ("arch", Family::Arch),
            ("alpine", Family::Alpine),
        ] {
            if self.identity.id_like.iter().any(|l| l == like) {
                return family;
            }
        }
        Family::Other
    }

    fn distro_entry(&self) -> Option<&'a DistroPackage> {
        if let Some(key) = self.derivative.and_then(|d| d.distro.as_deref()) {
            return self.catalog.distro(key);
        }
        self.catalog
            .distros
            .iter()
            .find(|d| d.ids.contains(&self.identity.id))
            .or_else(|| self.catalog.distro(&self.base.as_ref()?.target.id))
    }

    /// The architecture packages must be built for.
    fn arch(&self) -> Option<Arch> {
        if let Some(forced) = self
            .base
            .as_ref()
            .and_then(|b| b.target.userland_arch.as_deref())
        {
            return Some(Arch::from_kernel_name(forced));
        }
        self.facts.arch().cloned()
    }

    fn base_version(&self) -> Option<String> {
        let base = self.base.as_ref()?;
        match base.target.release(base.key.as_deref()?) {
            Some(release) => Some(release.version.clone()),
            None if self.identity.id == base.target.id => self.identity.version_id.clone(),
            None => None,
        }
    }

    fn decide(&self) -> Decision {
        let mut d = Decision::new(
            Strategy::Unsupported,
            self.family(),
            self.identity.name.clone(),
        );
        d.derivative = match (self.derivative, self.hinted) {
            (Some(der), _) => Some(der.key.clone()),
            (None, true) => Some(self.identity.id.clone()),
            _ => None,
        };
        d.warnings.extend(self.facts.problems.iter().cloned());
        if self.identity.source != "/etc/os-release" {
            d.reasons
                .push(format!("identified from {}", self.identity.source));
        }
        self.note_environment(&mut d);
        if self.facts.virtualization.wsl == Some(1) {
            d.reasons.push(
                "this is WSL 1, which cannot run the Docker engine (no real Linux kernel): convert \
                 the distribution with `wsl --set-version <distro> 2`, or install Docker Desktop \
                 on Windows"
                    .into(),
            );
            return d;
        }
        if self.is_el(6) {
            return self.legacy(d);
        }
        if let Some(done) = self.kernel_gate(&mut d) {
            return done;
        }
        if let Some(u) = self
            .catalog
            .unsupported
            .iter()
            .find(|u| u.ids.contains(&self.identity.id))
        {
            d.reasons.push(u.reason.clone());
            return d;
        }

        let repo = self.repo_choice();
        let distro = self.distro_choice();
        let prefer_distro = self
            .base
            .as_ref()
            .is_some_and(|b| b.target.prefer_distro_package);
        match (repo, distro) {
            (Ok((repo, repo_why)), Ok((distro, distro_why))) if prefer_distro => {
                d.strategy = Strategy::Distro;
                d.reasons.push(distro_why);
                d.alternative(Strategy::Repo, repo_why);
                d.repo_choice = Some(repo);
                d.distro_choice = Some(distro);
            }
            (Ok((repo, repo_why)), distro) => {
                d.strategy = Strategy::Repo;
                d.reasons.push(repo_why);
                self.repo_warnings(&repo, &mut d);
                d.repo_choice = Some(repo);
                if let Ok((distro, distro_why)) = distro {
                    d.alternative(Strategy::Distro, distro_why);
                    d.distro_choice = Some(distro);
                }
            }
            (Err(repo_miss), Ok((distro, distro_why))) => {
                d.strategy = Strategy::Distro;
                if let Some(miss) = repo_miss {
                    d.reasons.push(miss);
                }
                d.reasons.push(distro_why);
                d.distro_choice = Some(distro);
            }
            (Err(repo_miss), Err(distro_miss)) => {
                d.reasons.extend(repo_miss);
                d.reasons.extend(distro_miss);
                self.offer_static(&mut d);
                if !self.hinted && self.base.is_none() && !self.identity.id_like.is_empty() {
                    d.reasons.push(format!(
                        "its ID_LIKE says \"{}\", but that alone does not say which release's \
                         packages would work; if you know, pass --assume-distro ID:VERSION",
                        self.identity.id_like.join(" ")
                    ));
                } else {
                    d.reasons.push(
                        "if this machine is compatible with a release Docker supports, pass \
                         --assume-distro ID:VERSION (for example ubuntu:24.04)"
                            .into(),
                    );
                }
            }
        }
        if matches!(d.strategy, Strategy::Repo | Strategy::Distro) {
            d.init = Some(self.init(&mut d));
        }
        d
    }

    /// Docker's static binaries run on any Linux with a 3.10+ kernel on x86_64 or aarch64; they
    /// are offered, never chosen, because nothing keeps them up to date.
    fn offer_static(&self, d: &mut Decision) {
        let Some(key) = self.arch().and_then(|a| match a {
            Arch::X86_64 => Some("docker-static-linux-x86_64"),
            Arch::Aarch64 => Some("docker-static-linux-aarch64"),
            _ => None,
        }) else {
            return;
        };
        if let Some(artifact) = self.catalog.artifact(key) {
            d.alternative(
                Strategy::Static,
                format!(
                    "Docker {}'s static binaries in /usr/local/bin with a service to start them                      (--strategy static); no package manager updates them",
                    artifact.version
                ),
            );
        }
    }

    /// The init system to drive: what runs, else what is installed, else the catalog's default
    /// for this distribution (a tree that is not booted says nothing about what runs).
    fn init(&self, d: &mut Decision) -> InitSystem {
        let found = self.facts.init.effective();
        if found != InitSystem::Unknown {
            return found;
        }
        let release = self
            .base
            .as_ref()
            .and_then(|b| b.target.release(b.key.as_deref()?));
        let default = self
            .derivative
            .and_then(|d| d.init)
            .or_else(|| self.distro_entry().and_then(|e| e.init))
            .or_else(|| release.and_then(|r| r.init))
            .or_else(|| self.base.as_ref().and_then(|b| b.target.init))
            .unwrap_or(InitSystem::Systemd);
        d.reasons.push(format!(
            "no init system could be seen under the root; assuming {}, this distribution's default",
            default.name()
        ));
        default
    }

    fn note_environment(&self, d: &mut Decision) {
        let v = &self.facts.virtualization;
        if let Some(container) = &v.container {
            d.warnings.push(format!(
                "dockup is running inside a {container} container: the engine installed here only \
                 works if the container is privileged and has its own /var/lib/docker"
            ));
        }
        if v.wsl == Some(2) {
            d.reasons.push(
                "this is WSL 2: Docker Desktop's WSL integration is the usual way, but the engine \
                 installed in this distribution works too"
                    .into(),
            );
        }
        if !self.facts.docker.packages.is_empty() {
            let list: Vec<String> = self
                .facts
                .docker
                .packages
                .iter()
                .map(|p| format!("{} {}", p.name, p.version))
                .collect();
            d.reasons
                .push(format!("already installed: {}", list.join(", ")));
        } else if !self.facts.docker.binaries.is_empty() {
            d.warnings.push(format!(
                "Docker binaries not owned by any package were found ({}): a static install; \
                 dockup's packages would shadow or conflict with them",
                self.facts.docker.binaries.join(", ")
            ));
        }
    }

    /// EL (CentOS, RHEL and their rebuilds) of the given major version.
    fn is_el(&self, want: u32) -> bool {
        let is_el_base = match &self.base {
            Some(b) => matches!(b.target.id.as_str(), "centos" | "rhel"),
            None => false,
        };
        let version = self
            .base
            .as_ref()
            .and_then(|b| b.key.clone())
            .or_else(|| self.identity.version_id.clone());
        is_el_base
            && version
                .as_deref()
                .and_then(major)
                .is_some_and(|m| m == want.to_string())
    }

    fn legacy(&self, mut d: Decision) -> Decision {
        let kernel = self.facts.kernel.as_deref().unwrap_or("2.6.32");
        let legacy = &self.catalog.legacy;
        if self.arch().is_some_and(|a| a != Arch::X86_64) {
            d.reasons.push(format!(
                "{} (EL6, kernel {kernel}) only ever had Docker {} for x86_64, and this machine is {}",
                self.identity.name,
                legacy.version,
                self.arch().map(|a| a.to_string()).unwrap_or_default()
            ));
            return d;
        }
        d.strategy = Strategy::Legacy;
        // EL6 boots with upstart but manages services with SysV scripts (service, chkconfig).
        d.init = Some(match self.facts.init.effective() {
            InitSystem::Unknown | InitSystem::Upstart => InitSystem::Sysvinit,
            found => found,
        });
        d.reasons.push(format!(
            "{} is EL6 with kernel {kernel}: Docker 1.8 and later need kernel 3.10, so the only \
             Docker that runs natively is {}-{} from the EPEL 6 archive",
            self.identity.name, legacy.package, legacy.version
        ));
        d.warnings.push(format!(
            "{} {} is from 2015, unmaintained and has known security holes; use it only on an \
             isolated machine, or run a current Docker in a VM instead (--strategy vm)",
            legacy.package, legacy.version
        ));
        d.alternative(
            Strategy::Vm,
            "a current Docker in a VirtualBox VM managed by docker-machine",
        );
        d
    }

    /// Docker needs kernel 3.10; older kernels get a VM. `Some` ends the decision.
    fn kernel_gate(&self, d: &mut Decision) -> Option<Decision> {
        let min = self.catalog.engine.min_kernel;
        let Some(kernel) = self.facts.kernel_version() else {
            d.warnings.push(format!(
                "the kernel release could not be read (/proc/sys/kernel/osrelease); Docker needs \
                 kernel {}.{} or newer",
                min.major, min.minor
            ));
            return None;
        };
        if kernel >= min {
            d.reasons.push(format!(
                "kernel {kernel} meets Docker's minimum of {}.{}",
                min.major, min.minor
            ));
            return None;
        }
        let mut done = d.clone();
        let why = format!(
            "kernel {kernel} is older than {}.{}, which Docker needs (namespaces, cgroups, overlay)",
            min.major, min.minor
        );
        done.reasons.push(why);
        match self.arch() {
            Some(Arch::X86_64) | None => {
                done.strategy = Strategy::Vm;
                done.reasons.push(
                    "a current Docker can still run here inside a VirtualBox VM managed by \
                     docker-machine; upgrading the distribution (and its kernel) is the better \
                     long-term fix"
                        .into(),
                );
            }
            Some(other) => done.reasons.push(format!(
                "docker-machine and VirtualBox only run on x86_64, and this machine is {other}: \
                 upgrade the distribution to one with kernel {}.{}+",
                min.major, min.minor
            )),
        }
        Some(done)
    }

    /// Docker's repository release for this machine, with the reason; or why there is none
    /// (`None` when there is nothing worth saying, e.g. Alpine).
    fn repo_choice(&self) -> Result<(RepoChoice, String), Option<String>> {
        let name = &self.identity.name;
        let Some(base) = &self.base else {
            return Err(None);
        };
        let target = base.target;
        let Some(key) = base.key.as_deref() else {
            return Err(Some(format!(
                "cannot tell which {} release this is (no VERSION_ID or codename)",
                target.name
            )));
        };
        let Some(release) = target.release(key) else {
            return Err(Some(format!(
                "Docker's repository does not serve {} {key}",
                target.name
            )));
        };
        let arch = self.arch();
        let (target, release) = match &arch {
            Some(a) if !release.serves(target, a) => {
                let moved = release
                    .other_arches_use
                    .as_deref()
                    .and_then(|o| self.catalog.target(o))
                    .and_then(|t| Some((t, t.release(&release.version)?)))
                    .filter(|(t, r)| r.serves(t, a));
                match moved {
                    Some(found) => found,
                    None => {
                        return Err(Some(format!(
                            "Docker's {}/{} tree has no {a} packages",
                            target.id,
                            release.key()
                        )));
                    }
                }
            }
            _ => (target, release),
        };
        let manager = release
            .manager
            .or(target.manager)
            .unwrap_or(PackageManager::Apt);
        let choice = RepoChoice {
            target: target.id.clone(),
            release: release.key().to_string(),
            format: target.format,
            manager,
            status: release.status,
            arch: arch.as_ref().map(|a| match target.format {
                RepoFormat::Apt => a.dpkg().to_string(),
                RepoFormat::Rpm => a.name().to_string(),
            }),
            version_series: release.version_series.clone(),
            apt_key: release.apt_key,
            https_transport: release.https_transport,
        };
        let arch_note = choice
            .arch
            .as_deref()
            .map(|a| format!(" ({a})"))
            .unwrap_or_default();
        let why = if base.via.is_empty() && self.identity.id == target.id {
            format!(
                "{name} is served by Docker's repository as {}{arch_note}",
                choice.slug()
            )
        } else if base.via.is_empty() {
            format!(
                "{name} uses Docker's {}{arch_note} packages ({} {} is the release it runs as)",
                choice.slug(),
                target.name,
                release.key()
            )
        } else {
            format!(
                "{name} is built on {} {} ({}), which Docker's repository serves as {}{arch_note}",
                target.name,
                release.key(),
                base.via,
                choice.slug()
            )
        };
        Ok((choice, why))
    }

    fn repo_warnings(&self, repo: &RepoChoice, d: &mut Decision) {
        match repo.status {
            ReleaseStatus::Supported => {}
            ReleaseStatus::Eol => d.warnings.push(format!(
                "{} is end-of-life in Docker's repository: it installs the last packages \
                 published there, which get no more fixes; upgrade the distribution when you can",
                repo.slug()
            )),
            ReleaseStatus::Frozen => d.warnings.push(format!(
                "Docker no longer publishes to its {} tree; the packages there are frozen",
                repo.target
            )),
        }
        if let Some(series) = &repo.version_series {
            d.reasons.push(format!(
                "Docker's {} directory ends with the {series} series; dockup pins it",
                repo.slug()
            ));
        }
        if self.facts.arch().is_none() {
            d.warnings.push(
                "the architecture could not be read (/proc/sys/kernel/arch); the plan needs it"
                    .into(),
            );
        }
    }

    fn distro_choice(&self) -> Result<(DistroChoice, String), Option<String>> {
        let Some(entry) = self.distro_entry() else {
            return Err(Some(format!(
                "{} has no Docker package dockup knows of",
                self.identity.name
            )));
        };
        let version = match &self.base {
            Some(_) => self.base_version(),
            None => self.identity.version_id.clone(),
        };
        if let (Some(min), Some(v)) = (&entry.min_version, &version)
            && v.starts_with(|c: char| c.is_ascii_digit())
            && dotted_lt(v, min)
        {
            return Err(Some(format!(
                "its own Docker package ({}) only exists from release {min} on",
                entry.packages.join(", ")
            )));
        }
        let arch = self
            .arch()
            .map(|a| a.name().to_string())
            .unwrap_or_default();
        let fill = |s: &String| {
            s.replace(
                "{version}",
                self.identity.version_id.as_deref().unwrap_or(""),
            )
            .replace("{arch}", &arch)
        };
        let manager = entry.manager_for(self.identity.version_id.as_deref());
        let choice = DistroChoice {
            key: entry.key.clone(),
            manager,
            packages: entry.packages.clone(),
            before: entry
                .before
                .iter()
                .map(|argv| argv.iter().map(fill).collect())
                .collect(),
        };
        let why = format!(
            "the distribution's own package: {} from {}'s repositories ({})",
            entry.packages.join(", "),
            self.identity.name,
            manager.name()
        );
        Ok((choice, why))
    }
}

fn matches(d: &Derivative, id: &Identity) -> bool {
    d.ids.contains(&id.id)
        && d.when_field
            .as_deref()
            .is_none_or(|f| id.field(f).is_some())
        && d.unless_field
            .as_deref()
            .is_none_or(|f| id.field(f).is_none())
        && d.pretty_name_prefix
            .as_deref()
            .is_none_or(|p| id.field("PRETTY_NAME").is_some_and(|n| n.starts_with(p)))
}

/// The base release key for a derivative, by the first of its rules that answers.
fn derivative_key(d: &Derivative, id: &Identity) -> Option<(String, String)> {
    if let Some(v) = d.codename_field.as_deref().and_then(|f| id.field(f)) {
        let field = d.codename_field.as_deref().unwrap_or_default();
        return Some((v.to_ascii_lowercase(), format!("{field}={v}")));
    }
    if let Some(c) = id.codename.as_deref()
        && let Some(base) = d.codename_map.get(c)
    {
        return Some((base.clone(), format!("its codename {c}")));
    }
    if let Some(v) = id.version_id.as_deref() {
        let by_version = d
            .version_map
            .get(v)
            .or_else(|| major(v).and_then(|m| d.version_map.get(m)));
        if let Some(base) = by_version {
            return Some((base.clone(), format!("its version {v}")));
        }
        if d.major {
            return Some((major(v)?.to_string(), format!("its version {v}")));
        }
        if d.version {
            return Some((v.to_string(), format!("its version {v}")));
        }
    }
    d.fixed
        .clone()
        .map(|f| (f, "it follows that release".to_string()))
}
