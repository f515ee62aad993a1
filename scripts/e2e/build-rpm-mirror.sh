#!/usr/bin/env bash
# Builds a local, signed rpm repository laid out like https://download.docker.com/linux/centos
# (release 9, x86_64, channels "stable" and "test"), so end-to-end tests can install "Docker"
# with dnf or zypper without reaching Docker's servers. The rpm counterpart of build-mirror.sh.
#
#   scripts/e2e/build-rpm-mirror.sh DEST
#
# Serve DEST over HTTP (e.g. `python3 -m http.server --directory DEST`); the repo base is then
# http://HOST:PORT/linux/centos, exactly as https://download.docker.com/linux/centos is.
#
# Produces:
#   DEST/linux/centos/gpg                     ASCII-armored public key (like Docker's /linux/centos/gpg)
#   DEST/linux/centos/docker-ce.repo          Docker's docker-ce.repo, with @BASE@ where Docker has
#                                             https://download.docker.com (substitute
#                                             http://HOST:PORT once the port is known)
#   DEST/linux/centos/9/x86_64/{stable,test}/ createrepo_c repositories:
#       Packages/*.rpm                        signed stand-in packages (Docker's file names)
#       repodata/repomd.xml                   metadata, plus
#       repodata/repomd.xml.asc               an armored detached signature of repomd.xml, so
#                                             `repo_gpgcheck=1` works
#   DEST/fingerprint                          signing key fingerprint: 40 uppercase hex + newline
#   DEST/wrong-key.asc, DEST/wrong-fingerprint  an unrelated key, for "wrong key is rejected" tests
#
# Channels (same split as build-mirror.sh; containerd.io and the plugins are in both, so either
# channel works on its own):
#   stable: docker-ce, docker-ce-cli 27.3.1-1.el9 and 24.0.7-1.el9 (Epoch 3 and 1, as Docker's),
#           containerd.io 1.7.22-3.1.el9, docker-buildx-plugin 0.17.1-1.el9,
#           docker-compose-plugin 2.29.7-1.el9
#   test:   docker-ce, docker-ce-cli 28.0.0-0.1.rc1.el9, and the same containerd.io and plugins
#
# The .rpm files are stand-ins built here with rpmbuild: tiny shell scripts instead of the real
# binaries (`--version` answers like the real ones), NO scriptlets and NO automatic dependencies
# (AutoReqProv: no, so not even /bin/sh is required): they install into a completely empty
# root (`dnf --installroot=/empty/dir`) and never start a service. The only Requires is Docker's
# own: docker-ce needs containerd.io >= 1.6.24 and docker-ce-cli. The signing keys are
# throwaway: a fresh pair is generated on every run (so the fingerprint changes every run; read
# it from DEST/fingerprint).
set -euo pipefail

prog=build-rpm-mirror
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

dest_arg "$@"
marker=.dockup-e2e-rpm-mirror
wipe_dest "$dest" "$marker" "dockup-e2e rpm mirror"

# Tools: rpmbuild/rpmsign/rpm (rpm), createrepo_c (createrepo-c), gpg/gpgv (gnupg).
need_tools rpmbuild:rpm rpmsign:rpm createrepo_c:createrepo-c gpg:gnupg gpgv:gpgv

gpg_workdir dockup-e2e-rpm-mirror

# Fixed timestamps (file mtimes and build time inside the rpms, repodata revision) so repeated
# builds differ only in the keys/signatures.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1727740800} # 2024-10-01T00:00:00Z
export TZ=UTC LC_ALL=C
# Debian's rpm keeps its database in ~/.rpmdb; point HOME (and so that database and any
# ~/.rpmmacros) at the work directory so building and verifying never touch the caller's.
export HOME=$work/home
mkdir -p "$HOME"

repo=$dest/linux/centos
mkdir -p "$dest" "$repo"
touch "$dest/$marker"

# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------
make_keys "$repo/gpg" "$dest"

# ---------------------------------------------------------------------------------------------
# Stand-in packages
# ---------------------------------------------------------------------------------------------

