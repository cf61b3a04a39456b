//! The `internet` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: KDG additions, Namespaces).

use fake::locales::{Data, EN};
use serde_json::Value;

use super::data;
use super::helpers::{count, flag, num, params, retain_from, text, write_hex2};
use super::name::write_given_or;
use super::{boxed, write_int, write_js_number, ArgError, Args, BuildCtx, Builder, Ctx, Gen};

/// The methods of `internet`.
pub const METHODS: &[&str] = &[
    "avatar",
    "email",
    "exampleEmail",
    "session",
    "userName",
    "protocol",
    "url",
    "domainName",
    "domainSuffix",
    "domainWord",
    "ip",
    "userAgent",
    "color",
    "mac",
    "password",
];

/// The builder for `internet.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "avatar" => crate::no_args!(write_avatar),
        "email" => email,
        "exampleEmail" => example_email,
        "session" => crate::no_args!(write_session),
        "userName" => user_name,
        "protocol" => crate::pick_from!(PROTOCOLS),
        "url" => crate::no_args!(|ctx: &mut Ctx, out: &mut Vec<u8>| {
            out.extend_from_slice(ctx.pick(PROTOCOLS).as_bytes());
            out.extend_from_slice(b"://");
            write_domain_name(ctx, out);
        }),
        "domainName" => crate::no_args!(write_domain_name),
        "domainSuffix" => crate::pick_from!(EN::INTERNET_DOMAIN_SUFFIX),
        "domainWord" => crate::no_args!(write_domain_word),
        "ip" => crate::no_args!(write_ip),
        "userAgent" => crate::no_args!(super::user_agent::write_user_agent),
        "color" => color,
        "mac" => crate::no_args!(write_mac),
        "password" => password,
        _ => return None,
    })
}

const PROTOCOLS: &[&str] = &["http", "https"];

/// How many distinct avatar handles there are: faker 3.1.0 picks from a fixed set of about
/// 1,250 profile-picture URLs, so its avatars repeat; kdg's do as often.
const AVATARS: u64 = 1266;

/// The avatar handles, built once from kdg's name lists: mostly a lower-case name, sometimes
/// with `_`, digits, or both, in the proportions faker's handles have them.
static AVATAR_HANDLES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    (0..AVATARS)
        .map(|i| {
            let h = super::splitmix64(i);
            let first = clean(EN::NAME_FIRST_NAME[(h % EN::NAME_FIRST_NAME.len() as u64) as usize]);
            let last = clean(EN::NAME_LAST_NAME[((h >> 16) % EN::NAME_LAST_NAME.len() as u64) as usize]);
            let cut = ((h >> 32) % 5) as usize;
            let digits = (h >> 40) % 100;
            let base = format!("{first}{}", &last[..cut.min(last.len())]);
            match (h >> 48) % 100 {
                0..=81 => base,
                82..=89 => format!("{first}_{last}"),
                90..=93 => format!("{base}{digits}"),
                94..=95 => format!("{first}{digits}{}", &last[..2.min(last.len())]),
                96..=97 => format!("{base}_"),
                _ => format!("_{base}"),
            }
        })
        .collect()
});

/// `avatar()`: a profile picture URL in the style of faker's uifaces list.
pub(crate) fn write_avatar(ctx: &mut Ctx, out: &mut Vec<u8>) {
    out.extend_from_slice(b"https://s3.amazonaws.com/uifaces/faces/twitter/");
    out.extend_from_slice(ctx.pick(AVATAR_HANDLES.as_slice()).as_bytes());
    out.extend_from_slice(b"/128.jpg");
}

/// `session()` (KDG): `Math.random() * (2^53 - 1 - 1007199254740991) + 1007199254740991`, a float
/// printed the JavaScript way (`4110645408369789.5`).
fn write_session(ctx: &mut Ctx, out: &mut Vec<u8>) {
    const LO: f64 = 1_007_199_254_740_991.0;
    const HI: f64 = 9_007_199_254_740_991.0;
    let v = ctx.unit() * (HI - LO) + LO;
    write_js_number(out, v);
}

