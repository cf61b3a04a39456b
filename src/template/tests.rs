//! Template compiler tests: KDG templates, Handlebars syntax, errors, reproducibility.

use super::*;

/// 2010-02-14T15:25:50.123Z, the instant of the moment golden table (`kdg.md` §2.4).
const T0: i64 = 1_266_161_150_123;

fn opts() -> Options {
    Options {
        compat: Compat::Tolerant,
        tz: jiff::tz::TimeZone::UTC,
        ..Options::default()
    }
}

fn strict() -> Options {
    Options {
        compat: Compat::Strict,
        tz: jiff::tz::TimeZone::UTC,
        ..Options::default()
    }
}

fn compile(src: &str) -> Template {
    Template::compile(src, "t.hbs", &opts()).unwrap_or_else(|e| panic!("{e}"))
}

fn render_n(t: &Template, seed: u64, n: u64) -> String {
    let mut ctx = t.context(seed, "run-1");
    let mut out = Vec::new();
    t.render(&mut ctx, n, T0, &mut out);
    String::from_utf8(out).expect("utf8")
}

fn error(src: &str, o: &Options) -> TemplateError {
    match Template::compile(src, "t.hbs", o) {
        Ok(_) => panic!("{src:?} compiled"),
        Err(e) => e,
    }
}

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/kdg/{name}.txt", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("fixture")
}

#[test]
fn price_template_renders_kdg_shape() {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/price.hbs")).unwrap();
    let t = compile(&src);
    for n in 0..200 {
        let rec = render_n(&t, 1, n);
        assert!(!rec.contains('\n'), "line feeds are deleted: {rec}");
        let v: Value = serde_json::from_str(&rec).unwrap_or_else(|e| panic!("{rec}: {e}"));
        assert!((0..=50).contains(&v["instrument_id"].as_i64().unwrap()));
        assert!((1..=15).contains(&v["price"].as_i64().unwrap()));
        assert_eq!(v["ts"], "2010-02-14T15:25:50+00:00");
    }
}

#[test]
fn every_kdg_reference_template_renders_valid_output() {
    for name in ["t1", "t2", "t3", "t4", "t6", "t7"] {
        let t = compile(&fixture(name));
        for n in 0..50 {
            let rec = render_n(&t, 9, n);
            serde_json::from_str::<Value>(&rec).unwrap_or_else(|e| panic!("{name} record {n}: {e}\n{rec}"));
        }
    }
    let t5 = compile(&fixture("t5"));
    let line = render_n(&t5, 9, 0);
    assert!(
        line.contains(" - ") && line.contains("[14/Feb/2010:15:25:50 +0000] \""),
        "{line}"
    );
}