# put_file ROOT PATH MODE VERSION < content: writes one file into a package tree, replacing
# @VERSION@ with VERSION (the upstream version, what `docker --version` reports).
put_file() {
    local root=$1 path=$2 mode=$3 version=$4
    mkdir -p "$root$(dirname "$path")"
    sed "s/@VERSION@/$version/g" >"$root$path"
    chmod "$mode" "$root$path"
}

rpms=$work/rpms
mkdir -p "$rpms" "$work/rpmbuild"

# Macros for every rpmbuild: no brp-* post-processing (strip, python bytecompile, ...), no
# debuginfo, no build-id links, reproducible build time/host and file mtimes.
rpmbuild_opts=(
    --quiet --target x86_64
    --define "_topdir $work/rpmbuild"
    --define "_rpmdir $rpms"
    --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm"
    --define "__os_install_post %{nil}"
    --define "debug_package %{nil}"
    --define "_build_id_links none"
    --define "_buildhost dockup-e2e.invalid"
    --define "use_source_date_epoch_as_buildtime 1"
    --define "clamp_mtime_to_source_date_epoch 1"
    --define "_binary_payload w9.gzdio"
)

# build_rpm NAME EPOCH VERSION RELEASE TREE SUMMARY [EXTRA-TAGS]: packages every file under
# TREE (modes as in TREE, owned by root) as $rpms/NAME-VERSION-RELEASE.x86_64.rpm, which is
# Docker's file naming. EPOCH may be empty.
build_rpm() {
    local name=$1 epoch=$2 version=$3 release=$4 tree=$5 summary=$6 extra=${7:-}
    local spec=$work/$name-$version-$release.spec files
    files=$(cd "$tree" && find . -type f | sed 's/^\.//' | sort)
    {
        printf 'Name: %s\n' "$name"
        [[ -z $epoch ]] || printf 'Epoch: %s\n' "$epoch"
        printf 'Version: %s\nRelease: %s\n' "$version" "$release"
        printf 'Summary: %s\nLicense: ASL 2.0\nURL: https://www.docker.com\n' "$summary"
        printf 'Vendor: Docker\nPackager: Docker <support@docker.com>\n'
        # No automatic Requires/Provides (they would add /bin/sh for the scripts), and nothing
        # here adds scriptlets: see the header.
        printf 'AutoReqProv: no\n'
        printf '%s\n' "$extra"
        printf '\n%%description\n%s\n(dockup-e2e stand-in package: ships shell scripts, not the real binaries.)\n' "$summary"
        printf '\n%%install\ncp -a %s/. %%{buildroot}/\n' "$tree"
        printf '\n%%files\n%%defattr(-,root,root,-)\n%s\n' "$files"
    } >"$spec"
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    rpmbuild "${rpmbuild_opts[@]}" -bb "$spec" >"$work/rpmbuild.log" 2>&1 || {
        cat "$work/rpmbuild.log" >&2
        die "rpmbuild $name-$version-$release failed"
    }
    [[ -f $rpms/$name-$version-$release.x86_64.rpm ]] || die "rpmbuild did not produce $name-$version-$release.x86_64.rpm"
}

# upstream VERSION RELEASE: what `docker --version` reports, e.g. 28.0.0 0.1.rc1.el9 -> 28.0.0-rc1.
upstream() {
    local v=$1 r=$2
    if [[ $r =~ ^0\.[0-9]+\.([a-z]+[0-9.]*)\. ]]; then
        printf '%s-%s' "$v" "${BASH_REMATCH[1]}"
    else
        printf '%s' "$v"
    fi
}

make_docker_ce_cli() {
    local version=$1 release=$2 up tree
    up=$(upstream "$version" "$release")
    tree=$work/tree/docker-ce-cli-$version-$release
    put_file "$tree" /usr/bin/docker 0755 "$up" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for the Docker CLI (package docker-ce-cli); not the real docker.
# Plugin subcommands run /usr/libexec/docker/cli-plugins/*; anything else needs a "daemon",
# which the stand-in never has.
VERSION='@VERSION@'
PLUGINS=/usr/libexec/docker/cli-plugins
case "${1:-}" in
--version | -v)
    echo "Docker version $VERSION, build dockup-e2e"
    ;;
