//! MTA-STS policies (RFC 8461): the served text, its `mx:` patterns, its id, diffs between
//! versions, and patterns proposed from live MX records.

mod change;
mod diff;
mod draft;
mod mode;
mod mx_pattern;
mod policy_id;
mod suggest;
mod text;

pub use change::describe_change;
pub use diff::{diff_lines, has_changes, DiffKind, DiffLine};
pub use draft::{DraftCheck, FieldProblem, PolicyDraft};
pub use mode::{Mode, ModeError};
pub use mx_pattern::{MxPattern, MxPatternError};
pub use policy_id::{PolicyId, PolicyIdError, MAX_POLICY_ID_LEN};
pub use suggest::{coverage, suggest_patterns, MxCoverage, SuggestedPattern, Suggestion, UnusableMx};
pub use text::{
    ParseErrorKind, Policy, PolicyError, PolicyParseError, PolicySpec, PolicyWarning, MAX_MAX_AGE, MAX_POLICY_BYTES,
    ONE_DAY, ONE_WEEK,
};
