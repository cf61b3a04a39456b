//! The `random` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: KDG additions,
//! Method semantics, Namespaces).
//!
//! `random.number` is the workhorse of every KDG template, so its common shape (whole-number
//! bounds, precision 1) compiles to a single bounded integer draw. The general shape follows
//! faker's float arithmetic exactly, artefacts included (`2.9000000000000004`).

use rand::RngExt as _;
use serde_json::Value;

use super::{boxed, write_int, write_js_number, write_js_value, ArgError, Args, BuildCtx, Builder, Compat, Ctx, Gen};

/// The methods of `random`.
pub const METHODS: &[&str] = &[
    "number",
    "arrayElement",
    "weightedArrayElement",
    "objectElement",
    "uuid",
    "boolean",
    "word",
    "words",
    "image",
    "locale",
    "alphaNumeric",
];

/// The builder for `random.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "number" => number,
        "arrayElement" => array_element,
        "weightedArrayElement" => weighted_array_element,
        "objectElement" => object_element,
        "uuid" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| write_uuid(ctx, out)),
        "boolean" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(if ctx.int(0, 1) == 1 { b"true" } else { b"false" })
        }),
        "word" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| write_word(ctx, out)),
        "words" => words,
        "image" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(b"http://lorempixel.com/640/480/");
            out.extend_from_slice(ctx.pick(super::data::IMAGE_CATEGORIES).as_bytes());
        }),
        "locale" => crate::pick_from!(super::data::LOCALES),
        "alphaNumeric" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.push(*ctx.pick(b"0123456789abcdefghijklmnopqrstuvwxyz"))
        }),
        _ => return None,
    })
}

/// `random.number`'s bounds after faker's defaults (`min = 0`, `max = 99999`, `precision = 1`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NumberSpec {
    /// Lower bound.
    pub min: f64,
    /// Upper bound, inclusive when it is not negative (faker adds `precision` to it).
    pub max: f64,
    /// Step between possible values.
    pub precision: f64,
}

impl NumberSpec {
    /// Read the bounds from a call's arguments: a number is `max`; an object (or named
    /// arguments) gives `min`, `max`, `precision`; two positional numbers are `min, max`.
    ///
    /// # Errors
    /// An argument of the wrong type, a non-positive precision.
    pub fn from_args(args: &Args) -> Result<NumberSpec, ArgError> {
        let mut spec = NumberSpec {
            min: 0.0,
            max: 99999.0,
            precision: 1.0,
        };
        let num = |v: &Value, what: &str| {
            v.as_f64().ok_or_else(|| {
                ArgError::new(format!(
                    "{what} must be a number, got {v}; write random.number(50) or \
                     random.number({{\"min\":1,\"max\":15}})"
                ))
            })
        };
        if !args.named.is_empty() {
            for (k, v) in &args.named {
                match k.as_str() {
                    "min" => spec.min = num(v, "min")?,
                    "max" => spec.max = num(v, "max")?,
                    "precision" => spec.precision = num(v, "precision")?,
                    _ => return Err(ArgError::new(format!("unknown option `{k}` (min, max, precision)"))),
                }
            }
        } else {
            match args.positional.as_slice() {
                [] | [Value::Null] => {}
                [Value::Object(o)] => {
                    for (k, v) in o {
                        match k.as_str() {
                            "min" => spec.min = num(v, "min")?,
                            "max" => spec.max = num(v, "max")?,
                            "precision" => spec.precision = num(v, "precision")?,
                            _ => {}
                        }
                    }
                }
                [v] => spec.max = num(v, "the argument")?,
                [a, b] => {
                    spec.min = num(a, "min")?;
                    spec.max = num(b, "max")?;
                }
                _ => return Err(ArgError::new("takes at most two numbers (min, max)")),
            }
        }
        if spec.precision.is_nan() || spec.precision <= 0.0 || !spec.precision.is_finite() {
            return Err(ArgError::new("precision must be a positive number"));
        }
        Ok(spec)
    }

