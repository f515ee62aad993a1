#!/usr/bin/env bash
# The Ansible side of the e2e tests (tests/e2e_ansible.rs): ansible-core in a virtualenv cached
# under the e2e cache, and ansible-playbook run from it with the repository's ansible/ setup.
#
#   scripts/e2e/check-ansible.sh                      # make sure the venv exists; print its path
#   scripts/e2e/check-ansible.sh ARGS...              # ansible-playbook ARGS... from the venv
#   scripts/e2e/check-ansible.sh -i hosts.ini ansible/site.yml -e dockup_binary_src=target/release/dockup
#
# The venv is ${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}/ansible-venv: created on first use
# (`python3 -m venv`, then `pip install` of ${DOCKUP_E2E_ANSIBLE:-ansible-core>=2.15,<2.20} from
# PyPI, ~10 s) and reused afterwards. It is rebuilt when it is broken (its python went away) or
# was made for another DOCKUP_E2E_ANSIBLE. DOCKUP_E2E_PYTHON picks the python (default python3);
# where it lacks the venv module, python3-venv is installed with apt-get (as root).
#
# ansible-playbook runs with ansible/ansible.cfg, the roles in ansible/roles, a UTF-8 locale (it
# refuses others) and no colour. The caller's ANSIBLE_* variables win over these.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=check-ansible
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

cache_dir=${DOCKUP_E2E_CACHE:-/var/cache/dockup-e2e}
venv=$cache_dir/ansible-venv
spec=${DOCKUP_E2E_ANSIBLE:-ansible-core>=2.15,<2.20}
python=${DOCKUP_E2E_PYTHON:-python3}
ready=$venv/.dockup-e2e-ready

venv_ok() {
    [[ -f $ready && $(cat "$ready") == "$spec" ]] \
        && "$venv/bin/python" -c 'import ansible.release' >/dev/null 2>&1 \
        && [[ -x $venv/bin/ansible-playbook ]]
}

need_venv_module() {
    command -v "$python" >/dev/null 2>&1 || die "no $python: install python3 (or set DOCKUP_E2E_PYTHON)"
    "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 && return 0
    # Debian and Ubuntu ship venv's ensurepip separately.
    [[ $(id -u) -eq 0 ]] || die "$python cannot create a venv: install python3-venv"
    echo "$prog: installing python3-venv" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-venv >&2 \
        || { apt-get update >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y \
                --no-install-recommends python3-venv >&2; }
    "$python" -c 'import ensurepip, venv' >/dev/null 2>&1 \
        || die "$python still cannot create a venv (is it Debian's python3?)"
}

build_venv() {
    need_venv_module
    local start
    start=$(date +%s.%N)
    echo "$prog: creating $venv with $spec" >&2
    rm -rf --one-file-system -- "$venv"
    "$python" -m venv "$venv" >&2
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$spec" >&2 \
        || die "pip install $spec failed"
    # Only a complete venv is marked ready: an interrupted build is redone next time.
    printf '%s\n' "$spec" >"$ready"
    local version
    version=$("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)') \
        || die "the new venv has no working ansible"
    echo "$prog: ansible-core $version ready in $(since "$start")s" >&2
}

mkdir -p "$cache_dir"
# Two runs never build the venv at the same time.
exec 9>"$cache_dir/ansible-venv.lock"
flock 9
venv_ok || build_venv
flock -u 9
exec 9>&-

if [[ $# -eq 0 ]]; then
    printf '%s\n' "$venv"
    exit 0
fi

export LANG=C.UTF-8 LC_ALL=C.UTF-8
export ANSIBLE_CONFIG=${ANSIBLE_CONFIG:-$repo/ansible/ansible.cfg}
export ANSIBLE_ROLES_PATH=${ANSIBLE_ROLES_PATH:-$repo/ansible/roles}
export ANSIBLE_NOCOLOR=${ANSIBLE_NOCOLOR:-1}
export ANSIBLE_RETRY_FILES_ENABLED=${ANSIBLE_RETRY_FILES_ENABLED:-0}
exec "$venv/bin/ansible-playbook" "$@"
