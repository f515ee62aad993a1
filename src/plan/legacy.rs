//! EL6: docker-io 1.7.1 from the EPEL 6 archive, behind a loud confirmation.

use super::{PackageManager, PackageSpec, Plan, PlanError, PlanOptions, Step, finish_linux};
use crate::platform::{Catalog, Decision};

pub(super) fn plan(
    decision: &Decision,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let legacy = &catalog.legacy;
    let fingerprint = legacy
        .key_fingerprint
        .parse()
        .map_err(|_| PlanError::Catalog {
            what: "valid EPEL 6 key fingerprint".into(),
        })?;
    let mut plan = Plan::new();
    plan.push(Step::Confirm {
        message: format!(
            "{} {} is from 2015, unmaintained, and has known security holes. A current Docker \
             can run in a VM instead (--strategy vm). Install {} {} anyway?",
            legacy.package, legacy.version, legacy.package, legacy.version
        ),
        flag: "--accept-legacy".into(),
    });
    plan.push(Step::AddSigningKey {
        url: legacy.key_url.clone(),
        fingerprint,
        dest: legacy.key_path.clone(),
        rpm_import: true,
        dearmor: false,
    });
    plan.push(Step::WriteFile {
        path: format!("/etc/yum.repos.d/{}.repo", legacy.repo_name),
        contents: format!(
            "[{name}]\nname=EPEL 6 (archived) - $basearch\nbaseurl={url}\nenabled=1\ngpgcheck=1\n\
             gpgkey=file://{key}\n",
            name = legacy.repo_name,
            url = legacy.repo_url,
            key = legacy.key_path
        ),
        mode: 0o644,
        why: "Add the EPEL 6 archive, where the last EL6 Docker lives".into(),
    });
    // yum takes `name-version` literally.
    plan.push(Step::InstallPackages {
        manager: PackageManager::Yum,
        packages: vec![PackageSpec::new(&format!(
            "{}-{}",
            legacy.package, legacy.version
        ))],
        only_missing: false,
    });
    finish_linux(&mut plan, decision, opts);
    plan.notes.push(
        "CentOS 6's own mirrors moved to vault.centos.org; if yum cannot reach its base \
         repositories, point them there first"
            .into(),
    );
    Ok(plan)
}
