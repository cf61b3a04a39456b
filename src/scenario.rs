//! Scenario files: several jobs in one run, each with its own templates, rate and destination.
//!
//! A scenario is TOML. Each `[[job]]` table is one `kdg run`: its keys are `kdg run`'s long
//! flags in snake case (`rps = 1000`, `delivery_stream = "prices"`, `partition_key = "{{uuid}}"`),
//! plus `name` (required, unique), `template = "FILE"` and `templates = [{ path = "FILE",
//! weight = 3 }, …]` for a weighted mix. Keys at the top level apply to every job; a job's own
//! keys win over them, and flags on the command line win over both. Relative paths are relative
//! to the scenario file.
//!
//! This module turns the file into one argument list per job and checks what only the file can
//! check: unknown keys, missing templates, duplicate names, two jobs writing one file. Every
//! error names the file, line and column and what to fix. The per-job argument lists then go
//! through the same parser and [`crate::config::RunConfig::from_args`] as a single run, so a job
//! accepts exactly what the command line does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// A scenario that cannot be run: where, and what to fix. Displays as `file:line:col: msg`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ScenarioError {
    /// The scenario file.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// One job of a scenario, ready for the `kdg run` parser.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its name (unique in the scenario).
    pub name: String,
    /// `kdg run`'s arguments for it (without `kdg run`).
    pub args: Vec<String>,
    /// Where its settings come from, by key, for errors found later.
    spans: BTreeMap<String, usize>,
    /// Offset of the job's `[[job]]` table.
    at: usize,
}

/// A parsed scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file.
    pub file: String,
    text: String,
    /// Its jobs, in file order.
    pub jobs: Vec<Job>,
}

/// A setting as the command line would give it: the values of a flag, or none for a switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Setting {
    /// `--flag` (a switch that is on).
    Switch,
    /// `--flag VALUE`, once per value.
    Values(Vec<String>),
}

/// How `kdg run`'s flags look to a scenario: snake-case key → whether the flag takes values.
pub type FlagTable = BTreeMap<String, bool>;

/// Keys that only exist in scenario files.
const OWN_KEYS: [&str; 3] = ["name", "template", "templates"];
/// Flags that describe the whole scenario, not a job.
pub const SCENARIO_FLAGS: [&str; 7] = [
    "scenario",
    "report_json",
    "timeline",
    "report_html",
    "quiet",
    "metrics_listen",
    "metrics_linger",
];
/// Keys that choose where records go: one replaces the others.
const DESTINATION_KEYS: [&str; 4] = ["stream", "stream_arn", "delivery_stream", "sink"];
/// Keys whose values are paths, resolved against the scenario's directory.
const PATH_KEYS: [&str; 6] = ["template", "from", "periodic", "report_json", "timeline", "report_html"];

