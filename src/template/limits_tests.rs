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
