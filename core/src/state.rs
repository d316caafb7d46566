//! The transition table of one half of a connection (what a side sends, or
//! what it receives), in one place.
//!
//! A half goes `Idle -> Head -> Body -> Done` for each message, then back to
//! `Idle` when the exchange completes and the connection persists, or to
//! `MustClose` when it does not. `Switched` (protocol switch) and `Closed`
//! are final. Anything the table does not list is illegal and leaves the
//! state unchanged.

/// Where one half of a connection is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HalfState {
    /// Between messages.
    Idle,
    /// Part of a head has been received (receiving half only).
    Head,
    /// The head is done; body bytes are being sent or received.
    Body,
    /// The message is complete; waiting for the other half of the exchange.
    Done,
    /// No further message may start; the connection will close.
    MustClose,
    /// The connection is closed.
    Closed,
    /// The connection no longer carries HTTP (101, or 2xx to CONNECT).
    Switched,
}

/// What happens to a half.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// The first bytes of a head arrived.
    HeadStarted,
    /// A head completed; `body` says whether body bytes follow.
    HeadDone {
        /// Whether a body follows the head.
        body: bool,
    },
    /// The body completed.
    BodyDone,
    /// An interim (1xx) response head completed; the final one follows.
    InterimDone,
    /// The exchange completed; `keep` says whether the connection persists.
    ExchangeDone {
        /// Whether the connection may carry another exchange.
        keep: bool,
    },
    /// The connection switched protocols.
    Switch,
    /// The connection must close after the current message.
    MustClose,
    /// The connection closed.
    Close,
}

/// The transition table. `None`: the step is illegal in this state.
pub const fn next(state: HalfState, step: Step) -> Option<HalfState> {
    use HalfState as S;
    use Step as E;
    Some(match (state, step) {
        (S::Idle, E::HeadStarted) => S::Head,
        (S::Idle | S::Head, E::HeadDone { body: true }) => S::Body,
        (S::Idle | S::Head, E::HeadDone { body: false }) => S::Done,
        (S::Body, E::BodyDone) => S::Done,
        (S::Head, E::InterimDone) => S::Idle,
        (S::Done, E::ExchangeDone { keep: true }) => S::Idle,
        (S::Done, E::ExchangeDone { keep: false }) => S::MustClose,
        // A half between messages closes at once; one mid-message finishes first.
        (S::Idle, E::MustClose) => S::MustClose,
        (S::Head | S::Body | S::Done | S::MustClose, E::MustClose) => state,
        (S::Idle | S::Head | S::Body | S::Done, E::Switch) => S::Switched,
        (S::Switched, E::Switch) => S::Switched,
        (_, E::Close) => S::Closed,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL_STATES: [HalfState; 7] = [
        HalfState::Idle,
        HalfState::Head,
        HalfState::Body,
        HalfState::Done,
        HalfState::MustClose,
        HalfState::Closed,
        HalfState::Switched,
    ];

    #[test]
    fn closed_and_switched_are_final() {
        let steps = [
            Step::HeadStarted,
            Step::HeadDone { body: true },
            Step::HeadDone { body: false },
            Step::BodyDone,
            Step::ExchangeDone { keep: true },
            Step::MustClose,
        ];
        for step in steps {
            assert_eq!(next(HalfState::Closed, step), None, "{step:?}");
            assert!(matches!(
                next(HalfState::Switched, step),
                None | Some(HalfState::Switched)
            ));
        }
    }

    #[test]
    fn must_close_never_reopens() {
        for step in [
            Step::HeadStarted,
            Step::HeadDone { body: false },
            Step::ExchangeDone { keep: true },
        ] {
            assert_eq!(next(HalfState::MustClose, step), None);
        }
        for state in ALL_STATES {
            assert_eq!(next(state, Step::Close), Some(HalfState::Closed));
        }
    }

    #[test]
    fn a_message_cycle() {
        let mut s = HalfState::Idle;
        for step in [
            Step::HeadStarted,
            Step::HeadDone { body: true },
            Step::BodyDone,
            Step::ExchangeDone { keep: true },
        ] {
            s = next(s, step).unwrap();
        }
        assert_eq!(s, HalfState::Idle);
    }
}
