//! The command line: its arguments (`args`) and one module per command group. Commands that
//! create something print only its identifier or secret on stdout (for scripts); messages go to
//! stderr; failures exit non-zero. Commands return their exit code instead of leaving the
//! process themselves, so `main` is the one place that exits.

mod access;
mod accounts;
mod args;
mod dns;
mod domain;
mod policy;
mod reports;

pub use args::*;

use crate::startup::{self, Application};
use crate::Config;

/// A command's exit status when it did not fail outright: 0, or a documented non-zero code
/// (3: the DNS check or the readiness gate found errors; 4: the gate refused a transition;
/// 1: an import stored not every report).
pub type ExitStatus = u8;

/// Runs one command against the configured database.
pub async fn run(command: Command, config: Config) -> anyhow::Result<ExitStatus> {
    if let Command::Serve = command {
        Application::build(config).await?.run_until_stopped().await?;
        return Ok(0);
    }
    if let Command::Settings = command {
        return Ok(print_settings());
    }
    let (services, operator) = startup::open_as_operator(&config).await?;
    match command {
        Command::Serve | Command::Settings => unreachable!("handled above"),
        Command::Migrate => {
            eprintln!("database is up to date");
            Ok(0)
        }
        Command::SetupToken => accounts::setup_token(&services).await,
        Command::User(command) => accounts::user(&services, command).await,
        Command::Org(command) => accounts::org(&operator, command).await,
        Command::Token(command) => accounts::token(&services, &operator, command).await,
        Command::Domain(command) => domain::run(&services, &operator, command).await,
        Command::Policy(command) => policy::run(&services, &operator, command).await,
        Command::Dns(command) => dns::run(&services, &operator, command).await,
        Command::Imap(ImapCommand::Poll) => reports::imap_poll(&services, &config).await,
        Command::Import { paths, quiet } => reports::import(&services, &paths, quiet).await,
    }
}

/// `portcullis settings`: needs neither the database nor a valid configuration.
pub fn print_settings() -> ExitStatus {
    print!("{}", crate::config::reference::markdown());
    0
}
