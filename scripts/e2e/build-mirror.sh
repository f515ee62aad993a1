#!/usr/bin/env bash
# Builds a local, signed apt repository laid out like https://download.docker.com/linux/debian
# (bookworm, channels "stable" and "test", amd64), so end-to-end tests can install "Docker"
# without reaching Docker's servers.
#
#   scripts/e2e/build-mirror.sh DEST
#
# Serve DEST over HTTP (e.g. `python3 -m http.server --directory DEST`); the repo base is then
# http://HOST:PORT/linux/debian, exactly as https://download.docker.com/linux/debian is.
#
# Produces:
#   DEST/linux/debian/gpg                     ASCII-armored public key (like Docker's /linux/debian/gpg)
#   DEST/linux/debian/dists/bookworm/{Release,InRelease,Release.gpg}
#   DEST/linux/debian/dists/bookworm/{stable,test}/binary-amd64/Packages{,.gz}
#   DEST/linux/debian/dists/bookworm/pool/{stable,test}/amd64/*.deb
#                                             where Docker keeps its pool (Packages "Filename:"
#                                             fields point here, as in Docker's real repo)
#   DEST/linux/debian/pool/{stable,test}      symlinks to the above, for callers that expect a
#                                             top-level pool
#   DEST/fingerprint                          signing key fingerprint: 40 uppercase hex + newline
#   DEST/wrong-key.asc, DEST/wrong-fingerprint  an unrelated key, for "wrong key is rejected" tests
#
# The .deb files are stand-ins built here with dpkg-deb: tiny shell scripts instead of the real
# binaries, and no maintainer scripts that start anything, so installing them in a chroot without
# an init system never tries to start a service. docker-ce's only one, a postinst, creates the
# docker group as the real package's does (its docker.socket names that group). The signing keys are throwaway: a fresh pair is
# generated on every run (so the fingerprint changes every run; read it from DEST/fingerprint).
set -euo pipefail

prog=build-mirror
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

dest_arg "$@"
marker=.dockup-e2e-mirror
wipe_dest "$dest" "$marker" "dockup-e2e mirror"

# Tools: apt-ftparchive (apt-utils), gpg/gpgv (gnupg), dpkg-deb (dpkg, always present on Debian).
need_tools apt-ftparchive:apt-utils gpg:gnupg gpgv:gpgv

gpg_workdir dockup-e2e-mirror

# Fixed timestamps (file mtimes inside the .debs, ar member dates, Release Date) so repeated
# builds differ only in the keys/signatures.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1727740800} # 2024-10-01T00:00:00Z
export TZ=UTC LC_ALL=C

repo=$dest/linux/debian
mkdir -p "$dest" "$repo"
touch "$dest/$marker"

# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------
make_keys "$repo/gpg" "$dest"

# ---------------------------------------------------------------------------------------------
# Stand-in packages
# ---------------------------------------------------------------------------------------------

# upstream VERSION: strips the epoch and Debian revision, and turns "~rc.1" into "-rc.1",
# e.g. 5:28.0.0~rc.1-1~debian.12~bookworm -> 28.0.0-rc.1 (what `docker --version` reports).
upstream() {
    local v=${1#*:}
    v=${v%%-*}
    printf '%s' "${v//\~/-}"
}

# put_file ROOT PATH MODE UPSTREAM_VERSION < content: writes one file into a package tree,
# replacing @VERSION@ with the upstream version.
put_file() {
    local root=$1 path=$2 mode=$3 version=$4
    mkdir -p "$root$(dirname "$path")"
    sed "s/@VERSION@/$version/g" >"$root$path"
    chmod "$mode" "$root$path"
}

debs=$work/debs
mkdir -p "$debs"

# build_deb PACKAGE VERSION TREE CONTROL_FIELDS: writes DEBIAN/control and builds
# $debs/PACKAGE_VERSION-WITHOUT-EPOCH_amd64.deb (Docker's file naming).
build_deb() {
    local pkg=$1 version=$2 tree=$3 fields=$4
    local size
    size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
    mkdir -p "$tree/DEBIAN"
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: amd64\n' "$pkg" "$version"
        printf 'Installed-Size: %s\nSection: admin\nPriority: optional\n' "$size"
        printf '%s\n' "$fields"
    } >"$tree/DEBIAN/control"
    # No DEBIAN/postinst, prerm, ...: nothing runs at install time (see the header).
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --root-owner-group --build "$tree" "$debs/${pkg}_${version#*:}_amd64.deb" >/dev/null
}