impl Scenario {
    /// Parse a scenario. `flags` lists `kdg run`'s flags; `overrides` are the settings given on
    /// the command line (snake-case key → setting), applied to every job.
    ///
    /// # Errors
    /// The first problem in the file, with its line and column.
    pub fn parse(
        file: &str,
        text: &str,
        flags: &FlagTable,
        overrides: &BTreeMap<String, Setting>,
    ) -> Result<Scenario, ScenarioError> {
        let base = Path::new(file).parent().unwrap_or(Path::new("")).to_path_buf();
        let mut s = Scenario {
            file: file.to_string(),
            text: text.to_string(),
            jobs: Vec::new(),
        };
        let root = DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or(0, |r| r.start);
            s.error(at, e.message().trim().to_string())
        })?;
        let root_at = root.span().start;
        let root = root.into_inner();
        let mut defaults = Vec::new();
        let mut jobs_value = None;
        for (k, v) in root.iter() {
            if k.get_ref() == "job" {
                jobs_value = Some(v);
            } else {
                defaults.push((k, v));
            }
        }
        let Some(jobs_value) = jobs_value else {
            return Err(s.error(
                root_at,
                "no jobs: add a [[job]] table with a name and a template".into(),
            ));
        };
        let DeValue::Array(jobs) = jobs_value.get_ref() else {
            return Err(s.error(
                jobs_value.span().start,
                "`job` must be an array of tables: write each job as [[job]]".into(),
            ));
        };
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut outputs: BTreeMap<PathBuf, (String, usize)> = BTreeMap::new();
        for job in jobs.iter() {
            let at = job.span().start;
            let DeValue::Table(table) = job.get_ref() else {
                return Err(s.error(at, "each job must be a table: write it as [[job]]".into()));
            };
            let mut settings: BTreeMap<String, (Setting, usize)> = BTreeMap::new();
            let mut name = None;
            let mut mix = Vec::new();
            for (k, v) in defaults.iter().copied().chain(table.iter()) {
                let key = k.get_ref().to_string();
                let key_at = k.span().start;
                match key.as_str() {
                    "name" => {
                        let DeValue::String(n) = v.get_ref() else {
                            return Err(s.error(v.span().start, "`name` must be a string".into()));
                        };
                        if n.is_empty() {
                            return Err(s.error(v.span().start, "`name` must not be empty".into()));
                        }
                        name = Some((n.to_string(), key_at));
                    }
                    "templates" => mix = s.templates(v, &base)?,
                    _ => {
                        if key == "scenario" || key == "quiet" {
                            return Err(s.error(key_at, format!("`{key}` cannot be set inside a scenario")));
                        }
                        let takes_values = match flags.get(&key) {
                            Some(t) => *t,
                            None if key == "template" => true,
                            None => return Err(s.error(key_at, s.unknown_key(&key, flags))),
                        };
                        let setting = s.setting(&key, v, takes_values, &base)?;
                        settings.insert(key, (setting, key_at));
                    }
                }
            }
            let Some((name, name_at)) = name else {
                return Err(s.error(at, "this job has no `name`; give each job a unique name".into()));
            };
            if let Some(first) = names.get(&name) {
                return Err(s.error(
                    name_at,
                    format!(
                        "a second job named `{name}` (the first is on line {}); job names must be unique",
                        s.line_col(*first).0
                    ),
                ));
            }
            names.insert(name.clone(), name_at);
            if !mix.is_empty() {
                let at = settings.get("template").map_or(at, |(_, a)| *a);
                if settings.contains_key("template") {
                    return Err(s.error(at, "give `template` or `templates`, not both".into()));
                }
                settings.insert("mix".into(), (Setting::Values(mix), at));
            }
            for (k, v) in overrides {
                if DESTINATION_KEYS.contains(&k.as_str()) {
                    // A destination on the command line replaces the job's, whichever kind it was.
                    settings.retain(|key, _| !DESTINATION_KEYS.contains(&key.as_str()));
                }
                let at = settings.get(k).map_or(at, |(_, a)| *a);
                settings.insert(k.clone(), (v.clone(), at));
            }
            // Files the job writes: no two jobs may write the same one.
            for key in ["sink", "report_json", "timeline", "report_html"] {
                let Some((Setting::Values(v), key_at)) = settings.get(key) else {
                    continue;
                };
                let Some(path) = v.last().and_then(|p| output_path(key, p)) else {
                    continue;
                };
                if let Some((other, other_at)) = outputs.get(&path) {
                    return Err(s.error(
                        *key_at,
                        format!(
                            "jobs `{other}` (line {}) and `{name}` both write `{}`; give each job its own file",
                            s.line_col(*other_at).0,
                            path.display()
                        ),
                    ));
                }
                outputs.insert(path, (name.clone(), *key_at));
            }
            let mut args = Vec::new();
            let mut spans = BTreeMap::new();
            if let Some((Setting::Values(t), _)) = settings.get("template") {
                args.extend(t.iter().cloned());
            }
            for (key, (setting, key_at)) in &settings {
                spans.insert(key.clone(), *key_at);
                if key == "template" {
                    continue;
                }
                let flag = format!("--{}", key.replace('_', "-"));
                match setting {
                    Setting::Switch => args.push(flag),
                    Setting::Values(vs) => {
                        for v in vs {
                            args.push(format!("{flag}={v}"));
                        }
                    }
                }
            }
            s.jobs.push(Job { name, args, spans, at });
        }
        Ok(s)
    }

    /// An error about `job`'s setting `flag` (e.g. `--rps`, from a config error), placed on the
    /// line that set it, or on the job's table.
    pub fn job_error(&self, job: &Job, flag: &str, message: &str) -> ScenarioError {
        let key = flag.trim_start_matches('-').replace('-', "_");
        let key = if key == "TEMPLATE" { "template".to_string() } else { key };
        let at = job.spans.get(&key).copied().unwrap_or(job.at);
        self.error(at, format!("job `{}`: {message}", job.name))
    }

    fn templates(&self, v: &Spanned<DeValue<'_>>, base: &Path) -> Result<Vec<String>, ScenarioError> {
        let bad = || {
            self.error(
                v.span().start,
                "`templates` is a list of files or { path = \"FILE\", weight = N } tables".into(),
            )
        };
        let DeValue::Array(items) = v.get_ref() else {
            return Err(bad());
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let (path, weight) = match item.get_ref() {
                DeValue::String(p) => (p.to_string(), None),
                DeValue::Table(t) => {
                    let mut path = None;
                    let mut weight = None;
                    for (k, v) in t.iter() {
                        match (k.get_ref().as_ref(), v.get_ref()) {
                            ("path", DeValue::String(p)) => path = Some(p.to_string()),
                            ("weight", DeValue::Integer(i)) => weight = Some(i.as_str().to_string()),
                            ("weight", DeValue::Float(f)) => weight = Some(f.as_str().to_string()),
                            (other, _) => {
                                return Err(self.error(
                                    k.span().start,
                                    format!(
                                        "`{other}`: a template entry has `path` (a string) and `weight` (a number)"
                                    ),
                                ))
                            }
                        }
                    }
                    (path.ok_or_else(bad)?, weight)
                }
                _ => return Err(bad()),
            };
            let resolved = self.existing_file(&path, base, item.span().start, "template")?;
            out.push(match weight {
                Some(w) => format!("{resolved}={w}"),
                None => resolved,
            });
        }
        if out.is_empty() {
            return Err(bad());
        }
        Ok(out)
    }

    fn setting(
        &self,
        key: &str,
        v: &Spanned<DeValue<'_>>,
        takes_values: bool,
        base: &Path,
    ) -> Result<Setting, ScenarioError> {
        let at = v.span().start;
        if !takes_values {
            return match v.get_ref() {
                DeValue::Boolean(true) => Ok(Setting::Switch),
                DeValue::Boolean(false) => Ok(Setting::Values(Vec::new())),
                _ => Err(self.error(at, format!("`{key}` is a switch: write {key} = true"))),
            };
        }
        let scalar = |v: &Spanned<DeValue<'_>>| -> Result<String, ScenarioError> {
            match v.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                DeValue::Integer(i) => Ok(i.as_str().replace('_', "")),
                DeValue::Float(f) => Ok(f.as_str().replace('_', "")),
                DeValue::Datetime(d) => Ok(d.to_string()),
                _ => Err(self.error(
                    v.span().start,
                    format!(
                        "`{key}` takes a string or a number, as its flag --{} does",
                        key.replace('_', "-")
                    ),
                )),
            }
        };
        let mut values = match v.get_ref() {
            DeValue::Array(items) => items.iter().map(scalar).collect::<Result<Vec<_>, _>>()?,
            _ => vec![scalar(v)?],
        };
        if PATH_KEYS.contains(&key) {
            for p in &mut values {
                *p = if key == "template" || key == "from" || key == "periodic" {
                    self.existing_file(p, base, at, key)?
                } else {
                    resolve(p, base)
                };
            }
        }
        if key == "sink" {
            for p in &mut values {
                if let Some(file) = p.strip_prefix("file:") {
                    *p = format!("file:{}", resolve(file, base));
                }
            }
        }
        Ok(Setting::Values(values))
    }

    fn existing_file(&self, path: &str, base: &Path, at: usize, what: &str) -> Result<String, ScenarioError> {
        let resolved = resolve(path, base);
        if !Path::new(&resolved).is_file() {
            return Err(self.error(
                at,
                format!("{what} `{path}` not found (looked for `{resolved}`; paths are relative to the scenario file)"),
            ));
        }
        Ok(resolved)
    }

    fn unknown_key(&self, key: &str, flags: &FlagTable) -> String {
        let near = flags
            .keys()
            .map(String::as_str)
            .chain(OWN_KEYS)
            .filter(|k| *k != "scenario" && *k != "quiet")
            .min_by_key(|k| edit_distance(k, key))
            .filter(|k| edit_distance(k, key) <= 2);
        match near {
            Some(k) => format!("unknown key `{key}`; did you mean `{k}`?"),
            None => format!(
                "unknown key `{key}`; a job takes name, template, templates and kdg run's flags in snake case (e.g. rps, delivery_stream)"
            ),
        }
    }

    fn line_col(&self, at: usize) -> (usize, usize) {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    fn error(&self, at: usize, message: String) -> ScenarioError {
        let (line, column) = self.line_col(at);
        ScenarioError {
            file: self.file.clone(),
            line,
            column,
            message,
        }
    }
}

