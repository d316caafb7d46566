//! The async driver's clock on tokio's timer.

use std::time::Duration;

use h1conn::io::asynch::Clock;
use h1conn::time::Instant;

use super::timer::LazyTimer;
use crate::net::SystemClock;

/// Milliseconds since the clock was made, and sleeps on tokio's timer: the
/// [`Clock`] of `h1conn::io::asynch::{Client, Server}` on tokio.
///
/// Each clock keeps one timer entry for the engine's deadlines and moves
/// it only when a deadline needs it, so racing every read against the
/// next deadline costs no timer registration per read. It needs a tokio
/// runtime with time enabled; give each connection its own clock.
#[derive(Debug)]
pub struct TokioClock {
    system: SystemClock,
    origin: tokio::time::Instant,
    timer: LazyTimer,
}

impl TokioClock {
    /// A clock whose epoch is now. Call it inside a tokio runtime.
    pub fn new() -> Self {
        Self::since(std::time::Instant::now())
    }

    /// A clock whose epoch is `origin` (share one origin between clocks
    /// whose instants are compared). Call it inside a tokio runtime.
    pub fn since(origin: std::time::Instant) -> Self {
        let origin = tokio::time::Instant::from_std(origin);
        Self {
            system: SystemClock::since(origin.into_std()),
            origin,
            timer: LazyTimer::new(tokio::time::Instant::now() + Duration::from_secs(3600)),
        }
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        h1conn::io::blocking::Clock::now(&self.system)
    }

    fn sleep_until(&mut self, deadline: Instant) -> impl Future<Output = ()> {
        let at = self.origin + Duration::from_millis(deadline.as_millis());
        self.timer.until(at)
    }
}
