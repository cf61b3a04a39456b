//! kdg: a load generator for Amazon Kinesis Data Streams and Amazon Data Firehose.
#![forbid(unsafe_code)]

pub mod app;
pub mod cli;
pub mod config;
pub mod engine;
pub mod faker;
pub mod output;
pub mod report;
pub mod sink;
pub mod stats;
pub mod template;
pub mod units;
