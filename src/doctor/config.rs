//! The daemon's configuration: `/etc/docker/daemon.json` and the flags its service passes
//! (systemd's `ExecStart`, `DOCKER_OPTS` in `/etc/default/docker`). dockerd refuses to start
//! when the file is not a JSON object, names a key it does not know, or sets a key that a flag
//! sets too ("the following directives are specified both as a flag and in the configuration
//! file: hosts"), so each of those is a finding.

use std::path::Path;

use serde_json::{Map, Value};

use super::{Action, Check, Status};
use crate::exec::fsops;
use crate::facts::{HostRoot, InitSystem, LinuxFacts};

pub const DAEMON_JSON: &str = "etc/docker/daemon.json";

/// Every key dockerd (up to 28.x) accepts in daemon.json.
const KNOWN_KEYS: &[&str] = &[
    "allow-direct-routing",
    "allow-nondistributable-artifacts",
    "api-cors-header",
    "authorization-plugins",
    "bip",
    "bip6",
    "bridge",
    "bridge-accept-fwmark",
    "builder",
    "cdi-spec-dirs",
    "cgroup-parent",
    "cluster-advertise",
    "cluster-store",
    "cluster-store-opts",
    "containerd",
    "containerd-namespace",
    "containerd-plugins-namespace",
    "cpu-rt-period",
    "cpu-rt-runtime",
    "data-root",
    "debug",
    "default-address-pools",
    "default-cgroupns-mode",
    "default-gateway",
    "default-gateway-v6",
    "default-ipc-mode",
    "default-network-opts",
    "default-runtime",
    "default-shm-size",
    "default-ulimits",
    "dns",
    "dns-opts",
    "dns-search",
    "exec-opts",
    "exec-root",
    "experimental",
    "features",
    "firewall-backend",
    "fixed-cidr",
    "fixed-cidr-v6",
    "graph",
    "group",
    "host-gateway-ip",
    "host-gateway-ips",
    "hosts",
    "icc",
    "init",
    "init-path",
    "insecure-registries",
    "ip",
    "ip-forward",
    "ip-forward-no-drop",
    "ip-masq",
    "ip6tables",
    "iptables",
    "ipv6",
    "labels",
    "live-restore",
    "log-driver",
    "log-format",
    "log-level",
    "log-opts",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "metrics-addr",
    "mtu",
    "network-control-plane-mtu",
    "no-new-privileges",
    "node-generic-resources",
    "oom-score-adjust",
    "pidfile",
    "proxies",
    "raw-logs",
    "registry-mirrors",
    "runtimes",
    "seccomp-profile",
    "selinux-enabled",
    "shutdown-timeout",
    "storage-driver",
    "storage-opts",
    "swarm-default-advertise-addr",
    "tls",
    "tlscacert",
    "tlscert",
    "tlskey",
    "tlsverify",
    "userland-proxy",
    "userland-proxy-path",
    "userns-remap",
];

/// A daemon flag's daemon.json key: repeatable flags are plural there, short ones spelled out.
fn flag_key(flag: &str) -> String {
    let name = flag.trim_start_matches('-');
    let name = name.split('=').next().unwrap_or(name);
    match name {
        "H" | "host" => "hosts",
        "s" => "storage-driver",
        "g" | "graph" => "data-root",
        "G" => "group",
        "D" => "debug",
        "l" => "log-level",
        "p" => "pidfile",
        "b" => "bridge",
        "registry-mirror" => "registry-mirrors",
        "insecure-registry" => "insecure-registries",
        "label" => "labels",
        "exec-opt" => "exec-opts",
        "log-opt" => "log-opts",
        "storage-opt" => "storage-opts",
        "default-ulimit" => "default-ulimits",
        "add-runtime" => "runtimes",
        "authorization-plugin" => "authorization-plugins",
        "dns-opt" => "dns-opts",
        "cdi-spec-dir" => "cdi-spec-dirs",
        "default-address-pool" => "default-address-pools",
        "node-generic-resource" => "node-generic-resources",
        other => other,
    }
    .to_string()
}

/// What the other checks need to know of the configuration, whatever set it.
#[derive(Debug, Default, Clone)]
pub struct Settings {
    /// daemon.json, when it parses as an object.
    pub json: Option<Map<String, Value>>,
    /// Flags the service passes, as daemon.json keys with their values, and where they are.
    pub flags: Vec<(String, String)>,
    pub flags_source: Option<String>,
    /// The daemon's command line as the service starts it (systemd's `ExecStart`).
    pub command: Vec<String>,
}

