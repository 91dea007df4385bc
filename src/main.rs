//! The `authql` binary: parse the command line, start logging, hand over.

use std::process::ExitCode;

use clap::Parser;

// mimalloc: glibc's malloc showed up as a fifth of the CPU of a `me` request
// and kept freed memory in per-thread arenas (RSS several times live memory).
// Without transparent huge pages (`no_thp`), an idle server holds ~12 MB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = authql::cli::Cli::parse();
    authql::cli::run(cli)
}
