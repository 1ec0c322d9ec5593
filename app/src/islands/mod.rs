//! The interactive parts, hydrated in the browser. Everything else is server-rendered HTML.
//! Each island works as plain HTML first; hydration only adds to it.

mod add_domain;
mod delete_domain;

pub use add_domain::AddDomainForm;
pub use delete_domain::DeleteDomainButton;
