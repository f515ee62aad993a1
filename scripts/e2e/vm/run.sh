#!/usr/bin/env bash
# Boots the systemd VM image (scripts/e2e/vm/build-image.sh) under qemu (TCG, no KVM needed) and
# runs `dockup install` in it against a mirror, collecting the results for a test to judge.
#
#   scripts/e2e/vm/run.sh MIRROR_URL FPR DOCKUP_BINARY RESULT_DIR
#
#   MIRROR_URL     the mirror as the GUEST sees it: qemu's user network maps the host's
#                  127.0.0.1:PORT to 10.0.2.2:PORT, so a server on the host's loopback is
#                  http://10.0.2.2:PORT (binding 127.0.0.1 on the host is enough).
#   FPR            passed to dockup as --key-fingerprint
#   DOCKUP_BINARY  a Linux x86_64 dockup built against glibc <= bookworm's (cargo build here is)
#   RESULT_DIR     created if missing, must be empty; the guest writes its results straight into
#                  it (it is shared with the guest over 9p, mounted at /results)
#
# How files get in and out: the cached image is copied (cp --reflink=auto --sparse=always) to a
# temporary directory; DOCKUP_BINARY and a generated /usr/local/bin/dockup-e2e-run are written
# into that copy with `debugfs -w` (no loop mount needed). At boot, dockup-e2e.service (in the
# image) runs dockup-e2e-run once after network-online.target; it mounts RESULT_DIR (9p,
# mount_tag "results"), runs the commands below, then `systemctl poweroff`s the VM.
#
# Files in RESULT_DIR (each command's exit status in a .rc file, stdout/stderr kept apart):
#   install.rc install.stdout install.stderr dockup.log      dockup install -y --mirror MIRROR_URL
#                                                            --key-fingerprint FPR --log /results/dockup.log
#   is-active.rc is-active          systemctl is-active docker
#   is-enabled.rc is-enabled        systemctl is-enabled docker
#   docker-ce-version               dpkg -s docker-ce | grep '^Version'
#   install2.rc install2.stdout install2.stderr dockup2.log  the same install again (--log dockup2.log)
#   detect.rc detect.json detect.stderr                      dockup detect --json
#   systemctl-status.txt            systemctl status docker docker.socket (diagnostics)
#   journal-docker.txt              journalctl -u docker -u docker.socket (diagnostics)
#   failed-units.txt                systemctl --failed (diagnostics)
#   journal.txt                     journalctl -b -o short-monotonic: the whole boot (diagnostics)
#   ip-addr.txt                     ip -4 addr (the DHCP lease)
#   uptime-start uptime-end         guest /proc/uptime (s) when the run script started / finished:
#                                   uptime-start is the boot time up to network-online.target
#   done                            written last: the guest finished
# and, written by this script: serial.log (the guest's console), timings (host-side seconds).
#
# Exit status: 0 when the guest ran and wrote `done` (the results are NOT judged here); 1 if not
# (the serial log's tail is printed); 2 for usage errors.
#
# Env: DOCKUP_E2E_VM_TIMEOUT (seconds, default 600) hard limit for the VM, killed after it;
# DOCKUP_E2E_CACHE (image cache, see build-image.sh); DOCKUP_E2E_KEEP=1 keeps the temporary
# directory (the booted disk image and serial log); DOCKUP_E2E_VM_APT_LISTS: the mtime given to
# the image's apt *_Packages lists before boot: "fresh" (default: now, so dockup refreshes only
# Docker's source and the guest needs no Debian mirror), "stale" (two days ago: dockup runs a full
# `apt-get update`, so the guest must reach the Debian mirror the image was built from, through
# qemu's NAT; about 15 s more) or "asbuilt" (untouched: depends on the cache's age).
# Must run as root (debugfs on the image, 9p as root).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
prog=vm-run
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"

