#!/usr/bin/env bash
# Builds dockup's release artifacts and their checksums file:
#
#   scripts/release/build.sh [TARGET...]      (default: every target below)
#
#   dist/dockup-x86_64-unknown-linux-musl      static: runs on CentOS 7, Ubuntu 16.04, Alpine
#   dist/dockup-aarch64-unknown-linux-musl     static, where an aarch64 cross linker is present
#   dist/dockup-x86_64-pc-windows-gnu.exe
#   dist/SHA256SUMS                            the names install.sh and install.ps1 download
#
# DOCKUP_DIST_DIR replaces dist/. A target whose toolchain or linker is missing here is skipped
# with the reason, unless it was named on the command line: then it is an error. Prints each
# binary's size and, where this host can run it, its startup time (mean of `--version` runs).
set -euo pipefail

prog=release
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"
cd "$(dirname "$0")/../.."

dist=${DOCKUP_DIST_DIR:-dist}
all=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-pc-windows-gnu)
named=0
targets=("${all[@]}")
if [[ $# -gt 0 ]]; then
    named=1
    targets=("$@")
fi

# C compiler (ring builds C) per target. Rust's musl targets bring their own crt and libc and
# link statically with the default linker; only a cross target needs a linker named, and a glibc
# cross gcc serves (musl-gcc as the linker would make a dynamic binary).
linker_for() {
    case $1 in
        aarch64-unknown-linux-musl) [[ $(uname -m) == aarch64 ]] || echo aarch64-linux-gnu-gcc ;;
        *) ;;
    esac
}

# static_or_die BIN: a Linux release binary must ask for no interpreter and no shared library.
static_or_die() {
    local headers
    headers=$(readelf --program-headers --dynamic "$1")
    if grep -q 'INTERP' <<<"$headers" || grep -q '(NEEDED)' <<<"$headers"; then
        die "$1 is not static: $(grep -E 'interpreter|NEEDED' <<<"$headers" | tr -s ' ' | head -3)"
    fi
}

cc_for() {
    case $1 in
        x86_64-unknown-linux-musl) echo musl-gcc ;;
        aarch64-unknown-linux-musl) echo aarch64-linux-gnu-gcc ;;
        x86_64-pc-windows-gnu) echo x86_64-w64-mingw32-gcc ;;
        *) return 1 ;;
    esac
}

artifact_name() {
    case $1 in
        *windows*) echo "dockup-$1.exe" ;;
        *) echo "dockup-$1" ;;
    esac
}

# startup_ms COMMAND...: mean wall time of 20 runs of `COMMAND... --version`, in milliseconds.
startup_ms() {
    local t0
    "$@" --version >/dev/null 2>&1 || return 1
    t0=$(date +%s%N)
    for _ in $(seq 20); do "$@" --version >/dev/null 2>&1; done
    awk -v ns=$(($(date +%s%N) - t0)) 'BEGIN { printf "%.1f ms", ns / 20 / 1e6 }'
}

# start_command TARGET BIN: how this host runs BIN (the Windows one under wine, with the
# stand-in DLL scripts/wine/run.sh provides); fails where it cannot.
start_command() {
    case $1 in
        "$(uname -m)"-unknown-linux-musl) echo "$2" ;;
        x86_64-pc-windows-gnu)
            command -v wine >/dev/null && command -v x86_64-w64-mingw32-gcc >/dev/null || return 1
            echo "scripts/wine/run.sh $2 win10"
            ;;
        *) return 1 ;;
    esac
}

need_tools readelf:binutils
mkdir -p "$dist"
built=()
for target in "${targets[@]}"; do
    cc=$(cc_for "$target") || die "unknown target $target (known: ${all[*]})"
    why=''
    if ! command -v "$cc" >/dev/null; then
        why="no $cc"
    elif ! rustup target list --installed | grep -qx "$target"; then
        rustup target add "$target" >&2 || why="rustup cannot add $target"
    fi
    if [[ -n $why ]]; then
        [[ $named -eq 1 ]] && die "cannot build $target: $why"
        log "skipped $target: $why"
        continue
    fi
    step "cargo build --release --target $target"
    env_target=${target//-/_}
    vars=("CC_${env_target}=$cc")
    linker=$(linker_for "$target")
    [[ -z $linker ]] || vars+=("CARGO_TARGET_${env_target^^}_LINKER=$linker")
    env "${vars[@]}" cargo build --release --locked --target "$target" >&2
    out="$dist/$(artifact_name "$target")"
    cp "${CARGO_TARGET_DIR:-target}/$target/release/dockup$([[ $target == *windows* ]] && echo .exe)" "$out"
    [[ $target != *linux* ]] || static_or_die "$out"
    built+=("$target")
done
[[ ${#built[@]} -gt 0 ]] || die "nothing was built"

# The checksums file lists what dist/ holds now, so an earlier run's other targets stay listed.
(
    cd "$dist"
    rm -f SHA256SUMS
    sha256sum -- dockup-* >SHA256SUMS.new
    mv SHA256SUMS.new SHA256SUMS
)

printf '%-40s %10s  %s\n' artifact bytes startup
for target in "${built[@]}"; do
    out="$dist/$(artifact_name "$target")"
    startup='n/a (cannot run this target here)'
    if command=$(start_command "$target" "$out"); then
        # shellcheck disable=SC2086 # the command's words (paths without spaces)
        startup=$(startup_ms $command) || startup='failed to start'
    fi
    printf '%-40s %10s  %s\n' "${out##*/}" "$(stat -c %s "$out")" "$startup"
done
log "done: $dist/SHA256SUMS"