    /// Draw one value exactly as faker 3.1.0 does, with `u` uniform in `[0, 1)`.
    pub fn draw_with(&self, u: f64) -> f64 {
        let mut max = self.max;
        if max >= 0.0 {
            max += self.precision;
        }
        let hi = max / self.precision;
        let lo = self.min / self.precision;
        self.precision * (u * (hi - lo) + lo).floor()
    }
}

/// `random.number`, compiled.
enum NumberGen {
    /// Whole bounds, precision 1, `min <= max`, `max >= 0`: a uniform integer in `min..=max`.
    Int(i64, i64),
    /// Anything else: faker's float arithmetic.
    Float(NumberSpec),
    /// KDG's `NaN` for an argument it cannot read (strict mode only).
    NaN,
}

impl Gen for NumberGen {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        match self {
            NumberGen::Int(lo, hi) => {
                let v = ctx.int(*lo, *hi);
                write_int(out, v)
            }
            NumberGen::Float(spec) => {
                let u = ctx.unit();
                write_js_number(out, spec.draw_with(u))
            }
            NumberGen::NaN => out.extend_from_slice(b"NaN"),
        }
    }
}

fn number(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let spec = match NumberSpec::from_args(args) {
        Ok(spec) => spec,
        Err(_) if cx.compat == Compat::Strict => return boxed(NumberGen::NaN),
        Err(e) => return Err(e),
    };
    let whole = |v: f64| v.fract() == 0.0 && v.abs() < 9e15;
    if spec.precision == 1.0 && whole(spec.min) && whole(spec.max) && spec.max >= 0.0 && spec.min <= spec.max {
        boxed(NumberGen::Int(spec.min as i64, spec.max as i64))
    } else {
        boxed(NumberGen::Float(spec))
    }
}

/// Pre-rendered choices for `arrayElement`.
struct Choice(Vec<Box<[u8]>>);

impl Gen for Choice {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let i = ctx.index(self.0.len());
        out.extend_from_slice(&self.0[i]);
    }
}

fn render_value(v: &Value) -> Box<[u8]> {
    let mut b = Vec::new();
    write_js_value(&mut b, v);
    b.into_boxed_slice()
}

fn array_element(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let items: Vec<Box<[u8]>> = match (args.positional.as_slice(), args.named.get("array")) {
        (_, Some(Value::Array(a))) | ([Value::Array(a)], None) => a.iter().map(render_value).collect(),
        ([], None) => ["a", "b", "c"].iter().map(|s| s.as_bytes().into()).collect(),
        // faker indexes a string by character; KDG users hit this with unquoted or
        // single-quoted lists (`docs/templates.md#case-8`).
        ([Value::String(s)], None) if cx.compat == Compat::Strict => s
            .chars()
            .map(|c| c.to_string().into_bytes().into_boxed_slice())
            .collect(),
        ([Value::String(s)], None) => {
            return Err(ArgError::new(format!(
                "expects a JSON array such as [\"a\",\"b\"], got the text {s:?} \
                 (KDG would pick one character of it; --compat strict does the same)"
            )))
        }
        (many, None) if many.len() > 1 => many.iter().map(render_value).collect(),
        (other, _) => {
            return Err(ArgError::new(format!(
                "expects a JSON array such as [\"a\",\"b\"], got {}",
                other.first().map(|v| v.to_string()).unwrap_or_default()
            )))
        }
    };
    if items.is_empty() {
        // faker returns `undefined` for an empty array.
        return boxed(|_: &mut Ctx, out: &mut Vec<u8>| out.extend_from_slice(b"undefined"));
    }
    boxed(Choice(items))
}

/// `weightedArrayElement`, compiled: cumulative weights and pre-rendered data.
struct Weighted {
    cumulative: Vec<f64>,
    total: f64,
    data: Vec<Box<[u8]>>,
    /// KDG's 2-decimal rounding of the running sum, which can miss and print `undefined`.
    kdg_rounding: bool,
}

