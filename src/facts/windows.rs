//! Windows facts. They usually come from a facts file written on (or for) another machine, so a
//! field may be absent (Windows 7 has no DisplayVersion or UBR) or malformed. Neither is an error
//! when the file is read: only when a decision needs that field does it fail, naming the field.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Arch;

/// A fact that was absent, well-formed, or present but not of the expected type.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Field<T> {
    #[default]
    Absent,
    Value(T),
    Malformed(serde_json::Value),
}

impl<T> Field<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    pub fn get(&self, name: &'static str) -> Result<&T, FieldError> {
        match self {
            Field::Value(v) => Ok(v),
            Field::Absent => Err(FieldError::Missing { field: name }),
            Field::Malformed(raw) => Err(FieldError::Malformed {
                field: name,
                value: raw.to_string(),
            }),
        }
    }

    /// The value when it is usable; absent and malformed alike give `None`.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<Option<T>> for Field<T> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Field::Absent, Field::Value)
    }
}

/// A Windows fact a decision needed but could not use.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FieldError {
    #[error("the Windows facts have no `{field}`, which this decision needs")]
    Missing { field: &'static str },
    #[error("the Windows fact `{field}` has an unusable value: {value}")]
    Malformed { field: &'static str, value: String },
}

/// How one JSON value becomes a typed fact. Numbers in the registry are sometimes strings
/// (`CurrentBuild` is REG_SZ "19045"), so those are accepted where they parse.
pub trait FactValue: Sized {
    fn from_json(v: &serde_json::Value) -> Option<Self>;
    fn to_json(&self) -> serde_json::Value;
}

impl FactValue for String {
    fn from_json(v: &serde_json::Value) -> Option<Self> {
        v.as_str().map(str::to_string)
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.clone())
    }
}

impl FactValue for u64 {
    fn from_json(v: &serde_json::Value) -> Option<Self> {
        v.as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::from(*self)
    }
}

impl FactValue for bool {
    fn from_json(v: &serde_json::Value) -> Option<Self> {
        v.as_bool()
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Bool(*self)
    }
}

impl FactValue for Arch {
    fn from_json(v: &serde_json::Value) -> Option<Self> {
        v.as_str()
            .map(Arch::from_kernel_name)
            .filter(|a| !matches!(a, Arch::Other(_)))
    }
    fn to_json(&self) -> serde_json::Value {
        serde_json::Value::String(self.name().to_string())
    }
}

impl<'de, T: FactValue> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = serde_json::Value::deserialize(d)?;
        Ok(match raw {
            serde_json::Value::Null => Field::Absent,
            raw => T::from_json(&raw).map_or(Field::Malformed(raw), Field::Value),
        })
    }
}

impl<T: FactValue> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Absent => s.serialize_none(),
            Field::Value(v) => v.to_json().serialize(s),
            Field::Malformed(raw) => raw.serialize(s),
        }
    }
}

/// The facts of a Windows host, named after their registry and API sources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowsFacts {
    /// `ProductName`: says "Windows 10" on Windows 11 too, so the build decides.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub product_name: Field<String>,
    /// `EditionID`: Core (Home), Professional, Enterprise, Education, ServerStandard, ...
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub edition_id: Field<String>,
    /// `CurrentBuild`: 7601, 9600, 19045, 22631, ...
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub current_build: Field<u64>,
    /// `DisplayVersion`: 22H2, 23H2, ... (absent before Windows 10 20H2).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub display_version: Field<String>,
    /// `UBR`: the update build revision (absent on Windows 7).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub ubr: Field<u64>,
    /// `InstallationType`: Client, Server, Server Core.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub installation_type: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub arch: Field<Arch>,
    /// The CPU and firmware can run Hyper-V (SLAT, VT-x/AMD-V).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub hyperv_capable: Field<bool>,
    /// Hardware virtualization is enabled in firmware (or a hypervisor already runs).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub virtualization_enabled: Field<bool>,
    /// `wsl --version`'s WSL version; absent when WSL is not installed.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub wsl_version: Field<String>,
    /// Installed physical memory in MiB.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub memory_mb: Field<u64>,
}

impl WindowsFacts {
    /// "Windows 11", "Windows 8.1", ... from the build number, which unlike ProductName is
    /// truthful. `None` when the build is unknown.
    pub fn marketing_name(&self) -> Option<String> {
        let build = *self.current_build.ok()?;
        let server = self.is_server().unwrap_or(false);
        Some(windows_name(build, server).to_string())
    }

