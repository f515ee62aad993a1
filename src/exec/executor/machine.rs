//! docker-machine's VM (Toolbox on Windows, old kernels on Linux): create or start it, then keep
//! its environment for the user's shells, and point the closing check at it.

use std::path::{Path, PathBuf};

use super::Executor;
use crate::exec::{CommandRunner, ExecError};

const BLOCK_START: &str = "# >>> dockup: docker-machine environment >>>";
const BLOCK_END: &str = "# <<< dockup: docker-machine environment <<<";

impl Executor<'_> {
    /// `docker-machine status NAME`: Running, Stopped, Saved, ... or None without a VM.
    pub(super) fn machine_status(&self, name: &str) -> Option<String> {
        let out = self
            .rooted()
            .run(&["docker-machine", "status", name])
            .ok()?;
        out.success().then(|| out.stdout_text().trim().to_string())
    }

    pub(super) fn create_machine(
        &mut self,
        name: &str,
        args: &[String],
    ) -> Result<Option<String>, ExecError> {
        let argv: Vec<String> = match self.machine_status(name).as_deref() {
            // A VM that exists but is not running (after a reboot): start it, keep its disks.
            Some(status) if !status.eq_ignore_ascii_case("running") => {
                vec!["docker-machine".into(), "start".into(), name.into()]
            }
            _ => {
                let mut argv =
                    super::windows::owned(&["docker-machine", "create", "-d", "virtualbox"]);
                argv.extend(args.iter().map(|a| self.expand(a)));
                argv.push(name.into());
                argv
            }
        };
        let out = self.run_logged(&argv)?;
        if !out.success() {
            let text = format!(
                "{}{}",
                out.stdout_text(),
                String::from_utf8_lossy(&out.stderr)
            );
            return Err(ExecError::Machine {
                name: name.to_string(),
                why: last_lines(&text, 8),
                help: machine_help(&text),
            });
        }
        self.machine_env = self.read_machine_env(name);
        Ok(Some(format!("the `{name}` VM is running")))
    }

    pub(super) fn read_machine_env(&self, name: &str) -> Vec<(String, String)> {
        let shell = if self.windows { "cmd" } else { "bash" };
        self.rooted()
            .run(&["docker-machine", "env", "--shell", shell, name])
            .ok()
            .filter(|o| o.success())
            .map(|o| parse_machine_env(&o.stdout_text()))
            .unwrap_or_default()
    }

    /// The profile block (Linux) or user variables (Windows) already hold this environment.
    pub(super) fn machine_env_persisted(&self, name: &str, profile: Option<&str>) -> bool {
        let env = self.read_machine_env(name);
        if env.is_empty() {
            return false;
        }
        match profile {
            Some(profile) => std::fs::read_to_string(self.profile_path(profile))
                .is_ok_and(|text| with_block(&text, &env_block(&env)) == text),
            None => env.iter().all(|(k, v)| {
                self.rooted()
                    .run(&["reg.exe", "query", r"HKCU\Environment", "/v", k])
                    .is_ok_and(|o| o.success() && o.stdout_text().contains(v.as_str()))
            }),
        }
    }

    pub(super) fn persist_machine_env(
        &mut self,
        name: &str,
        profile: Option<&str>,
    ) -> Result<Option<String>, ExecError> {
        let env = self.read_machine_env(name);
        if env.is_empty() {
            return Err(ExecError::Machine {
                name: name.to_string(),
                why: format!("`docker-machine env {name}` printed no settings"),
                help: Some(format!(
                    "`docker-machine env {name}` says why; `docker-machine regenerate-certs {name}` fixes most certificate errors"
                )),
            });
        }
        self.machine_env = env.clone();
        match profile {
            Some(profile) => {
                let path = self.profile_path(profile);
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let new = with_block(&text, &env_block(&env));
                let written = path.to_string_lossy().into_owned();
                self.write(&written, new.as_bytes(), 0o644)?;
                Ok(Some(format!("new shells read it from {written}")))
            }
            None => {
                for (key, value) in &env {
                    self.command(&["setx".into(), key.clone(), value.clone()])?;
                }
                Ok(Some("new terminals have DOCKER_HOST and the rest".into()))
            }
        }
    }

    fn profile_path(&self, profile: &str) -> PathBuf {
        match profile.strip_prefix("~/") {
            Some(rest) => self.home.join(rest),
            None => Path::new(profile).to_path_buf(),
        }
    }

    /// The closing `docker ...` check aimed at the VM, whose environment this process lacks.
    pub(super) fn aimed_at_machine(&self, argv: &[String]) -> Vec<String> {
        let get = |k: &str| {
            self.machine_env
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        let (Some(host), Some(certs), Some("docker")) = (
            get("DOCKER_HOST"),
            get("DOCKER_CERT_PATH"),
            argv.first().map(String::as_str),
        ) else {
            return argv.to_vec();
        };
        let sep = if self.windows { "\\" } else { "/" };
        let mut out = vec![
            "docker".to_string(),
            "--host".into(),
            host,
            "--tlsverify".into(),
            "--tlscacert".into(),
            format!("{certs}{sep}ca.pem"),
            "--tlscert".into(),
            format!("{certs}{sep}cert.pem"),
            "--tlskey".into(),
            format!("{certs}{sep}key.pem"),
        ];
        out.extend(argv[1..].iter().cloned());
        out
    }
}