/// `domainWord()`: a first name, lower-cased, without `~#&*{}/:<>?|"'`.
fn write_domain_word(ctx: &mut Ctx, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(ctx.pick(EN::NAME_FIRST_NAME).as_bytes());
    retain_from(out, start, |b| !b"~#&*{}/:<>?|\"'\\".contains(&b));
    out[start..].make_ascii_lowercase();
}

/// `domainName()`: `domainWord.domainSuffix`.
fn write_domain_name(ctx: &mut Ctx, out: &mut Vec<u8>) {
    write_domain_word(ctx, out);
    out.push(b'.');
    out.extend_from_slice(ctx.pick(EN::INTERNET_DOMAIN_SUFFIX).as_bytes());
}

/// `ip()`: four numbers `0..=255`.
fn write_ip(ctx: &mut Ctx, out: &mut Vec<u8>) {
    for i in 0..4 {
        if i > 0 {
            out.push(b'.');
        }
        write_int(out, ctx.int(0, 255));
    }
}

/// `mac()`: six lowercase two-hex-digit groups joined with `:`.
fn write_mac(ctx: &mut Ctx, out: &mut Vec<u8>) {
    for i in 0..6 {
        if i > 0 {
            out.push(b':');
        }
        write_hex2(out, ctx.int(0, 255) as u8);
    }
}

/// `userName(firstName, lastName)`, with the names fixed where given.
struct UserName {
    first: Option<Box<str>>,
    last: Option<Box<str>>,
}

impl UserName {
    fn write(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let start = out.len();
        write_given_or(ctx, out, &self.first, EN::NAME_FIRST_NAME);
        let shape = ctx.int(0, 2);
        if shape == 0 {
            write_int(out, ctx.int(0, 99));
        } else {
            out.push(if ctx.int(0, 1) == 0 { b'.' } else { b'_' });
            write_given_or(ctx, out, &self.last, EN::NAME_LAST_NAME);
            if shape == 2 {
                write_int(out, ctx.int(0, 99));
            }
        }
        // faker drops apostrophes and spaces.
        retain_from(out, start, |b| b != b'\'' && b != b' ');
    }
}

impl Gen for UserName {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        self.write(ctx, out);
    }
}

/// A given name parameter: a string; an empty one counts as absent (`firstName || …`).
fn given(v: &Option<Value>, name: &str) -> Result<Option<Box<str>>, ArgError> {
    Ok(text(v, name)?.filter(|s| !s.is_empty()).map(Into::into))
}

fn user_name(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [first, last] = params(args, ["firstName", "lastName"], true)?;
    boxed(UserName {
        first: given(&first, "firstName")?,
        last: given(&last, "lastName")?,
    })
}

/// `email` / `exampleEmail`: a slugified user name, `@`, and the provider.
struct Email {
    user: UserName,
    provider: Result<Box<str>, &'static [&'static str]>,
}

impl Gen for Email {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        let start = out.len();
        self.user.write(ctx, out);
        // `helpers.slugify`: keep `[A-Za-z0-9_.-]` (a user-given name may hold anything).
        retain_from(out, start, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
        });
        out.push(b'@');
        match &self.provider {
            Ok(p) => out.extend_from_slice(p.as_bytes()),
            Err(list) => out.extend_from_slice(ctx.pick(list).as_bytes()),
        }
    }
}

fn email(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [first, last, provider] = params(args, ["firstName", "lastName", "provider"], true)?;
    let user = UserName {
        first: given(&first, "firstName")?,
        last: given(&last, "lastName")?,
    };
    let provider = match given(&provider, "provider")? {
        Some(p) => Ok(p),
        None => Err(EN::INTERNET_FREE_EMAIL_PROVIDER),
    };
    boxed(Email { user, provider })
}

fn example_email(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [first, last] = params(args, ["firstName", "lastName"], true)?;
    let user = UserName {
        first: given(&first, "firstName")?,
        last: given(&last, "lastName")?,
    };
    boxed(Email {
        user,
        provider: Err(data::EXAMPLE_EMAIL),
    })
}

