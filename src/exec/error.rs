//! Everything that can stop a run, with what to do about it.

use super::download::DownloadError;
use super::extract::ExtractError;
use super::fetch::FetchError;
use super::keys::KeyError;

#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Download(#[from] DownloadError),
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error("`{command}` failed ({status}):\n{output}")]
    Command {
        command: String,
        status: String,
        output: String,
    },
    #[error("cannot run `{command}`: {why}")]
    Spawn { command: String, why: String },
    #[error("cannot write {path}: {why}")]
    Write { path: String, why: String },
    #[error("dockup must run as root to: {}", .steps.join("; "))]
    NotRoot { steps: Vec<String> },
    #[error("Docker {requested} is not in the repository; it offers: {available}")]
    VersionNotFound {
        requested: String,
        available: String,
    },
    #[error("cannot list the versions the repository offers: {0}")]
    VersionList(String),
    #[error("{question}: nobody is here to confirm")]
    NeedsConfirmation { question: String, flag: String },
    #[error("stopped: you declined to {0}")]
    Declined(String),
    #[error("stopped before changing anything")]
    PlanDeclined,
    #[error("the Docker daemon did not start: {0}")]
    Daemon(String),
    #[error("{path} cannot be updated: {why}")]
    Config { path: String, why: String },
    #[error("the {name} installer failed ({status})")]
    Installer {
        name: String,
        status: String,
        log: Option<String>,
        tail: Option<String>,
    },
    #[error("docker-machine could not bring up the `{name}` VM:\n{why}")]
    Machine {
        name: String,
        why: String,
        help: Option<String>,
    },
    #[error("interrupted during step {index} ({step})")]
    Interrupted { index: usize, step: String },
}

impl ExecError {
    pub fn help(&self) -> Option<String> {
        match self {
            ExecError::Key(e) => e.help(),
            ExecError::Fetch(e) => e.help(),
            ExecError::Download(e) => e.help(),
            ExecError::NotRoot { .. } => {
                Some("rerun as root, or add --sudo to have dockup run itself through sudo".into())
            }
            ExecError::NeedsConfirmation { flag, .. } => Some(format!("rerun with {flag}")),
            ExecError::PlanDeclined => Some("add -y to go ahead without being asked".into()),
            ExecError::VersionNotFound { .. } => {
                Some("pass one of the versions listed, or omit --version for the newest".into())
            }
            ExecError::Config { path, .. } => Some(format!(
                "dockup leaves {path} as it is rather than overwrite your settings: fix it (or move it away) and rerun"
            )),
            ExecError::Installer {
                log: Some(log),
                tail,
                ..
            } => Some(match tail {
                Some(tail) => format!("the end of its log ({log}):\n{tail}"),
                None => format!("its log is {log}"),
            }),
            ExecError::Machine { help, .. } => help.clone(),
            ExecError::Interrupted { .. } => Some(
                "run the same command again: the steps that finished are skipped and the interrupted one runs again".into(),
            ),
            ExecError::Daemon(_) => {
                Some("`dockup doctor` explains most reasons a daemon does not start".into())
            }
            _ => None,
        }
    }
}
