//! Fake-data generators: the faker.js 3.1.0 API as bundled by KDG (`ns.method`), plus kdg's own helpers.
//!
//! This module owns the *contract* every generator follows and the registry that maps a
//! `namespace.method` name to a builder. It knows nothing about template syntax, tokio or AWS.
//!
//! * A [`Builder`] runs once per call site, at template compile time. It validates the call's
//!   [`Args`] and returns a [`Gen`]: everything that can be decided from the arguments is decided
//!   there, so the per-record path only draws random numbers and writes bytes.
//! * A [`Gen`] writes one value's text into the record buffer. It gets the per-worker [`Ctx`]: the
//!   random generator (reseeded for every record from `(seed, record number)`), the record's
//!   instant, and per-call-site cache slots.
//! * Values are written the way JavaScript's `String(x)` prints them (`docs/templates.md#values-as-text`): numbers in
//!   shortest round-trip form, arrays joined with `,`, dates as `Date.prototype.toString()`.
//!
//! Namespace modules each export `lookup(method) -> Option<Builder>` and `METHODS`, the list of
//! method names (used for error messages and `kdg methods`); `signatures` has the arguments of
//! those that take any.

use std::fmt;

use rand::RngExt;
use serde_json::{Map, Value};

pub mod address;
pub mod commerce;
pub mod company;
pub mod data;
pub mod date;
pub mod finance;
pub mod hacker;
pub mod helpers;
pub mod image;
pub mod internet;
pub mod lorem;
pub mod moment;
pub mod name;
pub mod phone;
pub mod random;
pub mod row;
pub mod signatures;
pub mod state;
pub mod system;
mod user_agent;

/// The random generator every generator draws from. PCG's 128-bit MCG: fast, small, and its
/// output stream is fixed by its definition, so seeded output does not change between releases.
pub type Rng = rand_pcg::Pcg64Mcg;

/// The random generator for record `n` of a run with `seed`: a pure function of both.
pub fn record_rng(seed: u64, n: u64) -> Rng {
    let a = splitmix64(seed ^ splitmix64(n));
    let b = splitmix64(a ^ 0x9e37_79b9_7f4a_7c15);
    Rng::new(((a as u128) << 64) | b as u128)
}

/// A uniform float in `[0, 1)` from 64 random bits (their top 53).
#[inline]
pub fn unit_of(bits: u64) -> f64 {
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform float in `[0, 1)` that is a pure function of `(seed, salt, n)`: an independent
/// draw per record for each salt, for choices made outside the record's own random stream.
#[inline]
pub fn record_unit(seed: u64, salt: u64, n: u64) -> f64 {
    unit_of(splitmix64(seed ^ salt ^ splitmix64(n)))
}

/// SplitMix64's finaliser: a cheap, well-mixed 64-bit hash.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Per-worker state handed to every [`Gen::emit`]. One `Ctx` renders many records; the engine (or
/// `kdg render`) calls [`Ctx::begin_record`] before each one.
pub struct Ctx {
    /// Random generator for the current record.
    pub rng: Rng,
    /// The current record's number (`{{seq}}`).
    pub seq: u64,
    /// The current record's instant, in milliseconds since the Unix epoch (`{{date.now}}`).
    pub now_ms: i64,
    /// The simulated instant of a backfill run (`{{date.simTime}}`), if one is running.
    pub sim_ms: Option<i64>,
    /// The run's seed.
    pub seed: u64,
    /// A stable identifier of this run (`{{run.id}}`), the same for every record and worker.
    pub run_id: String,
    /// Per-call-site mutable state, indexed by the slot a builder got from [`BuildCtx::slot`].
    pub slots: Vec<Slot>,
    /// Scratch buffer for generators that compose text before writing it.
    pub scratch: Vec<u8>,
    /// The row being replayed (`--from`), read by `{{row.NAME}}`.
    pub row: row::Row,
    /// The entity of the innermost `{{#entity}}` block being rendered.
    pub entity: state::EntityCur,
}

/// Mutable state owned by one call site in one worker, e.g. a cached formatted timestamp.
#[derive(Default, Debug, Clone)]
pub struct Slot {
    /// The key the cached text is valid for (for timestamps: the second or millisecond).
    pub key: i64,
    /// Whether `text` holds a value for `key`.
    pub valid: bool,
    /// The cached text.
    pub text: Vec<u8>,
    /// Cached random-walk descents (`{{walk}}`), one per key line.
    pub paths: Vec<state::Path>,
}

impl Ctx {
    /// A context for a run with `seed`, with `slots` cache slots (from [`BuildCtx::slots`]).
    pub fn new(seed: u64, run_id: String, slots: usize) -> Ctx {
        Ctx {
            rng: record_rng(seed, 0),
            seq: 0,
            now_ms: 0,
            sim_ms: None,
            seed,
            run_id,
            slots: vec![Slot::default(); slots],
            scratch: Vec::with_capacity(256),
            row: row::Row::default(),
            entity: state::EntityCur::default(),
        }
    }

    /// Prepare for rendering record `n` at instant `now_ms`.
    #[inline]
    pub fn begin_record(&mut self, n: u64, now_ms: i64) {
        self.rng = record_rng(self.seed, n);
        self.seq = n;
        self.now_ms = now_ms;
    }

    /// A uniform integer in `lo..=hi` (`lo <= hi`).
    #[inline]
    pub fn int(&mut self, lo: i64, hi: i64) -> i64 {
        self.rng.random_range(lo..=hi)
    }

    /// A uniform index into a collection of `len > 0` items.
    #[inline]
    pub fn index(&mut self, len: usize) -> usize {
        self.rng.random_range(0..len)
    }

    /// A uniform float in `[0, 1)`, like `Math.random()`.
    #[inline]
    pub fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// One element of a non-empty list, uniformly.
    #[inline]
    pub fn pick<'a, T>(&mut self, list: &'a [T]) -> &'a T {
        &list[self.index(list.len())]
    }
}

