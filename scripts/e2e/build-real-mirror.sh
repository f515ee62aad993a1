#!/usr/bin/env bash
# Builds a local, signed apt repository laid out like https://download.docker.com/linux/debian
# (bookworm, channel "stable", amd64) whose packages carry a REAL Docker engine: Debian bookworm's
# own docker.io, containerd and runc, repacked under Docker's package names. End-to-end tests can
# then install "Docker" into a chroot, start dockerd and run a container, without Docker's servers.
#
#   scripts/e2e/build-real-mirror.sh DEST
#
# Serve DEST over HTTP (e.g. `python3 -m http.server --directory DEST`); the repo base is then
# http://HOST:PORT/linux/debian, exactly as https://download.docker.com/linux/debian is.
# Same layout as build-mirror.sh (whose packages are shell-script stand-ins):
#   DEST/linux/debian/gpg                     ASCII-armored public key
#   DEST/linux/debian/dists/bookworm/{Release,InRelease,Release.gpg}
#   DEST/linux/debian/dists/bookworm/stable/binary-amd64/Packages{,.gz}
#   DEST/linux/debian/dists/bookworm/pool/stable/amd64/*.deb
#   DEST/linux/debian/pool/stable             symlink to the above
#   DEST/fingerprint                          signing key fingerprint: 40 uppercase hex + newline
#   DEST/wrong-key.asc, DEST/wrong-fingerprint  an unrelated key, for "wrong key is rejected" tests
#   DEST/engine-version                       the docker-ce/docker-ce-cli version, e.g.
#                                             5:20.10.24-1~debian.12~bookworm
#   DEST/containerd-version                   the containerd.io version, e.g. 1.6.20-1
#
# Packages (repacked with dpkg-deb -R / --build from `apt-get download` of Debian's packages):
#   containerd.io   UPSTREAM-1         Debian's containerd + runc files (containerd.io ships runc
#                                      too); Depends: union of theirs; Conflicts/Replaces/Provides:
#                                      containerd, runc
#   docker-ce       5:UPSTREAM-1~debian.12~bookworm
#                                      docker.io's files minus the CLI (and its completions and
#                                      man1/man5 pages). dockerd and docker-proxy move from
#                                      /usr/sbin to /usr/bin, and /usr/bin/docker-init becomes a
#                                      copy of tini-static instead of a symlink to it, as in
#                                      docker-ce (so no Depends on tini); /etc/init.d/docker and
#                                      docker.service are adjusted to /usr/bin/dockerd.
#                                      Depends: docker.io's, with containerd/runc -> containerd.io,
#                                      tini dropped, plus docker-ce-cli.
#   docker-ce-cli   same version       /usr/bin/docker (+ completions, man1/man5 pages)
#   docker-buildx-plugin, docker-compose-plugin
#                                      shell-script stand-ins, as in build-mirror.sh
# Every package is built WITHOUT maintainer scripts (Debian's postinst runs `addgroup docker`,
# update-rc.d / invoke-rc.d docker start and deb-systemd-helper), so installing them in a chroot
# without an init system starts nothing; conffiles (/etc/init.d/docker, /etc/default/docker,
# /etc/containerd/config.toml) and unit files are kept. Consequences: there is no "docker" group
# (dockerd logs a warning and leaves /var/run/docker.sock root:root), and Pre-Depends
# (init-system-helpers, only needed by those scripts) and Recommends (git, apparmor,
# ca-certificates, needrestart, ... : slow to fetch, not needed) are dropped. The remaining
# Depends (iptables, libdevmapper1.02.1, ...) come from Debian's mirror, which the chroot's
# sources.list points at.
#
# Debian's .debs are cached in ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/debs (reused when
# present; delete them to refetch), and the repacked .debs in .../real-debs/KEY (KEY: a hash of
# this script, lib.sh, SOURCE_DATE_EPOCH and the cached Debian .debs' names). A cold run takes
# ~10 s plus the ~65 MB download, a cached one ~3 s. The signing keys are throwaway, fresh on
# every run.
set -euo pipefail

prog=build-real-mirror
start=$(date +%s.%N)
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "$0")/lib.sh"

dest_arg "$@"
[[ $(id -u) -eq 0 ]] || die "must run as root (dpkg-deb -R keeps file ownership; apt-get download)"
marker=.dockup-e2e-mirror
wipe_dest "$dest" "$marker" "dockup-e2e mirror"

