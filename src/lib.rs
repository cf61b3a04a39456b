//! kdg: a load generator for Amazon Kinesis Data Streams and Amazon Data Firehose.
#![forbid(unsafe_code)]

pub mod faker;
pub mod template;
pub mod cli;
pub mod config;
pub mod engine;
pub mod sink;
pub mod units;
pub mod app;
pub mod output;
pub mod stats;
pub mod report;