/// Writes one value into a record.
pub trait Gen: Send + Sync {
    /// Append this value's text for the current record to `out`.
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>);
}

/// Any plain function is a generator; most no-argument methods are just that.
impl<F> Gen for F
where
    F: Fn(&mut Ctx, &mut Vec<u8>) + Send + Sync,
{
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        self(ctx, out)
    }
}

/// A generator that picks uniformly from a static list of strings.
pub struct Pick(pub &'static [&'static str]);

impl Gen for Pick {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        out.extend_from_slice(ctx.pick(self.0).as_bytes());
    }
}

/// Builds the generator for one call site from its arguments.
pub type Builder = fn(&Args, &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError>;

/// How far kdg follows KDG's own behaviour where it is surprising (`docs/templates.md#compatibility-modes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    /// Accept everything KDG renders, and more: each tag closes at its own `}}`, comma lists are
    /// argument lists, weights are normalised exactly.
    #[default]
    Tolerant,
    /// Reproduce KDG's errors and quirks (first `}}` wins, `undefined` from weighted misses, `NaN`
    /// for non-numeric numbers).
    Strict,
}

/// What a builder may ask of the compiler.
pub struct BuildCtx {
    /// The compatibility mode in force.
    pub compat: Compat,
    /// The time zone `date.now` and friends render in.
    pub tz: jiff::tz::TimeZone,
    slots: usize,
}

impl BuildCtx {
    /// A build context for a template compiled in `compat` mode, rendering dates in `tz`.
    pub fn new(compat: Compat, tz: jiff::tz::TimeZone) -> BuildCtx {
        BuildCtx { compat, tz, slots: 0 }
    }

    /// Reserve a per-worker cache slot; the returned index is valid in every [`Ctx::slots`].
    pub fn slot(&mut self) -> usize {
        self.slots += 1;
        self.slots - 1
    }

    /// How many slots were reserved.
    pub fn slots(&self) -> usize {
        self.slots
    }
}

/// The arguments of one call, as written in the template.
///
/// KDG syntax passes at most one argument, `{{ns.method(ARG)}}`: ARG is parsed as JSON, and if
/// that fails it is passed as a raw string (`raw`). Handlebars syntax passes positional
/// parameters and `key=value` pairs: `{{random.number min=1 max=15}}`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Args {
    /// Positional arguments, as JSON values.
    pub positional: Vec<Value>,
    /// `key=value` arguments.
    pub named: Map<String, Value>,
}

