//! The kernel group: its version, and the options in its build configuration that Docker needs
//! (required: `fail` when missing) or can use (optional: `warn`), as moby's check-config.sh
//! checks them, but read in one pass instead of one zgrep per option.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;

use super::{Check, Status};
use crate::facts::{HostRoot, KernelVersion};

const KERNEL_TOML: &str = include_str!("../../platforms/kernel.toml");

/// Config files are a few hundred KiB; the cap only guards against reading something else.
const CONFIG_LIMIT: u64 = 16 << 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelCatalog {
    required: Vec<String>,
    optional: Vec<String>,
    storage_drivers: Vec<StorageDriver>,
    versioned: Vec<Versioned>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageDriver {
    option: String,
    driver: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Versioned {
    option: String,
    #[serde(default)]
    below: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    cgroup: Option<String>,
    #[serde(default)]
    optional: bool,
}

impl KernelCatalog {
    pub fn builtin() -> Result<KernelCatalog, String> {
        toml::from_str(KERNEL_TOML)
            .map_err(|e| format!("the built-in platforms/kernel.toml is invalid: {e}"))
    }
}

/// A kernel build configuration: option → `y`, `m` or a value.
struct KernelConfig {
    source: String,
    options: HashMap<String, String>,
    /// The version in the header (`# Linux/x86 6.1.0 Kernel Configuration`).
    version: Option<KernelVersion>,
}

fn parse_config(text: &str, source: String) -> KernelConfig {
    let mut options = HashMap::new();
    let mut version = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("CONFIG_")
            && let Some((name, value)) = rest.split_once('=')
        {
            options.insert(name.to_string(), value.trim_matches('"').to_string());
        } else if version.is_none()
            && let Some(header) = line.strip_prefix("# Linux/")
        {
            version = header
                .split_whitespace()
                .nth(1)
                .and_then(KernelVersion::parse);
        }
    }
    KernelConfig {
        source,
        options,
        version,
    }
}

fn read_maybe_gzip(bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .take(CONFIG_LIMIT)
            .read_to_string(&mut text)
            .map_err(|e| format!("it is not a readable gzip file ({e})"))?;
        Ok(text)
    } else {
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// The kernel's configuration: `--kernel-config FILE`, else where distributions keep it.
fn load_config(
    root: &HostRoot,
    explicit: Option<&Path>,
    release: Option<&str>,
) -> Result<Option<KernelConfig>, String> {
    if let Some(path) = explicit {
        let bytes =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let text = read_maybe_gzip(bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(Some(parse_config(&text, path.display().to_string())));
    }
    let mut candidates = vec!["proc/config.gz".to_string()];
    if let Some(r) = release {
        candidates.push(format!("boot/config-{r}"));
        candidates.push(format!("usr/src/linux-{r}/.config"));
    }
    candidates.push("usr/src/linux/.config".into());
    for inner in candidates {
        if let Some(bytes) = root
            .read_bytes(&inner, CONFIG_LIMIT)
            .map_err(|e| e.to_string())?
        {
            let shown = format!("/{inner}");
            let text = read_maybe_gzip(bytes).map_err(|e| format!("{shown}: {e}"))?;
            return Ok(Some(parse_config(&text, shown)));
        }
    }
    Ok(None)
}

/// Every kernel check, in the order a reader wants them.
pub fn check_kernel(
    root: &HostRoot,
    catalog: &KernelCatalog,
    explicit_config: Option<&Path>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let release = root
        .read_text("proc/sys/kernel/osrelease", 4096)
        .ok()
        .flatten()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    let config = match load_config(root, explicit_config, release.as_deref()) {
        Ok(config) => config,
        Err(why) => {
            checks.push(
                Check::new(
                    "kernel-config",
                    "kernel",
                    Status::Skipped,
                    format!("the kernel configuration cannot be read: {why}"),
                )
                .with_fix("pass --kernel-config FILE with your kernel's .config"),
            );
            None
        }
    };
    let version = release
        .as_deref()
        .and_then(KernelVersion::parse)
        .or_else(|| config.as_ref().and_then(|c| c.version));
    let minimum = KernelVersion::new(3, 10, 0);
    checks.push(match version {
        Some(v) if v >= minimum => Check::new("kernel-version", "kernel", Status::Ok, format!("kernel {v} (Docker needs 3.10 or newer)")),
        Some(v) => Check::new("kernel-version", "kernel", Status::Fail, format!("kernel {v} is older than 3.10, which Docker needs"))
            .with_fix("upgrade the distribution (and its kernel), or run Docker in a VM: dockup install --strategy vm"),
        None => Check::new("kernel-version", "kernel", Status::Skipped, "the kernel release could not be read"),
    });

    let cgroup_v2 = root.exists("sys/fs/cgroup/cgroup.controllers");
    checks.push(Check::new(
        "cgroup-version",
        "kernel",
        Status::Ok,
        if cgroup_v2 {
            "cgroup v2 (unified hierarchy)"
        } else {
            "cgroup v1"
        },
    ));
    if let Some(maxkeys) = root
        .read_text("proc/sys/kernel/keys/root_maxkeys", 64)
        .ok()
        .flatten()
        .and_then(|s| s.trim().parse::<u64>().ok())
    {
        checks.push(if maxkeys > 10_000 {
            Check::new("root-maxkeys", "kernel", Status::Ok, format!("kernel.keys.root_maxkeys is {maxkeys}"))
        } else {
            Check::new("root-maxkeys", "kernel", Status::Warn, format!("kernel.keys.root_maxkeys is {maxkeys}: many containers exhaust it"))
                .with_fix("echo 'kernel.keys.root_maxkeys = 1000000' > /etc/sysctl.d/90-docker.conf && sysctl --system")
        });
    }

    let Some(config) = config else {
        if !checks.iter().any(|c| c.id == "kernel-config") {
            checks.push(
                Check::new(
                    "kernel-config",
                    "kernel",
                    Status::Skipped,
                    "no kernel configuration found (/proc/config.gz, /boot/config-<release>, /usr/src/linux/.config): the options were not checked",
                )
                .with_fix("modprobe configs (for /proc/config.gz), or pass --kernel-config FILE"),
            );
        }
        return checks;
    };
    checks.push(Check::new(
        "kernel-config",
        "kernel",
        Status::Ok,
        format!("options read from {}", config.source),
    ));

    let applies = |v: &Versioned| {
        let within = |bound: &Option<String>, below: bool| match (
            bound.as_deref().and_then(KernelVersion::parse),
            version,
        ) {
            (Some(b), Some(k)) => {
                if below {
                    k < b
                } else {
                    k >= b
                }
            }
            (Some(_), None) => false,
            (None, _) => true,
        };
        within(&v.below, true)
            && within(&v.from, false)
            && v.cgroup.as_deref().is_none_or(|g| g == "v1" && !cgroup_v2)
    };
    let mut wanted: Vec<(&str, bool)> = catalog
        .required
        .iter()
        .map(|o| (o.as_str(), true))
        .collect();
    wanted.extend(
        catalog
            .versioned
            .iter()
            .filter(|v| applies(v))
            .map(|v| (v.option.as_str(), !v.optional)),
    );
    wanted.extend(catalog.optional.iter().map(|o| (o.as_str(), false)));
    for (option, required) in wanted {
        checks.push(option_check(&config, option, required));
    }

    let drivers: Vec<&str> = catalog
        .storage_drivers
        .iter()
        .filter(|d| config.options.contains_key(&d.option))
        .map(|d| d.driver.as_str())
        .collect();
    checks.push(if drivers.is_empty() {
        Check::new(
            "storage-driver",
            "kernel",
            Status::Fail,
            "no storage driver is built in: neither overlay (CONFIG_OVERLAY_FS) nor btrfs",
        )
        .with_fix("rebuild the kernel with CONFIG_OVERLAY_FS=y (or m)")
    } else {
        Check::new(
            "storage-driver",
            "kernel",
            Status::Ok,
            format!("storage drivers available: {}", drivers.join(", ")),
        )
    });
    checks
}

fn option_check(config: &KernelConfig, option: &str, required: bool) -> Check {
    let id = format!("CONFIG_{option}");
    match config.options.get(option).map(String::as_str) {
        Some("y") => Check::new(id, "kernel", Status::Ok, "built in"),
        Some("m") => Check::new(id, "kernel", Status::Ok, "a module"),
        Some(other) => Check::new(id, "kernel", Status::Ok, format!("set to {other}")),
        None => {
            let (status, what) = if required {
                (Status::Fail, "missing: Docker needs it")
            } else {
                (Status::Warn, "missing: some Docker features will not work")
            };
            let fix = format!(
                "rebuild the kernel with CONFIG_{option}=y (or =m), or boot your distribution's standard kernel"
            );
            Check::new(id, "kernel", status, what).with_fix(fix)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_and_header() {
        let c = parse_config(
            "#\n# Linux/x86 6.1.0 Kernel Configuration\n#\nCONFIG_VETH=m\n# CONFIG_BTRFS_FS is not set\nCONFIG_LOCALVERSION=\"-x\"\n",
            "t".into(),
        );
        assert_eq!(c.options.get("VETH").map(String::as_str), Some("m"));
        assert!(!c.options.contains_key("BTRFS_FS"));
        assert_eq!(
            c.options.get("LOCALVERSION").map(String::as_str),
            Some("-x")
        );
        assert_eq!(c.version, Some(KernelVersion::new(6, 1, 0)));
        KernelCatalog::builtin().unwrap();
    }
}
