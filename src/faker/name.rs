//! The `name` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).
//!
//! faker's `en` locale has no gendered name lists, so the `gender` arguments are accepted and
//! ignored, as faker does.

use fake::locales::{Data, EN};
use serde_json::Value;

use super::helpers::{params, text};
use super::{boxed, ArgError, Args, BuildCtx, Builder, Ctx, Gen, Pick};

/// The methods of `name`.
pub const METHODS: &[&str] = &[
    "firstName",
    "lastName",
    "findName",
    "jobTitle",
    "prefix",
    "suffix",
    "title",
    "jobDescriptor",
    "jobArea",
    "jobType",
];

/// The builder for `name.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "firstName" => first_name,
        "lastName" => last_name,
        "findName" => find_name,
        "jobTitle" | "title" => crate::no_args!(write_job_title),
        "prefix" => prefix,
        "suffix" => crate::pick_from!(EN::NAME_SUFFIX),
        "jobDescriptor" => crate::pick_from!(EN::JOB_SENIORITY),
        "jobArea" => crate::pick_from!(EN::JOB_FIELD),
        "jobType" => crate::pick_from!(EN::JOB_POSITION),
        _ => return None,
    })
}

/// Append a random first name.
#[inline]
pub(crate) fn write_first(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(ctx.pick(EN::NAME_FIRST_NAME).as_bytes());
}

/// Append a random last name.
#[inline]
pub(crate) fn write_last(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(ctx.pick(EN::NAME_LAST_NAME).as_bytes());
}

/// Append `name`, or a random name from `list` when it is `None`.
#[inline]
pub(crate) fn write_given_or(ctx: &mut Ctx, out: &mut Vec<u8>, name: &Option<Box<str>>, list: &'static [&'static str]) {
    match name {
        Some(n) => out.extend_from_slice(n.as_bytes()),
        None => out.extend_from_slice(ctx.pick(list).as_bytes()),
    }
}

/// Check a `gender` argument, which the `en` locale ignores: a number (0 male, 1 female) or a
/// word.
fn gender(v: &Option<Value>) -> Result<(), ArgError> {
    match v {
        None | Some(Value::Number(_)) | Some(Value::String(_)) => Ok(()),
        Some(v) => Err(ArgError::new(format!("`gender` must be 0, 1 or a word, got {v}"))),
    }
}

fn first_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [g] = params(args, ["gender"], false)?;
    gender(&g)?;
    boxed(Pick(EN::NAME_FIRST_NAME))
}

fn last_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [g] = params(args, ["gender"], false)?;
    gender(&g)?;
    boxed(Pick(EN::NAME_LAST_NAME))
}

fn prefix(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [g] = params(args, ["gender"], false)?;
    gender(&g)?;
    boxed(Pick(EN::NAME_TITLE))
}

/// `findName`: "First Last"; one time in nine with a prefix ("Dr. First Last"), one in nine
/// with a suffix ("First Last III"), as faker 3.1.0 does.
struct FindName {
    first: Option<Box<str>>,
    last: Option<Box<str>>,
}

impl Gen for FindName {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let r = ctx.int(0, 8);
        if r == 0 {
            out.extend_from_slice(ctx.pick(EN::NAME_TITLE).as_bytes());
            out.push(b' ');
        }
        write_given_or(ctx, out, &self.first, EN::NAME_FIRST_NAME);
        out.push(b' ');
        write_given_or(ctx, out, &self.last, EN::NAME_LAST_NAME);
        if r == 1 {
            out.push(b' ');
            out.extend_from_slice(ctx.pick(EN::NAME_SUFFIX).as_bytes());
        }
    }
}

fn find_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [first, last, g] = params(args, ["firstName", "lastName", "gender"], true)?;
    gender(&g)?;
    // faker treats an empty name like a missing one (`firstName || faker.name.firstName()`).
    let given = |v: &Option<Value>, name| -> Result<Option<Box<str>>, ArgError> {
        Ok(text(v, name)?.filter(|s| !s.is_empty()).map(Into::into))
    };
    boxed(FindName {
        first: given(&first, "firstName")?,
        last: given(&last, "lastName")?,
    })
}

/// `jobTitle`: descriptor, area and type, e.g. "Senior Marketing Engineer".
fn write_job_title(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(ctx.pick(EN::JOB_SENIORITY).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(EN::JOB_FIELD).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(EN::JOB_POSITION).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, pos, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn names_come_from_the_lists() {
        for v in render("firstName", Args::default(), 50) {
            assert!(EN::NAME_FIRST_NAME.contains(&v.as_str()));
        }
        for v in render("lastName", kdg(json!(1)), 50) {
            assert!(EN::NAME_LAST_NAME.contains(&v.as_str()));
        }
        for v in render("prefix", Args::default(), 20) {
            assert!(EN::NAME_TITLE.contains(&v.as_str()));
        }
        for v in render("suffix", Args::default(), 20) {
            assert!(EN::NAME_SUFFIX.contains(&v.as_str()));
        }
        assert!(render_with(first_name, kdg(json!([1])), Compat::Tolerant, 1).is_err());
    }

    #[test]
    fn find_name_is_first_last_with_an_occasional_prefix_or_suffix() {
        let (mut plain, mut pre, mut suf) = (0, 0, 0);
        for v in render("findName", Args::default(), 2000) {
            let parts: Vec<&str> = v.split(' ').collect();
            if EN::NAME_TITLE.contains(&parts[0]) && parts.len() == 3 {
                pre += 1;
            } else if parts.len() == 3 && EN::NAME_SUFFIX.contains(&parts[2]) {
                suf += 1;
            } else {
                assert_eq!(parts.len(), 2, "{v}");
                assert!(EN::NAME_FIRST_NAME.contains(&parts[0]) && EN::NAME_LAST_NAME.contains(&parts[1]));
                plain += 1;
            }
        }
        assert!(plain > 1400 && pre > 120 && suf > 120, "{plain} {pre} {suf}");
        for v in render("findName", pos(vec![json!("Ann"), json!("Lee")]), 50) {
            assert!(v.contains("Ann Lee"), "{v}");
        }
        for v in render("findName", kdg(json!({"lastName": "Lee"})), 50) {
            assert!(v.contains(" Lee"), "{v}");
        }
    }

    #[test]
    fn job_title_has_three_parts() {
        for m in ["jobTitle", "title"] {
            for v in render(m, Args::default(), 50) {
                let first = v.split(' ').next().unwrap();
                let last = v.rsplit(' ').next().unwrap();
                assert!(
                    EN::JOB_SENIORITY.contains(&first) && EN::JOB_POSITION.contains(&last),
                    "{v}"
                );
                assert_eq!(v.split(' ').count(), 3);
            }
        }
        assert!(render_with(lookup("jobTitle").unwrap(), kdg(json!(1)), Compat::Tolerant, 1).is_ok());
    }
}
