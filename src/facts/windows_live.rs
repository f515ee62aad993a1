//! Reads the live Windows facts: the registry for what Windows says it is, a few Win32 calls for
//! what the hardware can do, and `wsl.exe` for WSL. Thin by design: every decision is made on the
//! resulting `WindowsFacts`, which tests build from JSON on Linux.

use windows_sys::Win32::System::SystemInformation::{
    GetNativeSystemInfo, GetPhysicallyInstalledSystemMemory, PROCESSOR_ARCHITECTURE_AMD64,
    PROCESSOR_ARCHITECTURE_ARM64, PROCESSOR_ARCHITECTURE_INTEL, SYSTEM_INFO,
};
use windows_sys::Win32::System::Threading::{
    IsProcessorFeaturePresent, PF_SECOND_LEVEL_ADDRESS_TRANSLATION, PF_VIRT_FIRMWARE_ENABLED,
};
use winreg::RegKey;
use winreg::enums::HKEY_LOCAL_MACHINE;

use super::{Arch, WindowsFacts};

const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
const PRODUCT_OPTIONS: &str = r"SYSTEM\CurrentControlSet\Control\ProductOptions";

pub(super) fn gather() -> WindowsFacts {
    let key = RegKey::predef(HKEY_LOCAL_MACHINE)
        .open_subkey(CURRENT_VERSION)
        .ok();
    let text = |name: &str| key.as_ref()?.get_value::<String, _>(name).ok();
    let dword = |name: &str| key.as_ref()?.get_value::<u32, _>(name).ok().map(u64::from);
    let build = text("CurrentBuild")
        .or_else(|| text("CurrentBuildNumber"))
        .and_then(|b| b.trim().parse::<u64>().ok());
    let virtualization = firmware_virtualization() || hypervisor_present();
    WindowsFacts {
        product_name: text("ProductName").into(),
        edition_id: text("EditionID").into(),
        current_build: build.into(),
        display_version: text("DisplayVersion").into(),
        ubr: dword("UBR").into(),
        installation_type: text("InstallationType")
            .or_else(installation_type_from_product_type)
            .into(),
        arch: native_arch().into(),
        hyperv_capable: Some(virtualization && slat()).into(),
        virtualization_enabled: Some(virtualization).into(),
        wsl_version: wsl_version().into(),
        memory_mb: installed_memory_mb().into(),
    }
}

/// InstallationType is missing on some installs (and under wine); ProductType, which every NT
/// has, says the same thing: WinNT is a client, ServerNT and LanmanNT (a domain controller) are
/// servers.
fn installation_type_from_product_type() -> Option<String> {
    let product_type: String = RegKey::predef(HKEY_LOCAL_MACHINE)
        .open_subkey(PRODUCT_OPTIONS)
        .ok()?
        .get_value("ProductType")
        .ok()?;
    match product_type.to_ascii_lowercase().as_str() {
        "winnt" => Some("Client".into()),
        "servernt" | "lanmannt" => Some("Server".into()),
        _ => None,
    }
}

fn native_arch() -> Option<Arch> {
    // SAFETY: GetNativeSystemInfo only writes the struct it is given.
    let info = unsafe {
        let mut info: SYSTEM_INFO = std::mem::zeroed();
        GetNativeSystemInfo(&mut info);
        info
    };
    // SAFETY: every variant of the union starts with the architecture word.
    let arch = unsafe { info.Anonymous.Anonymous.wProcessorArchitecture };
    match arch {
        PROCESSOR_ARCHITECTURE_AMD64 => Some(Arch::X86_64),
        PROCESSOR_ARCHITECTURE_ARM64 => Some(Arch::Aarch64),
        PROCESSOR_ARCHITECTURE_INTEL => Some(Arch::I686),
        _ => Some(Arch::from_kernel_name(os_info::get().architecture()?)),
    }
}

fn firmware_virtualization() -> bool {
    // SAFETY: a pure query.
    unsafe { IsProcessorFeaturePresent(PF_VIRT_FIRMWARE_ENABLED) != 0 }
}

fn slat() -> bool {
    // SAFETY: a pure query.
    unsafe { IsProcessorFeaturePresent(PF_SECOND_LEVEL_ADDRESS_TRANSLATION) != 0 }
}

/// With Hyper-V already running, Windows itself is a guest and reports the firmware flag as off;
/// the hypervisor bit of CPUID says virtualization is in fact on.
fn hypervisor_present() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        // CPUID leaf 1 exists on every x86_64 CPU.
        let leaf = std::arch::x86_64::__cpuid(1);
        leaf.ecx & (1 << 31) != 0
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

fn installed_memory_mb() -> Option<u64> {
    let mut kib: u64 = 0;
    // SAFETY: writes one u64.
    let ok = unsafe { GetPhysicallyInstalledSystemMemory(&mut kib) } != 0;
    ok.then_some(kib / 1024)
}

/// `wsl.exe --version` writes UTF-16LE to a pipe, and its labels are localized: take the first
/// dotted version on the first line.
fn wsl_version() -> Option<String> {
    let out = std::process::Command::new("wsl.exe")
        .arg("--version")
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = decode_console_output(&out.stdout);
    first_dotted_version(text.lines().next()?)
}

fn decode_console_output(bytes: &[u8]) -> String {
    let looks_utf16 = bytes.len() >= 2 && bytes.iter().skip(1).step_by(2).all(|b| *b == 0);
    if looks_utf16 {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
            .trim_start_matches('\u{feff}')
            .to_string()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn first_dotted_version(line: &str) -> Option<String> {
    line.split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .find(|w| w.contains('.') && w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .map(|w| w.trim_matches('.').to_string())
}
