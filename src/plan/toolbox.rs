//! Windows 7/8 and Windows too old for Docker Desktop: what Docker Toolbox did, piece by piece
//! (VirtualBox, docker-machine, a boot2docker VM, the Docker CLI), with pinned downloads.

use super::desktop::DOWNLOADS;
use super::{Plan, PlanError, Step, artifact, machine_steps};
use crate::facts::WindowsFacts;
use crate::platform::{Artifact, Catalog};

pub(super) fn plan(w: &WindowsFacts, catalog: &Catalog) -> Result<Plan, PlanError> {
    let toolbox = &catalog.windows.toolbox;
    let build = *w.current_build.ok().ok_or(PlanError::MissingFact {
        what: "Windows build",
    })?;
    let vbox = virtualbox_for(catalog, build)?;
    let machine = artifact(catalog, "docker-machine-windows")?;
    let cli = artifact(catalog, "docker-cli-windows")?;
    let iso = artifact(catalog, "boot2docker-iso")?;
    let dir = &toolbox.install_dir;

    let mut plan = Plan::new();
    let vbox_path = format!(r"{DOWNLOADS}\{}", vbox.file);
    plan.push(Step::Download {
        artifact: vbox.clone(),
        dest: vbox_path.clone(),
    });
    plan.push(Step::RunInstaller {
        name: format!("VirtualBox {}", vbox.version),
        program: vbox_path,
        args: vec![
            "--silent".into(),
            "--ignore-reboot".into(),
            "--msiparams".into(),
            "REBOOT=ReallySuppress".into(),
        ],
        log: None,
    });
    plan.push(Step::Download {
        artifact: machine.clone(),
        dest: format!(r"{dir}\docker-machine.exe"),
    });
    let cli_path = format!(r"{DOWNLOADS}\{}", cli.file);
    plan.push(Step::Download {
        artifact: cli.clone(),
        dest: cli_path.clone(),
    });
    plan.push(Step::Extract {
        archive: cli_path,
        members: vec!["docker/docker.exe".into()],
        dest: dir.clone(),
    });
    plan.push(Step::AddToPath {
        dir: dir.clone(),
        system_wide: false,
    });
    // docker-machine looks for the ISO in its cache before asking GitHub for the newest one.
    let iso_path = format!(r"%USERPROFILE%\.docker\machine\cache\{}", iso.file);
    machine_steps(&mut plan, catalog, iso_path.clone(), iso_path, None)?;
    plan.notes.push(format!(
        "open a new terminal for the environment to apply; `docker-machine start {}` after a reboot",
        toolbox.machine_name
    ));
    Ok(plan)
}

/// The newest VirtualBox line that still supports this Windows build as a host.
fn virtualbox_for(catalog: &Catalog, build: u64) -> Result<&Artifact, PlanError> {
    catalog
        .artifacts
        .iter()
        .filter(|a| a.key.starts_with("virtualbox-win-"))
        .find(|a| a.min_build.is_none_or(|m| build >= m) && a.max_build.is_none_or(|m| build <= m))
        .ok_or_else(|| PlanError::Catalog {
            what: format!("VirtualBox release for Windows build {build}"),
        })
}
