#!/usr/bin/env bash
# Manual smoke test for the REAL-engine e2e fixtures (not used by CI): builds a bookworm chroot
# (build-chroot.sh) and the repacked-Debian-engine mirror (build-real-mirror.sh), serves the mirror
# on 127.0.0.1, installs docker-ce docker-ce-cli containerd.io docker-buildx-plugin
# docker-compose-plugin inside the chroot the way Docker's docs do, starts the real dockerd
# directly inside the chroot (no init system), imports a busybox image (busybox-rootfs.sh) and
# runs `docker run --rm dockup-e2e/busybox echo hello`, then stops dockerd and cleans up.
#
#   sudo scripts/e2e/check-real.sh
#
# Env: DOCKUP_E2E_CACHE (chroot tarball and .deb cache, see build-chroot.sh and
# build-real-mirror.sh); DOCKUP_E2E_KEEP=1 keeps the temporary directory (unmounted) for
# inspection; DOCKUP_E2E_HOST_NETWORK=1: see "Networking" below.
#
# What dockerd needs in the chroot (mounted here, undone in the cleanup trap):
#   CHROOT            bind-mounted onto itself. Without it runc cannot make the container's
#                     mounts private, because the chroot's "/" is not a mount point:
#                     "error preparing rootfs: mount /, flags: 0x84000: invalid argument"
#   CHROOT/proc       proc
#   CHROOT/sys        sysfs (fresh instance; it does not carry the cgroup mounts), then
#   CHROOT/sys/fs/cgroup  rbind of the host's /sys/fs/cgroup (v1, hybrid or v2: whatever the host
#                     has), made rslave so unmounting it can never propagate back to the host
#   CHROOT/dev/pts    private devpts (newinstance), as in check.sh; the chroot's own /dev nodes
#                     (null, zero, random, urandom, tty, ...) from mmdebstrap are enough otherwise
#   CHROOT/dev/shm    tmpfs
#   CHROOT/run        tmpfs (so /var/run/docker.sock, /run/docker.pid and containerd's sockets
#                     are the chroot's own, never the host's)
# dockerd itself also leaves CHROOT/var/lib/docker bind-mounted on itself; the cleanup unmounts
# everything under CHROOT, deepest first.
#
# Networking: the chroot shares the host's network namespace. With no configuration dockerd works
# (overlay2, iptables-nft), but it creates docker0, adds iptables-nft tables "ip nat"/"ip filter"
# (FORWARD policy DROP) and sets net.ipv4.ip_forward=1 on the HOST, and would fight a host dockerd
# over docker0. So by default this script writes CHROOT/etc/docker/daemon.json
#   {"bridge": "none", "iptables": false, "ip-forward": false}
# before starting dockerd (containers then get only a loopback interface, which is all
# `echo hello` needs). DOCKUP_E2E_HOST_NETWORK=1 skips daemon.json and runs dockerd with its
# defaults; the cleanup then deletes docker0 and the nftables tables if they did not exist before,
# and restores ip_forward. Either way the empty "docker" cgroups dockerd creates in the host's
# hierarchies are removed afterwards if they did not exist before.
#
# Needs root (chroot, mount).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=check-real
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
die() { echo "check-real: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve the mirror"
host_network=${DOCKUP_E2E_HOST_NETWORK:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-check-real.XXXXXX")
root=$tmp/chroot
mirror=$tmp/mirror
server_pid=
dockerd_pid=
# Host state recorded before dockerd starts, restored in cleanup.
had_docker0=
ip_forward=
nft_before=
cgroups_before=

# chroot_pids: processes whose root directory is the chroot (dockerd, containerd, shims...).
chroot_pids() {
    local p r
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        [[ $r == "$root" ]] && echo "${p#/proc/}"
    done
    return 0
}

stop_dockerd() { # stop_dockerd TIMEOUT_S: SIGTERM, wait, SIGKILL as a last resort
    local timeout=$1 i
    [[ -n $dockerd_pid ]] || return 0
    if kill -0 "$dockerd_pid" 2>/dev/null; then
        kill -TERM "$dockerd_pid" 2>/dev/null || true
        for ((i = 0; i < timeout * 10; i++)); do
            kill -0 "$dockerd_pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$dockerd_pid" 2>/dev/null; then
            echo "check-real: dockerd (pid $dockerd_pid) ignored SIGTERM for ${timeout}s; killing it" >&2
            kill -KILL "$dockerd_pid" 2>/dev/null || true
        fi
    fi
    wait "$dockerd_pid" 2>/dev/null || true
    dockerd_pid=
}

cleanup() {
    local rc=$?
    set +e # best effort from here on: one failing step must not skip the rest
    stop_dockerd 30
    # Anything still running inside the chroot was started by this script (containerd, shims).
    local p left
    left=$(chroot_pids)
    if [[ -n $left ]]; then
        echo "check-real: killing leftover chroot processes: $(tr '\n' ' ' <<<"$left")" >&2
        for p in $left; do kill -KILL "$p" 2>/dev/null || true; done
        sleep 0.5
    fi
    stop_server
    # Undo what dockerd did to the host (shared network namespace and cgroup hierarchies).
    if [[ -n $ip_forward && $(cat /proc/sys/net/ipv4/ip_forward) != "$ip_forward" ]]; then
        echo "$ip_forward" >/proc/sys/net/ipv4/ip_forward || true
    fi
    if [[ -n $ip_forward && -z $had_docker0 && -e /sys/class/net/docker0 ]]; then
        ip link delete docker0 2>/dev/null || echo "check-real: could not delete docker0" >&2
    fi
    if [[ -n $ip_forward && -x $root/usr/sbin/nft && -d $root/proc/self ]]; then
        local t family name
        while read -r t family name; do
            [[ $t == table ]] || continue
            grep -qxF "table $family $name" <<<"$nft_before" && continue
            in_chroot nft delete table "$family" "$name" 2>/dev/null \
                || echo "check-real: could not delete nft table $family $name" >&2
        done < <(in_chroot nft list tables 2>/dev/null)
        [[ $(in_chroot nft list tables 2>/dev/null) == "$nft_before" ]] \
            || echo "check-real: nftables tables differ from before dockerd started" >&2
    fi
    if [[ -n $ip_forward ]]; then
        local d
        for d in /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker; do
            [[ -d $d ]] || continue
            grep -qxF "$d" <<<"$cgroups_before" && continue
            rmdir "$d" 2>/dev/null || echo "check-real: could not remove cgroup $d" >&2
        done
    fi
    local m
    while read -r m; do
        [[ -n $m ]] || continue
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done < <(mounts_under "$root")
    if [[ -n $(mounts_under "$root") ]]; then
        echo "check-real: something is still mounted in $root; not deleting $tmp" >&2
    else
        remove_tmp "$tmp"
    fi
    finish "$rc"
}
on_exit cleanup

ENV=(/usr/bin/env -i HOME=/root LC_ALL=C DEBIAN_FRONTEND=noninteractive
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
# Run a command in the chroot with a clean, non-interactive environment.
in_chroot() { chroot "$root" "${ENV[@]}" "$@"; }
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

step "building chroot"
"$here/build-chroot.sh" "$root"
step "building real mirror"
"$here/build-real-mirror.sh" "$mirror"
fpr=$(cat "$mirror/fingerprint")
engine_v=$(cat "$mirror/engine-version")
containerd_v=$(cat "$mirror/containerd-version")
step "building busybox rootfs"
"$here/busybox-rootfs.sh" "$tmp/busybox.tar"

step "serving mirror"
port=$(free_port)
serve_mirror "$port" "$mirror" "$tmp/http.log" "http://127.0.0.1:$port/linux/debian/gpg"
echo "check-real: mirror at http://127.0.0.1:$port/linux/debian (key $fpr)" >&2

step "mounting what dockerd needs"
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mountpoint -q /sys/fs/cgroup || die "the host has nothing mounted on /sys/fs/cgroup"
mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
mount --make-rslave "$root/sys/fs/cgroup"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
mount -t tmpfs -o mode=0755,nosuid,nodev run "$root/run"
findmnt -R -o TARGET,FSTYPE,PROPAGATION "$root" >&2

step "installing Docker as the docs do"
install -m 0755 -d "$root/etc/apt/keyrings"
install -m 0644 "$mirror/linux/debian/gpg" "$root/etc/apt/keyrings/docker.asc"
echo "deb [arch=amd64 signed-by=/etc/apt/keyrings/docker.asc] http://127.0.0.1:$port/linux/debian bookworm stable" \
    >"$root/etc/apt/sources.list.d/docker.list"
in_chroot apt-get update
in_chroot apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
expect_version docker-ce "$engine_v"
expect_version docker-ce-cli "$engine_v"
expect_version containerd.io "$containerd_v"
[[ -z $(chroot_pids) ]] || die "the install started processes in the chroot: $(chroot_pids)"
[[ ! -e $root/run/docker.pid && ! -e $root/run/docker.sock ]] || die "the install started dockerd"
[[ -f $root/etc/init.d/docker && -f $root/lib/systemd/system/docker.service ]] \
    || die "init script / unit file missing"
# shellcheck disable=SC2016 # ${Conffiles} is a dpkg-query format field, not a shell variable.
conffiles=$(in_chroot dpkg-query -W -f '${Conffiles}\n' docker-ce)
grep -q ' /etc/init.d/docker ' <<<"$conffiles" || die "/etc/init.d/docker is not a conffile of docker-ce: $conffiles"
# The repacked md5sums match what was installed.
out=$(in_chroot dpkg --verify docker-ce docker-ce-cli containerd.io 2>&1) || die "dpkg --verify failed: $out"
[[ -z $out ]] || die "dpkg --verify: $out"
in_chroot docker --version >&2
expect_output 'Docker Compose version v2.29.7' docker compose version
expect_output 'github.com/docker/buildx v0.17.1' docker buildx version
if err=$(in_chroot docker version 2>&1 >/dev/null); then die "docker version succeeded without a daemon"; fi
[[ $err == *'Cannot connect to the Docker daemon'* ]] || die "docker version printed '$err'"

step "starting dockerd in the chroot"
ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)
[[ -e /sys/class/net/docker0 ]] && had_docker0=1
nft_before=$(in_chroot nft list tables 2>/dev/null || true)
cgroups_before=$(ls -d /sys/fs/cgroup/*/docker /sys/fs/cgroup/docker 2>/dev/null || true)
if [[ $host_network == 1 ]]; then
    echo "check-real: DOCKUP_E2E_HOST_NETWORK=1: dockerd runs with its defaults in the host's network namespace" >&2
    rm -f "$root/etc/docker/daemon.json"
else
    mkdir -p "$root/etc/docker"
    echo '{"bridge": "none", "iptables": false, "ip-forward": false}' >"$root/etc/docker/daemon.json"
    echo "check-real: daemon.json: $(cat "$root/etc/docker/daemon.json")" >&2
fi
# Plain `dockerd`, as dockup starts it; setsid keeps a terminal's ^C away from it, so the cleanup
# can stop it with SIGTERM. The shell is not a group leader here, so setsid execs without forking
# and $! is dockerd's pid.
setsid chroot "$root" "${ENV[@]}" dockerd </dev/null >"$root/var/log/dockerd.log" 2>&1 &
dockerd_pid=$!
t0=$(date +%s.%N)
up=
for _ in $(seq 120); do # 60 s
    if out=$(in_chroot docker version 2>/dev/null) && grep -q '^Server:' <<<"$out"; then
        up=1
        break
    fi
    kill -0 "$dockerd_pid" 2>/dev/null || { tail -n 30 "$root/var/log/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.5
done
[[ -n $up ]] || { tail -n 30 "$root/var/log/dockerd.log" >&2; die "dockerd did not answer within 60s"; }
echo "check-real: dockerd answers after $(since "$t0")s" >&2
[[ $(cat "$root/run/docker.pid") == "$dockerd_pid" ]] || die "/run/docker.pid is not dockerd's pid $dockerd_pid"
[[ -S $root/run/docker.sock ]] || die "no /run/docker.sock in the chroot"
echo "$out" >&2
in_chroot docker info 2>&1 | grep -E '^ (Storage Driver|Cgroup Driver|Cgroup Version|Default Runtime|Init Binary):' >&2 || true
if [[ $host_network != 1 ]]; then
    [[ -n $had_docker0 || ! -e /sys/class/net/docker0 ]] || die "dockerd created docker0 on the host despite daemon.json"
    [[ $(cat /proc/sys/net/ipv4/ip_forward) == "$ip_forward" ]] || die "dockerd changed net.ipv4.ip_forward despite daemon.json"
fi

step "importing and running busybox"
cp "$tmp/busybox.tar" "$root/tmp/busybox.tar"
in_chroot docker import /tmp/busybox.tar dockup-e2e/busybox:latest >&2
expect_output hello docker run --rm dockup-e2e/busybox echo hello
[[ -z $(in_chroot docker ps -aq) ]] || die "docker run --rm left a container behind"

step "stopping dockerd"
t0=$(date +%s.%N)
stop_dockerd 30
echo "check-real: dockerd stopped after $(since "$t0")s" >&2
sleep 0.2
[[ -z $(chroot_pids) ]] || die "processes left in the chroot after dockerd stopped: $(chroot_pids)"
[[ ! -e $root/run/docker.pid ]] || die "dockerd left /run/docker.pid behind"
grep -E 'level=(warning|error|fatal)' "$root/var/log/dockerd.log" | grep -v 'module=grpc' \
    | sed 's/^/check-real: dockerd log: /' >&2 || true
