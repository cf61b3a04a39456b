//! Replay: records from a CSV or NDJSON file, one row each, streamed from disk.
//!
//! This module owns reading the file and turning rows into JSON objects; it never holds more
//! than one row (plus the reader's buffer) in memory, so files of any size replay.
//!
//! * **CSV**: the first line is the header; its names become the keys, in order. A field that is
//!   a JSON number (`42`, `-1.50`, `6.02e23`) is written as that number, byte for byte; an empty
//!   field is `null`; everything else is a string. Quoting, embedded commas, line breaks and
//!   UTF-8 are handled by the `csv` crate.
//! * **NDJSON**: each non-blank line must be a JSON object and is sent exactly as written.
//!
//! A row that does not parse (a CSV row with the wrong number of fields, invalid UTF-8, a line
//! that is not a JSON object) is a [`Next::Bad`] with its line number; the engine skips it or
//! stops the run, per `--on-bad-row`, and counts it either way.
//!
//! Templates see the current row through [`Row::get`] (`{{row.price}}`) and [`Row::json`]
//! (`{{row}}`).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::faker::row::{Kind, Row};
pub use crate::report::InputSummary;

/// The file formats `--from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One JSON object per line.
    Ndjson,
}

impl Format {
    /// The format a file name implies: `.csv`, or `.ndjson`/`.jsonl`/`.json`.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" | "json" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// What to do with a row that does not parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnBadRow {
    /// Stop the run at the first bad row (the report says which; exit code 1).
    Fail,
    /// Skip bad rows; they are counted and the first few listed in the report.
    Skip,
}

/// A replay, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReplaySpec {
    /// The file.
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Start again at the first row after the last one.
    pub looped: bool,
    /// What to do with rows that do not parse.
    pub on_bad_row: OnBadRow,
}

/// Why a replay file cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The file cannot be opened or read.
    #[error("--from: cannot read `{path}`: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The CSV header is unusable.
    #[error("--from: `{path}` line 1: {message}")]
    Header {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The file has no rows (a CSV with only a header, or an empty file).
    #[error("--from: `{0}` has no rows")]
    Empty(String),
}

/// The outcome of reading one row.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// The row was read into the caller's [`Row`].
    Row,
    /// The row at `line` does not parse.
    Bad {
        /// Its 1-based line.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// No more rows (and not looping).
    End,
}

enum Inner {
    Csv {
        reader: csv::Reader<BufReader<File>>,
        header: Vec<Vec<u8>>,
        record: csv::ByteRecord,
    },
    Ndjson {
        reader: BufReader<File>,
        line: String,
        number: u64,
    },
}

/// Reads a replay file row by row.
pub struct Reader {
    spec: ReplaySpec,
    inner: Inner,
    /// Whether templates look at fields (NDJSON lines are only parsed when they do).
    fields: bool,
    /// Rows read in the current pass.
    rows_this_pass: u64,
    /// Completed passes over the file.
    pub passes: u64,
}

impl Reader {
    /// Open the file and read the CSV header. `fields`: whether callers use [`Row::get`].
    ///
    /// # Errors
    /// The file cannot be read, or its header is unusable.
    pub fn open(spec: &ReplaySpec, fields: bool) -> Result<Reader, ReplayError> {
        Ok(Reader {
            inner: open_inner(spec)?,
            spec: spec.clone(),
            fields,
            rows_this_pass: 0,
            passes: 0,
        })
    }