impl Args {
    /// No arguments at all.
    pub fn is_empty(&self) -> bool {
        self.positional.is_empty() && self.named.is_empty()
    }

    /// The `i`th positional argument.
    pub fn get(&self, i: usize) -> Option<&Value> {
        self.positional.get(i)
    }

    /// The single "options" value of a faker.js-style call: the named arguments as one object if
    /// there are any, else the first positional argument.
    pub fn options(&self) -> Option<Value> {
        if !self.named.is_empty() {
            Some(Value::Object(self.named.clone()))
        } else {
            self.positional.first().cloned()
        }
    }

    /// A numeric option: `named[key]`, else the `i`th positional argument, else `default`.
    ///
    /// # Errors
    /// The value is present but is not a number.
    pub fn number_or(&self, key: &str, i: usize, default: f64) -> Result<f64, ArgError> {
        match self.named.get(key).or_else(|| self.positional.get(i)) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| ArgError::new(format!("`{key}` must be a number, got {v}"))),
        }
    }

    /// A string option: `named[key]`, else the `i`th positional argument, else `None`.
    ///
    /// # Errors
    /// The value is present but is not a string.
    pub fn string(&self, key: &str, i: usize) -> Result<Option<String>, ArgError> {
        match self.named.get(key).or_else(|| self.positional.get(i)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(ArgError::new(format!("`{key}` must be a string, got {v}"))),
        }
    }

    /// For a method that takes no arguments: faker.js 3.1.0 ignores whatever a template passes
    /// (`{{commerce.department(5)}}`, `docs/templates.md#case-22`), so positional arguments are
    /// accepted and ignored. `key=value` options, kdg's own Handlebars syntax, are refused, so
    /// a misspelt option is not silently dropped.
    ///
    /// # Errors
    /// There are `key=value` options.
    pub fn none(&self) -> Result<(), ArgError> {
        match self.named.keys().next() {
            None => Ok(()),
            Some(k) => Err(ArgError::new(format!("takes no options, got `{k}=`"))),
        }
    }
}

/// Why a call's arguments were rejected. The template compiler adds the position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgError(pub String);

impl ArgError {
    /// An argument error with this message.
    pub fn new(msg: impl Into<String>) -> ArgError {
        ArgError(msg.into())
    }
}

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Wrap a generator built from a closure or struct.
pub fn boxed(g: impl Gen + 'static) -> Result<Box<dyn Gen>, ArgError> {
    Ok(Box::new(g))
}

/// A builder for a method that takes no arguments and is just a function.
#[macro_export]
macro_rules! no_args {
    ($f:expr) => {{
        fn build(
            args: &$crate::faker::Args,
            _: &mut $crate::faker::BuildCtx,
        ) -> Result<Box<dyn $crate::faker::Gen>, $crate::faker::ArgError> {
            args.none()?;
            $crate::faker::boxed($f)
        }
        build as $crate::faker::Builder
    }};
}

/// A builder for a method that takes no arguments and picks from a static list.
#[macro_export]
macro_rules! pick_from {
    ($list:expr) => {{
        fn build(
            args: &$crate::faker::Args,
            _: &mut $crate::faker::BuildCtx,
        ) -> Result<Box<dyn $crate::faker::Gen>, $crate::faker::ArgError> {
            args.none()?;
            $crate::faker::boxed($crate::faker::Pick($list))
        }
        build as $crate::faker::Builder
    }};
}

/// The faker namespaces, in the order `kdg methods` shows them.
pub const NAMESPACES: &[&str] = &[
    "address", "commerce", "company", "date", "finance", "hacker", "helpers", "image", "internet", "lorem", "name",
    "phone", "random", "system",
];

/// The methods of namespace `ns`, if it is one.
pub fn methods(ns: &str) -> Option<&'static [&'static str]> {
    Some(match ns {
        "address" => address::METHODS,
        "commerce" => commerce::METHODS,
        "company" => company::METHODS,
        "date" => date::METHODS,
        "finance" => finance::METHODS,
        "hacker" => hacker::METHODS,
        "helpers" => helpers::METHODS,
        "image" => image::METHODS,
        "internet" => internet::METHODS,
        "lorem" => lorem::METHODS,
        "name" => name::METHODS,
        "phone" => phone::METHODS,
        "random" => random::METHODS,
        "system" => system::METHODS,
        _ => return None,
    })
}

