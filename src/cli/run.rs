//! `install` and `uninstall`: the plan shown, asked about, run through the executor, and its
//! end reported; `--download-only` fetches a plan's artifacts and runs nothing.

use std::path::PathBuf;

use super::args::{InstallArgs, MachineArgs, UninstallArgs};
use super::{ExitCode, Failure, decide, make_plan, print_checked_plan, print_plan, require_live};
use crate::exec::{ExecError, Executor, RunLog, RunSummary, SystemRunner, lock};
use crate::plan::{self, ProxyUrl};
use crate::platform::Decision;
use crate::ui;

/// `help` with one more hint under it.
fn more_help(help: Option<String>, more: &str) -> Option<String> {
    Some(match help {
        Some(h) => format!("{h}\n  help: {more}"),
        None => more.to_string(),
    })
}

/// What Windows runs after a restart (RunOnce): this dockup with the same arguments, going on
/// without asking.
fn resume_command() -> Vec<String> {
    let exe = std::env::current_exe().map_or_else(
        |_| "dockup".to_string(),
        |p| p.to_string_lossy().into_owned(),
    );
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--sudo" && a != "--resume")
        .collect();
    let mut argv = vec![exe];
    // `dockup` alone is `dockup install`, but --resume belongs to the subcommand.
    if !args.iter().any(|a| a == "install") {
        argv.push("install".into());
    }
    argv.extend(args);
    argv.push("--resume".into());
    argv
}

/// Replaces this process with `sudo -- dockup <same arguments but --sudo>`; returns only if
/// that could not start.
fn reexec_with_sudo() -> Failure {
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "--sudo")
        .collect();
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("dockup"));
    let mut command = std::process::Command::new("sudo");
    command.arg("--").arg(exe).args(args);
    #[cfg(unix)]
    let err = std::os::unix::process::CommandExt::exec(&mut command);
    #[cfg(not(unix))]
    let err = std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "run dockup from an elevated prompt",
    );
    Failure::new(
        ExitCode::Failed,
        format!("cannot run sudo: {err}"),
        Some("run dockup as root instead".into()),
    )
}

/// The live machine only: an install or uninstall never acts on a described one.
/// `--root DIR` as an absolute path: dnf --installroot and gpgkey= paths need one.
fn canonical_root(machine: &MachineArgs) -> Result<Option<PathBuf>, Failure> {
    machine
        .root
        .as_ref()
        .map(|dir| {
            std::fs::canonicalize(dir).map_err(|e| {
                Failure::new(
                    ExitCode::BadInput,
                    format!("the root directory {} cannot be used: {e}", dir.display()),
                    Some("--root takes a directory laid out like / (etc/os-release, ...)".into()),
                )
            })
        })
        .transpose()
}

/// Two runs never interleave: the lock is held before the facts are read, so the plan
/// describes the machine as it is.
/// Without root the lock cannot be created, and nothing can be changed either: the run goes on
/// without it, and the executor names what needs root (or finds nothing to do).
fn hold_lock(root: Option<&std::path::Path>) -> Result<Option<lock::RunLock>, Failure> {
    match lock::acquire(&lock::path_for(root)) {
        Ok(held) => Ok(Some(held)),
        Err(lock::LockError::Io { .. }) if !crate::exec::is_admin() => Ok(None),
        Err(e) => Err(Failure::new(
            ExitCode::Failed,
            e,
            Some("wait for the other run to finish".into()),
        )),
    }
}

/// `install --root DIR` installs into the tree at DIR (an image being built): its facts are
/// read from DIR and every command is aimed at it. Without --root, the running system.
pub(super) fn install(machine: &MachineArgs, args: &InstallArgs) -> Result<ExitCode, Failure> {
    if machine.facts.is_some() && !args.run.dry_run && args.download_only.is_none() {
        return Err(Failure::new(
            ExitCode::Usage,
            "install changes a real machine; --facts only describes another one",
            Some("use `dockup plan --facts FILE` to see what would run there".into()),
        ));
    }
    let install_root = canonical_root(machine)?;
    let install_root = install_root.as_deref();
    if let Some(dir) = &args.download_only {
        return download_only(machine, args, install_root, dir);
    }
    if args.run.dry_run {
        let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
        // On this machine (or the tree at --root) the dry run also says what is done already,
        // by the checks a run makes first: they read files and query the package database.
        let done = machine.facts.is_none().then(|| {
            let mut view = ui::RunView::new(false).non_interactive();
            let mut log = RunLog::none();
            Executor::new(&SystemRunner, &mut view, &mut log, false).satisfied(&plan)
        });
        print_checked_plan(machine, &decision, &plan, done.as_deref());
        return Ok(ExitCode::Success);
    }
    if args.sudo && !crate::exec::is_admin() {
        return Err(reexec_with_sudo());
    }
    let _lock = hold_lock(install_root)?;
    let mut choices = args.plan.clone();
    if let Some(dir) = &args.from {
        let dir = std::fs::canonicalize(dir).map_err(|e| {
            Failure::new(
                ExitCode::BadInput,
                format!("cannot use {} for --from: {e}", dir.display()),
                Some("--from takes the directory `install --download-only DIR` filled".into()),
            )
        })?;
        choices.artifact_mirror = Some(plan::ArtifactMirror::directory(&dir));
    }
    loop {
        let (_, decision, plan) = make_plan(machine, &choices, install_root)?;
        let changes = ui::Changes::offered(&decision, choices.channel, choices.add_user.as_deref());
        let outcome = Outcome {
            verb: "install",
            question: "Install Docker this way?",
            done: "Docker is installed",
            nothing: "Docker is already installed as planned: nothing to do",
            non_interactive: args.non_interactive,
            changes: changes.clone(),
            accepted: if args.accept_legacy {
                vec!["--accept-legacy"]
            } else {
                Vec::new()
            },
        };
        let proxy = choices.proxy()?;
        let ran = execute(
            machine,
            &decision,
            &plan,
            args.run.yes,
            args.run.log_path(),
            proxy.as_ref(),
            &outcome,
        )?;
        match ran {
            Ran::Exit(code) => return Ok(code),
            Ran::ChangeRequested => {
                let picked = ui::ask_changes(&changes, decision.strategy);
                choices.strategy = Some(picked.strategy);
                choices.channel = picked.channel.or(choices.channel);
                choices.add_user = picked.add_user.or(choices.add_user.take());
                ui::print("\n");
            }
        }
    }
}

