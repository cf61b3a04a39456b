//! `kdg report merge`: the reports (and timelines) of several instances of one run, as one.
//!
//! Reports are local files or S3 objects; `s3://BUCKET/PREFIX/` (ending in `/`, or a bare
//! bucket) stands for every object under it: the `*.json` keys are reports and the `*.ndjson`
//! keys timelines (merged into `--timeline-out` when it is given), other keys are skipped. A
//! report given twice — the same run id and instance, whichever file or object it came from,
//! also inside a merged report — is refused before anything is written: it would count its
//! records twice.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{runtime, Exit, ReportFiles, S3};
use crate::config::{output_flag, Output};
use crate::report::{PartId, Report};
use crate::s3::S3Url;
use crate::sink::aws::AwsOptions;
use crate::stats::{Timeline, TimelineRow};

/// What to merge and where the merged files go.
pub(super) struct Paths<'a> {
    /// The `--report-json` files, S3 objects or S3 prefixes.
    pub reports: &'a [PathBuf],
    /// `--output`: the merged JSON report (default stdout).
    pub output: Option<&'a Path>,
    /// `--report-html`.
    pub html: Option<&'a Path>,
    /// `--timeline` files.
    pub timelines: &'a [PathBuf],
    /// `--timeline-out`.
    pub timeline_out: Option<&'a Path>,
    /// How to reach S3.
    pub conn: AwsOptions,
}

/// Where one input is: a local file, or an S3 object.
enum Source {
    File(PathBuf),
    S3(S3Url),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::File(p) => write!(f, "{}", p.display()),
            Source::S3(u) => write!(f, "{u}"),
        }
    }
}

/// Merge and write; the exit code is the merged report's.
pub(super) fn run(p: &Paths<'_>) -> anyhow::Result<Exit> {
    let output = p.output.map(|o| output_flag(o, "--output")).transpose()?;
    let html = p.html.map(|o| output_flag(o, "--report-html")).transpose()?;
    let timeline_out = p.timeline_out.map(|o| output_flag(o, "--timeline-out")).transpose()?;
    let inputs = p.reports.iter().chain(p.timelines).filter_map(|a| a.to_str());
    let outputs = [&output, &html, &timeline_out];
    let needs_s3 =
        inputs.clone().any(S3Url::is_s3) || outputs.iter().any(|o| o.as_ref().is_some_and(|o| o.s3().is_some()));
    // The runtime lives as long as the client that runs on it.
    let (_rt, s3) = if needs_s3 {
        let rt = runtime(1)?;
        let objects: Vec<(&'static str, &S3Url)> = [
            (&output, "--output"),
            (&html, "--report-html"),
            (&timeline_out, "--timeline-out"),
        ]
        .into_iter()
        .filter_map(|(o, flag)| o.as_ref().and_then(Output::s3).map(|u| (flag, u)))
        .collect();
        let s3 = S3::connect(&p.conn, &objects, &rt, None)?;
        (Some(rt), Some(s3))
    } else {
        (None, None)
    };
    let mut report_sources = Vec::new();
    let mut timeline_sources: Vec<(Source, &'static str)> = Vec::new();
    for arg in p.reports {
        match arg.to_str().filter(|a| S3Url::is_s3(a)) {
            Some(text) if text.ends_with('/') || !text["s3://".len()..].contains('/') => {
                let prefix = S3Url::prefix(text)?;
                let s3 = s3.as_ref().expect("connected for s3:// inputs");
                let keys = s3.rt.block_on(crate::s3::list(&s3.client, &prefix))?;
                let before = report_sources.len();
                for key in keys {
                    let url = S3Url {
                        bucket: prefix.bucket.clone(),
                        key,
                    };
                    if url.key.ends_with(".json") {
                        report_sources.push(Source::S3(url));
                    } else if url.key.ends_with(".ndjson") {
                        timeline_sources.push((Source::S3(url), "--timeline"));
                    }
                }
                if report_sources.len() == before {
                    anyhow::bail!("{prefix}: no reports (*.json) under this prefix; check the bucket and prefix");
                }
            }
            Some(text) => report_sources.push(Source::S3(S3Url::object(text)?)),
            None => report_sources.push(Source::File(arg.clone())),
        }
    }
    for arg in p.timelines {
        match arg.to_str().filter(|a| S3Url::is_s3(a)) {
            Some(text) => timeline_sources.push((Source::S3(S3Url::object(text)?), "--timeline")),
            None => timeline_sources.push((Source::File(arg.clone()), "--timeline")),
        }
    }
    if timeline_out.is_some() && timeline_sources.is_empty() {
        anyhow::bail!(
            "--timeline-out: no timelines to merge: give --timeline files, or keep *.ndjson timelines under the s3:// prefix"
        );
    }
    let read = |src: &Source, flag: &str| -> anyhow::Result<String> {
        let bytes = match src {
            Source::File(path) => std::fs::read(path).with_context(|| format!("{flag}reading `{}`", path.display()))?,
            Source::S3(url) => {
                let s3 = s3.as_ref().expect("connected for s3:// inputs");
                s3.rt.block_on(crate::s3::get(&s3.client, url))?
            }
        };
        String::from_utf8(bytes).with_context(|| format!("{flag}`{src}` is not text"))
    };
    let mut parts = Vec::new();
    if timeline_out.is_some() {
        for (src, _) in &timeline_sources {
            parts.push(parse_timeline(src, &read(src, "--timeline: ")?)?);
        }
    }
    let merged_rows = Timeline::merge(&parts);
    let mut reports = Vec::with_capacity(report_sources.len());
    let mut seen: Vec<(PartId, String)> = Vec::new();
    for src in &report_sources {
        let text = read(src, "")?;
        let r: Report = serde_json::from_str(&text).with_context(|| format!("`{src}` is not a kdg JSON report"))?;
        for part in r.parts().into_iter().filter(|part| !part.run_id.is_empty()) {
            if let Some((_, first)) = seen.iter().find(|(other, _)| *other == part) {
                anyhow::bail!(
                    "`{src}` is the report of {part} again (already in `{first}`): give each instance's report once"
                );
            }
            seen.push((part, src.to_string()));
        }
        reports.push(r);
    }
    let merged = Report::merge(&reports).context("merging the reports")?;
    let stdout = Output::File(PathBuf::from("-"));
    let files = ReportFiles::create(
        // Without --output the merged report goes to stdout, which ReportFiles writes for `-`.
        Some((output.as_ref().unwrap_or(&stdout), "--output")),
        timeline_out.as_ref().map(|o| (o, "--timeline-out")),
        html.as_ref().map(|o| (o, "--report-html")),
        s3,
    )?;
    files.write(&merged.to_json_pretty(), &merged, &merged_rows)?;
    Ok(Exit::of(&merged.outcome))
}

/// One timeline: a JSON row per line.
fn parse_timeline(src: &Source, text: &str) -> anyhow::Result<Vec<TimelineRow>> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str::<TimelineRow>(l)
                .with_context(|| format!("--timeline: `{src}` line {} is not a timeline row", i + 1))
        })
        .collect()
}