impl Settings {
    pub fn read(root: &HostRoot, facts: &LinuxFacts) -> Settings {
        let json = match root.read_text(DAEMON_JSON, 1 << 20) {
            Ok(Some(text)) => match serde_json::from_str(&text) {
                Ok(Value::Object(map)) => Some(map),
                _ => None,
            },
            _ => None,
        };
        let (flags_source, command) = service_flags(root, facts);
        let mut flags = Vec::new();
        let mut words = command.clone().into_iter().peekable();
        while let Some(w) = words.next() {
            if !w.starts_with('-') {
                continue;
            }
            let value = match w.split_once('=') {
                Some((_, v)) => v.to_string(),
                None => match words.peek() {
                    Some(next) if !next.starts_with('-') => words.next().unwrap_or_default(),
                    _ => String::new(),
                },
            };
            flags.push((flag_key(&w), value));
        }
        Settings {
            json,
            flags,
            flags_source,
            command,
        }
    }

    /// A string setting from daemon.json, else from a flag.
    pub fn get(&self, key: &str) -> Option<String> {
        self.json
            .as_ref()
            .and_then(|m| m.get(key))
            .and_then(|v| v.as_str().map(str::to_string))
            .or_else(|| {
                self.flags
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.clone())
            })
    }

    pub fn data_root(&self) -> String {
        self.get("data-root")
            .or_else(|| self.get("graph"))
            .unwrap_or_else(|| "/var/lib/docker".into())
    }

    pub fn pidfile(&self) -> String {
        // A value a script computes in a way not followed here is no path to read.
        self.get("pidfile")
            .filter(|p| p.starts_with('/') && !p.contains('$'))
            .unwrap_or_else(|| "/var/run/docker.pid".into())
    }

    /// `false` only when set so in daemon.json or a flag.
    pub fn flag_on(&self, key: &str) -> bool {
        let json = self.json.as_ref().and_then(|m| m.get(key));
        match json {
            Some(Value::Bool(b)) => *b,
            _ => self
                .flags
                .iter()
                .find(|(k, _)| k == key)
                .is_none_or(|(_, v)| v != "false"),
        }
    }
}

/// The words of the daemon's command line as its service starts it, and which file says so.
fn service_flags(root: &HostRoot, facts: &LinuxFacts) -> (Option<String>, Vec<String>) {
    let default = root
        .read_text("etc/default/docker", 1 << 20)
        .ok()
        .flatten()
        .unwrap_or_default();
    let docker_opts: Vec<String> = default
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.trim_start_matches("export ").strip_prefix("DOCKER_OPTS="))
        .next_back()
        .map(|v| {
            v.trim_matches(|c| c == '"' || c == '\'')
                .split_whitespace()
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if facts.init.effective() == InitSystem::Systemd {
        let mut exec = None;
        let mut source = None;
        let dropins: Vec<String> = root
            .list_dir("etc/systemd/system/docker.service.d")
            .into_iter()
            .filter(|n| n.ends_with(".conf"))
            .map(|n| format!("etc/systemd/system/docker.service.d/{n}"))
            .collect();
        let unit = [
            "etc/systemd/system/docker.service",
            "lib/systemd/system/docker.service",
            "usr/lib/systemd/system/docker.service",
        ]
        .into_iter()
        .find(|u| root.exists(u))
        .map(str::to_string);
        // Drop-ins are read after the unit; an empty `ExecStart=` resets the list.
        for file in unit.into_iter().chain(dropins) {
            let text = root
                .read_text(&file, 1 << 20)
                .ok()
                .flatten()
                .unwrap_or_default();
            for line in text.lines() {
                if let Some(cmd) = line.trim().strip_prefix("ExecStart=") {
                    exec = (!cmd.trim().is_empty()).then(|| cmd.to_string());
                    source = Some(format!("/{file}"));
                }
            }
        }
        let words = exec
            .unwrap_or_default()
            .split_whitespace()
            .flat_map(|w| {
                if w == "$DOCKER_OPTS" || w == "${DOCKER_OPTS}" {
                    docker_opts.clone()
                } else {
                    vec![w.to_string()]
                }
            })
            .collect();
        return (source, words);
    }
    // sysvinit: Debian's script passes flags of its own (`-p "$DOCKER_PIDFILE"`) besides
    // DOCKER_OPTS, after start-stop-daemon's `--`.
    if let Some(script) = root.read_text("etc/init.d/docker", 1 << 20).ok().flatten()
        && let Some(words) = init_script_flags(&script, &docker_opts)
    {
        return (Some("/etc/init.d/docker".into()), words);
    }
    if docker_opts.is_empty() {
        (None, Vec::new())
    } else {
        (
            Some("DOCKER_OPTS in /etc/default/docker".into()),
            docker_opts,
        )
    }
}

/// The script's plain `NAME=value` assignments, in order, each expanded with the ones before;
/// `$(basename $0)` is the script's own name. What cannot be known stays as written.
fn script_variables(script: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in script.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !plain {
            continue;
        }
        let value = value
            .trim()
            .trim_matches('"')
            .replace("$(basename $0)", "docker");
        let value = expand(&value, &vars);
        vars.retain(|(n, _)| n != name);
        vars.push((name.to_string(), value));
    }
    vars
}

