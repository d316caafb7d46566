//! Deadlines in a fixed table indexed by [`Timer`].

use crate::time::Instant;

/// The deadlines a connection keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Timer {
    /// Idle connection: a server closes it; a client stops reusing it.
    Idle,
    /// A head started arriving but is not complete (slow-loris guard, server).
    Head,
    /// A request body held back after `Expect: 100-continue` (client).
    Continue,
}

const TIMERS: usize = 3;

impl Timer {
    const ALL: [Timer; TIMERS] = [Timer::Idle, Timer::Head, Timer::Continue];

    const fn index(self) -> usize {
        match self {
            Timer::Idle => 0,
            Timer::Head => 1,
            Timer::Continue => 2,
        }
    }
}

/// One optional deadline per [`Timer`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerTable {
    deadlines: [Option<Instant>; TIMERS],
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.deadlines.get_mut(timer.index()) {
            *slot = Some(at);
        }
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        if let Some(slot) = self.deadlines.get_mut(timer.index()) {
            *slot = None;
        }
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.deadlines.get(timer.index()).copied().flatten()
    }

    pub(crate) fn stop_all(&mut self) {
        self.deadlines = [None; TIMERS];
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
