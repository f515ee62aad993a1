//! `--config FILE`: the same settings as the flags, for provisioning. Precedence is
//! flags > DOCKUP_* environment > this file > defaults; clap applies the first two, this file
//! fills what is still unset.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The keys are the long flags' names.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileConfig {
    pub strategy: Option<String>,
    pub assume_distro: Option<String>,
    pub channel: Option<String>,
    pub version: Option<String>,
    pub mirror: Option<String>,
    pub key_fingerprint: Option<String>,
    pub no_start: Option<bool>,
    pub add_user: Option<String>,
    pub registry_mirror: Option<Vec<String>>,
    pub proxy: Option<String>,
    pub persist_proxy: Option<bool>,
    pub yes: Option<bool>,
    pub log: Option<PathBuf>,
    pub accept_legacy: Option<bool>,
    pub artifact_mirror: Option<String>,
    pub non_interactive: Option<bool>,
}

impl FileConfig {
    pub fn load(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            format!(
                "the config file {} is not valid: {}",
                path.display(),
                e.message()
            )
        })
    }
}

/// A value from the file, parsed like the flag it stands for; errors name the key.
pub fn parse_key<T: std::str::FromStr<Err = String>>(
    key: &str,
    value: Option<&String>,
) -> Result<Option<T>, String> {
    value
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| format!("config key `{key}`: {e}"))
        })
        .transpose()
}

/// A boolean flag takes the file's value only where neither the flag nor its environment
/// variable said anything (clap folds both into one bool).
pub fn file_bool(flag: bool, env_var: &str, file: Option<bool>) -> bool {
    if flag || std::env::var_os(env_var).is_some() {
        flag
    } else {
        file.unwrap_or(false)
    }
}
