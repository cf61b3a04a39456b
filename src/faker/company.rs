//! The `company` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use fake::locales::{Data, EN};

use super::helpers::{fixed, params};
use super::name::write_last;
use super::{boxed, ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `company`.
pub const METHODS: &[&str] = &[
    "suffixes",
    "companyName",
    "companySuffix",
    "catchPhrase",
    "bs",
    "catchPhraseAdjective",
    "catchPhraseDescriptor",
    "catchPhraseNoun",
    "bsAdjective",
    "bsBuzz",
    "bsNoun",
];

/// The builder for `company.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "suffixes" => suffixes,
        "companyName" => company_name,
        "companySuffix" => crate::pick_from!(EN::COMPANY_SUFFIX),
        "catchPhrase" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            write3(
                ctx,
                out,
                EN::COMPANY_BUZZWORD_HEAD,
                EN::COMPANY_BUZZWORD_MIDDLE,
                EN::COMPANY_BUZZWORD_TAIL,
            )
        }),
        "bs" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            // faker 3.1.0: adjective, verb, noun ("clicks-and-mortar deliver functionalities").
            write3(ctx, out, EN::COMPANY_BS_ADJ, EN::COMPANY_BS_VERBS, EN::COMPANY_BS_NOUNS)
        }),
        "catchPhraseAdjective" => crate::pick_from!(EN::COMPANY_BUZZWORD_HEAD),
        "catchPhraseDescriptor" => crate::pick_from!(EN::COMPANY_BUZZWORD_MIDDLE),
        "catchPhraseNoun" => crate::pick_from!(EN::COMPANY_BUZZWORD_TAIL),
        "bsAdjective" => crate::pick_from!(EN::COMPANY_BS_ADJ),
        "bsBuzz" => crate::pick_from!(EN::COMPANY_BS_VERBS),
        "bsNoun" => crate::pick_from!(EN::COMPANY_BS_NOUNS),
        _ => return None,
    })
}

/// One word from each list, separated by spaces.
#[inline]
fn write3(ctx: &mut Ctx, out: &mut Vec<u8>, a: &[&str], b: &[&str], c: &[&str]) {
    out.extend_from_slice(ctx.pick(a).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(b).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(c).as_bytes());
}

/// `suffixes()`: the whole list, which a template prints joined with `,`.
fn suffixes(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    args.none()?;
    fixed(EN::COMPANY_SUFFIX.join(","))
}

/// `companyName(format)`: one of faker's three shapes, chosen per record unless `format` fixes
/// it: "Smith Inc", "Smith - Jones", "Smith, Jones and Brown".
struct CompanyName(Option<u8>);

impl Gen for CompanyName {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let format = match self.0 {
            Some(f) => f,
            None => ctx.int(0, 2) as u8,
        };
        write_last(ctx, out);
        match format {
            0 => {
                out.push(b' ');
                out.extend_from_slice(ctx.pick(EN::COMPANY_SUFFIX).as_bytes());
            }
            1 => {
                out.extend_from_slice(b" - ");
                write_last(ctx, out);
            }
            _ => {
                out.extend_from_slice(b", ");
                write_last(ctx, out);
                out.extend_from_slice(b" and ");
                write_last(ctx, out);
            }
        }
    }
}

fn company_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [format] = params(args, ["format"], false)?;
    let format = match &format {
        None => None,
        Some(v) => match v.as_u64() {
            Some(f @ 0..=2) => Some(f as u8),
            _ => {
                return Err(ArgError::new(format!(
                    "`format` must be 0 (\"Smith Inc\"), 1 (\"Smith - Jones\") or 2 (\"Smith, Jones and \
                     Brown\"), got {v}"
                )))
            }
        },
    };
    boxed(CompanyName(format))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn suffixes_are_joined_with_commas() {
        assert_eq!(render("suffixes", Args::default(), 1), ["Inc,and Sons,LLC,Group"]);
        assert_eq!(render("suffixes", kdg(json!(1)), 1), ["Inc,and Sons,LLC,Group"]);
    }

    #[test]
    fn company_names_follow_the_three_shapes() {
        for v in render("companyName", kdg(json!(0)), 20) {
            assert!(EN::COMPANY_SUFFIX.iter().any(|s| v.ends_with(s)), "{v}");
        }
        for v in render("companyName", kdg(json!(1)), 20) {
            assert!(v.contains(" - "), "{v}");
        }
        for v in render("companyName", kdg(json!(2)), 20) {
            assert!(v.contains(", ") && v.contains(" and "), "{v}");
        }
        assert!(render_with(company_name, kdg(json!(3)), Compat::Tolerant, 1).is_err());
        assert!(render("companyName", Args::default(), 50)
            .iter()
            .any(|v| v.contains(" - ")));
    }

    #[test]
    fn phrases_have_three_parts() {
        for v in render("catchPhrase", Args::default(), 20) {
            assert!(EN::COMPANY_BUZZWORD_HEAD.iter().any(|h| v.starts_with(h)), "{v}");
            assert!(EN::COMPANY_BUZZWORD_TAIL.iter().any(|t| v.ends_with(t)), "{v}");
        }
        for v in render("bs", Args::default(), 20) {
            assert!(EN::COMPANY_BS_ADJ.iter().any(|h| v.starts_with(h)), "{v}");
            assert!(EN::COMPANY_BS_NOUNS.iter().any(|t| v.ends_with(t)), "{v}");
        }
    }
}
