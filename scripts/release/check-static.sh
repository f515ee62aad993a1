#!/usr/bin/env bash
# Proves a release binary needs nothing from the host it lands on:
#
#   scripts/release/check-static.sh dist/dockup-x86_64-unknown-linux-musl
#
# A binary linked against this machine's glibc would not start on CentOS 7 (glibc 2.17), Ubuntu
# 16.04 or Alpine. So: no program interpreter and no shared libraries in its ELF headers, then it
# runs inside an otherwise empty root (as root: chroot) holding only itself and fixture trees,
# reads them and plans, and builds its HTTPS client there with no CA bundle on disk (the
# embedded Mozilla roots), failing on the connection, not on certificates.
set -euo pipefail

prog=check-static
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/../e2e/lib.sh
. "$(dirname "$0")/../e2e/lib.sh"

bin=${1:?usage: check-static.sh BINARY}
[[ -x $bin ]] || die "$bin is not an executable file"
repo=$(cd "$(dirname "$0")/../.." && pwd)
need_tools readelf:binutils

step "ELF headers of $bin"
headers=$(readelf --program-headers --dynamic "$bin")
if grep -q 'INTERP' <<<"$headers"; then
    fail "$bin asks for a program interpreter: $(grep -A1 INTERP <<<"$headers" | tail -1)"
fi
if grep -q '(NEEDED)' <<<"$headers"; then
    fail "$bin needs shared libraries: $(grep '(NEEDED)' <<<"$headers" | tr -s ' ')"
fi
log "no interpreter, no shared libraries"

[[ $(id -u) -eq 0 ]] || { log "not root: the empty-root run needs chroot; skipped"; finish 0; }

root=$(mktemp -d /tmp/dockup-static.XXXXXX)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { remove_tmp "$root"; }
on_exit cleanup
install -m 0755 "$bin" "$root/dockup"
mkdir -p "$root/fixtures" "$root/tmp"
for fx in centos-7 ubuntu-16.04 alpine-3.20; do
    cp -a "$repo/tests/fixtures/linux/$fx" "$root/fixtures/$fx"
done

# expect_in OUTPUT TEXT WHAT: fails naming WHAT unless OUTPUT contains TEXT.
expect_in() { grep -qF -- "$2" <<<"$1" || fail "$3: expected \"$2\" in: $1"; }

step "runs in an empty root"
out=$(chroot "$root" /dockup --version) || fail "--version failed: $out"
log "$out"
for pair in centos-7:'"strategy": "repo"' ubuntu-16.04:'"strategy": "repo"' \
    alpine-3.20:'"strategy": "distro"'; do
    fx=${pair%%:*}
    out=$(chroot "$root" /dockup detect --root "/fixtures/$fx" --json) \
        || fail "detect on $fx failed: $out"
    expect_in "$out" "${pair#*:}" "detect on $fx"
    out=$(chroot "$root" /dockup plan --root "/fixtures/$fx" --json) \
        || fail "plan on $fx failed: $out"
    expect_in "$out" '"steps"' "plan on $fx"
    log "$fx: ${pair#*:}, plan ok"
done

step "HTTPS client without a CA bundle on disk"
[[ ! -e $root/etc/ssl ]] || fail "the empty root has /etc/ssl"
# Port 9 (discard) on 127.0.0.1: nothing listens, so the client is built and then refused.
zeros=$(printf '0%.0s' $(seq 64))
if out=$(chroot "$root" /dockup fetch https://127.0.0.1:9/x --sha256 "$zeros" -o /tmp/x 2>&1); then
    fail "a fetch from a closed port succeeded: $out"
fi
if grep -qiE 'certificate|root store|tls backend|builder' <<<"$out"; then
    fail "the HTTPS client could not be built without the host's CA bundle: $out"
fi
expect_in "$out" "127.0.0.1" "fetch error"
log "client built from the embedded roots; the fetch failed on the connection, as it should"
finish 0
