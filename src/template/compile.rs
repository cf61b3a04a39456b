//! The template compiler: checks and scans the source, has the `handlebars` crate parse it, and
//! compiles the parsed elements into the flat plan of [`Node`]s, building each faker generator
//! once and resolving every name, so rendering looks nothing up.

use handlebars::template::{Parameter, Template as HbTemplate, TemplateElement};
use serde_json::{Map, Value};

use super::{
    compat, scan, EachBlock, EntityBlock, EntityVal, IfBlock, Local, Names, Node, Options, RepeatBlock, Template,
    TemplateError, MAX_ESCAPE_NESTING, MAX_NESTING, MAX_REPEAT_EXPANSION, MAX_TEMPLATE_BYTES,
};
use crate::faker::state::{self, PickMode, Selector};
use crate::faker::{self, random::write_uuid, Args, BuildCtx, Compat, Ctx};

/// The Handlebars parser reads the template in pieces of about this many bytes (see
/// [`scan::Scanned::pieces`]): long enough that cutting costs nothing, short enough that its
/// quadratic position counting does not show.
pub(super) const PIECE_BYTES: usize = 256;

/// [`Template::compile`]: compile template text; `name` is used in error messages.
pub(super) fn compile(src: &str, name: &str, opts: &Options) -> Result<Template, TemplateError> {
    compile_in_pieces(src, name, opts, PIECE_BYTES, true)
}

/// [`compile`], with the parser reading pieces of at least `piece_bytes`, and pieces of only text
/// and bare tags compiled without it when `bare` (tests cut at every place they can with 1 and
/// `bare`, and compare with one piece read by the parser).
pub(super) fn compile_in_pieces(
    src: &str,
    name: &str,
    opts: &Options,
    piece_bytes: usize,
    bare: bool,
) -> Result<Template, TemplateError> {
    let err = |offset: usize, message: String| {
        let (line, column) = scan::line_col(src, offset);
        TemplateError {
            name: name.to_string(),
            line,
            column,
            message,
        }
    };
    if src.len() > MAX_TEMPLATE_BYTES {
        return Err(err(
            0,
            format!(
                "the template is {} bytes, above the limit of 10 MiB (MAX_TEMPLATE_BYTES)",
                src.len()
            ),
        ));
    }
    if src.trim().is_empty() {
        return Err(err(0, "the template is empty".into()));
    }
    if opts.compat == Compat::Strict {
        compat::check(src).map_err(|(at, msg)| err(at, format!("{msg} (KDG would throw here)")))?;
    }
    let scanned = scan::scan(src, opts.compat).map_err(|(at, msg)| err(at, msg))?;
    let mut compiler = Compiler {
        scanned: &scanned,
        base: 0,
        locator: scan::Locator::new(""),
        entities: Vec::new(),
        cx: BuildCtx::new(opts.compat, opts.tz.clone()),
        err: &err,
        row_fields: opts.row_fields.as_deref(),
        sub_depth: 0,
        escape_depth: 0,
    };
    let mut nodes = Vec::new();
    // The parser is quadratic in its input's length: it reads the text piece by piece.
    for (base, piece) in scanned.pieces(piece_bytes) {
        if let Some(parts) = bare.then(|| bare_parts(piece)).flatten() {
            for part in parts {
                nodes.push(match part {
                    BarePart::Text(t) => Node::Lit(t.as_bytes().into()),
                    BarePart::Tag { name, at } => {
                        let text_at = base + at;
                        let kdg = scanned.calls.get(&text_at);
                        let name = Parameter::Name(name.to_owned());
                        compiler.expression(&name, &[], &Default::default(), kdg, scanned.map.get(text_at))?
                    }
                });
            }
            continue;
        }
        let hb = HbTemplate::compile(piece).map_err(|e| {
            let at = base + e.pos().map_or(0, |(l, c)| scan::offset_of(piece, l, c));
            let reason = e.reason().to_string();
            err(scanned.map.get(at), reason)
        })?;
        compiler.base = base;
        compiler.locator = scan::Locator::new(piece);
        nodes.extend(compiler.elements(&hb, 0)?);
    }
    let slots = compiler.cx.slots();
    Ok(Template {
        nodes: merge_literals(nodes),
        slots,
    })
}

