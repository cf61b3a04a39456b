//! Resource limits of templates (issue 18): source size, nesting, `#repeat` expansion and the
//! record cap, each an error with file:line:col at compile time or a bounded render.

use super::*;

fn compile(src: &str) -> Result<Template, TemplateError> {
    Template::compile(src, "t.hbs", &Options::default())
}

#[test]
fn nested_repeats_beyond_the_expansion_limit_are_refused_at_the_outer_block() {
    let e = compile("ab\n  {{#repeat 1000}}{{#repeat 1000}}{{#repeat 1000}}x{{/repeat}}{{/repeat}}{{/repeat}}")
        .unwrap_err();
    assert_eq!((e.line, e.column), (2, 3), "{e}");
    assert!(e.message.contains("MAX_REPEAT_EXPANSION"), "{e}");
    let e = compile("{{#repeat 100000}}{{#repeat 100000}}x{{/repeat}}{{/repeat}}").unwrap_err();
    assert!(
        e.to_string().starts_with("t.hbs:1:1: ") && e.message.contains("10000000000"),
        "{e}"
    );
    // #each multiplies too; a range counts at its maximum.
    let e = compile("{{#each [1,2,3,4,5,6,7,8,9,10,11]}}{{#repeat 1 100000}}x{{/repeat}}{{/each}}").unwrap_err();
    assert!(e.message.contains("MAX_REPEAT_EXPANSION"), "{e}");
    // Exactly at the limit compiles.
    assert!(compile("{{#repeat 1000}}{{#repeat 1000}}x{{/repeat}}{{/repeat}}").is_ok());
}

#[test]
fn deep_helper_nesting_is_refused_with_its_position() {
    let deep = |helper: &str, n: usize| {
        format!(
            "{{{{{}name.firstName{}}}}}",
            format!("{helper} (").repeat(n),
            ")".repeat(n)
        )
    };
    // 1000 deep, the parser's own stack limit refuses it; 20 deep, the escape limit does.
    let e = compile(&format!("x\n{}", deep("json", 999))).unwrap_err();
    assert_eq!(e.line, 2, "{e}");
    let e = compile(&format!("x\n{}", deep("json", 20))).unwrap_err();
    assert_eq!((e.line, e.column), (2, 1), "{e}");
    assert!(e.message.contains("MAX_ESCAPE_NESTING"), "{e}");
    assert!(compile(&deep("json", MAX_ESCAPE_NESTING)).is_ok());
    // Deeper than the parser's stack: an error with a position, not a crash.
    let e = compile(&deep("lowercase", 1000)).unwrap_err();
    assert_eq!(e.line, 1, "{e}");
}

#[test]
fn a_template_above_the_size_limit_is_refused_before_parsing() {
    let big = "{{seq}}".repeat(MAX_TEMPLATE_BYTES / 7 + 1);
    let e = compile(&big).unwrap_err();
    assert_eq!((e.line, e.column), (1, 1));
    assert!(e.message.contains("MAX_TEMPLATE_BYTES"), "{e}");
}

#[test]
fn rendering_stops_at_the_record_cap() {
    // 1000 × 1000 × 100 bytes = 100 MB per record, above the 64 MiB cap.
    let t = compile(&format!(
        "{{{{#repeat 1000}}}}{{{{#repeat 1000}}}}{}{{{{/repeat}}}}{{{{/repeat}}}}",
        "x".repeat(100)
    ))
    .expect("within the expansion limit");
    let mut ctx = t.context(1, "run");
    let mut out = b"before".to_vec();
    assert!(!t.render(&mut ctx, 0, 0, &mut out));
    assert_eq!(out.len(), 6 + MAX_RECORD_BYTES);
    // Escapes are capped too: the inner text never grows past the room left.
    let t = compile(&format!("{{{{json (json (json \"{}\"))}}}}", "\\\"".repeat(10))).expect("compiles");
    let mut out = Vec::new();
    assert!(t.render(&mut t.context(1, "run"), 0, 0, &mut out));
}