/// `install --download-only DIR`: every artifact the plan needs, fetched and verified into DIR
/// by file name, nothing else changed. Needs no root; with --facts, for another machine.
fn download_only(
    machine: &MachineArgs,
    args: &InstallArgs,
    install_root: Option<&std::path::Path>,
    dir: &std::path::Path,
) -> Result<ExitCode, Failure> {
    use crate::exec::download::{Downloader, Fetched};
    let (_, decision, plan) = make_plan(machine, &args.plan, install_root)?;
    let artifacts: Vec<&crate::platform::Artifact> = plan
        .steps
        .iter()
        .filter_map(|s| match s {
            plan::Step::Download { artifact, .. } => Some(artifact),
            _ => None,
        })
        .collect();
    let proxy = args.plan.proxy()?;
    let downloader = Downloader::new(
        proxy.as_ref().map(|p| p.as_str()),
        crate::exec::download::TIMEOUT,
    )
    .map_err(|e| Failure::new(ExitCode::Failed, &e, e.help()))?;
    crate::exec::interrupt::catch();
    let view = ui::RunView::new(machine.json);
    let mut failed = Vec::new();
    for artifact in &artifacts {
        let dest = dir.join(&artifact.file);
        let result = downloader.fetch(
            &artifact.name,
            &artifact.url,
            artifact.sha256.as_deref(),
            &dest,
            &mut |_, _| {},
        );
        let (ok, detail) = match result {
            Ok(Fetched::Cached) => (true, "already there, verified".to_string()),
            Ok(Fetched::Downloaded { bytes, .. }) => (true, format!("{bytes} bytes, verified")),
            Err(e) => (false, e.to_string()),
        };
        if machine.json {
            view.json_event(serde_json::json!({
                "event": "artifact", "name": artifact.name, "file": dest, "ok": ok, "detail": detail,
            }));
        } else {
            ui::print(&format!(
                "{} {}: {detail}\n",
                if ok { "ok" } else { "FAILED" },
                artifact.name
            ));
        }
        if !ok {
            failed.push(artifact.name.clone());
        }
    }
    if !failed.is_empty() {
        return Err(Failure::new(
            ExitCode::Failed,
            format!(
                "could not fetch {} into {}",
                failed.join(", "),
                dir.display()
            ),
            Some("rerun to resume; an artifact without a pinned sha256 is never fetched".into()),
        ));
    }
    let message = format!(
        "{} artifacts for the {} plan are in {}; there: dockup install --from {}",
        artifacts.len(),
        decision.strategy,
        dir.display(),
        dir.display()
    );
    if machine.json {
        view.json_event(serde_json::json!({
            "event": "result", "ok": true, "exit": 0, "changed": false, "message": message,
        }));
    } else {
        ui::print(&format!("{message}\n"));
    }
    Ok(ExitCode::Success)
}