/// The variables `docker-machine env --shell bash|cmd` prints (`export K="V"`, `SET K=V`).
pub(crate) fn parse_machine_env(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let assignment = line
                .strip_prefix("export ")
                .or_else(|| line.strip_prefix("SET "))?;
            let (key, value) = assignment.split_once('=')?;
            let value = value.trim().trim_matches('"');
            key.starts_with("DOCKER_")
                .then(|| (key.trim().to_string(), value.to_string()))
        })
        .collect()
}

fn env_block(env: &[(String, String)]) -> String {
    let mut block = format!("{BLOCK_START}\n");
    for (key, value) in env {
        block.push_str(&format!("export {key}=\"{value}\"\n"));
    }
    block.push_str(BLOCK_END);
    block.push('\n');
    block
}

/// `text` with dockup's block replaced by `block`, or with it appended: a rerun rewrites the
/// block and leaves the rest of the profile alone.
pub(crate) fn with_block(text: &str, block: &str) -> String {
    if let (Some(start), Some(end)) = (text.find(BLOCK_START), text.find(BLOCK_END))
        && start < end
    {
        let after = &text[end + BLOCK_END.len()..];
        let after = after.strip_prefix('\n').unwrap_or(after);
        return format!("{}{block}{after}", &text[..start]);
    }
    let mut out = text.to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(block);
    out
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What to do about docker-machine's classic failures.
fn machine_help(output: &str) -> Option<String> {
    let lower = output.to_lowercase();
    if lower.contains("vt-x") || lower.contains("amd-v") {
        return Some(
            "if virtualization is on in the firmware (Hyper-V off), docker-machine's check may be \
             wrong: rerun with --virtualbox-no-vtx-check added to the create command, or enable \
             VT-x/AMD-V in the BIOS"
                .into(),
        );
    }
    if ["host-only", "host only", "hostonly"]
        .iter()
        .any(|w| lower.contains(w))
    {
        return Some(
            "VirtualBox 6.1.28 and later only allow host-only networks in 192.168.56.0/21: the \
             plan uses --virtualbox-hostonly-cidr 192.168.56.1/24; on Linux an /etc/vbox/networks.conf \
             line `* 192.168.56.0/21` allows it, then `docker-machine rm -f default` and rerun"
                .into(),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bash_and_cmd_environments_are_read() {
        let bash = "export DOCKER_TLS_VERIFY=\"1\"\nexport DOCKER_HOST=\"tcp://192.168.56.101:2376\"\nexport DOCKER_CERT_PATH=\"/root/.docker/machine/machines/default\"\nexport DOCKER_MACHINE_NAME=\"default\"\n# Run this command to configure your shell:\n# eval $(docker-machine env default)\n";
        let env = parse_machine_env(bash);
        assert_eq!(env.len(), 4);
        assert_eq!(
            env[1],
            ("DOCKER_HOST".into(), "tcp://192.168.56.101:2376".into())
        );
        let cmd = "SET DOCKER_TLS_VERIFY=1\r\nSET DOCKER_HOST=tcp://192.168.56.101:2376\r\nREM Run this command to configure your shell:\r\n";
        assert_eq!(parse_machine_env(cmd).len(), 2);
    }

    #[test]
    fn the_profile_block_is_replaced_not_repeated() {
        let env = vec![("DOCKER_HOST".to_string(), "tcp://a:2376".to_string())];
        let once = with_block("alias ll='ls -l'", &env_block(&env));
        assert!(once.starts_with("alias ll='ls -l'\n# >>> dockup"));
        assert_eq!(with_block(&once, &env_block(&env)), once);
        let moved = vec![("DOCKER_HOST".to_string(), "tcp://b:2376".to_string())];
        let again = with_block(&format!("{once}export X=1\n"), &env_block(&moved));
        assert!(again.contains("tcp://b:2376") && !again.contains("tcp://a:2376"));
        assert!(again.ends_with("export X=1\n"));
    }

    #[test]
    fn classic_failures_get_their_fix() {
        assert!(
            machine_help("Error with pre-create check: \"VT-X/AMD-v enabling is required\"")
                .unwrap()
                .contains("--virtualbox-no-vtx-check")
        );
        assert!(
            machine_help("Error setting up host only network on machine start: E_ACCESSDENIED")
                .unwrap()
                .contains("192.168.56.0/21")
        );
        assert!(machine_help("something else").is_none());
    }
}
