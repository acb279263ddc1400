//! The `sesh` command: parses the command line, runs it on a Tokio runtime
//! of one thread, prints a failure on stderr and exits with its status.

use std::process::ExitCode;

use clap::Parser as _;
use sesh_cli::{Cli, FailureKind, run};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("sesh: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(run(&cli, &mut stdout)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) if failure.kind() == FailureKind::OutputClosed => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("sesh: {failure}");
            ExitCode::from(failure.exit_code())
        }
    }
}
