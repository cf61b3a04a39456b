//! The `finance` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use fake::locales::{Data, EN};
use serde_json::Value;

use super::data;
use super::helpers::{count, fixed, flag, params, text, write_digits};
use super::{boxed, write_int, write_js_fixed, ArgError, Args, BuildCtx, Builder, Compat, Ctx, Gen};

/// The symbol kdg writes where the `iso_currency` table has one that Latin-script text does not
/// use: an abbreviation in Arabic script (the dirhams, dinars and rials), or the franc sign `₣`,
/// which the francs themselves are not written with (`docs/templates.md#currency-symbols`).
const LATIN_SYMBOLS: &[(&str, &str)] = &[
    ("AED", "Dh"),
    ("BHD", "BD"),
    ("DZD", "DA"),
    ("IQD", "ID"),
    ("KWD", "KD"),
    ("LYD", "LD"),
    ("MAD", "DH"),
    ("TND", "DT"),
    ("OMR", "\u{fdfc}"),
    ("QAR", "\u{fdfc}"),
    ("SAR", "\u{fdfc}"),
    ("YER", "\u{fdfc}"),
    ("CHF", "CHF"),
    ("CDF", "FC"),
    ("DJF", "Fdj"),
    ("GNF", "FG"),
    ("KMF", "CF"),
    ("XPF", "F"),
];

/// The symbols of the ISO 4217 currencies that have one (the `iso_currency` crate's table, with
/// [`LATIN_SYMBOLS`] in place of its entries there), one entry per currency, so a symbol several
/// currencies share (`$`, `£`) is drawn as often as faker draws it: faker picks a currency with a
/// symbol, then prints its symbol.
static CURRENCY_SYMBOLS: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    use iso_currency::IntoEnumIterator as _;
    iso_currency::Currency::iter()
        .map(|c| match LATIN_SYMBOLS.iter().find(|(code, _)| *code == c.code()) {
            Some((_, latin)) => (*latin).to_string(),
            None => c.symbol().symbol,
        })
        .filter(|s| s != "\u{a4}" && !s.is_empty())
        .collect()
});

/// The methods of `finance`.
pub const METHODS: &[&str] = &[
    "account",
    "accountName",
    "mask",
    "amount",
    "transactionType",
    "currencyCode",
    "currencyName",
    "currencySymbol",
    "bitcoinAddress",
];

/// The builder for `finance.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "account" => account,
        "accountName" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(ctx.pick(data::FINANCE_ACCOUNT_TYPE).as_bytes());
            out.extend_from_slice(b" Account");
        }),
        "mask" => mask,
        "amount" => amount,
        "transactionType" => crate::pick_from!(data::FINANCE_TRANSACTION_TYPE),
        "currencyCode" => crate::pick_from!(EN::CURRENCY_CODE),
        "currencyName" => crate::pick_from!(EN::CURRENCY_NAME),
        "currencySymbol" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(ctx.pick(CURRENCY_SYMBOLS.as_slice()).as_bytes())
        }),
        "bitcoinAddress" => crate::no_args!(write_bitcoin_address),
        _ => return None,
    })
}

/// The longest account number or mask kdg writes.
const MAX_DIGITS: u64 = 1000;

/// `account(length)`: `length` random digits, 8 by default (`length || 8`).
struct Digits(usize);

impl Gen for Digits {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        write_digits(ctx, out, self.0);
    }
}

fn account(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [length] = params(args, ["length"], false)?;
    let n = count(&length, "length", MAX_DIGITS)?.filter(|n| *n > 0).unwrap_or(8);
    boxed(Digits(n as usize))
}

/// `mask(length, parens, ellipsis)`: digits, optionally as `(...1234)`.
struct Mask {
    digits: usize,
    parens: bool,
    ellipsis: bool,
}

impl Gen for Mask {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        if self.parens {
            out.push(b'(');
        }
        if self.ellipsis {
            out.extend_from_slice(b"...");
        }
        write_digits(ctx, out, self.digits);
        if self.parens {
            out.push(b')');
        }
    }
}

fn mask(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [length, parens, ellipsis] = params(args, ["length", "parens", "ellipsis"], true)?;
    let digits = count(&length, "length", MAX_DIGITS)?.filter(|n| *n > 0).unwrap_or(4) as usize;
    // faker 3.1.0 turns only an explicit `null` into `true`; a missing flag stays falsy, so
    // `finance.mask()` is plain digits.
    let explicit_null = |key: &str, i: usize| {
        args.named
            .get(key)
            .or_else(|| args.positional.get(i))
            .is_some_and(Value::is_null)
            || matches!(args.positional.as_slice(), [Value::Object(o)] if o.get(key).is_some_and(Value::is_null))
    };
    let parens = flag(&parens, "parens")?.unwrap_or_else(|| explicit_null("parens", 1));
    let ellipsis = flag(&ellipsis, "ellipsis")?.unwrap_or_else(|| explicit_null("ellipsis", 2));
    boxed(Mask {
        digits,
        parens,
        ellipsis,
    })
}

