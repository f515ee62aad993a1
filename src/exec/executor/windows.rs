//! The Windows steps: features through dism, installers and their exit codes, the restart with
//! a resume registered in RunOnce, PATH and docker-users. Everything runs as a command through
//! the runner (dism.exe, reg.exe, net.exe), so the decisions are tested on Linux with a
//! recording runner; the commands are the ones an administrator would type.

use super::Executor;
use crate::exec::{CommandRunner, ExecError};

/// Windows Installer's "success, restart required" and "success, restart started".
const RESTART_CODES: [i32; 2] = [3010, 1641];

const RUNONCE_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\RunOnce";
const USER_ENV_KEY: &str = r"HKCU\Environment";
const SYSTEM_ENV_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment";

impl Executor<'_> {
    /// `None` when every feature is enabled already.
    pub(super) fn features_to_enable(&self, features: &[String]) -> Vec<String> {
        features
            .iter()
            .filter(|f| {
                let argv = [
                    "dism.exe",
                    "/online",
                    "/get-featureinfo",
                    &format!("/featurename:{f}"),
                    "/English",
                ];
                !self
                    .rooted()
                    .run(&argv)
                    .is_ok_and(|o| o.success() && feature_enabled(&o.stdout_text()))
            })
            .cloned()
            .collect()
    }

    pub(super) fn enable_features(
        &mut self,
        features: &[String],
    ) -> Result<Option<String>, ExecError> {
        let todo = self.features_to_enable(features);
        for feature in &todo {
            let argv: Vec<String> = owned(&[
                "dism.exe",
                "/online",
                "/enable-feature",
                &format!("/featurename:{feature}"),
                "/all",
                "/norestart",
            ]);
            let out = self.run_logged(&argv)?;
            match out.code {
                Some(0) => {}
                Some(c) if RESTART_CODES.contains(&c) => self.reboot_needed = true,
                _ => return Err(self.failed(&argv, &out)),
            }
        }
        Ok(Some(if self.reboot_needed {
            format!("enabled {}; Windows must restart", todo.join(", "))
        } else {
            format!("enabled {}", todo.join(", "))
        }))
    }

    /// Runs an installer; a failure shows the end of its log, where the reason is.
    pub(super) fn run_installer(
        &mut self,
        name: &str,
        program: &str,
        args: &[String],
        log: Option<&str>,
    ) -> Result<Option<String>, ExecError> {
        let mut argv = vec![self.expand(program)];
        argv.extend(args.iter().cloned());
        let out = self.run_logged(&argv)?;
        match out.code {
            Some(0) => Ok(Some(format!("{name} is installed"))),
            Some(c) if RESTART_CODES.contains(&c) => {
                self.reboot_needed = true;
                Ok(Some(format!("{name} is installed; Windows must restart")))
            }
            code => {
                let log = log.map(|l| self.expand(l));
                let tail = log.as_deref().and_then(|l| log_tail(l, 15));
                Err(ExecError::Installer {
                    name: name.to_string(),
                    status: code.map_or_else(|| "killed".into(), |c| format!("exit {c}")),
                    log,
                    tail,
                })
            }
        }
    }

    /// Registers the resume, offers to restart now, and ends the run: the rest needs the
    /// restart. Nothing happens when no step asked for one.
    pub(super) fn reboot_and_resume(&mut self, resume_args: &[String]) -> Result<(), ExecError> {
        let command = match &self.resume_command {
            Some(argv) => argv.clone(),
            None => {
                let mut argv = vec!["dockup.exe".to_string()];
                argv.extend(resume_args.iter().cloned());
                argv
            }
        };
        let line = windows_command_line(&command);
        let reg: Vec<String> = owned(&[
            "reg.exe",
            "add",
            RUNONCE_KEY,
            "/v",
            "dockup",
            "/t",
            "REG_SZ",
            "/d",
            &line,
            "/f",
        ]);
        self.command(&reg)?;
        let restart_now = self
            .observer
            .ask("Restart Windows now to finish (dockup goes on after you sign in)")
            .unwrap_or(false);
        if restart_now {
            let shutdown: Vec<String> = owned(&[
                "shutdown.exe",
                "/r",
                "/t",
                "60",
                "/c",
                "dockup: restarting to finish enabling Windows features",
            ]);
            self.command(&shutdown)?;
        }
        self.restart_pending = Some(restart_now);
        Ok(())
    }

    pub(super) fn path_has(&self, dir: &str, system_wide: bool) -> bool {
        self.registry_path(system_wide)
            .is_some_and(|path| path_with(&path, dir).is_none())
    }

    pub(super) fn add_to_path(
        &mut self,
        dir: &str,
        system_wide: bool,
    ) -> Result<Option<String>, ExecError> {
        let current = self.registry_path(system_wide).unwrap_or_default();
        let Some(new) = path_with(&current, dir) else {
            return Ok(None);
        };
        let key = if system_wide {
            SYSTEM_ENV_KEY
        } else {
            USER_ENV_KEY
        };
        // reg.exe, not setx: setx cuts PATH at 1024 characters.
        let argv: Vec<String> = owned(&[
            "reg.exe",
            "add",
            key,
            "/v",
            "Path",
            "/t",
            "REG_EXPAND_SZ",
            "/d",
            &new,
            "/f",
        ]);
        self.command(&argv)?;
        Ok(Some(format!("{dir} is on PATH in new terminals")))
    }

    fn registry_path(&self, system_wide: bool) -> Option<String> {
        let key = if system_wide {
            SYSTEM_ENV_KEY
        } else {
            USER_ENV_KEY
        };
        let out = self
            .rooted()
            .run(&["reg.exe", "query", key, "/v", "Path"])
            .ok()?;
        // A user without a PATH of their own yet: an empty one.
        Some(if out.success() {
            reg_value(&out.stdout_text(), "Path").unwrap_or_default()
        } else {
            String::new()
        })
    }

    pub(super) fn windows_user(&self, user: Option<&str>) -> Option<String> {
        user.map(String::from).or_else(|| env_var("USERNAME"))
    }

    pub(super) fn in_local_group(&self, user: &str, group: &str) -> bool {
        self.rooted()
            .run(&["net.exe", "localgroup", group])
            .is_ok_and(|o| {
                o.success() && group_members(&o.stdout_text()).contains(&user.to_lowercase())
            })
    }

    pub(super) fn add_to_local_group(
        &mut self,
        user: &str,
        group: &str,
    ) -> Result<Option<String>, ExecError> {
        let argv: Vec<String> = owned(&["net.exe", "localgroup", group, user, "/add"]);
        let out = self.run_logged(&argv)?;
        // System error 1378: already a member.
        if !out.success() && !String::from_utf8_lossy(&out.stderr).contains("1378") {
            return Err(self.failed(&argv, &out));
        }
        Ok(Some(format!(
            "{user} can use Docker after signing in again"
        )))
    }
}

