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

/// The three deadline slots, as indexes of `[u64; 3]`: the idle, head and
/// body deadlines never run at once (a connection is idle, or receiving a
/// head, or receiving a body), so they share the first slot
/// ([`TimerSlots`] records whose deadline it holds); the 100-continue and
/// exchange deadlines have a slot each.
const PHASE: usize = 0;
const CONTINUE: usize = 1;
const EXCHANGE: usize = 2;

/// An unset deadline, unpacked. A deadline at the end of time is never
/// reached anyway (`Instant + Duration` saturates there).
const NEVER: u64 = u64::MAX;

/// The longest gap between the earliest and the latest deadline the table
/// holds: `u32::MAX` ms (about 49.7 days, [`Duration::MAX`]).
///
/// [`Duration::MAX`]: crate::time::Duration::MAX
const SPAN: u64 = u32::MAX as u64;

/// The three deadlines in 16 bytes (three `u64` would take 24): the
/// earliest in full, the other two as `u32` milliseconds after it. Which
/// deadline is the earliest and which are set is kept in a [`TimerSlots`]
/// byte, stored apart so that it packs with the connection's other single
/// bytes.
///
/// # The one rule that is not exact
///
/// Deadlines are stored exactly as long as they lie within [`SPAN`]
/// (about 49.7 days) of each other. Every deadline the engine sets itself
/// is `now` plus a [`Duration`](crate::time::Duration), at most `SPAN`
/// ahead, so two such deadlines are further apart only when the earlier
/// one passed long ago without `handle_timeout` being called. When a set
/// would leave deadlines further apart (rare):
///
/// - with `now` known (the engine's own deadlines), a deadline already
///   passed is raised to `now`;
/// - the caller's exchange deadline, if still more than `SPAN` after the
///   earliest of the engine's deadlines, is dropped: like a timeout of
///   [`Duration::MAX`](crate::time::Duration::MAX), it is forever for an
///   HTTP exchange;
/// - any deadline still more than `SPAN` before the latest one is raised to
///   `SPAN` before it. Such a deadline has passed: the latest is then one
///   of the engine's, at most `SPAN` after the `now` it was set at.
///
/// A raised deadline has passed and still has: it fires on the next
/// `handle_timeout`, and only the instant `poll_timeout` reports for it
/// (also in the past) changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerTable {
    /// The earliest deadline ([`NEVER`] when none is set).
    first: Split64,
    /// The two other slots in index order, in milliseconds after `first`
    /// (meaningful when [`TimerSlots`] says they are set).
    later: [u32; 2],
}

/// The layout of a [`TimerTable`] in one byte: which timer holds the
/// shared slot (bits 0-1: `Idle`, `Head`, `Body`), which slot `first` is
/// (bits 2-3), and whether each of `later` is set (bits 4 and 5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerSlots(u8);

const SLOTS_OWNER: u8 = 0b11;
const SLOTS_FIRST_SHIFT: u32 = 2;
const SLOTS_LATER_SET: [u8; 2] = [1 << 4, 1 << 5];

impl TimerSlots {
    /// The timer that holds the shared slot.
    const fn owner(self) -> Timer {
        match self.0 & SLOTS_OWNER {
            1 => Timer::Head,
            2 => Timer::Body,
            _ => Timer::Idle,
        }
    }

    /// The slot `first` holds.
    const fn first(self) -> usize {
        ((self.0 >> SLOTS_FIRST_SHIFT) & 0b11) as usize
    }
}

impl Default for TimerTable {
    fn default() -> Self {
        Self {
            first: Split64::new(NEVER),
            later: [0; 2],
        }
    }
}

/// The slots other than `first`, in index order (those `later` holds).
const fn others(first: usize) -> [usize; 2] {
    match first {
        CONTINUE => [PHASE, EXCHANGE],
        EXCHANGE => [PHASE, CONTINUE],
        _ => [CONTINUE, EXCHANGE],
    }
}

/// The bit of [`TimerSlots`] saying `slot` is set, when `first` is the
/// earliest (0 for `first` itself).
fn later_bit(first: usize, slot: usize) -> u8 {
    let [a, b] = others(first);
    if slot == a {
        SLOTS_LATER_SET[0]
    } else if slot == b {
        SLOTS_LATER_SET[1]
    } else {
        0
    }
}

