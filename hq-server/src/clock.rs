//! Where HQ gets the time. Everything at HQ that asks "now" (sessions, holds, the business day,
//! "today" on a page, what a write records) asks this clock, so tests can run HQ at 00:30 in
//! Shanghai on any machine at any hour.

use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// The system clock, or a clock that only moves when told (tests). Cloning shares the clock.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Mutex<Timestamp>>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `at` until it is set or advanced.
    pub fn manual(at: Timestamp) -> Clock {
        Clock(Some(Arc::new(Mutex::new(at))))
    }

    pub fn now(&self) -> Timestamp {
        match &self.0 {
            None => Timestamp::now(),
            Some(t) => *t.lock().unwrap_or_else(|e| e.into_inner()),
        }
    }

    /// Moves a manual clock to `at` (the system clock cannot be moved).
    pub fn set(&self, at: Timestamp) {
        if let Some(t) = &self.0 {
            *t.lock().unwrap_or_else(|e| e.into_inner()) = at;
        }
    }

    /// Moves a manual clock on by `by`.
    pub fn advance(&self, by: SignedDuration) {
        if let Some(t) = &self.0 {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            *t = t.checked_add(by).unwrap_or(*t);
        }
    }
}
