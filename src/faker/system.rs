//! The `system` namespace of faker.js 3.1.0 as bundled by KDG (`kdg.md` §2.7).

use super::Builder;

/// The methods of `system`.
pub const METHODS: &[&str] = &[];

/// The builder for `system.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    let _ = method;
    None
}
