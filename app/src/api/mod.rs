//! Server functions: thin wrappers that check who is calling (and the anti-forgery token for
//! changes), call a service, and map the result to a DTO. Forms post to them directly
//! (`/sfn/<name>`); on success they redirect, on error the browser comes back to the form with
//! the error in the URL, so they work with JavaScript off.

mod alerts;
mod claims;
mod dns;
mod domains;
mod invitations;
mod lifecycle;
mod migration;
mod orgs;
mod policies;
mod reports;
mod session;
mod shares;

pub use alerts::*;
pub use claims::*;
pub use dns::*;
pub use domains::*;
pub use invitations::*;
pub use lifecycle::*;
pub use migration::*;
pub use orgs::*;
pub use policies::*;
pub use reports::*;
pub use session::*;
pub use shares::*;
