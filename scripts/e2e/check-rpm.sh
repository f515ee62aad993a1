#!/usr/bin/env bash
# Manual smoke test for the rpm e2e fixture (not used by CI): builds the fake
# download.docker.com/linux/centos mirror (build-rpm-mirror.sh), serves it on 127.0.0.1, and
# installs Docker by hand into EMPTY install roots the way dockup does on an rpm distribution:
# key imported into the root's rpm database, /etc/yum.repos.d/docker-ce.repo (gpgcheck=1,
# repo_gpgcheck=1), `dnf --installroot ... install`; then it lists versions, downgrades,
# upgrades from the test channel, and checks that a wrong key is rejected. The same with zypper
# in a second root. No chroot and no Rocky userland: only the host's dnf/zypper/rpm, pointed at
# the roots.
#
#   sudo scripts/e2e/check-rpm.sh
#
# Env: DOCKUP_E2E_KEEP=1 keeps the temporary directory (roots + mirror) for inspection.
#
# What this establishes (the command lines below are the ones to copy):
#   * gpgkey=file:// paths in a .repo file are read from the HOST, not from the --installroot
#     (dnf.conf(5): "Gpgkeys are imported into the installroot from a path relative to the
#     host"): a root's key must be given as gpgkey=file://ROOT/etc/pki/rpm-gpg/docker-ce.asc.
#     Checked below: gpgkey=file:///etc/pki/rpm-gpg/docker-ce.asc fails with "Couldn't open
#     file /etc/pki/rpm-gpg/docker-ce.asc" although ROOT/etc/pki/rpm-gpg/docker-ce.asc exists.
#   * --releasever=9 is needed (an empty root has no system-release package to derive it from);
#     $basearch is the host's (x86_64 here) with no --forcearch and no varsdir tweak.
#   * dnf reads ROOT/etc/dnf/dnf.conf and ROOT/etc/yum.repos.d when they exist (else the host's;
#     Debian's dnf.conf has skip_if_unavailable=True, which turns repo errors into "Ignoring
#     repositories" + "Unable to find a match"), so a Rocky dnf.conf is written into the root.
#   * Debian's rpm keeps its database in ~/.rpmdb (%_dbpath), i.e. ROOT/$HOME/.rpmdb with
#     --root. rpm, dnf (librpm) and zypper (runs rpm) all follow that macro, so it would work,
#     but not where a Rocky system keeps it, and depending on $HOME. So HOME points at a
#     directory whose .rpmmacros sets %_dbpath /var/lib/rpm (Rocky 9's). Not needed on a real
#     Rocky host.
#   * dnf -y imports the gpgkey= key into the rpm database by itself; zypper --non-interactive
#     does not (it trusts only keys already in the root's rpm database, no --gpg-auto-import-keys).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
prog=check-rpm
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"
die() { echo "check-rpm: FAIL: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root"
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve the mirror"

need_tools rpm:rpm dnf:dnf zypper:zypper

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dockup-e2e-check-rpm.XXXXXX")
mirror=$tmp/mirror
server_pid=

cleanup() {
    local rc=$?
    stop_server
    remove_tmp "$tmp"
    finish "$rc"
}
on_exit cleanup

# See the header: make rpm (and so dnf and zypper) use /var/lib/rpm inside the roots, and keep
# the host's ~/.rpmdb out of it.
export HOME=$tmp/home LC_ALL=C
mkdir -p "$HOME"
echo '%_dbpath /var/lib/rpm' >"$HOME/.rpmmacros"

step "building mirror"
"$here/build-rpm-mirror.sh" "$mirror"
fpr=$(cat "$mirror/fingerprint")
wrong_fpr=$(cat "$mirror/wrong-fingerprint")
# rpm names an imported key gpg-pubkey-<last 8 hex of the fingerprint, lowercase>-<date>.
keyid=$(tr 'A-F' 'a-f' <<<"${fpr: -8}")
wrong_keyid=$(tr 'A-F' 'a-f' <<<"${wrong_fpr: -8}")

step "serving mirror"
# Ask the kernel for a free port, then hand it to http.server (small race, fine for a smoke test).
port=$(free_port)
base=http://127.0.0.1:$port
sed -i "s|@BASE@|$base|g" "$mirror/linux/centos/docker-ce.repo"
serve_mirror "$port" "$mirror" "$tmp/http.log" "$base/linux/centos/gpg"
echo "check-rpm: mirror at $base/linux/centos (key $fpr)" >&2

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

# new_root ROOT: an empty install root that only says it is Rocky Linux 9.4 (real os-release
# and dnf.conf of Rocky 9.4; /etc/os-release is a symlink there too).
new_root() {
    local r=$1
    mkdir -p "$r/etc/dnf" "$r/etc/yum.repos.d" "$r/etc/pki/rpm-gpg" "$r/usr/lib"
    cat >"$r/usr/lib/os-release" <<'EOF'
NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
LOGO="fedora-logo-icon"
CPE_NAME="cpe:/o:rocky:rocky:9::baseos"
HOME_URL="https://rockylinux.org/"
BUG_REPORT_URL="https://bugs.rockylinux.org/"
SUPPORT_END="2032-05-31"
ROCKY_SUPPORT_PRODUCT="Rocky-Linux-9"
ROCKY_SUPPORT_PRODUCT_VERSION="9.4"
REDHAT_SUPPORT_PRODUCT="Rocky Linux"
REDHAT_SUPPORT_PRODUCT_VERSION="9.4"
EOF
    ln -s ../usr/lib/os-release "$r/etc/os-release"
    cat >"$r/etc/dnf/dnf.conf" <<'EOF'
[main]
gpgcheck=1
installonly_limit=3
clean_requirements_on_remove=True
best=True
skip_if_unavailable=False
EOF
}

# write_repo FILE GPGKEY-URL [REPO_GPGCHECK]: the docker-ce.repo dockup writes (stable enabled,
# test disabled, as in Docker's file), plus repo_gpgcheck.
write_repo() {
    local file=$1 key=$2 rg=${3:-1} c en
    mkdir -p "$(dirname "$file")"
    : >"$file"
    for c in stable test; do
        en=0
        [[ $c == stable ]] && en=1
        cat >>"$file" <<EOF
[docker-ce-$c]
name=Docker CE ${c^} - \$basearch
baseurl=$base/linux/centos/\$releasever/\$basearch/$c
enabled=$en
gpgcheck=1
repo_gpgcheck=$rg
gpgkey=$key

EOF
    done
}

# dnf_in ROOT ARGS...: dnf against ROOT only. reposdir and cachedir are host paths on the
# command line (they would default to the root's anyway, see the header).
dnf_in() {
    local r=$1
    shift
    dnf --installroot="$r" --releasever=9 --setopt=reposdir="$r/etc/yum.repos.d" \
        --setopt=cachedir="$r/var/cache/dnf" "$@"
}
# zypper_in ROOT ARGS...
zypper_in() {
    local r=$1
    shift
    zypper --root "$r" --non-interactive --releasever 9 "$@"
}

# expect_evr ROOT PACKAGE EPOCH:VERSION-RELEASE
expect_evr() {
    local got
    got=$(rpm --root "$1" -q --qf '%{EPOCH}:%{VERSION}-%{RELEASE}' "$2") || die "$2 is not installed in $1: $got"
    [[ $got == "$3" ]] || die "$2 in $1 is $got, expected $3"
}
expect_not_installed() { # expect_not_installed ROOT PACKAGE
    if rpm --root "$1" -q "$2" >/dev/null 2>&1; then die "$2 got installed in $1"; fi
}
# expect_output ROOT EXPECTED FILE ARGS...: runs a stand-in script from ROOT with the host's sh.
expect_output() {
    local r=$1 want=$2 file=$3 got
    shift 3
    got=$(sh "$r$file" "$@") || die "'$file $*' failed"
    [[ $got == "$want" ]] || die "'$file $*' printed '$got', expected '$want'"
}
# expect_in TEXT NEEDLE...: every NEEDLE is a substring of TEXT.
expect_in() {
    local text=$1 n
    shift
    for n in "$@"; do
        [[ $text == *"$n"* ]] || die "expected '$n' in output:
$text"
    done
}

all=(docker-ce docker-ce-cli containerd.io docker-buildx-plugin docker-compose-plugin)

# ---------------------------------------------------------------------------------------------
# dnf
# ---------------------------------------------------------------------------------------------
root=$tmp/root
new_root "$root"

step "dnf: installing Docker into an empty root"
install -m 0644 "$mirror/linux/centos/gpg" "$root/etc/pki/rpm-gpg/docker-ce.asc"
rpm --root "$root" --import "$mirror/linux/centos/gpg"
rpm --root "$root" -q "gpg-pubkey-$keyid" >/dev/null || die "rpm --import did not add gpg-pubkey-$keyid"
[[ -f $root/var/lib/rpm/rpmdb.sqlite ]] || die "rpm database is not in ROOT/var/lib/rpm"
write_repo "$root/etc/yum.repos.d/docker-ce.repo" "file://$root/etc/pki/rpm-gpg/docker-ce.asc"
dnf_in "$root" -y install "${all[@]}"
out=$(rpm --root "$root" -q docker-ce)
[[ $out == docker-ce-27.3.1-1.el9.x86_64 ]] || die "rpm -q docker-ce printed '$out'"
expect_evr "$root" docker-ce 3:27.3.1-1.el9
expect_evr "$root" docker-ce-cli 1:27.3.1-1.el9
expect_evr "$root" containerd.io '(none):1.7.22-3.1.el9'
expect_evr "$root" docker-buildx-plugin '(none):0.17.1-1.el9'
expect_evr "$root" docker-compose-plugin '(none):2.29.7-1.el9'
n=$(rpm --root "$root" -qa | wc -l)
[[ $n -eq 6 ]] || die "expected the 5 packages + gpg-pubkey in the root, got: $(rpm --root "$root" -qa)"
expect_output "$root" 'Docker version 27.3.1, build dockup-e2e' /usr/bin/docker --version
expect_output "$root" 'Docker version 27.3.1, build dockup-e2e' /usr/bin/dockerd --version
expect_output "$root" 'containerd containerd.io 1.7.22 dockup-e2e' /usr/bin/containerd --version
expect_output "$root" 'Docker Compose version v2.29.7' /usr/libexec/docker/cli-plugins/docker-compose compose version
expect_output "$root" 'github.com/docker/buildx v0.17.1' /usr/libexec/docker/cli-plugins/docker-buildx buildx version
[[ -f $root/usr/lib/systemd/system/docker.service ]] || die "docker.service is missing"

step "dnf: listing versions"
out=$(dnf_in "$root" -q list --showduplicates docker-ce 2>&1) || die "dnf list failed: $out"
echo "$out" >&2
avail=$(sed -n '/^Available Packages/,$p' <<<"$out")
expect_in "$avail" 'docker-ce.x86_64' '3:24.0.7-1.el9' '3:27.3.1-1.el9' 'docker-ce-stable'
[[ $avail != *28.0.0* ]] || die "the test channel is visible without --enablerepo"
# The first use of a repo with repo_gpgcheck=1 imports its gpgkey= into that repo's own keyring
# (cachedir/REPO-*/pubring) and ASKS, even for `list` and even though the key is in the rpm
# database. Without -y the answer is "N" and the error looks like a bad signature.
if out=$(dnf_in "$root" -q --enablerepo=docker-ce-test list --showduplicates docker-ce 2>&1 </dev/null); then
    die "dnf list with docker-ce-test and no -y succeeded: $out"
fi
expect_in "$out" 'Is this ok [y/N]: ' \
    "Error: Failed to download metadata for repo 'docker-ce-test': repomd.xml GPG signature verification error: Bad GPG signature"
out=$(dnf_in "$root" -y -q --enablerepo=docker-ce-test list --showduplicates docker-ce 2>&1) \
    || die "dnf list with docker-ce-test failed: $out"
expect_in "$out" '3:28.0.0-0.1.rc1.el9' 'docker-ce-test'

step "dnf: downgrading to 24.0.7"
# `dnf install NAME-EPOCH:VERSION-RELEASE` downgrades an installed package (dnf 4 has
# allow_downgrade=True by default), so one command covers install, upgrade and downgrade.
dnf_in "$root" -y install docker-ce-3:24.0.7-1.el9 docker-ce-cli-1:24.0.7-1.el9
expect_evr "$root" docker-ce 3:24.0.7-1.el9
expect_evr "$root" docker-ce-cli 1:24.0.7-1.el9
expect_evr "$root" containerd.io '(none):1.7.22-3.1.el9'
expect_output "$root" 'Docker version 24.0.7, build dockup-e2e' /usr/bin/docker --version
# `dnf downgrade` works too, and without the epoch.
dnf_in "$root" -y upgrade docker-ce docker-ce-cli
expect_evr "$root" docker-ce 3:27.3.1-1.el9
dnf_in "$root" -y downgrade docker-ce-24.0.7-1.el9 docker-ce-cli-24.0.7-1.el9
expect_evr "$root" docker-ce 3:24.0.7-1.el9
expect_evr "$root" docker-ce-cli 1:24.0.7-1.el9

step "dnf: upgrading from the test channel"
# `install` of an already installed NAME is a no-op ("already installed"); `upgrade` moves on.
dnf_in "$root" -y --enablerepo=docker-ce-test upgrade docker-ce docker-ce-cli
expect_evr "$root" docker-ce 3:28.0.0-0.1.rc1.el9
expect_evr "$root" docker-ce-cli 1:28.0.0-0.1.rc1.el9
expect_output "$root" 'Docker version 28.0.0-rc1, build dockup-e2e' /usr/bin/docker --version

step "dnf: gpgkey=file:// paths are read from the host, not the installroot"
if [[ -e /etc/pki/rpm-gpg/docker-ce.asc ]]; then
    echo "check-rpm: skipped, the host has /etc/pki/rpm-gpg/docker-ce.asc" >&2
else
    r=$tmp/root-keypath
    new_root "$r"
    install -m 0644 "$mirror/linux/centos/gpg" "$r/etc/pki/rpm-gpg/docker-ce.asc"
    rpm --root "$r" --import "$mirror/linux/centos/gpg"
    write_repo "$r/etc/yum.repos.d/docker-ce.repo" file:///etc/pki/rpm-gpg/docker-ce.asc
    if out=$(dnf_in "$r" -y install docker-ce 2>&1); then
        die "dnf found gpgkey=file:///etc/pki/rpm-gpg/docker-ce.asc inside the installroot: $out"
    fi
    expect_in "$out" "Couldn't open file /etc/pki/rpm-gpg/docker-ce.asc" \
        "Error: Failed to retrieve GPG key for repo 'docker-ce-stable'"
    expect_not_installed "$r" docker-ce
fi

step "dnf: a wrong key is rejected (repo_gpgcheck=1: repomd.xml signature)"
r=$tmp/root-wrong
new_root "$r"
install -m 0644 "$mirror/wrong-key.asc" "$r/etc/pki/rpm-gpg/docker-ce.asc"
rpm --root "$r" --import "$mirror/wrong-key.asc"
write_repo "$r/etc/yum.repos.d/docker-ce.repo" "file://$r/etc/pki/rpm-gpg/docker-ce.asc"
if out=$(dnf_in "$r" -y install "${all[@]}" 2>&1); then die "dnf accepted the wrong key: $out"; fi
echo "$out" >&2
expect_in "$out" "Error: Failed to download metadata for repo 'docker-ce-stable': repomd.xml GPG signature verification error: Bad GPG signature"
expect_not_installed "$r" docker-ce

step "dnf: a wrong key is rejected (repo_gpgcheck=0: package signatures)"
# Docker's own docker-ce.repo has no repo_gpgcheck; then only the package signatures protect.
r=$tmp/root-wrong-pkg
new_root "$r"
install -m 0644 "$mirror/wrong-key.asc" "$r/etc/pki/rpm-gpg/docker-ce.asc"
rpm --root "$r" --import "$mirror/wrong-key.asc"
write_repo "$r/etc/yum.repos.d/docker-ce.repo" "file://$r/etc/pki/rpm-gpg/docker-ce.asc" 0
if out=$(dnf_in "$r" -y install "${all[@]}" 2>&1); then die "dnf accepted the wrong key: $out"; fi
echo "$out" | sed -n '/GPG key at/,$p' >&2
# The first failing package gets the "already installed but they are not correct" message, the
# others "Public key for FILE is not installed"; which one is first is dnf's business.
expect_in "$out" "is already installed" \
    "The GPG keys listed for the \"Docker CE Stable - x86_64\" repository are already installed but they are not correct for this package." \
    "Failing package is: docker-ce-3:27.3.1-1.el9.x86_64" \
    "Error: GPG check FAILED"
grep -qE '^Public key for docker-ce(-cli)?-27\.3\.1-1\.el9\.x86_64\.rpm is not installed\. Failing package is: docker-ce(-cli)?-[13]:27\.3\.1-1\.el9\.x86_64$' <<<"$out" \
    || die "no 'Public key for ... is not installed' line for docker-ce(-cli)"
expect_not_installed "$r" docker-ce
out=$(rpm --root "$r" -qa)
[[ $out == "gpg-pubkey-$wrong_keyid-"* && $out != *$'\n'* ]] || die "something got installed: $out"

# ---------------------------------------------------------------------------------------------
# zypper
# ---------------------------------------------------------------------------------------------
# zypper_repo FILE KEY-FILE: the same repo for zypper (libzypp's keys: gpgcheck, repo_gpgcheck,
# pkg_gpgcheck; type=rpm-md; autorefresh so every run re-reads the metadata).
zypper_repo() {
    mkdir -p "$(dirname "$1")"
    cat >"$1" <<EOF
[docker-ce-stable]
name=Docker CE Stable - \$basearch
baseurl=$base/linux/centos/\$releasever/\$basearch/stable
enabled=1
autorefresh=1
type=rpm-md
gpgcheck=1
repo_gpgcheck=1
pkg_gpgcheck=1
gpgkey=file://$2
EOF
}

root2=$tmp/root2
new_root "$root2"

step "zypper: installing Docker into a second empty root"
install -m 0644 "$mirror/linux/centos/gpg" "$root2/etc/pki/rpm-gpg/docker-ce.asc"
rpm --root "$root2" --import "$mirror/linux/centos/gpg"
zypper_repo "$root2/etc/zypp/repos.d/docker-ce-stable.repo" "$root2/etc/pki/rpm-gpg/docker-ce.asc"
zypper_in "$root2" install "${all[@]}"
out=$(rpm --root "$root2" -q docker-ce)
[[ $out == docker-ce-27.3.1-1.el9.x86_64 ]] || die "rpm -q docker-ce printed '$out'"
expect_evr "$root2" docker-ce 3:27.3.1-1.el9
expect_evr "$root2" docker-ce-cli 1:27.3.1-1.el9
expect_evr "$root2" containerd.io '(none):1.7.22-3.1.el9'
expect_evr "$root2" docker-buildx-plugin '(none):0.17.1-1.el9'
expect_evr "$root2" docker-compose-plugin '(none):2.29.7-1.el9'
expect_output "$root2" 'Docker version 27.3.1, build dockup-e2e' /usr/bin/docker --version

step "zypper: listing versions and downgrading to 24.0.7"
out=$(zypper_in "$root2" search -s --match-exact docker-ce 2>&1) || die "zypper search failed: $out"
echo "$out" >&2
expect_in "$out" '3:27.3.1-1.el9' '3:24.0.7-1.el9'
zypper_in "$root2" install --oldpackage docker-ce=3:24.0.7-1.el9 docker-ce-cli=1:24.0.7-1.el9
expect_evr "$root2" docker-ce 3:24.0.7-1.el9
expect_evr "$root2" docker-ce-cli 1:24.0.7-1.el9

step "zypper: a wrong key is rejected"
r=$tmp/root2-wrong
new_root "$r"
install -m 0644 "$mirror/wrong-key.asc" "$r/etc/pki/rpm-gpg/docker-ce.asc"
rpm --root "$r" --import "$mirror/wrong-key.asc"
zypper_repo "$r/etc/zypp/repos.d/docker-ce-stable.repo" "$r/etc/pki/rpm-gpg/docker-ce.asc"
# zypper skips the broken repository and then does not find the package: exit 104
# (ZYPPER_EXIT_INF_CAP_NOT_FOUND), not a signature-specific code.
set +e
out=$(zypper_in "$r" install "${all[@]}" 2>&1)
zrc=$?
set -e
echo "$out" >&2
[[ $zrc -eq 104 ]] || die "zypper exited $zrc with the wrong key, expected 104"
expect_in "$out" \
    "File 'repomd.xml' from repository 'Docker CE Stable - x86_64' is signed with an unknown key '${fpr: -16}'. Continue? [yes/no] (no): no" \
    "Signature verification failed for repomd.xml" \
    "Warning: Skipping repository 'Docker CE Stable - x86_64' because of the above error." \
    "No provider of 'docker-ce' found."
expect_not_installed "$r" docker-ce

step "zypper: a key that is only named by gpgkey= (not imported) is not trusted either"
r=$tmp/root2-noimport
new_root "$r"
install -m 0644 "$mirror/linux/centos/gpg" "$r/etc/pki/rpm-gpg/docker-ce.asc"
zypper_repo "$r/etc/zypp/repos.d/docker-ce-stable.repo" "$r/etc/pki/rpm-gpg/docker-ce.asc"
set +e
out=$(zypper_in "$r" install docker-ce 2>&1)
zrc=$?
set -e
echo "$out" | grep -i 'key' >&2
[[ $zrc -eq 104 ]] || die "zypper exited $zrc without the key imported, expected 104: $out"
expect_in "$out" "is signed with an unknown key '${fpr: -16}'"
expect_not_installed "$r" docker-ce

step "zypper: Docker's docker-ce.repo, added by URL"
r=$tmp/root2-addrepo
new_root "$r"
rpm --root "$r" --import "$mirror/linux/centos/gpg"
zypper --root "$r" --non-interactive addrepo "$base/linux/centos/docker-ce.repo" >/dev/null
out=$(zypper_in "$r" repos -u 2>&1)
expect_in "$out" "docker-ce-stable" "$base/linux/centos/9/x86_64/stable" "docker-ce-test"
zypper_in "$r" install docker-ce >/dev/null
expect_evr "$r" docker-ce 3:27.3.1-1.el9
