#!/bin/sh
# Installs the dockup binary for this machine from a GitHub release, verified against the
# release's SHA256SUMS, then optionally runs it.
#
#   curl -fsSLO https://raw.githubusercontent.com/dockup/dockup/main/scripts/install.sh
#   sh install.sh                    # install dockup, print what to run next
#   sh install.sh -- install -y      # install dockup, then run `dockup install -y`
#
# POSIX sh: it must run under dash and busybox ash (Alpine), so no bash-isms.
set -eu

PROG=install.sh
DEFAULT_BASE=https://github.com/dockup/dockup/releases/latest/download
VERSION_BASE=https://github.com/dockup/dockup/releases/download
REPO_URL=https://github.com/dockup/dockup

usage() {
    cat <<'EOF'
Usage: sh install.sh [OPTIONS] [-- DOCKUP-ARGS...]

Downloads the dockup binary for this machine, verifies its sha256 against the release's
SHA256SUMS, and installs it. Anything after `--` is passed to the installed dockup, which
is then run in place of this script (e.g. `sh install.sh -- install -y`).

Options:
  --version V     install release V (e.g. 0.3.1) instead of the latest
  --base-url URL  download from URL/<artifact> instead of GitHub (a mirror);
                  also DOCKUP_RELEASE_URL
  --to DIR        install into DIR (created if missing); default /usr/local/bin
                  as root, $HOME/.local/bin otherwise
  --dry-run       print what would be downloaded, verified and installed; change nothing
  -h, --help      print this help
EOF
}

say() {
    printf '%s: %s\n' "$PROG" "$*" >&2
}

warn() {
    printf '%s: warning: %s\n' "$PROG" "$*" >&2
}

die() {
    printf '%s: error: %s\n' "$PROG" "$*" >&2
    exit 1
}

# Shell-quotes one word only where needed, so the commands we print can be pasted.
quote() {
    case $1 in
        '' | *[!A-Za-z0-9_./:=@%+,-]*)
            printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
            ;;
        *) printf '%s' "$1" ;;
    esac
}

quote_all() {
    sep=
    for word in "$@"; do
        printf '%s%s' "$sep" "$(quote "$word")"
        sep=' '
    done
}

need_value() {
    # $1: the option, $2: how many arguments are left including it.
    [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}

# An empty value would silently mean the default, which is not what was asked for.
not_empty() {
    [ -n "$2" ] || die "$1 needs a non-empty value (see --help)"
}

# --- arguments ---------------------------------------------------------------------------

version=
base_flag=
to=
dry_run=0
run_after=0

while [ $# -gt 0 ]; do
    case $1 in
        -h | --help)
            usage
            exit 0
            ;;
        --dry-run) dry_run=1 ;;
        --version)
            need_value "$1" $#
            version=$2
            not_empty --version "$version"
            shift
            ;;
        --version=*)
            version=${1#*=}
            not_empty --version "$version"
            ;;
        --base-url)
            need_value "$1" $#
            base_flag=$2
            not_empty --base-url "$base_flag"
            shift
            ;;
        --base-url=*)
            base_flag=${1#*=}
            not_empty --base-url "$base_flag"
            ;;
        --to)
            need_value "$1" $#
            to=$2
            not_empty --to "$to"
            shift
            ;;
        --to=*)
            to=${1#*=}
            not_empty --to "$to"
            ;;
        --)
            shift
            run_after=1
            break
            ;;
        *) die "unknown option '$1' (see --help; arguments for dockup go after '--')" ;;
    esac
    shift
done
# What is left in "$@" is dockup's own command line.

# --- where to download from --------------------------------------------------------------

version=${version#v}
case $version in
    *[!A-Za-z0-9.+-]*) die "--version '$version' is not a version number (e.g. 0.3.1)" ;;
esac

if [ -n "$base_flag" ]; then
    base=$base_flag
    base_from=--base-url
elif [ -n "${DOCKUP_RELEASE_URL:-}" ]; then
    base=$DOCKUP_RELEASE_URL
    base_from=DOCKUP_RELEASE_URL
else
    base=
    base_from=
fi

if [ -n "$base" ]; then
    # A base URL already names one release's directory, so a version on top of it could
    # only be ignored, and installing something other than what was asked is worse than
    # stopping.
    [ -z "$version" ] || die "--version $version cannot be combined with $base_from ($base): the base URL already names the release; drop one of them"
    base=${base%/}
elif [ -n "$version" ]; then
    base=$VERSION_BASE/v$version
else
    base=$DEFAULT_BASE
fi

