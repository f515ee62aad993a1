//! Every file dockup reads about a machine goes through a `HostRoot`, so a fixture tree (or a chroot
//! being prepared as a golden image) stands in for `/`. Symlinks are resolved *inside* the root, as
//! a chroot would: an absolute link in a fixture must never reach the live system.

use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use super::FactsError;
use crate::exec::{CommandOutput, CommandRunner, SystemRunner};

/// Symlink hops allowed while resolving one path; Linux's own limit is 40.
const MAX_LINK_HOPS: usize = 40;

#[derive(Clone)]
pub struct HostRoot {
    dir: PathBuf,
    /// Only for the real `/` chosen by default: live probes (PATH, `rpm -qa`, `uname -m`).
    probes: Option<Rc<dyn CommandRunner>>,
}

impl fmt::Debug for HostRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostRoot")
            .field("dir", &self.dir)
            .field("live", &self.is_live())
            .finish()
    }
}

impl HostRoot {
    /// The machine dockup runs on.
    pub fn live() -> Self {
        HostRoot {
            dir: PathBuf::from("/"),
            probes: Some(Rc::new(SystemRunner)),
        }
    }

    /// A tree standing in for a machine: nothing outside it is read, even if it is `/`.
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        HostRoot {
            dir: dir.into(),
            probes: None,
        }
    }

    /// A tree plus a stand-in for the live probes, for tests.
    pub fn with_probes(dir: impl Into<PathBuf>, probes: Rc<dyn CommandRunner>) -> Self {
        HostRoot {
            dir: dir.into(),
            probes: Some(probes),
        }
    }

    pub fn is_live(&self) -> bool {
        self.probes.is_some()
    }

    /// Runs a live probe; `None` on a hermetic root, or when the command fails.
    pub fn probe(&self, argv: &[&str]) -> Option<CommandOutput> {
        let out = self.probes.as_ref()?.run(argv).ok()?;
        out.success().then_some(out)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Maps a path as seen inside the machine (`etc/os-release` or `/etc/os-release`) to the real
    /// path on this host, following symlinks within the root. `None` when it does not exist.
    pub fn resolve(&self, inner: &str) -> Option<PathBuf> {
        let mut pending: Vec<String> = components(inner).into_iter().rev().collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            match part.as_str() {
                "." => continue,
                ".." => {
                    resolved.pop();
                    continue;
                }
                _ => {}
            }
            let candidate = self.join(&resolved).join(&part);
            let meta = std::fs::symlink_metadata(&candidate).ok()?;
            if meta.file_type().is_symlink() {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return None;
                }
                let target = std::fs::read_link(&candidate).ok()?;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    resolved.clear();
                }
                for p in components(&target).into_iter().rev() {
                    pending.push(p);
                }
            } else {
                resolved.push(part);
            }
        }
        Some(self.join(&resolved))
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut p = self.dir.clone();
        for part in parts {
            p.push(part);
        }
        p
    }

    pub fn exists(&self, inner: &str) -> bool {
        self.resolve(inner).is_some()
    }

    pub fn is_dir(&self, inner: &str) -> bool {
        self.resolve(inner).is_some_and(|p| p.is_dir())
    }

    /// Reads a small text file. `Ok(None)` when it is absent; an error when it exists but cannot be
    /// read or is larger than `limit` bytes (a "huge os-release" is not an os-release). Invalid
    /// UTF-8 is replaced, not fatal: the parsers decide what garbage means.
    pub fn read_text(&self, inner: &str, limit: u64) -> Result<Option<String>, FactsError> {
        Ok(self
            .read_bytes(inner, limit)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    pub fn read_bytes(&self, inner: &str, limit: u64) -> Result<Option<Vec<u8>>, FactsError> {
        let Some(path) = self.resolve(inner) else {
            return Ok(None);
        };
        if path.is_dir() {
            return Err(FactsError::Unreadable {
                path: display_inner(inner),
                why: "it is a directory".into(),
            });
        }
        let file = std::fs::File::open(&path).map_err(|e| FactsError::Unreadable {
            path: display_inner(inner),
            why: e.to_string(),
        })?;
        let mut buf = Vec::new();
        file.take(limit + 1)
            .read_to_end(&mut buf)
            .map_err(|e| FactsError::Unreadable {
                path: display_inner(inner),
                why: e.to_string(),
            })?;
        if buf.len() as u64 > limit {
            return Err(FactsError::TooLarge {
                path: display_inner(inner),
                limit,
            });
        }
        Ok(Some(buf))
    }

    /// The first `n` bytes of a file (an ELF header), `None` when absent or unreadable.
    pub fn read_bytes_prefix(&self, inner: &str, n: usize) -> Option<Vec<u8>> {
        let path = self.resolve(inner)?;
        let mut file = std::fs::File::open(path).ok()?;
        let mut buf = vec![0u8; n];
        file.read_exact(&mut buf).ok()?;
        Some(buf)
    }

    /// Names in a directory inside the root, sorted; empty when it is absent.
    pub fn list_dir(&self, inner: &str) -> Vec<String> {
        let Some(path) = self.resolve(inner) else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

/// How a path inside the machine is named in messages: always absolute, as the user knows it.
pub fn display_inner(inner: &str) -> String {
    format!("/{}", inner.trim_start_matches('/'))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn absolute_symlinks_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("usr/lib")).unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("usr/lib/os-release"), "ID=fixture\n").unwrap();
        symlink("/usr/lib/os-release", dir.path().join("etc/os-release")).unwrap();
        let root = HostRoot::at(dir.path());
        let text = root.read_text("etc/os-release", 1024).unwrap().unwrap();
        assert_eq!(text, "ID=fixture\n");
    }

    #[test]
    fn dotdot_cannot_climb_out_of_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        symlink("../../../../etc/hostname", dir.path().join("etc/escape")).unwrap();
        let root = HostRoot::at(dir.path());
        assert_eq!(root.resolve("etc/escape"), None);
    }

    #[test]
    fn symlink_loops_end() {
        let dir = tempfile::tempdir().unwrap();
        symlink("b", dir.path().join("a")).unwrap();
        symlink("a", dir.path().join("b")).unwrap();
        assert_eq!(HostRoot::at(dir.path()).resolve("a"), None);
    }

    #[test]
    fn oversized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("big"), vec![b'x'; 100]).unwrap();
        let err = HostRoot::at(dir.path()).read_text("big", 10).unwrap_err();
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