#[test]
fn kdg_reference_templates_pass_strict_mode_too() {
    for name in ["t1", "t2", "t3", "t4", "t5", "t6", "t7"] {
        Template::compile(&fixture(name), name, &strict()).unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn t1_keeps_spacing_and_renders_prequoted_weighted_strings() {
    let t = compile(&fixture("t1"));
    let rec = render_n(&t, 4, 7);
    assert!(rec.contains(",      \"activity_type\": \""), "{rec}");
    let v: Value = serde_json::from_str(&rec).unwrap();
    assert!(["Running", "Working", "Walking", "Traveling", "Sitting"].contains(&v["activity_type"].as_str().unwrap()));
    assert!([32, 34, 28, 40].contains(&v["device_temp"].as_i64().unwrap()));
    assert_eq!(v["device_ts"], "2010-02-14 15:25:50.123");
}

#[test]
fn same_seed_same_record_whatever_the_order() {
    let t = compile(&fixture("t6"));
    let forward: Vec<String> = (0..20).map(|n| render_n(&t, 77, n)).collect();
    let mut ctx = t.context(77, "run-1");
    for n in (0..20).rev() {
        let mut out = Vec::new();
        t.render(&mut ctx, n, T0, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), forward[n as usize]);
    }
    assert_ne!(render_n(&t, 78, 0), forward[0]);
}

#[test]
fn handlebars_syntax_with_named_and_positional_arguments() {
    let t = compile(r#"{{random.number min=5 max=5}}|{{date.now "YYYY-MM-DD"}}|{{random.arrayElement ["x"]}}"#);
    assert_eq!(render_n(&t, 1, 0), "5|2010-02-14|x");
}

#[test]
fn blocks_each_if_repeat() {
    let t = compile(r#"[{{#each ["a","b","c"]}}{{this}}{{@index}}{{#unless @last}},{{/unless}}{{/each}}]"#);
    assert_eq!(render_n(&t, 1, 0), "[a0,b1,c2]");
    let t = compile(r#"{{#each [{"k":1},{"k":2}]}}{{this.k}}{{/each}}"#);
    assert_eq!(render_n(&t, 1, 0), "12");
    let t = compile(r#"[{{#repeat 3}}{"i":{{@index}}}{{/repeat}}]"#);
    assert_eq!(render_n(&t, 1, 0), r#"[{"i":0},{"i":1},{"i":2}]"#);
    let t = compile(r#"{{#repeat 2 separator="-"}}x{{/repeat}}"#);
    assert_eq!(render_n(&t, 1, 0), "x-x");
    let t = compile(r#"{{#repeat min=1 max=3}}x{{/repeat}}"#);
    for n in 0..50 {
        let r = render_n(&t, 1, n);
        assert!(["x", "x,x", "x,x,x"].contains(&r.as_str()), "{r}");
    }
    let t = compile(r#"{{#if (random.arrayElement [true])}}yes{{else}}no{{/if}}{{#if 0}}yes{{else}}no{{/if}}"#);
    assert_eq!(render_n(&t, 1, 0), "yesno");
}

#[test]
fn extras_seq_uuid_run_id_and_json_escaping() {
    let t = compile(r#"{{seq}} {{run.id}} {{json "a\"b"}} {{escape "x\ny"}}"#);
    assert_eq!(render_n(&t, 1, 42), r#"42 run-1 "a\"b" x\ny"#);
    let t = compile("{{uuid}}");
    assert_eq!(render_n(&t, 1, 0).len(), 36);
}

#[test]
fn nested_json_braces_work_in_tolerant_mode() {
    let src = r#"{"a":{"b":{"c":1}},"d":"{{random.arrayElement(["x"])}}"}"#;
    assert_eq!(render_n(&compile(src), 1, 0), r#"{"a":{"b":{"c":1}},"d":"x"}"#);
    assert!(error(src, &strict()).message.contains("Invalid module"));
}

#[test]
fn comma_lists_are_argument_lists_in_tolerant_mode() {
    let t = compile("{{random.number(7,7)}}");
    assert_eq!(render_n(&t, 1, 0), "7");
    let t = Template::compile("{{random.number(7,7)}}", "t", &strict()).unwrap();
    assert_eq!(render_n(&t, 1, 0), "NaN");
}

#[test]
fn raw_string_arguments_reach_the_method() {
    let t = compile("{{date.now(YYYY-MM-DD)}}");
    assert_eq!(render_n(&t, 1, 0), "2010-02-14");
}

#[test]
fn current_timestamp_aliases_date_now() {
    let t = compile("{{current.timestamp}}/{{current.timestamp}}");
    assert_eq!(
        render_n(&t, 1, 0),
        "2010-02-14T15:25:50+00:00/2010-02-14T15:25:50+00:00"
    );
    let e = error("{{current.timestamp}}\n{{current.timestamp}}", &strict());
    assert_eq!((e.line, e.column), (2, 1), "{e}");
}

#[test]
fn strict_mode_reproduces_kdg_errors() {
    for src in [
        "{{ random.number}}",
        "{{random.number()}}",
        r#"{{phone.phoneNumber("(###) ###-####")}}"#,
        "{{{random.number(5)}}}",
    ] {
        let e = error(src, &strict());
        assert!(e.message.contains("KDG would throw"), "{src}: {e}");
    }
    // The same templates are fine in tolerant mode.
    for src in ["{{ random.number }}", r#"{{phone.phoneNumber("(###) ###-####")}}"#] {
        compile(src);
    }
}

#[test]
fn errors_name_file_line_and_column() {
    let e = error("{\n  \"a\": {{random.nope}}\n}", &opts());
    assert_eq!((e.name.as_str(), e.line, e.column), ("t.hbs", 2, 8), "{e}");
    assert!(e.message.contains("random.nope"), "{e}");
    assert!(e.to_string().starts_with("t.hbs:2:8: "), "{e}");

    let e = error("x\n\n  {{nope.thing}}", &opts());
    assert_eq!((e.line, e.column), (3, 3), "{e}");
    assert!(e.message.contains("nope"), "{e}");

    let e = error("{\n \"p\": {{random.number(\"x\")}}\n}", &opts());
    assert_eq!(e.line, 2, "{e}");
    assert!(e.message.contains("must be a number"), "{e}");

    let e = error("a {{#each [1]}} b", &opts());
    assert_eq!(e.line, 1, "{e}");

    let e = error("ab\n {{random.number(5}}", &opts());
    assert_eq!((e.line, e.column), (2, 17), "{e}");

    assert!(error("   \n", &opts()).message.contains("empty"));
    assert!(error("{{#bogus 1}}x{{/bogus}}", &opts()).message.contains("bogus"));
    assert!(error("{{mystery}}", &opts()).message.contains("mystery"));
}

#[test]
fn unreadable_file_is_an_error_naming_it() {
    let e = Template::from_file(Path::new("/nonexistent/x.hbs"), &opts()).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/x.hbs:1:1: cannot read"), "{e}");
}

#[test]
fn arbitrary_input_never_panics() {
    // A deterministic sweep over generated strings made of template-significant pieces.
    let pieces = [
        "{{",
        "}}",
        "{",
        "}",
        "(",
        ")",
        "\"",
        "'",
        "\n",
        "random.number",
        "date.now",
        "#each",
        "/each",
        "#if",
        "else",
        "~",
        "[1,2]",
        "{\"min\":1}",
        " ",
        "x",
        "@index",
        "this",
        "!--",
        "--",
        "é",
        "\\",
        "5",
        "=",
        "current.timestamp",
        "#repeat",
        "/repeat",
        "json",
    ];
    let mut state = 0x1234_5678_u64;
    for _ in 0..20_000 {
        let mut src = String::new();
        state = crate::faker::splitmix64(state);
        let len = (state % 12) as usize;
        for _ in 0..len {
            state = crate::faker::splitmix64(state);
            src.push_str(pieces[(state % pieces.len() as u64) as usize]);
        }
        for o in [opts(), strict()] {
            if let Ok(t) = Template::compile(&src, "fuzz", &o) {
                let _ = render_n(&t, 1, 0);
            }
        }
    }
}
