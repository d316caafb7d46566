//! Deadlines in a fixed table, read and set by [`Timer`].

use crate::time::{Instant, Split64};

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

/// One optional deadline per [`Timer`], in three slots: the idle, head and
/// body deadlines never run at once (a connection is idle, or receiving a
/// head, or receiving a body), so they share the first slot, which records
/// whose deadline it holds; the 100-continue and exchange deadlines have a
/// slot each. An unset deadline is stored as [`NEVER`] rather than `None`
/// (8 bytes a slot, as two 4-byte halves so the table packs with the
/// connection's single bytes on 32-bit targets); a deadline at the end of
/// time is never reached anyway.
///
/// Setting one of the shared timers replaces another one of them (debug
/// builds assert that the other was stopped first); stopping or reading one
/// that does not hold the slot sees it unset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerTable {
    /// Idle, head or body deadline: the one `phase` names.
    phase_at: Split64,
    continue_at: Split64,
    exchange_at: Split64,
    /// Which timer holds `phase_at`.
    phase: Timer,
}

/// The stored value of an unset deadline.
const NEVER: Split64 = Split64::new(u64::MAX);

const fn stored(at: Instant) -> Split64 {
    Split64::new(at.as_millis())
}

impl Default for TimerTable {
    fn default() -> Self {
        Self {
            phase_at: NEVER,
            continue_at: NEVER,
            exchange_at: NEVER,
            phase: Timer::Idle,
        }
    }
}

impl TimerTable {
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        match timer {
            Timer::Continue => self.continue_at = stored(at),
            Timer::Exchange => self.exchange_at = stored(at),
            Timer::Idle | Timer::Head | Timer::Body => {
                debug_assert!(
                    self.phase == timer || self.phase_at == NEVER,
                    "timer {timer:?} set while {:?} runs",
                    self.phase
                );
                self.phase = timer;
                self.phase_at = stored(at);
            }
        }
    }

    pub(crate) fn stop(&mut self, timer: Timer) {
        match timer {
            Timer::Continue => self.continue_at = NEVER,
            Timer::Exchange => self.exchange_at = NEVER,
            Timer::Idle | Timer::Head | Timer::Body => {
                if self.phase == timer {
                    self.phase_at = NEVER;
                }
            }
        }
    }

    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        let at = match timer {
            Timer::Continue => self.continue_at,
            Timer::Exchange => self.exchange_at,
            Timer::Idle | Timer::Head | Timer::Body if self.phase == timer => self.phase_at,
            Timer::Idle | Timer::Head | Timer::Body => NEVER,
        };
        (at != NEVER).then(|| Instant::from_millis(at.get()))
    }

    pub(crate) fn stop_all(&mut self) {
        *self = Self::default();
    }

    /// The earliest deadline, if any.
    pub(crate) fn next(&self) -> Option<Instant> {
        let at = self
            .phase_at
            .get()
            .min(self.continue_at.get())
            .min(self.exchange_at.get());
        (at != u64::MAX).then_some(Instant::from_millis(at))
    }

    /// Whether `timer` has a deadline at or before `now`.
    pub(crate) fn expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }
}
