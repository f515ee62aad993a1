#!/usr/bin/env bash
# Builds a bootable Debian bookworm VM image with systemd as PID 1, for end-to-end tests that run
# `dockup install` on a real systemd machine (scripts/e2e/vm/run.sh boots it under qemu).
#
#   scripts/e2e/vm/build-image.sh [OUT_DIR]
#
# Produces, in OUT_DIR (and in the cache, see below):
#   vmlinuz       Debian's kernel (linux-image-amd64), for qemu -kernel
#   initrd.img    a small initramfs (MODULES=list: virtio + ext4 only), for qemu -initrd
#   rootfs.ext4   raw ext4 file system image (sparse) of the whole root, for
#                 -drive file=rootfs.ext4,format=raw,if=virtio and root=/dev/vda
#   image-info    what was built, when, and from which version of this script
# OUT_DIR gets a private copy of rootfs.ext4 (cp --reflink=auto --sparse=always), so callers may
# boot and modify it; the cached image is never modified. Without OUT_DIR only the cache is made.
#
# The guest: mmdebstrap --variant=minbase plus systemd, systemd-sysv, udev, dbus, kmod,
# linux-image-amd64 and iproute2; deliberately NO ca-certificates, curl or gnupg. Networking is
# systemd-networkd, DHCP on every en*/eth* link (qemu's user network hands out 10.0.2.15, the host
# is 10.0.2.2, DNS 10.0.2.3, written statically to /etc/resolv.conf). The apt lists mmdebstrap
# downloaded are kept (they are "stale" after a day: dockup then refreshes every source, which
# works because qemu's DNS and the host's Debian mirror are reachable from the guest).
# apt-daily, man-db and other timers are masked so nothing else takes the dpkg lock.
# dockup-e2e.service (After/Wants network-online.target, Type=oneshot) runs
# /usr/local/bin/dockup-e2e-run once at boot when that file exists (run.sh injects it); if it
# fails, the unit powers the machine off. root has no password (no login is needed).
#
# Cache: ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/vm/. A cache built by a different version of
# this script or of ../lib.sh (sha256 recorded in image-info) is rebuilt; delete the directory to
# force a rebuild.
# The cold build takes a few minutes (mmdebstrap); later calls only copy rootfs.ext4.
# Set DOCKUP_E2E_MIRROR=http://host/debian to override the Debian mirror read from the host's apt
# sources. Must run as root.
set -euo pipefail

prog=build-image
start=$(date +%s.%N)
lib=$(dirname "$0")/../lib.sh
# shellcheck source=SCRIPTDIR/../lib.sh
. "$lib"

