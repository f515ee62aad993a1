//! Which distribution and release a Linux machine is, from os-release or the files that came
//! before it (`/etc/lsb-release`, `/etc/redhat-release`, `/etc/debian_version`).

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::facts::LinuxFacts;

#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// Lowercased os-release ID: `ubuntu`, `rocky`, `opensuse-leap`.
    pub id: String,
    pub id_like: Vec<String>,
    /// The name to show: PRETTY_NAME, or NAME and VERSION.
    pub name: String,
    pub version_id: Option<String>,
    /// VERSION_CODENAME, lowercased.
    pub codename: Option<String>,
    /// Every os-release field, for derivative rules that read their own fields.
    pub fields: BTreeMap<String, String>,
    /// Where the identity came from, for reasons: `/etc/os-release`, `--assume-distro`, ...
    pub source: String,
}

impl Identity {
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }

    pub fn is_like(&self, id: &str) -> bool {
        self.id == id || self.id_like.iter().any(|l| l == id)
    }
}

/// `--assume-distro ID:VERSION`, e.g. `ubuntu:22.04`, `debian:bookworm`, `centos:9`.
#[derive(Debug, Clone, PartialEq)]
pub struct AssumeDistro {
    pub id: String,
    pub version: String,
}

impl FromStr for AssumeDistro {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once(':') {
            Some((id, version)) if !id.trim().is_empty() && !version.trim().is_empty() => {
                Ok(AssumeDistro {
                    id: id.trim().to_ascii_lowercase(),
                    version: version.trim().to_ascii_lowercase(),
                })
            }
            _ => Err(format!(
                "`{s}` is not ID:VERSION (for example ubuntu:22.04, debian:bookworm, centos:9)"
            )),
        }
    }
}

impl AssumeDistro {
    pub fn identity(&self) -> Identity {
        let is_codename = !self.version.starts_with(|c: char| c.is_ascii_digit());
        Identity {
            id: self.id.clone(),
            id_like: Vec::new(),
            name: format!("{} {} (assumed)", self.id, self.version),
            version_id: (!is_codename).then(|| self.version.clone()),
            codename: is_codename.then(|| self.version.clone()),
            fields: BTreeMap::new(),
            source: "--assume-distro".into(),
        }
    }
}

/// The distribution, or why it could not be identified.
pub fn identify(facts: &LinuxFacts) -> Result<Identity, String> {
    if let Some(identity) = from_os_release(facts) {
        return Ok(identity);
    }
    if let Some(identity) = from_lsb_release(facts) {
        return Ok(identity);
    }
    if let Some(identity) = facts
        .redhat_release
        .as_deref()
        .and_then(from_redhat_release)
    {
        return Ok(identity);
    }
    if let Some(identity) = facts
        .debian_version
        .as_deref()
        .and_then(from_debian_version)
    {
        return Ok(identity);
    }
    let mut why = String::from("could not identify the distribution: ");
    why.push_str(match &facts.os_release_path {
        Some(_) if facts.os_release.as_ref().is_some_and(|m| !m.is_empty()) => {
            "its os-release has no usable ID"
        }
        Some(_) => "its os-release is empty or not an os-release file",
        None => "there is no /etc/os-release or /usr/lib/os-release",
    });
    why.push_str(", and no /etc/lsb-release, /etc/redhat-release or /etc/debian_version says more");
    Err(why)
}

fn from_os_release(facts: &LinuxFacts) -> Option<Identity> {
    let fields = facts.os_release.clone()?;
    let id = facts.os_field("ID")?.to_ascii_lowercase();
    // An ID of printable, shell-safe characters only: garbage that happens to parse is not one.
    if !id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return None;
    }
    let mut version_id = facts.os_field("VERSION_ID").map(str::to_string);
    let mut codename = facts
        .os_field("VERSION_CODENAME")
        .map(|s| s.to_ascii_lowercase());
    // Debian 8 has no VERSION_CODENAME, Debian testing no VERSION_ID: debian_version fills in.
    if id == "debian"
        && let Some(dv) = facts
            .debian_version
            .as_deref()
            .and_then(from_debian_version)
    {
        version_id = version_id.or(dv.version_id);
        codename = codename.or(dv.codename);
    }
    let name = facts
        .os_field("PRETTY_NAME")
        .map(str::to_string)
        .or_else(|| {
            let n = facts.os_field("NAME")?;
            Some(match facts.os_field("VERSION") {
                Some(v) => format!("{n} {v}"),
                None => n.to_string(),
            })
        })
        .unwrap_or_else(|| id.clone());
    Some(Identity {
        id_like: facts
            .os_field("ID_LIKE")
            .map(|l| {
                l.split_whitespace()
                    .map(|s| s.to_ascii_lowercase())
                    .collect()
            })
            .unwrap_or_default(),
        name,
        version_id,
        codename,
        fields,
        source: facts
            .os_release_path
            .clone()
            .unwrap_or_else(|| "/etc/os-release".into()),
        id,
    })
}

