#!/usr/bin/env bash
# Manual smoke test for the e2e fixtures (not used by CI): builds a bookworm chroot and the fake
# download.docker.com mirror, serves the mirror on 127.0.0.1, and inside the chroot installs
# Docker by hand the way Docker's install docs do (key in /etc/apt/keyrings/docker.asc,
# docker.list with signed-by, apt-get update/install). Then it exercises a downgrade, the test
# channel, the stand-in daemon, and checks that a wrong key is rejected.
#
#   sudo scripts/e2e/check.sh
#
# Env: DOCKUP_E2E_CACHE (chroot tarball cache, see build-chroot.sh); DOCKUP_E2E_KEEP=1 keeps the
# temporary directory (chroot + mirror) for inspection.
#
# The chroot shares the host's network namespace, so 127.0.0.1 inside it reaches the server
# started here. Needs root (chroot, mount).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=check
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
die() { echo "check: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve the mirror"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-check.XXXXXX")
root=$tmp/chroot
mirror=$tmp/mirror
server_pid=

cleanup() {
    local rc=$?
    # Stop the stand-in dockerd if a step started it and failed before stopping it; it runs
    # chrooted, but in the host's process namespace.
    if [[ -x $root/etc/init.d/docker && -d $root/proc/self ]]; then
        chroot "$root" /etc/init.d/docker stop >/dev/null 2>&1 || true
    fi
    stop_server
    local unmounted=1
    umount_proc_pts "$root" || unmounted=
    if [[ -z $unmounted && ${DOCKUP_E2E_KEEP:-} != 1 ]]; then
        echo "check: something is still mounted in $root; not deleting $tmp" >&2
    else
        remove_tmp "$tmp"
    fi
    finish "$rc"
}
on_exit cleanup

# Run a command in the chroot with a clean, non-interactive environment.
in_chroot() {
    chroot "$root" /usr/bin/env -i HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}
# shellcheck disable=SC2016 # ${Version} is a dpkg-query format field, not a shell variable.
installed_version() { in_chroot dpkg-query -W -f '${Version}' "$1"; }
expect_version() { # expect_version PACKAGE VERSION
    local got
    got=$(installed_version "$1") || die "$1 is not installed"
    [[ $got == "$2" ]] || die "$1 is $got, expected $2"
}
expect_output() { # expect_output EXPECTED COMMAND...
    local want=$1 got
    shift
    got=$(in_chroot "$@") || die "'$*' failed"
    [[ $got == "$want" ]] || die "'$*' printed '$got', expected '$want'"
}
write_list() { # write_list COMPONENTS...: the docker.list line from Docker's docs
    echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] http://127.0.0.1:$port/linux/debian bookworm $*" \
        >"$root/etc/apt/sources.list.d/docker.list"
}

step "building chroot"
"$here/build-chroot.sh" "$root"
step "building mirror"
"$here/build-mirror.sh" "$mirror"
fpr=$(cat "$mirror/fingerprint")

step "serving mirror"
# Ask the kernel for a free port, then hand it to http.server (small race, fine for a smoke test).
port=$(free_port)
serve_mirror "$port" "$mirror" "$tmp/http.log" "http://127.0.0.1:$port/linux/debian/gpg"
echo "check: mirror at http://127.0.0.1:$port/linux/debian (key $fpr)" >&2

mount_proc_pts "$root"

step "installing Docker as the docs do"
# Docker's docs: `install -m 0755 -d /etc/apt/keyrings`, `curl ... -o /etc/apt/keyrings/docker.asc`,
# `chmod a+r`. There is no curl in a minbase chroot, so copy the served file in instead.
install -m 0755 -d "$root/etc/apt/keyrings"
install -m 0644 "$mirror/linux/debian/gpg" "$root/etc/apt/keyrings/docker.asc"
write_list stable
in_chroot apt-get update
in_chroot apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
status=$(in_chroot dpkg -s docker-ce)
grep -qx 'Version: 5:27.3.1-1~debian.12~bookworm' <<<"$status" \
    || die "dpkg -s docker-ce does not show 5:27.3.1-1~debian.12~bookworm"
