//! Deadlines in a fixed table indexed by [`Timer`].

use crate::time::Instant;

/// The deadlines a connection keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) enum Timer {
    /// Idle connection: a server closes it; a client stops reusing it.
    Idle,
    /// A head started arriving but is not complete (slow-loris guard, server).
    Head,
    /// A request body held back after `Expect: 100-continue` (client).
    Continue,
    /// A body being received must keep arriving: the deadline moves on as
    /// bytes come in (both sides).
    Body,
    /// The whole exchange, when the caller set a deadline for it.
    Exchange,
}

const TIMERS: usize = 5;

impl Timer {
    pub(crate) const ALL: [Timer; TIMERS] = [
        Timer::Idle,
        Timer::Head,
        Timer::Continue,
        Timer::Body,
        Timer::Exchange,
    ];

    const fn index(self) -> usize {
        match self {
            Timer::Idle => 0,
            Timer::Head => 1,
            Timer::Continue => 2,
            Timer::Body => 3,
            Timer::Exchange => 4,
        }
    }
}

/// One optional deadline per [`Timer`]. An unset deadline is stored as
/// [`NEVER`] rather than `None`, which halves the table (8 bytes a slot);
/// a deadline at the end of time is never reached anyway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerTable {
    deadlines: [Instant; TIMERS],
}

/// The stored value of an unset deadline.
const NEVER: Instant = Instant::from_millis(u64::MAX);

impl Default for TimerTable {
    fn default() -> Self {
        Self {
            deadlines: [NEVER; TIMERS],
        }
    }
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer.index()) {
            *slot = at;
        }
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        self.set(timer, NEVER);
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines
            .get(timer.index())
            .copied()
            .filter(|&at| at != NEVER)
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [NEVER; TIMERS];
    }

    /// The earliest deadline, and which timer it belongs to.
    pub(crate) fn next(&self) -> Option<(Timer, Instant)> {
        Timer::ALL
            .into_iter()
            .filter_map(|t| self.get(t).map(|at| (t, at)))
            .min_by_key(|&(_, at)| at)
    }

    /// The timers whose deadline is at or before `now`.
    pub(crate) fn expired(&self, now: Instant) -> impl Iterator<Item = Timer> + '_ {
        Timer::ALL
            .into_iter()
            .filter(move |&t| self.get(t).is_some_and(|at| at <= now))
    }
}