fn from_lsb_release(facts: &LinuxFacts) -> Option<Identity> {
    let lsb = facts.lsb_release.as_ref()?;
    let get = |k: &str| lsb.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let id = get("DISTRIB_ID")?.to_ascii_lowercase();
    let version_id = get("DISTRIB_RELEASE").map(str::to_string);
    let name = get("DISTRIB_DESCRIPTION")
        .map(str::to_string)
        .unwrap_or_else(|| format!("{id} {}", version_id.as_deref().unwrap_or("")));
    Some(Identity {
        id,
        id_like: Vec::new(),
        name,
        version_id,
        codename: get("DISTRIB_CODENAME").map(|s| s.to_ascii_lowercase()),
        fields: BTreeMap::new(),
        source: "/etc/lsb-release".into(),
    })
}

/// `CentOS release 6.10 (Final)`, `Red Hat Enterprise Linux Server release 6.10 (Santiago)`.
fn from_redhat_release(line: &str) -> Option<Identity> {
    let (product, rest) = line.split_once(" release ")?;
    let version: String = rest
        .split_whitespace()
        .next()?
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    if version.is_empty() {
        return None;
    }
    let product_lc = product.to_ascii_lowercase();
    let id = [
        ("centos", "centos"),
        ("red hat enterprise linux", "rhel"),
        ("scientific linux", "scientific"),
        ("oracle linux", "ol"),
        ("rocky linux", "rocky"),
        ("almalinux", "almalinux"),
        ("fedora", "fedora"),
        ("amazon linux", "amzn"),
    ]
    .iter()
    .find(|(prefix, _)| product_lc.starts_with(prefix))
    .map(|(_, id)| id.to_string())?;
    Some(Identity {
        id,
        id_like: Vec::new(),
        name: line.trim().to_string(),
        version_id: Some(version),
        codename: None,
        fields: BTreeMap::new(),
        source: "/etc/redhat-release".into(),
    })
}

/// `7.11` (a release) or `bookworm/sid` (testing).
fn from_debian_version(line: &str) -> Option<Identity> {
    let line = line.trim();
    let (version_id, codename) = if line.starts_with(|c: char| c.is_ascii_digit()) {
        (Some(line.split('.').next()?.to_string()), None)
    } else if let Some((codename, _)) = line.split_once('/') {
        (None, Some(codename.to_ascii_lowercase()))
    } else {
        return None;
    };
    Some(Identity {
        id: "debian".into(),
        id_like: Vec::new(),
        name: format!("Debian GNU/Linux {line}"),
        version_id,
        codename,
        fields: BTreeMap::new(),
        source: "/etc/debian_version".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redhat_release_lines() {
        let i = from_redhat_release("CentOS release 6.10 (Final)").unwrap();
        assert_eq!(
            (i.id.as_str(), i.version_id.as_deref()),
            ("centos", Some("6.10"))
        );
        let i = from_redhat_release("Red Hat Enterprise Linux Server release 7.9 (Maipo)").unwrap();
        assert_eq!(i.id, "rhel");
        assert!(from_redhat_release("Something else").is_none());
    }

    #[test]
    fn debian_version_lines() {
        assert_eq!(
            from_debian_version("7.11").unwrap().version_id.as_deref(),
            Some("7")
        );
        assert_eq!(
            from_debian_version("trixie/sid")
                .unwrap()
                .codename
                .as_deref(),
            Some("trixie")
        );
        assert!(from_debian_version("garbage").is_none());
    }

    #[test]
    fn assume_distro_parses() {
        let a: AssumeDistro = "Ubuntu:22.04".parse().unwrap();
        assert_eq!(a.identity().version_id.as_deref(), Some("22.04"));
        let a: AssumeDistro = "debian:bookworm".parse().unwrap();
        assert_eq!(a.identity().codename.as_deref(), Some("bookworm"));
        assert!("ubuntu".parse::<AssumeDistro>().is_err());
    }
}
