//! Signing keys are trusted only after their OpenPGP fingerprint matches the one pinned in the
//! catalog (or given with --key-fingerprint), checked here in Rust: no gpg involved.

use pgp::composed::{Deserializable, SignedPublicKey};
use pgp::ser::Serialize;
use pgp::types::KeyDetails;

use crate::plan::Fingerprint;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum KeyError {
    #[error("the signing key from {url} is not an OpenPGP public key: {why}")]
    NotAKey { url: String, why: String },
    #[error(
        "the signing key from {url} does not match the pinned fingerprint\n  expected: {expected}\n  received: {received}"
    )]
    Mismatch {
        url: String,
        expected: String,
        received: String,
    },
    #[error("the signing key from {url} has invalid self-signatures: {why}")]
    BadSignatures { url: String, why: String },
}

impl KeyError {
    pub fn help(&self) -> Option<String> {
        match self {
            KeyError::Mismatch { .. } => Some(
                "nothing was written. A mirror that re-signs packages uses its own key: if you \
                 trust it, pass --key-fingerprint with that key's fingerprint"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// A key whose fingerprint matched.
pub struct VerifiedKey {
    key: SignedPublicKey,
}

impl VerifiedKey {
    /// The key as a binary keyring (what `gpg --dearmor` writes), for old apt.
    pub fn to_binary(&self) -> Result<Vec<u8>, String> {
        self.key.to_bytes().map_err(|e| e.to_string())
    }
}

/// Parses an armored or binary key file and checks its primary key's fingerprint and
/// self-signatures. Exactly one key is accepted: a file with extra keys would make apt trust
/// them too.
pub fn verify(bytes: &[u8], expected: &Fingerprint, url: &str) -> Result<VerifiedKey, KeyError> {
    let not_a_key = |why: String| KeyError::NotAKey {
        url: url.to_string(),
        why,
    };
    let keys: Vec<SignedPublicKey> = if bytes.starts_with(b"-----BEGIN PGP") {
        let (iter, _) =
            SignedPublicKey::from_armor_many(bytes).map_err(|e| not_a_key(e.to_string()))?;
        iter.collect::<Result<_, _>>()
            .map_err(|e| not_a_key(e.to_string()))?
    } else {
        SignedPublicKey::from_bytes_many(bytes)
            .map_err(|e| not_a_key(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| not_a_key(e.to_string()))?
    };
    let key = match <[SignedPublicKey; 1]>::try_from(keys) {
        Ok([key]) => key,
        Err(keys) => {
            return Err(not_a_key(format!(
                "expected exactly one key, found {}",
                keys.len()
            )));
        }
    };
    let received = hex(key.fingerprint().as_bytes());
    if received != expected.hex() {
        return Err(KeyError::Mismatch {
            url: url.to_string(),
            expected: expected.to_string(),
            received: received
                .parse::<Fingerprint>()
                .map(|f| f.to_string())
                .unwrap_or(received),
        });
    }
    key.verify().map_err(|e| KeyError::BadSignatures {
        url: url.to_string(),
        why: e.to_string(),
    })?;
    Ok(VerifiedKey { key })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEST_ASC: &[u8] = include_bytes!("../../tests/fixtures/keys/test.asc");
    const TEST_GPG: &[u8] = include_bytes!("../../tests/fixtures/keys/test.gpg");
    const BOTH_ASC: &[u8] = include_bytes!("../../tests/fixtures/keys/both.asc");
    const TEST_FPR: &str = include_str!("../../tests/fixtures/keys/test.fingerprint");
    const OTHER_FPR: &str = include_str!("../../tests/fixtures/keys/other.fingerprint");

    #[test]
    fn the_pinned_key_is_accepted_armored_or_binary() {
        let fpr: Fingerprint = TEST_FPR.parse().unwrap();
        let key = verify(TEST_ASC, &fpr, "test").unwrap();
        assert_eq!(key.to_binary().unwrap(), TEST_GPG);
        assert!(verify(TEST_GPG, &fpr, "test").is_ok());
    }

    #[test]
    fn another_key_is_refused_with_both_fingerprints() {
        let other: Fingerprint = OTHER_FPR.parse().unwrap();
        let err = verify(TEST_ASC, &other, "http://mirror/gpg").err().unwrap();
        let text = err.to_string();
        assert!(text.contains(&other.to_string()), "{text}");
        assert!(text.contains("FD8B 944C"), "{text}");
        assert!(err.help().unwrap().contains("--key-fingerprint"));
    }

    #[test]
    fn extra_keys_and_garbage_are_refused() {
        let fpr: Fingerprint = TEST_FPR.parse().unwrap();
        let err = verify(BOTH_ASC, &fpr, "u").err().unwrap();
        assert!(err.to_string().contains("exactly one key"), "{err}");
        assert!(matches!(
            verify(b"<html>404</html>", &fpr, "u"),
            Err(KeyError::NotAKey { .. })
        ));
        assert!(matches!(
            verify(b"", &fpr, "u"),
            Err(KeyError::NotAKey { .. })
        ));
    }
}
