//! A real HTTP server on 127.0.0.1:0 serving a directory, for tests: apt, dnf and dockup's own
//! downloads talk to it exactly as they would to download.docker.com. It answers range requests,
//! and can be told to misbehave (cut a body, ignore ranges, stall, redirect).

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Ways to misbehave.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Ignore Range headers: always send the whole file with 200.
    pub no_range: bool,
    /// Close the first response's connection after this many body bytes.
    pub cut_first_after: Option<usize>,
    /// Wait this long before sending each body.
    pub stall: Option<Duration>,
    /// Wait this long before sending the body of the first request whose path contains this.
    pub stall_first_matching: Option<(String, Duration)>,
    /// Answer these paths with a 302 to another path.
    pub redirects: Vec<(String, String)>,
}

/// A request as the server saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub path: String,
    pub range: Option<String>,
}

pub struct Server {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
}

struct Shared {
    dir: PathBuf,
    faults: Faults,
    cut_done: AtomicBool,
    stall_done: AtomicBool,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// Serves `dir` until dropped.
    pub fn serve_dir(dir: &Path) -> Server {
        Server::serve_dir_with(dir, Faults::default())
    }

    pub fn serve_dir_with(dir: &Path, faults: Faults) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let shared = Arc::new(Shared {
            dir: dir.to_path_buf(),
            faults,
            cut_done: AtomicBool::new(false),
            stall_done: AtomicBool::new(false),
            seen: seen.clone(),
        });
        let stop_flag = stop.clone();
        let handle = thread::spawn(move || {
            for stream in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let shared = shared.clone();
                    thread::spawn(move || {
                        let _ = handle(stream, &shared);
                    });
                }
            }
        });
        Server {
            port,
            seen,
            stop,
            handle: Some(handle),
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn handle(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut range = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" || line == "\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("range")
            {
                range = Some(value.trim().to_string());
            }
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or("").to_string();
        let target = parts.next().unwrap_or("/").to_string();
        shared.seen.lock().unwrap().push(Seen {
            path: target.clone(),
            range: range.clone(),
        });
        if let Some((_, to)) = shared
            .faults
            .redirects
            .iter()
            .find(|(from, _)| *from == target)
        {
            write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n"
            )?;
            continue;
        }
        let Some(body) = resolve(&shared.dir, &target).and_then(|p| std::fs::read(p).ok()) else {
            let body = b"not found\n";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )?;
            if method != "HEAD" {
                stream.write_all(body)?;
            }
            continue;
        };
        let start = range.filter(|_| !shared.faults.no_range).and_then(|r| {
            r.strip_prefix("bytes=")?
                .strip_suffix('-')?
                .parse::<usize>()
                .ok()
        });
        let (status, slice, extra) = match start {
            Some(s) if s >= body.len() => {
                write!(
                    stream,
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{}\r\nContent-Length: 0\r\n\r\n",
                    body.len()
                )?;
                continue;
            }
            Some(s) => (
                "206 Partial Content",
                &body[s..],
                format!(
                    "Content-Range: bytes {s}-{}/{}\r\n",
                    body.len() - 1,
                    body.len()
                ),
            ),
            None => ("200 OK", &body[..], String::new()),
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\n{extra}Content-Type: application/octet-stream\r\n\r\n",
            slice.len()
        )?;
        if method == "HEAD" {
            continue;
        }
        stream.flush()?;
        if let Some(stall) = shared.faults.stall {
            thread::sleep(stall);
        }
        if let Some((needle, stall)) = &shared.faults.stall_first_matching
            && target.contains(needle.as_str())
            && !shared.stall_done.swap(true, Ordering::SeqCst)
        {
            thread::sleep(*stall);
        }
        if let Some(cut) = shared.faults.cut_first_after
            && !shared.cut_done.swap(true, Ordering::SeqCst)
        {
            stream.write_all(&slice[..cut.min(slice.len())])?;
            stream.flush()?;
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        stream.write_all(slice)?;
        stream.flush()?;
    }
}

/// The file a request path names inside `dir`; nothing outside it.
fn resolve(dir: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let mut out = dir.to_path_buf();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => out.push(percent_decode(p)?),
        }
    }
    out.is_file().then_some(out)
}

/// apt escapes `~` and `:` in package file names (`%7e`, `%3a`).
fn percent_decode(part: &str) -> Option<String> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let decoded = String::from_utf8(out).ok()?;
    (!decoded.contains('/') && decoded != "..").then_some(decoded)
}
