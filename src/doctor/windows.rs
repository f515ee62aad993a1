//! The windows group, from Windows facts (live, or `--facts FILE` from another machine):
//! virtualization, Hyper-V, WSL, memory, and where the docker CLI points (docker-machine's
//! environment variables).

use super::{Check, Status};
use crate::facts::WindowsFacts;

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
