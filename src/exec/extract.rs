//! Taking named files out of a downloaded archive (Docker's static tgz, the Windows CLI zip).
//! An archive with an entry that climbs out (`../`, an absolute path) is refused whole, and a
//! requested file that is a link is refused: neither ever occurs in a genuine archive.

use std::fs;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::fsops;

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("cannot read the archive {path}: {why}")]
    Read { path: String, why: String },
    #[error(
        "the archive {path} has an entry that escapes its folder ({entry}); it was not unpacked"
    )]
    Escapes { path: String, entry: String },
    #[error("{entry} in {path} is a link, not a file; it was not unpacked")]
    Link { path: String, entry: String },
    #[error("{path} has no {entry}")]
    Missing { path: String, entry: String },
    #[error("cannot write {path}: {why}")]
    Write { path: String, why: String },
}

/// Unpacks `members` (paths inside the archive) into `dest`, each under its own file name.
/// Returns the files written.
pub fn extract(
    archive: &Path,
    members: &[String],
    dest: &Path,
    backup_root: &Path,
) -> Result<Vec<PathBuf>, ExtractError> {
    let name = archive.to_string_lossy().to_ascii_lowercase();
    let found = if name.ends_with(".zip") {
        read_zip(archive, members)?
    } else {
        read_tgz(archive, members)?
    };
    let mut written = Vec::new();
    for member in members {
        let Some((data, mode)) = found
            .iter()
            .find(|(m, _, _)| m == member)
            .map(|(_, d, m)| (d, m))
        else {
            return Err(ExtractError::Missing {
                path: archive.display().to_string(),
                entry: member.clone(),
            });
        };
        let file_name = Path::new(member).file_name().unwrap_or_default();
        let target = dest.join(file_name);
        fsops::write_atomic(&target, data, *mode, backup_root).map_err(|e| {
            ExtractError::Write {
                path: target.display().to_string(),
                why: e.to_string(),
            }
        })?;
        written.push(target);
    }
    Ok(written)
}

/// Whether every member is already unpacked in `dest` with the archive's contents.
pub fn is_extracted(archive: &Path, members: &[String], dest: &Path) -> bool {
    let name = archive.to_string_lossy().to_ascii_lowercase();
    let found = if name.ends_with(".zip") {
        read_zip(archive, members)
    } else {
        read_tgz(archive, members)
    };
    found.is_ok_and(|found| {
        found.len() == members.len()
            && found.iter().all(|(member, data, _)| {
                let file_name = Path::new(member).file_name().unwrap_or_default();
                fsops::has_contents(&dest.join(file_name), data)
            })
    })
}

/// Whether an entry name stays inside the folder it is unpacked into.
fn stays_inside(entry: &str) -> bool {
    let path = Path::new(entry);
    !entry.starts_with('/')
        && !entry.starts_with('\\')
        && !entry.contains(':')
        && path
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
        && !entry.split(['/', '\\']).any(|p| p == "..")
}

fn normalize(entry: &str) -> String {
    entry.trim_start_matches("./").replace('\\', "/")
}

type Found = Vec<(String, Vec<u8>, u32)>;

fn read_tgz(archive: &Path, members: &[String]) -> Result<Found, ExtractError> {
    let read_err = |e: std::io::Error| ExtractError::Read {
        path: archive.display().to_string(),
        why: e.to_string(),
    };
    let file = fs::File::open(archive).map_err(read_err)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut found = Vec::new();
    for entry in tar.entries().map_err(read_err)? {
        let mut entry = entry.map_err(read_err)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        check_entry(archive, &raw)?;
        let name = normalize(&raw);
        if !members.contains(&name) {
            continue;
        }
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(ExtractError::Link {
                path: archive.display().to_string(),
                entry: name,
            });
        }
        let mode = entry.header().mode().unwrap_or(0o755) & 0o777;
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(read_err)?;
        found.push((name, data, mode));
    }
    Ok(found)
}

