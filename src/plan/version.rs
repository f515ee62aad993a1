//! `--version`: what the user asked for, matched against real package versions by whole
//! components, so `24.0` matches `5:24.0.7-1~ubuntu.22.04~jammy` and never `24.04` or `24.0x`.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// ```
/// use dockup::plan::VersionReq;
///
/// let req: VersionReq = "24.0".parse().unwrap();
/// assert!(req.matches("5:24.0.7-1~ubuntu.22.04~jammy"));
/// assert!(!req.matches("5:24.04.0-1~ubuntu.24.04~noble"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct VersionReq(String);

impl FromStr for VersionReq {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.starts_with(|c: char| c.is_ascii_digit())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-~+_".contains(c));
        if ok {
            Ok(VersionReq(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a Docker version (for example 27.3, 27.3.1 or 5:27.3.1-1~debian.12~bookworm)"
            ))
        }
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl VersionReq {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A full package version (with epoch or release) is taken literally.
    pub fn is_exact_package_version(&self) -> bool {
        self.0.contains([':', '-', '~'])
    }

    /// Whether a package version (`5:24.0.7-1~debian.12~bookworm`, `24.0.7-1.el9`) satisfies
    /// this request.
    pub fn matches(&self, package_version: &str) -> bool {
        if self.is_exact_package_version() {
            return package_version == self.0;
        }
        let wanted = components(&self.0);
        let have = components(upstream(package_version));
        have.len() >= wanted.len() && have[..wanted.len()] == wanted[..]
    }

    /// True when this request asks for something newer than `series` (`27.0` vs `26.1`).
    pub fn is_beyond_series(&self, series: &str) -> bool {
        let series = components(series);
        let wanted = components(upstream(&self.0));
        let n = series.len().min(wanted.len());
        numeric(&wanted[..n]) > numeric(&series[..n])
    }
}

/// Whether dotted version `a` is older than `b`, comparing whole numeric components with the
/// shorter one padded by zeros: `14.04 < 16.04`, `9 < 10`, `2.0.14.0 < 2.1.5`, `2.1.5.0 == 2.1.5`.
/// A component's leading digits count (`5rc1` is 5).
pub fn dotted_lt(a: &str, b: &str) -> bool {
    let parts = |s: &str| -> Vec<u64> {
        s.split('.')
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_ascii_digit())
                    .collect::<String>()
                    .parse()
                    .unwrap_or(0)
            })
            .collect()
    };
    let (mut a, mut b) = (parts(a), parts(b));
    let n = a.len().max(b.len());
    a.resize(n, 0);
    b.resize(n, 0);
    a < b
}

/// The upstream part of a package version: no epoch, no Debian/RPM release.
fn upstream(v: &str) -> &str {
    let v = v.split_once(':').map_or(v, |(_, rest)| rest);
    v.split(['-', '~']).next().unwrap_or(v)
}

fn components(v: &str) -> Vec<&str> {
    v.split('.').collect()
}

fn numeric(parts: &[&str]) -> Vec<u64> {
    parts.iter().map(|p| p.parse().unwrap_or(0)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(s: &str) -> VersionReq {
        s.parse().unwrap()
    }

    #[test]
    fn whole_components_only() {
        assert!(req("24.0").matches("5:24.0.7-1~ubuntu.22.04~jammy"));
        assert!(req("24.0.7").matches("5:24.0.7-1~ubuntu.22.04~jammy"));
        assert!(!req("24.0").matches("5:24.04.1-1~ubuntu.24.04~noble"));
        assert!(!req("24").matches("5:2.4.0-1"));
        assert!(!req("24.0.1").matches("5:24.0.10-1~debian.12~bookworm"));
        assert!(req("26.1").matches("26.1.4-1.el7"));
        assert!(!req("26.1").matches("26.10.0-1.el9"));
    }

    #[test]
    fn exact_package_versions_are_literal() {
        let r = req("5:24.0.7-1~debian.12~bookworm");
        assert!(r.matches("5:24.0.7-1~debian.12~bookworm"));
        assert!(!r.matches("5:24.0.7-1~debian.11~bullseye"));
    }

    #[test]
    fn rejects_garbage() {
        assert!("latest".parse::<VersionReq>().is_err());
        assert!("24.0; rm -rf /".parse::<VersionReq>().is_err());
    }

    #[test]
    fn dotted_versions() {
        assert!(dotted_lt("14.04", "16.04") && dotted_lt("9", "10"));
        assert!(dotted_lt("2.0.14.0", "2.1.5"));
        assert!(!dotted_lt("2.1.5.0", "2.1.5") && !dotted_lt("2.3.26.0", "2.1.5"));
    }

    #[test]
    fn series_limits() {
        assert!(req("27.0").is_beyond_series("26.1"));
        assert!(!req("26.1.4").is_beyond_series("26.1"));
        assert!(!req("25.0").is_beyond_series("26.1"));
    }
}
