#!/usr/bin/env bash
# Builds a tiny root filesystem tarball from Debian bookworm's busybox-static, for end-to-end tests
# that need a container image without reaching a registry:
#
#   scripts/e2e/busybox-rootfs.sh OUT.tar
#   docker import OUT.tar dockup-e2e/busybox:latest
#   docker run --rm dockup-e2e/busybox echo hello        # prints hello
#
# The tarball holds /bin/busybox (static, no libraries needed) plus a symlink /bin/APPLET ->
# busybox for every applet it has (sh, echo, true, ls, cat, sleep, ...), and the empty
# directories a container expects (/dev, /proc, /sys, /etc, /tmp, /root). It is uncompressed and
# reproducible (fixed mtimes, root ownership, sorted names), so the image ID is stable.
#
# The .deb is cached in ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/debs (reused when present).
set -euo pipefail

prog=busybox-rootfs
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

[[ $# -eq 1 && -n $1 ]] || die "usage: $0 OUT.tar"
out=$(realpath -m -- "$1")
[[ -d $(dirname "$out") ]] || die "$(dirname "$out") does not exist"

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1727740800} # 2024-10-01T00:00:00Z
export TZ=UTC LC_ALL=C

cache_debs=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/debs
mkdir -p "$cache_debs"

work=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-busybox.XXXXXX")
trap 'rm -rf -- "$work"' EXIT

# The cached busybox-static .deb (busybox-static_1%3a1.35.0-..._amd64.deb); apt-get download it
# if none.
if ! deb=$(cached_deb "$cache_debs" busybox-static); then
    echo "busybox-rootfs: downloading busybox-static into $cache_debs" >&2
    mkdir "$work/dl"
    if ! (cd "$work/dl" && apt-get download -q -o APT::Sandbox::User=root busybox-static >&2); then
        apt-get update -q >&2 || true
        (cd "$work/dl" && apt-get download -q -o APT::Sandbox::User=root busybox-static >&2) \
            || die "apt-get download busybox-static failed"
    fi
    mv -f "$work/dl"/*.deb "$cache_debs/"
    deb=$(cached_deb "$cache_debs" busybox-static) || die "busybox-static .deb vanished"
fi

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,dev,etc,proc,sys,tmp,root}
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/root"
dpkg-deb --fsys-tarfile "$deb" | tar -xO ./bin/busybox >"$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"
# The applet list comes from the binary itself (it is static, so it runs on the host).
applets=$("$rootfs/bin/busybox" --list) || die "cannot run busybox --list"
for a in $applets; do
    [[ $a == busybox || -e $rootfs/bin/$a ]] || ln -s busybox "$rootfs/bin/$a"
done
for a in sh echo true; do
    [[ -L $rootfs/bin/$a ]] || die "busybox has no '$a' applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"

tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C "$rootfs" -cf "$out.tmp.$$" .
mv -f "$out.tmp.$$" "$out"
echo "busybox-rootfs: $out ($(dpkg-deb -f "$deb" Version), $(wc -w <<<"$applets") applets) in $(elapsed)s" >&2