expect_version docker-ce-cli 5:27.3.1-1~debian.12~bookworm
expect_version containerd.io 1.7.22-1
expect_version docker-buildx-plugin 0.17.1-1~debian.12~bookworm
expect_version docker-compose-plugin 2.29.7-1~debian.12~bookworm
for p in ca-certificates curl gnupg; do
    if in_chroot dpkg -s "$p" >/dev/null 2>&1; then die "$p is installed in the minbase chroot"; fi
done

step "checking the stand-in binaries"
# No postinst: nothing started the daemon.
[[ ! -e $root/run/dockup-e2e-dockerd.pid ]] || die "dockerd was started by the install"
expect_output 'Docker version 27.3.1, build dockup-e2e' docker --version
expect_output 'Docker Compose version v2.29.7' docker compose version
expect_output 'github.com/docker/buildx v0.17.1' docker buildx version
expect_output 'containerd containerd.io 1.7.22 dockup-e2e' containerd --version
if err=$(in_chroot docker version 2>&1 >/dev/null); then die "docker version succeeded without a daemon"; fi
[[ $err == *'Cannot connect to the Docker daemon'* ]] || die "docker version printed '$err'"
in_chroot /etc/init.d/docker start
in_chroot /etc/init.d/docker status
out=$(in_chroot docker version) || die "docker version failed with the daemon running"
grep -q '^Server: Docker Engine - Community' <<<"$out" || die "docker version has no Server section: $out"
in_chroot /etc/init.d/docker stop
[[ ! -e $root/run/dockup-e2e-dockerd.pid ]] || die "dockerd pid file left after stop"

step "downgrading to 24.0.7"
in_chroot apt-get install -y --allow-downgrades \
    docker-ce=5:24.0.7-1~debian.12~bookworm docker-ce-cli=5:24.0.7-1~debian.12~bookworm
expect_version docker-ce 5:24.0.7-1~debian.12~bookworm
expect_version docker-ce-cli 5:24.0.7-1~debian.12~bookworm
expect_output 'Docker version 24.0.7, build dockup-e2e' docker --version

step "upgrading from the test channel"
write_list stable test
in_chroot apt-get update
in_chroot apt-get install -y docker-ce docker-ce-cli
expect_version docker-ce 5:28.0.0~rc.1-1~debian.12~bookworm
expect_output 'Docker version 28.0.0-rc.1, build dockup-e2e' docker --version

step "checking that a wrong key is rejected"
install -m 0644 "$mirror/wrong-key.asc" "$root/etc/apt/keyrings/docker.asc"
# With index files from an earlier good update still present, apt only warns and keeps using
# them: `apt-get update` exits 0 (worth knowing when checking for a bad key).
out=$(in_chroot apt-get update 2>&1) || die "apt-get update failed with stale lists: $out"
[[ $out == *"NO_PUBKEY ${fpr: -16}"* && $out == *'previous index files will be used'* ]] \
    || die "unexpected apt output with the wrong key and old lists: $out"
# On a first-time setup (no lists for the repo yet) the wrong key is a hard error.
rm -f "$root"/var/lib/apt/lists/127.0.0.1:"$port"_*
if out=$(in_chroot apt-get update 2>&1); then die "apt-get update accepted the wrong key: $out"; fi
[[ $out == *"NO_PUBKEY ${fpr: -16}"* && $out == *'is not signed'* ]] \
    || die "unexpected apt output with the wrong key: $out"
install -m 0644 "$mirror/linux/debian/gpg" "$root/etc/apt/keyrings/docker.asc"
out=$(in_chroot apt-get update 2>&1) || die "apt-get update failed with the right key again: $out"