/// Why a `ns.method` name did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupError {
    /// `ns` is not a namespace.
    Module(String),
    /// `ns` is a namespace without `method`.
    Method(String, String),
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Module(ns) => {
                write!(f, "unknown module `{ns}`")?;
                did_you_mean(f, signatures::closest(ns, NAMESPACES.iter().copied()))?;
                write!(
                    f,
                    " (modules: {}; `kdg methods` lists every method)",
                    NAMESPACES.join(", ")
                )
            }
            LookupError::Method(ns, m) => {
                let known = methods(ns).unwrap_or(&[]);
                write!(f, "unknown method `{ns}.{m}`")?;
                let near = signatures::closest(m, known.iter().copied());
                did_you_mean(f, near.iter().map(|k| format!("{ns}.{k}")).collect())?;
                write!(f, " ({ns} has: {}; `kdg methods {ns}` shows them)", known.join(", "))
            }
        }
    }
}

/// `: did you mean `a` or `b`?` when there are close names.
fn did_you_mean<S: fmt::Display>(f: &mut fmt::Formatter<'_>, near: Vec<S>) -> fmt::Result {
    let near: Vec<String> = near.iter().map(|n| format!("`{n}`")).collect();
    if near.is_empty() {
        return Ok(());
    }
    write!(f, ": did you mean {}?", near.join(" or "))
}

/// Resolve `ns.method` to its builder.
///
/// # Errors
/// The namespace or the method does not exist.
pub fn lookup(ns: &str, method: &str) -> Result<Builder, LookupError> {
    let found = match ns {
        "address" => address::lookup(method),
        "commerce" => commerce::lookup(method),
        "company" => company::lookup(method),
        "date" => date::lookup(method),
        "finance" => finance::lookup(method),
        "hacker" => hacker::lookup(method),
        "helpers" => helpers::lookup(method),
        "image" => image::lookup(method),
        "internet" => internet::lookup(method),
        "lorem" => lorem::lookup(method),
        "name" => name::lookup(method),
        "phone" => phone::lookup(method),
        "random" => random::lookup(method),
        "system" => system::lookup(method),
        _ => return Err(LookupError::Module(ns.to_string())),
    };
    found.ok_or_else(|| LookupError::Method(ns.to_string(), method.to_string()))
}

/// Append an integer in decimal.
#[inline]
pub fn write_int(out: &mut Vec<u8>, v: i64) {
    let mut b = itoa::Buffer::new();
    out.extend_from_slice(b.format(v).as_bytes());
}

/// Append a number the way JavaScript's `String(x)` prints it (`2.9000000000000004`, `NaN`,
/// `1e+21`).
#[inline]
pub fn write_js_number(out: &mut Vec<u8>, v: f64) {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        write_int(out, v as i64);
        if v == 0.0 && v.is_sign_negative() {
            // String(-0) is "0": nothing more to do.
        }
    } else {
        let mut b = ryu_js::Buffer::new();
        out.extend_from_slice(b.format(v).as_bytes());
    }
}

/// Append `v.toFixed(digits)` as JavaScript prints it.
pub fn write_js_fixed(out: &mut Vec<u8>, v: f64, digits: u8) {
    let mut b = ryu_js::Buffer::new();
    out.extend_from_slice(b.format_to_fixed(v, digits).as_bytes());
}

/// Append a JSON value the way JavaScript's `String(value)` prints it: strings as they are,
/// numbers in JS form, arrays joined with `,`, objects as `[object Object]`.
pub fn write_js_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Number(n) => match n.as_i64() {
            Some(i) => write_int(out, i),
            None => write_js_number(out, n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => out.extend_from_slice(s.as_bytes()),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Array.prototype.join prints null and undefined as empty.
                if !item.is_null() {
                    write_js_value(out, item);
                }
            }
        }
        Value::Object(_) => out.extend_from_slice(b"[object Object]"),
    }
}

