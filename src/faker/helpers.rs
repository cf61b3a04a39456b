//! The `helpers` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).
//!
//! Also home to the small argument readers and generator shapes the other namespace modules of
//! this directory share (`params`, `Fixed`, `Choices`, `Symbols`).

use serde_json::Value;

use super::{boxed, write_js_value, ArgError, Args, BuildCtx, Builder, Compat, Ctx, Gen};

/// The methods of `helpers`.
pub const METHODS: &[&str] = &[
    "randomize",
    "slugify",
    "replaceSymbolWithNumber",
    "replaceSymbols",
    "shuffle",
    "mustache",
    "createCard",
    "contextualCard",
    "userCard",
    "createTransaction",
];

/// The builder for `helpers.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "randomize" => randomize,
        "slugify" => slugify,
        "replaceSymbolWithNumber" => replace_symbol_with_number,
        "replaceSymbols" => replace_symbols,
        "shuffle" => shuffle,
        "mustache" => mustache,
        // These return objects, which a template prints as `[object Object]` (`docs/templates.md#values-as-text`).
        "createCard" | "contextualCard" | "userCard" | "createTransaction" => {
            crate::no_args!(|_: &mut Ctx, out: &mut Vec<u8>| out.extend_from_slice(b"[object Object]"))
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Shared by the namespace modules.

/// Read a faker.js parameter list `names`: positional arguments in order, `key=value` arguments
/// by name, or (when `object` is set) one JSON object holding the names, which is how a KDG
/// template passes several options. JSON `null` counts as absent.
///
/// # Errors
/// Too many positional arguments, or an unknown name.
pub(crate) fn params<const N: usize>(
    args: &Args,
    names: [&str; N],
    object: bool,
) -> Result<[Option<Value>; N], ArgError> {
    let mut out: [Option<Value>; N] = std::array::from_fn(|_| None);
    let known = || {
        if N == 0 {
            "takes no arguments".to_string()
        } else {
            format!("accepts {}", names.join(", "))
        }
    };
    let set = |k: &str, v: &Value, out: &mut [Option<Value>; N]| match names.iter().position(|n| *n == k) {
        Some(i) => {
            out[i] = (!v.is_null()).then(|| v.clone());
            Ok(())
        }
        None => Err(ArgError::new(format!("unknown option `{k}` ({})", known()))),
    };
    if let (true, true, [Value::Object(o)]) = (object && N > 0, args.named.is_empty(), args.positional.as_slice()) {
        // faker reads the keys it knows and ignores the others.
        for (k, v) in o {
            if names.contains(&k.as_str()) {
                set(k, v, &mut out)?;
            }
        }
        return Ok(out);
    }
    // Like any JavaScript function, faker's methods ignore extra arguments
    // (`docs/templates.md#case-22`).
    for (i, v) in args.positional.iter().take(N).enumerate() {
        out[i] = (!v.is_null()).then(|| v.clone());
    }
    for (k, v) in &args.named {
        set(k, v, &mut out)?;
    }
    Ok(out)
}

/// A numeric parameter.
pub(crate) fn num(v: &Option<Value>, name: &str) -> Result<Option<f64>, ArgError> {
    match v {
        None => Ok(None),
        Some(v) => v
            .as_f64()
            .map(Some)
            .ok_or_else(|| ArgError::new(format!("`{name}` must be a number, got {v}"))),
    }
}

/// A count parameter: a whole number in `0..=max`.
pub(crate) fn count(v: &Option<Value>, name: &str, max: u64) -> Result<Option<u64>, ArgError> {
    match v {
        None => Ok(None),
        Some(v) => match v.as_u64() {
            Some(n) if n <= max => Ok(Some(n)),
            _ => Err(ArgError::new(format!(
                "`{name}` must be a whole number from 0 to {max}, got {v}"
            ))),
        },
    }
}

/// A string parameter.
pub(crate) fn text<'a>(v: &'a Option<Value>, name: &str) -> Result<Option<&'a str>, ArgError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(ArgError::new(format!("`{name}` must be a string, got {v}"))),
    }
}

