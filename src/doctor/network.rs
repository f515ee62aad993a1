//! What the daemon's networking depends on: iptables (and which backend), the DNS servers
//! containers get, and the proxy pulls go through.

use super::bundle::redact_urls;
use super::config::Settings;
use super::host::install_command;
use super::logs;
use super::{Check, Status};
use crate::facts::{HostRoot, LinuxFacts};

/// `iptables`: present, which backend, and whether dockerd's log shows it failing.
pub fn iptables(root: &HostRoot, facts: &LinuxFacts, settings: &Settings) -> Check {
    let id = "iptables";
    if !settings.flag_on("iptables") {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            "\"iptables\": false: dockerd sets no firewall rules (published ports and outbound NAT are up to you)",
        );
    }
    let present = ["usr/sbin/iptables", "sbin/iptables", "usr/bin/iptables"]
        .iter()
        .any(|p| root.exists(p));
    if !present {
        return Check::new(id, "daemon", Status::Fail, "iptables is not installed: dockerd cannot set up its bridge network and fails to start")
            .with_fix(install_command(facts, "iptables"));
    }
    let backend = backend(root);
    let shown = backend.as_deref().unwrap_or("the only one installed");
    let failing = logs::last_run(root).and_then(|(file, lines)| {
        lines
            .iter()
            .rev()
            .find(|l| logs::is_error(l) && l.contains("iptables"))
            .map(|l| (file, l.clone()))
    });
    match failing {
        Some((file, _)) => {
            let other = if backend.as_deref() == Some("legacy") {
                "nft"
            } else {
                "legacy"
            };
            Check::new(
                id,
                "daemon",
                Status::Fail,
                format!("iptables ({shown}) fails for dockerd ({file}): the kernel does not support this backend"),
            )
            .with_fix(format!(
                "update-alternatives --set iptables /usr/sbin/iptables-{other} && update-alternatives --set ip6tables /usr/sbin/ip6tables-{other}   # then restart the daemon"
            ))
        }
        None => Check::new(
            id,
            "daemon",
            Status::Ok,
            format!("iptables installed, backend: {shown}"),
        ),
    }
}

/// `legacy` or `nft`, from Debian's alternatives (or the binary itself on other distributions).
fn backend(root: &HostRoot) -> Option<String> {
    let link = root
        .resolve("etc/alternatives")
        .map(|d| d.join("iptables"))
        .and_then(|p| std::fs::read_link(p).ok())
        .map(|t| t.to_string_lossy().into_owned());
    let name = link.or_else(|| {
        let bin = root.resolve("usr/sbin").map(|d| d.join("iptables"))?;
        std::fs::read_link(bin)
            .ok()
            .map(|t| t.to_string_lossy().into_owned())
    })?;
    if name.contains("legacy") {
        Some("legacy".into())
    } else if name.contains("nft") {
        Some("nft".into())
    } else {
        None
    }
}

/// `dns`: containers copy the host's resolv.conf, minus loopback servers they cannot reach.
pub fn dns(root: &HostRoot, settings: &Settings) -> Check {
    let id = "dns";
    if let Some(servers) = settings.json.as_ref().and_then(|m| m.get("dns")) {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            format!("containers use the DNS servers in daemon.json: {servers}"),
        );
    }
    let Ok(Some(text)) = root.read_text("etc/resolv.conf", 1 << 20) else {
        return Check::new(id, "daemon", Status::Skipped, "no /etc/resolv.conf");
    };
    let servers: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(str::trim)
        .collect();
    let loopback = |s: &&str| s.starts_with("127.") || *s == "::1";
    if servers.is_empty() || !servers.iter().all(loopback) {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            format!(
                "containers get the host's nameservers: {}",
                servers.join(", ")
            ),
        );
    }
    // dockerd reads systemd-resolved's real upstream list when the stub is in resolv.conf.
    if servers == ["127.0.0.53"] && root.exists("run/systemd/resolve/resolv.conf") {
        return Check::new(
            id,
            "daemon",
            Status::Ok,
            "systemd-resolved: containers get its upstream servers",
        );
    }
    Check::new(
        id,
        "daemon",
        Status::Warn,
        format!("only loopback nameservers ({}): containers cannot reach them and fall back to 8.8.8.8 and 8.8.4.4, which many networks block", servers.join(", ")),
    )
    .with_fix("set \"dns\": [\"<your network's DNS server>\"] in /etc/docker/daemon.json and restart the daemon")
}

/// The daemon's proxy for pulls, and where it is set.
fn daemon_proxy(root: &HostRoot, settings: &Settings) -> Option<(String, String)> {
    if let Some(proxies) = settings.json.as_ref().and_then(|m| m.get("proxies")) {
        let url = ["https-proxy", "http-proxy"]
            .iter()
            .find_map(|k| proxies.get(*k).and_then(|v| v.as_str()))?;
        return Some((url.to_string(), "daemon.json \"proxies\"".into()));
    }
    let dropins = root
        .list_dir("etc/systemd/system/docker.service.d")
        .into_iter()
        .map(|n| format!("etc/systemd/system/docker.service.d/{n}"));
    for file in dropins.chain([
        "etc/default/docker".to_string(),
        "etc/sysconfig/docker".to_string(),
    ]) {
        let text = root
            .read_text(&file, 1 << 20)
            .ok()
            .flatten()
            .unwrap_or_default();
        for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
            let lower = line.to_ascii_lowercase();
            if let Some(i) = lower
                .find("https_proxy=")
                .or_else(|| lower.find("http_proxy="))
            {
                let value = line[i..].split_once('=').map(|(_, v)| v).unwrap_or("");
                let url = value.trim_matches(|c| c == '"' || c == '\'').to_string();
                return Some((url, format!("/{file}")));
            }
        }
    }
    None
}

fn valid_proxy(url: &str) -> bool {
    ["http://", "https://", "socks5://", "socks5h://"]
        .iter()
        .any(|s| url.strip_prefix(s).is_some_and(|rest| !rest.is_empty()))
}

/// `daemon-proxy`: pulls go through the proxy the machine needs.
pub fn proxy(root: &HostRoot, settings: &Settings, shell_proxy: Option<&str>) -> Check {
    let id = "daemon-proxy";
    match (daemon_proxy(root, settings), shell_proxy) {
        (Some((url, from)), _) if !valid_proxy(&url) => Check::new(
            id,
            "daemon",
            Status::Fail,
            format!("the daemon's proxy `{}` ({from}) is not a URL: pulls fail", redact_urls(&url)),
        )
        .with_fix(format!("write it as http://HOST:PORT in {from}, then restart the daemon")),
        (Some((url, from)), _) => Check::new(id, "daemon", Status::Ok, format!("pulls go through {} ({from})", redact_urls(&url))),
        (None, Some(shell)) => Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("this shell uses the proxy {} but the daemon does not: its pulls go direct and time out where that is blocked", redact_urls(shell)),
        )
        .with_fix("dockup install --proxy \"$https_proxy\" --persist-proxy   # a systemd drop-in, or daemon.json \"proxies\""),
        (None, None) => Check::new(id, "daemon", Status::Ok, "no proxy: pulls go direct"),
    }
}
