//! `dockup verify`: does Docker answer, and does a container run.

use serde::Serialize;

use super::CommandRunner;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// Client, daemon, then a container from `image`; later checks are skipped once one fails.
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
            Ok(out) => {
                let first = out
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim();
                format!("`docker run --rm {image}` ran: {first}")
            }
            Err(why) => format!("`docker run --rm {image}` failed: {why}"),
        },
    });
    checks
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

    #[test]
    fn everything_answers() {
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
        let checks = run(&runner, "img");
        assert!(checks.iter().all(|c| c.ok), "{checks:?}");
        assert!(checks[2].detail.ends_with("ran: hello"));
    }
}
