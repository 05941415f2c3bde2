//! The service's source of the current instant.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Utc};

/// A source of the current instant, replaceable in tests.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Clock that starts at the system time of its creation and then stands
/// still, moving only through [`ManualClock::advance`], for tests of expiry.
/// A clock that kept following the system time would let a second boundary
/// fall between issuing a token and checking it, and make such tests flaky.
#[derive(Debug)]
pub struct ManualClock {
    start: DateTime<Utc>,
    /// Seconds added to `start`.
    offset_seconds: AtomicI64,
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock { start: Utc::now(), offset_seconds: AtomicI64::new(0) }
    }
}

impl ManualClock {
    pub fn advance(&self, seconds: i64) {
        self.offset_seconds.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.start + chrono::Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}