/// The earliest set deadline of `all`, or [`NEVER`].
fn earliest_of(all: &[u64; 3]) -> u64 {
    all.iter().copied().min().unwrap_or(NEVER)
}

/// The latest set deadline of `all`, or [`NEVER`] if none is set.
fn latest_of(all: &[u64; 3]) -> u64 {
    // Shifted by one, `NEVER` wraps to 0, below every set deadline: the
    // largest shifted value, shifted back, is the latest set deadline, or
    // `NEVER` when none is set (0 wraps back). No branch per slot.
    all.iter()
        .fold(0, |latest: u64, &at| latest.max(at.wrapping_add(1)))
        .wrapping_sub(1)
}

/// The slot of `timer`.
const fn slot(timer: Timer) -> usize {
    match timer {
        Timer::Idle | Timer::Head | Timer::Body => PHASE,
        Timer::Continue => CONTINUE,
        Timer::Exchange => EXCHANGE,
    }
}

impl TimerTable {
    /// The deadline `slot` holds ([`NEVER`] if unset), without unpacking
    /// the others.
    // One copy in a size build, where `unpack` and `get` both read it.
    #[cfg_attr(not(h1conn_small), inline)]
    #[cfg_attr(h1conn_small, inline(never))]
    fn at_slot(&self, slots: TimerSlots, slot: usize) -> u64 {
        let first = slots.first();
        if slot == first {
            return self.first.get();
        }
        let [a, b] = others(first);
        let index = if slot == a {
            0
        } else if slot == b {
            1
        } else {
            return NEVER;
        };
        match (SLOTS_LATER_SET.get(index), self.later.get(index)) {
            (Some(&set), Some(&after)) if slots.0 & set != 0 => {
                self.first.get().saturating_add(u64::from(after))
            }
            _ => NEVER,
        }
    }

    /// Every slot's deadline ([`NEVER`] if unset), whoever holds the
    /// shared one.
    fn unpack(&self, slots: TimerSlots) -> [u64; 3] {
        // A size build reads each slot alone: one copy of the layout's
        // rules, and no fill of the array first (the model test covers
        // both builds).
        if cfg!(h1conn_small) {
            return [PHASE, CONTINUE, EXCHANGE].map(|slot| self.at_slot(slots, slot));
        }
        let mut all = [NEVER; 3];
        let first = self.first.get();
        if let Some(at) = all.get_mut(slots.first()) {
            *at = first;
        }
        for ((slot, after), set) in others(slots.first())
            .into_iter()
            .zip(self.later)
            .zip(SLOTS_LATER_SET)
        {
            if let Some(at) = all.get_mut(slot)
                && slots.0 & set != 0
            {
                *at = first.saturating_add(u64::from(after));
            }
        }
        all
    }

    /// Stores `all` (see the type's rule for deadlines too far apart);
    /// `now` if the caller knows it.
    fn pack(&mut self, slots: &mut TimerSlots, mut all: [u64; 3], now: Option<Instant>) {
        let earliest = earliest_of(&all);
        let latest = latest_of(&all);
        // (With none set, `latest` and `earliest` are both `NEVER`.)
        if latest.saturating_sub(earliest) > SPAN {
            if let Some(now) = now {
                for at in &mut all {
                    *at = (*at).max(now.as_millis());
                }
            }
            let [phase, continue_, exchange] = &mut all;
            let engine = (*phase).min(*continue_);
            // (Never true with `exchange` unset, nor with `engine` unset.)
            if *exchange > engine.saturating_add(SPAN) {
                *exchange = NEVER;
            }
            let floor = latest_of(&all).saturating_sub(SPAN);
            for at in &mut all {
                *at = (*at).max(floor);
            }
        }
        // The earliest slot (the lowest index on a tie) and its deadline.
        let [phase_at, ..] = all;
        let (mut first, mut first_at) = (PHASE, phase_at);
        for (slot, &at) in all.iter().enumerate() {
            if at < first_at {
                (first, first_at) = (slot, at);
            }
        }
        let mut layout = (slots.0 & SLOTS_OWNER) | ((first as u8) << SLOTS_FIRST_SHIFT);
        for ((slot, after), set) in others(first)
            .into_iter()
            .zip(&mut self.later)
            .zip(SLOTS_LATER_SET)
        {
            let at = all.get(slot).copied().unwrap_or(NEVER);
            if at != NEVER {
                // At most `SPAN` after `first`, as made sure above.
                *after = u32::try_from(at.saturating_sub(first_at)).unwrap_or(u32::MAX);
                layout |= set;
            }
        }
        self.first = Split64::new(first_at);
        *slots = TimerSlots(layout);
    }

