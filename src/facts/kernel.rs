//! Kernel releases as `uname -r` prints them: `3.10.0-1160.el7.x86_64`, `6.1.0-18-amd64`,
//! `4.4.0-19041-Microsoft`. Only the leading numbers matter for Docker's minimums.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KernelVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        KernelVersion {
            major,
            minor,
            patch,
        }
    }

    /// `None` when the release does not start with `MAJOR.MINOR`.
    pub fn parse(release: &str) -> Option<KernelVersion> {
        let mut nums = release.trim().split(['.', '-', '+', '_', ' ']).map(|p| {
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            digits.parse::<u32>().ok()
        });
        let major = nums.next()??;
        let minor = nums.next()??;
        let patch = nums.next().flatten().unwrap_or(0);
        Some(KernelVersion::new(major, minor, patch))
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_releases() {
        let k = |s| KernelVersion::parse(s).unwrap();
        assert_eq!(k("3.10.0-1160.el7.x86_64"), KernelVersion::new(3, 10, 0));
        assert_eq!(k("2.6.32-754.el6.x86_64"), KernelVersion::new(2, 6, 32));
        assert_eq!(k("6.18.44-fc-v1147\n"), KernelVersion::new(6, 18, 44));
        assert_eq!(k("4.4.0-19041-Microsoft"), KernelVersion::new(4, 4, 0));
        assert_eq!(k("5.15"), KernelVersion::new(5, 15, 0));
        assert!(k("3.9.11") < KernelVersion::new(3, 10, 0));
        assert_eq!(KernelVersion::parse("garbage"), None);
        assert_eq!(KernelVersion::parse("6"), None);
        assert_eq!(KernelVersion::parse("99999999999.1"), None);
    }
}
