//! `exercise`: a versioned-SQL DuckDB warehouse on the command line.
//! `main` only parses arguments, dispatches, and turns errors into one clear line and exit code 1.
mod cli;
mod commands;
mod datasets;
mod datatests;
mod duck;
mod fetch;
mod forest;
mod generate;
mod ingest;
mod lake;
mod model;
mod output;
mod par;
mod stocks;
mod telemetry;
mod text;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::dispatch(cli) {
        Ok(code) => code,
        // A reader that stopped early (`exercise run ... | head`) is not an error of ours.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!(
                "error: {}",
                text::printable_lines(&format!("{err:#}"), 10 * text::CAP)
            );
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