"" | help | --help)
    echo 'Usage:  docker [OPTIONS] COMMAND   (dockup-e2e stand-in)'
    ;;
*)
    if [ -x "$PLUGINS/docker-$1" ]; then
        exec "$PLUGINS/docker-$1" "$@"
    fi
    echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2
    exit 1
    ;;
esac
EOF
    build_rpm docker-ce-cli 1 "$version" "$release" "$tree" \
        "The open-source application container engine" \
        "Conflicts: docker, docker-io, docker-engine-cs, docker-ee"
}

make_docker_ce() {
    local version=$1 release=$2 up tree
    up=$(upstream "$version" "$release")
    tree=$work/tree/docker-ce-$version-$release
    put_file "$tree" /usr/bin/dockerd 0755 "$up" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for dockerd (package docker-ce); it runs no containers.
case "${1:-}" in
--version | -v) echo "Docker version @VERSION@, build dockup-e2e" ;;
*)
    echo 'dockerd: dockup-e2e stand-in, not a real daemon' >&2
    exit 1
    ;;
esac
EOF
    put_file "$tree" /usr/lib/systemd/system/docker.service 0644 "$up" <<'EOF'
# dockup-e2e stand-in for docker-ce's unit (the stand-in dockerd does not run).
[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=simple
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock

[Install]
WantedBy=multi-user.target
EOF
    build_rpm docker-ce 3 "$version" "$release" "$tree" \
        "The open-source application container engine" \
        "Requires: containerd.io >= 1.6.24
Requires: docker-ce-cli
Conflicts: docker, docker-io, docker-engine-cs, docker-ee
Obsoletes: docker-ce-selinux <= 2:17.03.0"
}

make_containerd() {
    local version=$1 release=$2 tree
    tree=$work/tree/containerd.io-$version-$release
    put_file "$tree" /usr/bin/containerd 0755 "$version" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for containerd (package containerd.io): only answers --version.
case "${1:-}" in
--version | -v) echo "containerd containerd.io @VERSION@ dockup-e2e" ;;
*) echo "containerd: dockup-e2e stand-in, not a real container runtime" >&2 ;;
esac
EOF
    build_rpm containerd.io "" "$version" "$release" "$tree" \
        "An industry-standard container runtime" \
        "Provides: containerd, runc
Conflicts: containerd, runc
Obsoletes: containerd, runc"
}

# make_plugin PACKAGE VERSION RELEASE NAME "VERSION-LINE-PREFIX" DESCRIPTION
make_plugin() {
    local pkg=$1 version=$2 release=$3 name=$4 prefix=$5 description=$6 tree
    tree=$work/tree/$pkg-$version-$release
    plugin_script "$pkg" "$name" "$prefix" "$description" \
        | put_file "$tree" "/usr/libexec/docker/cli-plugins/docker-$name" 0755 "$version"
    build_rpm "$pkg" "" "$version" "$release" "$tree" "$description plugin for the Docker CLI" \
        "Enhances: docker-ce-cli"
}

# VERSION RELEASE pairs.
stable_ce=("27.3.1 1.el9" "24.0.7 1.el9")
test_ce=("28.0.0 0.1.rc1.el9")
containerd_vr="1.7.22 3.1.el9"
buildx_vr="0.17.1 1.el9"
compose_vr="2.29.7 1.el9"

for vr in "${stable_ce[@]}" "${test_ce[@]}"; do
    # shellcheck disable=SC2086 # split "VERSION RELEASE"
    make_docker_ce $vr
    # shellcheck disable=SC2086
    make_docker_ce_cli $vr
done
# shellcheck disable=SC2086
make_containerd $containerd_vr
# shellcheck disable=SC2086
make_plugin docker-buildx-plugin $buildx_vr buildx github.com/docker/buildx "Docker Buildx"
# shellcheck disable=SC2086
make_plugin docker-compose-plugin $compose_vr compose "Docker Compose version" "Docker Compose"

