//! Downloads that can be trusted: streamed to `<file>.partial` with the sha256 computed while
//! writing, resumed with a range request after a cut, retried with backoff on transient errors,
//! and renamed into place only when the hash matches the pin.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_RANGE, RANGE};
use sha2::{Digest, Sha256};

use super::error_chain;

#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("{name} has no sha256 in the catalog, so dockup will not download it unverified")]
    Unpinned { name: String },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("cannot download {url}: {why}")]
    Unreachable { url: String, why: String },
    #[error(
        "{url} does not have the pinned sha256\n  expected: {expected}\n  received: {received}"
    )]
    BadHash {
        url: String,
        expected: String,
        received: String,
    },
    #[error("cannot write {path}: {why}")]
    Io { path: String, why: String },
    #[error("the download was interrupted; what was received is kept in {partial}")]
    Interrupted { partial: String },
}

impl DownloadError {
    pub fn help(&self) -> Option<String> {
        match self {
            DownloadError::BadHash { .. } => Some(
                "the file was deleted. A changed or tampered file is not installed: check the \
                 URL, or the mirror given with --artifact-mirror"
                    .into(),
            ),
            DownloadError::Unreachable { .. } => Some(
                "what was received is kept as .partial; rerun to resume. Behind a proxy, set \
                 https_proxy or pass --proxy"
                    .into(),
            ),
            _ => None,
        }
    }

    /// Worth another try: the network, not the request, failed.
    fn is_transient(&self) -> bool {
        match self {
            DownloadError::Unreachable { .. } => true,
            DownloadError::Status { status, .. } => {
                *status == 408 || *status == 429 || (500..600).contains(status)
            }
            _ => false,
        }
    }
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The file was already there with the pinned hash.
    Cached,
    Downloaded {
        bytes: u64,
        resumed: bool,
    },
}

/// Streams with reqwest's async client on a one-thread runtime: the blocking client relays
/// every chunk through a channel from a runtime thread, which costs a third of the throughput.
pub struct Downloader {
    client: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    retries: u32,
    backoff: Duration,
}

const CHUNK: usize = 256 << 10;

/// How long a download may wait for a connection or for the next bytes: every download
/// dockup makes (a plan's, `fetch`, `install --download-only`) uses it.
pub const TIMEOUT: Duration = Duration::from_secs(30);

impl Downloader {
    /// `timeout` bounds connecting and each read, not the whole transfer. Without `proxy` the
    /// proxy environment variables apply.
    pub fn new(proxy: Option<&str>, timeout: Duration) -> Result<Downloader, DownloadError> {
        let setup = |why: String| DownloadError::Unreachable {
            url: String::new(),
            why,
        };
        let mut builder = reqwest::Client::builder()
            .connect_timeout(timeout)
            .read_timeout(timeout)
            .user_agent(concat!("dockup/", env!("CARGO_PKG_VERSION")));
        if let Some(p) = proxy {
            builder = builder.proxy(reqwest::Proxy::all(p).map_err(|e| setup(e.to_string()))?);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| setup(e.to_string()))?;
        Ok(Downloader {
            client: builder.build().map_err(|e| setup(e.to_string()))?,
            runtime,
            retries: 4,
            backoff: Duration::from_secs(1),
        })
    }

    /// Attempts after the first, and the first wait between them (doubled each time).
    pub fn retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// Fetches `url` to `dest`, trusting it only if its sha256 is `sha256`. `progress` gets
    /// (bytes so far, total when known).
    pub fn fetch(
        &self,
        name: &str,
        url: &str,
        sha256: Option<&str>,
        dest: &Path,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<Fetched, DownloadError> {
        let expected = sha256
            .map(str::to_ascii_lowercase)
            .ok_or_else(|| DownloadError::Unpinned { name: name.into() })?;
        if hash_file(dest).is_ok_and(|h| h == expected) {
            return Ok(Fetched::Cached);
        }
        let partial = partial_path(dest);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        }
        if let Some(source) = url.strip_prefix("file://") {
            return copy_verified(Path::new(source), &partial, dest, &expected, url);
        }
        let mut attempt = 0;
        let mut resumed = false;
        let mut hash = StreamHash::default();
        loop {
            match self.attempt(url, &partial, &mut hash, progress) {
                Ok(r) => {
                    resumed |= r;
                    break;
                }
                Err(e) if e.is_transient() && attempt < self.retries => {
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                    resumed = true;
                }
                Err(e) => return Err(e),
            }
        }
        let received = hash.finish(&partial).map_err(|e| io_error(&partial, e))?;
        if received != expected {
            let _ = std::fs::remove_file(&partial);
            return Err(DownloadError::BadHash {
                url: url.into(),
                expected,
                received,
            });
        }
        let bytes = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        std::fs::rename(&partial, dest).map_err(|e| io_error(dest, e))?;
        Ok(Fetched::Downloaded { bytes, resumed })
    }

