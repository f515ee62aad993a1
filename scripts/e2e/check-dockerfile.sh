#!/usr/bin/env bash
# Builds the project's Dockerfile with a real dockerd and runs the image it makes:
#
#   scripts/e2e/check-dockerfile.sh
#
# No registry is reachable here, so the build stage's base is made locally: a Debian bookworm
# rootfs (mmdebstrap) with gcc and musl-tools, plus this host's Rust toolchain (cargo, rustc and
# the std of the host and musl targets), imported as dockup-rust-build:local. The engine is
# Debian's docker.io, containerd and runc unpacked from their .debs (not installed), started
# on a private socket with no bridge and no firewall rules; the build stage uses the host's
# network to reach crates.io. Then: `docker run IMAGE --version`, the image's size, and the
# binary copied out of the image through scripts/release/check-static.sh.
#
# Cached under ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}: the .debs, the base rootfs tarball
# (keyed by the toolchain's version) and the engine's data root, so the base is imported once.
# Must run as root.
set -euo pipefail

prog=check-dockerfile
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (dockerd, mmdebstrap)"
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}
cache_debs=$cache/debs
need_tools mmdebstrap:mmdebstrap rustc:rustc

work=$(mktemp -d /tmp/dockup-dockerfile.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
    if [[ -s $work/dockerd.bgpid ]]; then
        local pid
        pid=$(cat "$work/dockerd.bgpid")
        kill "$pid" 2>/dev/null || true
        # dockerd stops its containerd and unmounts its layers before it exits.
        while kill -0 "$pid" 2>/dev/null; do sleep 0.2; done
    fi
    # dockerd leaves its network namespace file mounted under its exec root.
    local m
    for m in $(mounts_under "$work"); do umount -l "$m" || true; done
    remove_tmp "$work"
}
on_exit cleanup

step "the engine: Debian's docker.io, containerd, runc, unpacked"
fetch_debs docker.io containerd runc tini
engine=$work/engine
for p in docker.io containerd runc tini; do
    dpkg-deb -x "$(cached_deb "$cache_debs" "$p")" "$engine"
done
export PATH=$engine/usr/bin:$engine/usr/sbin:$PATH
export DOCKER_HOST=unix://$work/docker.sock
# A hard open-files limit below dockerd's wish is fine when dockerd is started directly.
dockerd --data-root "$cache/dockerfile-engine" --exec-root "$work/exec" \
    --pidfile "$work/dockerd.pid" -H "$DOCKER_HOST" \
    --bridge none --iptables=false --ip-forward=false >"$work/dockerd.log" 2>&1 &
echo $! >"$work/dockerd.bgpid"
for _ in $(seq 300); do
    docker version >/dev/null 2>&1 && break
    kill -0 $! 2>/dev/null || { cat "$work/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.2
done
docker version --format 'dockerd {{.Server.Version}}' >&2 \
    || { tail -20 "$work/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }

step "the build stage's base image"
sysroot=$(rustc --print sysroot)
key=$(printf '%s\n' "$(rustc -V)" "$(cargo -V)" "$(sha256sum "$0" | cut -c1-16)" | sha256sum | cut -c1-16)
base_tar=$cache/rust-build-$key.tar
if ! docker image inspect "dockup-rust-build:$key" >/dev/null 2>&1; then
    if [[ ! -s $base_tar ]]; then
        log "making $base_tar (gcc, musl-tools, the toolchain of $sysroot)"
        entries=()
        debian_entries
        rm -rf -- "$cache"/rust-build-*.tar "$base_tar.partial"
        # The build stage fetches crates: it trusts what this host trusts (a network that
        # inspects TLS has its CA under /usr/local/share/ca-certificates).
        # shellcheck disable=SC2016 # expanded by the hook's own shell, $1 is the rootfs
        trust_host_cas='set -e; for c in /usr/local/share/ca-certificates/*.crt; do
            [ -f "$c" ] && cp "$c" "$1/usr/local/share/ca-certificates/"; done
            chroot "$1" update-ca-certificates >/dev/null'
        # Only what `cargo build --target <arch>-unknown-linux-musl` needs of the toolchain.
        host=$(rustc -vV | awk '/^host:/ { print $2 }')
        musl="$(uname -m)-unknown-linux-musl"
        [[ -d $sysroot/lib/rustlib/$musl ]] || rustup target add "$musl" >&2
        mmdebstrap --variant=minbase --format=tar --include=gcc,libc6-dev,musl-tools,ca-certificates \
            --customize-hook="mkdir -p \"\$1/usr/local/rust/bin\" \"\$1/usr/local/rust/lib/rustlib\"" \
            --customize-hook="cp -a $sysroot/bin/cargo $sysroot/bin/rustc \"\$1/usr/local/rust/bin/\"" \
            --customize-hook="cp -a $sysroot/lib/*.so* \"\$1/usr/local/rust/lib/\"" \
            --customize-hook="cp -a $sysroot/lib/rustlib/$host $sysroot/lib/rustlib/$musl \"\$1/usr/local/rust/lib/rustlib/\"" \
            --customize-hook="$trust_host_cas" \
            bookworm "$base_tar.partial" "${entries[@]}" >&2 \
            || { rm -f "$base_tar.partial"; die "mmdebstrap failed"; }
        mv -f "$base_tar.partial" "$base_tar"
    fi
    log "importing $base_tar ($(du -h "$base_tar" | cut -f1))"
    # This engine's data root is this check's alone: an older base and its build stages go.
    docker image prune -af >/dev/null
    docker import \
        --change 'ENV PATH=/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change "ENV CC_$(uname -m)_unknown_linux_musl=musl-gcc" \
        "$base_tar" "dockup-rust-build:$key" >/dev/null
fi

step "docker build (the release build runs in the build stage)"
docker build --network host --build-arg "RUST_IMAGE=dockup-rust-build:$key" \
    -t dockup-check:latest "$repo" >&2 || die "docker build failed"

step "the image"
version=$(awk -F'"' '/^version *=/ { print $2; exit }' "$repo/Cargo.toml")
out=$(docker run --rm --network none dockup-check:latest --version) || die "docker run failed: $out"
[[ $out == "dockup $version" ]] || fail "the image printed '$out', expected 'dockup $version'"
log "docker run dockup-check --version: $out"
size=$(docker image inspect --format '{{.Size}}' dockup-check:latest)
layers=$(docker image inspect --format '{{len .RootFS.Layers}}' dockup-check:latest)
[[ $layers -eq 1 ]] || fail "the final image has $layers layers; it should hold only the binary"
((size < 20 * 1024 * 1024)) || fail "the image is $size bytes; a static binary from scratch is under 20 MB"
log "image: $size bytes in $layers layer"

id=$(docker create dockup-check:latest)
docker cp "$id:/dockup" "$work/dockup" >/dev/null
docker rm "$id" >/dev/null
"$repo/scripts/release/check-static.sh" "$work/dockup" || fail "the image's binary is not static"

# Keep the base image for the next run, drop this build's images and stages.
docker image rm dockup-check:latest >/dev/null
docker image prune -f >/dev/null
finish 0
