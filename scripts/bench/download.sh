#!/usr/bin/env bash
# Downloads one large file from a local HTTP server twice: with dockup's downloader
# (`dockup fetch`, which hashes with sha256 while it writes and renames only on a match) and with
# `curl -o` (which does neither), and prints the throughput ratio as its last line.
#
#   scripts/bench/download.sh [SIZE_MIB]      (default 1024, i.e. 1 GiB; 3 rounds each)
#
# On loopback the transfer costs next to nothing, so the ratio measures CPU: hashing 1 GiB takes
# dockup about 0.75 CPU-seconds (sha256 with SHA-NI, on its own thread), and on a 2-core machine
# the server, the transfer and the hashing share two cores. Over any real network slower than the
# hash (about 1.3 GB/s here) the hashing hides behind the transfer.
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-1024}
rounds=${DOCKUP_BENCH_ROUNDS:-3}
command -v curl >/dev/null || { echo "download.sh: curl is needed as the baseline" >&2; exit 1; }

# DOCKUP_BIN measures that binary instead of building one.
bin=${DOCKUP_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release --quiet
    bin="${CARGO_TARGET_DIR:-target}/release/dockup"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dockup-bench-dl.XXXXXX")
server_pid=
cleanup() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
    fi
    rm -rf -- "$work"
}
trap cleanup EXIT

mkdir -p "$work/www" "$work/out"
echo "making a ${size_mib} MiB file of random bytes ..." >&2
head -c "$((size_mib << 20))" /dev/urandom >"$work/www/blob.bin"
sha=$(sha256sum "$work/www/blob.bin" | cut -d' ' -f1)

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$port" >/dev/null 2>&1 &
server_pid=$!
url="http://127.0.0.1:$port/blob.bin"
for _ in $(seq 100); do
    curl -fsS -o /dev/null -r 0-0 "$url" 2>/dev/null && break
    sleep 0.1 # waiting for the server to listen
done

# seconds COMMAND...: wall time of one run, with the page cache already holding the file.
seconds() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    awk -v t=$((end - start)) 'BEGIN { printf "%.3f", t / 1e9 }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

cat "$work/www/blob.bin" >/dev/null
dockup_times=() curl_times=()
for round in $(seq "$rounds"); do
    rm -f "$work/out/"*
    t=$(seconds "$bin" fetch "$url" --sha256 "$sha" -o "$work/out/dockup.bin")
    dockup_times+=("$t")
    t=$(seconds curl -fsS -o "$work/out/curl.bin" "$url")
    curl_times+=("$t")
    for f in dockup curl; do
        [[ $(sha256sum "$work/out/$f.bin" | cut -d' ' -f1) == "$sha" ]] || { echo "$f got a different file" >&2; exit 1; }
    done
    echo "round $round: dockup ${dockup_times[-1]} s, curl ${curl_times[-1]} s" >&2
done

d=$(printf '%s\n' "${dockup_times[@]}" | median)
c=$(printf '%s\n' "${curl_times[@]}" | median)
awk -v d="$d" -v c="$c" -v m="$size_mib" 'BEGIN {
    printf "dockup fetch (hashing while writing): %7.1f MiB/s (median %.3f s)\n", m / d, d
    printf "curl -o (no hash):                    %7.1f MiB/s (median %.3f s)\n", m / c, c
    printf "download throughput ratio dockup/curl: %.2f\n", c / d
}'
