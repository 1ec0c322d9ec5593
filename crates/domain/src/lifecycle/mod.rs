//! Moving a domain between policy modes safely: the readiness gate for enforce and the "what
//! would break" replay of a testing window against a candidate policy, and MX migrations planned
//! in their safe order.

mod gate;
mod migration;
mod replay;

pub use gate::{evaluate, is_sts_relevant, GateCode, GateConfig, GateInput, GateItem, Readiness, WindowTotals};
pub use migration::{
    plan_steps, MigrationRequest, MxCheck, PlanError, PlanInput, PlanStep, ServedVersion, StepCode, StepState,
    MAX_PLAN_HOSTS, MX_CACHE_SECONDS,
};
pub use replay::{refusal, replay, Refusal, ReplayOutcome, WindowFailure};
