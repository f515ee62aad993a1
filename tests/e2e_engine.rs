#![cfg(unix)]
//! A real engine: Debian's docker.io, containerd and runc repacked under Docker's package names
//! in a local signed mirror, installed by dockup inside a chroot where no init system runs, so
//! dockup starts dockerd itself; then `dockup verify` runs a container from a local image.
//!
//! Needs root; set DOCKUP_E2E=require to make a skip a failure (CI does).

mod support;

use std::process::Output;

use support::e2e::{Chroot, Mirror, script, skip_or_fail, unavailable};

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn dockup_starts_a_real_dockerd_and_runs_a_container() {
    if let Some(why) = unavailable() {
        return skip_or_fail(&why);
    }
    let mirror = Mirror::build("build-real-mirror.sh");
    let chroot = Chroot::for_engine(env!("CARGO_BIN_EXE_dockup"));
    // The chroot shares the host's network: keep dockerd away from its bridges and firewall.
    std::fs::create_dir_all(chroot.path("etc/docker")).unwrap();
    std::fs::write(
        chroot.path("etc/docker/daemon.json"),
        "{\"bridge\": \"none\", \"iptables\": false, \"ip-forward\": false}\n",
    )
    .unwrap();

    let url = mirror.url();
    let args = [
        "install",
        "-y",
        "--mirror",
        &url,
        "--key-fingerprint",
        &mirror.fpr,
    ];
    let out = chroot.dockup(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Start the Docker daemon directly"), "{text}");
    assert!(text.contains("dockerd is answering"), "{text}");
    assert!(chroot.exists("var/log/dockerd.log"));

    // A local image: no registry is reachable from here.
    script("busybox-rootfs.sh", &chroot.path("tmp/busybox.tar"));
    let out = chroot.run(&[
        "docker",
        "import",
        "--change",
        "CMD [\"echo\", \"hello from dockup-e2e\"]",
        "/tmp/busybox.tar",
        "dockup-e2e/busybox",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = chroot.dockup(&["verify", "--image", "dockup-e2e/busybox"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("dockerd 20.10.24"), "{text}");
    assert!(text.contains("ran: hello from dockup-e2e"), "{text}");
    // The multi-stage build: FROM the image, then FROM scratch with its files copied in.
    assert!(
        text.contains(
            "a two-stage build (FROM dockup-e2e/busybox, then FROM scratch) ran: hello from dockup-e2e"
        ),
        "{text}"
    );
    let out = chroot.run(&["docker", "image", "ls", "-q", "dockup-verify-build"]);
    assert_eq!(
        stdout(&out).trim(),
        "",
        "verify left its build image behind"
    );
    let out = chroot.dockup(&["verify", "--json", "--image", "dockup-e2e/busybox"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ok"], true);
    assert_eq!(json["checks"][3]["name"], "build");

    // Installed and answering: a rerun has nothing to do.
    let out = chroot.dockup(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("nothing to do"));

    // Uninstall stops the daemon it did not start through an init system, by its pid file.
    let out = chroot.dockup(&["uninstall", "-y"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(chroot.installed("docker-ce").is_none());
    let out = chroot.dockup(&["verify", "--image", "dockup-e2e/busybox"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("the docker CLI is not installed"), "{text}");
    assert!(stderr(&out).contains("dockup doctor"), "{}", stderr(&out));
}
