//! `dockup doctor --bundle FILE.zip`: what a person helping needs, in one file: the report, the
//! daemon's and dockup's configuration and logs. Secrets never leave the machine: registry
//! credentials in `~/.docker/config.json` and the user:password part of every URL (proxies) are
//! replaced by `<redacted>` before anything is written.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use super::host;
use super::logs;
use crate::facts::HostRoot;

const REDACTED: &str = "<redacted>";
/// Logs are cut to their end: the last lines are the ones that explain a failure.
const LOG_LINES: usize = 2000;

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("cannot write the bundle {path}: {why}")]
    Write { path: String, why: String },
}

/// Replaces the `user:password@` of every URL in `text`.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| {
                c == '/' || c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ']')
            })
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                out.push_str(REDACTED);
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// A Docker client config with its credentials gone: every `auths` entry, and any token.
fn redact_client_config(text: &str) -> String {
    let Ok(mut json) = serde_json::from_str::<Value>(text) else {
        return format!("{REDACTED}: not valid JSON, so not copied\n");
    };
    if let Some(auths) = json.get_mut("auths").and_then(Value::as_object_mut) {
        for value in auths.values_mut() {
            *value = Value::String(REDACTED.into());
        }
    }
    redact_secrets(&mut json);
    redact_urls(&serde_json::to_string_pretty(&json).unwrap_or_default())
}

/// Any value under a key that names a secret.
fn redact_secrets(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                let k = key.to_ascii_lowercase();
                if k != "auths"
                    && ["auth", "password", "token", "secret", "identitytoken"]
                        .iter()
                        .any(|s| k.contains(s))
                    && !k.starts_with("authorization-plugin")
                {
                    *v = Value::String(REDACTED.into());
                } else {
                    redact_secrets(v);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_secrets),
        _ => {}
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = lines[lines.len().saturating_sub(n)..].join("\n");
    out.push('\n');
    out
}

/// The files that go into the bundle: (name in the zip, redacted contents).
pub fn collect(root: &HostRoot, user: Option<&str>) -> Vec<(String, String)> {
    let mut files = Vec::new();
    let mut add = |inner: &str, redact: &dyn Fn(&str) -> String| {
        if let Ok(Some(text)) = root.read_text(inner, 64 << 20) {
            files.push((
                format!("files/{}", inner.trim_start_matches('/')),
                redact(&text),
            ));
        }
    };
    let json_file = |text: &str| match serde_json::from_str::<Value>(text) {
        Ok(mut json) => {
            redact_secrets(&mut json);
            redact_urls(&serde_json::to_string_pretty(&json).unwrap_or_default())
        }
        // A broken daemon.json is often the problem: keep it as it is, minus URL credentials.
        Err(_) => redact_urls(text),
    };
    add("etc/docker/daemon.json", &json_file);
    add("etc/default/docker", &redact_urls);
    add("etc/sysconfig/docker", &redact_urls);
    for unit in [
        "lib/systemd/system/docker.service",
        "usr/lib/systemd/system/docker.service",
        "etc/systemd/system/docker.service",
    ] {
        add(unit, &redact_urls);
    }
    for name in root.list_dir("etc/systemd/system/docker.service.d") {
        add(
            &format!("etc/systemd/system/docker.service.d/{name}"),
            &redact_urls,
        );
    }
    let mut homes = vec!["root".to_string()];
    if let Some(name) = user
        && let Some(u) = host::users(root).into_iter().find(|u| u.name == name)
        && u.uid != 0
    {
        homes.push(format!("home/{name}"));
    }
    for home in homes {
        add(
            &format!("{home}/.docker/config.json"),
            &redact_client_config,
        );
    }
    let tail = |text: &str| redact_urls(&last_lines(text, LOG_LINES));
    add("var/log/dockup/dockup.log", &tail);
    if let Some((file, _)) = logs::last_run(root) {
        add(&file, &tail);
    }
    files
}

/// Writes the zip: `report.json`, `report.txt`, then the collected files.
pub fn write(
    path: &Path,
    report_json: &str,
    report_text: &str,
    files: &[(String, String)],
) -> Result<(), BundleError> {
    let fail = |why: String| BundleError::Write {
        path: path.display().to_string(),
        why,
    };
    let file = std::fs::File::create(path).map_err(|e| fail(e.to_string()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .unix_permissions(0o600);
    let entries = [
        ("report.json".to_string(), report_json.to_string()),
        ("report.txt".to_string(), report_text.to_string()),
    ];
    for (name, text) in entries.iter().chain(files) {
        zip.start_file(name.as_str(), options)
            .map_err(|e| fail(e.to_string()))?;
        zip.write_all(text.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
    }
    zip.finish().map_err(|e| fail(e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_urls_and_auths_are_redacted() {
        assert_eq!(
            redact_urls(
                "Environment=\"HTTPS_PROXY=http://bob:s3cret@proxy:3128/\" http://plain:80"
            ),
            "Environment=\"HTTPS_PROXY=http://<redacted>@proxy:3128/\" http://plain:80"
        );
        let config = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "Ym9iOnMzY3JldA=="}}, "credsStore": "pass"}"#;
        let out = redact_client_config(config);
        assert!(!out.contains("Ym9i"), "{out}");
        assert!(
            out.contains("index.docker.io") && out.contains("pass"),
            "{out}"
        );
    }
}