make_docker_ce_cli() {
    local version=$1 up tree
    up=$(upstream "$version")
    tree=$work/tree/docker-ce-cli_$version
    put_file "$tree" /usr/bin/docker 0755 "$up" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for the Docker CLI (package docker-ce-cli); not the real docker.
# `docker version` / `docker info` need the "daemon": they fail like the real CLI unless the
# stand-in dockerd's pid file exists. Plugin subcommands run /usr/libexec/docker/cli-plugins/*.
VERSION='@VERSION@'
PIDFILE=/run/dockup-e2e-dockerd.pid
PLUGINS=/usr/libexec/docker/cli-plugins

no_daemon() {
    echo 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?' >&2
    exit 1
}
server_version() {
    dockerd --version 2>/dev/null | sed -n 's/^Docker version \([^,]*\),.*/\1/p'
}

case "${1:-}" in
--version | -v)
    echo "Docker version $VERSION, build dockup-e2e"
    ;;
version)
    printf 'Client: Docker Engine - Community\n Version:           %s\n Git commit:        dockup-e2e\n OS/Arch:           linux/amd64\n Context:           default\n\n' "$VERSION"
    [ -e "$PIDFILE" ] || no_daemon
    printf 'Server: Docker Engine - Community\n Engine:\n  Version:          %s\n  Git commit:       dockup-e2e\n  OS/Arch:          linux/amd64\n' "$(server_version)"
    ;;
info)
    [ -e "$PIDFILE" ] || no_daemon
    printf 'Client: Docker Engine - Community\n Version:    %s\n\nServer:\n Server Version: %s\n Storage Driver: dockup-e2e\n' "$VERSION" "$(server_version)"
    ;;
ps)
    [ -e "$PIDFILE" ] || no_daemon
    echo 'CONTAINER ID   IMAGE     COMMAND   CREATED   STATUS    PORTS     NAMES'
    ;;
run)
    [ -e "$PIDFILE" ] || no_daemon
    printf '\nHello from Docker!\nThis message shows that your installation appears to be working correctly.\n(dockup-e2e stand-in: no container was run)\n'
    ;;
"" | help | --help)
    echo 'Usage:  docker [OPTIONS] COMMAND   (dockup-e2e stand-in)'
    ;;
*)
    if [ -x "$PLUGINS/docker-$1" ]; then
        exec "$PLUGINS/docker-$1" "$@"
    fi
    echo "docker: '$1' is not a docker command (dockup-e2e stand-in)." >&2
    exit 1
    ;;
esac
EOF
    build_deb docker-ce-cli "$version" "$tree" "Maintainer: Docker <support@docker.com>
Conflicts: docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, lxc-docker-virtual-package
Breaks: docker-ce (<< 5:0)
Replaces: docker-ce (<< 5:0), docker-engine, docker-engine-cs
Homepage: https://www.docker.com
Description: Docker CLI: the open-source application container engine
 Docker is a product for you to build, ship and run any application as a
 lightweight container.
 .
 (dockup-e2e stand-in package: ships a shell script, not the real CLI.)"
}

