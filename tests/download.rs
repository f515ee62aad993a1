//! The downloader against a real HTTP server on 127.0.0.1 that misbehaves on purpose.

mod support;

use std::path::Path;
use std::time::Duration;

use dockup::exec::download::{DownloadError, Downloader, Fetched, partial_path};
use support::http::{Faults, Server};

const SIZE: usize = 3 << 20;

/// A served directory with one 3 MiB file of varied bytes, and its sha256.
fn served() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..SIZE).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(dir.path().join("artifact.bin"), &body).unwrap();
    let sha = dockup::exec::download::hash_file(&dir.path().join("artifact.bin")).unwrap();
    (dir, sha)
}

fn downloader(timeout: Duration) -> Downloader {
    Downloader::new(None, timeout)
        .unwrap()
        .retries(3, Duration::from_millis(10))
}

/// The served artifact, with a patient downloader.
fn fetch_artifact(server: &Server, sha: &str, dest: &Path) -> Result<Fetched, DownloadError> {
    let url = format!("{}/artifact.bin", server.url());
    fetch(&downloader(Duration::from_secs(10)), &url, Some(sha), dest)
}

fn fetch(
    d: &Downloader,
    url: &str,
    sha: Option<&str>,
    dest: &Path,
) -> Result<Fetched, DownloadError> {
    d.fetch("test artifact", url, sha, dest, &mut |_, _| {})
}

#[test]
fn a_plain_download_is_verified_and_renamed_into_place() {
    let (dir, sha) = served();
    let server = Server::serve_dir(dir.path());
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("cache/artifact.bin");
    let mut seen = Vec::new();
    let got = downloader(Duration::from_secs(10))
        .fetch(
            "test artifact",
            &format!("{}/artifact.bin", server.url()),
            Some(&sha),
            &dest,
            &mut |n, t| seen.push((n, t)),
        )
        .unwrap();
    assert_eq!(
        got,
        Fetched::Downloaded {
            bytes: SIZE as u64,
            resumed: false
        }
    );
    assert_eq!(std::fs::metadata(&dest).unwrap().len(), SIZE as u64);
    assert!(!partial_path(&dest).exists());
    assert_eq!(seen.last(), Some(&(SIZE as u64, Some(SIZE as u64))));
    // Verified files are reused without asking the server.
    let before = server.requests().len();
    assert_eq!(
        fetch_artifact(&server, &sha, &dest).unwrap(),
        Fetched::Cached
    );
    assert_eq!(server.requests().len(), before);
}

#[test]
fn a_cut_connection_is_resumed_with_a_range_request() {
    let (dir, sha) = served();
    let faults = Faults {
        cut_first_after: Some(1 << 20),
        ..Faults::default()
    };
    let server = Server::serve_dir_with(dir.path(), faults);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    let got = fetch_artifact(&server, &sha, &dest).unwrap();
    assert_eq!(
        got,
        Fetched::Downloaded {
            bytes: SIZE as u64,
            resumed: true
        }
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[1].range.as_deref(), Some("bytes=1048576-"));
}

#[test]
fn a_server_without_ranges_makes_it_start_over() {
    let (dir, sha) = served();
    let faults = Faults {
        cut_first_after: Some(1 << 20),
        no_range: true,
        ..Faults::default()
    };
    let server = Server::serve_dir_with(dir.path(), faults);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    let got = fetch_artifact(&server, &sha, &dest).unwrap();
    assert_eq!(
        got,
        Fetched::Downloaded {
            bytes: SIZE as u64,
            resumed: true
        }
    );
    assert_eq!(dockup::exec::download::hash_file(&dest).unwrap(), sha);
}

#[test]
fn a_partial_file_left_by_an_earlier_run_is_continued() {
    let (dir, sha) = served();
    let server = Server::serve_dir(dir.path());
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    let body = std::fs::read(dir.path().join("artifact.bin")).unwrap();
    std::fs::write(partial_path(&dest), &body[..500_000]).unwrap();
    let got = fetch_artifact(&server, &sha, &dest).unwrap();
    assert_eq!(
        got,
        Fetched::Downloaded {
            bytes: SIZE as u64,
            resumed: true
        }
    );
    assert_eq!(server.requests()[0].range.as_deref(), Some("bytes=500000-"));
}

#[test]
fn a_wrong_hash_is_an_error_and_leaves_nothing() {
    let (dir, _) = served();
    let server = Server::serve_dir(dir.path());
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    let wrong = "0".repeat(64);
    let err = fetch_artifact(&server, &wrong, &dest).unwrap_err();
    assert!(matches!(err, DownloadError::BadHash { .. }), "{err}");
    assert!(err.to_string().contains(&wrong));
    assert!(!dest.exists() && !partial_path(&dest).exists());
}

