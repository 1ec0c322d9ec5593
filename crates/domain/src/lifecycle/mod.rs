//! Moving a domain between policy modes safely: the readiness gate for enforce and the "what
//! would break" replay of a testing window against a candidate policy.

mod gate;
mod replay;

pub use gate::{evaluate, is_sts_relevant, GateCode, GateConfig, GateInput, GateItem, Readiness, WindowTotals};
pub use replay::{refusal, replay, Refusal, ReplayOutcome, WindowFailure};
