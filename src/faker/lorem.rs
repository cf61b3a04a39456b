//! The `lorem` namespace of faker.js 3.1.0 as bundled by KDG (`docs/templates.md`: Method semantics, Namespaces).
//!
//! `lines` and `paragraphs` put newlines (and `paragraphs` a `\r`) into the record.

use fake::locales::{Data, EN};

use super::helpers::{count, params, text};
use super::{boxed, ArgError, Args, BuildCtx, Builder, Ctx, Gen, Pick};

/// The methods of `lorem`.
pub const METHODS: &[&str] = &[
    "word",
    "words",
    "sentence",
    "sentences",
    "paragraph",
    "paragraphs",
    "text",
    "lines",
];

/// The builder for `lorem.<method>`.
pub fn lookup(method: &str) -> Option<Builder> {
    Some(match method {
        "word" => word,
        "words" => words,
        "sentence" => sentence,
        "sentences" => sentences,
        "paragraph" => paragraph,
        "paragraphs" => paragraphs,
        "text" => crate::no_args!(write_text),
        "lines" => lines,
        _ => return None,
    })
}

/// The largest count kdg accepts for words, sentences or paragraphs.
const MAX_COUNT: u64 = 10_000;

/// Append `n` lorem words separated by spaces.
fn write_words(ctx: &mut Ctx, out: &mut Vec<u8>, n: u64) {
    for i in 0..n {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(ctx.pick(EN::LOREM_WORD).as_bytes());
    }
}

/// Append a sentence: `n` words (3 to 10 when `None`), capitalised, with a trailing `.`.
fn write_sentence(ctx: &mut Ctx, out: &mut Vec<u8>, n: Option<u64>) {
    let n = n.unwrap_or_else(|| ctx.int(3, 10) as u64);
    let start = out.len();
    write_words(ctx, out, n);
    if let Some(b) = out.get_mut(start) {
        b.make_ascii_uppercase();
    }
    out.push(b'.');
}

/// Append `n` sentences (2 to 6 when `None`) separated by `sep`.
fn write_sentences(ctx: &mut Ctx, out: &mut Vec<u8>, n: Option<u64>, sep: &[u8]) {
    let n = n.unwrap_or_else(|| ctx.int(2, 6) as u64);
    for i in 0..n {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        write_sentence(ctx, out, None);
    }
}

/// Append a paragraph: `n` (3 by default) plus 0 to 3 sentences.
fn write_paragraph(ctx: &mut Ctx, out: &mut Vec<u8>, n: u64) {
    let n = n + ctx.int(0, 3) as u64;
    write_sentences(ctx, out, Some(n), b" ");
}

/// Append `n` paragraphs separated by `sep`.
fn write_paragraphs(ctx: &mut Ctx, out: &mut Vec<u8>, n: u64, sep: &[u8]) {
    for i in 0..n {
        if i > 0 {
            out.extend_from_slice(sep);
        }
        write_paragraph(ctx, out, 3);
    }
}

/// faker's default separator between paragraphs.
const PARAGRAPH_SEP: &[u8] = b"\n \r";

/// `text()`: one of the other lorem methods, with its defaults.
fn write_text(ctx: &mut Ctx, out: &mut Vec<u8>) {
    match ctx.int(0, 6) {
        0 => out.extend_from_slice(ctx.pick(EN::LOREM_WORD).as_bytes()),
        1 => write_words(ctx, out, 3),
        2 => write_sentence(ctx, out, None),
        3 => write_sentences(ctx, out, None, b" "),
        4 => write_paragraph(ctx, out, 3),
        5 => write_paragraphs(ctx, out, 3, PARAGRAPH_SEP),
        _ => {
            let n = ctx_lines(ctx);
            write_sentences(ctx, out, Some(n), b"\n")
        }
    }
}

/// `lines()`'s default count.
fn ctx_lines(ctx: &mut Ctx) -> u64 {
    ctx.int(1, 5) as u64
}

fn word(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    args.none()?;
    boxed(Pick(EN::LOREM_WORD))
}

fn words(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [num] = params(args, ["num"], false)?;
    let n = count(&num, "num", MAX_COUNT)?.unwrap_or(3);
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| write_words(ctx, out, n))
}

fn sentence(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [n] = params(args, ["wordCount"], false)?;
    let n = count(&n, "wordCount", MAX_COUNT)?;
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| write_sentence(ctx, out, n))
}

/// A separator parameter.
fn separator(v: &Option<serde_json::Value>, default: &[u8]) -> Result<Box<[u8]>, ArgError> {
    Ok(text(v, "separator")?.map(|s| s.as_bytes()).unwrap_or(default).into())
}

