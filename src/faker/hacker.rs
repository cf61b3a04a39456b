//! The `hacker` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md#namespaces`).

use super::data;
use super::{Builder, Ctx};

/// The methods of `hacker`.
pub const METHODS: &[&str] = &["abbreviation", "adjective", "noun", "verb", "ingverb", "phrase"];

/// The builder for `hacker.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "abbreviation" => crate::pick_from!(data::HACKER_ABBREVIATION),
        "adjective" => crate::pick_from!(data::HACKER_ADJECTIVE),
        "noun" => crate::pick_from!(data::HACKER_NOUN),
        "verb" => crate::pick_from!(data::HACKER_VERB),
        "ingverb" => crate::pick_from!(data::HACKER_INGVERB),
        "phrase" => crate::no_args!(write_phrase),
        _ => return None,
    })
}

/// `phrase()`: a random sentence pattern filled with one abbreviation, adjective, noun, verb
/// and -ing verb, each drawn once and reused wherever the pattern repeats it (as faker does).
fn write_phrase(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let a = *ctx.pick(data::HACKER_ABBREVIATION);
    let j = *ctx.pick(data::HACKER_ADJECTIVE);
    let n = *ctx.pick(data::HACKER_NOUN);
    let v = *ctx.pick(data::HACKER_VERB);
    let i = *ctx.pick(data::HACKER_INGVERB);
    let pattern = ctx.pick(data::HACKER_PHRASE).as_bytes();
    let mut k = 0;
    while k < pattern.len() {
        if pattern[k] == b'{' && k + 2 < pattern.len() && pattern[k + 2] == b'}' {
            let word = match pattern[k + 1] {
                b'a' => Some(a),
                b'j' => Some(j),
                b'n' => Some(n),
                b'v' => Some(v),
                b'i' => Some(i),
                _ => None,
            };
            if let Some(w) = word {
                out.extend_from_slice(w.as_bytes());
                k += 3;
                continue;
            }
        }
        out.push(pattern[k]);
        k += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::Args;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn phrases_are_filled_in() {
        for v in render("phrase", Args::default(), 200) {
            assert!(!v.contains('{') && !v.contains('}'), "{v}");
            assert!(v.ends_with('!'), "{v}");
            assert!(data::HACKER_NOUN.iter().any(|n| v.contains(n)), "{v}");
        }
        for v in render("abbreviation", Args::default(), 20) {
            assert!(data::HACKER_ABBREVIATION.contains(&v.as_str()));
        }
    }
}
