//! Deadlines in a fixed table, read and set by [`Timer`].

use crate::time::Instant;

/// The deadlines a connection keeps. Each one's discriminant is its code
/// in a [`TimerSlots`] byte (see there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
pub(crate) enum Timer {
    /// Idle connection: a server closes it; a client stops reusing it.
    Idle = 1,
    /// A head started arriving but is not complete (slow-loris guard, server).
    Head = 2,
    /// A request body held back after `Expect: 100-continue` (client).
    Continue = 4,
    /// A body being received must keep arriving: the deadline moves on as
    /// bytes come in (both sides).
    Body = 3,
    /// The whole exchange, when the caller set a deadline for it.
    Exchange = 8,
}

/// The three deadline slots: the idle, head and body deadlines never run
/// at once (a connection is idle, or receiving a head, or receiving a
/// body), so they share the first slot ([`TimerSlots`] records whose
/// deadline it holds); the 100-continue and exchange deadlines have a slot
/// each. A timer's slot is its code shifted right by two.
const PHASE: usize = 0;
const SLOTS: usize = 3;

/// The [`TimerSlots`] bits saying each slot is set: any owner's code for
/// the shared slot, then the `Continue` and `Exchange` codes.
const SLOT_SET: [u8; SLOTS] = [0b11, Timer::Continue as u8, Timer::Exchange as u8];

/// The [`TimerSlots`] bit saying the first slot's deadline has the high
/// half after the table's (the next slots' bits follow it).
const CARRY: u8 = 1 << 4;

/// An unset deadline, read out of the table. A deadline at the end of
/// time is never reached anyway (`Instant + Duration` saturates there),
/// so setting one stops the timer.
const NEVER: u64 = u64::MAX;

/// The longest gap between the earliest and the latest deadline the table
/// holds: `u32::MAX` ms (about 49.7 days, [`Duration::MAX`]).
///
/// [`Duration::MAX`]: crate::time::Duration::MAX
const SPAN: u64 = u32::MAX as u64;

/// The three deadlines in 16 bytes (three `u64` would take 24): each
/// slot's low 32 bits, and one high half they share. Deadlines at most
/// [`SPAN`] apart have at most two high halves, one after the other: a
/// carry bit per slot in the [`TimerSlots`] byte (stored apart so that it
/// packs with the connection's other single bytes) says which. Reading a
/// deadline takes no arithmetic but that `+ 1`, and no search.
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerTable {
    /// The low 32 bits of each slot's deadline (meaningful when
    /// [`TimerSlots`] says the slot is set).
    low: [u32; SLOTS],
    /// One less than the high 32 bits of the latest deadline when stored
    /// (wrapping): each set deadline has these, or the next ones (the
    /// latest's, its carry bit).
    high: u32,
}

/// Which slots of a [`TimerTable`] are set, and how, in one byte: bits
/// 0-1 hold the code of the timer that holds the shared slot (`Idle`,
/// `Head` or `Body`; 0 while it is unset), bits 2 and 3 the `Continue` and
/// `Exchange` codes when set, and bits 4-6 each slot's carry ([`CARRY`]).
/// A timer runs when the byte, masked to its slot's set bits, equals its
/// code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct TimerSlots(u8);

impl TimerSlots {
    /// Whether `timer` runs (holds its slot).
    pub(crate) const fn runs(self, timer: Timer) -> bool {
        self.0 & set_mask(timer) == timer as u8
    }
}

/// The slot of `timer`.
const fn slot(timer: Timer) -> usize {
    (timer as usize) >> 2
}

/// The bits of `slots` that say whether `timer` runs.
const fn set_mask(timer: Timer) -> u8 {
    let code = timer as u8;
    if code < Timer::Continue as u8 {
        SLOT_SET[PHASE]
    } else {
        code
    }
}

/// The earliest set deadline of `all`, or [`NEVER`].
fn earliest_of(all: &[u64; SLOTS]) -> u64 {
    all.iter().copied().min().unwrap_or(NEVER)
}

