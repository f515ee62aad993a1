//! File changes that are never half-done: written to a temporary file beside the target, synced,
//! then renamed over it; the previous contents kept as a backup first.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What writing a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file already had exactly these contents.
    Unchanged,
    Created,
    /// Replaced; the old contents are in the backup.
    Replaced {
        backup: PathBuf,
    },
}

/// Where dockup keeps the previous version of every file it replaced, mirroring the file's own
/// path (`/var/lib/dockup/backup/etc/docker/daemon.json`). Not beside the file: apt, for one,
/// complains about unknown files in sources.list.d, and a backup there could even be read.
pub const BACKUP_ROOT: &str = "/var/lib/dockup/backup";

/// The backup of `path` under `backup_root`.
pub fn backup_path(backup_root: &Path, path: &Path) -> PathBuf {
    let relative: PathBuf = path
        .components()
        .filter(|c| matches!(c, std::path::Component::Normal(_)))
        .collect();
    backup_root.join(relative)
}

/// Whether `path` holds exactly `contents`.
pub fn has_contents(path: &Path, contents: &[u8]) -> bool {
    fs::read(path).is_ok_and(|c| c == contents)
}

/// Atomically writes `contents` to `path` with `mode`, creating parent directories (0755) and
/// backing up different existing contents under `backup_root`.
pub fn write_atomic(
    path: &Path,
    contents: &[u8],
    mode: u32,
    backup_root: &Path,
) -> std::io::Result<WriteOutcome> {
    if has_contents(path, contents) {
        return Ok(WriteOutcome::Unchanged);
    }
    let dir = path.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(dir)?;
    let existed = path.exists();
    let backup = backup_path(backup_root, path);
    if existed {
        if let Some(parent) = backup.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::copy(path, &backup)?;
    }
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".dockup-tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = (|| {
        let mut file = fs::File::create(&tmp)?;
        file.write_all(contents)?;
        super::sys::set_mode(&file, mode)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    // The rename is only durable once the directory entry is.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(if existed {
        WriteOutcome::Replaced { backup }
    } else {
        WriteOutcome::Created
    })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_backs_up_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let backups = dir.path().join("backup");
        let path = dir.path().join("etc/apt/sources.list.d/docker.list");
        let write = |c: &[u8]| write_atomic(&path, c, 0o644, &backups).unwrap();
        assert_eq!(write(b"one\n"), WriteOutcome::Created);
        assert_eq!(write(b"one\n"), WriteOutcome::Unchanged);
        let backup = backup_path(&backups, &path);
        assert!(backup.starts_with(&backups));
        assert!(backup.ends_with("etc/apt/sources.list.d/docker.list"));
        assert_eq!(
            write(b"two\n"),
            WriteOutcome::Replaced {
                backup: backup.clone()
            }
        );
        assert_eq!(fs::read(&path).unwrap(), b"two\n");
        assert_eq!(fs::read(&backup).unwrap(), b"one\n");
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        let leftovers: Vec<_> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains("dockup-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
