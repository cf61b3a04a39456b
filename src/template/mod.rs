//! Templates: text with `{{…}}` tags, compiled once into a render plan, rendered per record.
//!
//! Two syntaxes mix freely in one template:
//!
//! * **KDG's** (faker.js 3.1.0 `fake()`): `{{ns.method}}` and `{{ns.method(ARG)}}`, ARG one JSON
//!   value or raw text; every KDG template renders unchanged (`docs/templates.md`).
//! * **Handlebars**: `{{random.number min=1 max=15}}`, `{{date.now "YYYY-MM-DD"}}`, blocks
//!   (`#each`, `#if`, `#unless`, `#repeat`), comments, sub-expressions. The `handlebars` crate
//!   parses; this module compiles its elements into a flat plan of literal bytes and generators,
//!   so rendering a record never looks a name up or parses anything.
//!
//! Stateful-looking helpers ([`crate::faker::state`] has the maths), all pure in `(seed, n)`:
//!
//! * `{{#entity NAME COUNT}}…{{/entity}}`, `{{#entity NAME of="AAPL,MSFT"}}` (or `of=[…]`), option
//!   `pick="cycle"` (default: every entity once per round of COUNT records, shuffled per round)
//!   or `pick="random"`. Inside: `{{entity.id}}` (0..COUNT), `{{entity.name}}` (the `of` item, else
//!   the id), `{{entity.seq}}` (the entity's own counter 0, 1, 2, …; with `pick="random"` it is
//!   the record number), `{{entity.attr "ns.method" ARGS…}}` (a faker value fixed per entity; the
//!   same method and arguments give the same value wherever they appear, `key="…"` tells two
//!   apart). Blocks nest; the innermost is current. Selection depends on the record number only,
//!   so every repetition of a `#repeat`/`#each` inside one record sees the same entity.
//! * `{{walk KEY start=150 step=0.5 min= max= decimals=2}}`: a Gaussian random walk at time `n`,
//!   or inside an entity block at time `entity.seq`, one walk per entity (KEY is then optional
//!   and tells several walks of one entity apart). `start=[lo,hi]` draws each walk's start.
//! * `{{timestamp jitter="2s" late=0.05 late_by="10m" format="iso"}}`: the record's instant
//!   (backfill: the simulated one) ± uniform jitter, a share `late` of events moved back by up to
//!   `late_by` (default 1m); `format` is `iso`, `unix`, `unix_ms` or a moment.js format.
//!
//! Record *n* is a pure function of `(seed, n)` and the instant the caller gives it: the caller
//! calls [`Template::render`] (or [`crate::faker::Ctx::begin_record`] and
//! [`Template::render_into`]). This module does no I/O and knows nothing of tokio or AWS.
//!
//! This module holds the public API and the plan, the flat list of `Node`s a template compiles
//! to; `compile` turns the parsed Handlebars elements into a plan and `render` executes it.

pub mod compat;
mod compile;
mod render;
pub mod scan;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use crate::faker::state::Selector;
use crate::faker::{Compat, Ctx, Gen};

pub use crate::faker::row::write_json_escaped;

/// The largest template source, 10 MiB: larger ones are refused before anything is parsed.
pub const MAX_TEMPLATE_BYTES: usize = 10 << 20;
/// The deepest nesting of blocks, and of sub-expressions inside one tag.
pub const MAX_NESTING: usize = 32;
/// The deepest nesting of `json`/`escape` inside each other: each level can double the text.
pub const MAX_ESCAPE_NESTING: usize = 8;
/// The most times a `#repeat`/`#each` body may render in one record: the product of the counts
/// of the blocks around it (`{{#repeat 1000}}{{#repeat 1000}}` is 1,000,000).
pub const MAX_REPEAT_EXPANSION: u64 = 1_000_000;
/// The largest record a template renders for a local sink (stdout, file, null): 64 MiB. Remote
/// sinks refuse records over the service's own limit (`src/sink/limits.rs`) before sending.
/// Rendering stops at this size; the record is then rejected with [`RECORD_TOO_LARGE`].
pub const MAX_RECORD_BYTES: usize = 64 << 20;
/// The rejection code of a record whose rendering reached [`MAX_RECORD_BYTES`].
pub const RECORD_TOO_LARGE: &str = "RecordTooLarge";

/// How to compile a template.
#[derive(Debug, Clone)]
pub struct Options {
    /// KDG compatibility mode.
    pub compat: Compat,
    /// The zone `{{date.now}}` and friends render in.
    pub tz: jiff::tz::TimeZone,
    /// With `--from` a CSV file: its column names, so `{{row.NAME}}` is checked at compile time.
    pub row_fields: Option<Vec<String>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            compat: Compat::Tolerant,
            tz: jiff::tz::TimeZone::system(),
            row_fields: None,
        }
    }
}

