//! One dockup at a time per machine: two package managers racing leave a host half-installed.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another dockup run is in progress{} (it holds {path})", holder.as_ref().map(|p| format!(", pid {p}")).unwrap_or_default())]
    Busy {
        path: String,
        holder: Option<String>,
    },
    #[error("cannot create the lock file {path}: {why}")]
    Io { path: String, why: String },
}

/// Held for the life of the run; the kernel releases it if dockup dies.
pub struct RunLock {
    _file: File,
    pub path: PathBuf,
}

/// Where the lock for a target lives: /run is per boot, so a stale lock never survives a
/// reboot. Installs into different roots (images) may run side by side, so each root has its
/// own lock, on the host: a lock file left inside an image would ship with it.
pub fn path_for(root: Option<&Path>) -> PathBuf {
    if let Some(path) = std::env::var_os("DOCKUP_LOCK_FILE") {
        return PathBuf::from(path);
    }
    match root {
        None => PathBuf::from("/run/dockup.lock"),
        Some(dir) => PathBuf::from(format!("/run/dockup-root-{:016x}.lock", fnv1a(dir))),
    }
}

/// A stable hash of a path (std's hasher is seeded per process, which a lock name cannot be).
fn fnv1a(path: &Path) -> u64 {
    path.to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

pub fn acquire(path: &Path) -> Result<RunLock, LockError> {
    let io = |e: std::io::Error| LockError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim().to_string();
            return Err(LockError::Busy {
                path: path.display().to_string(),
                holder: (!holder.is_empty()).then_some(holder),
            });
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.rewind().map_err(io)?;
    writeln!(file, "{}", std::process::id()).map_err(io)?;
    Ok(RunLock {
        _file: file,
        path: path.to_path_buf(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_pid() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dockup.lock");
        let first = acquire(&path).unwrap();
        let err = acquire(&path).err().unwrap();
        assert!(
            err.to_string()
                .contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(acquire(&path).is_ok());
    }
}
