//! What a machine is. Only reads: from a root tree (`--root`), from a facts file (`--facts`), or,
//! for Windows and macOS, from thin live probes. Decisions live in `platform/`.

mod arch;
mod docker;
mod init;
mod kernel;
mod linux;
pub mod os_release;
mod root;
mod virt;
mod windows;
#[cfg(windows)]
mod windows_live;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use arch::Arch;
pub use docker::{DockerInstall, InstalledPackage};
pub use init::{InitFacts, InitSystem};
pub use kernel::KernelVersion;
pub use linux::LinuxFacts;
pub use root::HostRoot;
pub use virt::Virtualization;
pub use windows::{FieldError, WindowsFacts};

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read {path}: {why}")]
    Unreadable { path: String, why: String },
    #[error("{path} is larger than {limit} bytes, which no such file is; it was not read")]
    TooLarge { path: String, limit: u64 },
    #[error("cannot read the facts file {path}: {why}")]
    FactsFile { path: String, why: String },
    #[error("the facts file {path} is not valid facts JSON: {why}")]
    FactsFileFormat { path: String, why: String },
    #[error("the root directory {path} does not exist or is not a directory")]
    NoRoot { path: String },
    #[error("dockup cannot read this operating system's facts yet; pass --facts FILE")]
    UnknownHost,
}

impl FactsError {
    pub fn help(&self) -> Option<String> {
        match self {
            FactsError::FactsFileFormat { .. } => Some(
                "the file must have the shape `dockup detect --json` prints under \"facts\", \
                 e.g. {\"os\": \"windows\", \"windows\": {\"current_build\": 19045, ...}}"
                    .into(),
            ),
            FactsError::NoRoot { .. } => {
                Some("--root takes a directory laid out like / (etc/os-release, proc/...)".into())
            }
            _ => None,
        }
    }
}

/// The machine, as one serializable value: `dockup detect --json` prints it under `"facts"`, and
/// `--facts FILE` reads the same shape back, so any machine can be planned for from any other.
// One value per run: boxing the variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "os", rename_all = "lowercase")]
pub enum Facts {
    Linux { linux: LinuxFacts },
    Windows { windows: WindowsFacts },
    Macos { macos: MacFacts },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MacFacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<Arch>,
}

impl Facts {
    /// Linux facts from a tree standing in for `/`.
    pub fn from_root(root: &HostRoot) -> Result<Facts, FactsError> {
        if !root.dir().is_dir() {
            return Err(FactsError::NoRoot {
                path: root.dir().display().to_string(),
            });
        }
        Ok(Facts::Linux {
            linux: linux::gather(root),
        })
    }

    /// The machine dockup runs on.
    pub fn from_live_host() -> Result<Facts, FactsError> {
        #[cfg(windows)]
        {
            Ok(Facts::Windows {
                windows: windows_live::gather(),
            })
        }
        #[cfg(target_os = "macos")]
        {
            Ok(Facts::Macos {
                macos: live_macos(),
            })
        }
        #[cfg(target_os = "linux")]
        {
            Facts::from_root(&HostRoot::live())
        }
        #[cfg(not(any(windows, target_os = "macos", target_os = "linux")))]
        {
            Err(FactsError::UnknownHost)
        }
    }

    pub fn from_file(path: &Path) -> Result<Facts, FactsError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| FactsError::FactsFile {
            path: shown.clone(),
            why: e.to_string(),
        })?;
        Facts::from_json(&text).map_err(|why| FactsError::FactsFileFormat { path: shown, why })
    }

    /// Accepts a bare facts object or a whole `dockup detect --json` document (its `facts` key),
    /// so the output of detect on one machine can be fed straight to plan on another.
    pub fn from_json(text: &str) -> Result<Facts, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        // A facts object never has a `facts` key; a detect document always does.
        let value = match value.get("facts") {
            Some(inner) => inner.clone(),
            None => value,
        };
        serde_json::from_value(value).map_err(|e| e.to_string())
    }
}

#[cfg(target_os = "macos")]
fn live_macos() -> MacFacts {
    let product_version = std::process::Command::new("sw_vers")
        .arg("-productVersion")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    MacFacts {
        product_version,
        arch: Some(Arch::from_kernel_name(std::env::consts::ARCH)),
    }
}
