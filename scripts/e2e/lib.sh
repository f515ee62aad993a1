# shellcheck shell=bash
# Helpers shared by the e2e fixture scripts (scripts/e2e/*.sh, scripts/e2e/vm/*.sh) and
# scripts/bench/chroot-install.sh. Source it, do not run it:
#
#   prog=build-mirror          # the prefix of every message (die, need_tools, ...)
#   start=$(date +%s.%N)       # only where elapsed, log, step or finish are used
#   . "$(dirname "$0")/lib.sh"
#
# Sourcing it only defines functions (and checks that prog is set). A script may redefine die
# after sourcing; the helpers here call whichever die is defined when they run.
: "${prog:?set prog before sourcing lib.sh}"

# ---------------------------------------------------------------------------------------------
# Messages and timing
# ---------------------------------------------------------------------------------------------
die() { echo "$prog: $*" >&2; exit 1; }
# fail: a failed self-check of what a build script just built.
fail() { die "verification failed: $*"; }

# since START: seconds since START (a `date +%s.%N` value), with one decimal.
since() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }
# elapsed: seconds since the script's $start.
elapsed() { since "${start:?}"; }
log() { echo "$prog: [$(elapsed)s] $*" >&2; }
step() { echo "==> [$(elapsed)s] $*" >&2; }

