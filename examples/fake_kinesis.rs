//! A fast Kinesis/Firehose-compatible endpoint on 127.0.0.1, for measuring kdg's sending path.
//!
//!     cargo run --release --example fake_kinesis -- [PORT] [THROTTLE_EVERY]
//!
//! PORT 0 (the default) picks a free port; it is printed as `listening on 127.0.0.1:PORT`.

use std::time::Duration;

use kdg::fake_endpoint::{start, FakeOptions};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let throttle_every = args.next().and_then(|k| k.parse().ok());
    let fake = start(
        port,
        FakeOptions {
            shards: 4,
            throttle_every,
        },
    )
    .await?;
    println!("listening on {}", fake.addr);
    let mut tick = tokio::time::interval(Duration::from_secs(5));
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let s = fake.stats();
                eprintln!("requests {} records {} throttled {}", s.requests, s.records, s.throttled);
            }
            _ = tokio::signal::ctrl_c() => return Ok(()),
        }
    }
}
