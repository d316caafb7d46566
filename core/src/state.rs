//! Every transition of a connection, in one place: the table of one half
//! (what a side sends, or what it receives) in `next`, and the joint
//! rules that move the two halves on together once messages complete
//! (`joint_states`: the table's `ExchangeDone` and `MustClose` rows
//! written out, checked against the table by a test).
//!
//! A half goes `Idle -> Head -> Body -> Done` for each message, then back to
//! `Idle` when the exchange completes and the connection persists, or to
//! `MustClose` when it does not. `Switched` (protocol switch) and `Closed`
//! are final. A step the table does not list is an engine error: the
//! connection leaves the state unchanged, and debug builds (tests, fuzzing)
//! assert.

/// Which side of the connection this engine plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Role {
    /// Sends requests, receives responses.
    Client,
    /// Receives requests, sends responses.
    Server,
}

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
pub(crate) enum Step {
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
    /// (The engine moves halves on by [`joint_states`], which the tests
    /// check against these rows of the table.)
    #[cfg(test)]
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
// Inlined everywhere in a size build: most callers pass a constant step,
// for which the table folds to a test or two (client image: 20 B less).
#[cfg_attr(h1conn_small, inline(always))]
pub(crate) const fn next(state: HalfState, step: Step) -> Option<HalfState> {
    use HalfState as S;
    use Step as E;
    Some(match (state, step) {
        (S::Idle, E::HeadStarted) => S::Head,
        (S::Idle | S::Head, E::HeadDone { body: true }) => S::Body,
        (S::Idle | S::Head, E::HeadDone { body: false }) => S::Done,
        (S::Body, E::BodyDone) => S::Done,
        (S::Head, E::InterimDone) => S::Idle,
        #[cfg(test)]
        (S::Done, E::ExchangeDone { keep: true }) => S::Idle,
        #[cfg(test)]
        (S::Done, E::ExchangeDone { keep: false }) => S::MustClose,
        // A half between messages closes at once; one mid-message finishes first.
        (S::Idle, E::MustClose) => S::MustClose,
        (S::Head | S::Body | S::Done | S::MustClose, E::MustClose) => state,
        // Close is absorbing: a closed half stays closed.
        (S::Closed, E::MustClose) => S::Closed,
        (S::Idle | S::Head | S::Body | S::Done, E::Switch) => S::Switched,
        (_, E::Close) => S::Closed,
        _ => return None,
    })
}

/// What the joint rules need to know besides the two half states.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Joint {
    pub(crate) role: Role,
    /// The connection persists after the current exchange.
    pub(crate) keep: bool,
    /// A request is still unanswered.
    pub(crate) outstanding: bool,
    /// Client: more than one request may be outstanding.
    pub(crate) pipelining: bool,
}

/// The joint rules applied: the state each half moves to now, given the
/// exchange (send, recv).
///
/// - A server's response ends its exchange; its request half ends the
///   exchange only once no request is left unanswered.
/// - A client's response ends its exchange; its request half waits for the
///   response unless pipelining on a persistent connection.
/// - When the connection will not persist, an idle half must close, except
///   a half that still owes a message (a server's response, a client's
///   awaited response): it finishes that first.
///
/// Each half moves on its own, in one step: an ended exchange leaves it
/// idle only when the connection persists, and then no rule closes it (a
/// test checks that a second round never moves a half).
pub(crate) const fn joint_states(
    send: HalfState,
    recv: HalfState,
    joint: Joint,
) -> (HalfState, HalfState) {
    let (send_owes, recv_owes) = match joint.role {
        Role::Server => (joint.outstanding, false),
        Role::Client => (false, joint.outstanding),
    };
    let server = matches!(joint.role, Role::Server);
    let send_ends = server || !joint.outstanding || (joint.pipelining && joint.keep);
    let recv_ends = !server || !joint.outstanding;
    (
        half_after(send, send_ends, !joint.keep && !send_owes, joint.keep),
        half_after(recv, recv_ends, !joint.keep && !recv_owes, joint.keep),
    )
}

