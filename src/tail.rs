//! `kdg tail`: read every shard of a Kinesis stream and print its records.

use std::process::ExitCode;

use crate::cli::TailArgs;

/// Run `kdg tail`.
///
/// # Errors
/// Setup problems (unknown stream, no credentials, unreachable endpoint).
pub fn run(args: &TailArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("kdg tail is not implemented yet")
}