/// `bitcoinAddress()`: `1` or `3`, then 26 to 33 characters from `0-9A-Z`.
fn write_bitcoin_address(ctx: &mut Ctx, out: &mut Vec<u8>) {
    const CHARS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let len = ctx.int(27, 34);
    out.push(if ctx.int(0, 1) == 0 { b'1' } else { b'3' });
    for _ in 1..len {
        out.push(*ctx.pick(CHARS));
    }
}

/// How `finance.amount` and `commerce.price` draw their value: `random.number({min, max})`.
#[derive(Debug, Clone, Copy)]
enum Draw {
    /// Whole bounds, `min <= max`, `max >= 0`: a uniform integer in `min..=max`.
    Int(i64, i64),
    /// Anything else, with faker's arithmetic: `floor(u * (max' - min) + min)`, where `max'` is
    /// `max + 1` when `max >= 0`.
    Float(f64, f64),
}

/// `finance.amount` / `commerce.price`, compiled.
pub(crate) struct Amount {
    symbol: Box<str>,
    dec: u8,
    draw: Draw,
}

impl Gen for Amount {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        out.extend_from_slice(self.symbol.as_bytes());
        match self.draw {
            Draw::Int(lo, hi) => {
                // An integer's `toFixed(dec)` is the integer and `dec` zeros.
                write_int(out, ctx.int(lo, hi));
                if self.dec > 0 {
                    out.push(b'.');
                    out.resize(out.len() + self.dec as usize, b'0');
                }
            }
            Draw::Float(min, max) => {
                let hi = if max >= 0.0 { max + 1.0 } else { max };
                let v = (ctx.unit() * (hi - min) + min).floor();
                write_js_fixed(out, v, self.dec);
            }
        }
    }
}

/// The builder `finance.amount` and `commerce.price` share: `(min=0, max=1000, dec=2,
/// symbol='')`, given in order, by name, or as one JSON object. `commerce` selects
/// `commerce.price`'s rule that a negative bound gives `symbol + "0"`.
pub(crate) fn build_amount(args: &Args, cx: &BuildCtx, commerce: bool) -> Result<Box<dyn Gen>, ArgError> {
    let [min, max, dec, symbol] = params(args, ["min", "max", "dec", "symbol"], true)?;
    let strict = cx.compat == Compat::Strict;
    // A number, or in strict mode what JavaScript makes of the value (`"5"` is 5, `"abc"` NaN).
    let number = |v: &Option<Value>, name: &str| -> Result<Option<f64>, ArgError> {
        match v {
            None => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(Value::String(s)) if strict && s.is_empty() => Ok(None),
            Some(Value::String(s)) if strict => Ok(Some(s.trim().parse().unwrap_or(f64::NAN))),
            Some(Value::Bool(b)) if strict => Ok(Some(f64::from(u8::from(*b)))),
            Some(_) if strict => Ok(Some(f64::NAN)),
            Some(v) => Err(ArgError::new(format!(
                "`{name}` must be a number, got {v}; write amount(100) for min 100, or \
                 {{\"min\":1,\"max\":50,\"dec\":2,\"symbol\":\"$\"}}"
            ))),
        }
    };
    let (min, max, dec) = (number(&min, "min")?, number(&max, "max")?, number(&dec, "dec")?);
    let symbol = match (&symbol, strict) {
        (Some(Value::String(s)), _) => s.clone(),
        (Some(v), true) => {
            let mut b = Vec::new();
            super::write_js_value(&mut b, v);
            String::from_utf8_lossy(&b).into_owned()
        }
        _ => text(&symbol, "symbol")?.unwrap_or_default().to_string(),
    };
    // faker writes `min = min || 0` and so on: in strict mode 0 means the default, in tolerant
    // mode an explicit 0 is honoured.
    let or = |v: Option<f64>, default: f64| match v {
        Some(x) if strict && x == 0.0 => default,
        Some(x) => x,
        None => default,
    };
    let (min, max) = (or(min, 0.0), or(max, 1000.0));
    let dec = match dec {
        Some(d) if strict && d == 0.0 => 2,
        None => 2,
        Some(d) if (0.0..=100.0).contains(&d) && d.fract() == 0.0 => d as u8,
        Some(d) if strict => {
            // toFixed throws a RangeError; kdg prints what it can.
            d.clamp(0.0, 100.0) as u8
        }
        Some(d) => {
            return Err(ArgError::new(format!(
                "`dec` must be a whole number from 0 to 100, got {d}"
            )))
        }
    };
    if min.is_nan() || max.is_nan() {
        return fixed(format!("{symbol}NaN"));
    }
    if commerce && (min < 0.0 || max < 0.0) {
        // commerce.price: `if (min < 0 || max < 0) return symbol + 0.00;`
        return fixed(format!("{symbol}0"));
    }
    if !strict && min > max {
        return Err(ArgError::new(format!("`min` ({min}) is greater than `max` ({max})")));
    }
    let whole = |v: f64| v.fract() == 0.0 && v.abs() < 9e15;
    let draw = if whole(min) && whole(max) && min <= max && max >= 0.0 {
        Draw::Int(min as i64, max as i64)
    } else {
        Draw::Float(min, max)
    };
    boxed(Amount {
        symbol: symbol.into(),
        dec,
        draw,
    })
}