/// An argv of owned strings, as the runner's log and errors want them.
pub(super) fn owned(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

pub(super) fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// `%NAME%` replaced by the variable's value, as cmd.exe does; unknown names are kept.
pub(crate) fn expand_vars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('%') {
            Some(end) if end > 0 => {
                let name = &after[..end];
                match lookup(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&format!("%{name}%")),
                }
                rest = &after[end + 1..];
            }
            _ => {
                out.push('%');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `dism /get-featureinfo /English` prints `State : Enabled`.
pub(crate) fn feature_enabled(text: &str) -> bool {
    text.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("state") && v.trim().eq_ignore_ascii_case("enabled")
        })
    })
}

/// PATH with `dir` appended, or `None` when it is there already (any case, trailing `\`).
pub(crate) fn path_with(path: &str, dir: &str) -> Option<String> {
    let norm = |s: &str| s.trim().trim_end_matches('\\').to_lowercase();
    if path.split(';').any(|p| norm(p) == norm(dir)) {
        return None;
    }
    let path = path.trim_end_matches(';');
    Some(if path.is_empty() {
        dir.to_string()
    } else {
        format!("{path};{dir}")
    })
}

/// The data of `NAME    REG_xx    DATA` in `reg.exe query` output.
fn reg_value(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let rest = l.strip_prefix(name)?;
        let rest = rest.trim_start();
        let (kind, data) = rest.split_once(char::is_whitespace)?;
        kind.starts_with("REG_").then(|| data.trim().to_string())
    })
}

