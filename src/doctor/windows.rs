//! The windows group, from Windows facts (live, or `--facts FILE` from another machine):
//! virtualization, Hyper-V, WSL, memory, and where the docker CLI points (docker-machine's
//! environment variables).

use super::{Check, Status};
use crate::exec::CommandRunner;
use crate::facts::WindowsFacts;

/// What doctor asks the running Windows itself, beyond its facts; `None` where it was not asked
/// (a facts file from another machine) or could not be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WindowsProbe {
    /// The signed-in user, and the members of docker-users (lower case).
    pub user: Option<String>,
    pub docker_users: Option<Vec<String>>,
    /// `docker-machine status default`: Running, Stopped, Saved, Error, ...
    pub machine_status: Option<String>,
    /// Whether each Windows feature Docker Desktop uses is enabled (dism answers only an
    /// elevated prompt).
    pub features: Vec<(String, bool)>,
}

/// The Windows features Docker Desktop's backends need.
const FEATURES: [(&str, &str); 2] = [
    ("VirtualMachinePlatform", "Docker Desktop's WSL 2 backend"),
    ("Microsoft-Hyper-V", "Docker Desktop's Hyper-V backend"),
];

impl WindowsProbe {
    /// Asks `net localgroup docker-users` and `docker-machine status default`.
    pub fn gather(runner: &dyn CommandRunner) -> WindowsProbe {
        let text = |argv: &[&str]| {
            runner
                .run(argv)
                .ok()
                .filter(|o| o.success())
                .map(|o| o.stdout_text())
        };
        WindowsProbe {
            user: std::env::var("USERNAME").ok().filter(|u| !u.is_empty()),
            // Only a member list counts: an answer without one (a `net` that printed its help)
            // says nothing about the group.
            docker_users: text(&["net.exe", "localgroup", "docker-users"])
                .filter(|t| t.lines().any(|l| l.trim_start().starts_with("---")))
                .map(|t| crate::exec::local_group_members(&t)),
            machine_status: text(&["docker-machine", "status", "default"])
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty()),
            features: FEATURES
                .iter()
                .filter_map(|(f, _)| {
                    let name = format!("/featurename:{f}");
                    let out =
                        text(&["dism.exe", "/online", "/get-featureinfo", &name, "/English"])?;
                    Some((f.to_string(), crate::exec::feature_enabled(&out)))
                })
                .collect(),
        }
    }
}

/// The checks only a running Windows answers: docker-users and the docker-machine VM.
pub fn check_windows_probe(probe: &WindowsProbe) -> Vec<Check> {
    let g = "windows";
    let mut checks = Vec::new();
    if let (Some(user), Some(members)) = (&probe.user, &probe.docker_users) {
        checks.push(if members.contains(&user.to_lowercase()) {
            Check::new(
                "docker-users",
                g,
                Status::Ok,
                format!("{user} is in docker-users"),
            )
        } else {
            Check::new(
                "docker-users",
                g,
                Status::Fail,
                format!("{user} is not in docker-users: Docker Desktop refuses to start for them"),
            )
            .with_fix(format!(
                "net localgroup docker-users \"{user}\" /add   # elevated; then sign out and in"
            ))
        });
    }
    for (feature, enabled) in &probe.features {
        let needed_by = FEATURES
            .iter()
            .find(|(f, _)| f == feature)
            .map_or("Docker Desktop", |(_, by)| by);
        checks.push(if *enabled {
            Check::new(
                format!("feature-{feature}"),
                g,
                Status::Ok,
                format!("{feature} is enabled"),
            )
        } else {
            Check::new(
                format!("feature-{feature}"),
                g,
                Status::Warn,
                format!("{feature} is off: {needed_by} needs it"),
            )
            .with_fix(format!(
                "dism.exe /online /enable-feature /featurename:{feature} /all   # elevated; then restart"
            ))
        });
    }
    if let Some(status) = &probe.machine_status {
        checks.push(match status.to_lowercase().as_str() {
            "running" => Check::new("docker-machine-vm", g, Status::Ok, "the `default` VM is running"),
            "stopped" | "saved" | "paused" => Check::new(
                "docker-machine-vm",
                g,
                Status::Fail,
                format!("the `default` VM is {status}: the docker CLI has no engine to talk to"),
            )
            .with_fix("docker-machine start default"),
            _ => Check::new(
                "docker-machine-vm",
                g,
                Status::Fail,
                format!("the `default` VM is in state {status}"),
            )
            .with_fix("docker-machine rm -f default && dockup install   # a new VM; images in the old one are lost"),
        });
    }
    checks
}