pub(super) fn uninstall(machine: &MachineArgs, args: &UninstallArgs) -> Result<ExitCode, Failure> {
    if machine.facts.is_some() && !args.run.dry_run {
        require_live(machine, "uninstall")?;
    }
    let install_root = canonical_root(machine)?;
    let install_root = install_root.as_deref();
    let _lock = if args.run.dry_run {
        None
    } else {
        hold_lock(install_root)?
    };
    let (facts, catalog, decision) = decide(machine, None)?;
    let root_arg = install_root.map(|p| p.display().to_string());
    let plan = plan::build_uninstall(&facts, &decision, &catalog, args.purge, root_arg.as_deref())
        .map_err(|e| Failure::new(ExitCode::Unsupported, &e, e.help()))?;
    if args.run.dry_run {
        print_plan(machine, &decision, &plan);
        return Ok(ExitCode::Success);
    }
    let outcome = Outcome {
        verb: "uninstall",
        question: "Remove Docker this way?",
        done: "Docker is removed",
        nothing: "Docker is not installed: nothing to do",
        non_interactive: false,
        changes: ui::Changes::default(),
        accepted: Vec::new(),
    };
    match execute(
        machine,
        &decision,
        &plan,
        args.run.yes,
        args.run.log_path(),
        None,
        &outcome,
    )? {
        Ran::Exit(code) => Ok(code),
        // Nothing to change in an uninstall's plan, so the prompt never offers it.
        Ran::ChangeRequested => Ok(ExitCode::Declined),
    }
}

/// How a run asks before it starts and reports its end.
struct Outcome {
    verb: &'static str,
    question: &'static str,
    done: &'static str,
    nothing: &'static str,
    non_interactive: bool,
    /// What a person at the prompt may change before the run (install only).
    changes: ui::Changes,
    /// Flags that accept a plan's warnings (`--accept-legacy`).
    accepted: Vec<&'static str>,
}

/// How a run ended: an exit code, or the person at the prompt asked to change the plan first.
enum Ran {
    Exit(ExitCode),
    ChangeRequested,
}

/// Shows the plan, runs it through the executor and reports the result.
fn execute(
    machine: &MachineArgs,
    decision: &Decision,
    plan: &plan::Plan,
    yes: bool,
    log_path: &std::path::Path,
    proxy: Option<&ProxyUrl>,
    outcome: &Outcome,
) -> Result<Ran, Failure> {
    let mut view = ui::RunView::new(machine.json).offer_changes(outcome.changes.any());
    if outcome.non_interactive {
        view = view.non_interactive();
    }
    if machine.json {
        view.json_event(
            serde_json::json!({"event": "plan", "plan": ui::plan_json(decision, plan, None)}),
        );
    } else {
        // What was found and why this way, then the plan: what a person decides on.
        ui::print(&ui::why_text(decision, &ui::Style::stdout()));
        print_plan(machine, decision, plan);
        ui::print("\n");
    }
    // A person at a terminal sees the plan and says yes before anything changes.
    view = view.ask_before_start(outcome.question);
    let mut log = RunLog::open(log_path).unwrap_or_else(|why| {
        view.note(&format!("not logging: cannot open the log file {why}"));
        RunLog::none()
    });
    log.line(&format!(
        "dockup {} {}: {} on {}",
        env!("CARGO_PKG_VERSION"),
        outcome.verb,
        decision.strategy,
        decision.os
    ));
    let runner = SystemRunner;
    crate::exec::interrupt::catch();
    let result = Executor::new(&runner, &mut view, &mut log, yes)
        .proxy(proxy)
        .accept(&outcome.accepted)
        .resume_with(resume_command())
        .run(plan);
    match result {
        Ok(summary) => {
            let message = match summary {
                RunSummary::NothingToDo => outcome.nothing.to_string(),
                RunSummary::Changed { steps_run } => {
                    format!("{} ({steps_run} steps run)", outcome.done)
                }
                RunSummary::NeedsReboot { restarting, .. } => if restarting {
                    "Windows restarts in a minute to finish; dockup goes on after you sign in"
                } else {
                    "restart Windows to finish: dockup goes on after you sign in (or run it again)"
                }
                .to_string(),
            };
            let code = match summary {
                RunSummary::NeedsReboot { .. } => ExitCode::NeedsReboot,
                _ => ExitCode::Success,
            };
            log.line(&message);
            if machine.json {
                view.json_event(serde_json::json!({
                    "event": "result", "ok": true, "exit": code as u8,
                    "changed": summary != RunSummary::NothingToDo,
                    "reboot": matches!(summary, RunSummary::NeedsReboot { .. }),
                    "message": message,
                }));
            } else {
                ui::print(&format!("{message}\n"));
                for note in &plan.notes {
                    ui::print(&format!("note: {note}\n"));
                }
                if outcome.verb == "install" && code == ExitCode::Success {
                    ui::print(&ui::next_steps(plan));
                }
            }
            Ok(Ran::Exit(code))
        }
        Err(ExecError::PlanDeclined) if view.change_requested() => Ok(Ran::ChangeRequested),
        Err(e) => {
            log.line(&format!("failed: {e}"));
            let code = match e {
                ExecError::Declined(_) | ExecError::PlanDeclined => ExitCode::Declined,
                ExecError::Interrupted { .. } => ExitCode::Interrupted,
                _ => ExitCode::Failed,
            };
            let mut help = e.help();
            if code == ExitCode::Failed && !matches!(e, ExecError::Daemon(_)) {
                help = more_help(
                    help,
                    "`dockup doctor` checks this machine and says what to fix",
                );
            }
            if let Some(path) = &log.path {
                help = more_help(help, &format!("the full log is {}", path.display()));
            }
            Err(Failure::new(code, e, help))
        }
    }
}
