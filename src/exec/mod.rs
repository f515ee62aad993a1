//! Running things on the machine. Every command dockup runs goes through a `CommandRunner`, so
//! tests swap in `RecordingRunner` and see exactly the argv that would have run.

pub mod config;
pub mod daemon;
pub mod download;
mod error;
mod events;
mod executor;
pub mod extract;
pub mod fetch;
pub mod fsops;
pub mod interrupt;
pub mod keys;
pub mod lock;
pub mod packages;
mod runlog;
mod sys;
pub mod verify;

pub use error::ExecError;
pub use events::{Event, Observer};
pub use executor::{Executor, RunSummary};
pub(crate) use executor::{feature_enabled, local_group_members};
pub use runlog::RunLog;
pub use sys::is_admin;

use std::cell::RefCell;
use std::io;

/// What a finished command left behind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandOutput {
    pub code: Option<i32>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

pub trait CommandRunner {
    /// Runs argv (never a shell string) and captures its output.
    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput>;
}

/// Runs commands for real.
#[derive(Debug, Default)]
pub struct SystemRunner;

impl CommandRunner for SystemRunner {
    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "empty command"))?;
        let out = std::process::Command::new(program).args(args).output()?;
        Ok(CommandOutput {
            code: out.status.code(),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

/// Records every argv and answers from a script of canned outputs, for tests.
#[derive(Debug, Default)]
pub struct RecordingRunner {
    pub calls: RefCell<Vec<Vec<String>>>,
    answers: RefCell<Vec<(String, CommandOutput)>>,
}

impl RecordingRunner {
    /// Commands whose argv starts with `prefix` answer `output`; others fail as not found.
    pub fn answer(&self, prefix: &str, output: CommandOutput) {
        self.answers.borrow_mut().push((prefix.to_string(), output));
    }
}

impl CommandRunner for RecordingRunner {
    fn run(&self, argv: &[&str]) -> io::Result<CommandOutput> {
        let line = argv.join(" ");
        self.calls
            .borrow_mut()
            .push(argv.iter().map(|s| s.to_string()).collect());
        self.answers
            .borrow()
            .iter()
            .find(|(prefix, _)| line.starts_with(prefix.as_str()))
            .map(|(_, out)| out.clone())
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{line}: not found")))
    }
}

/// An error with its causes: reqwest's own message is only "error sending request"; the cause
/// says what really happened.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}
