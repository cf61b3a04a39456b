//! `kdg tail`: a stream's records on stdout until `--count`, `--duration`, Ctrl-C or a closed pipe.

use super::{runtime, Exit};
use crate::cli::TailArgs;
use crate::config::tail_options;
use crate::tail;

/// Read the stream and print its records.
pub(super) fn run(args: &TailArgs) -> anyhow::Result<Exit> {
    let opts = tail_options(args)?;
    let rt = runtime(2)?;
    let result = rt.block_on(async {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let ctrl_c = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        tail::tail(&opts, &mut out, ctrl_c).await
    });
    rt.shutdown_background();
    result.map(|_| Exit::Success)
}
