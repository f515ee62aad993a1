#!/usr/bin/python
# -*- coding: utf-8 -*-
# dockup: install Docker with dockup from Ansible.
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: dockup
short_description: Install or remove Docker with dockup
description:
  - Runs C(dockup install --json -y) on the target (or C(dockup uninstall --json -y) with
    O(state=absent)), reads dockup's newline-delimited JSON events and reports what it did.
  - C(changed) comes from dockup's own C(result) event, so a rerun on a host where Docker is
    already installed as asked reports C(changed=false) (dockup checks every step before it runs).
  - On failure the task fails with dockup's error message, its exit code (RV(rc)) and the meaning
    of that code.
  - In check mode the module runs C(dockup install --dry-run --json) (or C(uninstall --dry-run))
    and returns the plan without changing anything. dockup's dry run runs the same read-only
    checks a real run starts with and marks each step C(already_done) where nothing is left to do,
    so C(changed) is C(true) only when some step (other than the final check that Docker answers)
    would run. A dockup whose plan has no C(already_done) marks makes every planned step count.
  - The dockup binary must already be on the target (the C(dockup) role copies it there).
version_added: "0.1.0"
author:
  - dockup contributors
options:
  state:
    description:
      - V(present) installs Docker (C(dockup install)), V(absent) removes it (C(dockup uninstall)).
    type: str
    choices: [present, absent]
    default: present
  binary:
    description: Path of the dockup binary on the target.
    type: path
    default: /usr/local/bin/dockup
  channel:
    description: Docker's release channel (C(--channel)).
    type: str
    choices: [stable, test]
  version:
    description:
      - Exactly this Docker version (C(--version)). V(27.3) means the newest 27.3.x.
    type: str
  mirror:
    description:
      - A base URL laid out like https://download.docker.com, or a well-known mirror's name
        (V(aliyun), V(azure-china), V(tencent), V(huawei), V(tuna), V(ustc), V(nju)) (C(--mirror)).
    type: str
  key_fingerprint:
    description:
      - Trust this signing key instead of Docker's, for mirrors that re-sign (C(--key-fingerprint)).
    type: str
  registry_mirrors:
    description:
      - Registry mirrors merged into C(/etc/docker/daemon.json) C(registry-mirrors)
        (one C(--registry-mirror) each).
    type: list
    elements: str
    default: []
  proxy:
    description: Proxy for dockup's downloads and the package manager (C(--proxy)).
    type: str
  persist_proxy:
    description: Keep using the proxy afterwards, for the package manager and the daemon (C(--persist-proxy)).
    type: bool
    default: false
  add_user:
    description: Add this user to the docker group (C(--add-user)).
    type: str
  no_start:
    description: Install without starting or enabling the daemon (C(--no-start)).
    type: bool
    default: false
  strategy:
    description: Use another strategy where it is possible (C(--strategy)), e.g. V(distro).
    type: str
  root:
    description:
      - Install into the tree at this directory instead of the target's C(/) (C(--root DIR)), such as
        a chroot or an image being prepared. apt then runs through C(chroot DIR), dnf with
        C(--installroot), and nothing is started.
      - With O(state=absent), Docker is taken out of that tree the same way.
    type: path
  purge:
    description:
      - With O(state=absent), also delete C(/var/lib/docker) and C(/var/lib/containerd), that
        is every image, container and volume (C(--purge)).
    type: bool
    default: false
  log:
    description: dockup's log file on the target (C(--log)); dockup's default is C(/var/log/dockup/dockup.log).
    type: path
  extra_args:
    description: More arguments for dockup, appended after the ones above.
    type: list
    elements: str
    default: []
notes:
  - Needs root on the target (use C(become)); dockup names every step that needs root otherwise.
  - Supports check mode (see the description for how C(changed) is approximated there).
  - dockup's exit codes are 0 success, 1 a step or check failed, 2 the command line was wrong,
    3 no way to install Docker on this machine (or not with the strategy asked for),
    4 the facts given could not be read, 5 a confirmation was declined.
"""

EXAMPLES = r"""
- name: Install Docker from Docker's repository
  dockup:

- name: Install Docker 27.3 through a mirror, with a registry mirror, for the deploy user
  dockup:
    version: "27.3"
    mirror: aliyun
    registry_mirrors:
      - https://mirror.gcr.io
    add_user: deploy

- name: Prepare a chroot (golden image) without starting anything
  dockup:
    root: /srv/images/bookworm
    no_start: true

- name: Remove Docker, keeping images and volumes
  dockup:
    state: absent

- name: Install, and show the steps dockup ran
  dockup:
  register: dockup_result
- ansible.builtin.debug:
    var: dockup_result.steps