impl Gen for Weighted {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let r = ctx.unit() * self.total;
        if self.kdg_rounding {
            for (i, c) in self.cumulative.iter().enumerate() {
                if r <= *c {
                    out.extend_from_slice(&self.data[i]);
                    return;
                }
            }
            out.extend_from_slice(b"undefined");
        } else {
            let i = self.cumulative.partition_point(|c| *c <= r).min(self.data.len() - 1);
            out.extend_from_slice(&self.data[i]);
        }
    }
}

fn weighted_array_element(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let usage = "expects {\"weights\":[0.9,0.1],\"data\":[\"OK\",\"FAIL\"]}";
    let opts = args
        .options()
        .unwrap_or_else(|| serde_json::json!({"weights":[0.5,0.5],"data":["dog","cat"]}));
    let (Some(Value::Array(weights)), Some(Value::Array(data))) = (opts.get("weights"), opts.get("data")) else {
        return Err(ArgError::new(usage));
    };
    let weights: Vec<f64> = weights
        .iter()
        .map(|w| w.as_f64().filter(|w| *w >= 0.0 && w.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| ArgError::new(format!("weights must be non-negative numbers; {usage}")))?;
    let data: Vec<Box<[u8]>> = data.iter().map(render_value).collect();
    if data.is_empty() {
        return Err(ArgError::new(format!("data is empty; {usage}")));
    }
    if cx.compat == Compat::Strict {
        // KDG: walk over data.length, rounding the running sum to 2 decimals; a missing weight
        // is NaN, which never matches (`docs/templates.md#kdg-additions`).
        let total: f64 = weights.iter().sum();
        let mut cum = 0.0;
        let cumulative = (0..data.len())
            .map(|i| {
                cum = match weights.get(i) {
                    Some(w) => ((cum + w) * 100.0).round() / 100.0,
                    None => f64::NAN,
                };
                cum
            })
            .collect();
        return boxed(Weighted {
            cumulative,
            total,
            data,
            kdg_rounding: true,
        });
    }
    if weights.len() != data.len() {
        return Err(ArgError::new(format!(
            "has {} weights for {} data items; give one weight per item",
            weights.len(),
            data.len()
        )));
    }
    let total: f64 = weights.iter().sum();
    if total <= 0.0 {
        return Err(ArgError::new("weights add up to zero"));
    }
    let mut cum = 0.0;
    let cumulative = weights
        .iter()
        .map(|w| {
            cum += w;
            cum
        })
        .collect();
    boxed(Weighted {
        cumulative,
        total,
        data,
        kdg_rounding: false,
    })
}

fn object_element(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let obj = match args.options() {
        None => serde_json::json!({"foo": "bar", "too": "car"}),
        Some(v @ Value::Object(_)) => v,
        Some(other) => return Err(ArgError::new(format!("expects a JSON object, got {other}"))),
    };
    let Value::Object(map) = obj else {
        unreachable!("checked above")
    };
    let want_key = args.string("field", 1)?.as_deref() == Some("key");
    let items: Vec<Box<[u8]>> = map
        .iter()
        .map(|(k, v)| if want_key { k.as_bytes().into() } else { render_value(v) })
        .collect();
    if items.is_empty() {
        return boxed(|_: &mut Ctx, out: &mut Vec<u8>| out.extend_from_slice(b"undefined"));
    }
    boxed(Choice(items))
}

fn words(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let count = match args.options() {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|n| *n <= 10_000)
                .ok_or_else(|| ArgError::new(format!("expects a word count, got {v}")))?,
        ),
    };
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| {
        let n = count.unwrap_or_else(|| ctx.int(1, 3) as u64);
        for i in 0..n {
            if i > 0 {
                out.push(b' ');
            }
            write_word(ctx, out);
        }
    })
}

