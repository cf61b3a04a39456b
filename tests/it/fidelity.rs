//! The differential test against the real faker.js 3.1.0 with KDG's additions (issue 14): every
//! faker method, bare and with the arguments users typically pass, rendered many times by
//! faker.js (`tests/fakerjs/driver.js`) and by kdg in both compatibility modes, must agree in
//! shape, variety, length and numeric range (the bar is on [`Verdict`]).
//!
//! Vocabulary is not compared (faker's lists are not ours to copy); the distributions are.
//! Methods known not to meet the bar yet are listed in [`KNOWN_FAILING`], with what is wrong, so
//! the test stays green while the list documents the gap; a listed method that starts passing
//! is reported, so the list only shrinks.

use std::collections::{BTreeMap, HashSet};
use std::process::Command;

use kdg::faker::{self, Compat};
use kdg::template::{Options, Template};
use serde_json::{json, Value};

use crate::common;

/// Draws per case and engine: the 5,000 the bar is stated for (about 45 s on a 2-core machine in
/// a debug build). `KDG_FIDELITY_DRAWS` overrides.
const DRAWS: usize = 5000;

/// Methods that do not meet the bar yet, and how they differ. Remove a method once it passes.
const KNOWN_FAILING: &[(&str, &str)] = &[];

/// One template to render with both engines.
struct Case {
    /// The template (KDG syntax).
    tpl: String,
    /// What faker.js does with a tolerant-mode comma list, called with these arguments
    /// directly; `None` when tolerant mode deliberately gives a better value than KDG's `NaN`,
    /// and only strict mode is compared.
    call: Option<(String, Value)>,
    /// Whether the values are clock readings (`date.now`): numeric checks do not apply, the
    /// two engines read the clock at different moments.
    clock: bool,
}

fn case(tpl: &str) -> Case {
    Case {
        tpl: tpl.to_string(),
        call: Some((String::new(), Value::Null)),
        clock: tpl.contains("date.now") || tpl.contains("date.utc"),
    }
}

/// A comma list: strict mode gets KDG's one-string argument, tolerant mode an argument list,
/// compared with faker called with `args` (or not compared, `None`).
fn comma(tpl: &str, call: Option<(&str, Value)>) -> Case {
    Case {
        tpl: tpl.to_string(),
        call: call.map(|(m, a)| (m.to_string(), a)),
        clock: false,
    }
}

