//! Where the gateway reads "now": key expiry, the end of a rotation's grace period,
//! budget windows, health windows and every audited time.
//!
//! A small enum rather than a trait object: production reads the system clock, tests
//! hold a manual clock they move forward, so a test of "the grace period ends on time"
//! or "an expired key is refused" steps over the boundary instead of sleeping past it
//! (and racing a slow machine). Durations measured on the request path (timeouts,
//! pacing, pool idleness) stay on tokio's monotonic clock; this is wall-clock time.

use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// A time that moves only when told to (tests).
    Manual(Arc<Mutex<DateTime<Utc>>>),
}

impl Clock {
    /// A manual clock showing `at` until it is moved.
    pub fn manual(at: DateTime<Utc>) -> Self {
        Clock::Manual(Arc::new(Mutex::new(at)))
    }

    /// Now, to the microsecond: what both engines store (PostgreSQL's timestamps keep
    /// microseconds), so a time echoed in a response equals the one read back later.
    pub fn now(&self) -> DateTime<Utc> {
        use chrono::Timelike;
        match self {
            Clock::System => {
                let now = Utc::now();
                // Truncated by hand: `duration_trunc` is general (any duration, checked
                // arithmetic) and was a visible share of a forwarded request (issue #22).
                now.with_nanosecond(now.nanosecond() / 1_000 * 1_000)
                    .unwrap_or(now)
            }
            Clock::Manual(at) => *at.lock().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// Moves a manual clock forward by `by`. The system clock cannot be moved; asking
    /// is a bug in the caller (a test that forgot to start a manual clock).
    pub fn advance(&self, by: Duration) {
        match self {
            Clock::System => panic!("the system clock cannot be advanced"),
            Clock::Manual(at) => *at.lock().unwrap_or_else(|p| p.into_inner()) += by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_system_clock_reads_whole_microseconds() {
        for _ in 0..100 {
            let now = Clock::System.now();
            assert_eq!(now.timestamp_subsec_nanos() % 1_000, 0, "{now:?}");
        }
    }

    #[test]
    fn a_manual_clock_moves_only_when_advanced_and_its_clones_agree() {
        let start = Utc::now() - Duration::days(3);
        let clock = Clock::manual(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(Duration::seconds(90));
        assert_eq!(clock.now(), start + Duration::seconds(90));
    }
}