fn read_zip(archive: &Path, members: &[String]) -> Result<Found, ExtractError> {
    let read_err = |why: String| ExtractError::Read {
        path: archive.display().to_string(),
        why,
    };
    let file = fs::File::open(archive).map_err(|e| read_err(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| read_err(e.to_string()))?;
    let mut found = Vec::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| read_err(e.to_string()))?;
        let raw = entry
            .name()
            .map_err(|e| read_err(e.to_string()))?
            .to_string();
        check_entry(archive, &raw)?;
        let name = normalize(&raw);
        if !members.contains(&name) {
            continue;
        }
        if entry.is_symlink() {
            return Err(ExtractError::Link {
                path: archive.display().to_string(),
                entry: name,
            });
        }
        let mode = entry.unix_mode().unwrap_or(0o755) & 0o777;
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| read_err(e.to_string()))?;
        found.push((name, data, if mode == 0 { 0o755 } else { mode }));
    }
    Ok(found)
}

fn check_entry(archive: &Path, entry: &str) -> Result<(), ExtractError> {
    if stays_inside(entry) {
        Ok(())
    } else {
        Err(ExtractError::Escapes {
            path: archive.display().to_string(),
            entry: entry.to_string(),
        })
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    fn tgz(path: &Path, entries: &[(&str, &[u8])], link: Option<(&str, &str)>) {
        let file = fs::File::create(path).unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        for (name, data) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o755);
            header.set_entry_type(tar::EntryType::Regular);
            // set_path refuses "..", so the raw name is written to test what a hostile archive has.
            let bytes = name.as_bytes();
            header.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            header.set_cksum();
            builder.append(&header, *data).unwrap();
        }
        if let Some((name, target)) = link {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(tar::EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, name, target).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
    }

    fn zipfile(path: &Path, entries: &[(&str, &[u8])]) {
        let mut zip = zip::ZipWriter::new(fs::File::create(path).unwrap());
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }

    #[test]
    fn named_members_come_out_executable() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("docker-28.0.4.tgz");
        tgz(
            &archive,
            &[("docker/docker", b"cli"), ("docker/dockerd", b"daemon")],
            None,
        );
        let out = dir.path().join("bin");
        let written = extract(
            &archive,
            &["docker/docker".into()],
            &out,
            &dir.path().join("bak"),
        )
        .unwrap();
        assert_eq!(written, [out.join("docker")]);
        assert_eq!(fs::read(out.join("docker")).unwrap(), b"cli");
        assert!(!out.join("dockerd").exists());
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            fs::metadata(out.join("docker"))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o755
        );

        let zip_path = dir.path().join("docker-28.0.4.zip");
        zipfile(&zip_path, &[("docker/docker.exe", b"exe")]);
        extract(
            &zip_path,
            &["docker/docker.exe".into()],
            &out,
            &dir.path().join("bak"),
        )
        .unwrap();
        assert_eq!(fs::read(out.join("docker.exe")).unwrap(), b"exe");
    }

    #[test]
    fn escaping_entries_and_links_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let bak = dir.path().join("bak");
        let evil = dir.path().join("evil.tgz");
        tgz(
            &evil,
            &[("docker/docker", b"cli"), ("../../etc/cron.d/x", b"boom")],
            None,
        );
        let err = extract(&evil, &["docker/docker".into()], &out, &bak).unwrap_err();
        assert!(matches!(err, ExtractError::Escapes { .. }), "{err}");
        assert!(!out.exists(), "something was unpacked");

        let abs = dir.path().join("abs.zip");
        zipfile(&abs, &[("/etc/passwd", b"x")]);
        assert!(matches!(
            extract(&abs, &["docker/docker.exe".into()], &out, &bak),
            Err(ExtractError::Escapes { .. })
        ));

        let linked = dir.path().join("link.tgz");
        tgz(&linked, &[], Some(("docker/docker", "/etc/shadow")));
        assert!(matches!(
            extract(&linked, &["docker/docker".into()], &out, &bak),
            Err(ExtractError::Link { .. })
        ));

        let missing = dir.path().join("missing.tgz");
        tgz(&missing, &[("docker/dockerd", b"d")], None);
        let err = extract(&missing, &["docker/docker".into()], &out, &bak).unwrap_err();
        assert!(err.to_string().ends_with("has no docker/docker"), "{err}");
    }
}
