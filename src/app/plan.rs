//! `kdg plan`: what to provision for a target rate, as text or JSON on stdout.

use super::{write_stdout, Exit};
use crate::cli::PlanArgs;
use crate::plan::{measure, plan, text, PlanInput};

/// Size the destination and print the plan.
pub(super) fn run(args: &PlanArgs) -> anyhow::Result<Exit> {
    if !(0.0..=1000.0).contains(&args.headroom) {
        anyhow::bail!("--headroom: must be a percentage from 0 to 1000");
    }
    let record_bytes = match (&args.record_size, &args.template) {
        (Some(b), _) => *b as f64,
        (None, Some(path)) => measure(path)?,
        (None, None) => {
            anyhow::bail!("--record-size or --template: give the average record size, or a template to measure")
        }
    };
    let p = plan(&PlanInput {
        rps: args.rps,
        record_bytes,
        key_bytes: args.key_size as f64,
        headroom: args.headroom / 100.0,
        aggregate: args.aggregate.map_or(1, |n| n as usize),
    });
    let body = if args.json {
        serde_json::to_string_pretty(&p)? + "\n"
    } else {
        text(&p)
    };
    write_stdout(body.as_bytes())?;
    Ok(Exit::Success)
}
