//! `kdg render`: records from a template on stdout, one per line (KDG's "Test template").

use std::io::Write as _;

use anyhow::Context as _;

use super::{broken_pipe_is_fine, Exit};
use crate::cli::RenderArgs;
use crate::config::{render_range, TemplateConfig};
use crate::template::Template;

/// Print `args.count` records starting at `args.start`.
pub(super) fn run(args: &RenderArgs) -> anyhow::Result<Exit> {
    let tcfg = TemplateConfig::from_args(&args.template)?;
    let range = render_range(args.start, args.count)?;
    let path = tcfg.path.as_ref().context("kdg render needs a template file")?;
    let template = Template::from_file(path, &tcfg.options())?;
    let mut ctx = template.context(tcfg.seed, "render");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::with_capacity(1024);
    let written = (|| {
        for n in range.into_iter().flatten() {
            buf.clear();
            template.render(&mut ctx, n, jiff::Timestamp::now().as_millisecond(), &mut buf);
            buf.push(b'\n');
            out.write_all(&buf)?;
        }
        out.flush()
    })();
    written.or_else(broken_pipe_is_fine).context("writing to stdout")?;
    Ok(Exit::Success)
}
