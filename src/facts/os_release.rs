//! os-release(5) and the shell-assignment files that predate it (`/etc/lsb-release`).
//!
//! The format is a restricted shell: `KEY=value`, values optionally in double quotes (where `\"`,
//! `\\`, `\$` and `` \` `` are escapes) or single quotes (literal), comments from `#`, and real
//! files ship CRLF endings or trailing spaces now and then. Lines that are not assignments are
//! skipped rather than fatal: distributions have shipped broken files and still booted.

use std::collections::BTreeMap;

/// Parses assignment lines into a map. Never fails and never panics: garbage yields an empty or
/// partial map, and the caller decides whether that identifies a distribution.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for raw in text.lines() {
        let line = raw.trim_end_matches('\r').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if !is_valid_key(key) {
            continue;
        }
        if let Some(value) = unquote(value) {
            vars.insert(key.to_string(), value);
        }
    }
    vars
}

fn is_valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Shell-style unquoting of one value; `None` for an unterminated quote (the line is skipped).
fn unquote(value: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => loop {
                match chars.next()? {
                    '"' => break,
                    '\\' => match chars.peek() {
                        Some(&n @ ('"' | '\\' | '$' | '`')) => {
                            out.push(n);
                            chars.next();
                        }
                        // A backslash-newline cannot occur (we split on lines); keep others as-is.
                        _ => out.push('\\'),
                    },
                    other => out.push(other),
                }
            },
            '\'' => loop {
                match chars.next()? {
                    '\'' => break,
                    other => out.push(other),
                }
            },
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            // Unquoted whitespace ends the value; what follows can only be a comment.
            c if c.is_whitespace() => break,
            other => out.push(other),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quoting_rules_of_the_spec() {
        let text = "# comment\r\nNAME=\"Fancy \\\"Linux\\\"\"\r\nID=fancy\r\nPRETTY_NAME='It''s 1.0'\n\
                    VERSION_ID=\"1.0\"   # trailing comment\nBAD LINE\n=novalue\nHOME_URL=\"https://x/\\$y\"\n\
                    UNTERMINATED=\"oops\nID_LIKE=\"debian ubuntu\"\n";
        let v = parse(text);
        assert_eq!(v["NAME"], "Fancy \"Linux\"");
        assert_eq!(v["ID"], "fancy");
        assert_eq!(v["PRETTY_NAME"], "Its 1.0");
        assert_eq!(v["VERSION_ID"], "1.0");
        assert_eq!(v["HOME_URL"], "https://x/$y");
        assert_eq!(v["ID_LIKE"], "debian ubuntu");
        assert!(!v.contains_key("UNTERMINATED"));
        assert_eq!(v.len(), 6);
    }

    #[test]
    fn single_quotes_are_literal() {
        let v = parse("PRETTY_NAME='a \\\"b\\\" $c'\n");
        assert_eq!(v["PRETTY_NAME"], "a \\\"b\\\" $c");
    }

    #[test]
    fn empty_values_are_kept() {
        assert_eq!(parse("VARIANT=\nX=\"\"\n")["VARIANT"], "");
    }

    proptest! {
        #[test]
        fn never_panics_on_any_input(s in ".*") {
            let _ = parse(&s);
        }

        #[test]
        fn never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&String::from_utf8_lossy(&b));
        }

        #[test]
        fn double_quoted_values_round_trip(v in "[a-zA-Z0-9 ._\\-/\"\\\\$`]{0,40}") {
            let escaped: String = v.chars().flat_map(|c| match c {
                '"' | '\\' | '$' | '`' => vec!['\\', c],
                c => vec![c],
            }).collect();
            let parsed = parse(&format!("KEY=\"{escaped}\"\n"));
            prop_assert_eq!(parsed.get("KEY").map(String::as_str), Some(v.as_str()));
        }
    }
}
