//! `dockup doctor`: checks, each a finding with a status and, for problems, a fix to paste.

mod install;
mod kernel;

use serde::Serialize;

pub use install::check_install;
pub use kernel::{KernelCatalog, check_kernel};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Skipped,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable, for scripts: `kernel-version`, `CONFIG_VETH`, ...
    pub id: String,
    /// kernel / install / daemon / windows
    pub group: &'static str,
    pub status: Status,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    pub fn new(
        id: impl Into<String>,
        group: &'static str,
        status: Status,
        summary: impl Into<String>,
    ) -> Check {
        Check {
            id: id.into(),
            group,
            status,
            summary: summary.into(),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Check {
        self.fix = Some(fix.into());
        self
    }
}

/// Checks without which the report says little: when one is skipped, the doctor could not check.
const ESSENTIAL: [&str; 2] = ["kernel-version", "kernel-config"];

/// The overall answer, as an exit code: 0 healthy (warnings allowed), 1 problems found,
/// 2 could not check.
pub fn verdict(checks: &[Check]) -> u8 {
    if checks.iter().any(|c| c.status == Status::Fail) {
        1
    } else if checks
        .iter()
        .any(|c| c.status == Status::Skipped && ESSENTIAL.contains(&c.id.as_str()))
    {
        2
    } else {
        0
    }
}
