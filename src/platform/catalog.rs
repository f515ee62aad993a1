//! The platform catalog: `platforms/*.toml`, embedded in the binary so dockup is self-contained,
//! parsed into typed structs once.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::facts::{Arch, InitSystem, KernelVersion};
use crate::plan::PackageManager;

const DOCKER_REPO: &str = include_str!("../../platforms/docker-repo.toml");
const DERIVATIVES: &str = include_str!("../../platforms/derivatives.toml");
const DISTRO_PACKAGES: &str = include_str!("../../platforms/distro-packages.toml");
const WINDOWS: &str = include_str!("../../platforms/windows.toml");
const ARTIFACTS: &str = include_str!("../../platforms/artifacts.toml");
const MIRRORS: &str = include_str!("../../platforms/mirrors.toml");

#[derive(Debug, thiserror::Error)]
#[error("the built-in platform catalog platforms/{file} is invalid: {why}")]
pub struct CatalogError {
    file: &'static str,
    why: String,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub engine: Engine,
    pub repo: RepoDefaults,
    pub keys: Keys,
    pub conflicts: Conflicts,
    pub targets: Vec<Target>,
    pub derivatives: Vec<Derivative>,
    pub distros: Vec<DistroPackage>,
    pub unsupported: Vec<UnsupportedDistro>,
    pub windows: WindowsCatalog,
    pub artifacts: Vec<Artifact>,
    pub legacy: Legacy,
    pub mirrors: Vec<Mirror>,
}

