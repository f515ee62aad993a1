//! Windows Server: Docker Engine as a Windows service, from Docker's static zip.

use super::desktop::DOWNLOADS;
use super::{Plan, PlanError, Step, artifact};
use crate::platform::Catalog;

pub(super) fn plan(catalog: &Catalog) -> Result<Plan, PlanError> {
    let server = &catalog.windows.server;
    let engine = artifact(catalog, "docker-engine-windows")?;
    let dir = &server.install_dir;
    let zip = format!(r"{DOWNLOADS}\{}", engine.file);
    let mut plan = Plan::new();
    plan.push(Step::EnableWindowsFeatures {
        features: server.features.clone(),
    });
    plan.push(Step::RebootAndResume {
        resume_args: vec!["install".into(), "--resume".into()],
    });
    plan.push(Step::Download {
        artifact: engine.clone(),
        dest: zip.clone(),
    });
    plan.push(Step::Extract {
        archive: zip,
        members: vec!["docker/dockerd.exe".into(), "docker/docker.exe".into()],
        dest: dir.clone(),
    });
    plan.push(Step::AddToPath {
        dir: dir.clone(),
        system_wide: true,
    });
    plan.push(Step::Run {
        argv: vec![format!(r"{dir}\dockerd.exe"), "--register-service".into()],
        why: "Register dockerd as the `docker` Windows service".into(),
    });
    plan.push(Step::Run {
        argv: vec!["sc.exe".into(), "start".into(), "docker".into()],
        why: "Start the docker service".into(),
    });
    plan.push(Step::Verify {
        argv: vec!["docker".into(), "version".into()],
    });
    plan.notes.push(
        "this engine runs Windows containers; Linux containers need Docker Desktop or a Linux VM"
            .into(),
    );
    Ok(plan)
}