fn amount(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    build_amount(args, cx, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, named, pos, render_with};
    use serde_json::json;
    use std::collections::HashSet;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn currency_symbols_are_latin_script_where_the_table_has_another() {
        use iso_currency::IntoEnumIterator as _;
        for (code, _) in LATIN_SYMBOLS {
            assert!(
                iso_currency::Currency::iter().any(|c| c.code() == *code),
                "{code} is not an ISO 4217 currency, so its entry is never used"
            );
        }
        let drawn: HashSet<String> = render("currencySymbol", Args::default(), 3000).into_iter().collect();
        for s in ["Dh", "KD", "\u{fdfc}", "CHF", "Fdj", "$", "\u{20ac}", "\u{20b9}"] {
            assert!(drawn.contains(s), "{s} never drawn: {drawn:?}");
        }
        let arabic = |c: char| c.is_alphabetic() && ('\u{600}'..='\u{6ff}').contains(&c);
        assert!(
            drawn.iter().all(|s| !s.contains('\u{20a3}') && !s.chars().any(arabic)),
            "{drawn:?}"
        );
    }

    #[test]
    fn amounts_are_integers_with_two_zero_decimals() {
        let vals: Vec<f64> = render("amount", Args::default(), 1000)
            .iter()
            .map(|v| {
                assert!(v.ends_with(".00"), "{v}");
                v.parse().unwrap()
            })
            .collect();
        assert!(vals.iter().all(|v| (0.0..=1000.0).contains(v)));
        assert!(vals.iter().any(|v| *v > 900.0) && vals.iter().any(|v| *v < 100.0));
        for v in render("amount", kdg(json!(990)), 1000) {
            let f: f64 = v.parse().unwrap();
            assert!((990.0..=1000.0).contains(&f) && v.ends_with(".00"), "{v}");
        }
        assert!(render("amount", kdg(json!(999)), 1000).iter().any(|v| v == "1000.00"));
        for v in render("amount", kdg(json!({"min": 5, "max": 7, "dec": 0, "symbol": "$"})), 100) {
            assert!(["$5", "$6", "$7"].contains(&v.as_str()), "{v}");
        }
        for v in render("amount", pos(vec![json!(1), json!(2), json!(3)]), 100) {
            assert!(v == "1.000" || v == "2.000", "{v}");
        }
        for v in render("amount", named(json!({"min": 1.5, "max": 2.5})), 100) {
            assert!(["1.00", "2.00", "3.00"].contains(&v.as_str()), "{v}");
        }
        assert!(build_err("amount", kdg(json!("abc"))).contains("number"));
        assert!(build_err("amount", kdg(json!(2000))).contains("greater"));
        assert!(build_err("amount", kdg(json!({"dec": 101}))).contains("dec"));
    }

    #[test]
    fn strict_amounts_follow_javascript() {
        let strict = |args| render_with(amount, args, Compat::Strict, 50).unwrap();
        assert!(strict(kdg(json!("100,200,2"))).iter().all(|v| v == "NaN"));
        assert!(strict(kdg(json!("5"))).iter().all(|v| v.ends_with(".00")));
        // min > max: faker still draws, from (max + 1, min].
        for v in strict(kdg(json!(2000))) {
            let f: f64 = v.parse().unwrap();
            assert!((1001.0..=2000.0).contains(&f), "{v}");
        }
        assert!(strict(kdg(json!({"dec": 0}))).iter().all(|v| v.ends_with(".00")));
    }

    #[test]
    fn accounts_and_masks_are_digits() {
        for v in render("account", Args::default(), 20) {
            assert!(v.len() == 8 && v.bytes().all(|b| b.is_ascii_digit()));
        }
        assert_eq!(render("account", kdg(json!(12)), 1)[0].len(), 12);
        assert_eq!(render("account", kdg(json!(0)), 1)[0].len(), 8);
        for v in render("mask", Args::default(), 20) {
            assert!(v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()), "{v}");
        }
        let v = &render("mask", pos(vec![json!(6), json!(true), json!(true)]), 1)[0];
        assert!(v.starts_with("(...") && v.ends_with(')') && v.len() == 11, "{v}");
        let v = &render("mask", pos(vec![json!(3), json!(null), json!(false)]), 1)[0];
        assert!(v.starts_with('(') && v.len() == 5, "{v}");
        assert!(build_err("account", kdg(json!(-1))).contains("length"));
    }

    #[test]
    fn names_and_currencies() {
        for v in render("accountName", Args::default(), 20) {
            assert!(v.ends_with(" Account"));
        }
        for v in render("transactionType", Args::default(), 20) {
            assert!(data::FINANCE_TRANSACTION_TYPE.contains(&v.as_str()));
        }
        for v in render("currencyCode", Args::default(), 20) {
            assert_eq!(v.len(), 3);
        }
    }

    #[test]
    fn bitcoin_addresses() {
        for v in render("bitcoinAddress", Args::default(), 200) {
            assert!((27..=34).contains(&v.len()), "{v}");
            assert!(v.starts_with('1') || v.starts_with('3'));
            assert!(v.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()));
        }
    }
}
