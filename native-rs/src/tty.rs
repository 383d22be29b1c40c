//! The outer terminal of `lite run -t`, before lite becomes the monitor: the pty gets
//! the terminal's size, and the terminal goes raw. The monitor relays the pty and puts
//! the saved settings back (monitor/monitor.rs).

use std::os::fd::RawFd;

use crate::error::{Error, Result};

/// The outer terminal's settings, saved so that they come back exactly (`stty -g`).
pub struct SavedTerminal {
    fd: RawFd,
    termios: libc::termios,
}

pub fn save(fd: RawFd) -> Result<SavedTerminal> {
    let mut termios: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(fd, &mut termios) } < 0 {
        return Err(Error::last_os("read the terminal settings"));
    }
    Ok(SavedTerminal { fd, termios })
}

impl SavedTerminal {
    /// Raw mode: keys go to the container as typed (Ctrl-C included).
    pub fn make_raw(&self) -> Result<()> {
        let mut raw = self.termios;
        unsafe { libc::cfmakeraw(&mut raw) };
        if unsafe { libc::tcsetattr(self.fd, libc::TCSADRAIN, &raw) } < 0 {
            return Err(Error::last_os("set the terminal to raw mode"));
        }
        Ok(())
    }

    /// Back as it was (a failed exec into the monitor, which would have done it).
    pub fn restore(&self) {
        unsafe { libc::tcsetattr(self.fd, libc::TCSADRAIN, &self.termios) };
    }
}

/// Copies the outer terminal's size to the pty (at start and on SIGWINCH).
pub fn copy_size(from: RawFd, to: RawFd) -> Result<()> {
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    if unsafe { libc::ioctl(from, libc::TIOCGWINSZ, &mut ws) } < 0 {
        return Err(Error::last_os("read the terminal size"));
    }
    if unsafe { libc::ioctl(to, libc::TIOCSWINSZ, &ws) } < 0 {
        return Err(Error::last_os("set the pty size"));
    }
    Ok(())
}
