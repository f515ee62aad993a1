//! The Windows choice: Docker Engine on Server, Docker Desktop where its minimums are met,
//! Toolbox (VirtualBox + docker-machine) on Windows too old for Desktop.

use super::{Catalog, Decision, DecisionError, Family, Strategy};
use crate::facts::{Arch, WindowsFacts};

pub(super) fn decide(w: &WindowsFacts, catalog: &Catalog) -> Result<Decision, DecisionError> {
    let cat = &catalog.windows;
    let mut d = Decision::new(Strategy::Unsupported, Family::Windows, w.to_string());

    if w.is_server()? {
        let build = *w.current_build.get("current_build")?;
        if build >= cat.server.min_build {
            d.strategy = Strategy::ServerEngine;
            d.reasons.push(format!(
                "{}: Docker Engine runs as a Windows service for Windows containers \
                 (Docker Desktop does not support Windows Server)",
                w.marketing_name().unwrap_or_default()
            ));
        } else {
            d.reasons.push(format!(
                "Windows containers need Windows Server 2016 (build {}) or later; this is build {build}",
                cat.server.min_build
            ));
        }
        return Ok(d);
    }

    let arch = w.arch.get("arch")?.clone();
    if !arch.is_64bit() {
        d.reasons.push(
            "this is 32-bit Windows: Docker Desktop and Docker Toolbox both need 64-bit Windows \
             (a 64-bit CPU can run 64-bit Windows after a reinstall)"
                .into(),
        );
        return Ok(d);
    }
    let build = *w.current_build.get("current_build")?;
    if build < cat.toolbox.min_build {
        d.reasons.push(format!(
            "build {build} is older than Windows 7 SP1 (build {}), the oldest Windows any Docker \
             ran on",
            cat.toolbox.min_build
        ));
        return Ok(d);
    }

    let desktop = &cat.desktop;
    let is_win11 = build >= desktop.windows11_first_build;
    let build_ok = if is_win11 {
        build >= desktop.windows11_min_build
    } else {
        build >= desktop.windows10_min_build
    };
    let arch_ok = arch == Arch::X86_64 || build >= desktop.arm64_min_build;
    let name = w.marketing_name().unwrap_or_default();
    let mut desktop_blockers = Vec::new();
    if !build_ok {
        desktop_blockers.push(if is_win11 {
            format!(
                "Docker Desktop needs Windows 11 23H2 (build {}) or later; this is build {build}",
                desktop.windows11_min_build
            )
        } else {
            format!(
                "Docker Desktop needs Windows 10 22H2 (build {}) or Windows 11 23H2 (build {}); \
                 this is {name} build {build}",
                desktop.windows10_min_build, desktop.windows11_min_build
            )
        });
    } else if !arch_ok {
        desktop_blockers.push(format!(
            "Docker Desktop for Arm needs Windows 11 23H2 (build {}) or later",
            desktop.arm64_min_build
        ));
    }
    if desktop_blockers.is_empty() {
        let memory = *w.memory_mb.get("memory_mb")?;
        if memory < desktop.min_memory_mb {
            desktop_blockers.push(format!(
                "Docker Desktop needs {} MB of RAM; this machine has {memory} MB",
                desktop.min_memory_mb
            ));
        }
    }

    let virtualization = *w.virtualization_enabled.get("virtualization_enabled")?;
    let enable_vt = "hardware virtualization (Intel VT-x / AMD-V) is disabled in the firmware: \
                     enable it in the BIOS/UEFI setup, then run dockup again";

    if desktop_blockers.is_empty() {
        if !virtualization {
            d.reasons.push(enable_vt.into());
            d.alternative_after(
                Strategy::DesktopWsl2,
                "Docker Desktop with the WSL 2 backend",
                "hardware virtualization enabled in the firmware",
            );
            return Ok(d);
        }
        d.strategy = Strategy::DesktopWsl2;
        d.reasons.push(format!(
            "{name} (build {build}) meets Docker Desktop's minimums, with virtualization enabled"
        ));
        match w.wsl_version.ok() {
            Some(v) => d.reasons.push(format!("WSL {v} is installed")),
            None => d
                .reasons
                .push("WSL is not installed yet: the plan enables and installs it".into()),
        }
        let edition = w.edition_id.ok().cloned().unwrap_or_default();
        let hyperv_edition = desktop
            .hyperv_editions
            .iter()
            .any(|e| edition.starts_with(e.as_str()));
        let hyperv_capable = w.hyperv_capable.ok().copied().unwrap_or(true);
        if hyperv_edition && hyperv_capable {
            d.alternative(
                Strategy::DesktopHyperv,
                format!("Docker Desktop with the Hyper-V backend ({edition} has Hyper-V)"),
            );
        } else if !hyperv_edition {
            d.alternative_after(
                Strategy::DesktopHyperv,
                "Docker Desktop with the Hyper-V backend",
                format!(
                    "Docker Desktop's hyper-v backend needs Windows Pro, Enterprise or Education; \
                     this edition is {}: use desktop-wsl2",
                    if edition.is_empty() {
                        "unknown"
                    } else {
                        &edition
                    }
                ),
            );
        } else {
            d.alternative_after(
                Strategy::DesktopHyperv,
                "Docker Desktop with the Hyper-V backend",
                "this CPU cannot run hyper-v (no second-level address translation)",
            );
        }
        return Ok(d);
    }

    d.reasons.extend(desktop_blockers);
    if arch != Arch::X86_64 {
        d.reasons.push(format!(
            "Docker Toolbox (VirtualBox) only runs on x86_64 Windows, and this is {arch}: update \
             Windows to 11 23H2 or later for Docker Desktop for Arm"
        ));
        return Ok(d);
    }
    if !virtualization {
        d.reasons.push(enable_vt.into());
        return Ok(d);
    }
    d.strategy = Strategy::Toolbox;
    d.reasons.push(
        "Docker Toolbox's way works here: VirtualBox runs a small boot2docker VM managed by \
         docker-machine, and the Docker CLI on Windows talks to it"
            .into(),
    );
    d.warnings.push(
        "Docker Toolbox is retired: boot2docker 19.03.12 is its last engine and gets no fixes; \
         update Windows for Docker Desktop when you can"
            .into(),
    );
    if !build_ok || !arch_ok {
        d.alternative_after(
            Strategy::DesktopWsl2,
            "Docker Desktop with the WSL 2 backend",
            format!(
                "Windows 10 22H2 (build {}) or Windows 11 23H2 (build {}) or later",
                desktop.windows10_min_build, desktop.windows11_min_build
            ),
        );
    }
    Ok(d)
}
