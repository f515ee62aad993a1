//! Docker's data root: whether the storage driver can work on the filesystem under it, and
//! whether that filesystem has room.

use super::config::Settings;
use super::host;
use super::{Check, Status};
use crate::facts::HostRoot;

/// Below this a pull of even a small image fails.
const FULL: u64 = 64 << 20;
const LOW: u64 = 2 << 30;

/// `storage-driver-fs`: the driver daemon.json (or a flag) asks for, or overlay2, against the
/// filesystem type of the mount holding the data root.
pub fn driver_on_fs(root: &HostRoot, settings: &Settings) -> Check {
    let id = "storage-driver-fs";
    let data_root = settings.data_root();
    let configured = settings.get("storage-driver");
    let driver = configured.clone().unwrap_or_else(|| "overlay2".into());
    // A chroot sees only the mounts inside it: then the filesystem itself says what it is.
    let Some((point, fs, _)) = host::mount_of(root, &data_root).or_else(|| {
        let fs = fs_type(&existing(root, &data_root))?;
        Some(("(statfs)".to_string(), fs, String::new()))
    }) else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            "the filesystem under the data root cannot be told",
        );
    };
    let on = format!("{driver} on {fs} ({data_root} is on the mount at {point})");
    let set_driver = |d: &str| {
        format!("set \"storage-driver\": \"{d}\" in /etc/docker/daemon.json and restart the daemon")
    };
    let fail = |why: &str, fix: String| {
        Check::new(id, "daemon", Status::Fail, format!("{on}: {why}")).with_fix(fix)
    };
    match (driver.as_str(), fs.as_str()) {
        ("overlay2" | "overlay", "overlay") => fail(
            "overlayfs cannot be stacked on overlayfs (Docker inside a container?)",
            format!(
                "give {data_root} a volume of its own (docker run -v /var/lib/docker ...), or {}",
                set_driver("fuse-overlayfs")
            ),
        ),
        ("overlay2" | "overlay", "xfs") if xfs_without_d_type(root, &point) => fail(
            "this xfs was made without d_type (ftype=0), which overlayfs needs",
            format!(
                "move {data_root} to a filesystem made with `mkfs.xfs -n ftype=1` (or ext4); \
                 xfs cannot gain d_type in place"
            ),
        ),
        ("overlay2" | "overlay", "zfs") if !zfs_supports_overlay(root) => fail(
            "OpenZFS before 2.2 cannot hold overlayfs layers",
            set_driver("zfs"),
        ),
        (
            "overlay2" | "overlay",
            "nfs" | "nfs4" | "cifs" | "smb3" | "ecryptfs" | "fuse" | "fuseblk",
        ) => fail(
            "overlayfs does not work on this filesystem",
            format!(
                "move {data_root} to a local ext4 or xfs filesystem (\"data-root\" in daemon.json)"
            ),
        ),
        ("btrfs", other) if other != "btrfs" => fail(
            "the btrfs driver needs a btrfs filesystem",
            set_driver("overlay2"),
        ),
        ("zfs", other) if other != "zfs" => {
            fail("the zfs driver needs a ZFS dataset", set_driver("overlay2"))
        }
        ("devicemapper" | "aufs", _) => fail(
            "this driver was removed from Docker (aufs in 24, devicemapper in 25)",
            set_driver("overlay2"),
        ),
        ("vfs", _) => Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("{on}: vfs copies every layer in full: slow and large"),
        )
        .with_fix(set_driver("overlay2")),
        _ => Check::new(id, "daemon", Status::Ok, on),
    }
}

/// Old xfs (RHEL 7's default before 7.3) was made with ftype=0: no d_type in directory entries.
/// Only `xfs_info` on the running machine says so.
fn xfs_without_d_type(root: &HostRoot, mount_point: &str) -> bool {
    root.probe(&["xfs_info", mount_point])
        .is_some_and(|out| out.stdout_text().contains("ftype=0"))
}

/// OpenZFS 2.2 added what overlayfs needs (renameat2 whiteouts).
fn zfs_supports_overlay(root: &HostRoot) -> bool {
    let version = root.read_text("sys/module/zfs/version", 256).ok().flatten();
    let mut parts = version.as_deref().unwrap_or("").trim().split(['.', '-']);
    let major: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let minor: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    (major, minor) >= (2, 2)
}