/// Every template the repository holds, and constructs that a cut could change (trimming,
/// standalone lines, `{{else}}`, raw blocks, escapes, `}}}`), compile to the same records (or
/// the same error) when the parser reads them cut at every place it may as when it reads them
/// whole.
#[test]
fn a_template_read_in_pieces_renders_as_one_read_whole() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources: Vec<(String, String)> = Vec::new();
    for dir in ["templates", "tests/fixtures/kdg", "tests/fixtures/kdg/corpus"] {
        for entry in std::fs::read_dir(root.join(dir)).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                let text = std::fs::read_to_string(&path).expect("utf-8 fixture");
                sources.push((path.display().to_string(), text));
            }
        }
    }
    for tricky in [
        "a{{seq}}b {{seq}}  {{~seq}}c{{seq~}}  d{{seq}}e",
        "{\"a\":{{seq}}}, {\"b\":{{{seq}}}}x{{seq}}y",
        "{{#if seq}}{{seq}}x{{else}}{{seq}}y{{/if}}z{{seq}}w",
        "{{#repeat 3}}{{seq}},{{/repeat}}{{seq}};{{#each (array 1 2)}}{{this}}-{{/each}}",
        "x{{seq}}\\{{seq}}y{{seq}}z\\\\{{seq}}q",
        "{{{{raw}}}}{{seq}}a{{seq}}b{{{{/raw}}}}c{{seq}}d",
        "{{! a comment }}e{{seq}}f{{!-- }} --}}g{{seq}}h",
        "k {{#if seq}}\n  {{seq}}\n{{/if}}\nl{{seq}}m {{^if seq}}n{{/if}}o{{seq}}p",
        "{{random.number(5)}}a{{name.firstName}}b{{random.number({\"min\":1,\"max\":9})}}c",
        "{{#if seq}}unclosed{{seq}}x",
        "x{{seq}}y{{/if}}z{{seq}}w",
        "{{seq}}{{seq}}{{#if seq}}\n{{seq}}{{/if}} {{seq}}  {{#each (array 1)}}  \n x{{/each}}{{seq}}\t{{~seq}} {{{seq}}}",
        "{{seq}} {{! c }} {{seq}}\r\n  {{#if seq}}\r\n{{seq}}{{/if}}\r\n{{seq}}{{~seq}}  {{seq~}}  {{seq}}",
        "{{seq}}\n{{seq}}\n{{name.firstName}}\n{{seq}} \t {{^if seq}} {{/if}} {{seq}}",
        "{{seq}}}x{{seq}} y\\{{seq}} {{true}} {{this}} {{null}} z{{seq}}{{{seq}}} {{ seq }}",
        "{\"a\":{\"b\":{{seq}}}} a}}b{{seq}}c}} {{name.firstName}}{{random.number(5)}}{{uuid}}",
        "{{seq}} {{nosuch}} {{seq}}",
        "x{{seq}} {{name.nosuch}}",
        "{{seq}}{{random.number({\"min\":1,\"max\":9})}} {{finance.amount(1,2,3)}}-{{seq}}",
        "{{#if seq}}a{{/if}}{{#if seq}}b{{/if}}{{#each (array 1 2)}}{{this}}{{/each}}x{{#repeat 2}}y{{/repeat}}",
        "{{#if seq}}a{{/if}} {{#if seq}}\r\n b{{/if}}\r\n{{#if seq}}c{{/if}} \t{{#if seq}}\r\n{{/if}}z",
        "{{#if seq}}a {{/if}}{{#if seq}} b{{/if}}  {{#if seq}}{{seq}}{{/if}}{{#if seq}}  {{/if}}  e",
        "{{#if seq}}a{{/if~}}  {{seq}} {{#if seq}}{{~seq}}{{/if}} {{~#if seq}} f {{~/if}} g",
        "{{#unless seq}}a{{else}}b{{/unless}}{{^if seq}}c{{/if}}d{{#if seq}}{{else}}h{{/if}}i",
        "{{{{raw}}}}{{/if}}{{seq}}x{{{{/raw}}}}{{#if seq}}j{{/if}}{{{{raw}}}}k{{{{/raw}}}}l",
    ] {
        sources.push((format!("{tricky:?}"), tricky.to_string()));
    }
    let records = |t: &Template| -> Vec<Vec<u8>> {
        let mut ctx = t.context(7, "run-1");
        (0..5)
            .map(|n| {
                let mut out = Vec::new();
                t.render(&mut ctx, n, 1_266_161_150_123, &mut out);
                out
            })
            .collect()
    };
    let mut cut = 0;
    for (name, src) in &sources {
        for compat in [Compat::Tolerant, Compat::Strict] {
            let o = Options {
                compat,
                tz: jiff::tz::TimeZone::UTC,
                ..Options::default()
            };
            let whole = compile::compile_in_pieces(src, "t", &o, usize::MAX, false);
            let pieces = compile::compile_in_pieces(src, "t", &o, 1, true);
            cut += scan::scan(src, compat).map_or(0, |s| s.pieces(1).len() - 1);
            match (whole, pieces) {
                (Ok(w), Ok(p)) => assert_eq!(records(&w), records(&p), "{name} ({compat:?})"),
                (Err(w), Err(p)) => assert_eq!(w, p, "{name} ({compat:?})"),
                (w, p) => panic!("{name} ({compat:?}): whole {:?}, in pieces {:?}", w.err(), p.err()),
            }
        }
    }
    assert!(cut > 100, "the templates were cut in {cut} places only");
}

/// A 1 MiB template of tags is read by the parser in short pieces (so compiling it is linear
/// in its size, `benches/render.rs` `compile/*`), and renders every tag; so are tags on lines
/// of their own or between spaces, with nothing else between them.
#[test]
fn a_megabyte_of_tags_is_parsed_in_short_pieces_and_renders_every_tag() {
    for unit in [
        "{{seq}}\n",
        "{{seq}} ",
        "{{seq}}{{seq}}\t",
        "{{#if seq}}a{{/if}}",
        "{{#each (range 3)}}{{@index}}{{/each}}\n",
    ] {
        let src = unit.repeat(1 << 17);
        let pieces = scan::scan(&src, Compat::Tolerant)
            .expect("scans")
            .pieces(compile::PIECE_BYTES)
            .len();
        assert!(
            pieces >= src.len() / (2 * compile::PIECE_BYTES),
            "{unit:?}: {pieces} pieces"
        );
    }
    let src = "{{seq}},".repeat(1 << 17);
    let scanned = scan::scan(&src, Compat::Tolerant).expect("scans");
    let pieces = scanned.pieces(compile::PIECE_BYTES);
    assert!(
        pieces.len() >= src.len() / (2 * compile::PIECE_BYTES),
        "{} pieces",
        pieces.len()
    );
    assert!(pieces.iter().all(|(_, p)| p.len() < compile::PIECE_BYTES + 16));
    let t = compile(&src).expect("compiles");
    let mut ctx = t.context(1, "run-1");
    let mut out = Vec::new();
    t.render(&mut ctx, 41, 0, &mut out);
    assert_eq!(out.len(), "42,".len() << 17);
}
