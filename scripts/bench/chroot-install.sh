#!/usr/bin/env bash
# Times installing Docker into a fresh Debian bookworm chroot, with dockup and by hand the way
# Docker's install docs do it, against the local signed stand-in mirror (scripts/e2e/).
#
#   sudo scripts/bench/chroot-install.sh [ROUNDS]      (default 3 rounds per variant)
#
# Variants, each round on a fresh chroot extracted from build-chroot.sh's cached tarball:
#   dockup        `dockup install -y --no-start --mirror URL --key-fingerprint FPR`; only this
#                 command is timed (chroot extraction, mounts and copying the binary are not).
#   dockup rerun  the same command again in the chroot dockup just installed into (nothing to do).
#   by hand       Docker's docs for Debian: the key is copied to /etc/apt/keyrings/docker.asc
#                 untimed (the docs curl it; a minbase chroot has no curl, and we do not charge
#                 the by-hand path for installing curl), then timed: write docker.list,
#                 `apt-get update`, `apt-get install -y docker-ce docker-ce-cli containerd.io
#                 docker-buildx-plugin docker-compose-plugin`.
# The last line is `chroot install time ratio dockup/by-hand: X.XX` (median over median).
#
# Why dockup can be faster: the docs' plain `apt-get update` refreshes every source, Debian's
# own included (a round trip to the Debian mirror per suite, and new indexes whenever Debian
# published some). dockup refreshes only Docker's source (apt-get update -o
# Dir::Etc::sourcelist=docker.list -o Dir::Etc::sourceparts=-) when the host's lists are
# fresh, i.e. some *_Packages file in /var/lib/apt/lists is younger than a day; otherwise it
# falls back to the full update and the two should cost about the same. The chroot's lists keep
# the mtimes they had in build-chroot.sh's tarball, so which case you measure depends on the
# age of that cache: after each run the script reads /var/log/dockup/dockup.log in the chroot
# and reports which refresh dockup did. Delete the tarball (see build-chroot.sh) to rebuild it
# and measure the fresh-lists case again.
# Observed (2026-12, fresh cache, 2 cores): dockup's log shows the docker-only update (one
# InRelease + one Packages from the local mirror, ~0.1 s), while the docs' update downloads
# ~6.6 MB from Debian's mirror: the three InRelease files again (no "Hit") and Translation-en
# for each suite, which the minbase chroot never had (mmdebstrap does not fetch translations).
# That ~1 s of network is the whole difference; the rest (apt building its cache from the
# 50 MB Packages file, dpkg) is the same for both. On a real host that already has its
# translations the by-hand update fetches less, so expect a smaller gap there.
#
# Needs root (chroot, mount), python3 (serves the mirror) and the Debian mirror the host's apt
# uses (the by-hand update, and dockup's full update when the lists are stale, contact it: the
# by-hand numbers include that network time). Env: DOCKUP_E2E_CACHE as in build-chroot.sh;
# DOCKUP_BENCH_KEEP_LOGS=1 keeps the temporary directory's logs (each variant's output, dockup's
# own log from each chroot) and prints where they are.
set -euo pipefail
export LC_ALL=C # decimal points in printf/awk/sort, whatever the caller's locale

prog=chroot-install
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

[[ $(id -u) -eq 0 ]] || die "must run as root (chroot, mount); try: sudo $0"
rounds=${1:-3}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "usage: $0 [ROUNDS] (a positive integer, default 3)"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve the mirror"

cd "$(dirname "$0")/../.."
e2e=$PWD/scripts/e2e
cargo build --release --quiet
bin=$(realpath "${CARGO_TARGET_DIR:-target}/release/dockup")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-bench-chroot.XXXXXX")
mirror=$tmp/mirror
root= # the chroot in use, if any
server_pid=

