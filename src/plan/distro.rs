//! The distribution's own Docker package.

use super::{PackageManager, PackageSpec, Plan, PlanError, PlanOptions, Step, finish_linux};
use crate::facts::LinuxFacts;
use crate::platform::Decision;

pub(super) fn plan(
    linux: &LinuxFacts,
    decision: &Decision,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let choice = decision
        .distro_choice
        .as_ref()
        .ok_or_else(|| PlanError::Unsupported {
            reasons: decision.reasons.clone(),
        })?;
    let mut plan = Plan::new();
    for argv in &choice.before {
        plan.push(Step::Run {
            argv: argv.clone(),
            why: format!("Make {} available", choice.packages.join(", ")),
        });
    }
    if choice.manager == PackageManager::Apk {
        plan.steps
            .extend(enable_alpine_community(&linux.apk_repositories));
    }
    if choice.manager.refresh_argv().is_some() && choice.manager != PackageManager::Emerge {
        plan.push(Step::RefreshIndex {
            manager: choice.manager,
            only_source: None,
        });
    }
    plan.push(Step::InstallPackages {
        manager: choice.manager,
        packages: choice
            .packages
            .iter()
            .map(|p| PackageSpec::new(p))
            .collect(),
        only_missing: false,
    });
    finish_linux(&mut plan, decision, opts);
    Ok(plan)
}

/// Alpine's Docker is in `community`, which minimal installs leave commented out. The line is
/// derived from the enabled `main` line, so the host's own mirror and release are kept.
fn enable_alpine_community(lines: &[String]) -> Option<Step> {
    let enabled = |l: &&String| !l.trim_start().starts_with('#') && !l.trim().is_empty();
    if lines
        .iter()
        .filter(enabled)
        .any(|l| l.trim_end().ends_with("/community"))
    {
        return None;
    }
    let main = lines
        .iter()
        .filter(enabled)
        .find(|l| l.trim_end().ends_with("/main"))?;
    let community = format!("{}/community", main.trim_end().trim_end_matches("/main"));
    let mut contents: Vec<String> = lines
        .iter()
        .filter(|l| l.trim_start_matches('#').trim() != community)
        .cloned()
        .collect();
    while contents.last().is_some_and(|l| l.trim().is_empty()) {
        contents.pop();
    }
    contents.push(community);
    Some(Step::WriteFile {
        path: "/etc/apk/repositories".into(),
        contents: contents.join("\n") + "\n",
        mode: 0o644,
        why: "Enable Alpine's community repository, where Docker is packaged".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn community_is_enabled_from_main() {
        let lines: Vec<String> = [
            "https://dl-cdn.alpinelinux.org/alpine/v3.19/main",
            "#https://dl-cdn.alpinelinux.org/alpine/v3.19/community",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let Some(Step::WriteFile { contents, .. }) = enable_alpine_community(&lines) else {
            panic!("expected a WriteFile step");
        };
        assert_eq!(
            contents,
            "https://dl-cdn.alpinelinux.org/alpine/v3.19/main\nhttps://dl-cdn.alpinelinux.org/alpine/v3.19/community\n"
        );
        let enabled = vec![
            lines[0].clone(),
            lines[1].trim_start_matches('#').to_string(),
        ];
        assert_eq!(enable_alpine_community(&enabled), None);
    }
}
