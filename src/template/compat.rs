//! KDG's own template errors, for `--compat strict` (`docs/templates.md#argument-parsing`).
//!
//! faker.js 3.1.0's `fake()` finds the first `{{` and the first `}}` *anywhere* in the string,
//! takes what lies between as the tag, and replaces it; then it starts again from the top. That
//! makes some templates fail that look fine: a literal `}}` before a later tag (case 11), `{{{`
//! (case 12), whitespace inside the braces (case 2), `()` (case 4), a `)` inside the argument
//! (case 5). This module walks a template the same way, with the tags' values replaced by neutral
//! text, and reports the first place where KDG would throw. Tolerant mode never calls it.

use crate::faker;

/// Where and why KDG would reject the template: a source offset and KDG's message.
pub type KdgError = (usize, String);

/// Check `src` the way KDG's renderer would read it.
///
/// # Errors
/// The first tag KDG would throw on.
pub fn check(src: &str) -> Result<(), KdgError> {
    // getCleanedTemplate: trim, then delete every LF.
    let start = src.len() - src.trim_start().len();
    let trimmed = src.trim();
    let mut s = Vec::with_capacity(trimmed.len());
    let mut map = Vec::with_capacity(trimmed.len());
    for (i, b) in trimmed.bytes().enumerate() {
        if b != b'\n' {
            s.push(b);
            map.push(start + i);
        }
    }
    let mut aliased = false;
    loop {
        let (Some(open), Some(close)) = (find(&s, b"{{"), find(&s, b"}}")) else {
            return Ok(());
        };
        let token: Vec<u8> = if close >= open + 2 {
            s[open + 2..close].to_vec()
        } else {
            Vec::new()
        };
        let at = map.get(open.min(close)).copied().unwrap_or(start);
        let mut method = remove_first(&remove_first(&token, b"}}"), b"{{");
        if let Some((from, to)) = first_argument(&method) {
            method.drain(from..to);
        }
        let method = String::from_utf8_lossy(&method).into_owned();
        let mut parts = method.split('.');
        let ns = parts.next().unwrap_or_default();
        let m = parts.next();
        let alias = ns == "current" && m == Some("timestamp") && !aliased;
        if alias {
            aliased = true;
        } else if faker::methods(ns).is_none() {
            return Err((at, format!("Invalid module: {ns}")));
        } else if m.is_none_or(|m| faker::lookup(ns, m).is_err()) {
            return Err((at, format!("Invalid method: {ns}.{}", m.unwrap_or("undefined"))));
        }
        // Replace the tag with neutral text of the same length, so offsets keep mapping.
        let tag_end = (close + 2).max(open + 2).min(s.len());
        let (from, to) = if close >= open + 2 {
            (open, tag_end)
        } else {
            (open, open + 2)
        };
        for b in &mut s[from..to] {
            *b = b'x';
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn remove_first(hay: &[u8], needle: &[u8]) -> Vec<u8> {
    match find(hay, needle) {
        Some(p) => [&hay[..p], &hay[p + needle.len()..]].concat(),
        None => hay.to_vec(),
    }
}

/// The span of faker's `/\(([^)]+)\)/` match: a `(`, at least one non-`)` byte, then `)`.
fn first_argument(s: &[u8]) -> Option<(usize, usize)> {
    for (i, b) in s.iter().enumerate() {
        if *b == b'(' {
            if let Some(len) = s[i + 1..].iter().position(|c| *c == b')') {
                if len > 0 {
                    return Some((i, i + 1 + len + 1));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(src: &str) -> String {
        check(src).unwrap_err().1
    }

    #[test]
    fn templates_kdg_renders_pass() {
        for src in [
            "{{random.number(50)}}",
            "{\n\"price\": {{random.number(\n{\n\"min\":1,\n\"max\":15\n}\n)}}\n}",
            r#"{"a":{"b":{{random.number(5)}}}}"#,
            "{{random.number( 50 )}}",
            "{{date.now(YYYY-MM-DD)}}",
            "{{current.timestamp}}",
            "only {{ open",
            "only }} close",
            "{{random.number(5).foo}}",
        ] {
            assert_eq!(check(src), Ok(()), "{src}");
        }
    }

    #[test]
    fn kdg_errors_are_reproduced() {
        assert_eq!(msg("{{ random.number}}"), "Invalid module:  random");
        assert_eq!(msg("{{random.number }}"), "Invalid method: random.number ");
        assert_eq!(msg("{{random.number()}}"), "Invalid method: random.number()");
        assert!(msg(r#"{{phone.phoneNumber("(###) ###-####")}}"#).starts_with("Invalid method"));
        assert_eq!(
            msg(r#"{"a":{"b":{"c":1}},"d":"{{name.firstName}}"}"#),
            "Invalid module: "
        );
        assert_eq!(msg("{{{random.number(5)}}}"), "Invalid module: {random");
        assert_eq!(
            msg("{{current.timestamp}} {{current.timestamp}}"),
            "Invalid module: current"
        );
    }

    #[test]
    fn error_offsets_point_into_the_source() {
        let src = "ab\n{{nope.x}}";
        assert_eq!(check(src).unwrap_err().0, 3);
    }
}