/// The members `net localgroup GROUP` lists (between the dashes and the closing line), lower
/// case; domain members as `DOMAIN\user` and plain.
pub(crate) fn group_members(text: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut in_list = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("---") {
            in_list = true;
        } else if in_list && !line.is_empty() && !line.starts_with("The command completed") {
            let lower = line.to_lowercase();
            if let Some((_, user)) = lower.rsplit_once('\\') {
                members.push(user.to_string());
            }
            members.push(lower);
        }
    }
    members
}

/// argv as one Windows command line: arguments with spaces or quotes are quoted.
pub(crate) fn windows_command_line(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty() || a.contains([' ', '\t', '"']) {
                format!("\"{}\"", a.replace('"', "\\\""))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `n` lines of a log file, if it can be read.
fn log_tail(path: &str, n: usize) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    // Installers log in UTF-16 as often as not.
    let text = if bytes.starts_with(&[0xFF, 0xFE]) {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let lines: Vec<&str> = text.trim_end().lines().collect();
    Some(lines[lines.len().saturating_sub(n)..].join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_expand_like_cmd() {
        let lookup = |n: &str| (n == "USERPROFILE").then(|| r"C:\Users\ana".to_string());
        assert_eq!(
            expand_vars(r"%USERPROFILE%\.docker\x.iso", lookup),
            r"C:\Users\ana\.docker\x.iso"
        );
        assert_eq!(expand_vars("%NOPE%\\a", lookup), "%NOPE%\\a");
        assert_eq!(expand_vars("100% sure", lookup), "100% sure");
        assert_eq!(expand_vars("%%", lookup), "%%");
    }

    #[test]
    fn path_gets_a_directory_once() {
        let dir = r"C:\Program Files\Docker Toolbox";
        assert_eq!(path_with("", dir).as_deref(), Some(dir));
        assert_eq!(
            path_with(r"C:\bin;", dir).as_deref(),
            Some(r"C:\bin;C:\Program Files\Docker Toolbox")
        );
        assert_eq!(
            path_with(r"C:\bin;c:\program files\docker toolbox\", dir),
            None
        );
    }

    #[test]
    fn reg_query_dism_and_net_output_are_read() {
        let reg = "\r\nHKEY_CURRENT_USER\\Environment\r\n    Path    REG_EXPAND_SZ    %USERPROFILE%\\bin;C:\\x y\r\n\r\n";
        assert_eq!(
            reg_value(reg, "Path").as_deref(),
            Some("%USERPROFILE%\\bin;C:\\x y")
        );
        assert!(feature_enabled(
            "Feature Name : VirtualMachinePlatform\r\nState : Enabled\r\n"
        ));
        assert!(!feature_enabled("State : Disabled\r\n"));
        let net = "Alias name     docker-users\r\nComment\r\n\r\nMembers\r\n\r\n-------------------------------------------------------------------------------\r\nAna\r\nCORP\\bob\r\nThe command completed successfully.\r\n";
        let members = group_members(net);
        assert!(members.contains(&"ana".to_string()));
        assert!(members.contains(&"bob".to_string()));
        assert!(!members.iter().any(|m| m.contains("completed")));
    }

    #[test]
    fn command_lines_quote_what_needs_it() {
        let argv: Vec<String> =
            owned(&[r"C:\Program Files\dockup\dockup.exe", "install", "--resume"]);
        assert_eq!(
            windows_command_line(&argv),
            r#""C:\Program Files\dockup\dockup.exe" install --resume"#
        );
    }
}
