//! Typed errors of the core. The N-API layer maps each variant to a JS `error.code`.

use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// The plan from TypeScript is malformed (a bug in the planner, not in the config).
    InvalidPlan(String),
    /// A syscall in the parent failed: what was being done, and errno.
    Os { what: &'static str, errno: i32 },
    /// The child did not answer within the start timeout.
    Timeout,
    /// The child sent something that is not a report.
    Protocol(String),
    /// The container's user namespace could not be set up (its maps, an id-mapped
    /// mount): the message says what and why.
    UserNs(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn last_os(what: &'static str) -> Error {
        Error::Os {
            what,
            errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        }
    }

    /// The JS `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidPlan(_) => "InvalidPlan",
            Error::Os { .. } => "Os",
            Error::Timeout => "Timeout",
            Error::Protocol(_) => "Protocol",
            Error::UserNs(_) => "UserNs",
        }
    }

    pub fn errno(&self) -> i32 {
        match self {
            Error::Os { errno, .. } => *errno,
            _ => 0,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPlan(m) => write!(f, "invalid launch plan: {m}"),
            Error::Os { what, errno } => {
                write!(f, "{what}: {}", std::io::Error::from_raw_os_error(*errno))
            }
            Error::Timeout => write!(f, "the container did not finish its set-up in time"),
            Error::Protocol(m) => write!(f, "unexpected message from the container: {m}"),
            Error::UserNs(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}
