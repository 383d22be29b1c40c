//! The outer terminal and the pty relay of `lite run -t`.
//!
//! The relay is a plain thread with poll(2) copying stdin -> pty master and master ->
//! stdout, so it works the same under Bun and, later, inside the monitor.

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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

    pub fn restore(&self) -> Result<()> {
        if unsafe { libc::tcsetattr(self.fd, libc::TCSADRAIN, &self.termios) } < 0 {
            return Err(Error::last_os("restore the terminal settings"));
        }
        Ok(())
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

pub struct Relay {
    handle: Option<JoinHandle<()>>,
    stop: OwnedFd,
}

fn write_all(fd: RawFd, mut buf: &[u8]) -> bool {
    while !buf.is_empty() {
        let n = unsafe { libc::write(fd, buf.as_ptr() as *const libc::c_void, buf.len()) };
        if n > 0 {
            buf = &buf[n as usize..];
            continue;
        }
        let e = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        match e {
            libc::EINTR => continue,
            // Bun leaves stdio non-blocking: wait until it drains.
            libc::EAGAIN => {
                let mut p = libc::pollfd {
                    fd,
                    events: libc::POLLOUT,
                    revents: 0,
                };
                unsafe { libc::poll(&mut p, 1, 1000) };
            }
            _ => return false,
        }
    }
    true
}

/// Starts copying between the terminal and the pty master until the pty closes (every
/// process of the container has closed its side) or `stop` is called.
pub fn start_relay(master: OwnedFd, forward_stdin: bool) -> Result<Relay> {
    let mut pipe = [0 as libc::c_int; 2];
    if unsafe { libc::pipe2(pipe.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(Error::last_os("pipe"));
    }
    let (stop_r, stop_w) = unsafe {
        use std::os::fd::FromRawFd;
        (OwnedFd::from_raw_fd(pipe[0]), OwnedFd::from_raw_fd(pipe[1]))
    };
    let handle = std::thread::Builder::new()
        .name("lite-pty-relay".into())
        .spawn(move || relay_loop(master, stop_r, forward_stdin))
        .map_err(|_| Error::Os {
            what: "start the pty relay",
            errno: libc::EAGAIN,
        })?;
    Ok(Relay {
        handle: Some(handle),
        stop: stop_w,
    })
}

fn relay_loop(master: OwnedFd, stop: OwnedFd, mut forward_stdin: bool) {
    let m = master.as_raw_fd();
    let mut buf = [0u8; 16384];
    loop {
        let mut fds = [
            libc::pollfd {
                fd: m,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: stop.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if forward_stdin { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 3, -1) };
        if r < 0 {
            if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            }
            return;
        }
        if fds[0].revents != 0 {
            let n = unsafe { libc::read(m, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
            if n > 0 {
                if !write_all(1, &buf[..n as usize]) {
                    return;
                }
                continue;
            }
            // EIO: the last slave fd is closed; the container is done with the terminal.
            if n == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EAGAIN) {
                return;
            }
        }
        if fds[1].revents != 0 {
            // Asked to stop: drain what the container already wrote, then leave.
            drain(m, &mut buf);
            return;
        }
        if fds[2].revents != 0 {
            let n = unsafe { libc::read(0, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
            if n > 0 {
                if !write_all(m, &buf[..n as usize]) {
                    return;
                }
            } else if n == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EAGAIN)
            {
                // End of input: pass EOF on as the terminal's EOF character.
                let _ = write_all(m, &[4u8]);
                forward_stdin = false;
            }
        }
    }
}

fn drain(m: RawFd, buf: &mut [u8]) {
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        let mut p = libc::pollfd {
            fd: m,
            events: libc::POLLIN,
            revents: 0,
        };
        if unsafe { libc::poll(&mut p, 1, 20) } <= 0 {
            return;
        }
        let n = unsafe { libc::read(m, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if n <= 0 || !write_all(1, &buf[..n as usize]) {
            return;
        }
    }
}

impl Relay {
    /// Waits for the relay to finish: the pty closed, or `stop` after a grace period in
    /// which output still in flight is copied.
    pub fn finish(mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        if let Some(h) = self.handle.take() {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if !h.is_finished() {
                // A background process of the container may still hold the pty.
                unsafe {
                    libc::write(
                        self.stop.as_raw_fd(),
                        b"x".as_ptr() as *const libc::c_void,
                        1,
                    )
                };
            }
            let _ = h.join();
        }
    }
}
