//! `dockup verify`: does Docker answer, does a container run, and does a multi-stage build work.

use serde::Serialize;

use super::CommandRunner;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Client, daemon, a container from `image`, then a build from it; later checks are skipped
/// once one fails.
pub fn run(runner: &dyn CommandRunner, image: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    // `docker version` fails as a whole when the daemon is down; `--version` is the client alone.
    let client = query(runner, &["docker", "--version"]);
    let client_ok = client.as_ref().is_ok_and(|v| !v.is_empty());
    checks.push(Check {
        name: "client",
        ok: client_ok,
        detail: match &client {
            Ok(v) if !v.is_empty() => v.clone(),
            Ok(_) | Err(_) => "the docker CLI is not installed or not on PATH".into(),
        },
    });
    if !client_ok {
        return checks;
    }
    let server = query(
        runner,
        &["docker", "version", "--format", "{{.Server.Version}}"],
    );
    let server_ok = server.as_ref().is_ok_and(|v| !v.is_empty());
    checks.push(Check {
        name: "daemon",
        ok: server_ok,
        detail: match server {
            Ok(v) if !v.is_empty() => format!("dockerd {v} answers"),
            Ok(_) => "the daemon did not say its version".into(),
            Err(why) => format!("the daemon does not answer: {why}"),
        },
    });
    if !server_ok {
        return checks;
    }
    let run = query(runner, &["docker", "run", "--rm", image]);
    checks.push(Check {
        name: "container",
        ok: run.is_ok(),
        detail: match run {
            Ok(out) => format!("`docker run --rm {image}` ran: {}", first_line(&out)),
            Err(why) => format!("`docker run --rm {image}` failed: {why}"),
        },
    });
    if checks.iter().all(|c| c.ok) {
        checks.push(build(runner, image));
    }
    checks
}

/// Builds a two-stage image, the pattern that keeps Go and Rust images small: the first stage
/// is `image`, the final one starts FROM scratch and copies the first stage's files (the
/// test images hold a static binary) in, keeping the image's command. Then runs it. No RUN
/// instruction: the test image may have no shell, and no network is needed.
fn build(runner: &dyn CommandRunner, image: &str) -> Check {
    let check = |ok, detail| Check {
        name: "build",
        ok,
        detail,
    };
    let config = match query(
        runner,
        &[
            "docker",
            "image",
            "inspect",
            "--format",
            "{{json .Config.Entrypoint}}\n{{json .Config.Cmd}}",
            image,
        ],
    ) {
        Ok(c) => c,
        Err(why) => return check(false, format!("cannot read {image}'s command: {why}")),
    };
    let mut lines = config.lines().map(str::trim);
    let mut dockerfile = format!("FROM {image} AS build\nFROM scratch\nCOPY --from=build / /\n");
    for instruction in ["ENTRYPOINT", "CMD"] {
        match lines.next() {
            Some(json) if json.starts_with('[') => {
                dockerfile.push_str(&format!("{instruction} {json}\n"));
            }
            _ => {}
        }
    }
    let context = std::env::temp_dir().join(format!(
        "dockup-verify-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    ));
    let written = std::fs::create_dir_all(&context)
        .and_then(|()| std::fs::write(context.join("Dockerfile"), &dockerfile));
    if let Err(why) = written {
        let _ = std::fs::remove_dir_all(&context);
        return check(
            false,
            format!(
                "cannot write a Dockerfile under {}: {why}",
                context.display()
            ),
        );
    }
    let tag = format!("dockup-verify-build:{}", std::process::id());
    let dir = context.to_string_lossy().into_owned();
    let built = query(runner, &["docker", "build", "-q", "-t", &tag, &dir]);
    let _ = std::fs::remove_dir_all(&context);
    if let Err(why) = built {
        return check(
            false,
            format!("a two-stage build (FROM {image}, then FROM scratch) failed: {why}"),
        );
    }
    let ran = query(runner, &["docker", "run", "--rm", &tag]);
    // The image is ours and only proves the build; leaving it would litter the user's images.
    let _ = runner.run(&["docker", "image", "rm", "-f", &tag]);
    match ran {
        Ok(out) => check(
            true,
            format!(
                "a two-stage build (FROM {image}, then FROM scratch) ran: {}",
                first_line(&out)
            ),
        ),
        Err(why) => check(
            false,
            format!("the image of a two-stage build does not run: {why}"),
        ),
    }
}

fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

fn query(runner: &dyn CommandRunner, argv: &[&str]) -> Result<String, String> {
    match runner.run(argv) {
        Ok(out) if out.success() => Ok(out.stdout_text().trim().to_string()),
        Ok(out) => {
            let err = String::from_utf8_lossy(&out.stderr);
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("no output");
            Err(last.trim().to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{CommandOutput, RecordingRunner};

    fn out(code: i32, stdout: &str, stderr: &str) -> CommandOutput {
        CommandOutput {
            code: Some(code),
            stdout: stdout.into(),
            stderr: stderr.into(),
        }
    }

    #[test]
    fn a_silent_daemon_stops_the_checks_with_its_reason() {
        let runner = RecordingRunner::default();
        runner.answer(
            "docker --version",
            out(0, "Docker version 27.3.1, build ce12230\n", ""),
        );
        runner.answer(
            "docker version --format {{.Server.Version}}",
            out(1, "", "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n"),
        );
        let checks = run(&runner, "hello-world");
        assert_eq!(checks.len(), 2);
        assert!(checks[0].ok && !checks[1].ok);
        assert!(checks[1].detail.contains("Is the docker daemon running?"));
    }

    /// A client and a daemon that answer, and a container from `img` that says hello.
    fn answering() -> RecordingRunner {
        let runner = RecordingRunner::default();
        runner.answer(
            "docker --version",
            out(0, "Docker version 27.3.1, build ce12230\n", ""),
        );
        runner.answer(
            "docker version --format {{.Server.Version}}",
            out(0, "27.3.1\n", ""),
        );
        runner.answer("docker run --rm img", out(0, "\nhello\n", ""));
        runner
    }

    #[test]
    fn everything_answers() {
        let runner = answering();
        runner.answer("docker image inspect", out(0, "null\n[\"/hello\"]\n", ""));
        runner.answer("docker build", out(0, "sha256:0123\n", ""));
        runner.answer(
            "docker run --rm dockup-verify-build:",
            out(0, "hello\n", ""),
        );
        runner.answer("docker image rm", out(0, "", ""));
        let checks = run(&runner, "img");
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        assert!(checks[2].detail.ends_with("ran: hello"));
        assert!(checks[3].detail.contains("two-stage build"), "{checks:?}");
        let calls = runner.calls.borrow();
        assert!(
            calls
                .iter()
                .any(|c| c.starts_with(&["docker".into(), "build".into()]))
        );
        let rm = ["docker".to_string(), "image".into(), "rm".into()];
        assert!(calls.iter().any(|c| c.starts_with(&rm)));
    }

    #[test]
    fn a_failed_build_says_which_build() {
        let runner = answering();
        runner.answer("docker image inspect", out(0, "null\nnull\n", ""));
        runner.answer(
            "docker build",
            out(1, "", "failed to solve: no space left on device\n"),
        );
        let checks = run(&runner, "img");
        let build = &checks[3];
        assert!(!build.ok);
        assert!(
            build.detail.contains("no space left on device"),
            "{build:?}"
        );
    }
}