/// A part of a piece that [`bare_parts`] split.
#[derive(Debug, PartialEq)]
enum BarePart<'a> {
    Text(&'a str),
    /// `{{name}}`, its `{{` at `at` in the piece.
    Tag {
        name: &'a str,
        at: usize,
    },
}

/// Names that are not helpers or paths to the parser: `{{true}}` is a literal, `{{else}}` part
/// of a block.
const NOT_BARE: &[&str] = &["else", "this", "true", "false", "null", "undefined"];

/// A piece of only text and bare tags (`{{seq}}`, `{{name:firstName}}`: a name, no arguments,
/// no white space, not next to another brace), split into them; `None` when it holds anything
/// else. The Handlebars parser spends microseconds a tag, the most of compiling a long template;
/// a bare tag compiles the same without it (`docs/templates.md#compile-cost`).
fn bare_parts(piece: &str) -> Option<Vec<BarePart<'_>>> {
    let b = piece.as_bytes();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(open) = piece[i..].find("{{").map(|o| i + o) else {
            parts.push(BarePart::Text(&piece[i..]));
            break;
        };
        if open > i {
            // `\{{` is literal text to the parser.
            if b[open - 1] == b'\\' {
                return None;
            }
            parts.push(BarePart::Text(&piece[i..open]));
        }
        let start = open + 2;
        let len = b[start..]
            .iter()
            .take_while(|&&c| scan::is_ident(c) || c == b':')
            .count();
        let end = start + len;
        let name = &piece[start..end];
        let first_ok = b
            .get(start)
            .is_some_and(|c| c.is_ascii_alphabetic() || matches!(c, b'_' | b'$'));
        if !first_ok || !b[end..].starts_with(b"}}") || b.get(end + 2) == Some(&b'}') || NOT_BARE.contains(&name) {
            return None;
        }
        parts.push(BarePart::Tag { name, at: open });
        i = end + 2;
    }
    Some(parts)
}

/// Join adjacent literals, so rendering does one copy per run of text.
fn merge_literals(nodes: Vec<Node>) -> Vec<Node> {
    let mut merged: Vec<Node> = Vec::with_capacity(nodes.len());
    // The run of text being joined: each byte is copied once, however long the run.
    let mut text: Vec<u8> = Vec::new();
    for node in nodes {
        match node {
            Node::Lit(b) => text.extend_from_slice(&b),
            node => {
                if !text.is_empty() {
                    merged.push(Node::Lit(std::mem::take(&mut text).into_boxed_slice()));
                }
                merged.push(node);
            }
        }
    }
    if !text.is_empty() {
        merged.push(Node::Lit(text.into_boxed_slice()));
    }
    merged
}

struct Compiler<'a> {
    scanned: &'a scan::Scanned,
    /// The offset in the rewritten text of the piece being compiled.
    base: usize,
    /// Positions in that piece, found in linear time (elements come in document order).
    locator: scan::Locator<'a>,
    /// The `#entity` blocks around the element being compiled, innermost last: their `of=`
    /// names, if any.
    entities: Vec<Option<Names>>,
    cx: BuildCtx,
    err: &'a dyn Fn(usize, String) -> TemplateError,
    row_fields: Option<&'a [String]>,
    /// Sub-expressions around the one being compiled (at most [`MAX_NESTING`]).
    sub_depth: usize,
    /// `json`/`escape` helpers around the one being compiled (at most [`MAX_ESCAPE_NESTING`]).
    escape_depth: usize,
}

type CompileResult<T> = Result<T, TemplateError>;

