#!/usr/bin/env bash
# Builds a minimal Debian bookworm chroot at DEST for end-to-end tests that install Docker into it.
#
#   scripts/e2e/build-chroot.sh DEST
#
# The chroot is `mmdebstrap --variant=minbase`: it deliberately has NO ca-certificates, curl or
# gnupg, because that is what a fresh minimal Debian looks like and dockup must cope with it.
# Its /etc/apt/sources.list points at the same Debian mirror the host uses (the only network
# this environment can reach), and mmdebstrap's package lists are kept so apt works inside.
#
# The first run takes ~40 s; the result is cached as a tarball in
#   ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/bookworm-minbase.tar
# and later runs only extract it (a few seconds). Delete the tarball to force a rebuild.
# Set DOCKUP_E2E_MIRROR=http://host/debian to override the mirror read from the host's apt sources.
#
# Must run as root (mmdebstrap's root mode, and extracting device nodes / ownership).
set -euo pipefail

prog=build-chroot
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

# Refuse to wipe anything that could be the root filesystem: DEST is rm -rf'd below.
dest_arg "$@"
[[ $(id -u) -eq 0 ]] || die "must run as root"

cache_dir=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}
cache_tar=$cache_dir/bookworm-minbase.tar

build_cache() {
    need_tools mmdebstrap:mmdebstrap

    # The chroot uses exactly the Debian mirror this host can reach.
    local entries
    debian_entries

    mkdir -p "$cache_dir"
    # Write to a temporary name and rename, so an interrupted build never leaves a truncated
    # tarball that the fast path would happily extract next time.
    local tmp=$cache_dir/.bookworm-minbase.$$.tar
    # cleanup/apt/lists is skipped so the chroot keeps mmdebstrap's package lists (apt works in it
    # without an `apt-get update`); the .deb cache is still removed to keep the tarball small.
    if ! mmdebstrap --variant=minbase --skip=cleanup/apt/lists bookworm "$tmp" "${entries[@]}" >&2; then
        rm -f "$tmp"
        die "mmdebstrap failed"
    fi
    mv -f "$tmp" "$cache_tar"
}

# Wipe DEST. --one-file-system and the mount check protect the host if a previous run left
# /proc (or a bind mount) mounted inside an old chroot at this path.
if [[ -e $dest ]]; then
    [[ -z $(mounts_under "$dest") ]] || die "something is mounted under $dest; unmount it first"
    rm -rf --one-file-system -- "$dest"
fi

if [[ -s $cache_tar ]]; then
    echo "build-chroot: using cached $cache_tar" >&2
else
    echo "build-chroot: no cache at $cache_tar, running mmdebstrap" >&2
    build_cache
fi

mkdir -p "$dest"
tar -xf "$cache_tar" -C "$dest" --numeric-owner
echo "build-chroot: chroot ready at $dest in $(elapsed)s" >&2