/// The methods `random.word()` picks from, as faker 3.1.0 does: one of the word-producing
/// methods, uniformly, and that method's value (so some "words" are product names or counties,
/// with spaces, `'`, `&` or `(` in them).
static WORD_METHODS: std::sync::LazyLock<Vec<Box<dyn Gen>>> = std::sync::LazyLock::new(|| {
    const NAMES: [&str; 27] = [
        "commerce.department",
        "commerce.productName",
        "commerce.productAdjective",
        "commerce.productMaterial",
        "commerce.product",
        "commerce.color",
        "company.catchPhraseAdjective",
        "company.catchPhraseDescriptor",
        "company.catchPhraseNoun",
        "company.bsAdjective",
        "company.bsBuzz",
        "company.bsNoun",
        "address.streetSuffix",
        "address.county",
        "address.country",
        "address.state",
        "finance.accountName",
        "finance.transactionType",
        "finance.currencyName",
        "hacker.noun",
        "hacker.verb",
        "hacker.adjective",
        "hacker.ingverb",
        "hacker.abbreviation",
        "name.jobDescriptor",
        "name.jobArea",
        "name.jobType",
    ];
    let mut cx = BuildCtx::new(Compat::Tolerant, jiff::tz::TimeZone::UTC);
    NAMES
        .iter()
        .map(|name| {
            let (ns, m) = name.split_once('.').expect("ns.method");
            let build = super::lookup(ns, m).expect("a word method");
            build(&Args::default(), &mut cx).expect("builds without arguments")
        })
        .collect()
});

/// `random.word()`: the value of one of [`WORD_METHODS`].
fn write_word(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let i = ctx.index(WORD_METHODS.len());
    WORD_METHODS[i].emit(ctx, out);
}