/// A yes/no parameter: `true`/`false`, or a number (JavaScript truthiness: 0 is false).
pub(crate) fn flag(v: &Option<Value>, name: &str) -> Result<Option<bool>, ArgError> {
    match v {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) => Ok(Some(n.as_f64().is_some_and(|f| f != 0.0))),
        Some(v) => Err(ArgError::new(format!("`{name}` must be true or false, got {v}"))),
    }
}

/// A generator that always writes the same text, decided at build time.
pub(crate) struct Fixed(pub Box<[u8]>);

impl Gen for Fixed {
    #[inline]
    fn emit(&self, _: &mut Ctx, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.0);
    }
}

/// Build a [`Fixed`] generator.
pub(crate) fn fixed(text: impl Into<Vec<u8>>) -> Result<Box<dyn Gen>, ArgError> {
    boxed(Fixed(text.into().into_boxed_slice()))
}

/// A generator that picks one of several texts rendered at build time.
pub(crate) struct Choices(pub Vec<Box<[u8]>>);

impl Gen for Choices {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let i = ctx.index(self.0.len());
        out.extend_from_slice(&self.0[i]);
    }
}

/// Append `n` random decimal digits.
#[inline]
pub(crate) fn write_digits(ctx: &mut Ctx, out: &mut Vec<u8>, n: usize) {
    for _ in 0..n {
        out.push(b'0' + ctx.int(0, 9) as u8);
    }
}

/// Append two lowercase hex digits.
#[inline]
pub(crate) fn write_hex2(out: &mut Vec<u8>, v: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(HEX[(v >> 4) as usize]);
    out.push(HEX[(v & 15) as usize]);
}

/// Keep only the bytes of `out[start..]` for which `keep` holds (in place, no allocation).
#[inline]
pub(crate) fn retain_from(out: &mut Vec<u8>, start: usize, keep: impl Fn(u8) -> bool) {
    let mut w = start;
    for r in start..out.len() {
        let b = out[r];
        if keep(b) {
            out[w] = b;
            w += 1;
        }
    }
    out.truncate(w);
}

/// What a placeholder of a [`Symbols`] pattern becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hole {
    /// A digit `0..=9`.
    Digit,
    /// A capital letter `A..=Z`.
    Letter,
}

/// A pattern whose placeholders are replaced by random characters, compiled at build time.
pub(crate) struct Symbols {
    text: Box<[u8]>,
    holes: Box<[(usize, Hole)]>,
}

impl Symbols {
    /// Compile `pattern`, turning each character `hole` maps to a placeholder.
    pub(crate) fn new(pattern: &str, hole: impl Fn(char) -> Option<Hole>) -> Symbols {
        let mut text = Vec::with_capacity(pattern.len());
        let mut holes = Vec::new();
        for c in pattern.chars() {
            match hole(c) {
                Some(h) => holes.push((text.len(), h)),
                None => {
                    let mut b = [0; 4];
                    text.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                }
            }
        }
        Symbols {
            text: text.into(),
            holes: holes.into(),
        }
    }

    /// faker's `replaceSymbols`: `#` is a digit, `?` a capital letter.
    pub(crate) fn digits_and_letters(pattern: &str) -> Symbols {
        Symbols::new(pattern, |c| match c {
            '#' => Some(Hole::Digit),
            '?' => Some(Hole::Letter),
            _ => None,
        })
    }
}

impl Gen for Symbols {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let mut last = 0;
        for &(at, hole) in self.holes.iter() {
            out.extend_from_slice(&self.text[last..at]);
            out.push(match hole {
                Hole::Digit => b'0' + ctx.int(0, 9) as u8,
                Hole::Letter => b'A' + ctx.int(0, 25) as u8,
            });
            last = at;
        }
        out.extend_from_slice(&self.text[last..]);
    }
}

/// A value as an element of `Array.prototype.join`: `null` is empty, everything else as
/// `String(x)`.
fn render_item(v: &Value) -> Box<[u8]> {
    let mut b = Vec::new();
    if !v.is_null() {
        write_js_value(&mut b, v);
    }
    b.into()
}