make_docker_ce() {
    local version=$1 up tree
    up=$(upstream "$version")
    tree=$work/tree/docker-ce_$version
    put_file "$tree" /usr/bin/dockerd 0755 "$up" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for dockerd (package docker-ce); it runs no containers.
# It records its pid in /run/dockup-e2e-dockerd.pid (the stand-in `docker` treats that file as
# "daemon is up"), then sleeps until killed, removing the file on exit. Options are ignored.
VERSION='@VERSION@'
PIDFILE=/run/dockup-e2e-dockerd.pid
case "${1:-}" in
--version | -v)
    echo "Docker version $VERSION, build dockup-e2e"
    exit 0
    ;;
esac
mkdir -p /run
echo $$ >"$PIDFILE"
trap 'kill "$sleeper" 2>/dev/null; rm -f "$PIDFILE"; exit 0' INT TERM
while :; do
    sleep 3600 &
    sleeper=$!
    wait "$sleeper"
done
EOF
    put_file "$tree" /etc/init.d/docker 0755 "$up" <<'EOF'
#!/bin/sh
### BEGIN INIT INFO
# Provides:           docker
# Required-Start:     $syslog $remote_fs
# Required-Stop:      $syslog $remote_fs
# Should-Start:       cgroupfs-mount cgroup-lite
# Should-Stop:        cgroupfs-mount cgroup-lite
# Default-Start:      2 3 4 5
# Default-Stop:       0 1 6
# Short-Description:  Create lightweight, portable, self-sufficient containers.
# Description:        Docker is an open-source project to easily create lightweight,
#                     portable, self-sufficient containers from any application.
### END INIT INFO
# dockup-e2e STAND-IN for docker-ce's SysV init script: starts/stops the stand-in dockerd.
DOCKERD=/usr/bin/dockerd
PIDFILE=/run/dockup-e2e-dockerd.pid
LOG=/var/log/docker.log

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

do_start() {
    if running; then
        echo "Docker is already running"
        return 0
    fi
    echo "Starting Docker: docker"
    nohup "$DOCKERD" </dev/null >>"$LOG" 2>&1 &
    i=0
    while ! running && [ "$i" -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    running
}

do_stop() {
    echo "Stopping Docker: docker"
    if running; then
        kill "$(cat "$PIDFILE")"
        i=0
        while [ -f "$PIDFILE" ] && [ "$i" -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
    fi
    rm -f "$PIDFILE"
}

case "${1:-}" in
start) do_start ;;
stop) do_stop ;;
restart | force-reload) do_stop && do_start ;;
status)
    if running; then
        echo "Docker is running"
    else
        echo "Docker is not running"
        exit 3
    fi
    ;;
*)
    echo "Usage: service docker {start|stop|restart|status}" >&2
    exit 1
    ;;
esac
EOF
    put_file "$tree" /lib/systemd/system/docker.service 0644 "$up" <<'EOF'
# dockup-e2e stand-in for docker-ce's unit (the real one uses Type=notify, which the
# stand-in dockerd does not implement, hence Type=simple).
[Unit]
Description=Docker Application Container Engine
Documentation=https://docs.docker.com
After=network-online.target docker.socket firewalld.service containerd.service time-set.target
Wants=network-online.target containerd.service
Requires=docker.socket

[Service]
Type=simple
ExecStart=/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
RestartSec=2
Restart=always

[Install]
WantedBy=multi-user.target
EOF
    put_file "$tree" /lib/systemd/system/docker.socket 0644 "$up" <<'EOF'
[Unit]
Description=Docker Socket for the API

[Socket]
ListenStream=/run/docker.sock
SocketMode=0660
SocketUser=root
SocketGroup=docker

[Install]
WantedBy=sockets.target
EOF
    # The real package marks its init script a conffile, so `apt-get remove` leaves it behind
    # (package state "rc") until purge; keep that behaviour.
    mkdir -p "$tree/DEBIAN"
    echo /etc/init.d/docker >"$tree/DEBIAN/conffiles"
    cat >"$tree/DEBIAN/postinst" <<'EOF'
#!/bin/sh
# Like docker-ce's own: the group docker.socket hands the socket to. Nothing is started.
set -e
if [ "$1" = configure ] && ! getent group docker >/dev/null; then
    groupadd --system docker
