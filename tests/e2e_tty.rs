#![cfg(unix)]
//! dockup in a real terminal: tmux runs it inside a chroot, the test reads the screen
//! (capture-pane) and answers the prompts (send-keys) like a person would.
//!
//! Needs root and tmux; DOCKUP_E2E=require makes a skip a failure.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::e2e::{Chroot, Mirror, skip_or_fail, unavailable};
use support::http::Faults;

/// A detached tmux session running one command, on a tmux server of its own (so tests and
/// other users of tmux never share one), killed when dropped.
struct Tmux {
    session: String,
}

fn tmux(session: &str) -> Command {
    let mut cmd = Command::new("tmux");
    cmd.args(["-L", session]);
    cmd
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let session = format!("dockup-e2e-{name}-{}", std::process::id());
        // The shell stays after dockup exits so the last screen and the exit code can be read.
        // It catches Ctrl-C (a caught signal is default again in its children) so that a
        // Ctrl-C meant for dockup does not end the shell too.
        let script = format!("trap : INT; {command}; echo DOCKUP-EXIT=$?; sleep 600");
        let ok = tmux(&session)
            .args([
                "new-session",
                "-d",
                "-s",
                &session,
                "-x",
                "160",
                "-y",
                "50",
                "sh",
                "-c",
                &script,
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "tmux new-session failed");
        Tmux { session }
    }

    fn screen(&self) -> String {
        let out = tmux(&self.session)
            .args([
                "capture-pane",
                "-p",
                "-J",
                "-S",
                "-500",
                "-t",
                &self.session,
            ])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits (polling the screen, bounded) until `needle` shows; returns the screen.
    fn wait_for(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let screen = self.screen();
            if screen.contains(needle) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "`{needle}` never showed; the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn keys(&self, keys: &str) {
        let ok = tmux(&self.session)
            .args(["send-keys", "-t", &self.session, keys])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = tmux(&self.session).arg("kill-server").status();
    }
}

/// Root and tmux, or why the test cannot run.
fn ready() -> bool {
    if let Some(why) = unavailable() {
        skip_or_fail(&why);
        return false;
    }
    if Command::new("tmux").arg("-V").output().is_err() {
        skip_or_fail("no tmux");
        return false;
    }
    true
}

/// `dockup install OPTIONS` inside the chroot, with a clean environment and a plain terminal.
fn install_command(chroot: &Chroot, mirror: &Mirror, options: &str) -> String {
    format!(
        "chroot {} env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
         TERM=xterm LANG=C.UTF-8 NO_COLOR=1 /usr/local/bin/dockup install {options} \
         --mirror {} --key-fingerprint {}",
        chroot.dir.path().display(),
        mirror.url(),
        mirror.fpr
    )
}

#[test]
fn a_person_confirms_the_plan_and_the_removal_at_prompts() {
    if !ready() {
        return;
    }
    let mirror = Mirror::build("build-mirror.sh");
    let chroot = Chroot::new(env!("CARGO_BIN_EXE_dockup"));
    chroot.install_fake_docker_io();
    let command = install_command(&chroot, &mirror, "--no-start");

    // Esc at the plan's question changes nothing.
    let tty = Tmux::start("decline", &command);
    let screen = tty.wait_for("Install Docker this way?");
    // What was found and why, then the plan.
    assert!(
        screen.contains("Found: Debian GNU/Linux 12 (bookworm)"),
        "{screen}"
    );
    assert!(screen.contains("served by Docker's repository"), "{screen}");
    assert!(screen.contains("Plan: repo (debian/bookworm)"), "{screen}");
    assert!(screen.contains("Change something first"), "{screen}");
    tty.keys("Escape");
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(screen.contains("DOCKUP-EXIT=5"), "{screen}");
    assert!(
        screen.contains("stopped before changing anything"),
        "{screen}"
    );
    assert!(chroot.installed("docker.io").is_some());
    assert!(!chroot.exists("etc/apt/keyrings/docker.asc"));
    drop(tty);

    // Yes (the default) to the plan, then yes to removing docker.io (a question whose
    // default is no); each step ends on a line of its own, then what to do next.
    let tty = Tmux::start("accept", &command);
    tty.wait_for("Install Docker this way?");
    tty.keys("Enter");
    let screen = tty.wait_for("remove docker.io");
    assert!(
        screen.contains("your images and containers are kept"),
        "{screen}"
    );
    tty.keys("y");
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(screen.contains("DOCKUP-EXIT=0"), "{screen}");
    assert!(screen.contains("Docker is installed"), "{screen}");
    assert!(screen.contains("Install Docker: done"), "{screen}");
    assert!(screen.contains("docker run hello-world"), "{screen}");
    assert_eq!(chroot.installed("docker.io"), None);
    assert_eq!(
        chroot.installed("docker-ce").as_deref(),
        Some("5:27.3.1-1~debian.12~bookworm")
    );
    drop(tty);

    // Nothing left to do: no question at all.
    let tty = Tmux::start("rerun", &command);
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(
        screen.contains("DOCKUP-EXIT=0") && screen.contains("nothing to do"),
        "{screen}"
    );
    assert!(!screen.contains("Install Docker this way?"), "{screen}");
}

#[test]
fn a_person_changes_the_channel_at_the_prompt_and_sees_the_new_plan() {
    if !ready() {
        return;
    }
    let mirror = Mirror::build("build-mirror.sh");
    let chroot = Chroot::new(env!("CARGO_BIN_EXE_dockup"));
    let tty = Tmux::start("change", &install_command(&chroot, &mirror, "--no-start"));
    let screen = tty.wait_for("Install Docker this way?");
    assert!(screen.contains("bookworm stable"), "{screen}");
    tty.keys("Down");
    tty.keys("Enter");
    // The ways possible here, the chosen one first: keep it.
    let screen = tty.wait_for("How to install Docker");
    assert!(screen.contains("repo:"), "{screen}");
    assert!(screen.contains("distro:"), "{screen}");
    tty.keys("Enter");
    tty.wait_for("Docker's release channel");
    tty.keys("Down");
    tty.keys("Enter");
    // The plan again, now from the test channel, and the same question.
    let screen = tty.wait_for("bookworm test");
    assert!(screen.contains("Install Docker this way?"), "{screen}");
    tty.keys("Escape");
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(screen.contains("DOCKUP-EXIT=5"), "{screen}");
    assert!(!chroot.exists("etc/apt/sources.list.d/docker.list"));
}

#[test]
fn ctrl_c_during_a_step_stops_cleanly_and_a_rerun_finishes() {
    if !ready() {
        return;
    }
    // The first docker-ce package download hangs, so Ctrl-C lands while apt is fetching it.
    let faults = Faults {
        stall_first_matching: Some(("/docker-ce_".into(), Duration::from_secs(90))),
        ..Faults::default()
    };
    let mirror = Mirror::build_with("build-mirror.sh", faults);
    let chroot = Chroot::new(env!("CARGO_BIN_EXE_dockup"));
    let command = install_command(&chroot, &mirror, "--no-start");
    let tty = Tmux::start("interrupt", &command);
    tty.wait_for("Install Docker this way?");
    tty.keys("Enter");
    tty.wait_for("] Install Docker");
    tty.keys("C-c");
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(screen.contains("DOCKUP-EXIT=130"), "{screen}");
    assert!(screen.contains("interrupted during step"), "{screen}");
    assert!(screen.contains("run the same command again"), "{screen}");
    assert_eq!(chroot.installed("docker-ce"), None);
    drop(tty);

    // The rerun skips what was done and installs; dpkg is left with nothing half-done.
    let tty = Tmux::start("resume", &format!("{command} -y"));
    let screen = tty.wait_for("DOCKUP-EXIT=");
    assert!(screen.contains("DOCKUP-EXIT=0"), "{screen}");
    assert!(screen.contains("already done"), "{screen}");
    assert!(chroot.installed("docker-ce").is_some());
    let audit = chroot.run(&["dpkg", "--audit"]);
    assert!(
        audit.status.success() && audit.stdout.is_empty(),
        "{audit:?}"
    );
}