    /// The CSV header names (empty for NDJSON).
    pub fn header(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv { header, .. } => header.iter().map(|h| String::from_utf8_lossy(h).into_owned()).collect(),
            Inner::Ndjson { .. } => Vec::new(),
        }
    }

    /// Read the next row into `row`; at the end of the file start again when looping.
    ///
    /// # Errors
    /// The file cannot be read (or reopened), or it has no rows at all.
    pub fn next_into(&mut self, row: &mut Row) -> Result<Next, ReplayError> {
        loop {
            let next = self.read(row)?;
            match next {
                Next::End if self.spec.looped => {
                    if self.rows_this_pass == 0 {
                        return Err(ReplayError::Empty(self.spec.path.display().to_string()));
                    }
                    self.passes += 1;
                    self.rows_this_pass = 0;
                    self.inner = open_inner(&self.spec)?;
                }
                Next::End => {
                    if self.passes == 0 && self.rows_this_pass == 0 {
                        return Err(ReplayError::Empty(self.spec.path.display().to_string()));
                    }
                    self.passes += 1;
                    return Ok(Next::End);
                }
                Next::Row => {
                    self.rows_this_pass += 1;
                    return Ok(Next::Row);
                }
                bad => return Ok(bad),
            }
        }
    }

    fn read(&mut self, row: &mut Row) -> Result<Next, ReplayError> {
        let io = |source| ReplayError::Io {
            path: self.spec.path.display().to_string(),
            source,
        };
        row.clear();
        match &mut self.inner {
            Inner::Csv { reader, header, record } => {
                let more = match reader.read_byte_record(record) {
                    Ok(more) => more,
                    Err(e) => {
                        let line = e.position().map_or(0, |p| p.line());
                        return match e.into_kind() {
                            csv::ErrorKind::Io(source) => Err(io(source)),
                            csv::ErrorKind::UnequalLengths { len, expected_len, .. } => Ok(Next::Bad {
                                line,
                                message: format!("{len} fields, but the header has {expected_len}"),
                            }),
                            other => Ok(Next::Bad {
                                line,
                                message: format!("{other:?}"),
                            }),
                        };
                    }
                };
                if !more {
                    return Ok(Next::End);
                }
                row.line = record.position().map_or(0, |p| p.line());
                if let Some(i) = record.iter().position(|f| std::str::from_utf8(f).is_err()) {
                    return Ok(Next::Bad {
                        line: row.line,
                        message: format!(
                            "field {} (`{}`) is not valid UTF-8",
                            i + 1,
                            String::from_utf8_lossy(&header[i])
                        ),
                    });
                }
                row.json.push(b'{');
                for (i, (key, value)) in header.iter().zip(record.iter()).enumerate() {
                    if i > 0 {
                        row.json.push(b',');
                    }
                    crate::faker::row::write_json_escaped(&mut row.json, key, true);
                    row.json.push(b':');
                    let kind = if value.is_empty() {
                        row.json.extend_from_slice(b"null");
                        Kind::Null
                    } else if is_json_number(value) {
                        row.json.extend_from_slice(value);
                        Kind::Raw
                    } else {
                        crate::faker::row::write_json_escaped(&mut row.json, value, true);
                        Kind::Str
                    };
                    row.push(key, value, kind);
                }
                row.json.push(b'}');
                Ok(Next::Row)
            }
            Inner::Ndjson { reader, line, number } => loop {
                line.clear();
                let n = match reader.read_line(line) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                        *number += 1;
                        // Skip the rest of the undecodable line.
                        let mut rest = Vec::new();
                        reader.read_until(b'\n', &mut rest).map_err(io)?;
                        return Ok(Next::Bad {
                            line: *number,
                            message: "the line is not valid UTF-8".into(),
                        });
                    }
                    Err(e) => return Err(io(e)),
                };
                if n == 0 {
                    return Ok(Next::End);
                }
                *number += 1;
                let text = line.trim();
                if text.is_empty() {
                    continue;
                }
                row.line = *number;
                let value: serde_json::Value = match serde_json::from_str(text) {
                    Ok(v) => v,
                    Err(e) => {
                        return Ok(Next::Bad {
                            line: *number,
                            message: format!("not JSON: {e}"),
                        })
                    }
                };
                let serde_json::Value::Object(map) = value else {
                    return Ok(Next::Bad {
                        line: *number,
                        message: "not a JSON object".into(),
                    });
                };
                row.json.extend_from_slice(text.as_bytes());
                if self.fields {
                    for (k, v) in &map {
                        match v {
                            serde_json::Value::String(s) => row.push(k.as_bytes(), s.as_bytes(), Kind::Str),
                            serde_json::Value::Null => row.push(k.as_bytes(), b"", Kind::Null),
                            other => row.push(k.as_bytes(), other.to_string().as_bytes(), Kind::Raw),
                        }
                    }
                }
                return Ok(Next::Row);
            },
        }
    }
}

