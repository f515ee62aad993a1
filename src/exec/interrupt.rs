//! Ctrl-C during a run. The terminal sends SIGINT to the whole foreground group, so the command
//! a step runs gets it too and ends; dockup itself must not die halfway through its own
//! bookkeeping, so the first Ctrl-C only raises a flag the executor reads between (and inside
//! long) steps, and the run stops with a message saying how to continue. A second Ctrl-C quits
//! at once, for a step that does not end.

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl-C was pressed since `catch` was called.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// From now on the first Ctrl-C only raises the flag.
#[cfg(unix)]
pub fn catch() {
    extern "C" fn on_sigint(_: libc::c_int) {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // Only async-signal-safe calls here: _exit, not exit.
            unsafe { libc::_exit(130) };
        }
    }
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only touches an atomic and calls _exit, both async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, handler as libc::sighandler_t);
    }
}

/// Windows consoles end the process on Ctrl-C; the installer steps there are restartable.
#[cfg(not(unix))]
pub fn catch() {}

#[cfg(test)]
pub fn request_for_test() {
    REQUESTED.store(true, Ordering::SeqCst);
}
