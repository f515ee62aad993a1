//! Linux kernels older than 3.10: a current Docker in a VirtualBox VM managed by docker-machine.

use super::{LINUX_DOWNLOADS, Plan, PlanError, Step, artifact, machine_steps};
use crate::platform::{Catalog, Decision};

pub(super) fn plan(_decision: &Decision, catalog: &Catalog) -> Result<Plan, PlanError> {
    let vbox = artifact(catalog, "virtualbox-linux")?;
    let machine = artifact(catalog, "docker-machine-linux")?;
    let cli = artifact(catalog, "docker-static-linux-x86_64")?;
    let iso = artifact(catalog, "boot2docker-iso")?;
    let toolbox = &catalog.windows.toolbox;
    let mut plan = Plan::new();
    let vbox_path = format!("{LINUX_DOWNLOADS}/{}", vbox.file);
    plan.push(Step::Download {
        artifact: vbox.clone(),
        dest: vbox_path.clone(),
    });
    plan.push(Step::RunInstaller {
        name: format!("VirtualBox {}", vbox.version),
        program: "sh".into(),
        args: vec![vbox_path, "--nox11".into()],
        log: Some("/var/log/vbox-setup.log".into()),
    });
    plan.push(Step::Download {
        artifact: machine.clone(),
        dest: "/usr/local/bin/docker-machine".into(),
    });
    let cli_path = format!("{LINUX_DOWNLOADS}/{}", cli.file);
    plan.push(Step::Download {
        artifact: cli.clone(),
        dest: cli_path.clone(),
    });
    plan.push(Step::Extract {
        archive: cli_path,
        members: vec!["docker/docker".into()],
        dest: "/usr/local/bin".into(),
    });
    let iso_path = format!("{LINUX_DOWNLOADS}/{}", iso.file);
    let iso_url = format!("file://{iso_path}");
    machine_steps(
        &mut plan,
        catalog,
        iso_path,
        iso_url,
        Some("~/.profile".into()),
    )?;
    plan.notes.push(format!(
        "docker runs inside the `{}` VM; `docker-machine ssh {}` opens a shell there",
        toolbox.machine_name, toolbox.machine_name
    ));
    Ok(plan)
}