    /// Sets `slot` to `at` (ms) without repacking, in the common cases:
    /// no other deadline is set, or this one is not the earliest and stays
    /// within `SPAN` after it. `false` when the general path must run.
    fn set_in_place(&mut self, slots: &mut TimerSlots, slot: usize, at: u64) -> bool {
        let first = slots.first();
        let first_at = self.first.get();
        if at == NEVER {
            return false;
        }
        if slot != first && first_at != NEVER {
            if at < first_at || at - first_at > SPAN {
                return false;
            }
            let [a, _] = others(first);
            let index = usize::from(slot != a);
            let (Some(after), Some(&set)) = (self.later.get_mut(index), SLOTS_LATER_SET.get(index))
            else {
                return false;
            };
            // At most `SPAN`, checked above.
            *after = u32::try_from(at - first_at).unwrap_or(u32::MAX);
            slots.0 |= set;
            return true;
        }
        if slots.0 & (SLOTS_LATER_SET[0] | SLOTS_LATER_SET[1]) != 0 {
            return false;
        }
        // The only deadline set.
        self.first = Split64::new(at);
        slots.0 = (slots.0 & SLOTS_OWNER) | ((slot as u8) << SLOTS_FIRST_SHIFT);
        true
    }

    /// Sets `timer` to `at`; `now` if the caller knows it.
    pub(crate) fn set(
        &mut self,
        slots: &mut TimerSlots,
        timer: Timer,
        at: Instant,
        now: Option<Instant>,
    ) {
        let slot = slot(timer);
        if slot == PHASE {
            debug_assert!(
                slots.owner() == timer || self.at_slot(*slots, PHASE) == NEVER,
                "timer {timer:?} set while {:?} runs",
                slots.owner()
            );
            let owner = match timer {
                Timer::Head => 1,
                Timer::Body => 2,
                _ => 0,
            };
            slots.0 = (slots.0 & !SLOTS_OWNER) | owner;
        }
        let at = at.as_millis();
        // A size build keeps only the general path below.
        if !cfg!(h1conn_small) && self.set_in_place(slots, slot, at) {
            return;
        }
        let mut all = self.unpack(*slots);
        if let Some(deadline) = all.get_mut(slot) {
            *deadline = at;
        }
        self.pack(slots, all, now);
    }

    /// Stops `timer`; stopping one that does not hold the shared slot does
    /// nothing.
    pub(crate) fn stop(&mut self, slots: &mut TimerSlots, timer: Timer) {
        if self.get(*slots, timer).is_none() {
            return;
        }
        let slot = slot(timer);
        if cfg!(h1conn_small) {
            // A size build keeps only the general path below.
        } else if slot != slots.first() {
            // Not the earliest: the others keep their places.
            slots.0 &= !later_bit(slots.first(), slot);
            return;
        } else if slots.0 & (SLOTS_LATER_SET[0] | SLOTS_LATER_SET[1]) == 0 {
            // The only one set.
            self.first = Split64::new(NEVER);
            return;
        }
        let mut all = self.unpack(*slots);
        if let Some(deadline) = all.get_mut(slot) {
            *deadline = NEVER;
        }
        self.pack(slots, all, None);
    }

    /// The deadline of `timer`, if set (a shared-slot timer that does not
    /// hold the slot has none).
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn get(&self, slots: TimerSlots, timer: Timer) -> Option<Instant> {
        let slot = slot(timer);
        if slot == PHASE && slots.owner() != timer {
            return None;
        }
        let at = self.at_slot(slots, slot);
        (at != NEVER).then_some(Instant::from_millis(at))
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self, slots: &mut TimerSlots) {
        *self = Self::default();
        *slots = TimerSlots::default();
    }

