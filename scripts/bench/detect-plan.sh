#!/usr/bin/env bash
# Times `dockup detect` and `dockup plan` (release build) on this machine and on fixture roots.
# Both must stay well under 50 ms: they read a few small files and make no network calls (the
# runs below happen in a network namespace with no interfaces up, where any attempt would fail).
#
#   scripts/bench/detect-plan.sh [RUNS]      (default 200 runs per case)
#
# DOCKUP_BIN times that binary instead of building one (CI times the static release artifact).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-200}
bin=${DOCKUP_BIN:-}
if [[ -z $bin ]]; then
    cargo build --release --quiet
    bin="${CARGO_TARGET_DIR:-target}/release/dockup"
fi

isolate=()
if command -v unshare >/dev/null 2>&1 && unshare -n true 2>/dev/null; then
    isolate=(unshare -n)
    echo "running without network (unshare -n)"
fi

bench() {
    local label=$1
    shift
    "${isolate[@]}" "$bin" "$@" >/dev/null # warm the page cache, and fail loudly if it fails
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do
        "${isolate[@]}" "$bin" "$@" >/dev/null
    done
    end=$(date +%s%N)
    awk -v t=$((end - start)) -v n="$runs" -v l="$label" \
        'BEGIN { printf "%-34s %7.2f ms per run (%d runs, process start included)\n", l, t / n / 1e6, n }'
}

bench "detect (this machine)" detect --json
bench "plan (this machine)" plan --json
bench "detect --root ubuntu-22.04" detect --json --root tests/fixtures/linux/ubuntu-22.04
bench "plan --root centos-7" plan --root tests/fixtures/linux/centos-7
bench "plan --facts win11-24h2-pro" plan --facts tests/fixtures/windows/win11-24h2-pro.json
if [ ${#isolate[@]} -gt 0 ]; then
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do unshare -n true; done
    end=$(date +%s%N)
    awk -v t=$((end - start)) -v n="$runs" \
        'BEGIN { printf "%-34s %7.2f ms per run (the namespace setup included above)\n", "unshare -n true", t / n / 1e6 }'
fi
