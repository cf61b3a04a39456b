//! Word lists kdg ships itself, where the `fake` crate's `en` data has no equivalent.