    /// The earliest deadline, if any.
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn next(&self) -> Option<Instant> {
        let at = self.first.get();
        (at != NEVER).then_some(Instant::from_millis(at))
    }

    /// Whether `timer` has a deadline at or before `now`.
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn expired(&self, slots: TimerSlots, timer: Timer, now: Instant) -> bool {
        self.get(slots, timer).is_some_and(|at| at <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    #[test]
    fn holds_three_deadlines_exactly() {
        let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
        assert_eq!(table.next(), None);
        table.set(&mut slots, Timer::Exchange, at(9_000), None);
        table.set(&mut slots, Timer::Head, at(5_000), Some(at(0)));
        table.set(&mut slots, Timer::Continue, at(7_000), Some(at(0)));
        assert_eq!(table.get(slots, Timer::Head), Some(at(5_000)));
        assert_eq!(table.get(slots, Timer::Idle), None);
        assert_eq!(table.get(slots, Timer::Continue), Some(at(7_000)));
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(9_000)));
        assert_eq!(table.next(), Some(at(5_000)));
        table.stop(&mut slots, Timer::Idle);
        assert_eq!(table.get(slots, Timer::Head), Some(at(5_000)));
        table.stop(&mut slots, Timer::Head);
        assert_eq!(table.next(), Some(at(7_000)));
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(9_000)));
        assert!(table.expired(slots, Timer::Continue, at(7_000)));
        assert!(!table.expired(slots, Timer::Exchange, at(8_999)));
        table.stop_all(&mut slots);
        assert_eq!(table.next(), None);
    }

    #[test]
    fn far_apart_deadlines() {
        let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
        let end = u64::MAX - 1;
        // Alone, any deadline is exact, up to the end of time.
        table.set(&mut slots, Timer::Exchange, at(end), None);
        assert_eq!(table.next(), Some(at(end)));
        // The engine's deadlines are at most `SPAN` ahead: both exact.
        table.set(&mut slots, Timer::Idle, at(SPAN), Some(at(0)));
        table.set(&mut slots, Timer::Exchange, at(0), None);
        assert_eq!(table.get(slots, Timer::Idle), Some(at(SPAN)));
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(0)));
        // An exchange deadline further than `SPAN` after them is dropped.
        table.set(&mut slots, Timer::Exchange, at(2 * SPAN + 1), None);
        assert_eq!(table.get(slots, Timer::Exchange), None);
        // One long passed is raised, and still fires.
        table.set(&mut slots, Timer::Exchange, at(0), None);
        table.set(
            &mut slots,
            Timer::Continue,
            at(3 * SPAN),
            Some(at(3 * SPAN - 5)),
        );
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(3 * SPAN - 5)));
        assert_eq!(table.get(slots, Timer::Idle), Some(at(3 * SPAN - 5)));
        assert!(table.expired(slots, Timer::Exchange, at(3 * SPAN - 5)));
        assert_eq!(table.get(slots, Timer::Continue), Some(at(3 * SPAN)));
    }

    /// Any sequence of sets and stops (deadlines within `SPAN` of each
    /// other, the engine's rule for the shared slot kept) reads back as a
    /// plain table of the deadlines would.
    #[test]
    fn agrees_with_a_plain_table() {
        extern crate std;
        use std::vec::Vec;
        fn check(ops: Vec<(u8, bool, u32)>) -> bool {
            const TIMERS: [Timer; 5] = [
                Timer::Idle,
                Timer::Head,
                Timer::Continue,
                Timer::Body,
                Timer::Exchange,
            ];
            let base = 1_000_000u64;
            let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
            let mut model: [Option<u64>; 5] = [None; 5];
            for (pick, stop, offset) in ops {
                let index = usize::from(pick) % TIMERS.len();
                let timer = TIMERS[index];
                let shared =
                    |i: usize| matches!(TIMERS[i], Timer::Idle | Timer::Head | Timer::Body);
                if stop {
                    table.stop(&mut slots, timer);
                    model[index] = None;
                } else {
                    // The engine never sets a phase timer while another runs.
                    if shared(index)
                        && (0..5).any(|i| i != index && shared(i) && model[i].is_some())
                    {
                        continue;
                    }
                    let at = base + u64::from(offset % (u32::MAX / 2));
                    table.set(&mut slots, timer, at_ms(at), Some(at_ms(base)));
                    model[index] = Some(at);
                }
                for (i, &t) in TIMERS.iter().enumerate() {
                    if table.get(slots, t) != model[i].map(at_ms) {
                        return false;
                    }
                }
                if table.next() != model.iter().flatten().min().copied().map(at_ms) {
                    return false;
                }
            }
            true
        }
        fn at_ms(ms: u64) -> Instant {
            Instant::from_millis(ms)
        }
        quickcheck::QuickCheck::new()
            .tests(2000)
            .quickcheck(check as fn(Vec<(u8, bool, u32)>) -> bool);
    }

    /// The table's layout rules as first written (branch per slot, a
    /// search for the earliest by index): `pack`, rewritten smaller, must
    /// store exactly what this stores, far-apart deadlines included.
    fn pack_reference(
        all: [u64; 3],
        slots: TimerSlots,
        now: Option<Instant>,
    ) -> (TimerTable, TimerSlots) {
        let mut all = all;
        let earliest = all.iter().copied().min().unwrap_or(NEVER);
        let latest_of = |all: &[u64; 3]| {
            all.iter()
                .copied()
                .filter(|&at| at != NEVER)
                .max()
                .unwrap_or(NEVER)
        };
        let latest = latest_of(&all);
        if latest != NEVER && latest.saturating_sub(earliest) > SPAN {
            if let Some(now) = now {
                for at in all.iter_mut().filter(|at| **at < now.as_millis()) {
                    *at = now.as_millis();
                }
            }
            let [phase, continue_, exchange] = &mut all;
            let engine = (*phase).min(*continue_);
            if engine != NEVER && *exchange != NEVER && *exchange > engine.saturating_add(SPAN) {
                *exchange = NEVER;
            }
            let floor = latest_of(&all).saturating_sub(SPAN);
            for at in all.iter_mut().filter(|at| **at < floor) {
                *at = floor;
            }
        }
        let mut first = PHASE;
        for (slot, at) in all.into_iter().enumerate() {
            if at < all[first] {
                first = slot;
            }
        }
        let first_at = all[first];
        let mut table = TimerTable::default();
        let mut layout = (slots.0 & SLOTS_OWNER) | ((first as u8) << SLOTS_FIRST_SHIFT);
        for ((slot, after), set) in others(first)
            .into_iter()
            .zip(&mut table.later)
            .zip(SLOTS_LATER_SET)
        {
            let at = all[slot];
            if at != NEVER {
                *after = u32::try_from(at.saturating_sub(first_at)).unwrap_or(u32::MAX);
                layout |= set;
            }
        }
        table.first = Split64::new(first_at);
        (table, TimerSlots(layout))
    }

    #[test]
    fn pack_agrees_with_the_reference() {
        extern crate std;
        // Deadlines around the edges: unset, the end of time, `SPAN` apart.
        const POOL: [u64; 10] = [
            0,
            1,
            1_000,
            SPAN,
            SPAN + 1,
            SPAN + 1_001,
            3 * SPAN,
            NEVER - 1,
            NEVER,
            NEVER,
        ];
        fn check(
            picks: (u8, u8, u8),
            offsets: (u32, u32, u32),
            owner: u8,
            now: Option<u8>,
        ) -> bool {
            let pick = |p: u8, off: u32| {
                POOL[usize::from(p) % POOL.len()].saturating_add(u64::from(off % 3))
            };
            let all = [
                pick(picks.0, offsets.0),
                pick(picks.1, offsets.1),
                pick(picks.2, offsets.2),
            ];
            let slots = TimerSlots(owner % 3);
            let now = now.map(|p| Instant::from_millis(POOL[usize::from(p) % 8]));
            let (mut table, mut packed) = (TimerTable::default(), slots);
            table.pack(&mut packed, all, now);
            (table, packed) == pack_reference(all, slots, now)
        }
        quickcheck::QuickCheck::new()
            .tests(20_000)
            .quickcheck(check as fn((u8, u8, u8), (u32, u32, u32), u8, Option<u8>) -> bool);
    }
}