# on_exit FUNCTION: runs FUNCTION on exit; SIGINT and SIGTERM exit (130, 143) through it too.
on_exit() {
    # shellcheck disable=SC2064 # FUNCTION is a name: expand it now.
    trap "$1" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# remove_tmp DIR: deletes the temporary directory DIR, or keeps it for inspection (and says so)
# where DOCKUP_E2E_KEEP=1.
remove_tmp() {
    if [[ ${DOCKUP_E2E_KEEP:-} == 1 ]]; then
        echo "$prog: kept $1" >&2
    else
        rm -rf --one-file-system -- "$1"
    fi
}

# finish RC: a check's last line (PASS or FAILED, and how long it took), then exit RC.
finish() {
    if [[ $1 -eq 0 ]]; then
        echo "$prog: PASS in $(elapsed)s" >&2
    else
        echo "$prog: FAILED (exit $1) after $(elapsed)s" >&2
    fi
    exit "$1"
}

# ---------------------------------------------------------------------------------------------
# Host tools
# ---------------------------------------------------------------------------------------------
# need_tools COMMAND:PACKAGE...: apt-get installs the PACKAGEs whose COMMAND is missing. The
# install is retried after an `apt-get update`, as the host's package lists may be stale or absent.
need_tools() {
    local missing=() t
    for t in "$@"; do
        command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t#*:}")
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    [[ $(id -u) -eq 0 ]] || die "missing ${missing[*]}; install them or run as root"
    echo "$prog: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y \
                --no-install-recommends "${missing[@]}" >&2; }
}

# cached_deb DIR PACKAGE: prints DIR's .deb of PACKAGE (the highest version if several); fails if
# there is none. apt names them PACKAGE_VERSION_amd64.deb, with an epoch's ":" URL-encoded (%3a).
cached_deb() {
    local f best='' best_v='' v
    for f in "$1/$2"_*_amd64.deb; do
        [[ -f $f ]] || continue
        v=$(dpkg-deb -f "$f" Version)
        if [[ -z $best ]] || dpkg --compare-versions "$v" gt "$best_v"; then
            best=$f best_v=$v
        fi
    done
    [[ -n $best ]] && printf '%s\n' "$best"
}

# ---------------------------------------------------------------------------------------------
# Debian mirror of the host (build-chroot.sh, vm/build-image.sh)
# ---------------------------------------------------------------------------------------------
# host_sources: one-line apt entries ("deb URI SUITE main") for bookworm, bookworm-updates and
# bookworm-security, taken from the host's apt sources (one-line *.list and deb822 *.sources),
# so a new system uses exactly the mirror this host can reach. The first URI found per suite wins.
host_sources() {
    local files=() f
    [[ -f /etc/apt/sources.list ]] && files+=(/etc/apt/sources.list)
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

# debian_entries: sets the array entries (declare it local in the caller to keep it there) to
# the apt entries mmdebstrap gets: DOCKUP_E2E_MIRROR's bookworm, or host_sources.
debian_entries() {
    entries=()
    if [[ -n ${DOCKUP_E2E_MIRROR:-} ]]; then
        entries=("deb ${DOCKUP_E2E_MIRROR%/} bookworm main")
    else
        mapfile -t entries < <(host_sources)
    fi
    # Without an entry for plain "bookworm" mmdebstrap would fall back to deb.debian.org, which
    # may not be reachable; fail loudly instead of hanging on the network.
    printf '%s\n' "${entries[@]}" | grep -q ' bookworm main$' \
        || die "no bookworm mirror in the host's apt sources; set DOCKUP_E2E_MIRROR"
    local e
    for e in "${entries[@]}"; do
        echo "$prog: mirror: $e" >&2
    done
}

# ---------------------------------------------------------------------------------------------
# Mirror builders (build-mirror.sh, build-real-mirror.sh, build-rpm-mirror.sh)
# ---------------------------------------------------------------------------------------------
# dest_arg "$@": sets dest to the script's only argument, DEST, made absolute; never / (callers
# wipe DEST).
dest_arg() {
    [[ $# -eq 1 ]] || die "usage: $0 DEST"
    [[ -n $1 ]] || die "DEST is empty"
    dest=$(realpath -m -- "$1")
    [[ $dest != / ]] || die "refusing to use / as DEST"
}

# wipe_dest DEST MARKER WHAT: DEST is wiped before building, so only wipe what is recognisably
# ours (DEST/MARKER exists) or empty. WHAT names it in the error ("dockup-e2e mirror").
wipe_dest() {
    if [[ -d $1 ]] && [[ -n $(ls -A -- "$1") ]]; then
        [[ -e $1/$2 ]] || die "$1 exists, is not empty and is not a $3; refusing to wipe it"
        rm -rf --one-file-system -- "$1"
    fi
}

# gpg_workdir NAME: sets work to a new temporary directory ${TMPDIR:-/tmp}/NAME.XXXXXX, removed
# on exit, and GNUPGHOME to WORK/gnupg (make_keys creates it).
gpg_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    export GNUPGHOME=$work/gnupg
    trap remove_gpg_workdir EXIT
}
remove_gpg_workdir() {
    # gpg starts an agent bound to the temporary GNUPGHOME; stop it before deleting the directory.
    gpgconf --kill gpg-agent >/dev/null 2>&1 || true
    rm -rf -- "$work"
}

gen_key() { # gen_key USERID -> prints the primary key fingerprint
    gpg --batch --quiet --passphrase '' --quick-gen-key "$1" rsa3072 sign never 2>/dev/null
    gpg --batch --with-colons --fingerprint "$1" 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }'
}

# make_keys PUBKEY DEST: generates the throwaway signing key (sets fpr; armored public key in
# PUBKEY, fingerprint in DEST/fingerprint) and an unrelated one for "wrong key is rejected" tests
# (sets wrong_fpr; DEST/wrong-key.asc, DEST/wrong-fingerprint).
make_keys() {
    mkdir -m 700 "$GNUPGHOME"
    fpr=$(gen_key 'dockup e2e test repository <dockup-e2e@example.invalid>')
    wrong_fpr=$(gen_key 'dockup e2e WRONG key <dockup-e2e-wrong@example.invalid>')
    [[ $fpr =~ ^[0-9A-F]{40}$ && $wrong_fpr =~ ^[0-9A-F]{40}$ ]] || die "could not read key fingerprints"
    gpg --batch --armor --export "$fpr" >"$1"
    gpg --batch --armor --export "$wrong_fpr" >"$2/wrong-key.asc"
    printf '%s\n' "$fpr" >"$2/fingerprint"
    printf '%s\n' "$wrong_fpr" >"$2/wrong-fingerprint"
}

# plugin_script PACKAGE NAME VERSION-LINE-PREFIX DESCRIPTION: prints the shell script every
# mirror ships as /usr/libexec/docker/cli-plugins/docker-NAME in its stand-in PACKAGE, with
# @VERSION@ where the plugin's version goes.
plugin_script() {
    local pkg=$1 name=$2 prefix=$3 description=$4
    cat <<EOF
#!/bin/sh
# dockup-e2e STAND-IN for the docker $name CLI plugin ($pkg).
# The docker CLI runs plugins as \`docker-$name $name ARGS\`; direct \`docker-$name ARGS\` works too.
if [ "\${1:-}" = docker-cli-plugin-metadata ]; then
    echo '{"SchemaVersion":"0.1.0","Vendor":"Docker Inc.","Version":"v@VERSION@","ShortDescription":"$description"}'
    exit 0
fi
[ "\${1:-}" = $name ] && shift
case "\${1:-}" in
version | --version | -v) echo "$prefix v@VERSION@" ;;
*)
    echo "docker $name: dockup-e2e stand-in, '\$*' is not implemented" >&2
    exit 1
    ;;
esac
EOF
}