/// `$NAME` and `${NAME}` replaced by the values known.
fn expand(word: &str, vars: &[(String, String)]) -> String {
    let mut out = word.to_string();
    // Longest names first, so $DOCKER_PIDFILE is not taken for $DOCKER.
    let mut sorted: Vec<&(String, String)> = vars.iter().collect();
    sorted.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
    for (name, value) in sorted {
        out = out
            .replace(&format!("${{{name}}}"), value)
            .replace(&format!("${name}"), value);
    }
    out
}

/// The words an init script hands dockerd: from start-stop-daemon's lone `--` to the end of
/// that command, with `$DOCKER_OPTS` expanded. `None` when the script has no such command.
fn init_script_flags(script: &str, docker_opts: &[String]) -> Option<Vec<String>> {
    let vars = script_variables(script);
    let mut lines = script.lines().map(str::trim);
    lines.find(|l| *l == "-- \\")?;
    let mut words = Vec::new();
    for line in lines {
        let continued = line.ends_with('\\');
        for w in line.trim_end_matches('\\').split_whitespace() {
            if w.starts_with(">>") || w.starts_with('>') || w.starts_with("2>") {
                return Some(words);
            }
            if w == "$DOCKER_OPTS" || w == "${DOCKER_OPTS}" {
                words.extend(docker_opts.iter().cloned());
            } else {
                words.push(expand(w.trim_matches('"'), &vars));
            }
        }
        if !continued {
            break;
        }
    }
    Some(words)
}

/// daemon.json parses, and is an object.
pub fn daemon_json(root: &HostRoot) -> Check {
    let id = "daemon-json";
    let text = match root.read_text(DAEMON_JSON, 1 << 20) {
        Ok(None) => {
            return Check::new(
                id,
                "daemon",
                Status::Ok,
                "no /etc/docker/daemon.json: the daemon's defaults apply",
            );
        }
        Ok(Some(text)) => text,
        Err(e) => return Check::new(id, "daemon", Status::Skipped, e.to_string()),
    };
    let why = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(_)) => {
            return Check::new(id, "daemon", Status::Ok, "/etc/docker/daemon.json is valid");
        }
        Ok(_) => "is JSON but not an object".to_string(),
        Err(e) => format!("is not valid JSON ({e})"),
    };
    let backup = backup(root);
    let check = Check::new(
        id,
        "daemon",
        Status::Fail,
        format!("/etc/docker/daemon.json {why}: dockerd will not start"),
    );
    match backup {
        Some(backup) => check
            .with_fix(format!(
                "cp {backup} /etc/docker/daemon.json   # dockup's backup from before it last changed the file"
            ))
            .with_action(Action::RestoreDaemonJson { backup }),
        None => match serde_json::from_str::<Value>(&text) {
            Err(e) => check.with_fix(format!("fix the JSON at line {}, column {}", e.line(), e.column())),
            Ok(_) => check.with_fix("make it one JSON object: {\"key\": value, ...}"),
        },
    }
}

/// dockup's backup of daemon.json, when there is one and it is itself valid.
fn backup(root: &HostRoot) -> Option<String> {
    let path = fsops::backup_path(
        Path::new(fsops::BACKUP_ROOT),
        Path::new("/etc/docker/daemon.json"),
    );
    let shown = path.to_string_lossy().into_owned();
    let text = root.read_text(&shown, 1 << 20).ok()??;
    matches!(serde_json::from_str(&text), Ok(Value::Object(_))).then_some(shown)
}

