//! What records are made of: one template, several templates mixed by weight, or rows replayed
//! from a file (sent as they are, or through a template that reads their fields).
//!
//! A mix picks record *n*'s template from a hash of `(seed, n)`, so record *n* is still a pure
//! function of the seed and its number, whichever worker renders it. Replayed rows are read in
//! order by the engine (see [`crate::replay`]) and handed to [`Source::render`]. The replay's
//! input is opened once, at setup, and that same reader feeds the run ([`Source::take_feed`]).

use std::sync::{Arc, Mutex};

use crate::faker::{record_unit, Ctx};
use crate::replay::{Feed, ReplayError, ReplaySpec, Row};
use crate::template::Template;

/// Salt for the mix's choice, so it draws independently of the records' own randomness.
const MIX_SALT: u64 = 0x6d69_785f_7069_636b;

/// Where records come from.
#[derive(Debug)]
pub struct Source {
    templates: Vec<Arc<Template>>,
    /// Cumulative weights, normalised so the last is 1.
    cumulative: Vec<f64>,
    /// Rows to replay, if any.
    pub replay: Option<Replay>,
}

/// The rows a source replays: the input opened at setup, until a run takes it.
pub struct Replay {
    /// What is replayed.
    pub spec: ReplaySpec,
    /// Whether the template reads the rows' fields.
    fields: bool,
    /// The input opened at setup (its first row already read), until the first run takes it.
    feed: Mutex<Option<Feed>>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replay")
            .field("spec", &self.spec)
            .finish_non_exhaustive()
    }
}

/// A worker's rendering state: one context per template.
pub struct SourceCtx {
    ctxs: Vec<Ctx>,
}

impl SourceCtx {
    /// Set the simulated instant (`--backfill`) for the next records.
    pub fn set_sim_ms(&mut self, sim_ms: Option<i64>) {
        for c in &mut self.ctxs {
            c.sim_ms = sim_ms;
        }
    }
}

impl Source {
    /// Records from one template.
    pub fn single(template: Template) -> Source {
        Source {
            templates: vec![Arc::new(template)],
            cumulative: vec![1.0],
            replay: None,
        }
    }

    /// Records from several templates: each record picks one with probability proportional to
    /// its weight. Weights must be positive and finite.
    pub fn mix(parts: Vec<(Template, f64)>) -> Source {
        let total: f64 = parts.iter().map(|(_, w)| w).sum();
        let mut acc = 0.0;
        let mut cumulative = Vec::with_capacity(parts.len());
        let mut templates = Vec::with_capacity(parts.len());
        for (t, w) in parts {
            acc += w / total;
            cumulative.push(acc);
            templates.push(Arc::new(t));
        }
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Source {
            templates,
            cumulative,
            replay: None,
        }
    }

    /// Rows from `feed` (opened at setup), each sent as a JSON object, or rendered through
    /// `template`. The first row is read now, so an empty input is an error here.
    ///
    /// # Errors
    /// The input cannot be read or has no rows.
    pub fn replay(mut feed: Feed, template: Option<Template>) -> Result<Source, ReplayError> {
        let fields = template.is_some();
        feed.prime(fields)?;
        let mut s = match template {
            Some(t) => Source::single(t),
            None => Source {
                templates: Vec::new(),
                cumulative: Vec::new(),
                replay: None,
            },
        };
        s.replay = Some(Replay {
            spec: feed.spec().clone(),
            fields,
            feed: Mutex::new(Some(feed)),
        });
        Ok(s)
    }

    /// The rows for a run, if this source replays: the input opened at setup for the first run;
    /// for a later one (find-max runs a source once per step) the input opened again, which only
    /// a regular file allows.
    ///
    /// # Errors
    /// The input cannot be opened again (a pipe or standard input), or read.
    pub fn take_feed(&self) -> Option<Result<Feed, ReplayError>> {
        let replay = self.replay.as_ref()?;
        if let Some(feed) = replay.feed.lock().expect("feed lock").take() {
            return Some(Ok(feed));
        }
        if !replay.spec.rereadable() {
            return Some(Err(ReplayError::ReadOnce(replay.spec.name())));
        }
        Some(Feed::open(&replay.spec).and_then(|mut feed| feed.prime(replay.fields).map(|()| feed)))
    }

    /// A fresh per-worker state.
    pub fn context(&self, seed: u64, run_id: &str) -> SourceCtx {
        SourceCtx {
            ctxs: self.templates.iter().map(|t| t.context(seed, run_id)).collect(),
        }
    }