/// `env`: the `DOCKER_*` variables of the caller's environment, as (name, value).
pub fn check_windows(facts: &WindowsFacts, env: &[(String, String)]) -> Vec<Check> {
    let mut checks = Vec::new();
    let g = "windows";
    checks.push(match facts.virtualization_enabled.ok() {
        Some(true) => Check::new("virtualization", g, Status::Ok, "hardware virtualization is enabled"),
        Some(false) => Check::new("virtualization", g, Status::Fail, "hardware virtualization is disabled in the firmware: neither Docker Desktop nor a docker-machine VM can start")
            .with_fix("enable Intel VT-x or AMD-V (SVM) in the BIOS/UEFI setup, then boot Windows again"),
        None => Check::new("virtualization", g, Status::Skipped, "whether virtualization is enabled is not known"),
    });
    checks.push(match facts.hyperv_capable.ok() {
        Some(true) => Check::new("hyperv", g, Status::Ok, "the CPU and firmware can run Hyper-V"),
        Some(false) => Check::new("hyperv", g, Status::Warn, "Hyper-V cannot run here (no SLAT or virtualization): Docker Desktop cannot either; Docker Toolbox (VirtualBox) can")
            .with_fix("dockup install --strategy toolbox"),
        None => Check::new("hyperv", g, Status::Skipped, "Hyper-V capability is not known"),
    });
    let server = facts.is_server().unwrap_or(false);
    if !server {
        checks.push(match facts.wsl_version.ok() {
            Some(v) => Check::new("wsl", g, Status::Ok, format!("WSL {v} is installed")),
            None if facts.current_build.ok().is_some_and(|b| *b >= 19041) => Check::new(
                "wsl",
                g,
                Status::Warn,
                "WSL is not installed: Docker Desktop's WSL 2 backend needs it",
            )
            .with_fix("wsl --install   # from an elevated prompt, then reboot"),
            None => Check::new(
                "wsl",
                g,
                Status::Ok,
                "this Windows has no WSL 2: Docker Toolbox or Hyper-V it is",
            ),
        });
    }
    if let Some(mb) = facts.memory_mb.ok() {
        checks.push(if *mb < 4096 {
            Check::new(
                "memory",
                g,
                Status::Warn,
                format!("{mb} MiB of memory: Docker Desktop needs 4 GiB"),
            )
        } else {
            Check::new("memory", g, Status::Ok, format!("{mb} MiB of memory"))
        });
    }
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    checks.push(match (var("DOCKER_HOST"), var("DOCKER_MACHINE_NAME")) {
        (None, Some(machine)) => Check::new("docker-machine-env", g, Status::Warn, format!("DOCKER_MACHINE_NAME={machine} but no DOCKER_HOST: the CLI looks for a local daemon"))
            .with_fix(format!("@FOR /f \"tokens=*\" %i IN ('docker-machine env {machine}') DO @%i")),
        (Some(host), _) if host.starts_with("tcp://") && var("DOCKER_CERT_PATH").is_none() && var("DOCKER_TLS_VERIFY") == Some("1") => {
            Check::new("docker-machine-env", g, Status::Fail, format!("DOCKER_HOST={host} with DOCKER_TLS_VERIFY=1 but no DOCKER_CERT_PATH: the CLI cannot authenticate"))
                .with_fix("docker-machine env default   # and run the lines it prints")
        }
        (Some(host), _) => Check::new("docker-machine-env", g, Status::Ok, format!("the CLI talks to DOCKER_HOST={host}")),
        (None, None) => Check::new("docker-machine-env", g, Status::Ok, "no DOCKER_HOST: the CLI uses the local engine (Docker Desktop's pipe)"),
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(checks: &[Check]) -> Vec<(&str, Status)> {
        checks.iter().map(|c| (c.id.as_str(), c.status)).collect()
    }

    #[test]
    fn docker_users_and_the_vm_are_checked_when_windows_answers() {
        let probe = WindowsProbe {
            user: Some("Ana".into()),
            docker_users: Some(vec!["administrator".into()]),
            machine_status: Some("Stopped".into()),
            features: vec![("VirtualMachinePlatform".into(), false)],
        };
        let checks = check_windows_probe(&probe);
        assert_eq!(
            ids(&checks),
            [
                ("docker-users", Status::Fail),
                ("feature-VirtualMachinePlatform", Status::Warn),
                ("docker-machine-vm", Status::Fail)
            ]
        );
        assert!(
            checks[0]
                .fix
                .as_deref()
                .unwrap()
                .contains("net localgroup docker-users \"Ana\" /add")
        );
        let feature_fix = checks[1].fix.as_deref().unwrap();
        assert!(feature_fix.contains("/featurename:VirtualMachinePlatform"));
        assert_eq!(
            checks[2].fix.as_deref(),
            Some("docker-machine start default")
        );
        let fine = WindowsProbe {
            user: Some("Ana".into()),
            docker_users: Some(vec!["ana".into()]),
            machine_status: Some("Running".into()),
            features: vec![("Microsoft-Hyper-V".into(), true)],
        };
        assert!(
            check_windows_probe(&fine)
                .iter()
                .all(|c| c.status == Status::Ok)
        );
        // A facts file from another machine: nothing to ask, nothing claimed.
        assert!(check_windows_probe(&WindowsProbe::default()).is_empty());
    }
}
