//! Integration tests: the `kdg` binary end to end, against real Kinesis/Firehose-compatible
//! servers on loopback. One test binary, so the AWS SDK is linked once.

mod aggregate;
mod cli;
mod common;
mod deploy;
mod fidelity;
mod findmax;
mod firehose;
mod html;
mod kinesis;
mod methods;
mod metrics;
mod replay;
mod reports_s3;
mod scale;
mod scenario;
mod signals;
mod tail;
mod terminal;
mod verify;