/// A version-4-shaped UUID: `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`, `y` in `8..=b`.
pub fn write_uuid(ctx: &mut Ctx, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let a: u64 = ctx.rng.random();
    let b: u64 = ctx.rng.random();
    let bits = ((a as u128) << 64) | b as u128;
    let mut nibble = 0;
    for (i, group) in [8, 4, 4, 4, 12].iter().enumerate() {
        if i > 0 {
            out.push(b'-');
        }
        for j in 0..*group {
            let mut v = ((bits >> (nibble * 4)) & 0xf) as usize;
            if i == 2 && j == 0 {
                v = 4;
            } else if i == 3 && j == 0 {
                v = 8 | (v & 3);
            }
            out.push(HEX[v]);
            nibble += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn build(method: &str, args: Args, compat: Compat) -> Result<(Box<dyn Gen>, usize), ArgError> {
        let mut cx = BuildCtx::new(compat, jiff::tz::TimeZone::UTC);
        let g = lookup(method).expect("method exists")(&args, &mut cx)?;
        Ok((g, cx.slots()))
    }

    fn kdg(v: Value) -> Args {
        Args {
            positional: vec![v],
            ..Args::default()
        }
    }

    fn samples(method: &str, args: Args, compat: Compat, n: u64) -> Vec<String> {
        let (g, slots) = build(method, args, compat).expect("builds");
        let mut ctx = Ctx::new(3, String::new(), slots);
        (0..n)
            .map(|i| {
                ctx.begin_record(i, 0);
                let mut out = Vec::new();
                g.emit(&mut ctx, &mut out);
                String::from_utf8(out).expect("utf8")
            })
            .collect()
    }

    #[test]
    fn number_is_inclusive_of_both_bounds() {
        let vals: Vec<i64> = samples("number", kdg(json!({"min":1,"max":15})), Compat::Tolerant, 5000)
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(*vals.iter().min().unwrap(), 1);
        assert_eq!(*vals.iter().max().unwrap(), 15);
        let vals: Vec<i64> = samples("number", kdg(json!(50)), Compat::Tolerant, 5000)
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!((*vals.iter().min().unwrap(), *vals.iter().max().unwrap()), (0, 50));
    }

    #[test]
    fn number_follows_faker_for_odd_bounds() {
        let spec = |v| NumberSpec::from_args(&kdg(v)).unwrap();
        // A negative max is exclusive.
        let s = spec(json!(-3));
        assert_eq!(s.draw_with(0.0), 0.0);
        assert_eq!(s.draw_with(0.999), -3.0);
        // min > max is not checked.
        let s = spec(json!({"min":10,"max":5}));
        assert_eq!(s.draw_with(0.99), 6.0);
        // Precision gives float artefacts, printed the JS way.
        let s = spec(json!({"min":1,"max":3,"precision":0.1}));
        let v = s.draw_with(0.905);
        let mut out = Vec::new();
        write_js_number(&mut out, v);
        assert_eq!(String::from_utf8(out).unwrap(), "2.9000000000000004");
    }

    #[test]
    fn number_accepts_handlebars_and_comma_forms() {
        let named = Args {
            named: json!({"min": 5, "max": 6}).as_object().unwrap().clone(),
            ..Args::default()
        };
        for s in samples("number", named, Compat::Tolerant, 200) {
            assert!(s == "5" || s == "6", "{s}");
        }
        let two = Args {
            positional: vec![json!(1), json!(10)],
            ..Args::default()
        };
        for s in samples("number", two, Compat::Tolerant, 200) {
            let v: i64 = s.parse().unwrap();
            assert!((1..=10).contains(&v));
        }
    }

    #[test]
    fn number_rejects_text_unless_strict() {
        assert!(build("number", kdg(json!("1,10")), Compat::Tolerant).is_err());
        assert_eq!(samples("number", kdg(json!("1,10")), Compat::Strict, 1), vec!["NaN"]);
    }

    #[test]
    fn array_element_renders_numbers_bare_and_strings_raw() {
        let got = samples("arrayElement", kdg(json!([1, "a", "\"q\""])), Compat::Tolerant, 300);
        for want in ["1", "a", "\"q\""] {
            assert!(got.iter().any(|g| g == want), "{want} never drawn");
        }
    }

    #[test]
    fn array_element_of_text_is_an_error_unless_strict() {
        assert!(build("arrayElement", kdg(json!("OK,FAIL")), Compat::Tolerant).is_err());
        for s in samples("arrayElement", kdg(json!("OK")), Compat::Strict, 50) {
            assert!(s == "O" || s == "K");
        }
    }

    #[test]
    fn weighted_frequencies_follow_normalised_weights() {
        let args = kdg(json!({"weights":[3, 1],"data":["a","b"]}));
        let got = samples("weightedArrayElement", args, Compat::Tolerant, 20_000);
        let a = got.iter().filter(|s| *s == "a").count() as f64 / got.len() as f64;
        assert!((a - 0.75).abs() < 0.02, "share of a = {a}");
    }

    #[test]
    fn weighted_strict_mode_keeps_kdg_misses() {
        let args = kdg(json!({"weights":[0.004,0.004],"data":["a","b"]}));
        for s in samples("weightedArrayElement", args.clone(), Compat::Strict, 100) {
            assert_eq!(s, "undefined");
        }
        let tolerant = samples("weightedArrayElement", args, Compat::Tolerant, 100);
        assert!(tolerant.iter().all(|s| s == "a" || s == "b"));
    }

    #[test]
    fn weighted_rejects_mismatched_lengths() {
        let args = kdg(json!({"weights":[1],"data":["a","b"]}));
        assert!(build("weightedArrayElement", args, Compat::Tolerant).is_err());
    }

    #[test]
    fn uuid_has_version_4_shape() {
        for s in samples("uuid", Args::default(), Compat::Tolerant, 200) {
            let b = s.as_bytes();
            assert_eq!(s.len(), 36);
            assert_eq!((b[8], b[13], b[18], b[23]), (b'-', b'-', b'-', b'-'));
            assert_eq!(b[14], b'4');
            assert!(matches!(b[19], b'8' | b'9' | b'a' | b'b'));
        }
    }
}