# apt_release REPO WORK FPR SECTIONS DESCRIPTION: indexes REPO as Docker lays it out (the .debs
# of each of the SECTIONS, e.g. "stable test", in dists/bookworm/pool/SECTION/amd64) into
# dists/bookworm/SECTION/binary-amd64/Packages{,.gz}, and writes dists/bookworm/Release
# (Origin Docker, DESCRIPTION) and its signatures by FPR, InRelease and Release.gpg. WORK holds
# apt-ftparchive's configuration.
apt_release() {
    local repo=$1 work=$2 fpr=$3 sections=$4 description=$5 ftp_log s
    cat >"$work/ftparchive.conf" <<EOF
Dir { ArchiveDir "$repo"; };
Default { Packages::Compress ". gzip"; Packages::Extensions ".deb"; };
APT::FTPArchive::Contents "false";
TreeDefault { Directory "dists/\$(DIST)/pool/\$(SECTION)"; };
Tree "dists/bookworm" {
    Directory "dists/bookworm/pool/\$(SECTION)";
    Sections "$sections";
    Architectures "amd64";
};
APT::FTPArchive::Release {
    Origin "Docker";
    Label "Docker CE";
    Suite "bookworm";
    Codename "bookworm";
    Architectures "amd64";
    Components "$sections";
    Description "$description";
    Date "$(date -u -R -d "@$SOURCE_DATE_EPOCH")";
};
EOF
    for s in $sections; do
        mkdir -p "$repo/dists/bookworm/$s/binary-amd64"
    done
    # apt-ftparchive reports some errors ("E: ...") yet exits 0, so treat any output as failure.
    if ! ftp_log=$(cd "$repo" && apt-ftparchive -q=2 -c "$work/ftparchive.conf" generate "$work/ftparchive.conf" 2>&1) \
        || [[ -n $ftp_log ]]; then
        die "apt-ftparchive generate failed: $ftp_log"
    fi
    # Generate Release outside dists/bookworm so it does not list (a partial) itself.
    (cd "$repo/dists/bookworm" && apt-ftparchive -q=2 -c "$work/ftparchive.conf" release . >"$work/Release")
    mv "$work/Release" "$repo/dists/bookworm/Release"
    gpg --batch --yes --local-user "$fpr" --digest-algo SHA512 --clearsign \
        -o "$repo/dists/bookworm/InRelease" "$repo/dists/bookworm/Release"
    gpg --batch --yes --local-user "$fpr" --digest-algo SHA512 --armor --detach-sign \
        -o "$repo/dists/bookworm/Release.gpg" "$repo/dists/bookworm/Release"
}

# verify_release REPO WORK: InRelease and Release.gpg check out with the published (armored)
# REPO/gpg, dearmored to WORK/key.gpg.
verify_release() {
    local repo=$1 work=$2
    gpg --batch --dearmor <"$repo/gpg" >"$work/key.gpg"
    gpgv --quiet --keyring "$work/key.gpg" "$repo/dists/bookworm/InRelease" 2>/dev/null \
        || fail "gpgv rejects InRelease"
    gpgv --quiet --keyring "$work/key.gpg" "$repo/dists/bookworm/Release.gpg" "$repo/dists/bookworm/Release" 2>/dev/null \
        || fail "gpgv rejects Release.gpg"
}

# apt_update_repo WORK REPO COMPONENTS: apt itself accepts the repo with the armored key as
# signed-by (as Docker's docs configure it): `apt-get update` against REPO's bookworm COMPONENTS
# only, with a throwaway apt state in WORK/apt whose options it leaves in apt_tmp. Warnings fail.
apt_update_repo() {
    local work=$1 repo=$2 components=$3
    # The sandbox user is root because WORK is 0700.
    mkdir -p "$work/apt/lists/partial" "$work/apt/cache/archives/partial"
    echo "deb [arch=amd64 signed-by=$repo/gpg] file://$repo bookworm $components" >"$work/apt/sources.list"
    apt_tmp=(-o "Dir::Etc::SourceList=$work/apt/sources.list" -o Dir::Etc::SourceParts=/nonexistent
        -o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
        -o Dir::State::status=/dev/null -o APT::Sandbox::User=root -o Debug::NoLocking=1)
    apt-get -q=2 "${apt_tmp[@]}" update >"$work/apt/update.log" 2>&1 || {
        cat "$work/apt/update.log" >&2
        fail "apt-get update against the repo"
    }
    if grep -q '^[WE]:' "$work/apt/update.log"; then
        cat "$work/apt/update.log" >&2
        fail "apt-get update printed warnings"
    fi
}

