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

pub mod compat;
pub mod scan;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use handlebars::template::{Parameter, Template as HbTemplate, TemplateElement};
use serde_json::{Map, Value};

use crate::faker::state::{self, PickMode, Selector};
use crate::faker::{self, random::write_uuid, Args, BuildCx, Compat, Ctx, Gen};

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
    Each {
        items: Vec<Value>,
        keys: Option<Vec<String>>,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
    If {
        cond: Vec<Node>,
        negate: bool,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    Repeat {
        min: u64,
        max: u64,
        sep: Box<[u8]>,
        body: Vec<Node>,
    },
    Local(Local),
    /// `{{#entity NAME COUNT}}`: the body renders as entity `sel.select(seed, n)`.
    Entity {
        sel: Selector,
        body: Vec<Node>,
    },
    /// `{{entity.id}}`, `{{entity.seq}}`, `{{entity.name}}` (the `of=` list, if there is one).
    EntityVal(EntityVal),
    /// `{{entity.attr "ns.method"}}`: `gen` rendered from the entity's own rng for attribute `id`.
    Attr {
        id: u64,
        gen: Box<dyn Gen>,
    },
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

struct Frame<'t> {
    item: Option<&'t Value>,
    key: Option<&'t str>,
    index: usize,
    len: usize,
}

impl Template {
    /// Compile template text. `name` is used in error messages (usually the file name).
    ///
    /// # Errors
    /// Unknown helpers or methods, bad arguments, unbalanced blocks, unclosed tags; in strict
    /// mode, anything KDG itself would throw on.
    pub fn compile(src: &str, name: &str, opts: &Options) -> Result<Template, TemplateError> {
        let err = |offset: usize, message: String| {
            let (line, column) = scan::line_col(src, offset);
            TemplateError {
                name: name.to_string(),
                line,
                column,
                message,
            }
        };
        if src.trim().is_empty() {
            return Err(err(0, "the template is empty".into()));
        }
        if opts.compat == Compat::Strict {
            compat::check(src).map_err(|(at, msg)| err(at, format!("{msg} (KDG would throw here)")))?;
        }
        let scanned = scan::scan(src, opts.compat).map_err(|(at, msg)| err(at, msg))?;
        let hb = HbTemplate::compile(&scanned.text).map_err(|e| {
            let at = e.pos().map_or(0, |(l, c)| scan::offset_of(&scanned.text, l, c));
            let reason = e.reason().to_string();
            err(scanned.map[at.min(scanned.map.len() - 1)], reason)
        })?;
        let mut compiler = Compiler {
            scanned: &scanned,
            entities: Vec::new(),
            cx: BuildCx::new(opts.compat, opts.tz.clone()),
            err: &err,
            row_fields: opts.row_fields.as_deref(),
        };
        let nodes = compiler.elements(&hb, 0)?;
        let slots = compiler.cx.slots();
        Ok(Template {
            nodes: merge_literals(nodes),
            slots,
        })
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

    /// Render record `n` at instant `now_ms` (ms since the Unix epoch), appending to `out`.
    #[inline]
    pub fn render(&self, ctx: &mut Ctx, n: u64, now_ms: i64, out: &mut Vec<u8>) {
        ctx.begin_record(n, now_ms);
        self.render_into(ctx, out);
    }

    /// Render the record `ctx` was prepared for, appending to `out`.
    #[inline]
    pub fn render_into(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        render_nodes(&self.nodes, ctx, out, &mut Vec::new());
    }
}

fn render_nodes<'t>(nodes: &'t [Node], ctx: &mut Ctx, out: &mut Vec<u8>, frames: &mut Vec<Frame<'t>>) {
    for node in nodes {
        match node {
            Node::Lit(b) => out.extend_from_slice(b),
            Node::Gen(g) => g.emit(ctx, out),
            Node::Escape { inner, quote } => {
                let mut tmp = std::mem::take(&mut ctx.scratch);
                tmp.clear();
                render_nodes(inner, ctx, &mut tmp, frames);
                write_json_escaped(out, &tmp, *quote);
                ctx.scratch = tmp;
            }
            Node::Each {
                items,
                keys,
                body,
                otherwise,
            } => {
                if items.is_empty() {
                    render_nodes(otherwise, ctx, out, frames);
                }
                for (index, item) in items.iter().enumerate() {
                    let key = keys.as_ref().map(|k| k[index].as_str());
                    frames.push(Frame {
                        item: Some(item),
                        key,
                        index,
                        len: items.len(),
                    });
                    render_nodes(body, ctx, out, frames);
                    frames.pop();
                }
            }
            Node::If {
                cond,
                negate,
                then,
                otherwise,
            } => {
                let mut tmp = std::mem::take(&mut ctx.scratch);
                tmp.clear();
                render_nodes(cond, ctx, &mut tmp, frames);
                let truthy = !matches!(&tmp[..], b"" | b"false" | b"0" | b"null" | b"undefined" | b"NaN");
                ctx.scratch = tmp;
                render_nodes(if truthy != *negate { then } else { otherwise }, ctx, out, frames);
            }
            Node::Repeat { min, max, sep, body } => {
                let len = if min == max {
                    *min
                } else {
                    ctx.int(*min as i64, *max as i64) as u64
                } as usize;
                for index in 0..len {
                    if index > 0 {
                        out.extend_from_slice(sep);
                    }
                    frames.push(Frame {
                        item: None,
                        key: None,
                        index,
                        len,
                    });
                    render_nodes(body, ctx, out, frames);
                    frames.pop();
                }
            }
            Node::Entity { sel, body } => {
                let saved = ctx.entity;
                ctx.entity = sel.select(ctx.seed, ctx.seq);
                render_nodes(body, ctx, out, frames);
                ctx.entity = saved;
            }
            Node::EntityVal(v) => match v {
                EntityVal::Id => faker::write_int(out, ctx.entity.id as i64),
                EntityVal::Seq => faker::write_int(out, ctx.entity.seq as i64),
                EntityVal::Name(Some(names)) => out.extend_from_slice(&names[ctx.entity.id as usize]),
                EntityVal::Name(None) => faker::write_int(out, ctx.entity.id as i64),
            },
            Node::Attr { id, gen } => {
                let own = state::attr_rng(ctx.seed, &ctx.entity, *id);
                let saved = std::mem::replace(&mut ctx.rng, own);
                gen.emit(ctx, out);
                ctx.rng = saved;
            }
            Node::Local(local) => {
                let Some(f) = frames.last() else { continue };
                match local {
                    Local::Index => faker::write_int(out, f.index as i64),
                    Local::Key => out.extend_from_slice(f.key.unwrap_or_default().as_bytes()),
                    Local::First => out.extend_from_slice(if f.index == 0 { b"true" } else { b"false" }),
                    Local::Last => out.extend_from_slice(if f.index + 1 == f.len { b"true" } else { b"false" }),
                    Local::This(path) => {
                        let mut v = f.item;
                        for seg in path {
                            v = v.and_then(|v| v.get(seg));
                        }
                        match v {
                            Some(v) => faker::write_js_value(out, v),
                            None if f.item.is_none() => faker::write_int(out, f.index as i64),
                            None => out.extend_from_slice(b"undefined"),
                        }
                    }
                }
            }
        }
    }
}

/// Append `text` escaped for use inside a JSON string, optionally with the quotes.
pub fn write_json_escaped(out: &mut Vec<u8>, text: &[u8], quote: bool) {
    if quote {
        out.push(b'"');
    }
    for &b in text {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            _ => out.push(b),
        }
    }
    if quote {
        out.push(b'"');
    }
}