"""

RETURN = r"""
msg:
  description: dockup's final message (or its error when the task failed).
  returned: always
  type: str
  sample: Docker is installed (6 steps run)
rc:
  description: dockup's exit code.
  returned: when dockup ran
  type: int
  sample: 0
exit_meaning:
  description: What the exit code means (dockup's README).
  returned: always
  type: str
  sample: success
cmd:
  description: The command that ran.
  returned: always
  type: list
  elements: str
plan:
  description:
    - The plan dockup made (the C(plan) event, or the whole output of C(--dry-run --json)), with
      C(strategy), C(repo), C(os), C(reasons), C(warnings), C(steps), C(notes).
    - Left out when the task fails (the fatal line stays readable); dockup's log has it.
  returned: when dockup got as far as a plan, and did not fail
  type: dict
steps:
  description:
    - One entry per step that started or was skipped, in order, with C(index), C(total),
      C(title), C(status) (V(done), V(skipped), or V(started) for a step that did not finish)
      and C(detail) (done) or C(why) (skipped).
    - In check mode, the planned steps with C(status=planned) and their C(commands).
  returned: always
  type: list
  elements: dict
notes:
  description: dockup's C(note) messages, and the plan's notes.
  returned: always
  type: list
  elements: str
result:
  description: dockup's final C(result) event (C(ok), C(changed), C(message) or C(error)).
  returned: when dockup printed one
  type: dict
  sample: {"event": "result", "ok": true, "changed": true, "message": "Docker is installed (6 steps run)"}
stderr:
  description: dockup's standard error (human-readable error and help lines).
  returned: always
  type: str
stdout_other:
  description: Lines of standard output that were not JSON, if any.
  returned: always
  type: list
  elements: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

try:
    from ansible.module_utils.common.locale import get_best_parsable_locale
except ImportError:  # ansible-core before 2.12

    def get_best_parsable_locale(module):
        return "C"

EXIT_MEANINGS = {
    0: "success",
    1: "a step or check failed",
    2: "the command line was wrong",
    3: "dockup has no way to install Docker on this machine, or not with the strategy asked for",
    4: "the facts given (--root) could not be read or lack a field the decision needs",
    5: "a confirmation was declined",
}


def exit_meaning(rc):
    if rc in EXIT_MEANINGS:
        return EXIT_MEANINGS[rc]
    if rc is not None and rc < 0:
        return "dockup was killed by signal %d" % -rc
    return "unknown exit code %s" % rc


def build_args(p, check_mode):
    """The dockup command line for the module's parameters."""
    cmd = [p["binary"]]
    if p["state"] == "present":
        cmd.append("install")
        cmd.extend(["--dry-run", "--json"] if check_mode else ["--json", "-y", "--non-interactive"])
        for flag, key in (
            ("--channel", "channel"),
            ("--version", "version"),
            ("--mirror", "mirror"),
            ("--key-fingerprint", "key_fingerprint"),
            ("--proxy", "proxy"),
            ("--add-user", "add_user"),
            ("--strategy", "strategy"),
        ):
            if p[key] not in (None, ""):
                cmd.extend([flag, p[key]])
        for m in p["registry_mirrors"] or []:
            cmd.extend(["--registry-mirror", m])
        if p["persist_proxy"]:
            cmd.append("--persist-proxy")
        if p["no_start"]:
            cmd.append("--no-start")
    else:
        cmd.append("uninstall")
        cmd.extend(["--dry-run", "--json"] if check_mode else ["--json", "-y"])
        if p["purge"]:
            cmd.append("--purge")
    if p["root"]:
        cmd.extend(["--root", p["root"]])
    if p["log"] and not check_mode:
        cmd.extend(["--log", p["log"]])
    cmd.extend(p["extra_args"] or [])
    return cmd


def parse_events(stdout):
    """dockup --json prints one JSON object per line; anything else is kept aside."""
    events, other = [], []
    for line in stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except ValueError:
            other.append(line)
            continue
        if isinstance(value, dict) and "event" in value:
            events.append(value)
        else:
            other.append(line)
    return events, other


def summarize(events):
    """The plan, the steps (by index, last event wins), the notes and the result event."""
    plan, result, notes = None, None, []
    steps = {}
    for e in events:
        kind = e.get("event")
        if kind == "plan":
            plan = e.get("plan")
        elif kind in ("step_started", "step_done", "step_skipped"):
            step = steps.setdefault(e.get("index"), {"index": e.get("index")})
            step["total"] = e.get("total")
            step["title"] = e.get("title")
            if kind == "step_started":
                step["status"] = "started"
            elif kind == "step_done":
                step["status"] = "done"
                step["detail"] = e.get("detail")
            else:
                step["status"] = "skipped"
                step["why"] = e.get("why")
        elif kind == "note":
            notes.append(e.get("message"))
        elif kind == "result":
            result = e
    ordered = [steps[k] for k in sorted(steps, key=lambda i: (i is None, i))]
    if plan:
        notes.extend(n for n in plan.get("notes") or [] if n not in notes)
    return plan, ordered, notes, result


def stderr_message(stderr):
    """dockup's `error: ...` line (and its help lines) from standard error."""
    lines = [x.rstrip() for x in stderr.splitlines() if x.strip()]
    for i, line in enumerate(lines):
        if line.startswith("error:"):
            rest = [x.strip() for x in lines[i + 1:]]
            return "\n".join([line[len("error:"):].strip()] + rest)
    return "\n".join(lines[-5:])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="present", choices=["present", "absent"]),
            binary=dict(type="path", default="/usr/local/bin/dockup"),
            channel=dict(type="str", choices=["stable", "test"]),
            version=dict(type="str"),
            mirror=dict(type="str"),
            key_fingerprint=dict(type="str"),
            registry_mirrors=dict(type="list", elements="str", default=[]),
            proxy=dict(type="str"),
            persist_proxy=dict(type="bool", default=False),
            add_user=dict(type="str"),
            no_start=dict(type="bool", default=False),
            strategy=dict(type="str"),
            root=dict(type="path"),
            purge=dict(type="bool", default=False),
            log=dict(type="path"),
            extra_args=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    p = module.params
    cmd = build_args(p, module.check_mode)
    base = dict(cmd=cmd, steps=[], notes=[], stderr="", stdout_other=[])

    if not os.path.exists(p["binary"]):
        if module.check_mode:
            # The role's copy of the binary does not happen in check mode either.
            module.exit_json(
                changed=True,
                msg="dockup is not at %s yet (it would be installed first): no plan to show"
                % p["binary"],
                exit_meaning="not run",
                **base
            )
        module.fail_json(msg="the dockup binary %s does not exist" % p["binary"],
                         exit_meaning="not run", **base)

    # The package managers dockup runs answer in English (as the apt module does it), and
    # nothing is coloured.
    lang = get_best_parsable_locale(module)
    env = dict(LANG=lang, LC_ALL=lang, LC_MESSAGES=lang, LC_CTYPE=lang, LANGUAGE=lang)
    env["NO_COLOR"] = "1"
    rc, stdout, stderr = module.run_command(cmd, environ_update=env)
    base.update(rc=rc, exit_meaning=exit_meaning(rc), stderr=stderr)

    if module.check_mode and rc == 0:
        # --dry-run --json prints the plan as one (pretty-printed) JSON object.
        try:
            plan = json.loads(stdout)
        except ValueError as e:
            module.fail_json(msg="cannot read dockup's plan: %s" % e, stdout=stdout, **base)
        planned = plan.get("steps") or []
        steps = [
            {
                "index": i + 1,
                "total": len(planned),
                "title": s.get("title"),
                "status": "done" if s.get("already_done") else "planned",
                "why": s.get("already_done"),
                "commands": s.get("commands"),
            }
            for i, s in enumerate(planned)
        ]
        # The closing check that Docker answers changes nothing.
        pending = [
            s for s, p in zip(steps, planned)
            if s["status"] == "planned" and p.get("kind") != "verify"
        ]
        base.update(steps=steps, notes=list(plan.get("notes") or []))
        module.exit_json(
            changed=bool(pending),
            msg="check mode: dockup would run %d of %d step(s) (%s, %s)"
            % (len(pending), len(planned), plan.get("strategy"), plan.get("os")),
            plan=plan,
            **base
        )

    events, other = parse_events(stdout)
    plan, steps, notes, result = summarize(events)
    base.update(steps=steps, notes=notes, stdout_other=other)
    if result is not None:
        base["result"] = result

    if rc == 0 and (result is None or result.get("ok")):
        if plan is not None:
            base["plan"] = plan
        changed = bool(result.get("changed")) if result is not None else False
        msg = result.get("message") if result is not None else "dockup succeeded"
        module.exit_json(changed=changed, msg=msg, **base)

    if result is not None and result.get("error"):
        error = result["error"]
    else:
        error = stderr_message(stderr) or "no error message"
    # The help lines on stderr (which flag to use, where the log is) belong in the message.
    helps = [x.strip()[len("help:"):].strip() for x in stderr.splitlines()
             if x.strip().startswith("help:")]
    msg = "dockup %s failed (exit %s, %s): %s" % (cmd[1], rc, exit_meaning(rc), error)
    for h in helps:
        if h not in msg:
            msg += "\nhelp: %s" % h
    module.fail_json(msg=msg, **base)


if __name__ == "__main__":
    main()