case $base in
    https://*) https=1 ;;
    http://*)
        https=0
        # Plain http is for local mirrors and tests; the checksum file comes over the same
        # channel, so say plainly that nothing vouches for it.
        warn "$base is plain http: the download and its checksum are not protected in transit"
        ;;
    *) die "base URL '$base' must start with https:// (or http:// for a local mirror)" ;;
esac

# --- this machine ------------------------------------------------------------------------

os=$(uname -s 2>/dev/null) || os=unknown
case $os in
    Linux) ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
        die "this is Windows ($os): use scripts/install.ps1 from $REPO_URL in PowerShell instead (powershell -ExecutionPolicy Bypass -File install.ps1)"
        ;;
    *)
        die "unsupported operating system '$os': dockup's release binaries are for Linux (this script) and Windows (scripts/install.ps1 from $REPO_URL)"
        ;;
esac

machine=$(uname -m 2>/dev/null) || machine=unknown
case $machine in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "unsupported architecture '$machine': dockup's Linux releases are built for x86_64 and aarch64 only" ;;
esac

# Static musl binaries run on any Linux distribution of the same architecture, Alpine too.
artifact=dockup-$arch-unknown-linux-musl
artifact_url=$base/$artifact
sums_url=$base/SHA256SUMS

# --- tools -------------------------------------------------------------------------------

if command -v curl >/dev/null 2>&1; then
    fetcher=curl
elif command -v wget >/dev/null 2>&1; then
    wget_help=$(wget --help 2>&1) || true
    case $wget_help in
        *--https-only*) fetcher=wget ;;
        # BusyBox's, or GNU wget before 1.17.
        *) fetcher=wget-basic ;;
    esac
else
    die "neither curl nor wget is installed; install one (apt-get install curl, apk add curl, dnf install curl) and run this again"
fi

if command -v sha256sum >/dev/null 2>&1; then
    hasher=sha256sum
elif command -v shasum >/dev/null 2>&1; then
    hasher=shasum
elif command -v openssl >/dev/null 2>&1; then
    hasher=openssl
else
    # Installing without a checksum would trust whatever the network handed us.
    die "no sha256 tool found (sha256sum, shasum or openssl), so the download cannot be verified; install coreutils or openssl and run this again"
fi

if [ "$https" = 1 ] && [ "$fetcher" = wget-basic ]; then
    warn "this wget (BusyBox's, or GNU wget before 1.17) cannot be told to refuse TLS below 1.2 or redirects to plain http; install curl for that"
fi

# Downloads $1 to the file $2.
fetch() {
    case $fetcher in
        curl)
            if [ "$https" = 1 ]; then
                curl --proto '=https' --tlsv1.2 -fsSL --retry 3 --connect-timeout 30 -o "$2" "$1"
            else
                curl -fsSL --retry 3 --connect-timeout 30 -o "$2" "$1"
            fi
            ;;
        wget)
            if [ "$https" = 1 ]; then
                wget --https-only --secure-protocol=TLSv1_2 -q --tries=3 --timeout=30 -O "$2" "$1"
            else
                wget -q --tries=3 --timeout=30 -O "$2" "$1"
            fi
            ;;
        # No -T: Debian's busybox before 1.36.1-5 is built without FEATURE_WGET_TIMEOUT, and
        # there -T segfaults instead of being refused.
        wget-basic) wget -q -O "$2" "$1" ;;
    esac
}

# Prints the lowercase sha256 of the file $1.
hash_of() {
    # Reading stdin keeps odd file names out of the tools' output.
    case $hasher in
        sha256sum) sha256sum <"$1" | awk '{ print $1 }' ;;
        shasum) shasum -a 256 <"$1" | awk '{ print $1 }' ;;
        openssl) openssl dgst -sha256 <"$1" | awk '{ print $NF }' ;;
    esac | tr 'ABCDEF' 'abcdef'
}

# --- where to install --------------------------------------------------------------------

uid=$(id -u 2>/dev/null) || uid=
if [ -n "$to" ]; then
    dir=$to
elif [ "$uid" = 0 ]; then
    dir=/usr/local/bin
elif [ -n "${HOME:-}" ]; then
    dir=$HOME/.local/bin
else
    die "HOME is not set, so there is no default install directory; pass --to DIR"
fi
case $dir in
    /*) ;;
    *) dir=$(pwd)/$dir ;;
esac
while :; do
    case $dir in
        /) break ;;
        */) dir=${dir%/} ;;
        *) break ;;
    esac
done
if [ "$dir" = / ]; then
    dest=/dockup
else
    dest=$dir/dockup
fi

case :${PATH:-}: in
    *":$dir:"*) on_path=1 ;;
    *) on_path=0 ;;