/// Join adjacent literals, so rendering does one copy per run of text.
fn merge_literals(nodes: Vec<Node>) -> Vec<Node> {
    let mut merged: Vec<Node> = Vec::with_capacity(nodes.len());
    for node in nodes {
        match (merged.last_mut(), node) {
            (_, Node::Lit(b)) if b.is_empty() => {}
            (Some(Node::Lit(prev)), Node::Lit(b)) => {
                let mut v = prev.to_vec();
                v.extend_from_slice(&b);
                *prev = v.into_boxed_slice();
            }
            (_, node) => merged.push(node),
        }
    }
    merged
}

struct Compiler<'a> {
    scanned: &'a scan::Scanned,
    /// The `#entity` blocks around the element being compiled, innermost last: their `of=`
    /// names, if any.
    entities: Vec<Option<Names>>,
    cx: BuildCx,
    err: &'a dyn Fn(usize, String) -> TemplateError,
    row_fields: Option<&'a [String]>,
}

type CompileResult<T> = Result<T, TemplateError>;

impl Compiler<'_> {
    /// The source offset of a Handlebars (line, column) position in the rewritten text, and the
    /// rewritten offset itself.
    fn position(&self, line: usize, col: usize) -> (usize, usize) {
        let at = scan::offset_of(&self.scanned.text, line, col);
        (self.scanned.map[at.min(self.scanned.map.len() - 1)], at)
    }

    fn elements(&mut self, t: &HbTemplate, depth: usize) -> CompileResult<Vec<Node>> {
        if depth > 32 {
            return Err((self.err)(0, "blocks are nested more than 32 deep".into()));
        }
        let mut nodes = Vec::with_capacity(t.elements.len());
        for (i, el) in t.elements.iter().enumerate() {
            let (src_at, text_at) = t.mapping.get(i).map_or((0, usize::MAX), |m| self.position(m.0, m.1));
            let node = match el {
                TemplateElement::RawString(s) => Node::Lit(s.as_bytes().into()),
                TemplateElement::Comment(_) => continue,
                TemplateElement::Expression(h) | TemplateElement::HtmlExpression(h) => {
                    let kdg = self.scanned.calls.get(&text_at);
                    self.expression(&h.name, &h.params, &h.hash, kdg, src_at)?
                }
                TemplateElement::HelperBlock(h) if Self::name_of(&h.name).as_deref() == Some("entity") => {
                    let (sel, names) = self.entity_block(&h.params, &h.hash, src_at)?;
                    if h.inverse.is_some() {
                        return Err((self.err)(src_at, "`#entity` has no `{{else}}` part".into()));
                    }
                    self.entities.push(names);
                    let body = match &h.template {
                        Some(t) => self.elements(t, depth + 1),
                        None => Ok(Vec::new()),
                    };
                    self.entities.pop();
                    Node::Entity {
                        sel,
                        body: merge_literals(body?),
                    }
                }
                TemplateElement::HelperBlock(h) => {
                    let body = match &h.template {
                        Some(t) => self.elements(t, depth + 1)?,
                        None => Vec::new(),
                    };
                    let otherwise = match &h.inverse {
                        Some(t) => self.elements(t, depth + 1)?,
                        None => Vec::new(),
                    };
                    self.block(&h.name, &h.params, &h.hash, body, otherwise, src_at)?
                }
                _ => return Err((self.err)(src_at, "partials and decorators are not supported".into())),
            };
            nodes.push(node);
        }
        Ok(nodes)
    }

    /// `{{row.NAME}}`: the replayed row's field, as text (`null` when empty or absent).
    fn row_field(&self, key: &str, at: usize) -> CompileResult<Node> {
        if let Some(cols) = self.row_fields {
            if !cols.iter().any(|c| c == key) {
                return Err((self.err)(
                    at,
                    format!(
                        "the --from file has no column `{key}`; its columns are: {}",
                        cols.join(", ")
                    ),
                ));
            }
        }
        let key = key.to_string();
        Ok(Node::Gen(Box::new(move |ctx: &mut Ctx, out: &mut Vec<u8>| {
            match ctx.row.get(&key) {
                Some((v, crate::faker::row::Kind::Str | crate::faker::row::Kind::Raw)) => out.extend_from_slice(v),
                _ => out.extend_from_slice(b"null"),
            }
        })))
    }

    fn name_of(p: &Parameter) -> Option<String> {
        match p {
            Parameter::Name(n) => Some(n.clone()),
            Parameter::Path(handlebars::Path::Relative((_, raw)) | handlebars::Path::Local((_, _, raw))) => {
                Some(raw.clone())
            }
            _ => None,
        }
    }

    fn literal(&self, p: &Parameter, at: usize) -> CompileResult<Value> {
        match p {
            Parameter::Literal(v) => Ok(v.clone()),
            _ => Err((self.err)(
                at,
                "arguments must be literal values such as 5, \"text\" or [1,2]".into(),
            )),
        }
    }

    fn args(
        &self,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        kdg: Option<&scan::KdgArg>,
        at: usize,
    ) -> CompileResult<Args> {
        if let Some(arg) = kdg {
            return Ok(kdg_args(&arg.raw, self.cx.compat));
        }
        let positional = params
            .iter()
            .map(|p| self.literal(p, at))
            .collect::<CompileResult<_>>()?;
        let mut named = Map::new();
        let mut keys: Vec<_> = hash.keys().collect();
        keys.sort();
        for k in keys {
            named.insert(k.clone(), self.literal(&hash[k], at)?);
        }
        Ok(Args { positional, named })
    }

    fn expression(
        &mut self,
        name: &Parameter,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        kdg: Option<&scan::KdgArg>,
        at: usize,
    ) -> CompileResult<Node> {
        if let Parameter::Subexpression(sub) = name {
            return self.subexpression(sub, at);
        }
        if let Parameter::Literal(v) = name {
            let mut b = Vec::new();
            faker::write_js_value(&mut b, v);
            return Ok(Node::Lit(b.into()));
        }
        let Some(name) = Self::name_of(name) else {
            return Err((self.err)(at, "this tag has no helper name".into()));
        };
        let bare = params.is_empty() && hash.is_empty() && kdg.is_none();
        if let Some(field) = name.strip_prefix("entity:") {
            return self.entity_field(field, params, hash, kdg, bare, at);
        }
        if let Some((ns, method)) = name.split_once(':') {
            let builder = faker::lookup(ns, method).map_err(|e| (self.err)(at, e.to_string()))?;
            let args = self.args(params, hash, kdg, at)?;
            let g = builder(&args, &mut self.cx)
                .map_err(|e| (self.err)(kdg.map_or(at, |k| k.at), format!("{ns}.{method}: {e}")))?;
            return Ok(Node::Gen(g));
        }
        match name.as_str() {
            "seq" if bare => Ok(Node::Gen(Box::new(|ctx: &mut Ctx, out: &mut Vec<u8>| {
                faker::write_int(out, ctx.seq as i64)
            }))),
            "uuid" if bare => Ok(Node::Gen(Box::new(write_uuid))),
            "walk" | "timestamp" => {
                let args = self.args(params, hash, kdg, at)?;
                let built = if name == "walk" {
                    state::build_walk(&args, &mut self.cx, !self.entities.is_empty())
                } else {
                    state::build_timestamp(&args, &mut self.cx)
                };
                Ok(Node::Gen(built.map_err(|e| (self.err)(at, format!("{name}: {e}")))?))
            }
            "run.id" | "runId" if bare => Ok(Node::Gen(Box::new(|ctx: &mut Ctx, out: &mut Vec<u8>| {
                out.extend_from_slice(ctx.run_id.as_bytes())
            }))),
            "@index" if bare => Ok(Node::Local(Local::Index)),
            "@key" if bare => Ok(Node::Local(Local::Key)),
            "@first" if bare => Ok(Node::Local(Local::First)),
            "@last" if bare => Ok(Node::Local(Local::Last)),
            "json" | "escape" => {
                let [inner] = params else {
                    return Err((self.err)(
                        at,
                        format!("`{name}` takes one value, e.g. {{{{{name} (name.lastName)}}}}"),
                    ));
                };
                let inner = self.parameter(inner, at)?;
                Ok(Node::Escape {
                    inner,
                    quote: name == "json",
                })
            }
            "row" if bare => Ok(Node::Gen(Box::new(|ctx: &mut Ctx, out: &mut Vec<u8>| {
                out.extend_from_slice(ctx.row.json())
            }))),
            "row" => match (params, hash.is_empty()) {
                ([Parameter::Literal(Value::String(key))], true) => self.row_field(key, at),
                _ => Err((self.err)(
                    at,
                    "`row` takes one column name, e.g. {{row \"first name\"}}".into(),
                )),
            },
            path if bare && path.starts_with("row.") => {
                let key = path["row.".len()..].trim_start_matches('[').trim_end_matches(']');
                self.row_field(key, at)
            }
            path if bare && (path == "this" || path.starts_with("this.")) => {
                let segs = path["this".len()..].split('.').filter(|s| !s.is_empty());
                Ok(Node::Local(Local::This(segs.map(str::to_string).collect())))
            }
            other => Err((self.err)(at, unknown_helper(other))),
        }
    }

    /// `entity.id`, `entity.seq`, `entity.name`, `entity.attr "ns.method" ARGS… key="…"`.
    fn entity_field(
        &mut self,
        field: &str,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        kdg: Option<&scan::KdgArg>,
        bare: bool,
        at: usize,
    ) -> CompileResult<Node> {
        let Some(names) = self.entities.last() else {
            return Err((self.err)(
                at,
                format!(
                    "`entity.{field}` is only defined inside an entity block: wrap this part of the \
                     template in {{{{#entity \"device\" 100}}}}…{{{{/entity}}}}"
                ),
            ));
        };
        let val = match field {
            "id" => EntityVal::Id,
            "seq" => EntityVal::Seq,
            "name" => EntityVal::Name(names.clone()),
            "attr" => return self.entity_attr(params, hash, kdg, at),
            other => {
                return Err((self.err)(
                    at,
                    format!("unknown `entity.{other}` (entity has: id, name, seq, attr)"),
                ))
            }
        };
        if !bare {
            return Err((self.err)(at, format!("`entity.{field}` takes no arguments")));
        }
        Ok(Node::EntityVal(val))
    }

    fn entity_attr(
        &mut self,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        kdg: Option<&scan::KdgArg>,
        at: usize,
    ) -> CompileResult<Node> {
        let mut args = self.args(params, hash, kdg, at)?;
        let usage = "`entity.attr` takes a faker method, e.g. {{entity.attr \"commerce.productName\"}}";
        let method = match args.positional.first() {
            Some(Value::String(m)) => m.clone(),
            _ => return Err((self.err)(at, usage.into())),
        };
        args.positional.remove(0);
        let Some((ns, m)) = method.split_once('.') else {
            return Err((self.err)(at, format!("{usage}; got `{method}`")));
        };
        let builder = faker::lookup(ns, m).map_err(|e| (self.err)(at, format!("entity.attr: {e}")))?;
        let key = match args.named.remove("key") {
            None => String::new(),
            Some(Value::String(k)) => k,
            Some(other) => return Err((self.err)(at, format!("entity.attr: `key` must be text, got {other}"))),
        };
        let identity = format!(
            "{method}\u{0}{}\u{0}{}\u{0}{key}",
            Value::Array(args.positional.clone()),
            Value::Object(args.named.clone())
        );
        let gen = builder(&args, &mut self.cx).map_err(|e| (self.err)(at, format!("entity.attr {method}: {e}")))?;
        Ok(Node::Attr {
            id: state::hash_str(&identity),
            gen,
        })
    }

    /// The arguments of `{{#entity NAME COUNT pick="cycle"}}` or `{{#entity NAME of="a,b"}}`.
    fn entity_block(
        &self,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        at: usize,
    ) -> CompileResult<(Selector, Option<Names>)> {
        const MAX: u64 = 1 << 40;
        let usage = "`#entity` takes a name and a count, {{#entity \"device\" 1000}}, or a name and a \
                     list, {{#entity \"stock\" of=\"AAPL,MSFT\"}}";
        let args = self.args(params, hash, None, at)?;
        let fail = |msg: String| Err((self.err)(at, msg));
        if let Some(k) = args.named.keys().find(|k| !matches!(k.as_str(), "of" | "pick")) {
            return fail(format!("`#entity`: unknown option `{k}=` (options: of, pick)"));
        }
        let (name, count) = match args.positional.as_slice() {
            [Value::String(n)] => (n, None),
            [Value::String(n), c] => (n, Some(c)),
            _ => return fail(usage.into()),
        };
        let names: Option<Names> = match args.named.get("of") {
            None => None,
            Some(Value::String(list)) => Some(list.split(',').map(|s| s.trim().as_bytes().into()).collect()),
            Some(Value::Array(list)) => Some(
                list.iter()
                    .map(|v| {
                        let mut b = Vec::new();
                        faker::write_js_value(&mut b, v);
                        b.into_boxed_slice()
                    })
                    .collect(),
            ),
            Some(other) => {
                return fail(format!(
                    "`#entity`: `of` must be a list such as \"AAPL,MSFT\", got {other}"
                ))
            }
        };
        let count = match (count, &names) {
            (Some(_), Some(_)) => return fail("`#entity`: give a count or `of=`, not both".into()),
            (None, None) => return fail(usage.into()),
            (None, Some(list)) if list.is_empty() || list.iter().any(|n| n.is_empty()) => {
                return fail("`#entity`: `of` has an empty name".into())
            }
            (None, Some(list)) => list.len() as u64,
            (Some(c), None) => match c.as_u64() {
                Some(c) if (1..=MAX).contains(&c) => c,
                _ => return fail(format!("`#entity` count must be a whole number 1..{MAX}, got {c}")),
            },
        };
        let pick = match args.named.get("pick").and_then(Value::as_str) {
            None if !args.named.contains_key("pick") => PickMode::Cycle,
            Some("cycle") => PickMode::Cycle,
            Some("random") => PickMode::Random,
            _ => return fail("`#entity`: `pick` is \"cycle\" or \"random\"".into()),
        };
        let sel = Selector {
            name: state::hash_str(name),
            count,
            pick,
        };
        Ok((sel, names))
    }

    fn subexpression(&mut self, sub: &handlebars::template::Subexpression, at: usize) -> CompileResult<Node> {
        match sub.as_element() {
            TemplateElement::Expression(h) => self.expression(&h.name, &h.params, &h.hash, None, at),
            _ => Err((self.err)(at, "unsupported sub-expression".into())),
        }
    }

    /// A block or helper parameter that is rendered (a path, sub-expression or literal).
    fn parameter(&mut self, p: &Parameter, at: usize) -> CompileResult<Vec<Node>> {
        Ok(vec![match p {
            Parameter::Subexpression(sub) => self.subexpression(sub, at)?,
            other => self.expression(other, &[], &Default::default(), None, at)?,
        }])
    }

    #[allow(clippy::too_many_arguments)]
    fn block(
        &mut self,
        name: &Parameter,
        params: &[Parameter],
        hash: &std::collections::HashMap<String, Parameter>,
        body: Vec<Node>,
        otherwise: Vec<Node>,
        at: usize,
    ) -> CompileResult<Node> {
        let name = Self::name_of(name).unwrap_or_default();
        let body = merge_literals(body);
        let otherwise = merge_literals(otherwise);
        match name.as_str() {
            "each" => {
                let [source] = params else {
                    return Err((self.err)(
                        at,
                        "`#each` takes one list, e.g. {{#each [\"a\",\"b\"]}}".into(),
                    ));
                };
                let (items, keys) = match self.literal(source, at)? {
                    Value::Array(items) => (items, None),
                    Value::Object(map) => {
                        let (k, v) = map.into_iter().unzip();
                        (v, Some(k))
                    }
                    other => {
                        return Err((self.err)(
                            at,
                            format!("`#each` needs a list or an object, got {other}"),
                        ))
                    }
                };
                Ok(Node::Each {
                    items,
                    keys,
                    body,
                    otherwise,
                })
            }
            "if" | "unless" => {
                let [cond] = params else {
                    return Err((self.err)(
                        at,
                        format!("`#{name}` takes one condition, e.g. {{{{#{name} (random.boolean)}}}}"),
                    ));
                };
                let cond = self.parameter(cond, at)?;
                Ok(Node::If {
                    cond,
                    negate: name == "unless",
                    then: body,
                    otherwise,
                })
            }
            "repeat" => {
                let count = |v: Value| {
                    v.as_u64().filter(|n| *n <= 100_000).ok_or_else(|| {
                        (self.err)(
                            at,
                            format!("`#repeat` counts must be whole numbers up to 100000, got {v}"),
                        )
                    })
                };
                let mut args = self.args(params, hash, None, at)?;
                let sep = match args.named.remove("separator").or_else(|| args.named.remove("sep")) {
                    None => b",".to_vec(),
                    Some(Value::String(s)) => s.into_bytes(),
                    Some(other) => return Err((self.err)(at, format!("`separator` must be text, got {other}"))),
                };
                let (min, max) = match (args.positional.as_slice(), args.named.get("min"), args.named.get("max")) {
                    ([n], None, None) => (count(n.clone())?, count(n.clone())?),
                    ([a, b], None, None) => (count(a.clone())?, count(b.clone())?),
                    ([], Some(a), Some(b)) => (count(a.clone())?, count(b.clone())?),
                    _ => {
                        return Err((self.err)(
                            at,
                            "`#repeat` takes a count (#repeat 3) or a range (#repeat 1 5, or min=1 max=5)".into(),
                        ))
                    }
                };
                if min > max {
                    return Err((self.err)(at, format!("`#repeat` range {min}..{max} is empty")));
                }
                Ok(Node::Repeat {
                    min,
                    max,
                    sep: sep.into(),
                    body,
                })
            }
            other => Err((self.err)(
                at,
                format!("unknown block helper `#{other}` (each, if, unless, repeat, entity)"),
            )),
        }
    }
}

fn unknown_helper(name: &str) -> String {
    let name = name.replace(':', ".");
    format!(
        "unknown helper `{name}`: use a faker method such as `name.firstName` \
         (`kdg render --list` shows them all) or seq, uuid, run.id, json, escape, walk, timestamp"
    )
}

/// The arguments of a KDG call: ARG as JSON, else as raw text (`docs/templates.md`, Argument
/// parsing, cases 6–7). In tolerant mode a comma list of JSON values is an argument list:
/// `random.number(1,10)`.
fn kdg_args(raw: &str, compat: Compat) -> Args {
    if raw.trim().is_empty() {
        return Args::default();
    }
    let positional = match serde_json::from_str::<Value>(raw) {
        Ok(v) => vec![v],
        Err(_) => match serde_json::from_str::<Value>(&format!("[{raw}]")) {
            Ok(Value::Array(list)) if compat == Compat::Tolerant && list.len() > 1 => list,
            _ => vec![Value::String(raw.to_string())],
        },
    };
    Args {
        positional,
        named: Map::new(),
    }
}

#[cfg(test)]
mod tests;