/// Raises every set deadline of `all` below `floor` to it, and returns
/// the latest set deadline then, or [`NEVER`] if none is set. (One loop
/// for both jobs: with `floor` 0 it only finds the latest.)
fn raise_to(all: &mut [u64; SLOTS], floor: u64) -> u64 {
    // Shifted by one, `NEVER` wraps to 0, below every set deadline: the
    // largest shifted value, shifted back, is the latest set deadline, or
    // `NEVER` when none is set (0 wraps back). No branch per slot.
    let mut latest = 0u64;
    for at in all {
        *at = (*at).max(floor);
        latest = latest.max(at.wrapping_add(1));
    }
    latest.wrapping_sub(1)
}

/// Brings deadlines further apart than [`SPAN`] within it, by the rules
/// of [`TimerTable`]; `floor` the `now` the caller knows, else 0 (which
/// raises nothing). Returns the latest set deadline then ([`NEVER`] if
/// none is set).
fn keep_within_span(all: &mut [u64; SLOTS], floor: u64) -> u64 {
    // (With none set, `latest` and `earliest` are both `NEVER`; else the
    // earliest is a set one, at most the latest: no wrap.)
    let latest = raise_to(all, 0);
    if latest.wrapping_sub(earliest_of(all)) <= SPAN {
        return latest;
    }
    raise_to(all, floor);
    let [phase, continue_, exchange] = all;
    // (With `exchange` unset, it is set to what it is; with both others
    // unset, the difference is 0.)
    if exchange.saturating_sub((*phase).min(*continue_)) > SPAN {
        *exchange = NEVER;
    }
    // Raised to `SPAN` before the latest, which stays the latest.
    let latest = raise_to(all, 0);
    raise_to(all, latest.saturating_sub(SPAN))
}

impl TimerTable {
    /// The deadline of `slot` ([`NEVER`] if unset), whoever holds it.
    fn at_slot(&self, slots: TimerSlots, slot: usize) -> u64 {
        // Every caller's slot is one (a timer's, or a count to `SLOTS`):
        // clamped, it needs no test for one past them. (Built for size
        // only: the speed build runs more instructions with it, measured.)
        debug_assert!(slot < SLOTS, "no slot {slot}");
        let slot = if crate::small() {
            slot.min(SLOTS - 1)
        } else {
            slot
        };
        match (self.low.get(slot), SLOT_SET.get(slot)) {
            (Some(&low), Some(&set)) if slots.0 & set != 0 => {
                let carry = (slots.0 >> 4).wrapping_shr(slot as u32) & 1;
                let high = self.high.wrapping_add(u32::from(carry));
                u64::from(high) << 32 | u64::from(low)
            }
            _ => NEVER,
        }
    }

    /// Every slot's deadline ([`NEVER`] if unset), whoever holds the
    /// shared one.
    fn unpack(&self, slots: TimerSlots) -> [u64; SLOTS] {
        core::array::from_fn(|slot| self.at_slot(slots, slot))
    }

    /// Stores `all`, at most [`SPAN`] apart, `latest` the latest set one,
    /// with `owner` the code of the timer holding the shared slot if set.
    fn pack(&mut self, slots: &mut TimerSlots, all: [u64; SLOTS], latest: u64, owner: u8) {
        // The latest deadline's high half carries; the earliest's is that
        // one or the one before, stored (no search for the earliest).
        let top = (latest >> 32) as u32;
        let high = top.wrapping_sub(1);
        let mut layout = 0;
        for slot in 0..SLOTS {
            let at = all.get(slot).copied().unwrap_or(NEVER);
            if at != NEVER {
                layout |= SLOT_SET.get(slot).copied().unwrap_or(0);
                if (at >> 32) as u32 == top {
                    layout |= CARRY << slot;
                }
            }
            if let Some(low) = self.low.get_mut(slot) {
                *low = at as u32;
            }
        }
        self.high = high;
        *slots = TimerSlots(layout & (owner | !SLOT_SET[PHASE]));
    }

