//! The capacity report of `kdg find-max`: the search's settings, criteria, every step and the
//! answer, as one value.
//!
//! [`CapacityReport`] is what `--report-json` writes and `--json` prints (the same document),
//! and what the HTML page (`html::write_capacity_html`) shows. Its shape is pinned by
//! `schema/findmax.schema.json`, and a test here validates real output against it. Durations are
//! milliseconds under `_ms` keys, the seed (in `settings`) is a string. [`CapacityRow`] is a
//! row of the per-second timeline across all steps (`--timeline`).
//!
//! This module formats what the search measured; the search and its judgement (which step held,
//! which limit bound) are in [`crate::findmax`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::findmax::{self, Criteria, Limit, Search, ShardPeak, Step};
use crate::stats::TimelineRow;

/// The capacity report of one search.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct CapacityReport {
    /// Version of kdg that ran.
    pub kdg_version: String,
    /// Wall-clock start of the first step, RFC 3339 UTC.
    pub started_at: String,
    /// Wall-clock end of the last step, RFC 3339 UTC.
    pub ended_at: String,
    /// From the first step's start to the last step's end, ms.
    pub elapsed_ms: f64,
    /// The settings, echoed (secrets redacted) as the run report does, with the search's own
    /// under `find_max`.
    pub settings: Value,
    /// The destination probed.
    pub destination: Destination,
    /// What a step must meet to hold.
    pub criteria: CriteriaEcho,
    /// Every step, in the order run (step 1 first).
    pub steps: Vec<Step>,
    /// The answer.
    pub answer: Answer,
    /// A stop signal ended the search early: the answer is a lower bound.
    pub stopped: bool,
    /// The signal that stopped it (`SIGINT`, `SIGTERM`, `SIGHUP`), when one did.
    pub signal: Option<String>,
    /// The process exit code: 0 when a step held, 1 when none did.
    pub exit_code: i32,
}

/// The destination a search probed, as the SDK client was set up.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct Destination {
    /// `kinesis` or `firehose`.
    pub kind: String,
    /// The stream's name (or ARN).
    pub name: String,
    /// The region the client used.
    pub region: Option<String>,
    /// The endpoint URL the client was given (`--endpoint-url`, `AWS_ENDPOINT_URL`), redacted;
    /// null for the SDK's own endpoint of the region.
    pub endpoint: Option<String>,
}

/// [`Criteria`] in the report.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct CriteriaEcho {
    /// Most throttled share of attempts, 0..1.
    pub max_throttle: f64,
    /// Highest corrected p99, ms.
    pub max_p99_ms: f64,
    /// Least achieved / target, 0..1.
    pub min_achieved: f64,
}

impl From<&Criteria> for CriteriaEcho {
    fn from(c: &Criteria) -> Self {
        CriteriaEcho {
            max_throttle: c.max_throttle,
            max_p99_ms: crate::units::duration_ms(c.max_p99),
            min_achieved: c.min_achieved,
        }
    }
}

/// What the search found.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Answer {
    /// The highest target rate that held, records/s; null when none did.
    pub max_rps: Option<f64>,
    /// Delivered bytes/s at that step.
    pub bytes_per_s: Option<f64>,
    /// Which limit bound (see [`Limit`]).
    pub limit: Limit,
    /// The answer in words.
    pub summary: String,
    /// The step (numbered from 1) at the answer.
    pub answer_step: Option<usize>,
    /// The knee: the lowest step (numbered from 1) that failed above the answer.
    pub knee_step: Option<usize>,
    /// The busiest shard at the knee, when the destination gives per-shard counts (Kinesis).
    pub busiest_shard: Option<ShardPeak>,
}

/// What [`CapacityReport::build`] needs besides the search.
#[derive(Debug)]
pub struct CapacityInput<'a> {
    /// Wall-clock start of the search.
    pub started_at: jiff::Timestamp,
    /// Wall-clock end.
    pub ended_at: jiff::Timestamp,
    /// The settings echo.
    pub settings: Value,
    /// The destination.
    pub destination: Destination,
    /// The criteria the steps were judged by.
    pub criteria: &'a Criteria,
    /// The signal that stopped the search, if one did.
    pub signal: Option<String>,
}

