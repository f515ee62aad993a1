use std::fs::File;
use std::io;
use std::os::windows::process::CommandExt;
use std::process::Command;

/// Where Docker Desktop and Docker Engine for Windows listen.
pub const DAEMON_ENDPOINT: &str = r"\\.\pipe\docker_engine";

pub fn is_admin() -> bool {
    // SAFETY: a pure query of the current token.
    unsafe { windows_sys::Win32::UI::Shell::IsUserAnAdmin() != 0 }
}

/// Windows files have ACLs, not modes: the directory's inherited ACL applies.
pub fn set_mode(_file: &File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// The engine's named pipe exists and opens.
pub fn daemon_answers() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(DAEMON_ENDPOINT)
        .is_ok()
}

pub fn detach(command: &mut Command) {
    const DETACHED_PROCESS: u32 = 0x0000_0008;
    const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
    command.creation_flags(DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP);
}

/// The Windows engine is a service: it is stopped with `sc.exe stop docker`, never by pid.
pub fn terminate(_pid: u32) -> io::Result<()> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "stop the docker service instead",
    ))
}
