//! The billing clock: each subscription's next due action (renewal at the end of its period,
//! the end of its trial, a change or cancellation scheduled for then, a retry of a failed
//! charge) run through the same rules and units of work as the portal's actions, by the
//! worker in every `serve` node, by `portico billing run`, and by a vendor's test clocks.
//!
//! Every step is idempotent per subscription and period: a period renews once (a unique key
//! of subscription and period start), and a charge is keyed by its invoice and the number of
//! failures before it, so running the clock again for the same instant changes nothing.

pub mod dunning;
pub mod renew;
pub mod run;
pub mod scheduled;
pub mod test_clocks;
pub mod trial;

use portico_core::AccountId;
use portico_core::event::Actor;
use portico_core::scope::ApiScopes;

pub use run::{LEASE, RunReport, report_backlog, run_due, run_forever, run_subscription};

use crate::Caller;

/// Portico itself, acting in `account`.
pub(crate) fn system(account: &AccountId) -> Caller {
    Caller::new(account.clone(), Actor::System, ApiScopes::all())
}
