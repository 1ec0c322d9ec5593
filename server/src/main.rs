use clap::{CommandFactory, FromArgMatches};
use portcullis_server::cli::{self, Cli, Command};
use portcullis_server::config::ConfigError;
use portcullis_server::Config;
use std::process::ExitCode;

fn main() -> ExitCode {
    portcullis_server::allocator::tune();
    let matches = Cli::command()
        .long_about(portcullis_server::config::reference::help())
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    if let Some(Command::Settings) = cli.command {
        return ExitCode::from(cli::print_settings());
    }
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        // A file or value that does not load exits 2; a value that loads but cannot be used
        // exits 1, as it did when each command checked its own settings.
        Err(e @ ConfigError::Load(_)) => {
            eprintln!("portcullis: configuration error: {e}");
            return ExitCode::from(2);
        }
        Err(e @ ConfigError::Invalid(_)) => {
            eprintln!("portcullis: {e}");
            return ExitCode::FAILURE;
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&config.log).unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("portcullis: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(cli::run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(status) => ExitCode::from(status),
        Err(e) => {
            eprintln!("portcullis: {e:#}");
            ExitCode::FAILURE
        }
    }
}
