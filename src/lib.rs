//! kdg: a load generator for Amazon Kinesis Data Streams and Amazon Data Firehose.
#![forbid(unsafe_code)]

pub mod faker;
