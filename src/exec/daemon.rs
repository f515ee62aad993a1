//! The Docker daemon: is it answering, and starting it where no init system runs.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::sys;

/// How long a freshly started dockerd may take to answer.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(100);

/// Starts dockerd detached (its own session, output appended to `log`) and waits until it
/// answers, it exits, or the timeout passes. Waiting is polling the socket, not a fixed sleep.
pub fn start_detached(argv: &[String], log: &Path) -> Result<(), String> {
    let (program, args) = argv.split_first().ok_or("empty dockerd command")?;
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let open_log = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| format!("cannot open {}: {e}", log.display()))
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(open_log()?)
        .stderr(open_log()?);
    sys::detach(&mut command);
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    wait_until_answers(|| match child.try_wait() {
        Ok(Some(status)) => Some(format!("{program} exited ({status}) before answering")),
        _ => None,
    })
    .map_err(|why| format!("{why}; its log says:\n{}", tail(log, 15)))
}

/// Waits until dockerd answers, polling its endpoint, for a minute at most; `gone` says why to
/// stop sooner (the process exited). Used after starting it directly or through an init script,
/// which returns as soon as dockerd is forked.
pub fn wait_until_answers(mut gone: impl FnMut() -> Option<String>) -> Result<(), String> {
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        if sys::daemon_answers() {
            return Ok(());
        }
        if let Some(why) = gone() {
            return Err(why);
        }
        if Instant::now() > deadline {
            return Err(format!(
                "dockerd did not answer on {} within {} s",
                sys::DAEMON_ENDPOINT,
                READY_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(POLL);
    }
}

/// The last `n` lines of a log file, for error messages.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Where dockerd writes its pid when started without an init system.
pub const PIDFILE: &str = "/var/run/docker.pid";
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Stops a dockerd that no init system manages: SIGTERM to the pid in its pid file, then waits
/// for the socket to stop answering (dockerd stops its containers first).
pub fn stop_by_pidfile() -> Result<(), String> {
    let text = std::fs::read_to_string(PIDFILE)
        .map_err(|e| format!("dockerd answers but {PIDFILE} cannot be read: {e}"))?;
    let pid: u32 = text
        .trim()
        .parse()
        .map_err(|_| format!("{PIDFILE} does not hold a pid: {text:?}"))?;
    sys::terminate(pid).map_err(|e| format!("cannot stop dockerd (pid {pid}): {e}"))?;
    let deadline = Instant::now() + STOP_TIMEOUT;
    while sys::daemon_answers() {
        if Instant::now() > deadline {
            return Err(format!(
                "dockerd (pid {pid}) still answers {} s after SIGTERM",
                STOP_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}