#[test]
fn not_found_is_not_retried() {
    let (dir, sha) = served();
    let server = Server::serve_dir(dir.path());
    let out = tempfile::tempdir().unwrap();
    let err = fetch(
        &downloader(Duration::from_secs(10)),
        &format!("{}/nope.bin", server.url()),
        Some(&sha),
        &out.path().join("x"),
    )
    .unwrap_err();
    assert!(
        matches!(err, DownloadError::Status { status: 404, .. }),
        "{err}"
    );
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_stalled_server_times_out_and_keeps_the_partial_file_for_later() {
    let (dir, sha) = served();
    let faults = Faults {
        stall: Some(Duration::from_secs(3)),
        ..Faults::default()
    };
    let server = Server::serve_dir_with(dir.path(), faults);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    let d = Downloader::new(None, Duration::from_millis(300))
        .unwrap()
        .retries(0, Duration::ZERO);
    let err = fetch(
        &d,
        &format!("{}/artifact.bin", server.url()),
        Some(&sha),
        &dest,
    )
    .unwrap_err();
    assert!(matches!(err, DownloadError::Unreachable { .. }), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("timed out"),
        "{err}"
    );
    assert!(err.help().unwrap().contains("resume"));
}

#[test]
fn redirects_are_followed() {
    let (dir, sha) = served();
    let faults = Faults {
        redirects: vec![("/latest.bin".into(), "/artifact.bin".into())],
        ..Faults::default()
    };
    let server = Server::serve_dir_with(dir.path(), faults);
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("artifact.bin");
    fetch(
        &downloader(Duration::from_secs(10)),
        &format!("{}/latest.bin", server.url()),
        Some(&sha),
        &dest,
    )
    .unwrap();
    assert_eq!(dockup::exec::download::hash_file(&dest).unwrap(), sha);
}

#[test]
fn an_unpinned_artifact_is_refused_before_any_request() {
    let out = tempfile::tempdir().unwrap();
    let err = fetch(
        &downloader(Duration::from_secs(1)),
        "http://127.0.0.1:9/x",
        None,
        &out.path().join("x"),
    )
    .unwrap_err();
    assert!(matches!(err, DownloadError::Unpinned { .. }), "{err}");
}

/// Download and Extract steps through the executor: fetched, verified, unpacked; then done.
#[test]
fn download_and_extract_steps_run_and_then_are_done() {
    use dockup::exec::{Event, Executor, Observer, RecordingRunner, RunLog, RunSummary};
    use dockup::plan::{Plan, Shell, Step};
    use dockup::platform::{Artifact, Strategy};

    struct Quiet(Vec<Event>);
    impl Observer for Quiet {
        fn event(&mut self, e: &Event) {
            self.0.push(e.clone());
        }
        fn ask(&mut self, _: &str) -> Option<bool> {
            None
        }
    }

    let served = tempfile::tempdir().unwrap();
    let archive = served.path().join("docker-28.0.4.tgz");
    {
        let file = std::fs::File::create(&archive).unwrap();
        let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
            file,
            flate2::Compression::fast(),
        ));
        let mut header = tar::Header::new_gnu();
        header.set_size(3);
        header.set_mode(0o755);
        tar.append_data(&mut header, "docker/docker", &b"cli"[..])
            .unwrap();
        tar.into_inner().unwrap().finish().unwrap();
    }
    let sha = dockup::exec::download::hash_file(&archive).unwrap();
    let server = Server::serve_dir(served.path());
    let work = tempfile::tempdir().unwrap();
    let dest = work.path().join("cache/docker-28.0.4.tgz");
    let bin = work.path().join("bin");
    let plan = Plan {
        strategy: Strategy::Vm,
        shell: Shell::Posix,
        root: None,
        steps: vec![
            Step::Download {
                artifact: Artifact {
                    key: "docker-static".into(),
                    name: "Docker static binaries".into(),
                    version: "28.0.4".into(),
                    url: format!("{}/docker-28.0.4.tgz", server.url()),
                    file: "docker-28.0.4.tgz".into(),
                    size: None,
                    sha256: Some(sha),
                    min_build: None,
                    max_build: None,
                },
                dest: dest.to_string_lossy().into_owned(),
            },
            Step::Extract {
                archive: dest.to_string_lossy().into_owned(),
                members: vec!["docker/docker".into()],
                dest: bin.to_string_lossy().into_owned(),
            },
        ],
        notes: Vec::new(),
    };
    let runner = RecordingRunner::default();
    let mut log = RunLog::none();
    let mut view = Quiet(Vec::new());
    let backups = work.path().join("backup");
    let summary = Executor::new(&runner, &mut view, &mut log, false)
        .assume_root(true)
        .backup_root(&backups)
        .run(&plan)
        .unwrap();
    assert_eq!(summary, RunSummary::Changed { steps_run: 2 });
    assert_eq!(std::fs::read(bin.join("docker")).unwrap(), b"cli");
    assert!(view.0.iter().any(|e| matches!(e, Event::Progress { .. })));
    let again = Executor::new(&runner, &mut view, &mut log, false)
        .assume_root(true)
        .backup_root(&backups)
        .run(&plan)
        .unwrap();
    assert_eq!(again, RunSummary::NothingToDo);
}

#[test]
fn a_file_url_is_copied_only_with_the_pinned_hash() {
    // `install --from DIR` turns every artifact URL into file://DIR/<file>.
    let (dir, sha) = served();
    let out = tempfile::tempdir().unwrap();
    let url = format!("file://{}/artifact.bin", dir.path().display());
    let dest = out.path().join("copy.bin");
    let d = downloader(Duration::from_secs(5));
    assert!(matches!(
        fetch(&d, &url, Some(&sha), &dest).unwrap(),
        Fetched::Downloaded { .. }
    ));
    assert_eq!(dockup::exec::download::hash_file(&dest).unwrap(), sha);
    assert!(matches!(
        fetch(&d, &url, Some(&sha), &dest).unwrap(),
        Fetched::Cached
    ));
    // A changed file is not trusted, and leaves nothing behind.
    std::fs::write(dir.path().join("artifact.bin"), b"tampered").unwrap();
    let other = out.path().join("other.bin");
    let err = fetch(&d, &url, Some(&sha), &other).unwrap_err();
    assert!(matches!(err, DownloadError::BadHash { .. }), "{err}");
    assert!(!other.exists() && !partial_path(&other).exists());
    let missing = format!("file://{}/nope.bin", dir.path().display());
    let err = fetch(&d, &missing, Some(&sha), &other).unwrap_err();
    assert!(err.to_string().contains("nope.bin"), "{err}");
}
