//! The engine's clock on embassy-time.

use core::future::Future;

use embassy_time::Timer;
use h1conn::io::asynch::Clock;
use h1conn::time::Instant;

/// [`Clock`] for the async driver, on `embassy_time`: milliseconds since
/// boot for `now`, and an embassy [`Timer`] for the engine's deadlines.
///
/// It holds nothing, so every client can have its own copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EmbassyClock;

impl Clock for EmbassyClock {
    fn now(&self) -> Instant {
        Instant::from_millis(embassy_time::Instant::now().as_millis())
    }

    fn sleep_until(&mut self, deadline: Instant) -> impl Future<Output = ()> {
        // The engine counts milliseconds; embassy ticks are as fine or
        // finer, so the timer fires at the deadline, never before it. A
        // deadline past embassy's range (the engine saturates) never fires.
        let at = embassy_time::Instant::try_from_millis(deadline.as_millis())
            .unwrap_or(embassy_time::Instant::MAX);
        Timer::at(at)
    }
}
