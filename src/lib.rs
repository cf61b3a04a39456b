//! kdg: a load generator for Amazon Kinesis Data Streams and Amazon Data Firehose.
//!
//! It renders records from templates (every Kinesis Data Generator template, and Handlebars
//! syntax with the same faker helpers), sends them on a fixed open-model schedule, and accounts
//! for every record.
//!
//! # Architecture
//!
//! ```text
//! cli ──► config ──► app ──► engine ──► sink ─► stdout | file | null | Kinesis | Firehose
//!  flags   validated   edge:    schedule,    batches,
//!          once        files,   workers,     retries,
//!                      runtime, collector    limits
//!                      exit codes  │
//!                                  ├──► template ──► faker   (records from (seed, n))
//!                                  └──► stats ──► report, output (progress line)
//! ```
//!
//! * [`template`] compiles a template once into a plan of literals and generators;
//!   [`faker`] holds the generators (the faker.js 3.1.0 API as KDG bundles it).
//! * [`engine`] paces record numbers on an absolute schedule, renders batches in workers and
//!   hands them to a [`sink`]; [`stats`] recorders are merged into a [`report`].
//! * [`cli`] defines the flags, [`config`] validates them once, [`app`] is the edge that touches
//!   files, the terminal, signals and exit codes; [`output`] draws the progress line.
//! * [`aggregate`] packs several logical records into one Kinesis record (KPL aggregation) or one
//!   Firehose record (newline packing), and reads them back.
//!
//! # Dependency rules
//!
//! * `template` and `faker` use neither tokio nor the AWS SDK: they are pure and synchronous.
//! * Only `sink::aws`, `sink::kinesis` and `sink::firehose` use the AWS SDK; SDK errors become
//!   kdg's stable error codes there.
//! * Only `app` and `output` write to the terminal; only `app` decides the exit code.
//! * Only `engine` spawns tasks.
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
pub mod plan;
pub mod progress;
pub mod replay;
pub mod report;
pub mod scenario;
pub mod sink;
pub mod source;
pub mod stats;
pub mod tail;
pub mod template;
pub mod threshold;
pub mod units;
pub mod verify;