/// `disk-space`: free space and inodes under the data root (the nearest existing directory, when
/// Docker has not created it yet).
pub fn disk_space(root: &HostRoot, settings: &Settings) -> Check {
    let id = "disk-space";
    let data_root = settings.data_root();
    let Some(space) = free_space(&existing(root, &data_root)) else {
        return Check::new(
            id,
            "daemon",
            Status::Skipped,
            format!("the free space under {data_root} cannot be read"),
        );
    };
    let shown = format!(
        "{} free of {} under {data_root}",
        human(space.avail),
        human(space.total)
    );
    let prune = "docker system prune   # unused images, containers, networks and build cache; add --volumes for unused volumes";
    if space.avail < FULL || space.inodes_full {
        let why = if space.inodes_full {
            "no inodes left"
        } else {
            "the disk is full"
        };
        Check::new(id, "daemon", Status::Fail, format!("{shown}: {why}: pulls, builds and container starts fail with \"no space left on device\""))
            .with_fix(prune)
    } else if space.avail < LOW || space.avail < space.total / 20 {
        Check::new(
            id,
            "daemon",
            Status::Warn,
            format!("{shown}: little room for images"),
        )
        .with_fix(prune)
    } else {
        Check::new(id, "daemon", Status::Ok, shown)
    }
}

/// The host path of `inner`, or of its nearest existing parent (Docker may not have created its
/// data root yet).
fn existing(root: &HostRoot, inner: &str) -> std::path::PathBuf {
    let mut inner = inner.to_string();
    loop {
        if let Some(p) = root.resolve(&inner) {
            return p;
        }
        match inner.rsplit_once('/') {
            Some((parent, _)) if !parent.is_empty() => inner = parent.to_string(),
            _ => return root.dir().to_path_buf(),
        }
    }
}

/// The filesystem type from statfs's magic number, named as /proc/mounts names it.
#[cfg(target_os = "linux")]
fn fs_type(path: &std::path::Path) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: a zeroed statfs is a valid out-parameter; `c` is a NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let name = match st.f_type as u64 {
        0xEF53 => "ext4",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x794C_7630 => "overlay",
        0x2FC1_2FC1 => "zfs",
        0x0102_1994 => "tmpfs",
        0x6969 => "nfs",
        0xFF53_4D42 => "cifs",
        0x6573_5546 => "fuse",
        _ => return None,
    };
    Some(name.into())
}

#[cfg(not(target_os = "linux"))]
fn fs_type(_: &std::path::Path) -> Option<String> {
    None
}

struct Space {
    avail: u64,
    total: u64,
    inodes_full: bool,
}

#[cfg(unix)]
fn free_space(path: &std::path::Path) -> Option<Space> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: a zeroed statvfs is a valid out-parameter; `c` is a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    let frsize = st.f_frsize as u64;
    Some(Space {
        avail: st.f_bavail as u64 * frsize,
        total: st.f_blocks as u64 * frsize,
        // Filesystems without inode accounting (btrfs) report zero files.
        inodes_full: st.f_files > 0 && st.f_favail == 0,
    })
}

#[cfg(not(unix))]
fn free_space(_: &std::path::Path) -> Option<Space> {
    None
}

fn human(bytes: u64) -> String {
    const GIB: f64 = (1u64 << 30) as f64;
    if bytes >= 1 << 30 {
        format!("{:.1} GiB", bytes as f64 / GIB)
    } else {
        format!("{} MiB", bytes >> 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::{CommandOutput, RecordingRunner};

    #[test]
    fn xfs_without_d_type_is_found_by_xfs_info_on_the_running_machine() {
        let runner = RecordingRunner::default();
        runner.answer(
            "xfs_info /var",
            CommandOutput {
                code: Some(0),
                stdout: b"meta-data=/dev/sda2 isize=256 agcount=4\nnaming   =version 2              bsize=4096   ascii-ci=0 ftype=0\n".to_vec(),
                stderr: Vec::new(),
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let live = HostRoot::with_probes(dir.path(), std::rc::Rc::new(runner));
        assert!(xfs_without_d_type(&live, "/var"));
        assert!(!xfs_without_d_type(&live, "/srv"));
        assert!(!xfs_without_d_type(&HostRoot::at(dir.path()), "/var"));
    }
}
