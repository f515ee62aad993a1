//! Docker's own repository: the way Docker documents for each distribution, done exactly.

use super::{
    InstallRoot, MirrorUrl, PackageManager, PackageSpec, Plan, PlanError, PlanOptions, Step,
    conflicts_step, finish_linux, required_arch,
};
use crate::facts::LinuxFacts;
use crate::platform::{AptKeyStyle, Catalog, Decision, RepoChoice, RepoFormat};

pub(super) fn plan(
    linux: &LinuxFacts,
    decision: &Decision,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let repo = decision
        .repo_choice
        .as_ref()
        .ok_or_else(|| PlanError::Unsupported {
            reasons: decision.reasons.clone(),
        })?;
    let requested = match (&opts.version, &repo.version_series) {
        (Some(v), Some(series)) if v.is_beyond_series(series) => {
            return Err(PlanError::VersionUnavailable {
                requested: v.to_string(),
                repo: repo.slug(),
                series: series.clone(),
            });
        }
        (Some(v), _) => Some(v.clone()),
        (None, Some(series)) => series.parse().ok(),
        (None, None) => None,
    };
    let base =
        match &opts.mirror {
            None => catalog.repo.base_url.clone(),
            Some(MirrorUrl::Url(url)) => url.clone(),
            Some(MirrorUrl::Named(name)) => catalog
                .mirror(name)
                .map(|m| m.url.clone())
                .ok_or_else(|| PlanError::UnknownMirror {
                    name: name.clone(),
                    known: catalog
                        .mirrors
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?,
        };
    let tree = format!("{base}/linux/{}", repo.target);
    let pin = match repo.format {
        RepoFormat::Apt => &catalog.keys.apt,
        RepoFormat::Rpm => &catalog.keys.rpm,
    };
    let fingerprint = match &opts.key_fingerprint {
        Some(f) => f.clone(),
        None => pin.fingerprint.parse().map_err(|_| PlanError::Catalog {
            what: format!("valid key fingerprint for {}", repo.target),
        })?,
    };

    let mut plan = Plan::new();
    let conflicts = match repo.format {
        RepoFormat::Apt => conflicts_step(linux, repo.manager, &catalog.conflicts.apt, "dpkg"),
        RepoFormat::Rpm => conflicts_step(linux, repo.manager, &catalog.conflicts.rpm, "rpm"),
    };
    plan.steps.extend(conflicts);
    if repo.format == RepoFormat::Apt && tree.starts_with("https://") {
        plan.steps.extend(https_prerequisites(linux, repo));
    }
    let (key_path, signed_by) = match (repo.format, repo.apt_key) {
        (RepoFormat::Rpm, _) | (_, AptKeyStyle::Asc) => (pin.path.clone(), true),
        (_, AptKeyStyle::Gpg) => ("/etc/apt/keyrings/docker.gpg".to_string(), true),
        (_, AptKeyStyle::Trusted) => ("/etc/apt/trusted.gpg.d/docker.gpg".to_string(), false),
    };
    plan.push(Step::AddSigningKey {
        url: format!("{tree}/gpg"),
        fingerprint,
        dest: key_path.clone(),
        rpm_import: repo.format == RepoFormat::Rpm,
        dearmor: repo.format == RepoFormat::Apt && repo.apt_key != AptKeyStyle::Asc,
    });
    match repo.format {
        RepoFormat::Apt => {
            let arch = required_arch(repo.arch.as_ref())?;
            let signed_by = if signed_by {
                format!(" signed-by={key_path}")
            } else {
                String::new()
            };
            let line = format!(
                "deb [arch={arch}{signed_by}] {tree} {} {}",
                repo.release,
                opts.channel.name()
            );
            plan.push(Step::WriteFile {
                path: "/etc/apt/sources.list.d/docker.list".into(),
                contents: format!("{line}\n"),
                mode: 0o644,
                why: "Add Docker's apt repository".into(),
            });
            plan.push(Step::RefreshIndex {
                manager: PackageManager::Apt,
                only_source: Some("sources.list.d/docker.list".into()),
            });
        }
        RepoFormat::Rpm => {
            let dir = match repo.manager {
                PackageManager::Zypper => "/etc/zypp/repos.d",
                _ => "/etc/yum.repos.d",
            };
            plan.push(Step::WriteFile {
                path: format!("{dir}/docker-ce.repo"),
                // dnf --installroot reads gpgkey= paths on the host, not in the root.
                contents: rpm_repo_file(
                    repo,
                    &tree,
                    &opts.install_root.as_deref().map_or(key_path.clone(), |d| {
                        InstallRoot::new(d, None).host_path(&key_path)
                    }),
                    opts.channel.name(),
                ),
                mode: 0o644,
                why: "Add Docker's rpm repository".into(),
            });
        }
    }
    let mut packages: Vec<PackageSpec> = catalog
        .repo
        .packages
        .iter()
        .map(|p| PackageSpec::new(p))
        .collect();
    if let Some(req) = &requested {
        if !req.is_exact_package_version() {
            plan.push(Step::ResolveVersion {
                manager: repo.manager,
                package: "docker-ce".into(),
                requested: req.clone(),
            });
        }
        for p in packages.iter_mut() {
            if catalog.repo.versioned.contains(&p.name) {
                p.pin = Some(req.clone());
            }
        }
    }
    plan.push(Step::InstallPackages {
        manager: repo.manager,
        packages,
        only_missing: false,
    });
    finish_linux(&mut plan, decision, opts);
    Ok(plan)
}

/// A repo file like Docker's own docker-ce.repo, but with the release filled in (Docker's uses
/// `$releasever`, which is `9.4` on some rebuilds and `9` on others) and the key read from the
/// file dockup verified, so dnf never fetches an unverified key.
/// The architecture is written out when the facts know it: `$basearch` is the architecture of
/// whoever runs dnf, which for an image built with --root need not be the image's.
fn rpm_repo_file(repo: &RepoChoice, tree: &str, key_path: &str, channel: &str) -> String {
    let arch = repo.arch.as_deref().unwrap_or("$basearch");
    // zypper would otherwise probe each repository for its type on every refresh.
    let kind = if repo.manager == PackageManager::Zypper {
        "type=rpm-md\n"
    } else {
        ""
    };
    let mut out = String::new();
    for section in ["stable", "test"] {
        let title = match section {
            "stable" => "Stable",
            _ => "Test",
        };
        // Like get.docker.com: the test channel is added on top of stable.
        let enabled = u8::from(section == "stable" || section == channel);
        out.push_str(&format!(
            "[docker-ce-{section}]\nname=Docker CE {title} - {arch}\n\
             baseurl={tree}/{}/{arch}/{section}\n{kind}enabled={enabled}\ngpgcheck=1\n\
             gpgkey=file://{key_path}\n\n",
            repo.release
        ));
    }
    out.trim_end().to_string() + "\n"
}

/// apt verifies https with the system CA bundle (ca-certificates), and apt before 1.5 needs the
/// apt-transport-https method too. Minimal images often lack both.
fn https_prerequisites(linux: &LinuxFacts, repo: &RepoChoice) -> Vec<Step> {
    let mut needed = vec!["ca-certificates"];
    if repo.https_transport {
        needed.push("apt-transport-https");
    }
    let known = linux.docker.package_db.as_deref() == Some("dpkg");
    let missing: Vec<PackageSpec> = needed
        .into_iter()
        .filter(|p| !known || !linux.support_packages.iter().any(|s| s == p))
        .map(PackageSpec::new)
        .collect();
    if missing.is_empty() {
        return Vec::new();
    }
    let install = Step::InstallPackages {
        manager: PackageManager::Apt,
        packages: missing,
        only_missing: !known,
    };
    if !known {
        // The executor checks dpkg first and refreshes the index only if something is missing.
        return vec![install];
    }
    vec![
        Step::RefreshIndex {
            manager: PackageManager::Apt,
            only_source: None,
        },
        install,
    ]
}