esac
if [ "$on_path" = 1 ]; then
    command_name=dockup
else
    command_name=$(quote "$dest")
fi

if [ "$dry_run" = 1 ]; then
    # printf, not echo: dash's echo would rewrite backslashes in the arguments shown.
    printf '%s\n' "dry run: nothing will be downloaded or changed" \
        "would download: $artifact_url (with $fetcher)" \
        "would download: $sums_url" \
        "would verify:   the sha256 of $artifact against its line in SHA256SUMS (with $hasher)"
    [ -d "$dir" ] || printf '%s\n' "would create:   $dir"
    printf '%s\n' "would install:  $dest"
    if [ "$run_after" = 1 ]; then
        printf '%s\n' "would run:      $(quote_all "$dest" "$@")"
    fi
    [ "$on_path" = 1 ] || warn "$dir is not on your PATH"
    exit 0
fi

if [ -e "$dir" ] && [ ! -d "$dir" ]; then
    die "$dir exists and is not a directory; pass --to DIR"
fi
# Before downloading, so a missing permission costs nothing.
if [ -d "$dir" ] && [ ! -w "$dir" ]; then
    die "cannot write to $dir; run as root or pass --to DIR"
fi
if [ -d "$dest" ]; then
    die "$dest is a directory; remove it or pass --to DIR"
fi

# --- download, verify, install -----------------------------------------------------------

work=
staged=
cleanup() {
    if [ -n "$staged" ]; then rm -f "$staged"; fi
    if [ -n "$work" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT
# dash and ash run the EXIT trap on `exit`, not when killed by a signal, so turn signals into exits.
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

work=$(mktemp -d "${TMPDIR:-/tmp}/dockup-install.XXXXXX") ||
    die "could not create a temporary directory in ${TMPDIR:-/tmp}"

say "downloading $artifact_url (with $fetcher)"
fetch "$artifact_url" "$work/$artifact" ||
    die "could not download $artifact_url (is there a release for $arch at $base?)"
fetch "$sums_url" "$work/SHA256SUMS" ||
    die "could not download $sums_url, so $artifact cannot be verified; nothing was installed"

# sha256sum writes `<hash>  <name>`, or `<hash> *<name>` in binary mode; CRLF from a
# Windows-built file would otherwise stick to the name.
expected=$(tr -d '\r' <"$work/SHA256SUMS" |
    awk -v name="$artifact" '$2 == name || $2 == "*" name { print $1; exit }' |
    tr 'ABCDEF' 'abcdef')
case $expected in
    '') die "checksum missing: $sums_url has no line for $artifact, so it cannot be verified; nothing was installed" ;;
    *[!0-9a-f]*) die "checksum unreadable: the line for $artifact in $sums_url does not hold a sha256 ('$expected'); nothing was installed" ;;
esac
[ ${#expected} -eq 64 ] ||
    die "checksum unreadable: the line for $artifact in $sums_url does not hold a sha256 ('$expected'); nothing was installed"

actual=$(hash_of "$work/$artifact") || actual=
[ -n "$actual" ] || die "$hasher could not hash the download"
if [ "$actual" != "$expected" ]; then
    die "checksum mismatch for $artifact; nothing was installed
  expected: $expected (from $sums_url)
  actual:   $actual (of $artifact_url)
  help: the download is corrupt or was tampered with; run this again, and report it if it persists"
fi
say "verified sha256 $actual (with $hasher)"

mkdir -p "$dir" || die "could not create $dir; run as root or pass --to DIR"
# A temporary file in the same directory, renamed over the old binary: a running dockup or
# an interrupted install never sees a half-written file.
staged=$(mktemp "$dir/.dockup.XXXXXX") || die "cannot write to $dir; run as root or pass --to DIR"
cp "$work/$artifact" "$staged" || die "could not write $staged"
chmod 755 "$staged" || die "could not make $staged executable"
mv -f "$staged" "$dest" || die "could not move the new binary to $dest"
staged=
say "installed $dest"

[ "$on_path" = 1 ] ||
    warn "$dir is not on your PATH; add it (export PATH=\"$dir:\$PATH\" in your shell profile) or run $dest by its full path"

if [ "$run_after" = 1 ]; then
    cleanup
    trap - EXIT INT TERM HUP
    exec "$dest" "$@"
fi

if [ "$uid" = 0 ]; then
    sudo_flag=
else
    # dockup re-runs itself through sudo for the steps that need root.
    sudo_flag=' --sudo'
fi
say "next: $command_name install --dry-run   (shows the plan for this machine, changes nothing)"
say "then: $command_name install$sudo_flag"
