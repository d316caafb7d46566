//! One tokio timer per connection, re-armed lazily.
//!
//! Every read races a deadline (the engine's next one, or the silence
//! limit), and every write a write deadline. A fresh `tokio::time::Sleep`
//! for each would register and deregister a timer-wheel entry per read and
//! per write. A [`LazyTimer`] keeps one entry and moves it only when it
//! must: a wait for a later deadline lets the armed, earlier entry fire,
//! and only then re-arms it for the real deadline. Deadlines mostly move
//! forward (each request pushes the idle deadline out), so a busy
//! connection touches the wheel about once per timeout period instead of
//! once per read.

use std::pin::Pin;

use tokio::time::{Instant, Sleep, sleep_until};

/// A reusable timer whose entry is moved only when a wait needs it.
#[derive(Debug)]
pub(crate) struct LazyTimer {
    sleep: Pin<Box<Sleep>>,
    /// Where the entry is armed.
    armed: Instant,
}

impl LazyTimer {
    /// A timer armed at `at`.
    pub(crate) fn new(at: Instant) -> Self {
        Self {
            sleep: Box::pin(sleep_until(at)),
            armed: at,
        }
    }

    /// Completes at `deadline` (at once if it passed). Dropping the future
    /// early leaves the timer armed for the next wait.
    pub(crate) async fn until(&mut self, deadline: Instant) {
        loop {
            if self.armed > deadline {
                self.arm(deadline);
            }
            self.sleep.as_mut().await;
            if Instant::now() >= deadline {
                return;
            }
            // The entry fired for an earlier deadline: move it to this one.
            self.arm(deadline);
        }
    }

    fn arm(&mut self, at: Instant) {
        self.sleep.as_mut().reset(at);
        self.armed = at;
    }
}
