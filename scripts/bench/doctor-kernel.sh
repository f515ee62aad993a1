#!/usr/bin/env bash
# Times `dockup doctor --kernel-only` against what shell checkers such as moby's check-config.sh
# do: one `zgrep` of the gzipped kernel config per option. Prints the speedup as its last line.
#
#   scripts/bench/doctor-kernel.sh [CONFIG.gz]   (default: /proc/config.gz, else a Debian fixture)
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:-/proc/config.gz}
if [[ ! -r $config ]]; then
    config=tests/fixtures/kernel/debian-6.1-cloud/proc/config.gz
fi
runs=${DOCKUP_BENCH_RUNS:-20}

cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/dockup"

# The options doctor checks, as the shell checker would loop over them.
mapfile -t options < <("$bin" doctor --kernel-only --json --all --kernel-config "$config" |
    python3 -c 'import json,sys; [print(c["id"][7:]) for c in json.load(sys.stdin)["checks"] if c["id"].startswith("CONFIG_")]')

shell_checker() {
    local opt
    for opt in "${options[@]}"; do
        zgrep -Eq "^CONFIG_${opt}=[ym]" "$config" || true
    done
}

ms() { # ms COMMAND...: mean wall milliseconds over $runs runs
    local start end
    start=$(date +%s%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null; done
    end=$(date +%s%N)
    awk -v t=$((end - start)) -v n="$runs" 'BEGIN { printf "%.2f", t / n / 1e6 }'
}

d=$(ms "$bin" doctor --kernel-only --json --kernel-config "$config")
z=$(ms shell_checker)
echo "config: $config (${#options[@]} options)"
echo "dockup doctor --kernel-only: $d ms"
echo "zgrep per option:            $z ms"
awk -v d="$d" -v z="$z" 'BEGIN { printf "doctor kernel check speedup over zgrep: %.1fx\n", z / d }'
