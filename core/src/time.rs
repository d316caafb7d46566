//! Time as plain numbers. The core never reads a clock: callers pass `now`.

use core::ops::{Add, Sub};

/// A point in time, in milliseconds since an epoch of the caller's choosing
/// (boot, process start, ...). Only differences matter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Instant(u64);

/// A span of time, in milliseconds, stored in 32 bits (4 bytes, so a
/// [`Config`](crate::Config) stays small): at most [`Duration::MAX`], about
/// 49.7 days. Longer spans saturate to it; for the timeouts of an HTTP
/// connection that is forever.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Duration(u32);

impl Instant {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// Time elapsed from `earlier` to `self`, zero if `earlier` is later,
    /// [`Duration::MAX`] if longer.
    pub const fn saturating_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

impl Duration {
    /// Zero.
    pub const ZERO: Self = Self(0);

    /// The longest span: `u32::MAX` milliseconds (about 49.7 days).
    pub const MAX: Self = Self(u32::MAX);

    /// `millis` milliseconds (saturating at [`Duration::MAX`]).
    pub const fn from_millis(millis: u64) -> Self {
        if millis > u32::MAX as u64 {
            Self::MAX
        } else {
            Self(millis as u32)
        }
    }

    /// `secs` seconds (saturating at [`Duration::MAX`]).
    pub const fn from_secs(secs: u64) -> Self {
        Self::from_millis(secs.saturating_mul(1000))
    }

    /// Length in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0 as u64
    }

    /// Whole seconds, rounded down.
    pub const fn as_secs(self) -> u64 {
        (self.0 / 1000) as u64
    }

    /// `self - other`, zero if `other` is longer.
    pub const fn saturating_sub(self, other: Self) -> Self {
        Self(self.0.saturating_sub(other.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates instead of overflowing: a deadline past the end of time is never reached.
    fn add(self, rhs: Duration) -> Instant {
        Instant(self.0.saturating_add(rhs.as_millis()))
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;

    /// Saturates at zero and at [`Duration::MAX`].
    fn sub(self, rhs: Instant) -> Duration {
        self.saturating_since(rhs)
    }
}

/// A `u64` kept as two `u32` halves: 4-byte aligned, so the state types
/// that hold one (a body decoder's count, a connection's deadlines) pack
/// without padding on 32-bit targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub(crate) struct Split64([u32; 2]);

impl Split64 {
    pub(crate) const fn new(n: u64) -> Self {
        Self([n as u32, (n >> 32) as u32])
    }

    pub(crate) const fn get(self) -> u64 {
        ((self.0[1] as u64) << 32) | self.0[0] as u64
    }
}
