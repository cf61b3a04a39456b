//! `kdg plan`: capacity planning for a target rate.

use std::process::ExitCode;

use crate::cli::PlanArgs;

/// Run `kdg plan`.
///
/// # Errors
/// Unreadable template, bad numbers.
pub fn run(args: &PlanArgs) -> anyhow::Result<ExitCode> {
    let _ = args;
    anyhow::bail!("kdg plan is not implemented yet")
}