    /// Which template renders record `n`.
    pub fn pick(&self, seed: u64, n: u64) -> usize {
        if self.templates.len() <= 1 {
            return 0;
        }
        let u = record_unit(seed, MIX_SALT, n);
        self.cumulative
            .partition_point(|c| *c <= u)
            .min(self.templates.len() - 1)
    }

    /// Render record `n` at `now_ms`, appending to `out`. With a replay, `row` is the record's
    /// row: written as it is when there is no template, else lent to the template's context.
    /// False when the template's rendering stopped at [`crate::template::MAX_RECORD_BYTES`].
    pub fn render(&self, sc: &mut SourceCtx, n: u64, now_ms: i64, row: Option<&mut Row>, out: &mut Vec<u8>) -> bool {
        if self.templates.is_empty() {
            if let Some(row) = row {
                out.extend_from_slice(row.json());
            }
            return true;
        }
        let i = self.pick(sc.ctxs[0].seed, n);
        let ctx = &mut sc.ctxs[i];
        match row {
            Some(row) => {
                std::mem::swap(&mut ctx.row, row);
                let ok = self.templates[i].render(ctx, n, now_ms, out);
                std::mem::swap(&mut ctx.row, row);
                ok
            }
            None => self.templates[i].render(ctx, n, now_ms, out),
        }
    }

    /// The mean size of a record in bytes, from a sample of `samples` records (0 for a replay
    /// without a template: its size is known only as it is read).
    pub fn mean_size(&self, seed: u64, samples: u64) -> f64 {
        let mut bytes = 0;
        self.render_samples(seed, samples, |record, _| bytes += record.len());
        bytes as f64 / samples.max(1) as f64
    }

    /// Record 0 as the run renders it (before shaping): its size in bytes, and false when its
    /// rendering stopped at [`crate::template::MAX_RECORD_BYTES`]. `None` for a replay without
    /// a template.
    pub fn first_record(&self, seed: u64) -> Option<(usize, bool)> {
        let mut first = None;
        self.render_samples(seed, 1, |record, complete| first = Some((record.len(), complete)));
        first
    }

    /// Render records `0..samples` with their own context, handing each to `each` with whether
    /// it rendered whole.
    fn render_samples(&self, seed: u64, samples: u64, mut each: impl FnMut(&[u8], bool)) {
        if self.templates.is_empty() {
            return;
        }
        let mut sc = self.context(seed, "sample");
        let mut buf = Vec::new();
        let now = jiff::Timestamp::now().as_millisecond();
        let mut row = self.replay.as_ref().map(|_| Row::default());
        for n in 0..samples {
            buf.clear();
            let complete = self.render(&mut sc, n, now, row.as_mut(), &mut buf);
            each(&buf, complete);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Template {
        Template::compile(text, "t", &crate::template::Options::default()).expect("compiles")
    }

    #[test]
    fn a_mix_follows_its_weights_and_is_a_function_of_seed_and_n() {
        let s = Source::mix(vec![(t("a"), 3.0), (t("b"), 1.0)]);
        let mut sc = s.context(7, "r");
        let mut counts = [0u32; 2];
        for n in 0..40_000 {
            let mut out = Vec::new();
            s.render(&mut sc, n, 0, None, &mut out);
            counts[usize::from(out == b"b")] += 1;
        }
        let share = f64::from(counts[0]) / 40_000.0;
        assert!((share - 0.75).abs() < 0.01, "{counts:?}");
        // Another worker, another order: the same record numbers give the same records.
        let mut other = s.context(7, "r");
        for n in [39_999u64, 5, 17, 5] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            s.render(&mut sc, n, 0, None, &mut a);
            s.render(&mut other, n, 0, None, &mut b);
            assert_eq!(a, b);
        }
    }

    #[test]
    fn a_replay_without_a_template_sends_the_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a\n1\n").expect("write");
        let spec = ReplaySpec {
            path,
            format: crate::replay::Format::Csv,
            looped: false,
            on_bad_row: crate::replay::OnBadRow::Fail,
        };
        let s = Source::replay(Feed::open(&spec).expect("opens"), None).expect("has rows");
        assert_eq!(s.mean_size(1, 10), 0.0);
        // The first run takes the feed opened at setup; a later one opens the file again.
        for _ in 0..2 {
            let mut feed = s.take_feed().expect("replays").expect("opens");
            let mut rows = Vec::new();
            assert_eq!(feed.fill(0, 5, |k| k, &mut rows), 1);
            assert_eq!(rows[0].json(), br#"{"a":1}"#);
        }
    }
}