[[ $# -le 1 ]] || die "usage: $0 [OUT_DIR]"
[[ $(id -u) -eq 0 ]] || die "must run as root"
out=${1:-}

cache=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/vm
# What built the image: this script and the helpers it uses (the Debian mirror lookup).
self_sum=$(cat "${BASH_SOURCE[0]}" "$lib" | sha256sum | cut -d' ' -f1)

apt_install() { # apt_install PACKAGE...: installs what is missing, updating the lists if needed
    echo "build-image: installing $*" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends "$@" >&2; }
}

cache_ok() {
    [[ -s $cache/vmlinuz && -s $cache/initrd.img && -s $cache/rootfs.ext4 && -s $cache/image-info ]] \
        && grep -qx "builder-sha256: $self_sum" "$cache/image-info"
}

build() {
    command -v mmdebstrap >/dev/null 2>&1 || apt_install mmdebstrap
    command -v mkfs.ext4 >/dev/null 2>&1 || apt_install e2fsprogs

    # The Debian mirror this host can reach (the guest reaches it through qemu's NAT).
    local entries
    debian_entries

    mkdir -p "$cache"
    local work
    work=$(mktemp -d "$cache/.build.XXXXXX")
    # shellcheck disable=SC2064 # expand $work now: it is local.
    trap "rm -rf --one-file-system -- '$work'" EXIT
    local tree=$work/tree

    log "mmdebstrap (minbase + systemd + kernel)"
    # The essential hook runs before the kernel is installed: its initramfs then only holds what
    # a virtio disk with ext4 needs (small => fast to load and unpack under TCG).
    # cleanup/apt/lists is skipped so apt in the guest has package lists.
    # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell: the chroot
    mmdebstrap --variant=minbase --skip=cleanup/apt/lists \
        --include=systemd,systemd-sysv,udev,dbus,kmod,iproute2,linux-image-amd64 \
        --essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
            printf "MODULES=list\nCOMPRESS=gzip\n" >"$1/etc/initramfs-tools/conf.d/dockup-e2e.conf"
            printf "%s\n" virtio_pci virtio_blk virtio_net ext4 crc32c_generic \
                >"$1/usr/share/initramfs-tools/modules.d/dockup-e2e"' \
        bookworm "$tree" "${entries[@]}" >&2 || die "mmdebstrap failed"

    log "configuring the guest"
    echo dockup-e2e >"$tree/etc/hostname"
    printf '127.0.0.1\tlocalhost\n127.0.1.1\tdockup-e2e\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
        >"$tree/etc/hosts"
    # root is given rw on the kernel command line; no fsck (pass 0): fresh image every boot.
    printf '/dev/vda\t/\text4\tdefaults\t0\t0\n' >"$tree/etc/fstab"
    passwd -R "$tree" -d root >/dev/null

    # Network: systemd-networkd, DHCP on the virtio NIC; qemu's user-net DNS server is 10.0.2.3.
    mkdir -p "$tree/etc/systemd/network"
    cat >"$tree/etc/systemd/network/20-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
    rm -f "$tree/etc/resolv.conf"
    echo 'nameserver 10.0.2.3' >"$tree/etc/resolv.conf"

    # The run-once test unit. FailureAction: a failing run script must not leave the VM up.
    cat >"$tree/etc/systemd/system/dockup-e2e.service" <<'EOF'
[Unit]
Description=dockup end-to-end test run (once per boot)
Wants=network-online.target
After=network-online.target
ConditionPathExists=/usr/local/bin/dockup-e2e-run
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/usr/local/bin/dockup-e2e-run
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=30min

[Install]
WantedBy=multi-user.target
EOF

    chroot "$tree" systemctl enable systemd-networkd.service systemd-networkd-wait-online.service \
        dockup-e2e.service >&2
    # Nothing else may take the dpkg/apt lock or burn CPU while dockup runs.
    local u
    for u in apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
        man-db.timer man-db.service e2scrub_all.timer e2scrub_reap.service fstrim.timer \
        dpkg-db-backup.timer systemd-tmpfiles-clean.timer getty@tty1.service; do
        ln -sfn /dev/null "$tree/etc/systemd/system/$u"
    done
    # Quieter, faster console: kernel messages are in the serial log anyway.
    mkdir -p "$tree/etc/systemd/journald.conf.d"
    printf '[Journal]\nStorage=volatile\n' >"$tree/etc/systemd/journald.conf.d/dockup-e2e.conf"

    local kernel initrd
    kernel=$(find "$tree/boot" -maxdepth 1 -name 'vmlinuz-*' | sort | tail -n1)
    initrd=$(find "$tree/boot" -maxdepth 1 -name 'initrd.img-*' | sort | tail -n1)
    [[ -n $kernel && -n $initrd ]] || die "no kernel/initrd in $tree/boot"
    cp "$kernel" "$work/vmlinuz"
    cp "$initrd" "$work/initrd.img"
    rm -rf "${tree:?}/var/cache/apt/archives/"*.deb

    # Room for dockup's apt-get update and the packages: used + 1.5 GiB (sparse file).
    local used_mb size_mb
    used_mb=$(du -sm --apparent-size "$tree" | cut -f1)
    size_mb=$((used_mb + 1536))
    log "mkfs.ext4 -d (tree ${used_mb} MiB, image ${size_mb} MiB)"
    mkfs.ext4 -q -F -L dockup-e2e -E lazy_itable_init=0,lazy_journal_init=0 -d "$tree" \
        "$work/rootfs.ext4" "${size_mb}M" >&2 || die "mkfs.ext4 -d failed"

    {
        echo "builder-sha256: $self_sum"
        echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "kernel: $(basename "$kernel")"
        echo "rootfs-size-mb: $size_mb"
        printf 'mirror: %s\n' "${entries[@]}"
    } >"$work/image-info"

    local f
    for f in vmlinuz initrd.img rootfs.ext4 image-info; do
        mv -f "$work/$f" "$cache/$f"
    done
    rm -rf --one-file-system -- "$work"
    trap - EXIT
    log "image cached in $cache"
}

# Serialise builds (and copies) between concurrent callers.
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if cache_ok; then
    log "using cached image in $cache"
else
    log "no (current) cached image in $cache: building it"
    rm -f "$cache/image-info" # an interrupted build must not look complete
    build
fi

if [[ -n $out ]]; then
    mkdir -p "$out"
    out=$(realpath -- "$out")
    if [[ $out != "$(realpath -- "$cache")" ]]; then
        cp --reflink=auto --sparse=always "$cache/rootfs.ext4" "$out/rootfs.ext4"
        cp "$cache/vmlinuz" "$cache/initrd.img" "$cache/image-info" "$out/"
    fi
    log "image ready in $out"
fi
