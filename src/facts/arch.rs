//! CPU architectures under the names each ecosystem uses for them. The kernel's name
//! (`uname -m`) is not always the userland's: a 32-bit Raspberry Pi OS boots a 64-bit kernel, and
//! apt must be told `armhf`, not `arm64`. So the userland's architecture is read from an ELF header
//! inside the root, and the kernel's is only the fallback.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
    /// 32-bit ARM with hardware floating point (armv6l/armv7l/armv8l userlands).
    Armhf,
    /// 32-bit x86.
    I686,
    Ppc64le,
    S390x,
    Other(String),
}

impl Arch {
    /// Accepts the names the kernel, Windows and package managers use.
    pub fn from_kernel_name(name: &str) -> Arch {
        match name.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Arch::X86_64,
            "aarch64" | "arm64" | "armv8b" => Arch::Aarch64,
            "armv6l" | "armv7l" | "armv8l" | "armhf" | "arm" | "armv7hl" | "armhfp" => Arch::Armhf,
            "i386" | "i486" | "i586" | "i686" | "x86" => Arch::I686,
            "ppc64le" | "ppc64el" => Arch::Ppc64le,
            "s390x" => Arch::S390x,
            other => Arch::Other(other.to_string()),
        }
    }

    /// The name Docker's catalog and `uname -m` use.
    pub fn name(&self) -> &str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
            Arch::Armhf => "armhf",
            Arch::I686 => "i686",
            Arch::Ppc64le => "ppc64le",
            Arch::S390x => "s390x",
            Arch::Other(s) => s,
        }
    }

    /// dpkg's architecture name, as `arch=` in an apt source line wants it.
    pub fn dpkg(&self) -> &str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
            Arch::Armhf => "armhf",
            Arch::I686 => "i386",
            Arch::Ppc64le => "ppc64el",
            Arch::S390x => "s390x",
            Arch::Other(s) => s,
        }
    }

    pub fn is_64bit(&self) -> bool {
        matches!(
            self,
            Arch::X86_64 | Arch::Aarch64 | Arch::Ppc64le | Arch::S390x
        )
    }

    /// The architecture an ELF binary was built for, from its first 20 bytes.
    pub fn from_elf_header(header: &[u8]) -> Option<Arch> {
        if header.len() < 20 || &header[..4] != b"\x7fELF" {
            return None;
        }
        let is_64 = header[4] == 2;
        let little_endian = header[5] == 1;
        let machine = if little_endian {
            u16::from_le_bytes([header[18], header[19]])
        } else {
            u16::from_be_bytes([header[18], header[19]])
        };
        Some(match (machine, is_64) {
            (0x3E, true) => Arch::X86_64,
            (0x03, false) => Arch::I686,
            (0xB7, true) => Arch::Aarch64,
            (0x28, false) => Arch::Armhf,
            (0x15, true) if little_endian => Arch::Ppc64le,
            (0x16, true) => Arch::S390x,
            (0xF3, true) => Arch::Other("riscv64".into()),
            (m, _) => Arch::Other(format!("elf-machine-{m:#x}")),
        })
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Arch {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Arch {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Arch::from_kernel_name(&name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in ["x86_64", "aarch64", "armhf", "i686", "ppc64le", "s390x"] {
            assert_eq!(Arch::from_kernel_name(a).name(), a);
        }
        assert_eq!(Arch::from_kernel_name("armv7l"), Arch::Armhf);
        assert_eq!(Arch::from_kernel_name("AMD64"), Arch::X86_64);
        assert_eq!(Arch::from_kernel_name("ARM64").dpkg(), "arm64");
    }

    #[test]
    fn elf_headers() {
        let mut h = vec![0x7f, b'E', b'L', b'F', 1, 1, 1, 0];
        h.resize(20, 0);
        h[18] = 0x28;
        assert_eq!(Arch::from_elf_header(&h), Some(Arch::Armhf));
        h[4] = 2;
        h[18] = 0xB7;
        assert_eq!(Arch::from_elf_header(&h), Some(Arch::Aarch64));
        assert_eq!(Arch::from_elf_header(b"#!/bin/sh\n"), None);
    }
}