# Sign every package (an RSA/SHA512 header signature: rpm 4.18 no longer adds the legacy
# header+payload one) with the repository key.
# Debian's rpm macros call gpg2, which Debian does not ship under that name.
rpmsign --addsign --define "__gpg /usr/bin/gpg" --define "_gpg_name $fpr" \
    "$rpms"/*.rpm >"$work/rpmsign.log" 2>&1 || {
    cat "$work/rpmsign.log" >&2
    die "rpmsign failed"
}

# Place the rpms where Docker does: 9/x86_64/CHANNEL/Packages/.
nvr() { local v r; read -r v r <<<"$2"; printf '%s-%s-%s.x86_64.rpm' "$1" "$v" "$r"; }
common=("$(nvr containerd.io "$containerd_vr")"
    "$(nvr docker-buildx-plugin "$buildx_vr")"
    "$(nvr docker-compose-plugin "$compose_vr")")
for c in stable test; do
    mkdir -p "$repo/9/x86_64/$c/Packages"
    for f in "${common[@]}"; do cp "$rpms/$f" "$repo/9/x86_64/$c/Packages/"; done
done
for vr in "${stable_ce[@]}"; do
    cp "$rpms/$(nvr docker-ce "$vr")" "$rpms/$(nvr docker-ce-cli "$vr")" "$repo/9/x86_64/stable/Packages/"
done
for vr in "${test_ce[@]}"; do
    cp "$rpms/$(nvr docker-ce "$vr")" "$rpms/$(nvr docker-ce-cli "$vr")" "$repo/9/x86_64/test/Packages/"
done

# ---------------------------------------------------------------------------------------------
# Metadata and signed repomd.xml
# ---------------------------------------------------------------------------------------------
for c in stable test; do
    createrepo_c --quiet --no-database --revision "$SOURCE_DATE_EPOCH" --set-timestamp-to-revision \
        "$repo/9/x86_64/$c" >"$work/createrepo.log" 2>&1 || {
        cat "$work/createrepo.log" >&2
        die "createrepo_c $c failed"
    }
    gpg --batch --yes --local-user "$fpr" --digest-algo SHA512 --armor --detach-sign \
        -o "$repo/9/x86_64/$c/repodata/repomd.xml.asc" "$repo/9/x86_64/$c/repodata/repomd.xml"
done

# Docker's docker-ce.repo (https://download.docker.com/linux/centos/docker-ce.repo), with the
# host replaced by @BASE@. Only the stable and test trees exist here; the debuginfo, source and
# nightly sections are disabled, as in Docker's file, and point at nothing.
{
    for c in stable test nightly; do
        C=${c^}
        en=0
        [[ $c == stable ]] && en=1
        cat <<EOF
[docker-ce-$c]
name=Docker CE $C - \$basearch
baseurl=@BASE@/linux/centos/\$releasever/\$basearch/$c
enabled=$en
gpgcheck=1
gpgkey=@BASE@/linux/centos/gpg

[docker-ce-$c-debuginfo]
name=Docker CE $C - Debuginfo \$basearch
baseurl=@BASE@/linux/centos/\$releasever/debug-\$basearch/$c
enabled=0
gpgcheck=1
gpgkey=@BASE@/linux/centos/gpg

[docker-ce-$c-source]
name=Docker CE $C - Sources
baseurl=@BASE@/linux/centos/\$releasever/source/$c
enabled=0
gpgcheck=1
gpgkey=@BASE@/linux/centos/gpg

EOF
    done
} | sed '$d' >"$repo/docker-ce.repo"

# ---------------------------------------------------------------------------------------------
# Verify
# ---------------------------------------------------------------------------------------------
head -n1 "$repo/gpg" | grep -qx -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' || fail "gpg is not an armored key"

# repomd.xml signatures check out with the published (armored -> binary) key, not the wrong one.
gpg --batch --dearmor <"$repo/gpg" >"$work/key.gpg"
gpg --batch --dearmor <"$dest/wrong-key.asc" >"$work/wrong.gpg"
for c in stable test; do
    md=$repo/9/x86_64/$c/repodata/repomd.xml
    gpgv --quiet --keyring "$work/key.gpg" "$md.asc" "$md" 2>/dev/null || fail "gpgv rejects $c repomd.xml.asc"
    if gpgv --quiet --keyring "$work/wrong.gpg" "$md.asc" "$md" 2>/dev/null; then
        fail "$c repomd.xml.asc verifies with the wrong key"
    fi
done

# Every package is signed by the key (rpm -K with only that key imported), has no scriptlets and
# no dependencies beyond rpmlib() features and Docker's own.
rpm_db() { rpm --dbpath "$work/$1" "${@:2}"; }
mkdir -p "$work/db-right" "$work/db-wrong"
rpm_db db-right --import "$repo/gpg"
rpm_db db-wrong --import "$dest/wrong-key.asc"
for f in "$repo"/9/x86_64/*/Packages/*.rpm; do
    out=$(rpm_db db-right -K "$f" 2>&1) || fail "rpm -K $f: $out"
    [[ $out == *'digests signatures OK' ]] || fail "rpm -K $f: $out"
    if rpm_db db-wrong -K "$f" >/dev/null 2>&1; then fail "$f verifies with the wrong key"; fi
    [[ -z $(rpm -qp --scripts "$f" 2>/dev/null) ]] || fail "$f has scriptlets"
    reqs=$(rpm -qp --requires "$f" 2>/dev/null | grep -Ev '^(rpmlib\(|containerd\.io >= 1\.6\.24$|docker-ce-cli$)' || true)
    [[ -z $reqs ]] || fail "$f requires $reqs"
done

# Every expected package/version is indexed in its channel (read from primary.xml, i.e. what a
# client sees, with the epochs Docker uses).
primary() { # primary CHANNEL -> "name epoch:version-release" lines
    local f
    f=$(find "$repo/9/x86_64/$1/repodata" -name '*-primary.xml.gz')
    # One tag per line, as createrepo_c writes it: <name>N</name> then <version epoch= ver= rel=/>.
    gzip -dc "$f" | awk -F'"' '/^ *<name>/ { gsub(/^ *<name>|<\/name>$/, ""); name = $0 }
        /^ *<version / { print name, $2 ":" $4 "-" $6 }'
}
expect() { # expect CHANNEL PACKAGE EPOCH VERSION RELEASE
    grep -qx "$2 $3:$4-$5" <<<"$(primary "$1")" || fail "$1 lacks $2 $3:$4-$5"
}
for c in stable test; do
    [[ -f $repo/9/x86_64/$c/repodata/repomd.xml ]] || fail "$c has no repomd.xml"
    n=$(primary "$c" | wc -l) || fail "cannot read $c primary.xml"
    [[ $n -eq $(find "$repo/9/x86_64/$c/Packages" -name '*.rpm' | wc -l) ]] || fail "$c indexes $n packages"
    read -r v r <<<"$containerd_vr"; expect "$c" containerd.io 0 "$v" "$r"
    read -r v r <<<"$buildx_vr"; expect "$c" docker-buildx-plugin 0 "$v" "$r"
    read -r v r <<<"$compose_vr"; expect "$c" docker-compose-plugin 0 "$v" "$r"
done
for vr in "${stable_ce[@]}"; do
    read -r v r <<<"$vr"; expect stable docker-ce 3 "$v" "$r"; expect stable docker-ce-cli 1 "$v" "$r"
done
for vr in "${test_ce[@]}"; do
    read -r v r <<<"$vr"; expect test docker-ce 3 "$v" "$r"; expect test docker-ce-cli 1 "$v" "$r"
done
grep -q '^\[docker-ce-test\]$' "$repo/docker-ce.repo" || fail "docker-ce.repo lacks docker-ce-test"

echo "build-rpm-mirror: repo ready at $repo (key $fpr) in $(elapsed)s" >&2