[[ $# -eq 4 ]] || { echo "usage: $0 MIRROR_URL FPR DOCKUP_BINARY RESULT_DIR" >&2; exit 2; }
mirror_url=$1 fpr=$2 binary=$3 results=$4
[[ $(id -u) -eq 0 ]] || die "must run as root"
[[ -f $binary && -x $binary ]] || die "$binary is not an executable file"
timeout_s=${DOCKUP_E2E_VM_TIMEOUT:-600}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "DOCKUP_E2E_VM_TIMEOUT must be a number of seconds"

mkdir -p "$results"
results=$(realpath -- "$results")
[[ -z $(ls -A -- "$results") ]] || die "$results is not empty"

apt_install() { # apt_install [APT-OPTIONS...] PACKAGE...
    echo "vm-run: installing ${*: -1}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends "$@" >&2; }
}

# qemu-system-x86 from bookworm (7.2) cannot be installed next to a newer qemu-utils (bookworm
# backports 10.x "Breaks: qemu-system-common (<< 8.0)"); then take qemu-system-x86 from
# bookworm-backports too, with a private apt state so the host's apt sources stay untouched.
ensure_qemu() {
    command -v qemu-system-x86_64 >/dev/null 2>&1 && return 0
    if DEBIAN_FRONTEND=noninteractive apt-get install -s -q --no-install-recommends qemu-system-x86 \
        >/dev/null 2>&1; then
        apt_install qemu-system-x86
    else
        log "qemu-system-x86 from bookworm conflicts with what is installed; trying bookworm-backports"
        local d=/tmp/dockup-e2e-vm-apt uri
        uri=$(awk '$1 == "deb" && $3 == "bookworm" { print $2; exit }' <(
            grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
            awk '/^URIs:/ { print "deb " $2 " bookworm main" }' /etc/apt/sources.list.d/*.sources 2>/dev/null
        ))
        uri=${uri:-http://deb.debian.org/debian}
        mkdir -p "$d/lists/partial" "$d/archives/partial"
        {
            grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | grep -v backports || true
            echo "deb ${uri%/} bookworm main"
            echo "deb ${uri%/} bookworm-backports main"
        } >"$d/sources.list"
        local opts=(-o "Dir::Etc::sourcelist=$d/sources.list" -o Dir::Etc::sourceparts=-
            -o "Dir::State::lists=$d/lists" -o "Dir::Cache::archives=$d/archives"
            -o APT::Sandbox::User=root)
        apt-get "${opts[@]}" update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get "${opts[@]}" install -y -q --no-install-recommends \
            -t bookworm-backports qemu-system-x86 >&2
    fi
    command -v qemu-system-x86_64 >/dev/null 2>&1 || die "could not install qemu-system-x86_64"
}
ensure_qemu
command -v debugfs >/dev/null 2>&1 || apt_install e2fsprogs

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-vm.XXXXXX")
qemu_pid=
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    local rc=$?
    if [[ -n $qemu_pid ]] && kill -0 "$qemu_pid" 2>/dev/null; then
        kill -KILL "$qemu_pid" 2>/dev/null || true
        wait "$qemu_pid" 2>/dev/null || true
    fi
    remove_tmp "$tmp"
    exit "$rc"
}
on_exit cleanup

# ---------------------------------------------------------------------------------------------
# Image: a private copy of the cached one (build-image.sh builds the cache when missing)
# ---------------------------------------------------------------------------------------------
t=$(date +%s.%N)
"$here/build-image.sh" "$tmp/image"
t_image=$(since "$t")
log "image copied in ${t_image}s"

# ---------------------------------------------------------------------------------------------
# The guest's run script
# ---------------------------------------------------------------------------------------------
sq() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quote for sh
{
    echo '#!/bin/sh'
    echo '# Generated by scripts/e2e/vm/run.sh; run once at boot by dockup-e2e.service.'
    echo "MIRROR=$(sq "$mirror_url")"
    echo "FPR=$(sq "$fpr")"
    cat <<'EOF'
R=/results
export HOME=/root LC_ALL=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
say() { echo "dockup-e2e-run: $*"; } # the unit sends stdout to the journal and the console

mkdir -p "$R"
modprobe 9pnet_virtio 2>/dev/null
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results "$R"; then
    say "cannot mount the results share"
    systemctl --no-block poweroff
    exit 1
fi
cut -d' ' -f1 /proc/uptime >"$R/uptime-start"
say "started at uptime $(cat "$R/uptime-start")s"
ip -4 addr >"$R/ip-addr.txt" 2>&1

say "dockup install"
dockup install -y --mirror "$MIRROR" --key-fingerprint "$FPR" --log "$R/dockup.log" \
    >"$R/install.stdout" 2>"$R/install.stderr"
echo $? >"$R/install.rc"
say "dockup install exited $(cat "$R/install.rc")"

systemctl is-active docker >"$R/is-active" 2>&1
echo $? >"$R/is-active.rc"
systemctl is-enabled docker >"$R/is-enabled" 2>&1
echo $? >"$R/is-enabled.rc"
dpkg -s docker-ce 2>&1 | grep '^Version' >"$R/docker-ce-version"
say "docker: $(cat "$R/is-active"), $(cat "$R/is-enabled"), $(cat "$R/docker-ce-version")"

say "dockup install (second run)"
dockup install -y --mirror "$MIRROR" --key-fingerprint "$FPR" --log "$R/dockup2.log" \
    >"$R/install2.stdout" 2>"$R/install2.stderr"
echo $? >"$R/install2.rc"
say "second dockup install exited $(cat "$R/install2.rc")"

dockup detect --json >"$R/detect.json" 2>"$R/detect.stderr"
echo $? >"$R/detect.rc"

systemctl status --no-pager --full docker docker.socket >"$R/systemctl-status.txt" 2>&1
journalctl --no-pager -b -u docker -u docker.socket >"$R/journal-docker.txt" 2>&1
systemctl --failed --no-pager >"$R/failed-units.txt" 2>&1
journalctl --no-pager -b -o short-monotonic >"$R/journal.txt" 2>&1

cut -d' ' -f1 /proc/uptime >"$R/uptime-end"
echo ok >"$R/done"
sync
umount "$R"
say "finished at uptime $(cut -d' ' -f1 /proc/uptime)s; powering off"
systemctl --no-block poweroff
EOF
} >"$tmp/dockup-e2e-run"
chmod 0755 "$tmp/dockup-e2e-run"

# ---------------------------------------------------------------------------------------------
# Injection with debugfs (the image is not mounted)
# ---------------------------------------------------------------------------------------------
img=$tmp/image/rootfs.ext4
cat >"$tmp/debugfs.cmds" <<EOF
cd /usr/local/bin
write $binary dockup
set_inode_field dockup mode 0100755
set_inode_field dockup uid 0
set_inode_field dockup gid 0
write $tmp/dockup-e2e-run dockup-e2e-run
set_inode_field dockup-e2e-run mode 0100755
set_inode_field dockup-e2e-run uid 0
set_inode_field dockup-e2e-run gid 0
EOF
# The age of the image's apt lists decides what dockup refreshes: lists younger than a day make it
# update only Docker's source (no need for Debian's mirror); older ones make it run a full
# `apt-get update`, which reaches Debian's mirror through qemu's NAT and DNS (10.0.2.3).
apt_lists=${DOCKUP_E2E_VM_APT_LISTS:-fresh}
case $apt_lists in
fresh) lists_mtime=@$(date +%s) ;;
stale) lists_mtime=@$(($(date +%s) - 2 * 86400)) ;;
asbuilt) lists_mtime= ;;
*) die "DOCKUP_E2E_VM_APT_LISTS must be fresh, stale or asbuilt, not '$apt_lists'" ;;
esac
if [[ -n $lists_mtime ]]; then
    debugfs -R "ls -p /var/lib/apt/lists" "$img" 2>/dev/null \
        | awk -F/ -v t="$lists_mtime" '$6 ~ /_Packages$/ { print "set_inode_field /var/lib/apt/lists/" $6 " mtime " t }' \
        >>"$tmp/debugfs.cmds"
fi
[[ $binary != *[[:space:]]* && $tmp != *[[:space:]]* ]] || die "paths with spaces are not supported by debugfs"
debugfs -w -f "$tmp/debugfs.cmds" "$img" >"$tmp/debugfs.log" 2>&1 || {
    cat "$tmp/debugfs.log" >&2
    die "debugfs failed"
}
# debugfs reports failed commands but still exits 0: check the result.
for f in dockup dockup-e2e-run; do
    size=$(debugfs -R "stat /usr/local/bin/$f" "$img" 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -n1)
    [[ -n $size && $size -gt 0 ]] || { cat "$tmp/debugfs.log" >&2; die "injecting /usr/local/bin/$f failed"; }
done
log "injected dockup ($(stat -c %s "$binary") bytes) and dockup-e2e-run; apt lists: $apt_lists"

# ---------------------------------------------------------------------------------------------
# Boot
# ---------------------------------------------------------------------------------------------
serial=$tmp/serial.log
# shellcheck disable=SC2054 # the commas belong to qemu's option syntax
qemu=(qemu-system-x86_64 -accel tcg -m 2048 -smp 2
    -display none -monitor none -serial "file:$serial" -no-reboot
    -kernel "$tmp/image/vmlinuz" -initrd "$tmp/image/initrd.img"
    -append "root=/dev/vda rw console=ttyS0 panic=1"
    -drive "file=$img,format=raw,if=virtio,cache=unsafe"
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0,romfile=
    -virtfs "local,path=$results,mount_tag=results,security_model=none,id=results")
echo "vm-run: ${qemu[*]}" >&2
t=$(date +%s.%N)
"${qemu[@]}" </dev/null >"$tmp/qemu.out" 2>&1 &
qemu_pid=$!
log "qemu started (pid $qemu_pid), waiting up to ${timeout_s}s"
timed_out=0
deadline=$(($(date +%s) + timeout_s))
while kill -0 "$qemu_pid" 2>/dev/null; do
    if (($(date +%s) >= deadline)); then
        timed_out=1
        log "timeout: killing qemu after ${timeout_s}s"
        kill -TERM "$qemu_pid" 2>/dev/null || true
        sleep 2
        kill -KILL "$qemu_pid" 2>/dev/null || true
        break
    fi
    sleep 1
done
qemu_rc=0
wait "$qemu_pid" || qemu_rc=$?
qemu_pid=
t_vm=$(since "$t")
log "qemu exited with $qemu_rc after ${t_vm}s"

cp "$serial" "$results/serial.log" 2>/dev/null || true
{
    echo "image-copy-s: $t_image"
    echo "vm-s: $t_vm"
    echo "qemu-rc: $qemu_rc"
    echo "timed-out: $timed_out"
    echo "total-s: $(since "$start")"
} >"$results/timings"

if [[ -s $tmp/qemu.out ]]; then
    echo "vm-run: qemu said:" >&2
    sed 's/^/  /' "$tmp/qemu.out" >&2
fi
if [[ -f $results/done ]]; then
    [[ $timed_out -eq 0 ]] || log "warning: the guest finished its run but did not power off in time"
    log "guest results in $results"
    exit 0
fi
echo "vm-run: FAIL: the guest did not finish its run (no $results/done); serial log tail:" >&2
tail -n 60 "$serial" >&2 || true
exit 1