    /// The NT kernel version: `10.0.19045`, `6.1.7601`.
    pub fn nt_version(&self) -> Option<String> {
        let build = *self.current_build.ok()?;
        let (major, minor) = match build {
            b if b >= 10240 => (10, 0),
            b if b >= 9600 => (6, 3),
            b if b >= 9200 => (6, 2),
            b if b >= 7600 => (6, 1),
            _ => (6, 0),
        };
        Some(format!("{major}.{minor}.{build}"))
    }

    /// From InstallationType, or the edition when that is absent.
    pub fn is_server(&self) -> Result<bool, FieldError> {
        if let Some(kind) = self.installation_type.ok() {
            return Ok(kind.to_ascii_lowercase().starts_with("server"));
        }
        match self.edition_id.ok() {
            Some(edition) => Ok(edition.to_ascii_lowercase().starts_with("server")),
            None => self
                .installation_type
                .get("installation_type")
                .map(|_| false),
        }
    }
}

impl fmt::Display for WindowsFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self
            .marketing_name()
            .unwrap_or_else(|| "Windows (unknown build)".into());
        write!(f, "{name}")?;
        if let Some(ed) = self.edition_id.ok() {
            write!(f, " {}", edition_name(ed))?;
        }
        if let Some(dv) = self.display_version.ok() {
            write!(f, " {dv}")?;
        }
        if let Some(b) = self.current_build.ok() {
            write!(f, " (build {b}")?;
            if let Some(ubr) = self.ubr.ok() {
                write!(f, ".{ubr}")?;
            }
            write!(f, ")")?;
        }
        Ok(())
    }
}

/// EditionID as people say it: Core is Home, EnterpriseS is LTSC.
fn edition_name(id: &str) -> &str {
    match id {
        "Core" => "Home",
        "CoreN" => "Home N",
        "CoreSingleLanguage" => "Home Single Language",
        "CoreCountrySpecific" => "Home China",
        "Professional" => "Pro",
        "ProfessionalN" => "Pro N",
        "ProfessionalWorkstation" => "Pro for Workstations",
        "ProfessionalEducation" => "Pro Education",
        "EnterpriseS" => "Enterprise LTSC",
        "IoTEnterpriseS" => "IoT Enterprise LTSC",
        "ServerStandard" => "Standard",
        "ServerDatacenter" => "Datacenter",
        other => other,
    }
}

fn windows_name(build: u64, server: bool) -> &'static str {
    match (server, build) {
        (true, b) if b >= 26100 => "Windows Server 2025",
        (true, b) if b >= 20348 => "Windows Server 2022",
        (true, b) if b >= 17763 => "Windows Server 2019",
        (true, b) if b >= 14393 => "Windows Server 2016",
        (true, b) if b >= 9600 => "Windows Server 2012 R2",
        (true, b) if b >= 9200 => "Windows Server 2012",
        (true, _) => "Windows Server (older than 2012)",
        (false, b) if b >= 22000 => "Windows 11",
        (false, b) if b >= 10240 => "Windows 10",
        (false, b) if b >= 9600 => "Windows 8.1",
        (false, b) if b >= 9200 => "Windows 8",
        (false, b) if b >= 7601 => "Windows 7 SP1",
        (false, b) if b >= 7600 => "Windows 7",
        (false, _) => "Windows (older than 7)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_fields_do_not_fail_the_whole_file() {
        let w: WindowsFacts =
            serde_json::from_str(r#"{"current_build": "abc", "ubr": "3803", "memory_mb": 8192}"#)
                .unwrap();
        assert_eq!(
            w.current_build
                .get("current_build")
                .unwrap_err()
                .to_string(),
            "the Windows fact `current_build` has an unusable value: \"abc\""
        );
        assert_eq!(w.ubr.get("ubr"), Ok(&3803));
        assert!(w.edition_id.get("edition_id").is_err());
    }

    #[test]
    fn build_decides_the_name_not_product_name() {
        let w = WindowsFacts {
            product_name: Field::Value("Windows 10 Pro".into()),
            current_build: Field::Value(22631),
            installation_type: Field::Value("Client".into()),
            ..Default::default()
        };
        assert_eq!(w.marketing_name().as_deref(), Some("Windows 11"));
    }

    #[test]
    fn serialization_round_trips() {
        let text = r#"{"edition_id":"Professional","current_build":19045,"arch":"x86_64","hyperv_capable":true}"#;
        let w: WindowsFacts = serde_json::from_str(text).unwrap();
        assert_eq!(serde_json::to_string(&w).unwrap(), text);
    }
}