/// A template that failed to compile: where, and what to fix. Displays as `file:line:col: msg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}:{line}:{column}: {message}")]
pub struct TemplateError {
    /// The template's file name (or `<template>`).
    pub name: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// A compiled template. Immutable and shared by every worker; each worker has its own [`Ctx`].
pub struct Template {
    nodes: Vec<Node>,
    slots: usize,
}

impl fmt::Debug for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Template").field("nodes", &self.nodes.len()).finish()
    }
}

enum Node {
    Lit(Box<[u8]>),
    Gen(Box<dyn Gen>),
    /// `{{json X}}` (quoted) and `{{escape X}}`: X's text as a JSON string.
    Escape {
        inner: Vec<Node>,
        quote: bool,
    },
    Each(Box<EachBlock>),
    If(Box<IfBlock>),
    Repeat(Box<RepeatBlock>),
    Local(Local),
    /// `{{#entity NAME COUNT}}`: the body renders as entity `sel.select(seed, n)`.
    Entity(Box<EntityBlock>),
    /// `{{entity.id}}`, `{{entity.seq}}`, `{{entity.name}}` (the `of=` list, if there is one).
    EntityVal(EntityVal),
    /// `{{entity.attr "ns.method"}}`: `gen` rendered from the entity's own rng for attribute `id`.
    Attr {
        id: u64,
        gen: Box<dyn Gen>,
    },
}

// The blocks are boxed so that a node takes 32 bytes: a template of half a million tags is
// half a million nodes (`docs/templates.md#resource-limits`).
const _: () = assert!(std::mem::size_of::<Node>() <= 32);

/// `{{#each LIST}}…{{else}}…{{/each}}`.
struct EachBlock {
    items: Vec<Value>,
    keys: Option<Vec<String>>,
    body: Vec<Node>,
    otherwise: Vec<Node>,
}

/// `{{#if COND}}…{{else}}…{{/if}}`, and `#unless` (`negate`).
struct IfBlock {
    cond: Vec<Node>,
    negate: bool,
    then: Vec<Node>,
    otherwise: Vec<Node>,
}

/// `{{#repeat MIN MAX separator=SEP}}…{{/repeat}}`.
struct RepeatBlock {
    min: u64,
    max: u64,
    sep: Box<[u8]>,
    body: Vec<Node>,
}

/// `{{#entity NAME COUNT}}…{{/entity}}`.
struct EntityBlock {
    sel: Selector,
    body: Vec<Node>,
}

/// The `of=` names of an `#entity` block, by entity number.
type Names = Arc<[Box<[u8]>]>;

enum EntityVal {
    Id,
    Seq,
    Name(Option<Names>),
}

/// Values that belong to the innermost `#each` / `#repeat`.
enum Local {
    This(Vec<String>),
    Index,
    Key,
    First,
    Last,
}

impl Template {
    /// Compile template text. `name` is used in error messages (usually the file name).
    ///
    /// # Errors
    /// Unknown helpers or methods, bad arguments, unbalanced blocks, unclosed tags; in strict
    /// mode, anything KDG itself would throw on.
    pub fn compile(src: &str, name: &str, opts: &Options) -> Result<Template, TemplateError> {
        compile::compile(src, name, opts)
    }

    /// Read and compile a template file.
    ///
    /// # Errors
    /// The file cannot be read, or does not compile.
    pub fn from_file(path: &Path, opts: &Options) -> Result<Template, TemplateError> {
        let name = path.display().to_string();
        let src = std::fs::read_to_string(path).map_err(|e| TemplateError {
            name: name.clone(),
            line: 1,
            column: 1,
            message: format!("cannot read the template: {e}"),
        })?;
        Template::compile(&src, &name, opts)
    }

    /// A fresh per-worker context for this template.
    pub fn context(&self, seed: u64, run_id: &str) -> Ctx {
        Ctx::new(seed, run_id.to_string(), self.slots)
    }

    /// Render record `n` at instant `now_ms` (ms since the Unix epoch), appending to `out`;
    /// false when rendering stopped at [`MAX_RECORD_BYTES`] (see [`Template::render_capped`]).
    #[inline]
    pub fn render(&self, ctx: &mut Ctx, n: u64, now_ms: i64, out: &mut Vec<u8>) -> bool {
        ctx.begin_record(n, now_ms);
        self.render_capped(ctx, out)
    }

    /// Render the record `ctx` was prepared for, appending to `out`.
    #[inline]
    pub fn render_into(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        self.render_capped(ctx, out);
    }

    /// Render the record `ctx` was prepared for, appending to `out`; false when rendering
    /// stopped at [`MAX_RECORD_BYTES`] (what was rendered is left in `out`, cut at the cap).
    pub fn render_capped(&self, ctx: &mut Ctx, out: &mut Vec<u8>) -> bool {
        let start = out.len();
        let ok = render::render_nodes(&self.nodes, ctx, out, &mut Vec::new(), start + MAX_RECORD_BYTES);
        if !ok {
            out.truncate(start + MAX_RECORD_BYTES);
        }
        ok
    }
}

#[cfg(test)]
mod limits_tests;
#[cfg(test)]
mod tests;
