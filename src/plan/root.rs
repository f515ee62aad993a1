//! Installing into another root tree (a golden image, a chroot being prepared) rather than the
//! running system: every command is pointed at the tree the way its tool expects.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallRoot {
    /// The tree, as a host path without a trailing slash.
    pub dir: String,
    /// dnf reads $releasever from the root's release package, which an empty root lacks.
    pub releasever: Option<String>,
}

impl InstallRoot {
    pub fn new(dir: &str, releasever: Option<String>) -> InstallRoot {
        let dir = dir.trim_end_matches('/');
        InstallRoot {
            dir: if dir.is_empty() {
                "/".into()
            } else {
                dir.into()
            },
            releasever,
        }
    }

    /// Where a path inside the tree is on the host.
    pub fn host_path(&self, inner: &str) -> String {
        format!("{}/{}", self.dir, inner.trim_start_matches('/'))
    }

    /// The same command, aimed at the tree: `dnf --installroot=DIR`, `rpm --root DIR`,
    /// `zypper --root DIR`, and `chroot DIR ...` for apt, whose maintainer scripts must run
    /// inside the tree.
    pub fn wrap(&self, argv: &[String]) -> Vec<String> {
        // `env VAR=value ... program args`: the program is the first word that is no assignment.
        let skip = if argv.first().is_some_and(|a| a == "env") {
            1 + argv[1..].iter().take_while(|a| a.contains('=')).count()
        } else {
            0
        };
        let Some(program) = argv.get(skip) else {
            return argv.to_vec();
        };
        let (head, tail) = argv.split_at(skip + 1);
        let with_options = |options: Vec<String>| {
            let mut out = head.to_vec();
            out.extend(options);
            out.extend(tail.iter().cloned());
            out
        };
        match program.as_str() {
            "dnf" | "dnf5" | "yum" | "tdnf" => {
                let mut options = vec![format!("--installroot={}", self.dir)];
                if let Some(v) = &self.releasever {
                    options.push(format!("--releasever={v}"));
                }
                with_options(options)
            }
            "rpm" | "zypper" => with_options(vec!["--root".into(), self.dir.clone()]),
            "apk" | "pacman" => with_options(vec!["--root".into(), self.dir.clone()]),
            "xbps-install" | "xbps-remove" => with_options(vec!["-r".into(), self.dir.clone()]),
            _ => {
                let mut out = vec!["chroot".to_string(), self.dir.clone()];
                out.extend(argv.iter().cloned());
                out
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn each_tool_the_way_it_takes_a_root() {
        let root = InstallRoot::new("/srv/img/", Some("9".into()));
        assert_eq!(
            root.wrap(&argv("dnf install -y docker-ce")).join(" "),
            "dnf --installroot=/srv/img --releasever=9 install -y docker-ce"
        );
        assert_eq!(
            root.wrap(&argv("rpm --import /srv/img/etc/pki/rpm-gpg/docker-ce.asc"))
                .join(" "),
            "rpm --root /srv/img --import /srv/img/etc/pki/rpm-gpg/docker-ce.asc"
        );
        assert_eq!(
            root.wrap(&argv(
                "env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-ce"
            ))
            .join(" "),
            "chroot /srv/img env DEBIAN_FRONTEND=noninteractive apt-get install -y docker-ce"
        );
        assert_eq!(
            root.wrap(&argv("zypper --non-interactive install docker"))
                .join(" "),
            "zypper --root /srv/img --non-interactive install docker"
        );
        assert_eq!(
            root.host_path("/etc/apt/keyrings/docker.asc"),
            "/srv/img/etc/apt/keyrings/docker.asc"
        );
    }
}