/// A well-known mirror of download.docker.com.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mirror {
    pub name: String,
    pub url: String,
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MirrorsFile {
    mirror: Vec<Mirror>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Engine {
    #[serde(deserialize_with = "kernel_version")]
    pub min_kernel: KernelVersion,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoDefaults {
    pub base_url: String,
    pub channels: Vec<String>,
    pub packages: Vec<String>,
    pub versioned: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    pub apt: KeyPin,
    pub rpm: KeyPin,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPin {
    pub fingerprint: String,
    pub path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conflicts {
    pub apt: Vec<String>,
    pub rpm: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RepoFormat {
    Apt,
    Rpm,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub id: String,
    pub name: String,
    pub family: String,
    pub format: RepoFormat,
    #[serde(default)]
    pub manager: Option<PackageManager>,
    pub arches: Vec<String>,
    #[serde(default)]
    pub userland_arch: Option<String>,
    #[serde(default)]
    pub prefer_distro_package: bool,
    #[serde(default)]
    pub init: Option<InitSystem>,
    pub releases: Vec<Release>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseStatus {
    #[default]
    Supported,
    /// Docker keeps the directory but no longer publishes to it.
    Eol,
    /// Docker stopped publishing for the whole target.
    Frozen,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub version: String,
    #[serde(default)]
    pub codename: Option<String>,
    #[serde(default)]
    pub status: ReleaseStatus,
    #[serde(default)]
    pub arches: Option<Vec<String>>,
    #[serde(default)]
    pub manager: Option<PackageManager>,
    /// The newest version series this directory has (EL7 ends at 26.1).
    #[serde(default)]
    pub version_series: Option<String>,
    /// Architectures not in `arches` use this target's tree instead (RHEL 7 x86_64 → centos).
    #[serde(default)]
    pub other_arches_use: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub init: Option<InitSystem>,
    #[serde(default)]
    pub apt_key: AptKeyStyle,
    #[serde(default)]
    pub https_transport: bool,
}

/// How apt is told about the signing key; old apt versions cannot read the modern form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AptKeyStyle {
    /// An armored key in /etc/apt/keyrings, named by `signed-by=` (apt 1.4+).
    #[default]
    Asc,
    /// A binary keyring named by `signed-by=` (apt 1.1 to 1.3).
    Gpg,
    /// A binary keyring in /etc/apt/trusted.gpg.d, trusted for all sources (apt 1.0).
    Trusted,
}

impl Target {
    pub fn release(&self, key: &str) -> Option<&Release> {
        let key = key.trim().to_ascii_lowercase();
        self.releases.iter().find(|r| {
            r.codename.as_deref() == Some(key.as_str())
                || r.version == key
                || (self.format == RepoFormat::Rpm && major(&key) == Some(r.version.as_str()))
        })
    }

    pub fn newest_supported(&self) -> Option<&Release> {
        self.releases
            .iter()
            .rev()
            .find(|r| r.status == ReleaseStatus::Supported)
    }
}

impl Release {
    /// The path segment of this release in Docker's tree: the codename for apt, the major
    /// version for rpm.
    pub fn key(&self) -> &str {
        self.codename.as_deref().unwrap_or(&self.version)
    }

    pub fn serves(&self, target: &Target, arch: &Arch) -> bool {
        self.arches
            .as_ref()
            .unwrap_or(&target.arches)
            .iter()
            .any(|a| Arch::from_kernel_name(a) == *arch)
    }
}

/// `9.3` → `9`, `8` → `8`.
pub fn major(version: &str) -> Option<&str> {
    let m = version.split('.').next()?;
    (!m.is_empty() && m.chars().all(|c| c.is_ascii_digit())).then_some(m)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Derivative {
    pub key: String,
    pub name: String,
    pub ids: Vec<String>,
    #[serde(default)]
    pub when_field: Option<String>,
    #[serde(default)]
    pub unless_field: Option<String>,
    #[serde(default)]
    pub pretty_name_prefix: Option<String>,
    #[serde(default)]
    pub base: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub distro: Option<String>,
    #[serde(default)]
    pub codename_field: Option<String>,
    #[serde(default)]
    pub codename_map: BTreeMap<String, String>,
    #[serde(default)]
    pub version_map: BTreeMap<String, String>,
    #[serde(default)]
    pub major: bool,
    #[serde(default)]
    pub version: bool,
    #[serde(default)]
    pub fixed: Option<String>,
    #[serde(default)]
    pub init: Option<InitSystem>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DistroPackage {
    pub key: String,
    pub ids: Vec<String>,
    pub family: String,
    pub manager: PackageManager,
    pub packages: Vec<String>,
    #[serde(default)]
    pub min_version: Option<String>,
    #[serde(default)]
    pub managers: BTreeMap<String, PackageManager>,
    #[serde(default)]
    pub before: Vec<Vec<String>>,
    #[serde(default)]
    pub init: Option<InitSystem>,
}

impl DistroPackage {
    pub fn manager_for(&self, version: Option<&str>) -> PackageManager {
        version
            .and_then(|v| {
                self.managers
                    .get(v)
                    .or_else(|| major(v).and_then(|m| self.managers.get(m)))
            })
            .copied()
            .unwrap_or(self.manager)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsupportedDistro {
    pub ids: Vec<String>,
    pub family: String,
    pub reason: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsCatalog {
    pub desktop: DesktopReq,
    pub toolbox: ToolboxReq,
    pub server: ServerReq,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesktopReq {
    pub windows10_min_build: u64,
    pub windows11_first_build: u64,
    pub windows11_min_build: u64,
    pub arm64_min_build: u64,
    pub min_memory_mb: u64,
    pub min_wsl_version: String,
    pub hyperv_editions: Vec<String>,
    pub wsl_features: Vec<String>,
    pub hyperv_features: Vec<String>,
    pub install_dir: String,
    pub install_log: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolboxReq {
    pub min_build: u64,
    pub arches: Vec<String>,
    pub install_dir: String,
    pub machine_name: String,
    pub hostonly_cidr: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerReq {
    pub min_build: u64,
    pub features: Vec<String>,
    pub install_dir: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Artifact {
    pub key: String,
    pub name: String,
    pub version: String,
    pub url: String,
    pub file: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The Windows builds this artifact is for (VirtualBox lines dropped old hosts).
    #[serde(default, skip_serializing)]
    pub min_build: Option<u64>,
    #[serde(default, skip_serializing)]
    pub max_build: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Legacy {
    pub package: String,
    pub version: String,
    pub repo_name: String,
    pub repo_url: String,
    pub key_url: String,
    pub key_fingerprint: String,
    pub key_path: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DockerRepoFile {
    engine: Engine,
    repo: RepoDefaults,
    keys: Keys,
    conflicts: Conflicts,
    target: Vec<Target>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivativesFile {
    derivative: Vec<Derivative>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DistroPackagesFile {
    distro: Vec<DistroPackage>,
    #[serde(default)]
    unsupported: Vec<UnsupportedDistro>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArtifactsFile {
    artifact: Vec<Artifact>,
    legacy: Legacy,
}

fn parse<T: serde::de::DeserializeOwned>(
    file: &'static str,
    text: &str,
) -> Result<T, CatalogError> {
    toml::from_str(text).map_err(|e| CatalogError {
        file,
        why: e.to_string(),
    })
}

fn kernel_version<'de, D: serde::Deserializer<'de>>(d: D) -> Result<KernelVersion, D::Error> {
    let s = String::deserialize(d)?;
    KernelVersion::parse(&s)
        .ok_or_else(|| serde::de::Error::custom(format!("bad kernel version {s}")))
}

impl Catalog {
    /// The catalog compiled into this binary.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        let repo: DockerRepoFile = parse("docker-repo.toml", DOCKER_REPO)?;
        let derivatives: DerivativesFile = parse("derivatives.toml", DERIVATIVES)?;
        let distros: DistroPackagesFile = parse("distro-packages.toml", DISTRO_PACKAGES)?;
        let windows: WindowsCatalog = parse("windows.toml", WINDOWS)?;
        let artifacts: ArtifactsFile = parse("artifacts.toml", ARTIFACTS)?;
        let mirrors: MirrorsFile = parse("mirrors.toml", MIRRORS)?;
        Ok(Catalog {
            engine: repo.engine,
            repo: repo.repo,
            keys: repo.keys,
            conflicts: repo.conflicts,
            targets: repo.target,
            derivatives: derivatives.derivative,
            distros: distros.distro,
            unsupported: distros.unsupported,
            windows,
            artifacts: artifacts.artifact,
            legacy: artifacts.legacy,
            mirrors: mirrors.mirror,
        })
    }

    pub fn target(&self, id: &str) -> Option<&Target> {
        self.targets.iter().find(|t| t.id == id)
    }

    pub fn distro(&self, key_or_id: &str) -> Option<&DistroPackage> {
        self.distros
            .iter()
            .find(|d| d.key == key_or_id)
            .or_else(|| {
                self.distros
                    .iter()
                    .find(|d| d.ids.iter().any(|i| i == key_or_id))
            })
    }

    pub fn mirror(&self, name: &str) -> Option<&Mirror> {
        self.mirrors
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case(name))
    }

    pub fn artifact(&self, key: &str) -> Option<&Artifact> {
        self.artifacts.iter().find(|a| a.key == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalog_is_consistent() {
        let c = Catalog::builtin().unwrap();
        for d in &c.derivatives {
            if let Some(base) = &d.base {
                assert!(c.target(base).is_some(), "{}: unknown base {base}", d.key);
            }
            if let Some(distro) = &d.distro {
                assert!(
                    c.distro(distro).is_some(),
                    "{}: unknown distro {distro}",
                    d.key
                );
            }
            assert!(
                d.base.is_some() || d.distro.is_some(),
                "{} maps to nothing",
                d.key
            );
        }
        for t in &c.targets {
            for r in &t.releases {
                if let Some(other) = &r.other_arches_use {
                    assert!(
                        c.target(other)
                            .is_some_and(|o| o.release(&r.version).is_some())
                    );
                }
                for a in r.arches.iter().flatten().chain(&t.arches) {
                    assert!(!matches!(Arch::from_kernel_name(a), Arch::Other(_)), "{a}");
                }
            }
        }
        for m in &c.mirrors {
            assert!(
                m.url.starts_with("https://") && !m.url.ends_with('/'),
                "{}",
                m.name
            );
        }
        for a in &c.artifacts {
            assert!(a.url.starts_with("https://"), "{}", a.key);
            if let Some(h) = &a.sha256 {
                assert!(
                    h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()),
                    "{}",
                    a.key
                );
            }
        }
    }
}
