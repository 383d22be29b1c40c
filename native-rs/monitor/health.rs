//! Health checks, as Docker's HEALTHCHECK: what one check's result does to the status.
//! The monitor runs the checks (monitor.rs); this part is pure, so it is unit-tested
//! in the library.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Health {
    /// No check has passed yet, and not enough have failed.
    Starting,
    Healthy,
    Unhealthy,
}

impl Health {
    /// As the state file's `health=` line says it.
    pub fn text(self) -> &'static [u8] {
        match self {
            Health::Starting => b"starting",
            Health::Healthy => b"healthy",
            Health::Unhealthy => b"unhealthy",
        }
    }
}

/// What a check's result changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Transition {
    None,
    /// starting -> healthy: the usual start, not worth a log line.
    BecameHealthy,
    /// unhealthy -> healthy
    Recovered,
    BecameUnhealthy,
}

pub struct HealthState {
    pub status: Health,
    /// Failed checks in a row that counted.
    pub streak: i64,
    /// Completed checks.
    pub checks: i64,
    /// The last check's exit code (128 + signal if killed by one), -1 on a timeout.
    pub last_exit: i64,
    /// How long the last check took.
    pub last_ms: i64,
}

impl HealthState {
    pub const fn new() -> Self {
        HealthState {
            status: Health::Starting,
            streak: 0,
            checks: 0,
            last_exit: 0,
            last_ms: 0,
        }
    }

    /// One completed check; `since_start_ms` is from the container's start to the
    /// check's.
    pub fn on_result(
        &mut self,
        passed: bool,
        exit: i64,
        took_ms: i64,
        since_start_ms: i64,
        start_period_ms: i64,
        retries: i64,
    ) -> Transition {
        self.checks += 1;
        self.last_exit = exit;
        self.last_ms = took_ms;
        let was = self.status;
        if passed {
            self.streak = 0;
            self.status = Health::Healthy;
            return match was {
                Health::Starting => Transition::BecameHealthy,
                Health::Unhealthy => Transition::Recovered,
                Health::Healthy => Transition::None,
            };
        }
        // Docker: a failure in the start period does not count while it is starting
        // (a slow start is not a sick container); once healthy, every failure counts.
        if was == Health::Starting && since_start_ms < start_period_ms {
            return Transition::None;
        }
        self.streak += 1;
        if self.streak >= retries && was != Health::Unhealthy {
            self.status = Health::Unhealthy;
            return Transition::BecameUnhealthy;
        }
        Transition::None
    }
}