impl CapacityReport {
    /// Build the report of `search`.
    pub fn build(search: &Search, input: CapacityInput<'_>) -> CapacityReport {
        let answer_step = search.answer_step();
        let knee_step = search.knee_step();
        let elapsed = input.ended_at.duration_since(input.started_at);
        let mut summary = match (search.max_rps, search.stopped) {
            (Some(r), false) => format!("The maximum sustainable rate is {r:.0} records/s. "),
            (Some(r), true) => format!("Stopped before the search ended: at least {r:.0} records/s held. "),
            (None, false) => "No step held: try a lower --start. ".to_owned(),
            (None, true) => "Stopped before any step held. ".to_owned(),
        };
        summary.push_str("Limit: ");
        summary.push_str(&findmax::explain(search));
        summary.push('.');
        CapacityReport {
            kdg_version: env!("CARGO_PKG_VERSION").to_owned(),
            started_at: format!("{:.3}", input.started_at),
            ended_at: format!("{:.3}", input.ended_at),
            elapsed_ms: super::finite(elapsed.as_secs_f64().max(0.0) * 1e3),
            settings: input.settings,
            destination: input.destination,
            criteria: input.criteria.into(),
            steps: search.steps.clone(),
            answer: Answer {
                max_rps: search.max_rps,
                bytes_per_s: answer_step.map(|i| search.steps[i].bytes_per_s),
                limit: findmax::limit(search),
                summary: crate::redact::redact(&summary).into_owned(),
                answer_step: answer_step.map(|i| i + 1),
                knee_step: knee_step.map(|i| i + 1),
                busiest_shard: knee_step.and_then(|i| findmax::shard_peak(&search.steps[i])),
            },
            stopped: search.stopped,
            signal: input.signal,
            exit_code: if search.max_rps.is_some() { 0 } else { 1 },
        }
    }

    /// The report as indented JSON (no trailing newline).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a capacity report serializes: string keys and plain data")
    }
}

/// One second of a search's timeline: a `kdg run --timeline` row, with the step it belongs to.
/// `t_s` counts the search's seconds from its first step on, step after step; `step_t_s` is
/// the second within the step.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct CapacityRow {
    /// The run row; its `t_s` is the search's second.
    #[serde(flatten)]
    pub row: TimelineRow,
    /// The step (numbered from 1) this second belongs to.
    pub step: usize,
    /// That step's target rate, records/s.
    pub target_rps: f64,
    /// The second within the step.
    pub step_t_s: u64,
}

/// Append step `step` (numbered from 1, at `target_rps`) to a search's timeline `rows`.
pub fn append_step_rows(rows: &mut Vec<CapacityRow>, step: usize, target_rps: f64, step_rows: &[TimelineRow]) {
    let offset = next_second(rows);
    rows.extend(step_rows_at(offset, step, target_rps, step_rows));
}

/// The search's second that a step starting after `rows` starts at.
pub fn next_second(rows: &[CapacityRow]) -> u64 {
    rows.last().map_or(0, |r| r.row.t_s + 1)
}

