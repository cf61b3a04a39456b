//! `kdg methods [NAMESPACE|METHOD]`: every template method, in both spellings, with its
//! arguments and a sample value rendered live from a seed (`--json` for tools).

use anyhow::bail;
use serde::Serialize;

use super::{write_stdout, Exit};
use crate::cli::MethodsArgs;
use crate::faker::{self, signatures};
use crate::template::{Options, Template};

/// kdg's own helpers, beyond faker: name, arguments, example (both syntaxes alike).
const KDG_HELPERS: &[(&str, &str, &str)] = &[
    ("seq", "none", "{{seq}}"),
    ("uuid", "none", "{{uuid}}"),
    ("run.id", "none", "{{run.id}}"),
    ("json", "a value (a sub-expression)", "{{json (name.lastName)}}"),
    ("escape", "a value", r#"{{escape "say \"hi\""}}"#),
    (
        "walk",
        "KEY, start=0, step=1, min, max, decimals",
        r#"{{walk "AAPL" start=150 step=0.5 decimals=2}}"#,
    ),
    (
        "timestamp",
        "jitter, late, late_by, format=iso",
        r#"{{timestamp jitter="2s" format="unix_ms"}}"#,
    ),
    (
        "#entity",
        "KIND, then COUNT or of=\"A,B,…\", pick=\"round\" (or \"random\"); a block",
        r#"{{#entity "device" 1000}}{{entity.id}}{{/entity}}"#,
    ),
    (
        "entity.id",
        "none (inside #entity)",
        r#"{{#entity "device" 1000}}{{entity.id}}{{/entity}}"#,
    ),
    (
        "entity.name",
        "none (inside #entity)",
        r#"{{#entity "ticker" of="AAPL,MSFT,GOOG"}}{{entity.name}}{{/entity}}"#,
    ),
    (
        "entity.seq",
        "none (inside #entity)",
        r#"{{#entity "device" 1000}}{{entity.seq}}{{/entity}}"#,
    ),
    (
        "entity.attr",
        "METHOD (inside #entity; fixed per entity)",
        r#"{{#entity "device" 1000}}{{entity.attr "commerce.productName"}}{{/entity}}"#,
    ),
];

/// One method as `kdg methods` shows it.
#[derive(Debug, Serialize)]
struct Method {
    /// `namespace.method`, or a kdg helper's name.
    name: String,
    /// The faker namespace, `entity` for the entity block and what it offers inside, or `kdg`
    /// for kdg's other helpers.
    namespace: String,
    /// The arguments with their defaults (`none`).
    arguments: String,
    /// An example call in KDG syntax.
    kdg: String,
    /// The same call in Handlebars syntax.
    handlebars: String,
    /// The KDG example rendered with the seed.
    sample: String,
}

/// Print the methods `args.filter` selects.
pub(super) fn run(args: &MethodsArgs) -> anyhow::Result<Exit> {
    let all = catalogue(args.seed)?;
    let chosen: Vec<&Method> = match args.filter.as_deref() {
        None => all.iter().collect(),
        Some(f) => all.iter().filter(|m| m.namespace == f || m.name == f).collect(),
    };
    if chosen.is_empty() {
        let f = args.filter.as_deref().unwrap_or_default();
        let names = faker::NAMESPACES
            .iter()
            .copied()
            .chain(all.iter().map(|m| m.name.as_str()));
        let near = signatures::closest(f, names);
        let hint = if near.is_empty() {
            String::new()
        } else {
            format!(": did you mean `{}`?", near.join("` or `"))
        };
        bail!(
            "unknown namespace or method `{f}`{hint} (namespaces: {}, entity, kdg); `kdg methods` lists them all",
            faker::NAMESPACES.join(", ")
        );
    }
    let mut out = String::new();
    if args.json {
        out = serde_json::to_string_pretty(&chosen)?;
        out.push('\n');
    } else {
        out.push_str(&format!(
            "{} methods; samples rendered with --seed {}. A method without arguments is `{{{{name}}}}` in both syntaxes.\n",
            chosen.len(),
            args.seed
        ));
        for m in &chosen {
            out.push_str(&format!("\n{}  ({})\n", m.name, m.arguments));
            if m.kdg == m.handlebars {
                out.push_str(&format!("  {}\n", m.kdg));
            } else {
                out.push_str(&format!("  KDG:        {}\n  Handlebars: {}\n", m.kdg, m.handlebars));
            }
            out.push_str(&format!("  sample:     {}\n", m.sample));
        }
    }
    write_stdout(out.as_bytes())?;
    Ok(Exit::Success)
}

/// Every method with its sample. A sample that fails to render shows `error: …` (a bug in kdg's
/// table, which the tests catch) rather than hiding the rest.
fn catalogue(seed: u64) -> anyhow::Result<Vec<Method>> {
    let mut list = Vec::new();
    for ns in faker::NAMESPACES {
        let mut names: Vec<&str> = faker::methods(ns).unwrap_or(&[]).to_vec();
        names.sort_unstable();
        names.dedup();
        for method in names {
            let name = format!("{ns}.{method}");
            let (arguments, kdg, handlebars) = match signatures::signature(&name) {
                Some(s) => (
                    s.args.to_string(),
                    format!("{{{{{name}({})}}}}", s.kdg),
                    format!("{{{{{name} {}}}}}", s.hbs),
                ),
                None => ("none".to_string(), format!("{{{{{name}}}}}"), format!("{{{{{name}}}}}")),
            };
            let sample = render(&kdg, seed).and_then(|v| render(&handlebars, seed).map(|_| v))?;
            list.push(Method {
                name,
                namespace: (*ns).to_string(),
                arguments,
                kdg,
                handlebars,
                sample,
            });
        }
    }
    for (name, arguments, example) in KDG_HELPERS {
        list.push(Method {
            name: (*name).to_string(),
            namespace: if name.contains("entity") { "entity" } else { "kdg" }.to_string(),
            arguments: (*arguments).to_string(),
            kdg: (*example).to_string(),
            handlebars: (*example).to_string(),
            sample: render(example, seed)?,
        });
    }
    Ok(list)
}

/// `src` rendered as record 0 of a run with `seed`.
fn render(src: &str, seed: u64) -> anyhow::Result<String> {
    let template = match Template::compile(src, "sample", &Options::default()) {
        Ok(t) => t,
        Err(e) => return Ok(format!("error: {}", e.message)),
    };
    let mut ctx = template.context(seed, "methods");
    let mut buf = Vec::new();
    template.render(&mut ctx, 0, jiff::Timestamp::now().as_millisecond(), &mut buf);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