    /// One request: continues `partial` with a range request when it has bytes. Returns whether
    /// it resumed.
    fn attempt(
        &self,
        url: &str,
        partial: &Path,
        hash: &mut StreamHash,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<bool, DownloadError> {
        let have = std::fs::metadata(partial).map(|m| m.len()).unwrap_or(0);
        let mut request = self.client.get(url);
        if have > 0 {
            request = request.header(RANGE, format!("bytes={have}-"));
        }
        let unreachable = |e: &dyn std::error::Error| DownloadError::Unreachable {
            url: url.into(),
            why: error_chain(e),
        };
        // reqwest's futures must be created inside the runtime, not only polled there.
        let mut response = self
            .runtime
            .block_on(async { request.send().await })
            .map_err(|e| unreachable(&e))?;
        let status = response.status();
        // 416: the partial file already holds everything there is.
        if have > 0 && status == StatusCode::RANGE_NOT_SATISFIABLE {
            return Ok(true);
        }
        if !status.is_success() {
            return Err(DownloadError::Status {
                url: url.into(),
                status: status.as_u16(),
            });
        }
        let resumes = have > 0
            && status == StatusCode::PARTIAL_CONTENT
            && response
                .headers()
                .get(CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(&format!("bytes {have}-")));
        // A server that ignores ranges sends everything again: start over.
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .append(resumes)
            .truncate(!resumes)
            .open(partial)
            .map_err(|e| io_error(partial, e))?;
        // Network chunks are small; the disk gets them in megabytes.
        let mut file = std::io::BufWriter::with_capacity(CHUNK * 4, file);
        let start = if resumes { have } else { 0 };
        hash.continue_from(partial, start)
            .map_err(|e| io_error(partial, e))?;
        let total = response.content_length().map(|len| len + start);
        let mut done = start;
        progress(done, total);
        // Hashing runs on its own thread, overlapping the network and the disk: otherwise it
        // would add its whole time to the transfer's.
        let (tx, rx) = std::sync::mpsc::sync_channel::<bytes::Bytes>(64);
        let mut hasher = std::mem::take(&mut hash.hasher);
        let worker = std::thread::spawn(move || {
            for chunk in rx {
                hasher.update(&chunk);
            }
            hasher
        });
        let streamed = (|| {
            loop {
                let chunk = self
                    .runtime
                    .block_on(async { response.chunk().await })
                    .map_err(|e| unreachable(&e))?;
                let Some(chunk) = chunk else {
                    return Ok(());
                };
                if super::interrupt::requested() {
                    return Err(DownloadError::Interrupted {
                        partial: partial.display().to_string(),
                    });
                }
                file.write_all(&chunk).map_err(|e| io_error(partial, e))?;
                done += chunk.len() as u64;
                hash.len += chunk.len() as u64;
                // The hash covers what was handed to the file; should the two ever differ (a
                // failed flush), `continue_from` and `finish` see it by length and rehash.
                if tx.send(chunk).is_err() {
                    return Err(DownloadError::Io {
                        path: partial.display().to_string(),
                        why: "the hashing thread stopped".into(),
                    });
                }
                progress(done, total);
            }
        })();
        drop(tx);
        let flushed = file.flush().map_err(|e| io_error(partial, e));
        hash.hasher = worker.join().map_err(|_| DownloadError::Io {
            path: partial.display().to_string(),
            why: "the hashing thread panicked".into(),
        })?;
        streamed?;
        flushed?;
        // No fsync: a file is only ever used after its sha256 is checked again, so a crash that
        // loses written bytes costs a download, never a bad install; syncing would halve the
        // throughput of a large download.
        if let Some(t) = total
            && done < t
        {
            return Err(DownloadError::Unreachable {
                url: url.into(),
                why: format!("the connection closed after {done} of {t} bytes"),
            });
        }
        Ok(resumes)
    }
}

/// The sha256 of the partial file, kept up to date as bytes are written, so a finished
/// download is never read back; after a restart of dockup the bytes already on disk are hashed
/// once.
#[derive(Default)]
struct StreamHash {
    hasher: Sha256,
    len: u64,
}

impl StreamHash {
    /// Makes the state cover exactly the first `start` bytes of `partial`.
    fn continue_from(&mut self, partial: &Path, start: u64) -> std::io::Result<()> {
        if self.len == start {
            return Ok(());
        }
        *self = StreamHash::default();
        if start > 0 {
            let mut file = File::open(partial)?.take(start);
            let mut buf = vec![0u8; CHUNK];
            loop {
                let n = file.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                self.update(&buf[..n]);
            }
        }
        Ok(())
    }

    fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.len += bytes.len() as u64;
    }

    /// The hash of the whole partial file (re-read only if it is not what was streamed).
    fn finish(self, partial: &Path) -> std::io::Result<String> {
        let on_disk = std::fs::metadata(partial)?.len();
        if on_disk == self.len {
            Ok(hex::encode(self.hasher.finalize()))
        } else {
            hash_file(partial)
        }
    }
}

pub fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    dest.with_file_name(name)
}

/// The sha256 of a file, lowercase hex.
pub fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

fn io_error(path: &Path, e: std::io::Error) -> DownloadError {
    DownloadError::Io {
        path: path.display().to_string(),
        why: e.to_string(),
    }
}

/// An artifact fetched beforehand (`install --from DIR`): copied, and kept only if the copy's
/// sha256 is the pinned one, exactly like a download.
fn copy_verified(
    source: &Path,
    partial: &Path,
    dest: &Path,
    expected: &str,
    url: &str,
) -> Result<Fetched, DownloadError> {
    let bytes = std::fs::copy(source, partial).map_err(|e| DownloadError::Unreachable {
        url: url.into(),
        why: format!("cannot copy {}: {e}", source.display()),
    })?;
    let received = hash_file(partial).map_err(|e| io_error(partial, e))?;
    if received != expected {
        let _ = std::fs::remove_file(partial);
        return Err(DownloadError::BadHash {
            url: url.into(),
            expected: expected.into(),
            received,
        });
    }
    std::fs::rename(partial, dest).map_err(|e| io_error(dest, e))?;
    Ok(Fetched::Downloaded {
        bytes,
        resumed: false,
    })
}