need_tools apt-ftparchive:apt-utils gpg:gnupg gpgv:gpgv

gpg_workdir dockup-e2e-real-mirror

export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1727740800} # 2024-10-01T00:00:00Z
export TZ=UTC LC_ALL=C

repo=$dest/linux/debian
mkdir -p "$dest" "$repo"
touch "$dest/$marker"

# ---------------------------------------------------------------------------------------------
# Debian's packages (cached)
# ---------------------------------------------------------------------------------------------
cache_debs=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/debs
fetch_debs docker.io containerd runc tini
docker_io_deb=$(cached_deb "$cache_debs" docker.io)
containerd_deb=$(cached_deb "$cache_debs" containerd)
runc_deb=$(cached_deb "$cache_debs" runc)
tini_deb=$(cached_deb "$cache_debs" tini)

# upstream VERSION: 1.6.20~ds1-1+deb12u3 -> 1.6.20, 20.10.24+dfsg1-1+deb12u1+b6 -> 20.10.24
upstream() {
    local v=${1#*:}
    v=${v%-*}
    printf '%s' "${v%%[~+]*}"
}
engine_up=$(upstream "$(dpkg-deb -f "$docker_io_deb" Version)")
containerd_up=$(upstream "$(dpkg-deb -f "$containerd_deb" Version)")
[[ $engine_up =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "odd docker.io version '$engine_up'"
[[ $containerd_up =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "odd containerd version '$containerd_up'"
engine_v=5:$engine_up-1~debian.12~bookworm
containerd_v=$containerd_up-1
buildx_v=0.17.1-1~debian.12~bookworm
compose_v=2.29.7-1~debian.12~bookworm
echo "build-real-mirror: docker.io $engine_up -> docker-ce $engine_v; containerd $containerd_up -> containerd.io $containerd_v" >&2

# ---------------------------------------------------------------------------------------------
# Repacking helpers
# ---------------------------------------------------------------------------------------------
debs=$work/debs
mkdir -p "$debs" "$work/tree"

# deps_of DEB: the Depends entries of DEB, one per line.
deps_of() { dpkg-deb -f "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ *$//; /^$/d'; }

# join_deps DROP_REGEX < entries: drops entries whose package name matches DROP_REGEX and exact
# duplicates (first occurrence wins), and joins the rest with ", ".
join_deps() {
    awk -v drop="$1" '{ name = $1 } name ~ ("^(" drop ")$") { next } !seen[$0]++ { out = out (n++ ? ", " : "") $0 }
        END { print out }'
}

# move_out SRC_TREE DST_TREE PATH...: moves files (or symlinks) from one tree to the other.
move_out() {
    local src=$1 dst=$2 p
    shift 2
    for p in "$@"; do
        [[ -e $src$p || -L $src$p ]] || continue
        mkdir -p "$dst$(dirname "$p")"
        mv "$src$p" "$dst$p"
    done
}

# build_deb PACKAGE VERSION TREE CONTROL_FIELDS: strips maintainer scripts, regenerates
# DEBIAN/md5sums, writes DEBIAN/control and builds $debs/PACKAGE_VERSION-WITHOUT-EPOCH_amd64.deb.
build_deb() {
    local pkg=$1 version=$2 tree=$3 fields=$4
    local size
    mkdir -p "$tree/DEBIAN"
    # Nothing runs at install/remove time (see the header).
    rm -f "$tree"/DEBIAN/{preinst,postinst,prerm,postrm,config,templates,triggers}
    # Conffiles that moved to another package (or never existed) would make dpkg-deb fail.
    if [[ -f $tree/DEBIAN/conffiles ]]; then
        local c keep=()
        while read -r c; do
            [[ -n $c && -e $tree$c ]] && keep+=("$c")
        done <"$tree/DEBIAN/conffiles"
        if [[ ${#keep[@]} -gt 0 ]]; then printf '%s\n' "${keep[@]}" >"$tree/DEBIAN/conffiles"; else rm "$tree/DEBIAN/conffiles"; fi
    fi
    (cd "$tree" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0r md5sum) \
        >"$tree/DEBIAN/md5sums"
    [[ -s $tree/DEBIAN/md5sums ]] || rm "$tree/DEBIAN/md5sums"
    size=$(du -sk --exclude=DEBIAN "$tree" | cut -f1)
    {
        printf 'Package: %s\nVersion: %s\nArchitecture: amd64\n' "$pkg" "$version"
        printf 'Installed-Size: %s\nSection: admin\nPriority: optional\n' "$size"
        printf '%s\n' "$fields"
    } >"$tree/DEBIAN/control"
    # gzip -1: the trees are ~250 MB; xz (dpkg-deb's default) would take minutes on 2 cores.
    dpkg-deb --root-owner-group -Zgzip -z1 --build "$tree" "$debs/${pkg}_${version#*:}_amd64.deb" >/dev/null
}

# ---------------------------------------------------------------------------------------------
# containerd.io = containerd + runc
# ---------------------------------------------------------------------------------------------
make_containerd_io() {
    local tree_ctd containerd_deps
    tree_ctd=$work/tree/containerd.io
    dpkg-deb -R "$containerd_deb" "$tree_ctd"
    dpkg-deb -x "$runc_deb" "$tree_ctd"
    containerd_deps=$({ deps_of "$containerd_deb"; deps_of "$runc_deb"; } | join_deps 'containerd|runc')
    build_deb containerd.io "$containerd_v" "$tree_ctd" "Maintainer: Containerd team <help@containerd.io>
Depends: $containerd_deps
Conflicts: containerd, runc
Replaces: containerd, runc
Provides: containerd, runc
Homepage: https://containerd.io
Description: An open and reliable container runtime
 containerd is an industry-standard container runtime with an emphasis on
 simplicity, robustness and portability.
 .
 (dockup-e2e repack of Debian's containerd $(dpkg-deb -f "$containerd_deb" Version) and runc
 $(dpkg-deb -f "$runc_deb" Version); no maintainer scripts.)"
}


# ---------------------------------------------------------------------------------------------
# docker-ce + docker-ce-cli = docker.io
# ---------------------------------------------------------------------------------------------
make_docker_ce() {
    local tree_ce tree_cli b ce_deps cli_deps conflicts docker_io_v
    tree_ce=$work/tree/docker-ce
    tree_cli=$work/tree/docker-ce-cli
    dpkg-deb -R "$docker_io_deb" "$tree_ce"
    mkdir -p "$tree_cli"
    move_out "$tree_ce" "$tree_cli" /usr/bin/docker \
        /usr/share/bash-completion/completions/docker \
        /usr/share/zsh/vendor-completions/_docker \
        /usr/share/fish/vendor_completions.d/docker.fish \
        /usr/share/man/man1 /usr/share/man/man5
    [[ -x $tree_cli/usr/bin/docker ]] || die "docker.io has no /usr/bin/docker"
    mkdir -p "$tree_cli/usr/share/doc/docker-ce-cli"
    cp "$tree_ce/usr/share/doc/docker.io/copyright" "$tree_cli/usr/share/doc/docker-ce-cli/"
    rm -rf "$tree_ce/usr/share/lintian"
    # docker-ce's layout: dockerd, docker-proxy and docker-init in /usr/bin.
    for b in dockerd docker-proxy; do
        [[ -x $tree_ce/usr/sbin/$b ]] || die "docker.io has no /usr/sbin/$b"
        mv "$tree_ce/usr/sbin/$b" "$tree_ce/usr/bin/$b"
    done
    rmdir --ignore-fail-on-non-empty "$tree_ce/usr/sbin"
    sed -i 's|/usr/sbin/dockerd|/usr/bin/dockerd|g' "$tree_ce/etc/init.d/docker" "$tree_ce/lib/systemd/system/docker.service"
    grep -q '^DOCKERD=/usr/bin/dockerd$' "$tree_ce/etc/init.d/docker" || die "could not point /etc/init.d/docker at /usr/bin/dockerd"
    rm -f "$tree_ce/usr/bin/docker-init"
    dpkg-deb --fsys-tarfile "$tini_deb" | tar -xO ./usr/bin/tini-static >"$tree_ce/usr/bin/docker-init"
    chmod 0755 "$tree_ce/usr/bin/docker-init"
    [[ -s $tree_ce/usr/bin/docker-init ]] || die "tini has no /usr/bin/tini-static"

    # containerd (>= 1.4~) -> containerd.io (>= 1.4~); runc is inside containerd.io; tini is inlined.
    ce_deps=$(deps_of "$docker_io_deb" | sed -E 's/^containerd( |$)/containerd.io\1/' \
        | { cat; echo docker-ce-cli; } | join_deps 'runc|tini')
    cli_deps=$(deps_of "$docker_io_deb" | awk '$1 == "libc6"' | join_deps '')
    conflicts='docker (<< 1.5~), docker-engine, docker-engine-cs, docker.io, lxc-docker, lxc-docker-virtual-package'
    docker_io_v=$(dpkg-deb -f "$docker_io_deb" Version)

    build_deb docker-ce "$engine_v" "$tree_ce" "Maintainer: Docker <support@docker.com>
Depends: $ce_deps
Conflicts: $conflicts
Replaces: docker-engine
Homepage: https://www.docker.com
Description: Docker: the open-source application container engine
 Docker is a product for you to build, ship and run any application as a
 lightweight container.
 .
 (dockup-e2e repack of Debian's docker.io $docker_io_v without the CLI; no maintainer scripts.)"

    build_deb docker-ce-cli "$engine_v" "$tree_cli" "Maintainer: Docker <support@docker.com>
Depends: $cli_deps
Conflicts: $conflicts
Breaks: docker-ce (<< 5:0)
Replaces: docker-ce (<< 5:0), docker-engine, docker-engine-cs
Homepage: https://www.docker.com
Description: Docker CLI: the open-source application container engine
 Docker is a product for you to build, ship and run any application as a
 lightweight container.
 .
 (dockup-e2e repack of the CLI from Debian's docker.io $docker_io_v.)"
}


# ---------------------------------------------------------------------------------------------
# Plugin stand-ins (as in build-mirror.sh)
# ---------------------------------------------------------------------------------------------
# make_plugin PACKAGE VERSION NAME "VERSION-LINE-PREFIX" DESCRIPTION
make_plugin() {
    local pkg=$1 version=$2 name=$3 prefix=$4 description=$5 up tree
    up=$(upstream "$version")
    tree=$work/tree/$pkg
    mkdir -p "$tree/usr/libexec/docker/cli-plugins"
    plugin_script "$pkg" "$name" "$prefix" "$description" \
        | sed "s/@VERSION@/$up/g" >"$tree/usr/libexec/docker/cli-plugins/docker-$name"
    chmod 0755 "$tree/usr/libexec/docker/cli-plugins/docker-$name"
    find "$tree" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    build_deb "$pkg" "$version" "$tree" "Maintainer: Docker <support@docker.com>
Enhances: docker-ce-cli
Homepage: https://github.com/docker/$name
Description: Docker $name plugin (dockup-e2e stand-in)
 (dockup-e2e stand-in package: ships a shell script, not the real plugin.)"
}

# ---------------------------------------------------------------------------------------------
# Build, or reuse the .debs an earlier run built from the same inputs
# ---------------------------------------------------------------------------------------------
# The repacked .debs depend only on Debian's .debs, this script (and lib.sh's plugin_script) and
# SOURCE_DATE_EPOCH, so they are cached next to the downloads, in DOCKUP_E2E_CACHE/real-debs/KEY
# (older KEYs are pruned); this saves ~10 s of extracting and recompressing ~250 MB per run.
built_root=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/real-debs
build_key=$({
    cat "${BASH_SOURCE[0]}" "$(dirname "${BASH_SOURCE[0]}")/lib.sh" | md5sum
    printf '%s\n' "$SOURCE_DATE_EPOCH" "$docker_io_deb" "$containerd_deb" "$runc_deb" "$tini_deb"
} | md5sum | cut -c1-16)
built=$built_root/$build_key
if [[ -f $built/.complete ]]; then
    echo "build-real-mirror: reusing the packages built earlier in $built" >&2
    # Copies, not hard links: a test that corrupts a mirror file in place must not corrupt the cache.
    cp --reflink=auto "$built"/*.deb "$debs/"
else
    make_containerd_io
    make_docker_ce
    make_plugin docker-buildx-plugin "$buildx_v" buildx github.com/docker/buildx "Docker Buildx"
    make_plugin docker-compose-plugin "$compose_v" compose "Docker Compose version" "Docker Compose"
    # Save them; a temporary name and a rename, so a half-written cache is never reused.
    mkdir -p "$built_root"
    find "$built_root" -mindepth 1 -maxdepth 1 -regextype posix-extended -regex '.*/[0-9a-f]{16}' \
        ! -name "$build_key" -exec rm -rf -- {} +
    mkdir -p "$built_root/.tmp.$$"
    cp --reflink=auto "$debs"/*.deb "$built_root/.tmp.$$/"
    touch "$built_root/.tmp.$$/.complete"
    mv -T "$built_root/.tmp.$$" "$built" 2>/dev/null || rm -rf -- "$built_root/.tmp.$$"
fi

# ---------------------------------------------------------------------------------------------
# Keys, pool, indexes and signed Release (as in build-mirror.sh, "stable" only)
# ---------------------------------------------------------------------------------------------
make_keys "$repo/gpg" "$dest"
printf '%s\n' "$engine_v" >"$dest/engine-version"
printf '%s\n' "$containerd_v" >"$dest/containerd-version"

pool=$repo/dists/bookworm/pool
mkdir -p "$pool/stable/amd64" "$repo/pool"
mv "$debs"/*.deb "$pool/stable/amd64/"
ln -s ../dists/bookworm/pool/stable "$repo/pool/stable"

apt_release "$repo" "$work" "$fpr" stable \
    "dockup e2e repack of Debian's Docker engine, laid out like download.docker.com/linux/debian"

# ---------------------------------------------------------------------------------------------
# Verify
# ---------------------------------------------------------------------------------------------
verify_release "$repo" "$work"

packages=$repo/dists/bookworm/stable/binary-amd64/Packages
expect() { # expect PACKAGE VERSION
    awk -v p="$1" -v v="$2" '$0 == "Package: " p { inpkg = 1 } /^$/ { inpkg = 0 }
        inpkg && $0 == "Version: " v { found = 1 } END { exit !found }' "$packages" \
        || fail "stable lacks $1 $2"
}
expect docker-ce "$engine_v"
expect docker-ce-cli "$engine_v"
expect containerd.io "$containerd_v"
expect docker-buildx-plugin "$buildx_v"
expect docker-compose-plugin "$compose_v"
cmp -s "$packages" <(gzip -dc "$packages.gz") || fail "Packages.gz differs"
grep '^Filename: ' "$packages" | while read -r _ f; do
    [[ -f $repo/$f ]] || fail "Packages names missing $f"
    if dpkg-deb --ctrl-tarfile "$repo/$f" | tar -t | grep -Eq '(pre|post)(inst|rm)$'; then
        fail "$f has maintainer scripts"
    fi
done
# contents PACKAGE: the package's file list (./usr/bin/docker, ...).
contents() { dpkg-deb --fsys-tarfile "$pool/stable/amd64/$1" | tar -t; }
ce=$(contents "docker-ce_${engine_v#*:}_amd64.deb")
cli=$(contents "docker-ce-cli_${engine_v#*:}_amd64.deb")
ctd=$(contents "containerd.io_${containerd_v}_amd64.deb")
grep -qx './usr/bin/dockerd' <<<"$ce" || fail "docker-ce lacks /usr/bin/dockerd"
grep -qx './etc/init.d/docker' <<<"$ce" || fail "docker-ce lacks /etc/init.d/docker"
grep -qx './lib/systemd/system/docker.service' <<<"$ce" || fail "docker-ce lacks docker.service"
if grep -qx './usr/bin/docker' <<<"$ce"; then fail "docker-ce ships /usr/bin/docker"; fi
grep -qx './usr/bin/docker' <<<"$cli" || fail "docker-ce-cli lacks /usr/bin/docker"
for f in ./usr/bin/containerd ./usr/bin/containerd-shim-runc-v2 ./usr/sbin/runc; do
    grep -qx "$f" <<<"$ctd" || fail "containerd.io lacks $f"
done

# apt accepts the repo with the armored key as signed-by.
apt_update_repo "$work" "$repo" stable
candidate=$(apt-cache "${apt_tmp[@]}" policy docker-ce | awk '$1 == "Candidate:" { print $2 }')
[[ $candidate == "$engine_v" ]] || fail "apt candidate for docker-ce is '$candidate'"

echo "build-real-mirror: repo ready at $repo (key $fpr, docker-ce $engine_v) in $(elapsed)s" >&2
