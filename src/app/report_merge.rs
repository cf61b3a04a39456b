//! `kdg report merge`: the reports (and timelines) of several instances of one run, as one.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Exit, ReportFiles};
use crate::report::Report;
use crate::stats::{Timeline, TimelineRow};

/// What to merge and where the merged files go.
pub(super) struct Paths<'a> {
    /// The `--report-json` files.
    pub reports: &'a [PathBuf],
    /// `--output`: the merged JSON report (default stdout).
    pub output: Option<&'a Path>,
    /// `--report-html`.
    pub html: Option<&'a Path>,
    /// `--timeline` files.
    pub timelines: &'a [PathBuf],
    /// `--timeline-out`.
    pub timeline_out: Option<&'a Path>,
}

/// Merge and write; the exit code is the merged report's.
pub(super) fn run(p: &Paths<'_>) -> anyhow::Result<Exit> {
    let mut parts = Vec::with_capacity(p.timelines.len());
    for path in p.timelines {
        parts.push(read_timeline(path)?);
    }
    let merged_rows = Timeline::merge(&parts);
    let mut reports = Vec::with_capacity(p.reports.len());
    for path in p.reports {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading `{}`", path.display()))?;
        let r: Report =
            serde_json::from_str(&text).with_context(|| format!("`{}` is not a kdg JSON report", path.display()))?;
        reports.push(r);
    }
    let merged = Report::merge(&reports).context("merging the reports")?;
    let files = ReportFiles::create(
        // Without --output the merged report goes to stdout, which ReportFiles writes for `-`.
        Some((p.output.unwrap_or(Path::new("-")), "--output")),
        p.timeline_out.map(|o| (o, "--timeline-out")),
        p.html.map(|o| (o, "--report-html")),
    )?;
    files.write(&merged.to_json_pretty(), &merged, &merged_rows)?;
    Ok(Exit::of(&merged.outcome))
}

/// One `--timeline` file: a JSON row per line.
fn read_timeline(path: &Path) -> anyhow::Result<Vec<TimelineRow>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("--timeline: reading `{}`", path.display()))?;
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str::<TimelineRow>(l)
                .with_context(|| format!("--timeline: `{}` line {} is not a timeline row", path.display(), i + 1))
        })
        .collect()
}