    /// A table holding `timer` at `at` alone: what [`TimerTable::set`]
    /// makes of an empty one, with no deadline to keep within [`SPAN`].
    pub(crate) fn one(timer: Timer, at: Instant) -> (Self, TimerSlots) {
        let at = at.as_millis();
        let mut table = Self {
            low: [NEVER as u32; SLOTS],
            high: ((at >> 32) as u32).wrapping_sub(1),
        };
        if let Some(low) = table.low.get_mut(slot(timer)) {
            *low = at as u32;
        }
        // Alone, the deadline is the latest: its high half carries.
        let set = if at == NEVER {
            0
        } else {
            timer as u8 | CARRY << slot(timer)
        };
        (table, TimerSlots(set))
    }

    /// Sets `timer` to `at`; `now` if the caller knows it.
    pub(crate) fn set(
        &mut self,
        slots: &mut TimerSlots,
        timer: Timer,
        at: Instant,
        now: Option<Instant>,
    ) {
        self.set_millis(
            slots,
            at.as_millis(),
            now.map_or(0, Instant::as_millis),
            timer,
        );
    }

    /// [`TimerTable::set`] in milliseconds, `floor` the `now` known (0
    /// when not: a floor of 0 raises nothing): no `Option` to pass or
    /// test.
    #[inline(never)]
    fn set_millis(&mut self, slots: &mut TimerSlots, at: u64, floor: u64, timer: Timer) {
        let slot = slot(timer);
        let mut owner = slots.0 & SLOT_SET[PHASE];
        if slot == PHASE {
            debug_assert!(
                owner == 0 || owner == timer as u8,
                "timer {timer:?} set while {owner} runs",
            );
            owner = timer as u8;
        }
        let mut all = self.unpack(*slots);
        if let Some(deadline) = all.get_mut(slot) {
            *deadline = at;
        }
        let latest = keep_within_span(&mut all, floor);
        self.pack(slots, all, latest, owner);
    }

    /// Stops `timer`; stopping one that does not hold the shared slot does
    /// nothing. (The others stay as they are: still within `SPAN`.)
    pub(crate) fn stop(&mut self, slots: &mut TimerSlots, timer: Timer) {
        let mask = set_mask(timer);
        // A timer with a slot of its own has its code for a mask: clearing
        // it unasked is what stopping it does (no test, no branch).
        if slot(timer) != PHASE || slots.0 & mask == timer as u8 {
            slots.0 &= !mask;
        }
    }

    /// The deadline of `timer`, if set (a shared-slot timer that does not
    /// hold the slot has none). (The engine reads [`TimerTable::millis`].)
    #[cfg(test)]
    pub(crate) fn get(&self, slots: TimerSlots, timer: Timer) -> Option<Instant> {
        let at = self.millis(slots, timer);
        (at != NEVER).then_some(Instant::from_millis(at))
    }

    /// The deadline of `timer` in milliseconds, `u64::MAX` if unset (no
    /// set deadline is; a shared-slot timer that does not hold the slot
    /// has none): returned in registers, where an `Option` is not.
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn millis(&self, slots: TimerSlots, timer: Timer) -> u64 {
        // A table read with no slot set reads `NEVER`.
        let read = if slots.runs(timer) {
            slots
        } else {
            TimerSlots(0)
        };
        self.at_slot(read, slot(timer))
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self, slots: &mut TimerSlots) {
        *self = Self::default();
        *slots = TimerSlots::default();
    }

    /// The earliest deadline, if any.
    #[cfg_attr(not(h1conn_small), inline)]
    pub(crate) fn next(&self, slots: TimerSlots) -> Option<Instant> {
        let at = (0..SLOTS).fold(NEVER, |at, slot| at.min(self.at_slot(slots, slot)));
        (at != NEVER).then_some(Instant::from_millis(at))
    }

