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

start=$(date +%s.%N)
elapsed() { awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

die() { echo "build-chroot: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: $0 DEST"
dest=$1
# Refuse to wipe anything that could be the root filesystem: DEST is rm -rf'd below.
[[ -n $dest ]] || die "DEST is empty"
dest_abs=$(realpath -m -- "$dest")
[[ $dest_abs != / ]] || die "refusing to use / as DEST"
[[ $(id -u) -eq 0 ]] || die "must run as root"

cache_dir=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}
cache_tar=$cache_dir/bookworm-minbase.tar

# Prints one-line apt entries ("deb URI SUITE main") for bookworm, bookworm-updates and
# bookworm-security, taken from the host's apt sources (one-line *.list and deb822 *.sources),
# so the chroot uses exactly the mirror this host can reach. The first URI found per suite wins.
host_sources() {
    local files=()
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
    local f
    for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] && files+=("$f")
    done
    [[ ${#files[@]} -gt 0 ]] || return 0
    awk '
        function emit(uri, suite) {
            if (suite !~ /^bookworm(-updates|-security)?$/ || (suite in seen)) return
            seen[suite] = 1
            sub(/\/+$/, "", uri)
            print "deb " uri " " suite " main"
        }
        # deb822 paragraph: emit when it ends (blank line or end of file).
        function flush(   i, j, n, m, us, ss) {
            if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/ && comps ~ /(^| )main( |$)/) {
                n = split(uris, us, " "); m = split(suites, ss, " ")
                for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) emit(us[i], ss[j])
            }
            types = uris = suites = comps = enabled = ""
        }
        FNR == 1 { flush(); deb822 = (FILENAME ~ /\.sources$/) }
        /^[[:space:]]*#/ { next }
        !deb822 {
            # one-line style: deb [options] URI SUITE COMPONENT...
            if ($1 != "deb") next
            i = 2
            if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
            for (k = i + 2; k <= NF; k++) if ($k == "main") { emit($i, $(i + 1)); break }
            next
        }
        /^[[:space:]]*$/ { flush(); next }
        {
            key = tolower($1); sub(/:$/, "", key)
            val = $0; sub(/^[^:]*:[[:space:]]*/, "", val)
            if (key == "types") types = val
            else if (key == "uris") uris = val
            else if (key == "suites") suites = val
            else if (key == "components") comps = val
            else if (key == "enabled") enabled = tolower(val)
        }
        END { flush() }
    ' "${files[@]}"
}

build_cache() {
    command -v mmdebstrap >/dev/null 2>&1 || {
        echo "build-chroot: installing mmdebstrap" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap >&2 \
            || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y \
                    --no-install-recommends mmdebstrap >&2; }
    }

    local entries=()
    if [[ -n ${DOCKUP_E2E_MIRROR:-} ]]; then
        entries=("deb ${DOCKUP_E2E_MIRROR%/} bookworm main")
    else
        mapfile -t entries < <(host_sources)
    fi
    # Without an entry for plain "bookworm" mmdebstrap would fall back to deb.debian.org, which
    # may not be reachable; fail loudly instead of hanging on the network.
    printf '%s\n' "${entries[@]}" | grep -q ' bookworm main$' \
        || die "no bookworm mirror in the host's apt sources; set DOCKUP_E2E_MIRROR"
    printf 'build-chroot: mirror: %s\n' "${entries[@]}" >&2

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
if [[ -e $dest_abs ]]; then
    if awk -v d="$dest_abs" '$5 == d || index($5, d "/") == 1 { found = 1 } END { exit !found }' \
        /proc/self/mountinfo; then
        die "something is mounted under $dest_abs; unmount it first"
    fi
    rm -rf --one-file-system -- "$dest_abs"
fi

if [[ -s $cache_tar ]]; then
    echo "build-chroot: using cached $cache_tar" >&2
else
    echo "build-chroot: no cache at $cache_tar, running mmdebstrap" >&2
    build_cache
fi

mkdir -p "$dest_abs"
tar -xf "$cache_tar" -C "$dest_abs" --numeric-owner
echo "build-chroot: chroot ready at $dest_abs in $(elapsed)s" >&2
