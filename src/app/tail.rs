//! `kdg tail`: a stream's records on stdout until `--count`, `--duration`, a stop signal (Ctrl-C, SIGTERM, SIGHUP) or a closed pipe.

use super::{runtime, Exit, StopFlag};
use crate::cli::TailArgs;
use crate::config::tail_options;
use crate::tail;

/// Read the stream and print its records.
pub(super) fn run(args: &TailArgs) -> anyhow::Result<Exit> {
    let opts = tail_options(args)?;
    let rt = runtime(2)?;
    let stop = StopFlag::install(&rt)?;
    let result = rt.block_on(async {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        tail::tail(&opts, &mut out, stop.stopped()).await
    });
    rt.shutdown_background();
    result.map(|_| Exit::Success)
}
