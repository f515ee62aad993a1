//! The log of a run: every command, its output, every file written.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The log of every command and its output.
pub struct RunLog {
    file: Option<std::fs::File>,
    pub path: Option<PathBuf>,
}

impl RunLog {
    pub fn open(path: &Path) -> Result<RunLog, String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(RunLog {
            file: Some(file),
            path: Some(path.to_path_buf()),
        })
    }

    pub fn none() -> RunLog {
        RunLog {
            file: None,
            path: None,
        }
    }

    pub fn line(&mut self, text: &str) {
        if let Some(f) = &mut self.file {
            let secs = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            let _ = writeln!(f, "[{secs}] {text}");
        }
    }
}