/// `path` relative to `base` unless absolute (or an `s3://` address).
fn resolve(path: &str, base: &Path) -> String {
    let p = Path::new(path);
    if p.is_absolute() || base.as_os_str().is_empty() || crate::s3::S3Url::is_s3(path) {
        path.to_string()
    } else {
        base.join(p).display().to_string()
    }
}

/// The file a setting writes, if it writes one.
fn output_path(key: &str, value: &str) -> Option<PathBuf> {
    let p = match key {
        "sink" => value.strip_prefix("file:")?,
        _ if value == "-" => return None,
        _ => value,
    };
    let p = Path::new(p);
    // Compare files by where they are, so `./a.json` and `a.json` collide.
    let parent = p
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = parent.canonicalize().unwrap_or_else(|_| parent.to_path_buf());
    Some(dir.join(p.file_name()?))
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> FlagTable {
        [
            ("rps", true),
            ("duration", true),
            ("delivery_stream", true),
            ("stream", true),
            ("sink", true),
            ("gzip", false),
            ("threshold", true),
            ("mix", true),
            ("report_json", true),
            ("quiet", false),
            ("scenario", true),
            ("from", true),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    struct Dir(tempfile::TempDir);

    impl Dir {
        fn new() -> Dir {
            let d = tempfile::tempdir().expect("tempdir");
            for t in ["a.hbs", "b.hbs"] {
                std::fs::write(d.path().join(t), "x").expect("write");
            }
            Dir(d)
        }

        fn parse(&self, text: &str) -> Result<Scenario, ScenarioError> {
            self.parse_with(text, &BTreeMap::new())
        }

        fn parse_with(&self, text: &str, o: &BTreeMap<String, Setting>) -> Result<Scenario, ScenarioError> {
            let file = self.0.path().join("s.toml");
            Scenario::parse(&file.display().to_string(), text, &flags(), o)
        }

        fn p(&self, name: &str) -> String {
            self.0.path().join(name).display().to_string()
        }
    }

    #[test]
    fn jobs_become_argument_lists_with_defaults_and_overrides() {
        let d = Dir::new();
        let text = r#"
duration = "60s"
gzip = true

[[job]]
name = "prices"
template = "a.hbs"
rps = 1000
delivery_stream = "p"
threshold = ["p99<200ms", "lost==0"]

[[job]]
name = "mixed"
templates = [{ path = "a.hbs", weight = 3 }, "b.hbs"]
rps = 2.5
duration = "5s"
"#;
        let s = d.parse(text).expect("parses");
        assert_eq!(s.jobs.len(), 2);
        assert_eq!(s.jobs[0].name, "prices");
        assert_eq!(
            s.jobs[0].args,
            [
                d.p("a.hbs"),
                "--delivery-stream=p".into(),
                "--duration=60s".into(),
                "--gzip".into(),
                "--rps=1000".into(),
                "--threshold=p99<200ms".into(),
                "--threshold=lost==0".into(),
            ]
        );
        assert_eq!(
            s.jobs[1].args,
            [
                "--duration=5s".to_string(),
                "--gzip".into(),
                format!("--mix={}=3", d.p("a.hbs")),
                format!("--mix={}", d.p("b.hbs")),
                "--rps=2.5".into(),
            ]
        );
        let o: BTreeMap<String, Setting> = [("duration".to_string(), Setting::Values(vec!["3s".into()]))].into();
        let s = d.parse_with(text, &o).expect("parses");
        assert!(s.jobs.iter().all(|j| j.args.contains(&"--duration=3s".to_string())));
        let o: BTreeMap<String, Setting> = [("sink".to_string(), Setting::Values(vec!["null".into()]))].into();
        let s = d.parse_with(text, &o).expect("parses");
        assert!(s.jobs[0].args.contains(&"--sink=null".to_string()));
        assert!(!s.jobs[0].args.iter().any(|a| a.starts_with("--delivery-stream")));
    }

    #[test]
    fn bad_files_are_rejected_with_line_column_and_what_to_fix() {
        let d = Dir::new();
        for (text, line, want) in [
            ("[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\nrsp = 5\n", 4, "unknown key `rsp`; did you mean `rps`?"),
            ("[[job]]\nname = \"a\"\ntemplate = \"missing.hbs\"\n", 3, "template `missing.hbs` not found"),
            (
                "[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\n[[job]]\nname = \"a\"\ntemplate = \"b.hbs\"\n",
                5,
                "a second job named `a` (the first is on line 2)",
            ),
            (
                "[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\nsink = \"file:out.txt\"\n[[job]]\nname = \"b\"\ntemplate = \"b.hbs\"\nsink = \"file:./out.txt\"\n",
                8,
                "jobs `a` (line 4) and `b` both write",
            ),
            ("[[job]]\ntemplate = \"a.hbs\"\n", 1, "has no `name`"),
            ("rps = 5\n", 1, "no jobs"),
            ("[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\ngzip = \"yes\"\n", 4, "is a switch"),
            ("[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\nrps = \n", 4, ""),
            ("[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\nquiet = true\n", 4, "cannot be set inside a scenario"),
            (
                "[[job]]\nname = \"a\"\ntemplates = [{ path = \"a.hbs\", wieght = 2 }]\n",
                3,
                "`wieght`: a template entry has",
            ),
        ] {
            let e = d.parse(text).expect_err(text);
            assert_eq!(e.line, line, "{text}: {e}");
            assert!(e.message.contains(want), "{text}: {e}");
            assert!(e.to_string().starts_with(&d.p("s.toml")), "{e}");
        }
    }

    #[test]
    fn config_errors_point_at_the_key_that_set_them() {
        let d = Dir::new();
        let s = d
            .parse("[[job]]\nname = \"a\"\ntemplate = \"a.hbs\"\n\nrps = 0\n")
            .expect("parses");
        let e = s.job_error(&s.jobs[0], "--rps", "must be positive");
        assert_eq!((e.line, e.column), (5, 1));
        assert_eq!(e.message, "job `a`: must be positive");
        let e = s.job_error(&s.jobs[0], "--count", "x");
        assert_eq!(e.line, 1, "unset keys point at the job's table");
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("rps", "rsp"), 2);
        assert_eq!(edit_distance("stream", "streams"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
