//! The `authql` binary: parse the command line, start logging, hand over.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = authql::cli::Cli::parse();
    authql::cli::run(cli)
}
