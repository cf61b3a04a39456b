//! `kdg methods`: every template method with a sample that renders, as text and as JSON, and
//! the unknown-name errors that point at it with the closest names.

use std::collections::BTreeSet;

use crate::common::*;

/// Every `namespace.method` the faker registry resolves.
fn registry() -> BTreeSet<String> {
    kdg::faker::NAMESPACES
        .iter()
        .flat_map(|ns| {
            kdg::faker::methods(ns)
                .unwrap()
                .iter()
                .map(move |m| format!("{ns}.{m}"))
        })
        .collect()
}

fn methods_json(args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec!["methods", "--json"];
    all.extend_from_slice(args);
    let o = run(kdg(&all));
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .expect("kdg methods --json is JSON")
        .as_array()
        .expect("an array")
        .clone()
}

#[test]
fn methods_lists_every_method_with_a_sample_that_renders() {
    let list = methods_json(&["--seed", "7"]);
    let names: BTreeSet<String> = list.iter().map(|m| m["name"].as_str().unwrap().to_string()).collect();
    assert_eq!(names.len(), list.len(), "no method twice");
    let faker = registry();
    assert_eq!(faker.len(), 142, "the faker.js 3.1.0 API as KDG bundles it");
    let missing: Vec<_> = faker.difference(&names).collect();
    assert!(missing.is_empty(), "not listed: {missing:?}");
    for helper in [
        "seq",
        "uuid",
        "run.id",
        "json",
        "escape",
        "walk",
        "timestamp",
        "#entity",
        "entity.id",
        "entity.name",
        "entity.seq",
        "entity.attr",
    ] {
        assert!(names.contains(helper), "kdg's own `{helper}` is listed");
    }
    let entity = methods_json(&["entity"]);
    assert_eq!(
        entity.len(),
        5,
        "`kdg methods entity` is the entity block and its helpers"
    );
    let name = entity.iter().find(|m| m["name"] == "entity.name").unwrap();
    assert!(
        ["AAPL", "MSFT", "GOOG"].contains(&name["sample"].as_str().unwrap()),
        "{name}"
    );
    for m in &list {
        let sample = m["sample"].as_str().unwrap();
        assert!(!sample.starts_with("error:"), "{}: {sample}", m["name"]);
        for key in ["namespace", "arguments", "kdg", "handlebars"] {
            assert!(!m[key].as_str().unwrap().is_empty(), "{}: {key}", m["name"]);
        }
    }
    let number = list.iter().find(|m| m["name"] == "random.number").unwrap();
    assert_eq!(number["kdg"], r#"{{random.number({"min":1,"max":15})}}"#);
    assert_eq!(number["handlebars"], "{{random.number min=1 max=15}}");
    assert!(number["arguments"].as_str().unwrap().contains("max=99999"), "{number}");
    let n: i64 = number["sample"].as_str().unwrap().parse().unwrap();
    assert!((1..=15).contains(&n), "{number}");

    // The text listing names each of them too.
    let o = run(kdg(&["methods"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.starts_with(&format!("{} methods", list.len())), "{text}");
    for name in &names {
        assert!(
            text.contains(&format!("\n{name}  (")),
            "{name} missing from the text listing"
        );
    }
    assert!(!text.contains("error:"), "{text}");
}

#[test]
fn methods_filters_by_namespace_or_method_and_suggests_on_a_typo() {
    let random = methods_json(&["random"]);
    assert_eq!(random.len(), kdg::faker::methods("random").unwrap().len());
    assert!(random.iter().all(|m| m["namespace"] == "random"));
    let one = methods_json(&["date.now"]);
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["name"], "date.now");

    let o = run(kdg(&["methods", "rndom"]));
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("did you mean `random`"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}

#[test]
fn unknown_method_errors_suggest_close_names_and_point_at_kdg_methods() {
    let dir = tempfile::tempdir().unwrap();
    for (src, near, points_at) in [
        (
            "{{random.nmber(5)}}",
            "did you mean `random.number`?",
            "`kdg methods random`",
        ),
        (
            "{{random.nmber 5}}",
            "did you mean `random.number`?",
            "`kdg methods random`",
        ),
        (
            "{{name.lastname}}",
            "did you mean `name.lastName`",
            "`kdg methods name`",
        ),
        ("{{nmae.firstName}}", "", "`kdg methods`"),
    ] {
        let t = dir.path().join("t.hbs");
        std::fs::write(&t, src).unwrap();
        let o = run(kdg(&["render", t.to_str().unwrap(), "-n", "1"]));
        assert_eq!(o.status.code(), Some(2), "{src}");
        let err = stderr(&o);
        assert!(err.contains(near) && err.contains(points_at), "{src}: {err}");
        assert!(!err.contains("render --list"), "{src}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}