fn open_inner(spec: &ReplaySpec) -> Result<Inner, ReplayError> {
    let path = spec.path.display().to_string();
    let file = File::open(&spec.path).map_err(|source| ReplayError::Io {
        path: path.clone(),
        source,
    })?;
    let reader = BufReader::with_capacity(256 * 1024, file);
    match spec.format {
        Format::Ndjson => Ok(Inner::Ndjson {
            reader,
            line: String::new(),
            number: 0,
        }),
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(reader);
            let header = reader.byte_headers().map_err(|e| ReplayError::Header {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let mut names: Vec<Vec<u8>> = header.iter().map(<[u8]>::to_vec).collect();
            if let Some(first) = names.first_mut() {
                // A UTF-8 byte order mark, as spreadsheets write, is not part of the first name.
                if first.starts_with(b"\xEF\xBB\xBF") {
                    first.drain(..3);
                }
            }
            let bad = |message: String| ReplayError::Header {
                path: path.clone(),
                message,
            };
            if names.is_empty() || names == [Vec::<u8>::new()] {
                return Err(ReplayError::Empty(path.clone()));
            }
            for (i, n) in names.iter().enumerate() {
                if std::str::from_utf8(n).is_err() {
                    return Err(bad(format!("column {} has a name that is not UTF-8", i + 1)));
                }
                if n.is_empty() {
                    return Err(bad(format!(
                        "column {} has no name; the header names the JSON keys",
                        i + 1
                    )));
                }
                if names[..i].contains(n) {
                    return Err(bad(format!(
                        "column {} repeats the name `{}`; JSON keys must be unique",
                        i + 1,
                        String::from_utf8_lossy(n)
                    )));
                }
            }
            Ok(Inner::Csv {
                reader,
                header: names,
                record: csv::ByteRecord::new(),
            })
        }
    }
}

/// Whether `s` is a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
pub fn is_json_number(s: &[u8]) -> bool {
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < s.len() && s[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if s.first() == Some(&b'-') {
        i += 1;
    }
    match s.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => {
            digits(&mut i);
        }
        _ => return false,
    }
    if s.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(s.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(s.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == s.len()
}

/// How many bad rows the report lists.
const BAD_ROW_EXAMPLES: usize = 10;

/// A replay as the engine consumes it: rows handed out in order, block by block, with the
/// bad-row policy applied and everything counted for the report.
pub struct Feed {
    reader: Reader,
    on_bad_row: OnBadRow,
    /// The index of the next good row.
    next_index: u64,
    done: bool,
    summary: InputSummary,
}

impl Feed {
    /// Open `spec` for a run (`fields`: the template reads the row's fields).
    ///
    /// # Errors
    /// As [`Reader::open`].
    pub fn open(spec: &ReplaySpec, fields: bool) -> Result<Feed, ReplayError> {
        Ok(Feed {
            reader: Reader::open(spec, fields)?,
            on_bad_row: spec.on_bad_row,
            next_index: 0,
            done: false,
            summary: InputSummary {
                file: spec.path.display().to_string(),
                ..InputSummary::default()
            },
        })
    }

    /// Whether the input has ended (its last row, a bad row with `fail`, or a read error).
    pub fn done(&self) -> bool {
        self.done
    }

    /// What was read so far.
    pub fn summary(&self) -> &InputSummary {
        &self.summary
    }

    /// Read the rows of records `first..first + len` into `rows` (grown as needed); returns how
    /// many were read, fewer at the end of the input. Record `k` is good row `row_of(k)` (an
    /// instance of a split run takes every n-th row), and the rows in between are passed over.
    pub fn fill(&mut self, first: u64, len: u64, row_of: impl Fn(u64) -> u64, rows: &mut Vec<Row>) -> usize {
        if rows.len() < len as usize {
            rows.resize_with(len as usize, Row::default);
        }
        let mut got = 0usize;
        'records: for local in first..first + len {
            let want = row_of(local);
            loop {
                match self.reader.next_into(&mut rows[got]) {
                    Ok(Next::Row) => {
                        let index = self.next_index;
                        self.next_index += 1;
                        if index == want {
                            got += 1;
                            continue 'records;
                        }
                    }
                    Ok(Next::Bad { line, message }) => {
                        let s = &mut self.summary;
                        s.bad_rows += 1;
                        let at = format!("{}:{line}: {message}", s.file);
                        if s.bad_examples.len() < BAD_ROW_EXAMPLES {
                            s.bad_examples.push(at.clone());
                        }
                        if self.on_bad_row == OnBadRow::Fail {
                            self.summary.failed = Some(format!("{at} (--on-bad-row skip passes over such rows)"));
                            self.done = true;
                            break 'records;
                        }
                    }
                    Ok(Next::End) => {
                        self.done = true;
                        break 'records;
                    }
                    Err(e) => {
                        self.summary.failed = Some(e.to_string());
                        self.done = true;
                        break 'records;
                    }
                }
            }
        }
        self.summary.rows += got as u64;
        self.summary.passes = self.reader.passes;
        got
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn spec(text: &[u8], ext: &str, looped: bool) -> (tempfile::TempDir, ReplaySpec) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(format!("data.{ext}"));
        std::fs::File::create(&path)
            .and_then(|mut f| f.write_all(text))
            .expect("write");
        let format = Format::from_path(&path).expect("format");
        (
            dir,
            ReplaySpec {
                path,
                format,
                looped,
                on_bad_row: OnBadRow::Fail,
            },
        )
    }

    fn all(r: &mut Reader, max: usize) -> Vec<Result<(u64, String), (u64, String)>> {
        let mut row = Row::default();
        let mut out = Vec::new();
        for _ in 0..max {
            match r.next_into(&mut row).expect("reads") {
                Next::Row => out.push(Ok((row.line, String::from_utf8(row.json().to_vec()).expect("utf8")))),
                Next::Bad { line, message } => out.push(Err((line, message))),
                Next::End => break,
            }
        }
        out
    }

    #[test]
    fn json_numbers_follow_the_grammar() {
        for yes in ["0", "-0", "42", "-1.50", "6.02e23", "1E-7", "10.0e+3"] {
            assert!(is_json_number(yes.as_bytes()), "{yes}");
        }
        for no in [
            "", "-", "007", "1.", ".5", "1e", "+1", "NaN", "Infinity", "0x10", "1,000", " 1", "1 ",
        ] {
            assert!(!is_json_number(no.as_bytes()), "{no}");
        }
    }

    #[test]
    fn csv_rows_become_objects_with_numbers_nulls_quotes_and_unicode() {
        let (_d, s) = spec(
            "\u{feff}sym,price,note,qty\nAAPL,150.25,\"says \"\"hi\"\", ok\",3\nZ\u{fc}rich,,\"two\nlines\",007\n"
                .as_bytes(),
            "csv",
            false,
        );
        let mut r = Reader::open(&s, true).expect("opens");
        assert_eq!(r.header(), ["sym", "price", "note", "qty"]);
        let rows = all(&mut r, 10);
        assert_eq!(
            rows,
            [
                Ok((
                    2,
                    r#"{"sym":"AAPL","price":150.25,"note":"says \"hi\", ok","qty":3}"#.to_string()
                )),
                Ok((
                    3,
                    "{\"sym\":\"Z\u{fc}rich\",\"price\":null,\"note\":\"two\\nlines\",\"qty\":\"007\"}".to_string()
                )),
            ]
        );
        for row in &rows {
            let text = &row.as_ref().expect("row").1;
            serde_json::from_str::<serde_json::Value>(text).expect("valid JSON");
        }
    }

    #[test]
    fn fields_are_readable_by_name() {
        let (_d, s) = spec(b"a,b,c\n1,x y,\n", "csv", false);
        let mut r = Reader::open(&s, true).expect("opens");
        let mut row = Row::default();
        assert_eq!(r.next_into(&mut row).expect("reads"), Next::Row);
        assert_eq!(row.get("a"), Some((&b"1"[..], Kind::Raw)));
        assert_eq!(row.get("b"), Some((&b"x y"[..], Kind::Str)));
        assert_eq!(row.get("c"), Some((&b""[..], Kind::Null)));
        assert_eq!(row.get("d"), None);
    }

    #[test]
    fn a_short_row_is_bad_with_its_line_and_reading_goes_on() {
        let (_d, s) = spec(b"a,b\n1,2\n3\n4,5\n", "csv", false);
        let mut r = Reader::open(&s, false).expect("opens");
        let rows = all(&mut r, 10);
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[1], Err((3, "1 fields, but the header has 2".into())));
        assert_eq!(rows[2], Ok((4, r#"{"a":4,"b":5}"#.into())));
    }

    #[test]
    fn invalid_utf8_is_a_bad_row() {
        let (_d, s) = spec(b"a,b\n1,\xff\xfe\n2,ok\n", "csv", false);
        let mut r = Reader::open(&s, false).expect("opens");
        let rows = all(&mut r, 10);
        assert!(
            matches!(&rows[0], Err((2, m)) if m.contains("field 2 (`b`)")),
            "{rows:?}"
        );
        assert_eq!(rows[1], Ok((3, r#"{"a":2,"b":"ok"}"#.into())));
    }

    #[test]
    fn bad_headers_are_errors_naming_the_column() {
        for (text, want) in [
            (&b"a,,c\n1,2,3\n"[..], "column 2 has no name"),
            (b"a,b,a\n1,2,3\n", "column 3 repeats the name `a`"),
        ] {
            let (_d, s) = spec(text, "csv", false);
            let e = Reader::open(&s, false).err().expect("rejected").to_string();
            assert!(e.contains(want) && e.contains("line 1"), "{e}");
        }
        let (_d, s) = spec(b"", "csv", false);
        assert!(Reader::open(&s, false)
            .err()
            .expect("rejected")
            .to_string()
            .contains("no rows"));
    }

    #[test]
    fn ndjson_lines_go_through_verbatim_and_non_objects_are_bad() {
        let (_d, s) = spec(
            b"{\"b\":1, \"a\":[1,2]}\n\n[1]\nnot json\n{\"s\":\"\xc3\xa9\",\"n\":null}\n",
            "ndjson",
            false,
        );
        let mut r = Reader::open(&s, true).expect("opens");
        let rows = all(&mut r, 10);
        assert_eq!(rows[0], Ok((1, "{\"b\":1, \"a\":[1,2]}".into())));
        assert_eq!(rows[1], Err((3, "not a JSON object".into())));
        assert!(matches!(&rows[2], Err((4, m)) if m.starts_with("not JSON")));
        assert_eq!(rows[3], Ok((5, "{\"s\":\"\u{e9}\",\"n\":null}".into())));
        let mut row = Row::default();
        let (_d2, s2) = spec(b"{\"x\":{\"y\":1},\"s\":\"q\\\"\"}\n", "jsonl", false);
        let mut r2 = Reader::open(&s2, true).expect("opens");
        r2.next_into(&mut row).expect("reads");
        assert_eq!(row.get("x"), Some((&br#"{"y":1}"#[..], Kind::Raw)));
        assert_eq!(row.get("s"), Some((&b"q\""[..], Kind::Str)));
    }

    #[test]
    fn looping_starts_again_and_counts_passes() {
        let (_d, s) = spec(b"a\n1\n2\n", "csv", true);
        let mut r = Reader::open(&s, false).expect("opens");
        let rows: Vec<_> = all(&mut r, 5).into_iter().map(|x| x.expect("row").1).collect();
        assert_eq!(
            rows,
            [r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":1}"#, r#"{"a":2}"#, r#"{"a":1}"#]
        );
        assert_eq!(r.passes, 2);
        let (_d, s) = spec(b"a\n", "csv", true);
        let mut r = Reader::open(&s, false).expect("opens");
        assert!(matches!(r.next_into(&mut Row::default()), Err(ReplayError::Empty(_))));
    }
}
