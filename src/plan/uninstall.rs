//! Taking Docker off a machine: the packages, the repository and key dockup added, and only with
//! --purge the images, containers and volumes.

use super::{InstallRoot, Plan, PlanError, Step, aim_at_root};
use crate::facts::{Facts, InitSystem};
use crate::platform::{Catalog, Decision, RepoFormat, Strategy};

/// Where Docker and containerd keep their data.
const DATA_DIRS: [&str; 2] = ["/var/lib/docker", "/var/lib/containerd"];

/// `install_root`: take Docker out of the tree at this directory instead (nothing runs there, so
/// nothing is stopped).
pub fn build(
    facts: &Facts,
    decision: &Decision,
    catalog: &Catalog,
    purge: bool,
    install_root: Option<&str>,
) -> Result<Plan, PlanError> {
    if !matches!(facts, Facts::Linux { .. })
        || !matches!(decision.strategy, Strategy::Repo | Strategy::Distro)
    {
        return Err(PlanError::Unsupported {
            reasons: vec![format!(
                "dockup can only uninstall what the repo and distro strategies install; this \
                 machine's strategy is {}",
                decision.strategy
            )],
        });
    }
    let mut plan = Plan::new();
    plan.strategy = decision.strategy;
    if install_root.is_none() {
        plan.push(Step::StopDaemon {
            init: decision.init.unwrap_or(InitSystem::Unknown),
        });
    }
    // Both ways may have been used on this machine: remove whatever of either is installed.
    let mut files = Vec::new();
    if let Some(repo) = &decision.repo_choice {
        let mut packages = catalog.repo.packages.clone();
        packages.push("docker-ce-rootless-extras".into());
        plan.push(Step::UninstallPackages {
            manager: repo.manager,
            packages,
        });
        match repo.format {
            RepoFormat::Apt => files.extend([
                "/etc/apt/sources.list.d/docker.list".to_string(),
                catalog.keys.apt.path.clone(),
                "/etc/apt/keyrings/docker.gpg".into(),
                "/etc/apt/trusted.gpg.d/docker.gpg".into(),
            ]),
            RepoFormat::Rpm => files.extend([
                "/etc/yum.repos.d/docker-ce.repo".to_string(),
                "/etc/zypp/repos.d/docker-ce.repo".into(),
                catalog.keys.rpm.path.clone(),
            ]),
        }
    }
    if let Some(distro) = &decision.distro_choice {
        match plan.steps.last_mut() {
            Some(Step::UninstallPackages { manager, packages }) if *manager == distro.manager => {
                packages.extend(distro.packages.iter().cloned());
            }
            _ => plan.push(Step::UninstallPackages {
                manager: distro.manager,
                packages: distro.packages.clone(),
            }),
        }
    }
    if !files.is_empty() {
        plan.push(Step::RemoveFiles { paths: files });
    }
    if purge {
        plan.push(Step::RemoveData {
            dirs: DATA_DIRS.iter().map(|d| d.to_string()).collect(),
        });
    } else {
        plan.notes.push(format!(
            "images, containers and volumes are kept in {}; `dockup uninstall --purge` deletes them",
            DATA_DIRS.join(" and ")
        ));
    }
    if let Some(dir) = install_root {
        let releasever = decision
            .repo_choice
            .as_ref()
            .filter(|r| r.format == RepoFormat::Rpm)
            .map(|r| r.release.clone());
        let root = InstallRoot::new(dir, releasever);
        aim_at_root(&mut plan, &root);
        plan.root = Some(root);
    }
    Ok(plan)
}