/// Replace `#` with a random digit and `?` with a random capital letter (faker's
/// `helpers.replaceSymbols`), appending the result.
pub fn write_symbols(ctx: &mut Ctx, pattern: &str, out: &mut Vec<u8>) {
    for b in pattern.bytes() {
        match b {
            b'#' => out.push(b'0' + ctx.int(0, 9) as u8),
            b'?' => out.push(b'A' + ctx.int(0, 25) as u8),
            _ => out.push(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_rng_depends_only_on_seed_and_number() {
        let mut a = Ctx::new(7, String::new(), 0);
        let mut b = Ctx::new(7, String::new(), 0);
        a.begin_record(41, 0);
        let x = a.int(0, 1_000_000);
        a.begin_record(42, 0);
        let y = a.int(0, 1_000_000);
        b.begin_record(42, 0);
        assert_eq!(b.int(0, 1_000_000), y);
        b.begin_record(41, 0);
        assert_eq!(b.int(0, 1_000_000), x);
    }

    #[test]
    fn js_numbers_print_like_javascript() {
        let cases: &[(f64, &str)] = &[
            (2.9000000000000004, "2.9000000000000004"),
            (3.0, "3"),
            (-0.0, "0"),
            (f64::NAN, "NaN"),
            (1e21, "1e+21"),
            (4110645408369789.5, "4110645408369789.5"),
            (0.1, "0.1"),
        ];
        for (v, want) in cases {
            let mut out = Vec::new();
            write_js_number(&mut out, *v);
            assert_eq!(String::from_utf8(out).unwrap(), *want, "{v}");
        }
    }

    #[test]
    fn js_values_join_arrays_and_hide_objects() {
        let mut out = Vec::new();
        write_js_value(&mut out, &serde_json::json!(["a", 1, 2.5, null, {"k": 1}]));
        assert_eq!(out, b"a,1,2.5,,[object Object]");
    }

    /// Methods that cannot be called without an argument (KDG throws there too).
    const NEED_AN_ARGUMENT: &[&str] = &["address.nearbyGPSCoordinate", "date.between"];
    /// Methods that transform their argument, and so print nothing without one.
    const EMPTY_WITHOUT_AN_ARGUMENT: &[&str] = &[
        "helpers.slugify",
        "helpers.replaceSymbolWithNumber",
        "helpers.replaceSymbols",
        "helpers.mustache",
    ];

    #[test]
    fn every_method_of_every_namespace_renders() {
        let mut empty = Vec::new();
        for ns in NAMESPACES {
            for m in methods(ns).expect("namespace") {
                let name = format!("{ns}.{m}");
                let builder = lookup(ns, m).unwrap_or_else(|e| panic!("{e}"));
                let mut cx = BuildCtx::new(Compat::Tolerant, jiff::tz::TimeZone::UTC);
                match builder(&Args::default(), &mut cx) {
                    Ok(g) => {
                        let mut ctx = Ctx::new(1, String::new(), cx.slots());
                        for n in 0..5 {
                            ctx.begin_record(n, 1_266_161_150_123);
                            let mut out = Vec::new();
                            g.emit(&mut ctx, &mut out);
                            if out.is_empty() {
                                empty.push(name.clone());
                                break;
                            }
                        }
                    }
                    Err(e) => assert!(NEED_AN_ARGUMENT.contains(&name.as_str()), "{name}: {e}"),
                }
            }
        }
        // Text helpers given no text give no text.
        assert_eq!(empty, EMPTY_WITHOUT_AN_ARGUMENT);
    }

    #[test]
    fn methods_added_after_faker_3_1_0_are_absent() {
        for (ns, m) in [
            ("address", "direction"),
            ("commerce", "productDescription"),
            ("company", "name"),
            ("finance", "iban"),
            ("image", "dataUri"),
            ("internet", "ipv6"),
            ("lorem", "slug"),
            ("name", "middleName"),
            ("phone", "cellPhone"),
            ("random", "alpha"),
        ] {
            assert!(matches!(lookup(ns, m), Err(LookupError::Method(..))), "{ns}.{m}");
        }
    }

    #[test]
    fn lookup_names_the_module_or_method_that_is_missing() {
        assert!(matches!(lookup("nope", "x"), Err(LookupError::Module(_))));
        assert!(matches!(lookup("random", "nope"), Err(LookupError::Method(..))));
        assert!(lookup("random", "number").is_ok());
    }
}
