//! Docker's static binaries, for a Linux that neither Docker's repository nor the distribution
//! packages Docker for: the tgz unpacked into /usr/local/bin, a docker group, and a service
//! that starts dockerd (systemd or OpenRC; elsewhere dockerd is started directly).

use super::{LINUX_DOWNLOADS, Plan, PlanError, PlanOptions, Step, artifact, finish_linux};
use crate::facts::{Arch, InitSystem, LinuxFacts};
use crate::platform::{Catalog, Decision};

const BIN: &str = "/usr/local/bin";
const BINARIES: [&str; 8] = [
    "docker",
    "dockerd",
    "containerd",
    "containerd-shim-runc-v2",
    "ctr",
    "runc",
    "docker-init",
    "docker-proxy",
];

const SYSTEMD_UNIT: &str = "[Unit]
Description=Docker Application Container Engine (static binaries, installed by dockup)
Documentation=https://docs.docker.com
After=network-online.target firewalld.service
Wants=network-online.target

[Service]
Type=notify
ExecStart=/usr/local/bin/dockerd
ExecReload=/bin/kill -s HUP $MAINPID
TimeoutStartSec=0
Restart=on-failure
LimitNOFILE=infinity
LimitNPROC=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
";

const OPENRC_SCRIPT: &str = "#!/sbin/openrc-run
# Docker's static binaries, installed by dockup.
description=\"Docker Application Container Engine\"
command=/usr/local/bin/dockerd
command_background=true
pidfile=/run/docker.pid
output_log=/var/log/docker.log
error_log=/var/log/docker.log

depend() {
\tneed net
\tafter firewall
}
";

pub(super) fn plan(
    linux: &LinuxFacts,
    decision: &Decision,
    catalog: &Catalog,
    opts: &PlanOptions,
) -> Result<Plan, PlanError> {
    let key = match linux.arch() {
        Some(Arch::X86_64) => "docker-static-linux-x86_64",
        Some(Arch::Aarch64) => "docker-static-linux-aarch64",
        _ => {
            return Err(PlanError::Unsupported {
                reasons: vec!["Docker's static binaries exist for x86_64 and aarch64 only".into()],
            });
        }
    };
    let tgz = artifact(catalog, key)?;
    let archive = format!("{LINUX_DOWNLOADS}/{}", tgz.file);
    let mut plan = Plan::new();
    plan.push(Step::Download {
        artifact: tgz.clone(),
        dest: archive.clone(),
    });
    plan.push(Step::Extract {
        archive,
        members: BINARIES.iter().map(|b| format!("docker/{b}")).collect(),
        dest: BIN.into(),
    });
    // dockerd gives the socket to this group; packages create it, the tgz does not.
    plan.push(Step::CreateGroup {
        group: "docker".into(),
    });
    // An unknown distribution has no default init system to assume: only what is seen counts.
    let mut decision = decision.clone();
    decision.init = Some(linux.init.effective());
    match decision.init {
        Some(InitSystem::Systemd) => {
            plan.push(Step::WriteFile {
                path: "/etc/systemd/system/docker.service".into(),
                contents: SYSTEMD_UNIT.into(),
                mode: 0o644,
                why: "Add a systemd unit for dockerd".into(),
            });
            plan.push(Step::RunAfterChange {
                argv: vec!["systemctl".into(), "daemon-reload".into()],
                why: "Make systemd read the new unit".into(),
                file: "/etc/systemd/system/docker.service".into(),
                contents: SYSTEMD_UNIT.into(),
            });
        }
        Some(InitSystem::Openrc) => plan.push(Step::WriteFile {
            path: "/etc/init.d/docker".into(),
            contents: OPENRC_SCRIPT.into(),
            mode: 0o755,
            why: "Add an OpenRC service for dockerd".into(),
        }),
        // No service file dockup can vouch for: start dockerd itself, now only.
        _ => {
            decision.init = Some(InitSystem::None);
            plan.notes.push(
                "no systemd or OpenRC here: dockerd is started now, not at boot; start \
                 /usr/local/bin/dockerd from your init system to have it at boot"
                    .into(),
            );
        }
    }
    finish_linux(&mut plan, &decision, opts);
    plan.notes.push(format!(
        "these are Docker {}'s static binaries: no package manager updates them; rerun dockup \
         with a newer catalog, or switch to a package when your distribution has one",
        tgz.version
    ));
    Ok(plan)
}