/// Keys dockerd does not know, and keys set both in the file and by a flag.
pub fn daemon_config(settings: &Settings) -> Option<Check> {
    let json = settings.json.as_ref()?;
    let id = "daemon-config";
    let unknown: Vec<&String> = json
        .keys()
        .filter(|k| !KNOWN_KEYS.contains(&k.as_str()))
        .collect();
    let both: Vec<&String> = json
        .keys()
        .filter(|k| settings.flags.iter().any(|(f, _)| f == *k))
        .collect();
    if !both.is_empty() {
        let source = settings.flags_source.as_deref().unwrap_or("the service");
        let names = both
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let fix = if source.starts_with("DOCKER_OPTS") {
            format!(
                "remove {names} from DOCKER_OPTS in /etc/default/docker, or from /etc/docker/daemon.json"
            )
        } else if source.starts_with("/etc/init.d") {
            // The script is the package's: editing it would be undone by the next upgrade.
            format!(
                "remove {names} from /etc/docker/daemon.json (the init script passes it itself)"
            )
        } else {
            // Docker's documented way: the same command line without the flags the file sets.
            let kept = without_flags(&settings.command, &both);
            format!(
                "mkdir -p /etc/systemd/system/docker.service.d && printf '[Service]\\nExecStart=\\nExecStart={kept}\\n' > /etc/systemd/system/docker.service.d/override.conf && systemctl daemon-reload && systemctl restart docker   # or remove {names} from daemon.json"
            )
        };
        return Some(
            Check::new(
                id,
                "daemon",
                Status::Fail,
                format!("{names} set both in /etc/docker/daemon.json and as a flag in {source}: dockerd refuses to start"),
            )
            .with_fix(fix),
        );
    }
    if let Some(first) = unknown.first() {
        let names = unknown
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        // A misspelling of a known key is certainly wrong; a key dockup has never heard of may
        // be newer than this list.
        let suggestion = unknown
            .iter()
            .find_map(|k| near_key(k).map(|n| (k.as_str(), n)));
        return Some(match suggestion {
            Some((bad, good)) => Check::new(
                id,
                "daemon",
                Status::Fail,
                format!("/etc/docker/daemon.json has keys dockerd does not know ({names}): it refuses to start"),
            )
            .with_fix(format!("rename \"{bad}\" to \"{good}\" in /etc/docker/daemon.json")),
            None => Check::new(
                id,
                "daemon",
                Status::Warn,
                format!("/etc/docker/daemon.json has keys dockup does not know ({names}): a dockerd that does not know them either refuses to start"),
            )
            .with_fix(format!("remove \"{first}\" from /etc/docker/daemon.json unless your Docker documents it")),
        });
    }
    Some(Check::new(
        id,
        "daemon",
        Status::Ok,
        format!(
            "daemon.json: {} keys, all known, none also set by a flag",
            json.len()
        ),
    ))
}

/// The command line minus the flags (and their values) whose keys are in `keys`.
fn without_flags(command: &[String], keys: &[&String]) -> String {
    let mut kept = Vec::new();
    let mut words = command.iter().peekable();
    while let Some(w) = words.next() {
        if w.starts_with('-') && keys.iter().any(|k| **k == flag_key(w)) {
            if !w.contains('=') && words.peek().is_some_and(|n| !n.starts_with('-')) {
                words.next();
            }
            continue;
        }
        kept.push(w.as_str());
    }
    kept.join(" ")
}

/// The known key a misspelled one most likely meant: case, `_` for `-`, singular for plural.
fn near_key(key: &str) -> Option<&'static str> {
    let norm = key.to_ascii_lowercase().replace('_', "-");
    KNOWN_KEYS.iter().copied().find(|k| {
        *k == norm
            || k.strip_suffix('s') == Some(norm.as_str())
            || flag_key(&norm) == *k
            || (k.ends_with("ies") && k.trim_end_matches("ies").to_string() + "y" == norm)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_init_scripts_own_flags_are_read_with_its_variables() {
        let script = "BASE=$(basename $0)\nDOCKER_PIDFILE=/var/run/$BASE.pid\nDOCKER_OPTS=\n\
            do_start() {\n\tstart-stop-daemon --start \\\n\t\t-- \\\n\
            \t\t-p \"$DOCKER_PIDFILE\" \\\n\t\t$DOCKER_OPTS \\\n\t\t>> \"$LOG\" 2>&1\n}\n";
        let words = init_script_flags(script, &["--debug".to_string()]).unwrap();
        assert_eq!(words, ["-p", "/var/run/docker.pid", "--debug"]);
    }

    #[test]
    fn misspelled_keys_are_recognised() {
        assert_eq!(near_key("registry-mirror"), Some("registry-mirrors"));
        assert_eq!(near_key("insecure-registry"), Some("insecure-registries"));
        assert_eq!(near_key("log_driver"), Some("log-driver"));
        assert_eq!(near_key("frobnicate"), None);
        assert_eq!(flag_key("-H"), "hosts");
        assert_eq!(flag_key("--containerd=/run/x.sock"), "containerd");
    }
}