fi
EOF
    chmod 0755 "$tree/DEBIAN/postinst"
    build_deb docker-ce "$version" "$tree" "Maintainer: Docker <support@docker.com>
Depends: containerd.io (>= 1.6.24), docker-ce-cli
Conflicts: docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, lxc-docker-virtual-package
Replaces: docker-engine
Homepage: https://www.docker.com
Description: Docker: the open-source application container engine
 Docker is a product for you to build, ship and run any application as a
 lightweight container.
 .
 (dockup-e2e stand-in package: dockerd is a shell script that only sleeps.)"
}

make_containerd() {
    local version=$1 up tree
    up=$(upstream "$version")
    tree=$work/tree/containerd.io_$version
    put_file "$tree" /usr/bin/containerd 0755 "$up" <<'EOF'
#!/bin/sh
# dockup-e2e STAND-IN for containerd (package containerd.io): only answers --version.
case "${1:-}" in
--version | -v) echo "containerd containerd.io @VERSION@ dockup-e2e" ;;
*) echo "containerd: dockup-e2e stand-in, not a real container runtime" >&2 ;;
esac
EOF
    build_deb containerd.io "$version" "$tree" "Maintainer: Containerd team <help@containerd.io>
Depends: libc6 (>= 2.34), libseccomp2 (>= 2.5.0)
Conflicts: containerd, runc
Replaces: containerd, runc
Provides: containerd, runc
Homepage: https://containerd.io
Description: An open and reliable container runtime
 (dockup-e2e stand-in package: ships a shell script, not containerd.)"
}

# make_plugin PACKAGE VERSION NAME "VERSION-LINE-PREFIX" DESCRIPTION
make_plugin() {
    local pkg=$1 version=$2 name=$3 prefix=$4 description=$5 up tree
    up=$(upstream "$version")
    tree=$work/tree/${pkg}_$version
    plugin_script "$pkg" "$name" "$prefix" "$description" \
        | put_file "$tree" "/usr/libexec/docker/cli-plugins/docker-$name" 0755 "$up"
    build_deb "$pkg" "$version" "$tree" "Maintainer: Docker <support@docker.com>
Enhances: docker-ce-cli
Homepage: https://github.com/docker/$name
Description: Docker $name plugin (dockup-e2e stand-in)
 (dockup-e2e stand-in package: ships a shell script, not the real plugin.)"
}

stable_ce=("5:27.3.1-1~debian.12~bookworm" "5:24.0.7-1~debian.12~bookworm")
test_ce=("5:28.0.0~rc.1-1~debian.12~bookworm")
containerd_v=1.7.22-1
buildx_v=0.17.1-1~debian.12~bookworm
compose_v=2.29.7-1~debian.12~bookworm

for v in "${stable_ce[@]}" "${test_ce[@]}"; do
    make_docker_ce "$v"
    make_docker_ce_cli "$v"
done
make_containerd "$containerd_v"
make_plugin docker-buildx-plugin "$buildx_v" buildx github.com/docker/buildx "Docker Buildx"
make_plugin docker-compose-plugin "$compose_v" compose "Docker Compose version" "Docker Compose"

# Place the .debs where Docker does: dists/bookworm/pool/CHANNEL/amd64/.
pool=$repo/dists/bookworm/pool
mkdir -p "$pool/stable/amd64" "$pool/test/amd64"
common=("containerd.io_${containerd_v}_amd64.deb"
    "docker-buildx-plugin_${buildx_v}_amd64.deb"
    "docker-compose-plugin_${compose_v}_amd64.deb")
for f in "${common[@]}"; do
    cp "$debs/$f" "$pool/stable/amd64/"
    cp "$debs/$f" "$pool/test/amd64/"
done
for v in "${stable_ce[@]}"; do
    cp "$debs/docker-ce_${v#*:}_amd64.deb" "$debs/docker-ce-cli_${v#*:}_amd64.deb" "$pool/stable/amd64/"