/// `color(baseRed255, baseGreen255, baseBlue255)`: `#rrggbb`, each channel
/// `floor((random.number(256) + base) / 2)`.
struct Color([i64; 3]);

impl Gen for Color {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        out.push(b'#');
        for base in self.0 {
            let v = (ctx.int(0, 256) + base) / 2;
            write_hex2(out, v.min(255) as u8);
        }
    }
}

fn color(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let p = params(args, ["baseRed255", "baseGreen255", "baseBlue255"], true)?;
    let mut base = [0i64; 3];
    for (b, (v, name)) in base
        .iter_mut()
        .zip(p.iter().zip(["baseRed255", "baseGreen255", "baseBlue255"]))
    {
        if let Some(x) = num(v, name)? {
            if !(0.0..=255.0).contains(&x) || x.fract() != 0.0 {
                return Err(ArgError::new(format!(
                    "`{name}` must be a whole number from 0 to 255, got {x}"
                )));
            }
            *b = x as i64;
        }
    }
    boxed(Color(base))
}

/// `password(len, memorable, pattern, prefix)`, compiled.
struct Password {
    len: usize,
    memorable: bool,
    prefix: Box<str>,
}

const WORD_CHARS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz";
const CONSONANTS: &[u8] = b"bcdfghjklmnpqrstvwxyz";
const VOWELS: &[u8] = b"aeiou";

impl Gen for Password {
    fn emit(&self, ctx: &mut Ctx, out: &mut Vec<u8>) {
        out.extend_from_slice(self.prefix.as_bytes());
        let todo = self.len.saturating_sub(self.prefix.len());
        if !self.memorable {
            for _ in 0..todo {
                out.push(*ctx.pick(WORD_CHARS));
            }
            return;
        }
        // Memorable: lowercase consonants and vowels in turn; a consonant follows anything that
        // is not a consonant.
        let mut consonant_last = self
            .prefix
            .bytes()
            .last()
            .is_some_and(|b| CONSONANTS.contains(&b.to_ascii_lowercase()));
        for _ in 0..todo {
            let c = if consonant_last {
                *ctx.pick(VOWELS)
            } else {
                *ctx.pick(CONSONANTS)
            };
            out.push(c);
            consonant_last = !consonant_last;
        }
    }
}