/// Rows of step `step` (at `target_rps`) for the search's timeline, the step having started at
/// the search's second `offset`; `step_rows` may be any run of the step's rows.
pub fn step_rows_at(
    offset: u64,
    step: usize,
    target_rps: f64,
    step_rows: &[TimelineRow],
) -> impl Iterator<Item = CapacityRow> + '_ {
    step_rows.iter().map(move |r| CapacityRow {
        row: TimelineRow {
            t_s: offset + r.t_s,
            ..*r
        },
        step,
        target_rps,
        step_t_s: r.t_s,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;
    use crate::findmax::search;
    use crate::report::tests::errors;
    use crate::stats::ShardCounts;

    const SCHEMA: &str = include_str!("../../schema/findmax.schema.json");

    pub(crate) fn criteria() -> Criteria {
        Criteria {
            max_throttle: 0.01,
            max_p99: Duration::from_secs(1),
            min_achieved: 0.95,
        }
    }

    /// A 4-shard stream of 4,000 records/s probed from 1,000/s, as find-max would measure it.
    pub(crate) fn realistic() -> CapacityReport {
        let c = criteria();
        let s = search(1000.0, 64_000.0, 0.06, |rate| {
            let achieved = rate.min(4000.0);
            let throttled = (rate - achieved) as u64 * 4;
            Some(
                Step {
                    target_rps: rate,
                    achieved_rps: achieved,
                    bytes_per_s: achieved * 120.0,
                    elapsed_ms: 4000.0,
                    offered: rate as u64 * 4,
                    attempted: rate as u64 * 4,
                    delivered: achieved as u64 * 4,
                    failed: throttled,
                    throttled,
                    bytes: achieved as u64 * 480,
                    throttle_ratio: (rate - achieved) / rate,
                    p50_ms: 6.0,
                    p99_ms: 18.5,
                    shards: (0..4)
                        .map(|i| {
                            (
                                format!("shardId-00000000000{i}"),
                                ShardCounts {
                                    accepted: achieved as u64,
                                    throttled: throttled / 4,
                                },
                            )
                        })
                        .collect(),
                    errors: if throttled > 0 {
                        [("ProvisionedThroughputExceededException".to_owned(), throttled)].into()
                    } else {
                        Default::default()
                    },
                    ..Step::default()
                }
                .judge(&c),
            )
        });
        let t0: jiff::Timestamp = "2026-12-02T08:00:00Z".parse().unwrap();
        CapacityReport::build(
            &s,
            CapacityInput {
                started_at: t0,
                ended_at: t0 + jiff::SignedDuration::from_secs(40),
                settings: serde_json::json!({
                    "template": { "path": "t.hbs", "seed": "18446744073709551615" },
                    "linger_ms": 100.0,
                    "find_max": { "start_rps": 1000.0, "max_rate_rps": 64000.0, "step_time_ms": 4000.0,
                                  "precision_pct": 6.0 },
                }),
                destination: Destination {
                    kind: "kinesis".into(),
                    name: "probe".into(),
                    region: Some("us-east-1".into()),
                    endpoint: Some("http://127.0.0.1:4567".into()),
                },
                criteria: &c,
                signal: None,
            },
        )
    }

    fn validator() -> jsonschema::Validator {
        crate::report::tests::validator_of(SCHEMA)
    }

    #[test]
    fn a_report_states_the_answer_and_the_limit() {
        let r = realistic();
        let max = r.answer.max_rps.expect("an answer");
        assert!((3700.0..=4000.0).contains(&max), "{max}");
        assert_eq!(r.answer.limit, Limit::RecordsPerS);
        assert!(
            r.answer.summary.starts_with(&format!(
                "The maximum sustainable rate is {max:.0} records/s. Limit: records/s per shard"
            )),
            "{}",
            r.answer.summary
        );
        let knee = &r.steps[r.answer.knee_step.unwrap() - 1];
        assert!(!knee.held() && knee.target_rps > max);
        assert!(r.steps[r.answer.answer_step.unwrap() - 1].held());
        assert_eq!(r.elapsed_ms, 40_000.0);
        assert_eq!(r.exit_code, 0);
        let back: CapacityReport = serde_json::from_str(&r.to_json_pretty()).expect("parses back");
        assert_eq!(back, r);
    }

    #[test]
    fn a_real_report_matches_the_schema() {
        let v = validator();
        let r = realistic();
        assert_eq!(errors(&v, &serde_json::to_value(&r).unwrap()), Vec::<String>::new());
        // Nothing held, and a stopped search with no step at all.
        let mut none = r.clone();
        none.answer.max_rps = None;
        none.answer.bytes_per_s = None;
        none.answer.answer_step = None;
        none.answer.busiest_shard = None;
        none.exit_code = 1;
        none.stopped = true;
        none.signal = Some("SIGTERM".into());
        none.steps.clear();
        none.destination.endpoint = None;
        assert_eq!(errors(&v, &serde_json::to_value(&none).unwrap()), Vec::<String>::new());
    }

    #[test]
    fn the_schema_rejects_durations_as_objects_and_unknown_fields() {
        let v = validator();
        let good = serde_json::to_value(realistic()).unwrap();
        type Breaks = fn(&mut Value);
        let broken: [(&str, Breaks); 6] = [
            ("a {secs, nanos} duration in the settings", |j| {
                j["settings"]["linger"] = serde_json::json!({ "secs": 0, "nanos": 100 });
            }),
            ("the seed as a number", |j| {
                j["settings"]["template"]["seed"] = 5.into();
            }),
            ("unknown top-level field", |j| {
                j["surprise"] = 1.into();
            }),
            ("unknown field in a step", |j| {
                j["steps"][0]["held"] = true.into();
            }),
            ("unknown limit", |j| {
                j["answer"]["limit"] = "shards".into();
            }),
            ("missing answer", |j| {
                j.as_object_mut().unwrap().remove("answer");
            }),
        ];
        for (what, breaks) in broken {
            let mut bad = good.clone();
            breaks(&mut bad);
            assert!(!v.is_valid(&bad), "{what} should fail validation");
        }
    }

    #[test]
    fn timeline_rows_count_on_across_steps_and_name_their_step() {
        let row = |t_s| TimelineRow {
            t_s,
            sent: 10,
            ..TimelineRow::default()
        };
        let mut rows = Vec::new();
        append_step_rows(&mut rows, 1, 100.0, &[row(0), row(1)]);
        append_step_rows(&mut rows, 2, 200.0, &[row(0), row(1), row(2)]);
        let t: Vec<(u64, usize, u64)> = rows.iter().map(|r| (r.row.t_s, r.step, r.step_t_s)).collect();
        assert_eq!(t, [(0, 1, 0), (1, 1, 1), (2, 2, 0), (3, 2, 1), (4, 2, 2)]);
        let json = serde_json::to_value(rows[2]).unwrap();
        assert_eq!((json["t_s"].as_u64(), json["step"].as_u64()), (Some(2), Some(2)));
        assert_eq!(json["target_rps"], 200.0);
        assert!(json.get("row").is_none(), "the run row's fields are flattened");
    }
}
