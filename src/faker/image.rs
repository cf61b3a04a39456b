//! The `image` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).
//!
//! The URLs point at lorempixel.com, as faker 3.1.0's do: `http://lorempixel.com/640/480/cats`.

use serde_json::Value;

use super::data::IMAGE_CATEGORIES;
use super::helpers::{flag, params, text};
use super::internet::write_avatar;
use super::{boxed, write_int, write_js_value, ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `image`.
pub const METHODS: &[&str] = &[
    "image",
    "avatar",
    "imageUrl",
    "abstract",
    "animals",
    "business",
    "cats",
    "city",
    "food",
    "nightlife",
    "fashion",
    "people",
    "nature",
    "sports",
    "technics",
    "transport",
];

/// The builder for `image.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "image" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(b"http://lorempixel.com/640/480/");
            out.extend_from_slice(ctx.pick(IMAGE_CATEGORIES).as_bytes());
        }),
        "avatar" => crate::no_args!(write_avatar),
        "imageUrl" => image_url,
        "abstract" => |a: &Args, _: &mut BuildCtx| category(a, "abstract"),
        "animals" => |a: &Args, _: &mut BuildCtx| category(a, "animals"),
        "business" => |a: &Args, _: &mut BuildCtx| category(a, "business"),
        "cats" => |a: &Args, _: &mut BuildCtx| category(a, "cats"),
        "city" => |a: &Args, _: &mut BuildCtx| category(a, "city"),
        "food" => |a: &Args, _: &mut BuildCtx| category(a, "food"),
        "nightlife" => |a: &Args, _: &mut BuildCtx| category(a, "nightlife"),
        "fashion" => |a: &Args, _: &mut BuildCtx| category(a, "fashion"),
        "people" => |a: &Args, _: &mut BuildCtx| category(a, "people"),
        "nature" => |a: &Args, _: &mut BuildCtx| category(a, "nature"),
        "sports" => |a: &Args, _: &mut BuildCtx| category(a, "sports"),
        "technics" => |a: &Args, _: &mut BuildCtx| category(a, "technics"),
        "transport" => |a: &Args, _: &mut BuildCtx| category(a, "transport"),
        _ => return None,
    })
}

/// An image URL: fixed at build time, with `?<random.number()>` appended when `randomize` is set.
struct Url {
    url: Box<[u8]>,
    randomize: bool,
}

impl Gen for Url {
    #[inline]
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.url);
        if self.randomize {
            out.push(b'?');
            write_int(out, ctx.int(0, 99999));
        }
    }
}

/// A width or height: a positive number, faker's default when absent or 0 (`width || 640`).
fn dimension(v: &Option<Value>, name: &str, default: u32, out: &mut Vec<u8>) -> Result<(), ArgError> {
    match v {
        None => write_int(out, default.into()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => write_int(out, default.into()),
        Some(v @ Value::Number(n)) if n.as_f64().is_some_and(|f| f > 0.0) => write_js_value(out, v),
        Some(v) => {
            return Err(ArgError::new(format!(
                "`{name}` must be a positive number of pixels, got {v}"
            )))
        }
    }
    Ok(())
}

fn build_url(
    width: &Option<Value>,
    height: &Option<Value>,
    category: Option<&str>,
    randomize: &Option<Value>,
) -> Result<Box<dyn Gen>, ArgError> {
    let mut url = b"http://lorempixel.com/".to_vec();
    dimension(width, "width", 640, &mut url)?;
    url.push(b'/');
    dimension(height, "height", 480, &mut url)?;
    if let Some(c) = category {
        url.push(b'/');
        url.extend_from_slice(c.as_bytes());
    }
    let randomize = flag(randomize, "randomize")?.unwrap_or(false);
    boxed(Url {
        url: url.into(),
        randomize,
    })
}

/// `imageUrl(width=640, height=480, category, randomize)`.
fn image_url(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [width, height, category, randomize] = params(args, ["width", "height", "category", "randomize"], true)?;
    let category = text(&category, "category")?;
    if let Some(c) = category {
        if !IMAGE_CATEGORIES.contains(&c) {
            return Err(ArgError::new(format!(
                "unknown image category {c:?} (categories: {})",
                IMAGE_CATEGORIES.join(", ")
            )));
        }
    }
    build_url(&width, &height, category, &randomize)
}

/// `<category>(width=640, height=480, randomize)`.
fn category(args: &Args, name: &'static str) -> Result<Box<dyn Gen>, ArgError> {
    let [width, height, randomize] = params(args, ["width", "height", "randomize"], true)?;
    build_url(&width, &height, Some(name), &randomize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, named, pos, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn every_method_renders_a_url_naming_its_category() {
        for m in METHODS {
            let v = &render(m, Args::default(), 1)[0];
            assert!(v.starts_with("http"), "{m}: {v}");
            if IMAGE_CATEGORIES.contains(m) {
                assert_eq!(*v, format!("http://lorempixel.com/640/480/{m}"));
            }
        }
    }

    #[test]
    fn urls_take_width_height_and_category() {
        assert_eq!(
            render("imageUrl", Args::default(), 1),
            ["http://lorempixel.com/640/480"]
        );
        assert_eq!(
            render("imageUrl", kdg(json!(200)), 1),
            ["http://lorempixel.com/200/480"]
        );
        assert_eq!(
            render("imageUrl", pos(vec![json!(100), json!(50), json!("food")]), 1),
            ["http://lorempixel.com/100/50/food"]
        );
        assert_eq!(
            render("cats", named(json!({"height": 300})), 1),
            ["http://lorempixel.com/640/300/cats"]
        );
        for v in render("city", kdg(json!({"width": 10, "randomize": true})), 20) {
            let (base, n) = v.split_once('?').expect("randomized");
            assert_eq!(base, "http://lorempixel.com/10/480/city");
            assert!(n.parse::<u32>().unwrap() <= 99999);
        }
        for v in render("image", Args::default(), 30) {
            let cat = v.strip_prefix("http://lorempixel.com/640/480/").unwrap();
            assert!(IMAGE_CATEGORIES.contains(&cat));
        }
        assert!(render_with(image_url, kdg(json!("big")), Compat::Tolerant, 1).is_err());
        assert!(render_with(
            image_url,
            pos(vec![json!(1), json!(1), json!("dogs")]),
            Compat::Tolerant,
            1
        )
        .is_err());
    }
}
