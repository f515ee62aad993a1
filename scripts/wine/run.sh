#!/usr/bin/env bash
# Runs the real dockup.exe under wine with wine reporting a given Windows version, so the live
# registry/Win32 fact gathering (src/facts/windows_live.rs) runs for real.
#
#   scripts/wine/run.sh DOCKUP_EXE VERSION [DOCKUP ARGS...]      VERSION: win7 win81 win10 win11
#
# dockup's stdout and exit status pass through. One wine prefix is kept per wine version under
# ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/wine-<wine version> (DOCKUP_WINEPREFIX overrides it),
# created once (wineboot, headless); each run switches the version it reports, under a lock.
# win7, win81 and win10 are wine's own profiles (`winecfg -v`: builds 7601, 9600 and, in wine 8,
# 18362, with no EditionID or InstallationType). Wine 8 has no win11 profile, so win11 is its win10
# profile plus what Windows 11 23H2 Pro writes there (ProductName still says "Windows 10").
# Rust's std imports bcryptprimitives.dll!ProcessPrng, which wine 8 lacks: a stub built from
# processprng.c with mingw is put next to the exe when it is missing or older than its source.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
die() { echo "wine/run.sh: $*" >&2; exit 2; }

[[ $# -ge 2 ]] || die "usage: run.sh DOCKUP_EXE win7|win81|win10|win11 [ARGS...]"
exe=$(realpath "$1")
version=$2
shift 2
[[ -f $exe ]] || die "no such file: $exe"
case $version in
    win7 | win81 | win10 | win11) ;;
    *) die "unknown Windows version '$version' (win7, win81, win10, win11)" ;;
esac
command -v wine >/dev/null || die "wine is not installed (Debian: apt-get install wine64)"

# Quiet and headless: no debug channels, no X/Wayland, no Mono/Gecko installer prompts.
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY

# The ProcessPrng stub, next to the exe (the loader looks there first).
dll=$(dirname "$exe")/bcryptprimitives.dll
if [[ ! -f $dll || $here/processprng.c -nt $dll ]]; then
    command -v x86_64-w64-mingw32-gcc >/dev/null ||
        die "x86_64-w64-mingw32-gcc is not installed (Debian: apt-get install gcc-mingw-w64-x86-64)"
    x86_64-w64-mingw32-gcc -shared -O2 -s -Wall -Wextra -Werror -o "$dll.tmp.$$" \
        "$here/processprng.c" -ladvapi32
    mv -f "$dll.tmp.$$" "$dll"
fi

wine_version=$(wine --version) # "wine-8.0 (Debian 8.0~repack-4)"
wine_version=${wine_version%% *}
if [[ -n ${DOCKUP_WINEPREFIX:-} ]]; then
    prefix=$DOCKUP_WINEPREFIX
else
    cache=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}
    if [[ -z ${DOCKUP_E2E_CACHE:-} ]] && ! { mkdir -p "$cache" 2>/dev/null && [[ -w $cache ]]; }; then
        cache=${XDG_CACHE_HOME:-$HOME/.cache}/dockup-e2e # not root: a cache of our own
    fi
    prefix=$cache/$wine_version
fi
mkdir -p "$(dirname "$prefix")"
export WINEPREFIX=$prefix

# One run at a time per prefix: the version is prefix-wide state. The lock is this shell's: every
# wine command runs with the descriptor closed, or the wineserver it starts (which outlives the
# run) would hold the lock too.
exec 9>"$prefix.lock"
flock 9

if [[ ! -f $prefix/.dockup-ready ]]; then # (an interrupted boot is completed, not redone)
    wine wineboot --init >/dev/null 2>&1 9>&- || die "wineboot failed for $prefix"
    wineserver --wait 9>&-
    touch "$prefix/.dockup-ready"
fi

# Values a version switch sets or clears that winecfg does not manage.
reg_values() {
    local key='HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    printf 'REGEDIT4\r\n\r\n[%s]\r\n' "$key"
    if [[ $version == win11 ]]; then
        printf '"%s"="%s"\r\n' CurrentBuild 22631 CurrentBuildNumber 22631 DisplayVersion 23H2 \
            EditionID Professional InstallationType Client ProductName "Windows 10 Pro"
        printf '"UBR"=dword:%08x\r\n' 4460
    else
        printf '"%s"=-\r\n' DisplayVersion EditionID InstallationType UBR
    fi
}

if [[ $(cat "$prefix/.dockup-version" 2>/dev/null) != "$version" ]]; then
    rm -f "$prefix/.dockup-version"
    profile=$version
    [[ $version == win11 ]] && profile=win10
    wine winecfg -v "$profile" >/dev/null 2>&1 9>&- || die "winecfg -v $profile failed"
    reg_values >"$prefix/drive_c/dockup-version.reg"
    wine regedit /S 'C:\dockup-version.reg' >/dev/null 2>&1 9>&- || die "regedit failed"
    echo "$version" >"$prefix/.dockup-version"
fi

# The exe's own stdout and exit status (wine's chatter is off), with the lock held until it exits.
status=0
wine "$exe" "$@" 9>&- || status=$?
exit "$status"