/// One half under the joint rules: a finished message ends the exchange
/// if `ends`; an idle half must close if `closes`. Where the table's
/// `ExchangeDone` and `MustClose` steps lead from these states, written
/// out (a test checks the two agree): no table lookup at run time.
// Inlined: each caller's flags fold into a test or two.
#[inline(always)]
const fn half_after(state: HalfState, ends: bool, closes: bool, keep: bool) -> HalfState {
    match state {
        HalfState::Done if ends && keep => HalfState::Idle,
        HalfState::Done if ends => HalfState::MustClose,
        HalfState::Idle if closes => HalfState::MustClose,
        _ => state,
    }
}

/// Every half state, for tests that check a rule over all of them.
#[cfg(test)]
pub(crate) const ALL_STATES: [HalfState; 7] = [
    HalfState::Idle,
    HalfState::Head,
    HalfState::Body,
    HalfState::Done,
    HalfState::MustClose,
    HalfState::Closed,
    HalfState::Switched,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// The joint rules as first written: the step each half takes
    /// (send, recv), applied through the table, in rounds.
    const fn joint_steps(
        send: HalfState,
        recv: HalfState,
        joint: Joint,
    ) -> (Option<Step>, Option<Step>) {
        let done = Step::ExchangeDone { keep: joint.keep };
        let (send_owes, recv_owes) = match joint.role {
            Role::Server => (joint.outstanding, false),
            Role::Client => (false, joint.outstanding),
        };
        let send_step = match (joint.role, send) {
            (Role::Server, HalfState::Done) => Some(done),
            (Role::Client, HalfState::Done)
                if !joint.outstanding || (joint.pipelining && joint.keep) =>
            {
                Some(done)
            }
            (_, HalfState::Idle) if !joint.keep && !send_owes => Some(Step::MustClose),
            _ => None,
        };
        let recv_step = match (joint.role, recv) {
            (Role::Server, HalfState::Done) if !joint.outstanding => Some(done),
            (Role::Client, HalfState::Done) => Some(done),
            (_, HalfState::Idle) if !joint.keep && !recv_owes => Some(Step::MustClose),
            _ => None,
        };
        (send_step, recv_step)
    }

    fn stepped(state: HalfState, step: Option<Step>) -> HalfState {
        match step {
            Some(step) => next(state, step).expect("a joint step the table lists"),
            None => state,
        }
    }

    /// The joint states are those of the joint steps, applied in two
    /// rounds as the engine first did; and a second round never moves a
    /// half.
    #[test]
    fn joint_states_agree_with_the_joint_steps() {
        for role in [Role::Client, Role::Server] {
            for bits in 0..8u8 {
                let joint = Joint {
                    role,
                    keep: bits & 1 != 0,
                    outstanding: bits & 2 != 0,
                    pipelining: bits & 4 != 0,
                };
                for send in ALL_STATES {
                    for recv in ALL_STATES {
                        let (mut s, mut r) = (send, recv);
                        for _ in 0..2 {
                            let (a, b) = joint_steps(s, r, joint);
                            (s, r) = (stepped(s, a), stepped(r, b));
                        }
                        let once = joint_states(send, recv, joint);
                        assert_eq!(once, (s, r), "{send:?} {recv:?} {joint:?}");
                        assert_eq!(joint_states(once.0, once.1, joint), once);
                    }
                }
            }
        }
    }

    #[test]
    fn closed_and_switched_are_final() {
        let steps = [
            Step::HeadStarted,
            Step::HeadDone { body: true },
            Step::HeadDone { body: false },
            Step::BodyDone,
            Step::ExchangeDone { keep: true },
        ];
        assert_eq!(
            next(HalfState::Closed, Step::MustClose),
            Some(HalfState::Closed)
        );
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
