//! What the end-to-end tests share: the decision to run or skip, the mirrors they build and
//! serve, and chroots with what a package manager needs mounted.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::http::{Faults, Server};

fn repo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Why this machine cannot run the e2e tests, if it cannot.
pub fn unavailable() -> Option<String> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return Some("not root".into());
    }
    if Command::new("chroot").arg("--version").output().is_err() {
        return Some("no chroot command".into());
    }
    None
}

/// Skips, or fails where the e2e tests are required (CI sets DOCKUP_E2E=require).
pub fn skip_or_fail(why: &str) {
    if std::env::var("DOCKUP_E2E").as_deref() == Ok("require") {
        panic!("the e2e test cannot run here: {why}");
    }
    eprintln!("skipped: {why}");
}

/// Runs one of scripts/e2e/*.sh with `dest` as its argument.
pub fn script(name: &str, dest: &Path) {
    let status = Command::new("bash")
        .arg(repo_dir().join("scripts/e2e").join(name))
        .arg(dest)
        .status()
        .unwrap();
    assert!(status.success(), "{name} failed");
}

/// A repository built by one of the mirror scripts, served on 127.0.0.1 while it lives.
pub struct Mirror {
    pub dir: tempfile::TempDir,
    /// The fingerprint of the key that signed it, and of another one.
    pub fpr: String,
    pub wrong: String,
    server: Server,
}

impl Mirror {
    pub fn build(script_name: &str) -> Mirror {
        Mirror::build_with(script_name, Faults::default())
    }

    /// A mirror whose server misbehaves as `faults` say.
    pub fn build_with(script_name: &str, faults: Faults) -> Mirror {
        let dir = tempfile::Builder::new()
            .prefix("dockup-e2e-mirror")
            .tempdir()
            .unwrap();
        script(script_name, dir.path());
        let read = |f: &str| {
            std::fs::read_to_string(dir.path().join(f))
                .unwrap()
                .trim()
                .to_string()
        };
        let (fpr, wrong) = (read("fingerprint"), read("wrong-fingerprint"));
        let server = Server::serve_dir_with(dir.path(), faults);
        Mirror {
            dir,
            fpr,
            wrong,
            server,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }
}

/// A Debian bookworm chroot (scripts/e2e/build-chroot.sh) with /proc and a private /dev/pts
/// mounted and dockup copied in; everything is unmounted when it is dropped.
pub struct Chroot {
    pub dir: tempfile::TempDir,
    mounts: Vec<PathBuf>,
}

impl Chroot {
    pub fn new(dockup: &str) -> Chroot {
        Chroot::build(dockup, false)
    }

    /// A chroot where a real dockerd can run and start containers: runc needs the root to be a
    /// mount point (hence the bind mount onto itself), and dockerd needs sysfs, the cgroup tree,
    /// /dev/shm and its own /run.
    pub fn for_engine(dockup: &str) -> Chroot {
        Chroot::build(dockup, true)
    }

    fn build(dockup: &str, engine: bool) -> Chroot {
        let dir = tempfile::Builder::new()
            .prefix("dockup-e2e-root")
            .tempdir()
            .unwrap();
        script("build-chroot.sh", dir.path());
        let mut me = Chroot {
            dir,
            mounts: Vec::new(),
        };
        if engine {
            let path = me.dir.path().to_str().unwrap().to_string();
            me.mount(&["--bind", &path], "");
        }
        me.mount(&["-t", "proc", "proc"], "proc");
        if engine {
            me.mount(&["-t", "sysfs", "sysfs"], "sys");
            me.mount(&["--rbind", "/sys/fs/cgroup"], "sys/fs/cgroup");
            let cgroup = me.path("sys/fs/cgroup");
            let _ = Command::new("mount")
                .arg("--make-rslave")
                .arg(&cgroup)
                .status();
            me.mount(&["-t", "tmpfs", "shm"], "dev/shm");
            me.mount(&["-t", "tmpfs", "run"], "run");
        }
        me.mount(
            &[
                "-t",
                "devpts",
                "-o",
                "newinstance,ptmxmode=0666,mode=0620",
                "devpts",
            ],
            "dev/pts",
        );
        std::fs::copy(dockup, me.path("usr/local/bin/dockup")).unwrap();
        me
    }

    pub fn mount(&mut self, args: &[&str], at: &str) {
        let target = self.path(at);
        std::fs::create_dir_all(&target).unwrap();
        let ok = Command::new("mount")
            .args(args)
            .arg(&target)
            .status()
            .unwrap()
            .success();
        assert!(ok, "mount {at}");
        self.mounts.push(target);
    }

    pub fn path(&self, inner: &str) -> PathBuf {
        self.dir.path().join(inner)
    }

    pub fn run(&self, argv: &[&str]) -> Output {
        Command::new("chroot")
            .arg(self.dir.path())
            .args(argv)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .env("LANG", "C.UTF-8")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    pub fn dockup(&self, args: &[&str]) -> Output {
        let mut argv = vec!["/usr/local/bin/dockup"];
        argv.extend(args);
        let out = self.run(&argv);
        eprintln!(
            "$ dockup {}\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// The installed version of a package, per dpkg inside the chroot.
    pub fn installed(&self, package: &str) -> Option<String> {
        let out = self.run(&["dpkg-query", "-W", "-f=${Status} ${Version}", package]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.strip_prefix("install ok installed ")
            .map(str::to_string)
    }

    pub fn exists(&self, inner: &str) -> bool {
        self.path(inner).exists()
    }

    /// A stand-in for Debian's docker.io, to show a conflicting package is handled.
    pub fn install_fake_docker_io(&self) {
        let pkg = self.path("tmp/docker.io");
        std::fs::create_dir_all(pkg.join("DEBIAN")).unwrap();
        std::fs::write(
            pkg.join("DEBIAN/control"),
            "Package: docker.io\nVersion: 20.10.24+dfsg1-1+b3\nArchitecture: amd64\n\
             Maintainer: dockup tests <test@dockup.invalid>\nDescription: stand-in for Debian's docker.io\n",
        )
        .unwrap();
        for argv in [
            &[
                "dpkg-deb",
                "--build",
                "/tmp/docker.io",
                "/tmp/docker.io.deb",
            ][..],
            &["dpkg", "-i", "/tmp/docker.io.deb"][..],
        ] {
            let out = self.run(argv);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

impl Drop for Chroot {
    /// Stops a dockerd left running by a failed test, then unmounts everything under the
    /// chroot, deepest first: dockerd adds mounts of its own (/var/lib/docker onto itself).
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.path("run/docker.pid")) {
            let pid = pid.trim();
            let _ = Command::new("kill").args(["-TERM", pid]).status();
            let proc = PathBuf::from(format!("/proc/{pid}"));
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
            while proc.exists() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
        let root = self.dir.path().to_string_lossy().into_owned();
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut under: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split(' ').nth(1))
            .filter(|m| *m == root || m.starts_with(&format!("{root}/")))
            .collect();
        under.sort_by_key(|m| std::cmp::Reverse(m.len()));
        under.dedup();
        for m in under {
            let _ = Command::new("umount").arg("-l").arg(m).status();
        }
        let _ = &self.mounts;
    }
}
