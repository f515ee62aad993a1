//! Exit codes: part of dockup's interface for scripts, documented in the README.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// Done (or nothing to do).
    Success = 0,
    /// A step or an internal check failed.
    Failed = 1,
    /// The command line was wrong (clap's own code).
    Usage = 2,
    /// dockup has no way to install Docker on this machine, or not the way that was asked.
    Unsupported = 3,
    /// The facts given (--root, --facts) could not be read or lack what the decision needs.
    BadInput = 4,
    /// The user declined a confirmation.
    Declined = 5,
    /// The steps so far are done, and the rest needs a reboot first: reboot, and dockup goes on
    /// by itself (Windows RunOnce) or when it is run again.
    NeedsReboot = 6,
    /// Ctrl-C: the run stopped between steps; running it again continues.
    Interrupted = 130,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