done
for v in "${test_ce[@]}"; do
    cp "$debs/docker-ce_${v#*:}_amd64.deb" "$debs/docker-ce-cli_${v#*:}_amd64.deb" "$pool/test/amd64/"
done
mkdir -p "$repo/pool"
ln -s ../dists/bookworm/pool/stable "$repo/pool/stable"
ln -s ../dists/bookworm/pool/test "$repo/pool/test"

# ---------------------------------------------------------------------------------------------
# Indexes and signed Release
# ---------------------------------------------------------------------------------------------
apt_release "$repo" "$work" "$fpr" "stable test" "dockup e2e stand-in for download.docker.com/linux/debian"

# ---------------------------------------------------------------------------------------------
# Verify
# ---------------------------------------------------------------------------------------------
# Signatures check out with the published (armored -> binary) key, and not with the wrong one.
verify_release "$repo" "$work"
gpg --batch --dearmor <"$dest/wrong-key.asc" >"$work/wrong.gpg"
if gpgv --quiet --keyring "$work/wrong.gpg" "$repo/dists/bookworm/InRelease" 2>/dev/null; then
    fail "InRelease verifies with the wrong key"
fi
head -n1 "$repo/gpg" | grep -qx -- '-----BEGIN PGP PUBLIC KEY BLOCK-----' || fail "gpg is not an armored key"

# Every expected package/version is indexed in its channel, and every Filename exists.
expect() { # expect CHANNEL PACKAGE VERSION
    local packages=$repo/dists/bookworm/$1/binary-amd64/Packages
    awk -v p="$2" -v v="$3" '$0 == "Package: " p { inpkg = 1 } /^$/ { inpkg = 0 }
        inpkg && $0 == "Version: " v { found = 1 } END { exit !found }' "$packages" \
        || fail "$1 lacks $2 $3"
}
for v in "${stable_ce[@]}"; do expect stable docker-ce "$v"; expect stable docker-ce-cli "$v"; done
for v in "${test_ce[@]}"; do expect test docker-ce "$v"; expect test docker-ce-cli "$v"; done
for c in stable test; do
    expect "$c" containerd.io "$containerd_v"
    expect "$c" docker-buildx-plugin "$buildx_v"
    expect "$c" docker-compose-plugin "$compose_v"
    cmp -s "$repo/dists/bookworm/$c/binary-amd64/Packages" \
        <(gzip -dc "$repo/dists/bookworm/$c/binary-amd64/Packages.gz") || fail "$c Packages.gz differs"
    grep -q '^Package: ' "$repo/dists/bookworm/$c/binary-amd64/Packages" || fail "$c Packages is empty"
    grep '^Filename: ' "$repo/dists/bookworm/$c/binary-amd64/Packages" | while read -r _ f; do
        [[ -f $repo/$f ]] || fail "$c Packages names missing $f"
        # No maintainer scripts but docker-ce's group-creating postinst: see the header.
        scripts=$(dpkg-deb --ctrl-tarfile "$repo/$f" | tar -t | grep -E '(pre|post)(inst|rm)$' || true)
        case "$f:$scripts" in
        *:) ;;
        */docker-ce_*:./postinst) ;;
        *) fail "$f has maintainer scripts: $scripts" ;;
        esac
    done
done
grep -qx 'Components: stable test' "$repo/dists/bookworm/Release" || fail "Release Components"

# apt accepts the repo (signed-by its armored key, as Docker's docs configure it).
apt_update_repo "$work" "$repo" "stable test"
candidate=$(apt-cache "${apt_tmp[@]}" policy docker-ce | awk '$1 == "Candidate:" { print $2 }')
[[ $candidate == 5:28.0.0~rc.1-1~debian.12~bookworm ]] \
    || fail "apt candidate for docker-ce from stable+test is '$candidate'"

echo "build-mirror: repo ready at $repo (key $fpr) in $(elapsed)s" >&2
