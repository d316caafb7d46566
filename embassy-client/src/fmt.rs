//! One logging shim for the crate: `defmt` on firmware (feature `defmt`),
//! the `log` facade on a host (feature `log`), nothing otherwise. Format
//! strings must suit both: plain `{}` / `{:?}` with integers, `bool`,
//! `&str` and `Option`s of those.

macro_rules! log_info {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::info!($($arg)*);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::info!($($arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        $crate::fmt::unused!($($arg)*);
    }};
}

macro_rules! log_debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::debug!($($arg)*);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::debug!($($arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        $crate::fmt::unused!($($arg)*);
    }};
}

macro_rules! log_warn {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        ::defmt::warn!($($arg)*);
        #[cfg(all(feature = "log", not(feature = "defmt")))]
        ::log::warn!($($arg)*);
        #[cfg(not(any(feature = "log", feature = "defmt")))]
        $crate::fmt::unused!($($arg)*);
    }};
}

/// Without a logger the arguments are still evaluated by reference, so a
/// value computed only for a log line does not become an unused variable.
#[cfg(not(any(feature = "log", feature = "defmt")))]
macro_rules! unused {
    ($fmt:literal $(, $arg:expr)* $(,)?) => {{
        $( let _ = &$arg; )*
    }};
}

#[cfg(not(any(feature = "log", feature = "defmt")))]
pub(crate) use unused;
pub(crate) use {log_debug, log_info, log_warn};