# ---------------------------------------------------------------------------------------------
# Serving a mirror (check*.sh, vm/check.sh, bench/chroot-install.sh)
# ---------------------------------------------------------------------------------------------
# free_port: a TCP port on 127.0.0.1 the kernel just found free (someone may take it before it
# is used: a small race).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# http_up URL: whether URL answers (within a second).
http_up() { python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$1" 2>/dev/null; }

# serve_dir PORT DIR LOG: serves DIR on 127.0.0.1:PORT with python3's http.server, in the
# background with its output in LOG; sets server_pid (stop_server stops it).
serve_dir() {
    python3 -m http.server --bind 127.0.0.1 "$1" --directory "$2" >"$3" 2>&1 &
    server_pid=$!
}
# serve_mirror PORT DIR LOG URL: serve_dir, then waits up to ~10 s for URL to answer; dies with
# LOG if the server exits.
serve_mirror() {
    serve_dir "$1" "$2" "$3"
    for _ in $(seq 50); do
        http_up "$4" && break
        kill -0 "$server_pid" 2>/dev/null || die "http.server exited: $(cat "$3")"
        sleep 0.2
    done
}
stop_server() {
    [[ -n ${server_pid:-} ]] || return 0
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# ---------------------------------------------------------------------------------------------
# Chroots (check.sh, check-real.sh, build-chroot.sh, bench/chroot-install.sh)
# ---------------------------------------------------------------------------------------------
# mount_proc_pts ROOT: /proc and a private /dev/pts in the chroot ROOT. apt runs dpkg on a pty
# to log it; without a devpts in the chroot every install prints "E: Can not write log (Is
# /dev/pts mounted?) - posix_openpt (19: No such device)" (and still exits 0). A private
# instance (newinstance) leaves the host's ptys alone; the chroot's /dev/ptmx node resolves to
# the devpts mounted next to it.
mount_proc_pts() {
    mount -t proc proc "$1/proc"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$1/dev/pts"
}
# umount_proc_pts ROOT: undoes mount_proc_pts (lazily where busy); fails if either is still
# mounted, i.e. ROOT must not be deleted yet.
umount_proc_pts() {
    local m
    for m in "$1/dev/pts" "$1/proc"; do
        if mountpoint -q "$m" 2>/dev/null; then
            umount "$m" 2>/dev/null || umount -l "$m" || true
        fi
    done
    ! mountpoint -q "$1/proc" 2>/dev/null && ! mountpoint -q "$1/dev/pts" 2>/dev/null
}

# mounts_under DIR: mount points at or below DIR, most recent (deepest) first.
mounts_under() {
    awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | tac
}

# fetch_debs PACKAGE...: `apt-get download`s the packages not cached yet into $cache_debs (the
# caller sets it). Downloads go to a temporary directory first so an interrupted run never leaves
# a truncated .deb in the cache.
fetch_debs() {
    local todo=() p
    mkdir -p "${cache_debs:?}"
    for p in "$@"; do
        cached_deb "$cache_debs" "$p" >/dev/null || todo+=("$p")
    done
    [[ ${#todo[@]} -gt 0 ]] || { echo "$prog: using cached $*" >&2; return 0; }
    echo "$prog: downloading ${todo[*]} into $cache_debs" >&2
    local part=$cache_debs/.partial.$$
    rm -rf -- "$part"
    mkdir -p "$part"
    # APT::Sandbox::User=root: the cache may not be writable by _apt ("Download is performed
    # unsandboxed as root" warning otherwise).
    if ! (cd "$part" && apt-get download -q -o APT::Sandbox::User=root "${todo[@]}" >&2); then
        echo "$prog: apt-get download failed; running apt-get update and retrying" >&2
        apt-get update -q >&2 || true
        (cd "$part" && apt-get download -q -o APT::Sandbox::User=root "${todo[@]}" >&2) \
            || { rm -rf -- "$part"; die "apt-get download ${todo[*]} failed"; }
    fi
    mv -f "$part"/*.deb "$cache_debs/"
    rmdir "$part"
}
