//! The interactive parts, hydrated in the browser. Everything else is server-rendered HTML.
//! Each island works as plain HTML first; hydration only adds to it.

mod add_domain;
mod check_now;
mod copy_button;
mod delete_domain;
mod policy_editor;

pub use add_domain::AddDomainForm;
pub use check_now::CheckNowButton;
pub use copy_button::CopyButton;
pub use delete_domain::DeleteDomainButton;
pub use policy_editor::PolicyEditor;