/// The list `randomize` and `shuffle` work on.
enum ListArg {
    /// A JSON array (or faker's default `["a","b","c"]`), items rendered as text.
    Items(Vec<Box<[u8]>>),
    /// A string, which faker treats character by character (strict mode only;
    /// `docs/templates.md#case-8`).
    Text(String),
}

fn list_arg(args: &Args, cx: &BuildCtx, usage: &str) -> Result<ListArg, ArgError> {
    let [array] = params(args, ["array"], false)?;
    Ok(match array {
        None => ListArg::Items(["a", "b", "c"].iter().map(|s| s.as_bytes().into()).collect()),
        Some(Value::Array(items)) => ListArg::Items(items.iter().map(render_item).collect()),
        Some(Value::String(s)) if cx.compat == Compat::Strict => ListArg::Text(s),
        Some(v) => {
            return Err(ArgError::new(format!(
                "expects a JSON array such as {usage}, got {v} (KDG would work on the characters of a \
                 string; --compat strict does the same)"
            )));
        }
    })
}

// ---------------------------------------------------------------------------------------------
// The namespace.

fn randomize(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let items = match list_arg(args, cx, "[\"a\",\"b\"]")? {
        ListArg::Items(items) => items,
        ListArg::Text(s) => s
            .chars()
            .map(|c| c.to_string().into_bytes().into_boxed_slice())
            .collect(),
    };
    if items.is_empty() {
        return fixed("undefined");
    }
    boxed(Choices(items))
}

/// `shuffle`, compiled: the items, written in a random order joined with `,`.
struct Shuffle(Vec<Box<[u8]>>);

impl Gen for Shuffle {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let n = self.0.len();
        let mut small = [0u32; 64];
        let mut big = Vec::new();
        let order: &mut [u32] = if n <= small.len() {
            &mut small[..n]
        } else {
            big.extend(0..n as u32);
            &mut big
        };
        for (i, o) in order.iter_mut().enumerate() {
            *o = i as u32;
        }
        for i in (1..n).rev() {
            let j = ctx.index(i + 1);
            order.swap(i, j);
        }
        for (k, &i) in order.iter().enumerate() {
            if k > 0 {
                out.push(b',');
            }
            out.extend_from_slice(&self.0[i as usize]);
        }
    }
}

fn shuffle(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    match list_arg(args, cx, "[\"a\",\"b\",\"c\"]")? {
        ListArg::Items(items) => boxed(Shuffle(items)),
        // A string cannot be shuffled in place, so faker returns it unchanged.
        ListArg::Text(s) => fixed(s),
    }
}

