#!/usr/bin/env bash
# Manual end-to-end check of dockup's systemd path (not used by CI): builds the stand-in
# download.docker.com mirror, serves it on the host's loopback, builds dockup, boots the systemd VM
# (scripts/e2e/vm/run.sh; qemu TCG) where `dockup install` runs against the mirror through qemu's
# user network (host 127.0.0.1:PORT = guest 10.0.2.2:PORT), and asserts:
#   dockup install exited 0; docker is active and enabled; docker-ce is installed;
#   a second `dockup install` exited 0 and printed "nothing to do".
#
#   sudo scripts/e2e/vm/check.sh
#
# Env: DOCKUP_E2E_CACHE (image cache, see build-image.sh), DOCKUP_E2E_VM_TIMEOUT (see run.sh),
# DOCKUP_E2E_KEEP=1 keeps the temporary directory (mirror, results); CARGO_TARGET_DIR.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
prog=vm-check
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/../lib.sh
. "$here/../lib.sh"
die() { echo "vm-check: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve the mirror"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-vmcheck.XXXXXX")
mirror=$tmp/mirror
results=$tmp/results
server_pid=

cleanup() {
    local rc=$?
    stop_server
    remove_tmp "$tmp"
    finish "$rc"
}
on_exit cleanup

step "building mirror"
"$repo/scripts/e2e/build-mirror.sh" "$mirror"
fpr=$(cat "$mirror/fingerprint")

step "serving mirror"
# Loopback is enough: qemu's user network (slirp) connects from the host side, so the guest's
# 10.0.2.2:PORT reaches the host's 127.0.0.1:PORT.
port=$(free_port)
serve_mirror "$port" "$mirror" "$tmp/http.log" "http://127.0.0.1:$port/linux/debian/gpg"
echo "vm-check: mirror at http://127.0.0.1:$port (guest: http://10.0.2.2:$port), key $fpr" >&2

step "building dockup"
(cd "$repo" && cargo build --quiet)
binary=${CARGO_TARGET_DIR:-$repo/target}/debug/dockup
[[ $binary == /* ]] || binary=$repo/$binary
[[ -x $binary ]] || die "no dockup binary at $binary"

step "running the VM"
rc=0
"$here/run.sh" "http://10.0.2.2:$port" "$fpr" "$binary" "$results" || rc=$?
echo "--- guest requests served by the mirror:" >&2
grep -c '"GET ' "$tmp/http.log" >&2 || true
[[ $rc -eq 0 ]] || die "run.sh exited $rc"

step "checking results"
show() { # show FILE: prints a result file, labelled
    echo "--- $1:" >&2
    sed 's/^/  /' "$results/$1" >&2 2>/dev/null || echo "  (missing)" >&2
}
for f in timings uptime-start uptime-end install.rc install.stdout install.stderr is-active \
    is-enabled docker-ce-version install2.rc install2.stdout install2.stderr detect.rc; do
    show "$f"
done
fail=()
[[ $(cat "$results/install.rc") == 0 ]] || fail+=("dockup install exited $(cat "$results/install.rc")")
[[ $(cat "$results/is-active") == active ]] || fail+=("systemctl is-active docker: $(cat "$results/is-active")")
[[ $(cat "$results/is-enabled") == enabled ]] || fail+=("systemctl is-enabled docker: $(cat "$results/is-enabled")")
grep -q '^Version: ' "$results/docker-ce-version" || fail+=("docker-ce is not installed")
[[ $(cat "$results/install2.rc") == 0 ]] || fail+=("second dockup install exited $(cat "$results/install2.rc")")
grep -q 'nothing to do' "$results/install2.stdout" \
    || fail+=("second dockup install did not print 'nothing to do' on stdout")
[[ $(cat "$results/detect.rc") == 0 ]] || fail+=("dockup detect --json exited $(cat "$results/detect.rc")")
if [[ ${#fail[@]} -gt 0 ]]; then
    show dockup.log
    show systemctl-status.txt
    show journal-docker.txt
    printf 'vm-check: %s\n' "${fail[@]}" >&2
    die "${#fail[@]} check(s) failed"
fi