# Kills what still runs inside the chroot (nothing should, with --no-start), then unmounts
# /dev/pts and /proc in it and deletes it. Deletion is skipped if a mount is still there.
drop_root() {
    [[ -n $root ]] || return 0
    local p pids=()
    for p in /proc/[0-9]*; do
        [[ $(readlink "$p/root" 2>/dev/null) == "$root" ]] && pids+=("${p#/proc/}")
    done
    if [[ ${#pids[@]} -gt 0 ]]; then
        kill -KILL "${pids[@]}" 2>/dev/null || true
        sleep 0.2
    fi
    if ! umount_proc_pts "$root"; then
        echo "chroot-install: something is still mounted in $root; not deleting it" >&2
        return 1
    fi
    rm -rf --one-file-system -- "$root"
    root=
}

cleanup() {
    local rc=$?
    trap - INT TERM
    drop_root || rc=1
    stop_server
    # Keep $tmp if a chroot could not be unmounted: rm would descend into it otherwise.
    if [[ -n $root ]]; then
        echo "chroot-install: kept $tmp" >&2
    elif [[ ${DOCKUP_BENCH_KEEP_LOGS:-} == 1 ]]; then
        rm -rf --one-file-system -- "$mirror"
        echo "chroot-install: logs kept in $tmp" >&2
    else
        rm -rf --one-file-system -- "$tmp"
    fi
    [[ $rc -eq 0 ]] || echo "chroot-install: FAILED (exit $rc)" >&2
    exit "$rc"
}
on_exit cleanup

# Run a command in the chroot with a clean, non-interactive environment (as check.sh does).
in_chroot() {
    chroot "$root" /usr/bin/env -i HOME=/root LC_ALL=C NO_COLOR=1 DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# new_root NAME: a fresh chroot with /proc, a private /dev/pts and dockup in /usr/local/bin.
new_root() {
    root=$tmp/$1
    "$e2e/build-chroot.sh" "$root" 2>"$tmp/build-chroot.log" \
        || { cat "$tmp/build-chroot.log" >&2; die "build-chroot.sh failed"; }
    mount_proc_pts "$root"
    install -m 0755 "$bin" "$root/usr/local/bin/dockup"
    # Flush the ~200 MB just extracted before anything is timed: dpkg fsyncs, and on a journaling
    # filesystem (ext4 data=ordered) its first fsync would otherwise wait for all of it to be
    # written back. Without this, whichever variant reaches dpkg sooner after the extraction
    # (dockup: no full index update) paid for it, and its times varied 1.1-3.2 s.
    sync
}

# timed LOG COMMAND...: runs COMMAND with its output in LOG, prints its wall time in seconds.
timed() {
    local log=$1 start end
    shift
    start=$(date +%s%N)
    if ! "$@" >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        die "failed: $*"
    fi
    end=$(date +%s%N)
    awk -v t=$((end - start)) 'BEGIN { printf "%.3f", t / 1e9 }'
}

# Every package the docs install is installed (so no variant is timed doing less).
check_installed() {
    local p
    for p in docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin; do
        # shellcheck disable=SC2016 # ${Status} is a dpkg-query format field.
        [[ $(in_chroot dpkg-query -W -f '${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] \
            || die "$1: $p is not installed"
    done
}

# Which index refresh dockup's log shows: "docker only" or "full".
refresh_kind() {
    local log=$root/var/log/dockup/dockup.log
    [[ -f $log ]] || { echo "no log"; return; }
    if grep -q '^\[[0-9]*\] \$ .*apt-get update .*Dir::Etc::sourcelist=' "$log"; then
        echo "docker only"
    elif grep -q '^\[[0-9]*\] \$ .*apt-get update' "$log"; then
        echo "full"
    else
        echo "none"
    fi
}

echo "building the mirror" >&2
"$e2e/build-mirror.sh" "$mirror" 2>"$tmp/build-mirror.log" \
    || { cat "$tmp/build-mirror.log" >&2; die "build-mirror.sh failed"; }
fpr=$(cat "$mirror/fingerprint")

# Ask the kernel for a free port and hand it to http.server; retry if someone took it meanwhile.
for _ in 1 2 3 4 5; do
    port=$(free_port)
    serve_dir "$port" "$mirror" "$tmp/http.log"
    for _ in $(seq 50); do
        if http_up "http://127.0.0.1:$port/linux/debian/gpg"; then
            break 2
        fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.2
    done
    stop_server
done
[[ -n $server_pid ]] || die "could not start http.server: $(cat "$tmp/http.log")"
url=http://127.0.0.1:$port
echo "mirror at $url/linux/debian (key $fpr)" >&2

dockup_cmd=(in_chroot /usr/local/bin/dockup install -y --no-start --mirror "$url" --key-fingerprint "$fpr")
# Docker's docs for Debian, from "Add the repository to Apt sources" on (the key is in place).
# shellcheck disable=SC2016 # expanded by the shell inside the chroot, as the docs' snippet is.
by_hand_script='
set -e
echo "deb [arch=$(dpkg --print-architecture) signed-by=/etc/apt/keyrings/docker.asc] '"$url"'/linux/debian \
  $(. /etc/os-release && echo "$VERSION_CODENAME") stable" | \
  tee /etc/apt/sources.list.d/docker.list > /dev/null
apt-get update
apt-get install -y docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin
'

t_dockup=() t_rerun=() t_hand=() kinds=()
for r in $(seq "$rounds"); do
    echo "round $r/$rounds: dockup" >&2
    new_root "dockup-$r"
    t_dockup+=("$(timed "$tmp/dockup-$r.log" "${dockup_cmd[@]}")")
    check_installed dockup
    kinds+=("$(refresh_kind)")
    mv "$root/var/log/dockup/dockup.log" "$tmp/dockup-$r.dockup.log"
    t_rerun+=("$(timed "$tmp/rerun-$r.log" "${dockup_cmd[@]}")")
    grep -q 'nothing to do' "$tmp/rerun-$r.log" || {
        cat "$tmp/rerun-$r.log" >&2
        die "the rerun did not say 'nothing to do'"
    }
    [[ $(refresh_kind) == none ]] || die "the rerun refreshed the package index"
    cp "$root/var/log/dockup/dockup.log" "$tmp/rerun-$r.dockup.log"
    drop_root

    echo "round $r/$rounds: by hand" >&2
    new_root "by-hand-$r"
    install -m 0755 -d "$root/etc/apt/keyrings"
    install -m 0644 "$mirror/linux/debian/gpg" "$root/etc/apt/keyrings/docker.asc"
    t_hand+=("$(timed "$tmp/by-hand-$r.log" in_chroot sh -c "$by_hand_script")")
    check_installed "by hand"
    drop_root
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    printf "%.4f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
row() { # row LABEL TIMES...
    local label=$1
    shift
    printf '%-14s %8.2f   %s\n' "$label" "$(median "$@")" "$*"
}

echo
printf '%-14s %8s   %s\n' variant median "each round (s)"
row dockup "${t_dockup[@]}"
row "dockup rerun" "${t_rerun[@]}"
row "by hand" "${t_hand[@]}"
echo "dockup's index refresh per round (from its log): $(printf '%s, ' "${kinds[@]}" | sed 's/, $//')"
awk -v d="$(median "${t_dockup[@]}")" -v h="$(median "${t_hand[@]}")" \
    'BEGIN { printf "chroot install time ratio dockup/by-hand: %.2f\n", d / h }'