/// faker's `slugify`: spaces become `-`, then everything but `[A-Za-z0-9_.-]` is dropped.
pub(crate) fn slug(s: &str) -> String {
    s.chars()
        .map(|c| if c == ' ' { '-' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect()
}

/// A string parameter as faker reads it, where numbers are accepted as their text.
fn string_like(v: &Option<Value>, name: &str) -> Result<Option<String>, ArgError> {
    match v {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => {
            let mut b = Vec::new();
            write_js_value(&mut b, &Value::Number(n.clone()));
            Ok(Some(String::from_utf8(b).unwrap_or_default()))
        }
        Some(v) => Err(ArgError::new(format!("`{name}` must be a string, got {v}"))),
    }
}

fn slugify(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [s] = params(args, ["string"], false)?;
    fixed(slug(&string_like(&s, "string")?.unwrap_or_default()))
}

fn replace_symbol_with_number(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [s, symbol] = params(args, ["string", "symbol"], false)?;
    let s = string_like(&s, "string")?.unwrap_or_default();
    let symbol = text(&symbol, "symbol")?.unwrap_or("#");
    let mut chars = symbol.chars();
    let (Some(sym), None) = (chars.next(), chars.next()) else {
        return Err(ArgError::new(format!(
            "`symbol` must be a single character, got {symbol:?}"
        )));
    };
    boxed(Symbols::new(&s, |c| (c == sym).then_some(Hole::Digit)))
}

fn replace_symbols(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [s] = params(args, ["string"], false)?;
    boxed(Symbols::digits_and_letters(
        &string_like(&s, "string")?.unwrap_or_default(),
    ))
}

fn mustache(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [s, data] = params(args, ["str", "data"], false)?;
    let Some(mut s) = string_like(&s, "str")? else {
        return fixed("");
    };
    match data {
        None => {}
        Some(Value::Object(map)) => {
            for (k, v) in &map {
                let mut b = Vec::new();
                write_js_value(&mut b, v);
                s = s.replace(&format!("{{{{{k}}}}}"), &String::from_utf8_lossy(&b));
            }
        }
        Some(v) => return Err(ArgError::new(format!("`data` must be a JSON object, got {v}"))),
    }
    fixed(s)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::faker::Builder;
    use serde_json::json;

    /// Render `n` records of the generator `build` makes from `args`, with seed 1.
    pub(crate) fn render_with(build: Builder, args: Args, compat: Compat, n: u64) -> Result<Vec<String>, ArgError> {
        let mut cx = BuildCtx::new(compat, jiff::tz::TimeZone::UTC);
        let g = build(&args, &mut cx)?;
        let mut ctx = Ctx::new(1, String::new(), cx.slots());
        Ok((0..n)
            .map(|i| {
                ctx.begin_record(i, 0);
                let mut out = Vec::new();
                g.emit(&mut ctx, &mut out);
                String::from_utf8(out).expect("utf-8")
            })
            .collect())
    }

    /// In a namespace module's tests, over its `lookup`: `render(method, args, n)`, the values
    /// of `n` records of a method in tolerant mode, and `build_err(method, args)`, the message of
    /// a build the method refuses.
    macro_rules! namespace_test_fns {
        () => {
            fn render(method: &str, args: $crate::faker::Args, n: u64) -> Vec<String> {
                $crate::faker::helpers::tests::render_with(
                    lookup(method).expect("method"),
                    args,
                    $crate::faker::Compat::Tolerant,
                    n,
                )
                .expect("builds")
            }

            // Not every namespace has a method that refuses arguments.
            #[allow(dead_code)]
            fn build_err(method: &str, args: $crate::faker::Args) -> String {
                match $crate::faker::helpers::tests::render_with(
                    lookup(method).expect("method"),
                    args,
                    $crate::faker::Compat::Tolerant,
                    1,
                ) {
                    Ok(v) => panic!("{method} accepted: {v:?}"),
                    Err(e) => e.0,
                }
            }
        };
    }
    pub(crate) use namespace_test_fns;

    /// KDG-syntax arguments: one JSON value.
    pub(crate) fn kdg(v: Value) -> Args {
        Args {
            positional: vec![v],
            ..Args::default()
        }
    }

    /// Handlebars-syntax arguments: positional values.
    pub(crate) fn pos(v: Vec<Value>) -> Args {
        Args {
            positional: v,
            ..Args::default()
        }
    }

    /// Handlebars-syntax arguments: `key=value` pairs.
    pub(crate) fn named(v: Value) -> Args {
        let Value::Object(named) = v else { panic!("object") };
        Args {
            named,
            ..Args::default()
        }
    }

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn randomize_picks_from_the_array() {
        for v in render("randomize", kdg(json!(["x", 2, {"a": 1}])), 200) {
            assert!(["x", "2", "[object Object]"].contains(&v.as_str()), "{v}");
        }
        for v in render("randomize", Args::default(), 50) {
            assert!(["a", "b", "c"].contains(&v.as_str()));
        }
        assert_eq!(render("randomize", kdg(json!([])), 1), ["undefined"]);
        assert!(build_err("randomize", kdg(json!("a,b"))).contains("JSON array"));
        let strict = render_with(randomize, kdg(json!("ab")), Compat::Strict, 50).unwrap();
        assert!(strict.iter().all(|v| v == "a" || v == "b"));
    }

    #[test]
    fn shuffle_is_a_permutation_joined_with_commas() {
        let outs = render("shuffle", kdg(json!(["a", "b", "c", "d", null])), 300);
        let mut seen = std::collections::HashSet::new();
        for v in &outs {
            let mut parts: Vec<&str> = v.split(',').collect();
            parts.sort();
            assert_eq!(parts, ["", "a", "b", "c", "d"], "{v}");
            seen.insert(v.clone());
        }
        assert!(seen.len() > 30);
        let many: Vec<Value> = (0..100).map(|i| json!(i)).collect();
        let v = &render("shuffle", kdg(Value::Array(many)), 1)[0];
        let mut nums: Vec<u32> = v.split(',').map(|s| s.parse().unwrap()).collect();
        nums.sort();
        assert_eq!(nums, (0..100).collect::<Vec<_>>());
        assert_eq!(
            render_with(shuffle, kdg(json!("abc")), Compat::Strict, 1).unwrap(),
            ["abc"]
        );
    }

    #[test]
    fn slugify_drops_what_is_not_a_word_character() {
        assert_eq!(
            render("slugify", kdg(json!("Hello, World! ça.va_ok-1")), 1),
            ["Hello-World-a.va_ok-1"]
        );
        assert_eq!(render("slugify", Args::default(), 1), [""]);
    }

    #[test]
    fn symbols_are_replaced() {
        for v in render("replaceSymbolWithNumber", kdg(json!("ID-####?")), 20) {
            assert_eq!(v.len(), 8);
            assert!(v.starts_with("ID-") && v.ends_with('?'));
            assert!(v[3..7].bytes().all(|b| b.is_ascii_digit()));
        }
        for v in render("replaceSymbolWithNumber", pos(vec![json!("é**x"), json!("*")]), 20) {
            assert!(v.starts_with('é') && v.ends_with('x'));
            assert!(v['é'.len_utf8()..v.len() - 1].bytes().all(|b| b.is_ascii_digit()));
        }
        assert!(build_err("replaceSymbolWithNumber", pos(vec![json!("#"), json!("ab")])).contains("single"));
        for v in render("replaceSymbols", kdg(json!("#?-#")), 20) {
            let b = v.as_bytes();
            assert!(b[0].is_ascii_digit() && b[1].is_ascii_uppercase() && b[2] == b'-' && b[3].is_ascii_digit());
        }
    }

    #[test]
    fn mustache_fills_in_the_data() {
        let args = pos(vec![
            json!("Hi {{name}}, {{n}} and {{name}}"),
            json!({"name": "Ann", "n": 2}),
        ]);
        assert_eq!(render("mustache", args, 1), ["Hi Ann, 2 and Ann"]);
        assert_eq!(render("mustache", kdg(json!("plain {{x}}")), 1), ["plain {{x}}"]);
        assert!(build_err("mustache", pos(vec![json!("x"), json!([1])])).contains("object"));
    }

    #[test]
    fn cards_are_objects() {
        for m in ["createCard", "contextualCard", "userCard", "createTransaction"] {
            assert_eq!(render(m, Args::default(), 1), ["[object Object]"]);
            assert_eq!(render(m, kdg(json!(1)), 1), ["[object Object]"]);
        }
    }

    #[test]
    fn params_reads_positional_named_and_object_forms() {
        let names = ["min", "max"];
        assert_eq!(
            params(&pos(vec![json!(1), json!(2)]), names, true).unwrap(),
            [Some(json!(1)), Some(json!(2))]
        );
        assert_eq!(
            params(&named(json!({"max": 3})), names, true).unwrap(),
            [None, Some(json!(3))]
        );
        assert_eq!(
            params(&kdg(json!({"min": 4})), names, true).unwrap(),
            [Some(json!(4)), None]
        );
        // Unknown keys and extra arguments are ignored, as faker ignores them.
        assert_eq!(params(&kdg(json!({"nope": 4})), names, true).unwrap(), [None, None]);
        assert_eq!(
            params(&pos(vec![json!(1), json!(2), json!(3)]), names, true).unwrap(),
            [Some(json!(1)), Some(json!(2))]
        );
        assert!(params(&kdg(json!(null)), names, true)
            .unwrap()
            .iter()
            .all(Option::is_none));
        assert!(params(&kdg(json!(1)), [], false).is_ok());
    }
}
