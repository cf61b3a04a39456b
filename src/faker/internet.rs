//! The `internet` namespace of faker.js 3.1.0 as bundled by KDG (`kdg.md` §2.7).

use super::Builder;

/// The methods of `internet`.
pub const METHODS: &[&str] = &[];

/// The builder for `internet.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    let _ = method;
    None
}
