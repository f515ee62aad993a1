//! Editing configuration files that are not dockup's alone: merge into what is there, never
//! replace it.

use serde_json::{Map, Value};

/// `existing` daemon.json (empty when absent) with `settings` merged in: lists are unioned
/// (existing entries first), objects merged key by key, anything else set. The user's other
/// keys and their order are kept.
pub fn merge_daemon_json(existing: &str, settings: &Map<String, Value>) -> Result<String, String> {
    let mut doc: Map<String, Value> = if existing.trim().is_empty() {
        Map::new()
    } else {
        match serde_json::from_str::<Value>(existing) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("it is valid JSON but not an object".into()),
            Err(e) => return Err(format!("it is not valid JSON ({e})")),
        }
    };
    for (key, value) in settings {
        merge_value(doc.entry(key.clone()).or_insert(Value::Null), value);
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(doc)).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

fn merge_value(into: &mut Value, new: &Value) {
    match (into, new) {
        (Value::Array(have), Value::Array(add)) => {
            for item in add {
                if !have.contains(item) {
                    have.push(item.clone());
                }
            }
        }
        (Value::Object(have), Value::Object(add)) => {
            for (k, v) in add {
                merge_value(have.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
        (slot, new) => *slot = new.clone(),
    }
}

/// `existing` ini text with `key=value` set in `[section]`: replaced where the key is, added at
/// the end of the section otherwise, the section added when missing. Comments and the rest stay.
pub fn set_ini_value(existing: &str, section: &str, key: &str, value: &str) -> String {
    let header = format!("[{section}]");
    let line = format!("{key}={value}");
    let mut out: Vec<String> = Vec::new();
    let mut in_section = false;
    let mut done = false;
    for raw in existing.lines() {
        let trimmed = raw.trim();
        if trimmed.starts_with('[') {
            if in_section && !done {
                insert_before_blank_tail(&mut out, &line);
                done = true;
            }
            in_section = trimmed == header;
        } else if in_section
            && !done
            && trimmed
                .split_once('=')
                .is_some_and(|(k, _)| k.trim() == key)
        {
            out.push(line.clone());
            done = true;
            continue;
        }
        out.push(raw.to_string());
    }
    if !done {
        if in_section {
            insert_before_blank_tail(&mut out, &line);
        } else {
            if out.last().is_some_and(|l| !l.trim().is_empty()) {
                out.push(String::new());
            }
            out.push(header);
            out.push(line);
        }
    }
    out.join("\n") + "\n"
}

/// Adds `line` after the section's last non-blank line.
fn insert_before_blank_tail(out: &mut Vec<String>, line: &str) {
    let at = out
        .iter()
        .rposition(|l| !l.trim().is_empty())
        .map_or(out.len(), |i| i + 1);
    out.insert(at, line.to_string());
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn daemon_json_keeps_what_the_user_has() {
        let existing = r#"{"log-driver": "journald", "registry-mirrors": ["https://a.example"]}"#;
        let merged = merge_daemon_json(
            existing,
            &settings(json!({"registry-mirrors": ["https://b.example", "https://a.example"]})),
        )
        .unwrap();
        let v: Value = serde_json::from_str(&merged).unwrap();
        assert_eq!(v["log-driver"], "journald");
        assert_eq!(
            v["registry-mirrors"],
            json!(["https://a.example", "https://b.example"])
        );
        assert!(merged.find("log-driver") < merged.find("registry-mirrors"));
        // Merging again changes nothing.
        assert_eq!(
            merge_daemon_json(
                &merged,
                &settings(json!({"registry-mirrors": ["https://b.example"]}))
            )
            .unwrap(),
            merged
        );
    }

    #[test]
    fn daemon_json_that_is_broken_is_not_overwritten() {
        let err = merge_daemon_json("{\"debug\": tru", &Map::new()).unwrap_err();
        assert!(err.contains("not valid JSON"), "{err}");
        assert!(merge_daemon_json("[1]", &Map::new()).is_err());
        assert_eq!(
            merge_daemon_json("", &settings(json!({"debug": true}))).unwrap(),
            "{\n  \"debug\": true\n}\n"
        );
    }

    #[test]
    fn ini_values() {
        let conf = "# dnf.conf\n[main]\ngpgcheck=1\nproxy=http://old:3128\n\n[other]\nx=1\n";
        assert_eq!(
            set_ini_value(conf, "main", "proxy", "http://new:3128"),
            "# dnf.conf\n[main]\ngpgcheck=1\nproxy=http://new:3128\n\n[other]\nx=1\n"
        );
        let conf = "[main]\ngpgcheck=1\n\n[other]\nx=1\n";
        assert_eq!(
            set_ini_value(conf, "main", "proxy", "http://p:3128"),
            "[main]\ngpgcheck=1\nproxy=http://p:3128\n\n[other]\nx=1\n"
        );
        assert_eq!(
            set_ini_value("", "main", "proxy", "http://p"),
            "[main]\nproxy=http://p\n"
        );
        assert_eq!(
            set_ini_value("[a]\nk=v", "main", "proxy", "p"),
            "[a]\nk=v\n\n[main]\nproxy=p\n"
        );
    }
}
