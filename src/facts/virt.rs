//! Whether the machine is a container, a VM, or WSL: each changes what installing Docker means.

use serde::{Deserialize, Serialize};

use super::HostRoot;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Virtualization {
    /// `docker`, `podman`, `lxc`, `openvz`, ... when dockup runs inside a container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// The hypervisor's vendor when the machine is a VM.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hypervisor: Option<String>,
    /// 1 or 2 when this is Windows Subsystem for Linux.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wsl: Option<u8>,
}

pub(super) fn gather(root: &HostRoot, kernel_release: Option<&str>) -> Virtualization {
    Virtualization {
        container: container(root),
        hypervisor: hypervisor(root),
        wsl: kernel_release.and_then(wsl_generation),
    }
}

/// WSL kernels say so in their release: `4.4.0-19041-Microsoft` (WSL 1) and
/// `5.15.153.1-microsoft-standard-WSL2` (WSL 2).
fn wsl_generation(release: &str) -> Option<u8> {
    let lower = release.to_ascii_lowercase();
    if !lower.contains("microsoft") {
        return None;
    }
    Some(
        if lower.contains("wsl2") || lower.contains("microsoft-standard") {
            2
        } else {
            1
        },
    )
}

fn container(root: &HostRoot) -> Option<String> {
    if root.exists(".dockerenv") {
        return Some("docker".into());
    }
    if root.exists("run/.containerenv") {
        return Some("podman".into());
    }
    if let Ok(Some(environ)) = root.read_bytes("proc/1/environ", 1 << 16) {
        for var in environ.split(|b| *b == 0) {
            if let Some(value) = var.strip_prefix(b"container=") {
                return Some(String::from_utf8_lossy(value).into_owned());
            }
        }
    }
    if root.exists("proc/vz") && !root.exists("proc/bc") {
        return Some("openvz".into());
    }
    None
}

fn hypervisor(root: &HostRoot) -> Option<String> {
    let read = |p: &str| {
        root.read_text(p, 4096)
            .ok()
            .flatten()
            .map(|s| s.trim().to_string())
    };
    if let Some(kind) = read("sys/hypervisor/type").filter(|s| !s.is_empty()) {
        return Some(kind);
    }
    let vendor = read("sys/class/dmi/id/sys_vendor").unwrap_or_default();
    let product = read("sys/class/dmi/id/product_name").unwrap_or_default();
    let known = [
        ("QEMU", "qemu"),
        ("KVM", "kvm"),
        ("VMware", "vmware"),
        ("innotek", "virtualbox"),
        ("VirtualBox", "virtualbox"),
        ("Xen", "xen"),
        ("Amazon EC2", "amazon"),
        ("Google", "google"),
        ("Parallels", "parallels"),
    ];
    for (needle, name) in known {
        if vendor.contains(needle) || product.contains(needle) {
            return Some(name.into());
        }
    }
    if vendor.contains("Microsoft") && product.contains("Virtual Machine") {
        return Some("hyperv".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wsl_kernels() {
        assert_eq!(wsl_generation("4.4.0-19041-Microsoft"), Some(1));
        assert_eq!(
            wsl_generation("5.15.153.1-microsoft-standard-WSL2"),
            Some(2)
        );
        assert_eq!(wsl_generation("6.1.0-18-amd64"), None);
    }
}