impl Compiler<'_> {
    /// The source offset of a Handlebars (line, column) position in the rewritten text, and the
    /// rewritten offset itself.
    fn position(&self, line: usize, col: usize) -> (usize, usize) {
        let at = self.base + self.locator.offset_of(line, col);
        (self.scanned.map.get(at), at)
    }

    fn elements(&mut self, t: &HbTemplate, depth: usize) -> CompileResult<Vec<Node>> {
        if depth > MAX_NESTING {
            return Err((self.err)(
                0,
                format!("blocks are nested more than {MAX_NESTING} deep (MAX_NESTING)"),
            ));
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
                    Node::Entity(Box::new(EntityBlock {
                        sel,
                        body: merge_literals(body?),
                    }))
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
            let g = match (builder(&args, &mut self.cx), kdg) {
                (Ok(g), _) => g,
                // Tolerant mode never refuses a KDG call that strict mode renders: it falls back
                // to KDG's own reading (`docs/templates.md#case-21`), `OK,FAIL` as one string.
                (Err(e), Some(k)) if self.cx.compat == Compat::Tolerant => {
                    self.cx.compat = Compat::Strict;
                    let strict = builder(&kdg_args(&k.raw, Compat::Strict), &mut self.cx);
                    self.cx.compat = Compat::Tolerant;
                    strict.map_err(|_| (self.err)(k.at, format!("{ns}.{method}: {e}")))?
                }
                (Err(e), _) => return Err((self.err)(kdg.map_or(at, |k| k.at), format!("{ns}.{method}: {e}"))),
            };
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
                if self.escape_depth >= MAX_ESCAPE_NESTING {
                    return Err((self.err)(
                        at,
                        format!(
                            "`{name}` is nested more than {MAX_ESCAPE_NESTING} deep (MAX_ESCAPE_NESTING): each level can double the text"
                        ),
                    ));
                }
                self.escape_depth += 1;
                let inner = self.parameter(inner, at);
                self.escape_depth -= 1;
                let inner = inner?;
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
        if self.sub_depth >= MAX_NESTING {
            return Err((self.err)(
                at,
                format!("sub-expressions are nested more than {MAX_NESTING} deep (MAX_NESTING)"),
            ));
        }
        self.sub_depth += 1;
        let node = match sub.as_element() {
            TemplateElement::Expression(h) => self.expression(&h.name, &h.params, &h.hash, None, at),
            _ => Err((self.err)(at, "unsupported sub-expression".into())),
        };
        self.sub_depth -= 1;
        node
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
                check_expansion(items.len() as u64, &body).map_err(|e| (self.err)(at, e))?;
                Ok(Node::Each(Box::new(EachBlock {
                    items,
                    keys,
                    body,
                    otherwise,
                })))
            }
            "if" | "unless" => {
                let [cond] = params else {
                    return Err((self.err)(
                        at,
                        format!("`#{name}` takes one condition, e.g. {{{{#{name} (random.boolean)}}}}"),
                    ));
                };
                let cond = self.parameter(cond, at)?;
                Ok(Node::If(Box::new(IfBlock {
                    cond,
                    negate: name == "unless",
                    then: body,
                    otherwise,
                })))
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
                check_expansion(max, &body).map_err(|e| (self.err)(at, e))?;
                Ok(Node::Repeat(Box::new(RepeatBlock {
                    min,
                    max,
                    sep: sep.into(),
                    body,
                })))
            }
            other => Err((self.err)(
                at,
                format!("unknown block helper `#{other}` (each, if, unless, repeat, entity)"),
            )),
        }
    }
}

/// The most times the innermost body in `nodes` renders per rendering of `nodes`: the largest
/// product of the counts of the `#repeat`/`#each` blocks nested in them.
fn expansion(nodes: &[Node]) -> u64 {
    nodes
        .iter()
        .map(|n| match n {
            Node::Repeat(r) => r.max.saturating_mul(expansion(&r.body)),
            Node::Each(e) => (e.items.len() as u64)
                .saturating_mul(expansion(&e.body))
                .max(expansion(&e.otherwise)),
            Node::If(i) => expansion(&i.cond).max(expansion(&i.then)).max(expansion(&i.otherwise)),
            Node::Escape { inner, .. } => expansion(inner),
            Node::Entity(e) => expansion(&e.body),
            _ => 1,
        })
        .max()
        .unwrap_or(1)
}

