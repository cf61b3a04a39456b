//! Redaction: secrets taken out of text kdg shows. [`redact`] is the one function every place
//! that echoes a URL or a setting goes through (the report's settings, and so the HTML report;
//! errors and warnings; verdict reasons), so `--endpoint-url http://user:PASS@host` or a
//! presigned URL never reaches a report, a log line or a terminal.
//!
//! What is replaced by [`MASK`]:
//! * the userinfo of any URL (`scheme://user:pass@host` becomes `scheme://***@host`);
//! * the value of a URL's query parameter whose name looks like a secret (it contains `token`,
//!   `signature`, `password`, `secret`, `credential`, `key`, `auth` or `session`, or starts
//!   with `X-Amz-`), in any case;
//! * AWS access key ids (`AKIA…`, `ASIA…`: 20 upper-case letters and digits), and the values of
//!   the credential variables the AWS SDK reads (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN`) wherever they appear.

use std::borrow::Cow;

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Parts of a query parameter's name that make its value a secret.
const SECRET_NAMES: [&str; 8] = [
    "token",
    "signature",
    "password",
    "secret",
    "credential",
    "key",
    "auth",
    "session",
];

/// The environment variables whose values are AWS credentials.
const CREDENTIAL_VARS: [&str; 3] = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"];

/// Shorter values are not masked (they would mask ordinary text; real credentials are longer).
const MIN_CREDENTIAL_LEN: usize = 8;

/// `text` with its secrets replaced by [`MASK`] (see the module docs); borrowed when it has none.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = redact_urls(text);
    for var in CREDENTIAL_VARS {
        if let Ok(value) = std::env::var(var) {
            if value.len() >= MIN_CREDENTIAL_LEN && out.contains(value.as_str()) {
                out = Cow::Owned(out.replace(value.as_str(), MASK));
            }
        }
    }
    match redact_key_ids(&out) {
        Cow::Borrowed(_) => out,
        Cow::Owned(s) => Cow::Owned(s),
    }
}

/// Redact every string in `value`, in place (a settings echo, before it is written anywhere).
pub fn redact_json(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(s) => {
            if let Cow::Owned(r) = redact(s) {
                *s = r;
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact_json),
        serde_json::Value::Object(map) => map.values_mut().for_each(redact_json),
        _ => {}
    }
}

/// Whether `b` ends a URL in running text.
fn ends_url(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'"' | b'<' | b'>' | b'`')
}

/// Userinfo and secret query values of every `scheme://` URL in `text`.
fn redact_urls(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut from = 0;
    while let Some(at) = text[from..].find("://").map(|p| from + p) {
        let start = at + 3;
        let end = bytes[start..]
            .iter()
            .position(|&b| ends_url(b))
            .map_or(text.len(), |p| start + p);
        let url = &text[start..end];
        let authority_end = url.find(['/', '?', '#']).unwrap_or(url.len());
        out.push_str(&text[done..start]);
        let mut rest = url;
        if let Some(userinfo_end) = url[..authority_end].rfind('@') {
            out.push_str(MASK);
            rest = &url[userinfo_end..];
        }
        match rest.find('?') {
            Some(q) => {
                out.push_str(&rest[..=q]);
                let query = &rest[q + 1..];
                let (query, fragment) = query.split_at(query.find('#').unwrap_or(query.len()));
                for (i, param) in query.split('&').enumerate() {
                    if i > 0 {
                        out.push('&');
                    }
                    match param.split_once('=') {
                        Some((name, _)) if secret_name(name) => {
                            out.push_str(name);
                            out.push('=');
                            out.push_str(MASK);
                        }
                        _ => out.push_str(param),
                    }
                }
                out.push_str(fragment);
            }
            None => out.push_str(rest),
        }
        done = end;
        from = end.max(start);
    }
    out.push_str(&text[done..]);
    if out == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(out)
    }
}

/// Whether a query parameter named `name` carries a secret.
fn secret_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.starts_with("x-amz-") || SECRET_NAMES.iter().any(|s| name.contains(s))
}

/// AWS access key ids: `AKIA` or `ASIA` and 16 more upper-case letters or digits, as a word.
fn redact_key_ids(text: &str) -> Cow<'_, str> {
    const LEN: usize = 20;
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric();
    let is_id = |i: usize| {
        i + LEN <= bytes.len()
            && (bytes[i..].starts_with(b"AKIA") || bytes[i..].starts_with(b"ASIA"))
            && bytes[i..i + LEN]
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && (i == 0 || !word(bytes[i - 1]))
            && bytes.get(i + LEN).is_none_or(|&b| !word(b))
    };
    if !(0..bytes.len()).any(is_id) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut done = 0;
    while i < bytes.len() {
        if is_id(i) {
            out.push_str(&text[done..i]);
            out.push_str(MASK);
            i += LEN;
            done = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&text[done..]);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_in_any_url_is_masked() {
        assert_eq!(
            redact("--endpoint-url `http://user:PASS@localhost:4567` must start"),
            "--endpoint-url `http://***@localhost:4567` must start"
        );
        assert_eq!(redact("https://u@h/p?q=1"), "https://***@h/p?q=1");
        // An @ after the authority is not userinfo.
        assert_eq!(redact("http://h:1/a@b"), "http://h:1/a@b");
        assert_eq!(
            redact("two: http://a:b@x and s3://k:s@y/z"),
            "two: http://***@x and s3://***@y/z"
        );
        assert!(matches!(redact("http://localhost:4567"), Cow::Borrowed(_)));
        assert_eq!(redact("no url here"), "no url here");
    }

    #[test]
    fn query_parameters_named_like_secrets_are_masked() {
        assert_eq!(
            redact("https://b.s3.amazonaws.com/k?X-Amz-Signature=abc&X-Amz-Credential=AK%2F1&part=2&api_key=zz&Token=t#frag"),
            "https://b.s3.amazonaws.com/k?X-Amz-Signature=***&X-Amz-Credential=***&part=2&api_key=***&Token=***#frag"
        );
        assert_eq!(redact("http://h/?password=p&user=u"), "http://h/?password=***&user=u");
        assert_eq!(redact("http://h/?flag&x=1"), "http://h/?flag&x=1");
    }

    #[test]
    fn aws_access_key_ids_are_masked_as_words() {
        assert_eq!(
            redact("Credential=AKIAIOSFODNN7EXAMPLE/20260101"),
            "Credential=***/20260101"
        );
        assert_eq!(redact("ASIA1234567890ABCDEF."), "***.");
        // Part of a longer word, or too short: not a key id.
        assert_eq!(redact("XAKIAIOSFODNN7EXAMPLE"), "XAKIAIOSFODNN7EXAMPLE");
        assert_eq!(redact("AKIA123"), "AKIA123");
    }

    #[test]
    fn json_strings_are_redacted_in_place() {
        let mut v = serde_json::json!({
            "aws": { "endpoint_url": "http://me:hunter2@127.0.0.1:1" },
            "list": ["https://h/?sig=1&secret=2"],
            "n": 3,
        });
        redact_json(&mut v);
        assert_eq!(v["aws"]["endpoint_url"], "http://***@127.0.0.1:1");
        assert_eq!(v["list"][0], "https://h/?sig=1&secret=***");
        assert_eq!(v["n"], 3);
    }
}
