//! The OCI front end's terminal helpers: the pty master handed to the caller's console
//! socket (runc's --console-socket), and the pty's size (OCI process.consoleSize).

use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// Why a console helper failed: what it was doing, and the OS error.
#[derive(Debug)]
pub struct ConsoleError {
    pub what: String,
    pub source: io::Error,
}

impl std::fmt::Display for ConsoleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.what, self.source)
    }
}

impl std::error::Error for ConsoleError {}

impl ConsoleError {
    pub fn errno(&self) -> i32 {
        self.source.raw_os_error().unwrap_or(0)
    }
}

/// Connects an AF_UNIX stream socket to `path`, sends `name` as the data with `fd`
/// attached (SCM_RIGHTS), and closes the socket. runc sends the pty master this way,
/// with the name of the pty as the data.
pub fn send_fd_to_socket(path: &str, fd: RawFd, name: &[u8]) -> Result<(), ConsoleError> {
    let err = |what: String| move |source| ConsoleError { what, source };
    // std connects with SOCK_STREAM | SOCK_CLOEXEC and reports a path too long for
    // sun_path as InvalidInput.
    let stream = UnixStream::connect(path).map_err(err(format!("connect to the socket {path}")))?;
    send_with_fd(stream.as_raw_fd(), name, fd)
        .map_err(err(format!("send the fd to the socket {path}")))
}

fn send_with_fd(sock: RawFd, data: &[u8], fd: RawFd) -> io::Result<()> {
    if data.is_empty() {
        // SCM_RIGHTS needs at least one byte of data on a stream socket.
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    #[repr(C, align(8))]
    struct Cmsg([u8; 32]);
    let mut control = Cmsg([0; 32]);
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.0.as_mut_ptr() as *mut libc::c_void;
    msg.msg_controllen =
        unsafe { libc::CMSG_SPACE(std::mem::size_of::<libc::c_int>() as u32) } as _;
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<libc::c_int>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut libc::c_int, fd);
    }
    loop {
        let n = unsafe { libc::sendmsg(sock, &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            // The fd goes with the first byte sent: delivered.
            return Ok(());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
}

/// TIOCSWINSZ on `fd` (a pty master or slave).
pub fn set_window_size(fd: RawFd, rows: u16, cols: u16) -> Result<(), ConsoleError> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    if unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) } < 0 {
        return Err(ConsoleError {
            what: format!("set the terminal size of fd {fd}"),
            source: io::Error::last_os_error(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::net::UnixListener;

    fn temp_dir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "lite-console-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// One message and its fd, as runc's recvtty reads it.
    fn receive(stream: &UnixStream) -> (Vec<u8>, OwnedFd) {
        let mut data = [0u8; 64];
        #[repr(C, align(8))]
        struct Cmsg([u8; 64]);
        let mut control = Cmsg([0; 64]);
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.0.as_mut_ptr() as *mut libc::c_void;
        msg.msg_controllen = control.0.len() as _;
        let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        assert!(n > 0);
        let fd = unsafe {
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            assert!(!cmsg.is_null());
            assert_eq!((*cmsg).cmsg_type, libc::SCM_RIGHTS);
            std::ptr::read_unaligned(libc::CMSG_DATA(cmsg) as *const libc::c_int)
        };
        (data[..n as usize].to_vec(), unsafe {
            OwnedFd::from_raw_fd(fd)
        })
    }

    #[test]
    fn the_fd_and_its_name_reach_the_console_socket() {
        let dir = temp_dir();
        let path = dir.join("console.sock");
        let listener = UnixListener::bind(&path).unwrap();
        let null = std::fs::File::open("/dev/null").unwrap();
        send_fd_to_socket(path.to_str().unwrap(), null.as_raw_fd(), b"/dev/pts/7").unwrap();
        let (stream, _) = listener.accept().unwrap();
        let (name, fd) = receive(&stream);
        assert_eq!(name, b"/dev/pts/7");
        let mut a: libc::stat = unsafe { std::mem::zeroed() };
        let mut b: libc::stat = unsafe { std::mem::zeroed() };
        unsafe {
            libc::fstat(fd.as_raw_fd(), &mut a);
            libc::fstat(null.as_raw_fd(), &mut b);
        }
        assert_eq!((a.st_dev, a.st_ino), (b.st_dev, b.st_ino), "the same file");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_missing_socket_names_its_path() {
        let dir = temp_dir();
        let path = dir.join("nobody.sock");
        let e = send_fd_to_socket(path.to_str().unwrap(), 0, b"x").unwrap_err();
        assert_eq!(e.errno(), libc::ENOENT);
        assert!(e.to_string().contains("nobody.sock"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_window_size_of_a_pty() {
        let master = unsafe { libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC) };
        if master < 0 {
            return; // no /dev/ptmx here
        }
        let master = unsafe { OwnedFd::from_raw_fd(master) };
        set_window_size(master.as_raw_fd(), 40, 132).unwrap();
        let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
        assert_eq!(
            unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCGWINSZ, &mut ws) },
            0
        );
        assert_eq!((ws.ws_row, ws.ws_col), (40, 132));
        // Not a terminal: ENOTTY, with the fd in the message.
        let null = std::fs::File::open("/dev/null").unwrap();
        let e = set_window_size(null.as_raw_fd(), 1, 1).unwrap_err();
        assert_eq!(e.errno(), libc::ENOTTY);
    }
}