    /// Whether `timer` has a deadline at or before `now`.
    #[cfg(test)]
    pub(crate) fn expired(&self, slots: TimerSlots, timer: Timer, now: Instant) -> bool {
        self.get(slots, timer).is_some_and(|at| at <= now)
    }

    /// The timers whose deadlines are at or before `now`, as a
    /// [`TimerSlots`] byte holding only theirs (ask it with
    /// [`TimerSlots::runs`]): one pass over the table for every timer.
    pub(crate) fn expired_by(&self, slots: TimerSlots, now: Instant) -> TimerSlots {
        // No set deadline is `NEVER`: below it, an unset one never passes.
        let now = now.as_millis().min(NEVER - 1);
        let mut expired = 0;
        // By reference: the table is read where it lies, not copied to
        // the stack first.
        for (slot, &set) in SLOT_SET.iter().enumerate() {
            if self.at_slot(slots, slot) <= now {
                expired |= slots.0 & set;
            }
        }
        TimerSlots(expired)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every timer.
    const TIMERS: [Timer; 5] = [
        Timer::Idle,
        Timer::Head,
        Timer::Body,
        Timer::Continue,
        Timer::Exchange,
    ];

    fn at(ms: u64) -> Instant {
        Instant::from_millis(ms)
    }

    /// A table made with one deadline is the one `set` makes of an empty
    /// table, for every timer and up to the end of time.
    #[test]
    fn one_deadline_is_what_set_makes() {
        for timer in TIMERS {
            for ms in [0, 1, 4_000, SPAN, SPAN + 1, 3 * SPAN, NEVER - 1, NEVER] {
                let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
                table.set(&mut slots, timer, at(ms), Some(at(0)));
                assert_eq!(
                    TimerTable::one(timer, at(ms)),
                    (table, slots),
                    "{timer:?} {ms}"
                );
            }
        }
    }

    #[test]
    fn holds_three_deadlines_exactly() {
        let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
        assert_eq!(table.next(slots), None);
        table.set(&mut slots, Timer::Exchange, at(9_000), None);
        table.set(&mut slots, Timer::Head, at(5_000), Some(at(0)));
        table.set(&mut slots, Timer::Continue, at(7_000), Some(at(0)));
        assert_eq!(table.get(slots, Timer::Head), Some(at(5_000)));
        assert_eq!(table.get(slots, Timer::Idle), None);
        assert_eq!(table.get(slots, Timer::Continue), Some(at(7_000)));
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(9_000)));
        assert_eq!(table.next(slots), Some(at(5_000)));
        table.stop(&mut slots, Timer::Idle);
        assert_eq!(table.get(slots, Timer::Head), Some(at(5_000)));
        table.stop(&mut slots, Timer::Head);
        assert_eq!(table.next(slots), Some(at(7_000)));
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(9_000)));
        assert!(table.expired(slots, Timer::Continue, at(7_000)));
        assert!(!table.expired(slots, Timer::Exchange, at(8_999)));
        table.stop_all(&mut slots);
        assert_eq!(table.next(slots), None);
    }

    /// The expired timers found in one pass are those `expired` finds
    /// one by one, for any deadlines and any instant.
    #[test]
    fn expired_by_agrees_with_each_timer() {
        let instants = [0, 1, 5, 9, SPAN, SPAN + 4, NEVER - 1, NEVER];
        for phase in 0..4 {
            for bits in 0..4u8 {
                let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
                if let Some(&timer) = [Timer::Idle, Timer::Head, Timer::Body].get(phase) {
                    table.set(&mut slots, timer, at(5), Some(at(0)));
                }
                if bits & 1 != 0 {
                    table.set(&mut slots, Timer::Continue, at(9), Some(at(0)));
                }
                if bits & 2 != 0 {
                    table.set(&mut slots, Timer::Exchange, at(NEVER - 1), None);
                    table.set(&mut slots, Timer::Exchange, at(1), None);
                }
                for &now in &instants {
                    let expired = table.expired_by(slots, at(now));
                    for timer in TIMERS {
                        assert_eq!(
                            expired.runs(timer),
                            table.expired(slots, timer, at(now)),
                            "{timer:?} {now} {slots:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_deadline_at_the_end_of_time_stops() {
        let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
        table.set(&mut slots, Timer::Body, at(5), Some(at(0)));
        table.set(&mut slots, Timer::Exchange, at(SPAN + 4), None);
        table.set(&mut slots, Timer::Body, at(NEVER), Some(at(0)));
        assert_eq!(table.get(slots, Timer::Body), None);
        assert_eq!(table.next(slots), Some(at(SPAN + 4)));
        // The shared slot is free again for another timer.
        table.set(&mut slots, Timer::Idle, at(9), Some(at(0)));
        assert_eq!(table.get(slots, Timer::Idle), Some(at(9)));
        assert_eq!(table.get(slots, Timer::Body), None);
        assert_eq!(table.get(slots, Timer::Exchange), Some(at(SPAN + 4)));
    }

    #[test]
    fn far_apart_deadlines() {
        let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
        let end = u64::MAX - 1;
        // Alone, any deadline is exact, up to the end of time.
        table.set(&mut slots, Timer::Exchange, at(end), None);
        assert_eq!(table.next(slots), Some(at(end)));
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
    /// plain table of the deadlines would: near the start of time, across
    /// a change of the high 32 bits, and near the end of time.
    #[test]
    fn agrees_with_a_plain_table() {
        extern crate std;
        use std::vec::Vec;
        fn check(base: u8, ops: Vec<(u8, bool, u32)>) -> bool {
            let base = [1_000_000, (1 << 32) - 1_000_000, u64::MAX - SPAN][usize::from(base) % 3];
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
                if table.next(slots) != model.iter().flatten().min().copied().map(at_ms) {
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
            .quickcheck(check as fn(u8, Vec<(u8, bool, u32)>) -> bool);
    }

    /// The rules for deadlines too far apart as first written (a branch
    /// per slot, unset ones filtered out): the table must keep exactly the
    /// deadlines these keep.
    fn kept_reference(all: [u64; 3], now: Option<Instant>) -> [u64; 3] {
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
        all
    }

    /// Any three deadlines, brought within `SPAN` and stored, read back as
    /// the reference keeps them, through every reader.
    #[test]
    fn keeps_what_the_reference_keeps() {
        extern crate std;
        // Deadlines around the edges: unset, the end of time, `SPAN` apart,
        // either side of a change of the high 32 bits.
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
            let owner = [Timer::Idle, Timer::Head, Timer::Body][usize::from(owner) % 3];
            let now = now.map(|p| Instant::from_millis(POOL[usize::from(p) % 8]));
            let expected = kept_reference(all, now);
            let mut kept = all;
            let latest = keep_within_span(&mut kept, now.map_or(0, Instant::as_millis));
            let (mut table, mut slots) = (TimerTable::default(), TimerSlots::default());
            table.pack(&mut slots, kept, latest, owner as u8);
            let read = |at: u64| (at != NEVER).then_some(Instant::from_millis(at));
            let [phase, continue_, exchange] = expected;
            let expected_latest = expected
                .into_iter()
                .filter(|&at| at != NEVER)
                .max()
                .unwrap_or(NEVER);
            kept == expected
                && latest == expected_latest
                && table.unpack(slots) == expected
                && [Timer::Idle, Timer::Head, Timer::Body]
                    .into_iter()
                    .all(|timer| table.get(slots, timer) == read(phase).filter(|_| timer == owner))
                && table.get(slots, Timer::Continue) == read(continue_)
                && table.get(slots, Timer::Exchange) == read(exchange)
                && table.next(slots) == read(expected.into_iter().min().unwrap_or(NEVER))
        }
        quickcheck::QuickCheck::new()
            .tests(20_000)
            .quickcheck(check as fn((u8, u8, u8), (u32, u32, u32), u8, Option<u8>) -> bool);
    }
}