fn sentences(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [n, sep] = params(args, ["sentenceCount", "separator"], true)?;
    let n = count(&n, "sentenceCount", MAX_COUNT)?;
    let sep = separator(&sep, b" ")?;
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| write_sentences(ctx, out, n, &sep))
}

fn paragraph(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [n] = params(args, ["sentenceCount"], false)?;
    let n = count(&n, "sentenceCount", MAX_COUNT)?.unwrap_or(3);
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| write_paragraph(ctx, out, n))
}

fn paragraphs(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [n, sep] = params(args, ["paragraphCount", "separator"], true)?;
    let n = count(&n, "paragraphCount", MAX_COUNT)?.unwrap_or(3);
    let sep = separator(&sep, PARAGRAPH_SEP)?;
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| write_paragraphs(ctx, out, n, &sep))
}

fn lines(args: &Args, _: &mut BuildCtx) -> Result<Box<dyn Gen>, ArgError> {
    let [n] = params(args, ["lineCount"], false)?;
    let n = count(&n, "lineCount", MAX_COUNT)?;
    boxed(move |ctx: &mut Ctx, out: &mut Vec<u8>| {
        let n = n.unwrap_or_else(|| ctx_lines(ctx));
        write_sentences(ctx, out, Some(n), b"\n")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faker::helpers::tests::{kdg, pos, render_with};
    use crate::faker::Compat;
    use serde_json::json;

    crate::faker::helpers::tests::namespace_test_fns!();

    fn is_word(w: &str) -> bool {
        EN::LOREM_WORD.contains(&w.to_lowercase().as_str())
    }

    fn check_sentence(s: &str) -> usize {
        let body = s.strip_suffix('.').unwrap_or_else(|| panic!("no period: {s:?}"));
        assert!(body.as_bytes()[0].is_ascii_uppercase(), "{s:?}");
        let words: Vec<&str> = body.split(' ').collect();
        assert!(words.iter().all(|w| is_word(w)), "{s:?}");
        words.len()
    }

    #[test]
    fn words_are_space_separated() {
        for v in render("words", Args::default(), 20) {
            assert_eq!(v.split(' ').count(), 3);
            assert!(v.split(' ').all(is_word));
        }
        assert_eq!(render("words", kdg(json!(7)), 1)[0].split(' ').count(), 7);
        assert_eq!(render("words", kdg(json!(0)), 1), [""]);
        assert!(render("word", Args::default(), 20).iter().all(|w| is_word(w)));
        assert!(render_with(words, kdg(json!("x")), Compat::Tolerant, 1).is_err());
        assert!(render_with(words, kdg(json!(-1)), Compat::Tolerant, 1).is_err());
    }

    #[test]
    fn sentences_are_capitalised_with_a_period() {
        let lens: Vec<usize> = render("sentence", Args::default(), 500)
            .iter()
            .map(|s| check_sentence(s))
            .collect();
        assert!(lens.iter().all(|n| (3..=10).contains(n)));
        assert!(lens.contains(&3) && lens.contains(&10));
        assert_eq!(check_sentence(&render("sentence", kdg(json!(5)), 1)[0]), 5);
        for v in render("sentences", Args::default(), 100) {
            let n = v.matches(". ").count() + 1;
            assert!((2..=6).contains(&n), "{v}");
        }
        let v = &render("sentences", pos(vec![json!(3), json!("|")]), 1)[0];
        assert_eq!(v.split('|').count(), 3);
        v.split('|').for_each(|s| {
            check_sentence(s);
        });
    }

    #[test]
    fn paragraphs_and_lines() {
        for v in render("paragraph", Args::default(), 100) {
            let n = v.split(". ").count();
            assert!((3..=6).contains(&n), "{v}");
        }
        for v in render("paragraphs", Args::default(), 20) {
            assert_eq!(v.split("\n \r").count(), 3);
        }
        assert_eq!(
            render("paragraphs", pos(vec![json!(2), json!("<br>")]), 1)[0]
                .split("<br>")
                .count(),
            2
        );
        for v in render("lines", Args::default(), 100) {
            let n = v.split('\n').count();
            assert!((1..=5).contains(&n));
            v.split('\n').for_each(|s| {
                check_sentence(s);
            });
        }
        assert_eq!(render("lines", kdg(json!(4)), 1)[0].split('\n').count(), 4);
        assert!(render("text", Args::default(), 50).iter().all(|v| !v.is_empty()));
    }
}