/// The arguments users typically pass, per method (the bare call is always a case too).
fn variants() -> Vec<(&'static str, Case)> {
    vec![
        ("random.number", case("{{random.number(50)}}")),
        ("random.number", case(r#"{{random.number({"min":10,"max":150})}}"#)),
        (
            "random.number",
            case(r#"{{random.number({"min":1,"max":3,"precision":0.1})}}"#),
        ),
        (
            "random.number",
            case(r#"{{random.number.float({"min":1,"max":99,"precision":0.01})}}"#),
        ),
        ("random.number", comma("{{random.number(1,10)}}", None)),
        (
            "random.arrayElement",
            case(r#"{{random.arrayElement(["OK","FAIL","WARN"])}}"#),
        ),
        (
            "random.weightedArrayElement",
            case(r#"{{random.weightedArrayElement({"weights":[0.6,0.3,0.1],"data":["a","b","c"]})}}"#),
        ),
        (
            "random.objectElement",
            case(r#"{{random.objectElement({"a":"x","b":"y"})}}"#),
        ),
        ("random.words", case("{{random.words(5)}}")),
        ("finance.amount", case("{{finance.amount(100)}}")),
        (
            "finance.amount",
            comma(
                "{{finance.amount(100,200,2)}}",
                Some(("finance.amount", json!([100, 200, 2]))),
            ),
        ),
        ("finance.account", case("{{finance.account(5)}}")),
        ("finance.mask", case("{{finance.mask(6)}}")),
        ("commerce.price", case("{{commerce.price(10)}}")),
        ("date.past", case("{{date.past(10)}}")),
        ("date.future", case("{{date.future(5)}}")),
        ("date.recent", case("{{date.recent(3)}}")),
        ("date.now", case(r#"{{date.now("YYYY-MM-DD")}}"#)),
        ("date.now", case("{{date.now(DD/MMM/YYYY:HH:mm:ss ZZ)}}")),
        ("date.utc", case(r#"{{date.utc("YYYY-MM-DD HH:mm:ss.SSS")}}"#)),
        ("date.month", case(r#"{{date.month({"abbr":true})}}"#)),
        ("date.weekday", case(r#"{{date.weekday({"abbr":true})}}"#)),
        ("lorem.words", case("{{lorem.words(5)}}")),
        ("lorem.sentence", case("{{lorem.sentence(5)}}")),
        ("lorem.sentences", case("{{lorem.sentences(2)}}")),
        ("lorem.paragraph", case("{{lorem.paragraph(2)}}")),
        ("lorem.paragraphs", case("{{lorem.paragraphs(2)}}")),
        ("lorem.lines", case("{{lorem.lines(2)}}")),
        ("helpers.replaceSymbols", case("{{helpers.replaceSymbols(\"###-??\")}}")),
        (
            "helpers.replaceSymbolWithNumber",
            case("{{helpers.replaceSymbolWithNumber(\"##-##\")}}"),
        ),
        ("helpers.slugify", case(r#"{{helpers.slugify("Hello World")}}"#)),
        ("helpers.shuffle", case(r#"{{helpers.shuffle(["a","b","c"])}}"#)),
        ("helpers.randomize", case(r#"{{helpers.randomize(["a","b","c"])}}"#)),
        ("phone.phoneNumber", case("{{phone.phoneNumber(\"###-###-####\")}}")),
        ("phone.phoneNumberFormat", case("{{phone.phoneNumberFormat(0)}}")),
        ("phone.phoneNumberFormat", case("{{phone.phoneNumberFormat(3)}}")),
        ("address.zipCode", case("{{address.zipCode(\"#####\")}}")),
        ("address.city", case("{{address.city(0)}}")),
        ("address.streetAddress", case("{{address.streetAddress(true)}}")),
        (
            "address.nearbyGPSCoordinate",
            case(r#"{{address.nearbyGPSCoordinate({"coordinate":[47.6,-122.3],"radius":5})}}"#),
        ),
        ("company.companyName", case("{{company.companyName(0)}}")),
        ("internet.password", case("{{internet.password(8)}}")),
        ("image.imageUrl", case("{{image.imageUrl(200)}}")),
        ("system.fileExt", case(r#"{{system.fileExt("image/png")}}"#)),
        ("system.commonFileName", case(r#"{{system.commonFileName("pdf")}}"#)),
        // Arguments faker ignores (docs/templates.md#case-22).
        ("commerce.department", case("{{commerce.department(5)}}")),
        ("lorem.word", case("{{lorem.word(5)}}")),
        ("random.word", case(r#"{{random.word("noun")}}"#)),
        ("system.commonFileExt", case(r#"{{system.commonFileExt("image")}}"#)),
        ("system.fileName", case(r#"{{system.fileName("txt")}}"#)),
    ]
}

/// Bare calls KDG itself cannot make (it throws), so there is nothing to compare.
const NOT_COMPARED_BARE: &[&str] = &["date.simTime", "address.nearbyGPSCoordinate", "date.between"];

/// A value's shape: letters become `a`, digits `9`, everything else stays; runs collapse.
fn signature(v: &str) -> String {
    let mut s = String::new();
    for c in v.chars() {
        let c = if c.is_alphabetic() {
            'a'
        } else if c.is_ascii_digit() {
            '9'
        } else {
            c
        };
        if !s.ends_with(c) {
            s.push(c);
        }
    }
    s
}

/// The share of `values` whose signature is in `sigs`.
fn agreement(values: &[String], sigs: &HashSet<String>) -> f64 {
    values.iter().filter(|v| sigs.contains(&signature(v))).count() as f64 / values.len().max(1) as f64
}

fn sigs(values: &[String]) -> HashSet<String> {
    values.iter().map(|v| signature(v)).collect()
}

fn mean(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let n = xs.clone().count().max(1) as f64;
    xs.sum::<f64>() / n
}

/// The bar of issue 14, for one case in one mode.
///
/// * shape: the share of kdg's values whose signature faker also produces, and vice versa, is
///   at least 90% of faker's agreement with itself (first half against second half); where
///   faker agrees with itself less than half the time (long text, random hex), the words'
///   shapes are compared, letters and digits as one class;
/// * variety: kdg's distinct values are within 2× of faker's;
/// * length: kdg's mean length is within 20% of faker's;
/// * numbers: the same endpoints for small integer ranges, the mean within 0.1 standard
///   deviations.
fn verdict(faker: &[String], kdg: &[String], clock: bool) -> Result<(), String> {
    let half = faker.len().min(kdg.len()) / 2;
    let (f1, f2) = (&faker[..half], &faker[half..2 * half]);
    let k1 = &kdg[..half];
    let mut own = agreement(f2, &sigs(f1)).min(agreement(f1, &sigs(f2)));
    let mut cross = agreement(k1, &sigs(f1)).min(agreement(f2, &sigs(k1)));
    if own < 0.5 {
        // Nearly every value has its own signature (long text, random hex), so whole values
        // hardly agree even within faker; compare the shapes of their words instead, with
        // letters and digits as one class.
        let words = |v: &[String]| -> Vec<String> {
            v.iter()
                .flat_map(|s| s.split_whitespace())
                .map(|w| signature(&w.replace(|c: char| c.is_alphanumeric(), "a")))
                .collect()
        };
        let (w1, w2, wk) = (words(f1), words(f2), words(k1));
        own = agreement(&w2, &sigs(&w1)).min(agreement(&w1, &sigs(&w2)));
        cross = agreement(&wk, &sigs(&w1)).min(agreement(&w2, &sigs(&wk)));
    }
    let mut problems = Vec::new();
    if cross < 0.9 * own {
        let mut only_kdg: Vec<String> = sigs(k1).difference(&sigs(faker)).take(3).cloned().collect();
        only_kdg.sort();
        problems.push(format!(
            "shape: agreement {cross:.2} < 0.9 × faker's own {own:.2} (kdg shapes faker never writes, e.g. {only_kdg:?}; \
             faker e.g. {:?}, kdg e.g. {:?})",
            &faker[0],
            &kdg[0]
        ));
    }
    let distinct = |v: &[String]| v.iter().collect::<HashSet<_>>().len() as f64;
    let (df, dk) = (distinct(faker), distinct(kdg));
    if !clock && (dk > 2.0 * df || dk < df / 2.0) {
        problems.push(format!("variety: {dk} distinct values, faker {df}"));
    }
    let len = |v: &[String]| mean(v.iter().map(|s| s.chars().count() as f64));
    let (lf, lk) = (len(faker), len(kdg));
    if (lk - lf).abs() > 0.2 * lf.max(1.0) {
        problems.push(format!("length: mean {lk:.1} characters, faker {lf:.1}"));
    }
    let nums = |v: &[String]| {
        v.iter()
            .map(|s| s.parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect::<Option<Vec<f64>>>()
    };
    if let (false, Some(nf), Some(nk)) = (clock, nums(faker), nums(kdg)) {
        let (mf, mk) = (mean(nf.iter().copied()), mean(nk.iter().copied()));
        let sd = mean(nf.iter().map(|x| (x - mf).powi(2))).sqrt();
        if (mk - mf).abs() > 0.1 * sd + 1e-9 * mf.abs() {
            problems.push(format!("mean {mk:.3}, faker {mf:.3} (sd {sd:.3})"));
        }
        let whole = |v: &[f64]| v.iter().all(|x| x.fract() == 0.0);
        // A small range: at least 20 draws per value, so both engines reach both ends.
        if whole(&nf) && df * 20.0 <= faker.len() as f64 {
            let lo_hi = |v: &[f64]| {
                (
                    v.iter().copied().fold(f64::MAX, f64::min),
                    v.iter().copied().fold(f64::MIN, f64::max),
                )
            };
            if lo_hi(&nf) != lo_hi(&nk) {
                problems.push(format!("range {:?}, faker {:?}", lo_hi(&nk), lo_hi(&nf)));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Render `tpl` `n` times with kdg (UTC, the clock's real instant per record).
fn kdg_values(tpl: &str, compat: Compat, n: usize) -> Result<Vec<String>, String> {
    let opts = Options {
        compat,
        tz: jiff::tz::TimeZone::UTC,
        row_fields: None,
    };
    let t = Template::compile(tpl, "fidelity", &opts).map_err(|e| e.to_string())?;
    let mut ctx = t.context(14, "fidelity");
    let mut out = Vec::new();
    Ok((0..n as u64)
        .map(|i| {
            out.clear();
            t.render(&mut ctx, i, jiff::Timestamp::now().as_millisecond(), &mut out);
            String::from_utf8_lossy(&out).into_owned()
        })
        .collect())
}

/// Run the faker.js driver over every case: id → values, or faker's error.
fn faker_values(modules: &std::path::Path, cases: &[Value], n: usize) -> BTreeMap<String, Result<Vec<String>, String>> {
    let dir = tempfile::tempdir().expect("temp dir");
    let spec = dir.path().join("cases.json");
    std::fs::write(&spec, json!({"n": n, "cases": cases}).to_string()).expect("write cases");
    let out = Command::new("node")
        .arg(common::root().join("tests/fakerjs/driver.js"))
        .arg(&spec)
        .env("NODE_PATH", modules)
        .env("TZ", "UTC")
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "the faker.js driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: BTreeMap<String, Value> = serde_json::from_slice(&out.stdout).expect("the driver prints JSON");
    all.into_iter()
        .map(|(id, v)| {
            let r = match (&v["values"], &v["error"]) {
                (Value::Array(vals), _) => Ok(vals
                    .iter()
                    .map(|s| s.as_str().unwrap_or_default().to_string())
                    .collect()),
                (_, e) => Err(e.as_str().unwrap_or("?").to_string()),
            };
            (id, r)
        })
        .collect()
}

#[test]
fn faker_methods_match_faker_js_3_1_0_in_shape_variety_length_and_range() {
    let _machine = common::shared();
    let Some(modules) = common::fakerjs() else { return };
    let n = std::env::var("KDG_FIDELITY_DRAWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DRAWS);
    // Every method of every namespace, bare, then the typical arguments.
    let mut cases: Vec<(String, Case)> = Vec::new();
    let mut all_methods = Vec::new();
    for ns in faker::NAMESPACES {
        for m in faker::methods(ns).expect("namespace") {
            let name = format!("{ns}.{m}");
            if !NOT_COMPARED_BARE.contains(&name.as_str()) {
                cases.push((name.clone(), case(&format!("{{{{{name}}}}}"))));
            }
            all_methods.push(name);
        }
    }
    cases.extend(variants().into_iter().map(|(m, c)| (m.to_string(), c)));
    let mut oracle = Vec::new();
    for (i, (_, c)) in cases.iter().enumerate() {
        oracle.push(json!({"id": format!("t{i}"), "tpl": c.tpl}));
        if let Some((m, args)) = &c.call {
            if !m.is_empty() {
                oracle.push(json!({"id": format!("c{i}"), "call": m, "args": args}));
            }
        }
    }
    let faker_out = faker_values(&modules, &oracle, n);

    let mut failures: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (i, (method, c)) in cases.iter().enumerate() {
        for compat in [Compat::Tolerant, Compat::Strict] {
            let reference = match (compat, &c.call) {
                (Compat::Strict, _) => &faker_out[&format!("t{i}")],
                (Compat::Tolerant, Some((m, _))) if m.is_empty() => &faker_out[&format!("t{i}")],
                (Compat::Tolerant, Some(_)) => &faker_out[&format!("c{i}")],
                // Tolerant mode reads the comma list as an argument list: a better value than
                // KDG's, by design (docs/templates.md#case-6).
                (Compat::Tolerant, None) => continue,
            };
            let mode = format!("{compat:?}").to_lowercase();
            // Where faker throws there is nothing to match; kdg may render or refuse.
            let Ok(reference) = reference else { continue };
            // A tag whose value is empty makes KDG's whole record empty, and KDG then prints its
            // error text instead; kdg prints the empty value (docs/templates.md#quirks-not-reproduced).
            let reference: Vec<String> = reference
                .iter()
                .map(|v| {
                    if v == "string parameter is required!" {
                        String::new()
                    } else {
                        v.clone()
                    }
                })
                .collect();
            let verdict = match kdg_values(&c.tpl, compat, n) {
                Err(e) => Err(format!("kdg refuses a template faker renders: {e}")),
                Ok(ours) => verdict(&reference, &ours, c.clock),
            };
            if let Err(e) = verdict {
                failures
                    .entry(method.clone())
                    .or_default()
                    .push(format!("{} [{mode}]: {e}", c.tpl));
            }
        }
    }

    let passed = all_methods.iter().filter(|m| !failures.contains_key(*m)).count();
    println!("faker fidelity: {passed}/{} methods", all_methods.len());
    for (m, why) in &failures {
        let known = KNOWN_FAILING.iter().any(|(k, _)| k == m);
        println!("  {} {m}", if known { "known:" } else { "NEW:  " });
        for w in why {
            println!("      {w}");
        }
    }
    for (m, _) in KNOWN_FAILING {
        if !failures.contains_key(*m) {
            println!("  now passes, remove it from KNOWN_FAILING: {m}");
        }
    }
    let unexpected: Vec<&String> = failures
        .keys()
        .filter(|m| !KNOWN_FAILING.iter().any(|(k, _)| k == m))
        .collect();
    assert!(
        unexpected.is_empty(),
        "methods that differ from faker.js 3.1.0 (see above): {unexpected:?}"
    );
}

/// Every template file under `tests/fixtures/kdg/` (KDG's published templates and the corpus of
/// constructs users write): where faker.js renders it, kdg's tolerant mode renders it too, and
/// to JSON wherever faker's output is JSON.
#[test]
fn every_fixture_template_faker_js_renders_renders_in_tolerant_mode() {
    let _machine = common::shared();
    let Some(modules) = common::fakerjs() else { return };
    let dir = common::root().join("tests/fixtures/kdg");
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for sub in [dir.clone(), dir.join("corpus")] {
        for e in std::fs::read_dir(&sub).expect("fixtures") {
            let p = e.expect("entry").path();
            if p.extension().is_some_and(|x| x == "txt") {
                files.push(p);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 15, "{files:?}");
    let sources: Vec<String> = files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("read"))
        .collect();
    let cases: Vec<Value> = sources
        .iter()
        .enumerate()
        .map(|(i, src)| json!({"id": format!("f{i}"), "tpl": src}))
        .collect();
    let faker_out = faker_values(&modules, &cases, 20);
    let mut rendered_by_faker = 0;
    for (i, (path, src)) in files.iter().zip(&sources).enumerate() {
        let name = path.strip_prefix(&dir).unwrap_or(path).display().to_string();
        let Ok(theirs) = &faker_out[&format!("f{i}")] else {
            continue;
        };
        rendered_by_faker += 1;
        let ours =
            kdg_values(src, Compat::Tolerant, 20).unwrap_or_else(|e| panic!("{name}: faker renders it, kdg: {e}"));
        let json = |v: &String| serde_json::from_str::<Value>(v).is_ok();
        if theirs.iter().all(json) {
            for v in &ours {
                assert!(json(v), "{name}: faker's output is JSON, kdg's is not: {v}");
            }
        }
    }
    assert!(
        rendered_by_faker >= 12,
        "faker rendered only {rendered_by_faker} fixtures"
    );
}
