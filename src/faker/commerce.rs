//! The `commerce` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use super::data;
use super::finance::build_amount;
use super::{ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `commerce`.
pub const METHODS: &[&str] = &[
    "color",
    "department",
    "productName",
    "price",
    "productAdjective",
    "productMaterial",
    "product",
];

/// The builder for `commerce.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "color" => crate::pick_from!(data::COMMERCE_COLOR),
        "department" => crate::pick_from!(data::COMMERCE_DEPARTMENT),
        "productName" => crate::no_args!(write_product_name),
        "price" => price,
        "productAdjective" => crate::pick_from!(data::PRODUCT_ADJECTIVE),
        "productMaterial" => crate::pick_from!(data::PRODUCT_MATERIAL),
        "product" => crate::pick_from!(data::PRODUCT),
        _ => return None,
    })
}

/// `productName()`: adjective, material and product, e.g. "Rustic Steel Chair".
fn write_product_name(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(ctx.pick(data::PRODUCT_ADJECTIVE).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(data::PRODUCT_MATERIAL).as_bytes());
    out.push(b' ');
    out.extend_from_slice(ctx.pick(data::PRODUCT).as_bytes());
}

/// `price(min=0, max=1000, dec=2, symbol='')`: an integer in `[min, max]` printed with `dec`
/// decimals (`425.00`); a negative bound gives `symbol + "0"`.
fn price(args: &Args, cx: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    build_amount(args, cx, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, named, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn prices_are_whole_numbers_with_decimals() {
        for v in render("price", Args::default(), 1000) {
            assert!(v.ends_with(".00"), "{v}");
            let f: f64 = v.parse().unwrap();
            assert!((0.0..=1000.0).contains(&f));
        }
        for v in render("price", kdg(json!(100)), 1000) {
            let f: f64 = v.parse().unwrap();
            assert!((100.0..=1000.0).contains(&f), "{v}");
        }
        for v in render("price", named(json!({"min": 1, "max": 9, "symbol": "€"})), 100) {
            assert!(v.starts_with('€') && v.ends_with(".00"), "{v}");
        }
        assert_eq!(render("price", named(json!({"min": -5, "symbol": "$"})), 1), ["$0"]);
    }

    #[test]
    fn product_names_have_three_words() {
        for v in render("productName", Args::default(), 50) {
            let parts: Vec<&str> = v.split(' ').collect();
            assert_eq!(parts.len(), 3, "{v}");
            assert!(data::PRODUCT.contains(&parts[2]));
        }
        for v in render("color", Args::default(), 50) {
            assert!(data::COMMERCE_COLOR.contains(&v.as_str()));
        }
        assert_eq!(
            render_with(lookup("color").unwrap(), kdg(json!(1)), Compat::Tolerant, 5).unwrap(),
            render("color", Args::default(), 5)
        );
    }
}
