//! The Portcullis dashboard: Leptos pages rendered on the server, with a few interactive
//! islands hydrated in the browser. Every form is a plain HTML form posting to a server
//! function, so the dashboard works with JavaScript off; islands add live validation and
//! confirmation dialogs on top.

#![recursion_limit = "256"]

pub mod api;
mod components;
pub mod dto;
pub mod error;
pub mod islands;
pub mod pages;
mod shell;

/// Server-only context: state, request info, cookies. Gated once, here.
#[cfg(feature = "ssr")]
pub mod ssr;

pub use error::AppError;
pub use shell::{shell, App};
