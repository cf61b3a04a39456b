//! The `phone` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: Method semantics, Namespaces).
//!
//! The formats are the `fake` crate's US ones, where `#` is a digit and `^` a non-zero digit
//! (so area codes never start with 0). A format the template gives only has `#` replaced, as in
//! faker.

use fake::locales::{Data, EN};
use serde_json::Value;

use super::helpers::{params, text, write_number_pattern, Choices, Hole, Symbols};
use super::{boxed, ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `phone`.
pub const METHODS: &[&str] = &["phoneNumber", "phoneNumberFormat", "phoneFormats"];

/// The builder for `phone.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "phoneNumber" => phone_number,
        "phoneNumberFormat" => phone_number_format,
        "phoneFormats" => phone_formats,
        _ => return None,
    })
}

/// A phone number in a random `en` format.
fn write_phone_number(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let f = ctx.pick(EN::PHONE_NUMBER_FORMATS);
    write_number_pattern(ctx, out, f);
}

fn phone_number(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [format] = params(args, ["format"], false)?;
    match text(&format, "format")? {
        // `replaceSymbolWithNumber(format)`: `#` is a digit, everything else is kept.
        Some(f) => boxed(Symbols::new(f, |c| (c == '#').then_some(Hole::Digit))),
        None => boxed(write_phone_number),
    }
}

/// `phoneNumberFormat(index=0)`: a number in the `index`th format.
fn phone_number_format(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [index] = params(args, ["phoneFormatsArrayIndex"], false)?;
    let formats = EN::PHONE_NUMBER_FORMATS;
    let i = match &index {
        None => 0,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|i| (i as usize) < formats.len()) => {
            n.as_u64().unwrap_or(0) as usize
        }
        Some(v) => {
            return Err(ArgError::new(format!(
                "the format index must be a whole number from 0 to {}, got {v}",
                formats.len() - 1
            )))
        }
    };
    boxed(Symbols::digits_and_nonzero(formats[i]))
}

/// `phoneFormats()`: a random format itself, with `#` placeholders (`###-###-#### x###`).
fn phone_formats(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    args.none()?;
    boxed(Choices(
        EN::PHONE_NUMBER_FORMATS
            .iter()
            .map(|f| f.replace('^', "#").into_bytes().into())
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    fn render(method: &str, args: Args, n: u64) -> Vec<String> {
        render_with(lookup(method).expect("method"), args, Compat::Tolerant, n).expect("builds")
    }

    /// Whether `v` matches `format`, with `#` any digit and `^` a non-zero digit.
    fn matches(v: &str, format: &str) -> bool {
        v.len() == format.len()
            && v.bytes().zip(format.bytes()).all(|(c, f)| match f {
                b'#' => c.is_ascii_digit(),
                b'^' => (b'1'..=b'9').contains(&c),
                _ => c == f,
            })
    }

    #[test]
    fn phone_numbers_follow_a_format() {
        for v in render("phoneNumber", Args::default(), 500) {
            assert!(EN::PHONE_NUMBER_FORMATS.iter().any(|f| matches(&v, f)), "{v}");
            assert!(!v.contains('#') && !v.contains('^'));
        }
        for v in render("phoneNumber", kdg(json!("+1 ###-^##")), 20) {
            assert!(
                v.starts_with("+1 ") && v[6..].starts_with("-^") && !v.contains('#'),
                "{v}"
            );
            assert!(v[3..6].bytes().all(|b| b.is_ascii_digit()));
        }
        for v in render("phoneNumberFormat", kdg(json!(3)), 20) {
            assert!(matches(&v, EN::PHONE_NUMBER_FORMATS[3]), "{v}");
        }
        assert!(render_with(phone_number_format, kdg(json!(99)), Compat::Tolerant, 1).is_err());
        for v in render("phoneFormats", Args::default(), 50) {
            assert!(v.contains('#') && !v.contains('^'), "{v}");
        }
    }
}
