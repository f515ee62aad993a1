//! OpenPGP fingerprints as pinned in the catalog or given with `--key-fingerprint`.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl FromStr for Fingerprint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex: String = s
            .trim()
            .trim_start_matches("0x")
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        // v4 keys have 40 hex digits, v5/v6 keys 64.
        if (hex.len() == 40 || hex.len() == 64) && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            Ok(Fingerprint(hex))
        } else {
            Err(format!(
                "`{s}` is not an OpenPGP fingerprint (40 hex digits, spaces allowed, as `gpg --show-keys` prints it)"
            ))
        }
    }
}

impl Fingerprint {
    pub fn hex(&self) -> &str {
        &self.0
    }
}

/// Groups of four, with the double space gpg puts in the middle of a v4 fingerprint.
impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let groups: Vec<&str> = self
            .0
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        let half = groups.len() / 2;
        write!(
            f,
            "{}  {}",
            groups[..half].join(" "),
            groups[half..].join(" ")
        )
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_like_gpg() {
        let f: Fingerprint = "9dc8 5822 9fc7 dd38 854a  e2d8 8d81 803c 0ebf cd88"
            .parse()
            .unwrap();
        assert_eq!(f.hex(), "9DC858229FC7DD38854AE2D88D81803C0EBFCD88");
        assert_eq!(
            f.to_string(),
            "9DC8 5822 9FC7 DD38 854A  E2D8 8D81 803C 0EBF CD88"
        );
        assert!("0EBFCD88".parse::<Fingerprint>().is_err());
    }
}
