//! Template compiler tests: KDG templates, Handlebars syntax, errors, reproducibility.

use super::*;

/// 2010-02-14T15:25:50.123Z, the instant of the moment golden table (`docs/templates.md#golden-table`).
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

    // kdg's own `key=value` arguments are checked; a KDG call KDG renders (`random.number("x")`
    // is `NaN`) is never refused, see tolerant_mode_renders_every_kdg_call_strict_mode_renders.
    let e = error("{\n \"p\": {{random.number max=\"x\"}}\n}", &opts());
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

fn render_all(t: &Template, seed: u64, ns: impl Iterator<Item = u64>) -> Vec<String> {
    let mut ctx = t.context(seed, "run-1");
    ns.map(|n| {
        let mut out = Vec::new();
        t.render(&mut ctx, n, T0, &mut out);
        String::from_utf8(out).expect("utf8")
    })
    .collect()
}

#[test]
fn entity_cycle_deals_each_entity_once_per_round_with_a_dense_seq() {
    let t = compile(r#"{{#entity "device" 7}}{{entity.id}} {{entity.seq}} {{entity.name}}{{/entity}}"#);
    let recs = render_all(&t, 3, 0..70);
    let mut last_seq = [None::<u64>; 7];
    for (round, chunk) in recs.chunks(7).enumerate() {
        let mut ids: Vec<u64> = Vec::new();
        for rec in chunk {
            let f: Vec<u64> = rec.split(' ').map(|x| x.parse().unwrap()).collect();
            assert_eq!(f[0], f[2], "without of=, entity.name is the id");
            assert_eq!(f[1], round as u64, "{rec}");
            // Each entity's own sequence goes 0, 1, 2, … in record order.
            assert_eq!(last_seq[f[0] as usize].map_or(0, |s| s + 1), f[1]);
            last_seq[f[0] as usize] = Some(f[1]);
            ids.push(f[0]);
        }
        ids.sort_unstable();
        assert_eq!(ids, (0..7).collect::<Vec<_>>());
    }
    assert_ne!(recs[..7], recs[7..14], "rounds are shuffled differently");
}

#[test]
fn entity_of_names_and_random_pick() {
    let t = compile(r#"{{#entity "stock" of="AAPL, MSFT,GOOG"}}{{entity.id}}={{entity.name}}{{/entity}}"#);
    for rec in render_all(&t, 1, 0..30) {
        assert!(["0=AAPL", "1=MSFT", "2=GOOG"].contains(&rec.as_str()), "{rec}");
    }
    let t = compile(r#"{{#entity "user" 50 pick="random"}}{{entity.id}} {{entity.seq}}{{/entity}}"#);
    let recs = render_all(&t, 1, 0..500);
    let ids: std::collections::HashSet<u64> = recs
        .iter()
        .enumerate()
        .map(|(n, rec)| {
            let (id, seq) = rec.split_once(' ').unwrap();
            assert_eq!(seq, n.to_string(), "a random pick's seq is the record number");
            id.parse().unwrap()
        })
        .collect();
    assert!(ids.len() > 40 && ids.iter().all(|id| *id < 50));
}

#[test]
fn entity_attrs_are_the_same_in_every_record_of_an_entity() {
    let t = compile(
        r#"{{#entity "device" 20}}{{entity.id}}|{{entity.attr "commerce.productName"}}|{{entity.attr "address.city"}}|{{entity.attr "random.number" min=1 max=1000000}}|{{random.number 1000000}}{{/entity}}"#,
    );
    let mut seen: std::collections::HashMap<String, String> = Default::default();
    let mut per_record = std::collections::HashSet::new();
    for rec in render_all(&t, 9, 0..400) {
        let (id, rest) = rec.split_once('|').unwrap();
        let (attrs, reading) = rest.rsplit_once('|').unwrap();
        per_record.insert(reading.to_string());
        let known = seen.entry(id.to_string()).or_insert_with(|| attrs.to_string());
        assert_eq!(known, attrs, "entity {id}");
    }
    assert_eq!(seen.len(), 20);
    let distinct: std::collections::HashSet<_> = seen.values().collect();
    assert!(distinct.len() > 15, "entities differ from each other");
    assert!(per_record.len() > 300, "per-record values still vary");
    // Another seed, other attributes.
    assert_ne!(render_all(&t, 10, 0..20), render_all(&t, 9, 0..20));
}

#[test]
fn entity_attrs_do_not_disturb_the_records_other_values() {
    let with = compile(r#"{{#entity "d" 5}}{{entity.attr "name.firstName"}}{{/entity}}|{{random.number 1000000}}"#);
    let without = compile(r#"{{#entity "d" 5}}{{/entity}}|{{random.number 1000000}}"#);
    for n in 0..50 {
        let a = render_n(&with, 4, n);
        assert_eq!(a.split_once('|').unwrap().1, &render_n(&without, 4, n)[1..]);
    }
}

#[test]
fn the_same_attr_twice_is_the_same_value_unless_keyed_apart() {
    let t = compile(
        r#"{{#entity "p" 100}}{{entity.attr "name.firstName"}} {{entity.attr "name.firstName"}} {{entity.attr "name.firstName" key="friend"}}{{/entity}}"#,
    );
    let mut differ = 0;
    for rec in render_all(&t, 2, 0..100) {
        let w: Vec<&str> = rec.split(' ').collect();
        assert_eq!(w[0], w[1]);
        differ += usize::from(w[0] != w[2]);
    }
    assert!(differ > 80, "{differ}");
}

#[test]
fn nested_entity_blocks_use_the_innermost() {
    let t = compile(
        r#"{{#entity "site" of="a,b"}}{{entity.name}}[{{#entity "sensor" 3}}{{entity.id}}:{{entity.seq}}{{/entity}}]{{entity.name}}{{/entity}}"#,
    );
    for (n, rec) in render_all(&t, 5, 0..12).iter().enumerate() {
        let (outer, rest) = rec.split_once('[').unwrap();
        let (inner, after) = rest.split_once(']').unwrap();
        assert_eq!(outer, after, "the outer entity is restored after the inner block");
        assert!(["a", "b"].contains(&outer));
        let (id, seq) = inner.split_once(':').unwrap();
        assert!(id.parse::<u64>().unwrap() < 3);
        assert_eq!(seq, (n / 3).to_string());
    }
}

#[test]
fn stateful_helpers_are_pure_in_seed_and_record_number() {
    let t = compile(
        r#"{{#entity "s" of="A,B,C"}}{{entity.name}} {{entity.seq}} {{walk start=100 step=1}} {{entity.attr "company.companyName"}} {{timestamp jitter="2s" late=0.1 late_by="1m"}}{{/entity}} {{walk "x" start=5}}"#,
    );
    let forward = render_all(&t, 8, 0..60);
    let mut backward = render_all(&t, 8, (0..60).rev());
    backward.reverse();
    assert_eq!(forward, backward);
    // Two processes each rendering every other record (`--instance 1/2`, `2/2`).
    for (i, rec) in render_all(&t, 8, (1..60).step_by(2)).iter().enumerate() {
        assert_eq!(rec, &forward[2 * i + 1]);
    }
}

#[test]
fn walk_in_an_entity_moves_one_step_per_appearance() {
    let t = compile(
        r#"{{#entity "stock" of="AAPL,MSFT"}}{{entity.name}} {{walk start=150 step=0.5 decimals=6}}{{/entity}}"#,
    );
    // Records rendered one by one in fresh contexts agree with one sequential pass.
    let sequential = render_all(&t, 1, 0..4000);
    for n in [0u64, 1, 2, 3, 1000, 1001, 3999] {
        assert_eq!(render_n(&t, 1, n), sequential[n as usize]);
    }
    let mut prices: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for rec in &sequential {
        let (sym, px) = rec.split_once(' ').unwrap();
        prices.entry(sym.to_string()).or_default().push(px.parse().unwrap());
    }
    for (sym, path) in &prices {
        assert_eq!(path.len(), 2000);
        assert_eq!(path[0], 150.0, "{sym} starts at start");
        let steps: Vec<f64> = path.windows(2).map(|w| w[1] - w[0]).collect();
        let mean = steps.iter().sum::<f64>() / steps.len() as f64;
        let sd = (steps.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / steps.len() as f64).sqrt();
        assert!(mean.abs() < 0.05, "{sym} mean step {mean}");
        assert!((sd - 0.5).abs() < 0.04, "{sym} step sd {sd}");
    }
    assert_ne!(prices["AAPL"], prices["MSFT"], "each symbol has its own walk");
}

#[test]
fn walk_outside_an_entity_moves_with_the_record_number() {
    let t = compile(r#"{{walk "temp" start=20 step=0.1 min=15 max=25 decimals=1}}"#);
    assert_eq!(render_n(&t, 1, 0), "20.0");
    for rec in render_all(&t, 1, 0..5000) {
        let v: f64 = rec.parse().unwrap();
        assert!((15.0..=25.0).contains(&v), "{v}");
    }
    let a = compile(r#"{{walk "a" start=20}}"#);
    assert_ne!(render_all(&a, 1, 0..50), render_all(&t, 1, 0..50));
}

#[test]
fn stateful_helper_errors_name_line_and_column() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        (
            "{\n  \"id\": {{entity.id}}",
            (2, 9),
            "only defined inside an entity block",
        ),
        (
            "x\n {{#entity \"d\" 0}}{{/entity}}",
            (2, 2),
            "count must be a whole number",
        ),
        (
            "{{#entity \"d\" 5 colour=1}}{{/entity}}",
            (1, 1),
            "unknown option `colour=`",
        ),
        ("{{#entity \"d\"}}{{/entity}}", (1, 1), "takes a name and a count"),
        ("{{#entity \"d\" 5 of=\"a,b\"}}{{/entity}}", (1, 1), "not both"),
        ("{{#entity \"d\" 5 pick=\"lru\"}}{{/entity}}", (1, 1), "pick"),
        (
            "{{#entity \"d\" 5}}\n {{entity.attr \"commerce.nope\"}}{{/entity}}",
            (2, 2),
            "commerce.nope",
        ),
        (
            "{{#entity \"d\" 5}}{{entity.attr 5}}{{/entity}}",
            (1, 18),
            "takes a faker method",
        ),
        (
            "{{#entity \"d\" 5}}{{entity.colour}}{{/entity}}",
            (1, 18),
            "unknown `entity.colour`",
        ),
        (
            "{{#entity \"d\" 5}}{{entity.id 3}}{{/entity}}",
            (1, 18),
            "takes no arguments",
        ),
        ("a {{walk \"k\" step=-1}}", (1, 3), "walk: `step` must not be negative"),
        ("{{walk \"k\" min=10 max=1}}", (1, 1), "greater"),
        ("{{walk \"k\" speed=1}}", (1, 1), "unknown option `speed=`"),
        ("{{walk start=1}}", (1, 1), "KEY"),
        ("\n\n{{timestamp late=2}}", (3, 1), "timestamp: `late`"),
        ("{{timestamp every=\"2s\"}}", (1, 1), "unknown option `every=`"),
    ];
    for (src, (line, column), msg) in cases {
        let e = error(src, &opts());
        assert_eq!((e.line, e.column), (*line, *column), "{src:?}: {e}");
        assert!(e.message.contains(msg), "{src:?}: {e}");
    }
}

#[test]
fn ticker_and_iot_fleet_templates_render_json() {
    for (file, key) in [("ticker", "symbol"), ("iot-fleet", "device_id")] {
        let path = format!("{}/templates/{file}.hbs", env!("CARGO_MANIFEST_DIR"));
        let t = compile(&std::fs::read_to_string(path).unwrap());
        for rec in render_all(&t, 1, 0..300) {
            let v: Value = serde_json::from_str(&rec).unwrap_or_else(|e| panic!("{file}: {e}\n{rec}"));
            assert!(v.get(key).is_some(), "{file}: {rec}");
        }
    }
}

fn compile_with(src: &str, o: &Options) -> Template {
    Template::compile(src, "t.hbs", o).unwrap_or_else(|e| panic!("{src:?}: {e}"))
}

#[test]
fn three_part_names_render_like_their_first_two_parts_in_both_modes() {
    // docs/templates.md#case-20: an AWS sample writes random.number.float(…).
    for o in [opts(), strict()] {
        let t = compile_with(r#"{{random.number.float({"min":1,"max":99,"precision":0.01})}}"#, &o);
        let bare = compile_with("{{random.number.float}}", &o);
        for n in 0..200 {
            let v: f64 = render_n(&t, 4, n).parse().expect("a number");
            assert!((1.0..=99.01).contains(&v), "{v}");
            let b: f64 = render_n(&bare, 4, n).parse().expect("a number");
            assert!((0.0..=99999.0).contains(&b) && b.fract() == 0.0, "{b}");
        }
    }
}

#[test]
fn escaped_quotes_in_arguments_render_in_tolerant_mode_and_give_nan_when_strict() {
    // docs/templates.md#case-21.
    let src = r#"{"year": {{random.number({\"min\":1850,\"max\":1900})}}}"#;
    let t = compile(src);
    let mut seen = std::collections::BTreeSet::new();
    for n in 0..300 {
        let v: Value = serde_json::from_str(&render_n(&t, 2, n)).expect("JSON");
        let y = v["year"].as_i64().expect("a whole year");
        assert!((1850..=1900).contains(&y), "{y}");
        seen.insert(y);
    }
    assert!(seen.len() > 40, "{seen:?}");
    let s = compile_with(src, &strict());
    assert_eq!(render_n(&s, 2, 0), r#"{"year": NaN}"#);
    // Tolerant never fails where strict renders: a `(` without a matching `)` closes at the
    // first `)`, as in KDG.
    for src in [r#"{{lorem.word(\")}}"#, r#"{{random.arrayElement(["a\"b"])}}"#] {
        let strict_out = render_n(&compile_with(src, &strict()), 1, 0);
        assert!(
            !render_n(&compile(src), 1, 0).is_empty(),
            "{src}: strict gives {strict_out:?}"
        );
    }
}

#[test]
fn arguments_faker_ignores_are_accepted_and_ignored_in_both_modes() {
    // docs/templates.md#case-22.
    for (call, bare) in [
        ("commerce.department(5)", "commerce.department"),
        ("image.image(300)", "image.image"),
        ("lorem.text(3)", "lorem.text"),
        ("lorem.word(5)", "lorem.word"),
        ("random.word(\"noun\")", "random.word"),
        ("system.commonFileExt(\"image\")", "system.commonFileExt"),
        ("system.fileName(\"txt\")", "system.fileName"),
        ("name.jobArea(1)", "name.jobArea"),
        ("random.uuid(\"v4\")", "random.uuid"),
    ] {
        for o in [opts(), strict()] {
            let with = compile_with(&format!("{{{{{call}}}}}"), &o);
            let without = compile_with(&format!("{{{{{bare}}}}}"), &o);
            for n in 0..20 {
                assert_eq!(render_n(&with, 6, n), render_n(&without, 6, n), "{call}");
            }
        }
    }
    // kdg's own `key=value` options are still checked, so a misspelling is not dropped.
    let e = error("{{commerce.department max=3}}", &opts());
    assert!(e.message.contains("takes no options"), "{e}");
}

#[test]
fn tolerant_mode_renders_every_kdg_call_strict_mode_renders() {
    // Single quotes read as double quotes: a better value than KDG's one character.
    let t = compile("{{random.arrayElement(['GET','POST'])}} {{date.now('YYYY')}}");
    for n in 0..50 {
        let v = render_n(&t, 3, n);
        assert!(v == "GET 2010" || v == "POST 2010", "{v}");
    }
    // Text tolerant mode cannot read is read as KDG reads it, never refused.
    for src in ["{{random.arrayElement(OK,FAIL)}}", "{{random.number({min:1,max:10})}}"] {
        let strict_out = render_n(&compile_with(src, &strict()), 5, 0);
        assert_eq!(render_n(&compile(src), 5, 0), strict_out, "{src}");
    }
}
