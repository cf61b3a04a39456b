//! The `phone` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: Method semantics, Namespaces).
//!
//! The `en` formats are North American numbers in four layouts (dashes, a parenthesised area
//! code, a leading `1-`, dots), without an extension or with one of 3 to 5 digits, in the order
//! `phoneNumberFormat(index)` reads them (index 0 is `###-###-####`, 3 is `###.###.####`). `#` is
//! any digit, as in faker. A format the template gives only has `#` replaced.

use std::sync::LazyLock;

use serde_json::Value;

use super::helpers::{params, text, Choices, Hole, Symbols};
use super::{boxed, ArgError, Args, BuildCtx, Builder, Gen};

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

/// The formats by index: each extension length (none twice, then 3, 4, 5 digits) in each layout.
static FORMATS: LazyLock<Vec<String>> = LazyLock::new(|| {
    const LAYOUTS: [&str; 4] = ["###-###-####", "(###) ###-####", "1-###-###-####", "###.###.####"];
    const EXTENSIONS: [&str; 5] = ["", "", " x###", " x####", " x#####"];
    EXTENSIONS
        .iter()
        .flat_map(|e| LAYOUTS.iter().map(move |l| format!("{l}{e}")))
        .collect()
});

fn digits(format: &str) -> Symbols {
    Symbols::new(format, |c| (c == '#').then_some(Hole::Digit))
}

/// One of several compiled formats, chosen per value.
struct AnyOf(Vec<Symbols>);

impl Gen for AnyOf {
    #[inline]
    fn emit(&self, ctx: &mut super::Ctx, out: &mut Vec<u8>) {
        let i = ctx.index(self.0.len());
        self.0[i].emit(ctx, out);
    }
}

fn phone_number(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [format] = params(args, ["format"], false)?;
    match text(&format, "format")? {
        // `replaceSymbolWithNumber(format)`: `#` is a digit, everything else is kept.
        Some(f) => boxed(digits(f)),
        None => boxed(AnyOf(FORMATS.iter().map(|f| digits(f)).collect())),
    }
}

/// `phoneNumberFormat(index=0)`: a number in the `index`th format.
fn phone_number_format(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [index] = params(args, ["phoneFormatsArrayIndex"], false)?;
    let i = match &index {
        None => 0,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|i| (i as usize) < FORMATS.len()) => {
            n.as_u64().unwrap_or(0) as usize
        }
        Some(v) => {
            return Err(ArgError::new(format!(
                "the format index must be a whole number from 0 to {}, got {v}",
                FORMATS.len() - 1
            )))
        }
    };
    boxed(digits(&FORMATS[i]))
}

/// `phoneFormats()`: a random format itself, with `#` placeholders (`###-###-#### x###`).
fn phone_formats(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    args.none()?;
    boxed(Choices(FORMATS.iter().map(|f| f.clone().into_bytes().into()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    /// Whether `v` matches `format`, with `#` any digit.
    fn matches(v: &str, format: &str) -> bool {
        v.len() == format.len()
            && v.bytes().zip(format.bytes()).all(|(c, f)| match f {
                b'#' => c.is_ascii_digit(),
                _ => c == f,
            })
    }

    #[test]
    fn phone_numbers_follow_a_format() {
        let mut layouts = std::collections::BTreeSet::new();
        for v in render("phoneNumber", Args::default(), 500) {
            let f = FORMATS.iter().find(|f| matches(&v, f)).unwrap_or_else(|| panic!("{v}"));
            layouts.insert(f.clone());
        }
        assert_eq!(layouts.len(), 16, "{layouts:?}");
        for v in render("phoneNumber", kdg(json!("+1 ###-^##")), 20) {
            assert!(
                v.starts_with("+1 ") && v[6..].starts_with("-^") && !v.contains('#'),
                "{v}"
            );
            assert!(v[3..6].bytes().all(|b| b.is_ascii_digit()));
        }
        assert!(render_with(phone_number_format, kdg(json!(99)), Compat::Tolerant, 1).is_err());
        for v in render("phoneFormats", Args::default(), 50) {
            assert!(FORMATS.contains(&v), "{v}");
        }
    }

    #[test]
    fn format_indexes_are_fakers() {
        // faker 3.1.0's `en` list: index 0 is dashes, 3 dots, 8 the first with an extension.
        for (i, want) in [
            (0, "###-###-####"),
            (1, "(###) ###-####"),
            (3, "###.###.####"),
            (8, "###-###-#### x###"),
        ] {
            for v in render("phoneNumberFormat", kdg(json!(i)), 20) {
                assert!(matches(&v, want), "{i}: {v}");
            }
        }
        assert_eq!(FORMATS.len(), 20);
        assert!(matches(
            &render("phoneNumberFormat", Args::default(), 1)[0],
            "###-###-####"
        ));
    }
}
