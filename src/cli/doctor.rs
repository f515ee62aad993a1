//! `dockup doctor`: the checks for this machine, a tree (--root) or a Windows facts file, then
//! the safe fixes (--fix) and the support bundle (--bundle).

use super::args::{DoctorArgs, MachineArgs};
use super::{ExitCode, Failure, catalog};
use crate::facts::{Facts, HostRoot};
use crate::platform::{self, DecideOptions};
use crate::ui;

/// Exit 0 healthy, 1 problems found, 2 could not check (README).
pub(super) fn doctor(machine: &MachineArgs, args: &DoctorArgs) -> Result<ExitCode, Failure> {
    if let Some(file) = &machine.facts {
        // Windows is diagnosed from its facts; a Linux machine needs its files (--root).
        let facts =
            Facts::from_file(file).map_err(|e| Failure::new(ExitCode::BadInput, &e, e.help()))?;
        let Facts::Windows { windows } = facts else {
            return Err(Failure::new(
                ExitCode::Usage,
                "doctor reads a Linux machine's files; --facts only describes one",
                Some("use --root DIR for a tree".into()),
            ));
        };
        let checks = crate::doctor::check_windows(&windows, &docker_env(false));
        return doctor_report(machine, args, &checks, &[]);
    }
    let root = match &machine.root {
        Some(dir) => HostRoot::at(dir),
        None => HostRoot::live(),
    };
    #[cfg(windows)]
    if machine.root.is_none()
        && let Ok(Facts::Windows { windows }) = Facts::from_live_host()
    {
        let mut checks = crate::doctor::check_windows(&windows, &docker_env(true));
        let probe = crate::doctor::WindowsProbe::gather(&crate::exec::SystemRunner);
        checks.extend(crate::doctor::check_windows_probe(&probe));
        return doctor_report(machine, args, &checks, &[]);
    }
    let (mut checks, linux) = doctor_checks(machine, args, &root)?;
    let mut fixes = Vec::new();
    if args.fix
        && let Some(linux) = &linux
    {
        fixes = doctor_fix(&root, linux, &checks, args.yes, machine.json);
        if fixes.iter().any(|f| f["applied"] == true) {
            checks = doctor_checks(machine, args, &root)?.0;
        }
    }
    if let Some(path) = &args.bundle {
        let files = crate::doctor::bundle_files(&root, doctor_user(args, &root).as_deref());
        let json = serde_json::to_string_pretty(&doctor_json(&checks, &fixes)).unwrap_or_default();
        let text = ui::doctor_text(&checks, &ui::Style::for_stream(false), true);
        crate::doctor::write_bundle(path, &json, &text, &files)
            .map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
    }
    doctor_report(machine, args, &checks, &fixes)
}

fn doctor_json(checks: &[crate::doctor::Check], fixes: &[serde_json::Value]) -> serde_json::Value {
    let mut json = serde_json::json!({"checks": checks, "exit": crate::doctor::verdict(checks)});
    if !fixes.is_empty() {
        json["fixes"] = serde_json::Value::from(fixes.to_vec());
    }
    json
}

fn doctor_report(
    machine: &MachineArgs,
    args: &DoctorArgs,
    checks: &[crate::doctor::Check],
    fixes: &[serde_json::Value],
) -> Result<ExitCode, Failure> {
    let code = crate::doctor::verdict(checks);
    if machine.json {
        ui::print_json(&doctor_json(checks, fixes));
    } else {
        let style = ui::Style::stdout();
        ui::print(&ui::doctor_text(checks, &style, args.all));
        ui::print(&ui::doctor_fixes_text(fixes, &style));
        if let Some(path) = &args.bundle {
            ui::print(&format!("support bundle: {}\n", path.display()));
        }
    }
    Ok(match code {
        0 => ExitCode::Success,
        1 => ExitCode::Failed,
        _ => ExitCode::Usage,
    })
}

/// The kernel, install and daemon checks, and the Linux facts they were made from.
fn doctor_checks(
    machine: &MachineArgs,
    args: &DoctorArgs,
    root: &HostRoot,
) -> Result<(Vec<crate::doctor::Check>, Option<crate::facts::LinuxFacts>), Failure> {
    use crate::doctor::{DaemonOptions, KernelCatalog, check_daemon, check_install, check_kernel};
    let kernel = KernelCatalog::builtin().map_err(|e| Failure::new(ExitCode::Failed, e, None))?;
    let mut checks = check_kernel(root, &kernel, args.kernel_config.as_deref());
    if args.kernel_only {
        return Ok((checks, None));
    }
    let facts =
        Facts::from_root(root).map_err(|e| Failure::new(ExitCode::BadInput, &e, e.help()))?;
    let Facts::Linux { linux } = &facts else {
        return Ok((checks, None));
    };
    checks.extend(crate::doctor::check_runtime(root, linux));
    let catalog = catalog()?;
    let opts = DecideOptions {
        strategy: None,
        assume_distro: machine.assume_distro.clone(),
    };
    if let Ok(decision) = platform::decide(&facts, &catalog, &opts) {
        checks.extend(check_install(
            root,
            linux,
            &decision,
            &catalog,
            args.key_fingerprint.as_ref(),
        ));
    }
    // The caller's environment describes this machine only, not a tree under --root.
    let env = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
            .filter(|_| root.is_live())
    };
    let daemon = DaemonOptions {
        user: doctor_user(args, root),
        shell_proxy: env(&["https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"]),
        docker_host: env(&["DOCKER_HOST"]),
    };
    checks.extend(check_daemon(root, linux, &daemon));
    Ok((checks, Some(linux.clone())))
}

fn doctor_user(args: &DoctorArgs, root: &HostRoot) -> Option<String> {
    args.user
        .clone()
        .or_else(|| crate::doctor::invoking_user(root))
}

/// The DOCKER_* variables docker-machine sets, from this process's environment when `live`.
fn docker_env(live: bool) -> Vec<(String, String)> {
    if !live {
        return Vec::new();
    }
    std::env::vars()
        .filter(|(k, _)| k.starts_with("DOCKER_"))
        .collect()
}

/// Applies the safe fixes the checks offer, each after a yes (or with -y); the daemon is started
/// last, once its configuration and pid file are sorted out.
fn doctor_fix(
    root: &HostRoot,
    linux: &crate::facts::LinuxFacts,
    checks: &[crate::doctor::Check],
    yes: bool,
    json: bool,
) -> Vec<serde_json::Value> {
    use crate::doctor::{Action, Status};
    let mut todo: Vec<(&str, &Action)> = checks
        .iter()
        .filter(|c| c.status >= Status::Warn)
        .filter_map(|c| c.action.as_ref().map(|a| (c.id.as_str(), a)))
        .collect();
    todo.sort_by_key(|(_, a)| matches!(a, Action::StartDaemon { .. }));
    let ask = !yes && !json && ui::can_prompt();
    todo.into_iter()
        .map(|(id, action)| {
            let what = action.describe();
            let (applied, result) = if !yes && !ask {
                (
                    false,
                    "not applied: pass -y to apply fixes without a terminal".to_string(),
                )
            } else if ask && !ui::confirm(&format!("{id}: {what}?"), false) {
                (false, "declined".to_string())
            } else {
                match action.apply(root, linux) {
                    Ok(done) => (true, done),
                    Err(e) => (false, e.to_string()),
                }
            };
            serde_json::json!({"id": id, "action": what, "applied": applied, "result": result})
        })
        .collect()
}
