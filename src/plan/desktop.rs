//! Docker Desktop on Windows 10/11, with the WSL 2 or the Hyper-V backend.

use super::{Plan, PlanError, PlanOptions, Step, artifact, dotted_lt};
use crate::facts::{Arch, WindowsFacts};
use crate::platform::{Catalog, Decision, Strategy};

pub(super) const DOWNLOADS: &str = r"C:\ProgramData\dockup\downloads";

pub(super) fn plan(
    w: &WindowsFacts,
    decision: &Decision,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let desktop = &catalog.windows.desktop;
    let wsl = decision.strategy == Strategy::DesktopWsl2;
    let key = match w.arch.ok() {
        Some(Arch::Aarch64) => "docker-desktop-arm64",
        _ => "docker-desktop-amd64",
    };
    let installer = artifact(catalog, key)?;
    let installer_path = format!(r"{DOWNLOADS}\{}", installer.file);

    let mut plan = Plan::new();
    plan.push(Step::Download {
        artifact: installer.clone(),
        dest: installer_path.clone(),
    });
    plan.push(Step::EnableWindowsFeatures {
        features: if wsl {
            desktop.wsl_features.clone()
        } else {
            desktop.hyperv_features.clone()
        },
    });
    if wsl {
        let (argv, why) = match w.wsl_version.ok() {
            None => (
                vec!["wsl.exe", "--install", "--no-distribution"],
                "Install WSL (no Linux distribution is needed for Docker Desktop)".to_string(),
            ),
            Some(v) if dotted_lt(v, &desktop.min_wsl_version) => (
                vec!["wsl.exe", "--update"],
                format!("Update WSL {v} to {} or later", desktop.min_wsl_version),
            ),
            Some(_) => (vec![], String::new()),
        };
        if !argv.is_empty() {
            plan.push(Step::Run {
                argv: argv.into_iter().map(String::from).collect(),
                why,
            });
        }
    }
    plan.push(Step::RebootAndResume {
        resume_args: vec!["install".into(), "--resume".into()],
    });
    let backend = if wsl { "wsl-2" } else { "hyper-v" };
    plan.push(Step::RunInstaller {
        name: format!("Docker Desktop {}", installer.version),
        program: installer_path,
        args: vec![
            "install".into(),
            "--quiet".into(),
            "--accept-license".into(),
            format!("--backend={backend}"),
        ],
        log: Some(desktop.install_log.clone()),
    });
    plan.push(Step::AddUserToGroup {
        user: opts.add_user.clone(),
        group: "docker-users".into(),
        windows: true,
    });
    plan.push(Step::Run {
        argv: vec![format!(r"{}\Docker Desktop.exe", desktop.install_dir)],
        why: "Start Docker Desktop".into(),
    });
    plan.push(Step::Verify {
        argv: vec!["docker".into(), "version".into()],
    });
    plan.notes
        .push("membership of docker-users takes effect at the next sign-in".into());
    Ok(plan)
}