fn password(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [len, memorable, pattern, prefix] = params(args, ["len", "memorable", "pattern", "prefix"], true)?;
    // `len || 15`.
    let len = count(&len, "len", 100_000)?.filter(|n| *n > 0).unwrap_or(15) as usize;
    let memorable = flag(&memorable, "memorable")?.unwrap_or(false);
    if let Some(p) = pattern {
        return Err(ArgError::new(format!(
            "`pattern` is not supported (got {p}): passwords use word characters [A-Za-z0-9_], or \
             alternating consonants and vowels with `memorable`"
        )));
    }
    let prefix = text(&prefix, "prefix")?.unwrap_or("").into();
    boxed(Password { len, memorable, prefix })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, named, pos};
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    #[test]
    fn ips_parse() {
        let ips: Vec<std::net::Ipv4Addr> = render("ip", Args::default(), 1000)
            .iter()
            .map(|v| v.parse().expect("ipv4"))
            .collect();
        assert!(ips.iter().any(|ip| ip.octets()[0] > 200));
        assert_eq!(render("ip", kdg(json!(4)), 1).len(), 1);
    }

    #[test]
    fn macs_are_six_hex_pairs() {
        for v in render("mac", Args::default(), 100) {
            let parts: Vec<&str> = v.split(':').collect();
            assert_eq!(parts.len(), 6, "{v}");
            assert!(parts
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())));
        }
    }

    #[test]
    fn sessions_are_large_js_numbers() {
        let outs = render("session", Args::default(), 1000);
        for v in &outs {
            let f: f64 = v.parse().expect("number");
            assert!((1_007_199_254_740_991.0..9_007_199_254_740_991.0).contains(&f), "{v}");
            assert!(!v.contains('e'), "{v}");
        }
        assert!(outs.iter().any(|v| v.ends_with(".5")) || outs.iter().any(|v| !v.contains('.')));
    }

    #[test]
    fn user_names_and_emails() {
        for v in render("userName", Args::default(), 200) {
            assert!(!v.contains(' ') && !v.contains('\''), "{v}");
        }
        for v in render("userName", pos(vec![json!("Ann Marie"), json!("O'Neil")]), 50) {
            assert!(v.starts_with("AnnMarie"), "{v}");
            assert!(!v.contains('\''));
        }
        for v in render("email", Args::default(), 200) {
            let (user, domain) = v.split_once('@').expect("@");
            assert!(
                !user.is_empty() && user.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)),
                "{v}"
            );
            assert!(EN::INTERNET_FREE_EMAIL_PROVIDER.contains(&domain), "{v}");
        }
        for v in render("email", named(json!({"provider": "corp.test", "firstName": "Zoë"})), 20) {
            assert!(v.starts_with("Zo") && v.ends_with("@corp.test"), "{v}");
        }
        for v in render("exampleEmail", Args::default(), 50) {
            assert!(data::EXAMPLE_EMAIL.iter().any(|d| v.ends_with(d)), "{v}");
        }
        assert!(build_err("email", kdg(json!([1]))).contains("firstName"));
    }

    #[test]
    fn domains_and_urls() {
        for v in render("domainWord", Args::default(), 100) {
            assert!(v.bytes().all(|b| b.is_ascii_lowercase()), "{v}");
        }
        for v in render("url", Args::default(), 100) {
            assert!(v.starts_with("http://") || v.starts_with("https://"), "{v}");
            assert!(
                EN::INTERNET_DOMAIN_SUFFIX.iter().any(|s| v.ends_with(&format!(".{s}"))),
                "{v}"
            );
        }
        let avatars = render("avatar", Args::default(), 3000);
        for v in &avatars {
            assert!(v.starts_with("https://s3.amazonaws.com/uifaces/faces/twitter/") && v.ends_with("/128.jpg"));
        }
        // A fixed set of handles, like faker's list: they repeat, and some have `_` or digits.
        let distinct: std::collections::HashSet<_> = avatars.iter().collect();
        assert!((700..=AVATARS as usize).contains(&distinct.len()), "{}", distinct.len());
        let handles: Vec<&str> = avatars.iter().map(|v| &v[47..v.len() - "/128.jpg".len()]).collect();
        assert!(handles.iter().any(|h| h.contains('_')));
        assert!(handles.iter().any(|h| h.bytes().any(|b| b.is_ascii_digit())));
        assert!(handles.iter().all(|h| !h.is_empty() && !h.contains('/')));
    }

    #[test]
    fn colors() {
        for v in render("color", Args::default(), 200) {
            assert_eq!(v.len(), 7);
            assert!(v.starts_with('#'));
            let r = u8::from_str_radix(&v[1..3], 16).unwrap();
            assert!(r <= 128, "{v}");
        }
        for v in render("color", kdg(json!(255)), 200) {
            let r = u8::from_str_radix(&v[1..3], 16).unwrap();
            assert!(r >= 127, "{v}");
        }
        assert!(build_err("color", kdg(json!(300))).contains("baseRed255"));
    }

    #[test]
    fn passwords() {
        for v in render("password", Args::default(), 50) {
            assert_eq!(v.len(), 15);
            assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'), "{v}");
        }
        assert_eq!(render("password", kdg(json!(32)), 1)[0].len(), 32);
        for v in render("password", pos(vec![json!(8), json!(true)]), 50) {
            let b = v.as_bytes();
            assert_eq!(b.len(), 8);
            for (i, c) in b.iter().enumerate() {
                assert_eq!(CONSONANTS.contains(c), i % 2 == 0, "{v}");
            }
        }
        let v = &render(
            "password",
            named(json!({"len": 6, "prefix": "ab", "memorable": true})),
            1,
        )[0];
        assert!(
            v.starts_with("ab") && v.len() == 6 && VOWELS.contains(&v.as_bytes()[2]),
            "{v}"
        );
        assert!(build_err("password", pos(vec![json!(8), json!(false), json!("[a-z]")])).contains("pattern"));
    }
}
