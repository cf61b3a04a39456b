//! kdg: a load generator for Amazon Kinesis Data Streams and Amazon Data Firehose.
//!
//! It renders records from templates (every Kinesis Data Generator template, and Handlebars
//! syntax with the same faker helpers), sends them on a fixed open-model schedule, and accounts
//! for every record.
//!
//! # Architecture
//!
//! Dependencies point one way:
//!
//! ```text
//! main ─► app/* ─► cli, config ─► engine ─► source ─► template, replay ─► faker (a leaf)
//!                                   │ └──► sink ─► stdout | file | null | Kinesis | Firehose
//!                                   └────► stats ◄── report ◄── threshold
//!         app/tail, app/run (--verify) ─► tail, verify ─► sink::kinesis (the read side)
//! ```
//!
//! * [`cli`] defines the flags; [`config`] validates them once into a [`config::RunConfig`] of
//!   groups (template, input, load, destination, aws, retry, verify, outputs, thresholds).
//! * [`engine`] runs an [`engine::LoadPlan`], its whole contract: it paces record numbers on an
//!   absolute schedule, renders batches in workers and hands them to a [`sink`]; [`stats`]
//!   recorders are merged into a [`report`].
//! * [`template`] compiles a template once into a plan of literals and generators; [`faker`]
//!   holds the generators (the faker.js 3.1.0 API as KDG bundles it) and the replayed row type.
//! * [`app`] is the edge, one file per command: files, the terminal, the runtime, signals and
//!   exit codes. [`progress`] draws the live line; [`metrics`] serves the same live view to
//!   Prometheus scrapers (`--metrics-listen`).
//! * [`redact`] takes secrets (URL userinfo, signed query values, AWS credentials) out of any
//!   text kdg echoes: the report's settings, errors, warnings.
//! * [`aggregate`] packs several logical records into one Kinesis record (KPL aggregation) or one
//!   Firehose record (newline packing), and reads them back.
//!
//! # Dependency rules
//!
//! * Only `app/` and `config` name `crate::cli`; domain types derive no clap traits
//!   (`scripts/check-layers.sh` checks the first in CI).
//! * `template` and `faker` use neither tokio nor the AWS SDK: they are pure and synchronous.
//! * The AWS SDK is used in `sink` (write side, and shard listing), `tail` and `verify` (read
//!   side) and `s3` (reports in S3, and the client `verify` reads S3 with); SDK errors become
//!   kdg's stable error codes in `sink::aws`.
//! * Only `app` and `progress` write to the terminal; only `app` decides the exit code and
//!   exits (`clippy.toml` disallows `std::process::exit` elsewhere).
//! * Tasks are spawned by `engine` (workers), `tail` (one reader per shard), `metrics` (one per
//!   `/metrics` connection) and `app` (signals, scenario jobs, the metrics server).
//! * Test doubles are not public API: `fake_endpoint` needs the `test-utils` feature and the
//!   scripted sink exists only in unit tests.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod aggregate;
pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
#[cfg(feature = "test-utils")]
pub mod fake_endpoint;
pub mod faker;
pub mod findmax;
pub mod metrics;
pub mod plan;
pub mod progress;
pub mod redact;
pub mod replay;
pub mod report;
pub mod s3;
pub mod scenario;
pub mod sink;
pub mod source;
pub mod stats;
pub mod tail;
pub mod template;
pub mod threshold;
pub mod units;
pub mod verify;
