//! The `lorem` namespace of faker.js 3.1.0 as bundled by KDG (`kdg.md` §2.7).

use super::Builder;

/// The methods of `lorem`.
pub const METHODS: &[&str] = &[];

/// The builder for `lorem.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    let _ = method;
    None
}