/// A block that renders its `body` up to `count` times must keep the expansion within
/// [`MAX_REPEAT_EXPANSION`].
fn check_expansion(count: u64, body: &[Node]) -> Result<(), String> {
    let total = count.saturating_mul(expansion(body));
    if total > MAX_REPEAT_EXPANSION {
        Err(format!(
            "this block and the blocks inside it render their body up to {total} times per record, above the limit of {MAX_REPEAT_EXPANSION} (MAX_REPEAT_EXPANSION)"
        ))
    } else {
        Ok(())
    }
}

fn unknown_helper(name: &str) -> String {
    let name = name.replace(':', ".");
    format!(
        "unknown helper `{name}`: use a faker method such as `name.firstName` \
         (`kdg methods` lists them all) or seq, uuid, run.id, json, escape, walk, timestamp"
    )
}

/// The arguments of a KDG call: ARG as JSON, else as raw text (`docs/templates.md`, Argument
/// parsing, cases 6–7). In tolerant mode a comma list of JSON values is an argument list
/// (`random.number(1,10)`), quotes escaped as `\"` are read as quotes
/// (`random.number({\"min\":1,\"max\":9})`, `docs/templates.md#case-21`), and so are single
/// quotes (`random.arrayElement(['a','b'])`, case 8).
fn kdg_args(raw: &str, compat: Compat) -> Args {
    if raw.trim().is_empty() {
        return Args::default();
    }
    let tolerant = compat == Compat::Tolerant;
    let parse = |text: &str| match serde_json::from_str::<Value>(text) {
        Ok(v) => Some(vec![v]),
        Err(_) => match serde_json::from_str::<Value>(&format!("[{text}]")) {
            Ok(Value::Array(list)) if tolerant && list.len() > 1 => Some(list),
            _ => None,
        },
    };
    // Tolerant readings of text that is not JSON, tried in turn: `\"` as `"`, then single
    // quotes as double quotes (`['GET','POST']`, `date.now('YYYY-MM-DD')`).
    let retry = |from: &str, to: &str| {
        (tolerant && raw.contains(from))
            .then(|| parse(&raw.replace(from, to)))
            .flatten()
    };
    let positional = parse(raw)
        .or_else(|| retry("\\\"", "\""))
        .or_else(|| retry("'", "\""))
        .unwrap_or_else(|| vec![Value::String(raw.to_string())]);
    Args {
        positional,
        named: Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_text_and_bare_tags_skip_the_parser() {
        let parts = bare_parts("a{{seq}}, {{name:firstName}}}x").map(|p| p.len());
        assert_eq!(parts, None, "a tag before a closing brace");
        assert_eq!(
            bare_parts("a{{seq}}, {{name:firstName}}\n").unwrap(),
            vec![
                BarePart::Text("a"),
                BarePart::Tag { name: "seq", at: 1 },
                BarePart::Text(", "),
                BarePart::Tag {
                    name: "name:firstName",
                    at: 10
                },
                BarePart::Text("\n"),
            ]
        );
        assert_eq!(bare_parts("{\"a\":1}}").unwrap(), vec![BarePart::Text("{\"a\":1}}")]);
        for not_bare in [
            "{{ seq }}",
            "{{seq x}}",
            "{{~seq}}",
            "{{seq~}}",
            "{{{seq}}}",
            "x{{{seq}}",
            "\\{{seq}}",
            "{{#if a}}b{{/if}}",
            "{{! c }}",
            "{{else}}",
            "{{true}}",
            "{{this}}",
            "{{@index}}",
            "{{a.b}}",
            "{{9}}",
            "{{seq",
            "{{}}",
        ] {
            assert_eq!(bare_parts(not_bare), None, "{not_bare:?}");
        }
    }
}
