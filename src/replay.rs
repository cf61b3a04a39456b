//! Replay: records from a CSV or NDJSON input, one row each, streamed.
//!
//! This module owns reading the input and turning rows into JSON objects; it never holds more
//! than one row (plus the reader's buffer) in memory, so inputs of any size replay. The input is
//! a file, a FIFO or process substitution (`--from <(zcat rows.ndjson.gz)`), or standard input
//! (`--from -`), and it is opened and read **once**: what setup reads before the load (the CSV
//! header, the first row) is kept and replayed, so a pipe loses nothing. Only a regular file can
//! be read again from the start (`--loop`, or a later run of the same source as find-max makes).
//!
//! * **CSV**: the first line is the header; its names become the keys, in order. A field that is
//!   a JSON number (`42`, `-1.50`, `6.02e23`) is written as that number, byte for byte; an empty
//!   field is `null`; everything else is a string. Quoting follows RFC 4180 strictly: a quoted
//!   field (which may hold commas, doubled quotes `""` and line breaks) starts and ends with a
//!   quote; a quote anywhere else makes the row bad. Blank lines are passed over.
//! * **NDJSON**: each non-blank line must be a JSON object and is sent exactly as written.
//!
//! A row that does not parse (a CSV row with the wrong number of fields or bad quoting, invalid
//! UTF-8, a line that is not a JSON object) is a [`Next::Bad`] with its line number; the engine
//! skips it or stops the run, per `--on-bad-row`, and counts it either way. A bad row costs
//! exactly itself: an unclosed quote does not swallow the lines after it (the record's first
//! line is bad, and the lines it ran over are read again as rows of their own).
//!
//! Templates see the current row through [`Row::get`] (`{{row.price}}`) and [`Row::json`]
//! (`{{row}}`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use crate::faker::row::{Kind, Row};
pub use crate::report::InputSummary;

/// The `--from` value that means standard input.
pub const STDIN: &str = "-";

/// The longest CSV record: a record kdg sends is at most a Kinesis record (1 MiB), so a quoted
/// field that runs on longer can only be a quote that was never closed.
const MAX_CSV_RECORD_BYTES: usize = crate::sink::limits::KINESIS_MAX_RECORD_BYTES;

/// The input's read buffer.
const READ_BUFFER_BYTES: usize = 256 * 1024;

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
    /// The file, or [`STDIN`].
    pub path: PathBuf,
    /// Its format.
    pub format: Format,
    /// Start again at the first row after the last one.
    pub looped: bool,
    /// What to do with rows that do not parse.
    pub on_bad_row: OnBadRow,
}

impl ReplaySpec {
    /// Whether the input is standard input (`--from -`).
    pub fn is_stdin(&self) -> bool {
        self.path.as_os_str() == STDIN
    }

    /// How messages and the report name the input.
    pub fn name(&self) -> String {
        if self.is_stdin() {
            "standard input".to_string()
        } else {
            self.path.display().to_string()
        }
    }

    /// Whether the input can be read again from its start: a regular file can; standard input,
    /// a FIFO or a process substitution cannot.
    pub fn rereadable(&self) -> bool {
        !self.is_stdin() && std::fs::metadata(&self.path).is_ok_and(|m| m.is_file())
    }
}

/// Why a replay input cannot be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The input cannot be opened or read.
    #[error("--from: cannot read `{path}`: {source}")]
    Io {
        /// The input.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The CSV header is unusable.
    #[error("--from: `{path}` line 1: {message}")]
    Header {
        /// The input.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The input has no rows (a CSV with only a header, or an empty input).
    #[error("--from: `{0}` has no rows")]
    Empty(String),
    /// The input was read by an earlier run and cannot be read again.
    #[error("--from: `{0}` is a pipe or standard input, read by an earlier run; it cannot be read again (replay a regular file)")]
    ReadOnce(String),
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

/// The opened input, buffered.
type Input = BufReader<Box<dyn Read + Send>>;

enum Inner {
    Csv(Box<Csv>),
    Ndjson { reader: Input, line: Vec<u8>, number: u64 },
}

/// Physical lines of the input, numbered, with lines to read again first.
struct Lines {
    reader: Input,
    /// Lines a bad record ran over, to be read again, in order.
    again: VecDeque<(u64, Vec<u8>)>,
    /// Lines read from the input so far.
    read: u64,
}

impl Lines {
    /// Append the next line (with its line break, if any) to `buf`; its number, or `None` at the
    /// end of the input.
    fn next_into(&mut self, buf: &mut Vec<u8>) -> std::io::Result<Option<u64>> {
        if let Some((number, line)) = self.again.pop_front() {
            buf.extend_from_slice(&line);
            return Ok(Some(number));
        }
        let at = buf.len();
        if self.reader.read_until(b'\n', buf)? == 0 {
            return Ok(None);
        }
        self.read += 1;
        if self.read == 1 && buf[at..].starts_with(b"\xEF\xBB\xBF") {
            // A UTF-8 byte order mark, as spreadsheets write, is not part of the first line.
            buf.drain(at..at + 3);
        }
        Ok(Some(self.read))
    }
}

/// A CSV input: its lines, its header, and the current record.
struct Csv {
    lines: Lines,
    header: Vec<Vec<u8>>,
    /// The current record's bytes, and where each of its lines starts (number, offset).
    record: Vec<u8>,
    starts: Vec<(u64, usize)>,
    /// Its fields, unquoted, end to end, and where each ends.
    fields: Vec<u8>,
    ends: Vec<usize>,
}

/// One CSV record.
enum Record {
    /// Its fields are in `fields`/`ends`; it starts at this line.
    Fields(u64),
    /// The record starting at `line` is bad.
    Bad(u64, String),
    /// No more records.
    End,
}

impl Csv {
    /// Read the next record: lines are joined while a quoted field is open.
    fn record(&mut self) -> std::io::Result<Record> {
        self.record.clear();
        self.starts.clear();
        let mut open_quote = false;
        loop {
            let at = self.record.len();
            let Some(number) = self.lines.next_into(&mut self.record)? else {
                if self.starts.is_empty() {
                    return Ok(Record::End);
                }
                return Ok(self.bad_record("a quoted field is not closed before the end of the input".into()));
            };
            if self.starts.is_empty() && self.record.iter().all(|b| matches!(b, b'\r' | b'\n')) {
                self.record.clear();
                continue;
            }
            self.starts.push((number, at));
            open_quote ^= self.record[at..].iter().filter(|&&b| b == b'"').count() % 2 == 1;
            if !open_quote {
                break;
            }
            if self.record.len() > MAX_CSV_RECORD_BYTES {
                return Ok(self.bad_record(format!(
                    "a quoted field runs on past {} KiB: its closing quote is missing",
                    MAX_CSV_RECORD_BYTES / 1024
                )));
            }
        }
        let mut end = self.record.len();
        if self.record[..end].ends_with(b"\n") {
            end -= 1;
            if self.record[..end].ends_with(b"\r") {
                end -= 1;
            }
        }
        match split_fields(&self.record[..end], &mut self.fields, &mut self.ends) {
            Ok(()) => Ok(Record::Fields(self.starts[0].0)),
            Err(message) => Ok(self.bad_record(message)),
        }
    }

    /// The current record's quoting is broken: its first line is the bad row, and the lines it
    /// ran over are read again, so the bad row costs only itself.
    fn bad_record(&mut self, message: String) -> Record {
        for w in (1..self.starts.len()).rev() {
            let (number, at) = self.starts[w];
            let end = self.starts.get(w + 1).map_or(self.record.len(), |s| s.1);
            self.lines.again.push_front((number, self.record[at..end].to_vec()));
        }
        Record::Bad(self.starts[0].0, message)
    }

    /// Field `i` of the current record.
    fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.fields[start..self.ends[i]]
    }
}

/// Split one CSV record (without its line break) into unquoted fields, RFC 4180 strictly.
///
/// # Errors
/// A quote inside a field that does not start with one, text after a closing quote, or a
/// quoted field that is not closed.
fn split_fields(record: &[u8], fields: &mut Vec<u8>, ends: &mut Vec<usize>) -> Result<(), String> {
    fields.clear();
    ends.clear();
    let mut i = 0;
    loop {
        let n = ends.len() + 1;
        if record.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match record.get(i) {
                    None => return Err(format!("field {n}: the quoted field is not closed")),
                    Some(b'"') if record.get(i + 1) == Some(&b'"') => {
                        fields.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        fields.push(b);
                        i += 1;
                    }
                }
            }
            match record.get(i) {
                None | Some(b',') => {}
                Some(_) => {
                    return Err(format!(
                        "field {n}: text after the closing quote (a quote inside a quoted field is written \"\")"
                    ))
                }
            }
        } else {
            while let Some(&b) = record.get(i) {
                match b {
                    b',' => break,
                    b'"' => {
                        return Err(format!(
                            "field {n}: a quote inside a field that is not quoted (quote the whole field, and write a quote in it as \"\")"
                        ))
                    }
                    _ => fields.push(b),
                }
                i += 1;
            }
        }
        ends.push(fields.len());
        if i >= record.len() {
            return Ok(());
        }
        i += 1;
    }
}

/// Reads a replay input row by row.
pub struct Reader {
    spec: ReplaySpec,
    inner: Inner,
    /// Whether templates look at fields (NDJSON lines are only parsed when they do).
    fields: bool,
    /// A row read ahead ([`Reader::peek`]) and not yet handed out.
    peeked: Option<(Next, Row)>,
    /// Rows read in the current pass.
    rows_this_pass: u64,
    /// Completed passes over the input.
    pub passes: u64,
}

impl Reader {
    /// Open the input and read the CSV header. `fields`: whether callers use [`Row::get`].
    ///
    /// # Errors
    /// The input cannot be read, or its header is unusable.
    pub fn open(spec: &ReplaySpec, fields: bool) -> Result<Reader, ReplayError> {
        Ok(Reader {
            inner: open_inner(spec)?,
            spec: spec.clone(),
            fields,
            peeked: None,
            rows_this_pass: 0,
            passes: 0,
        })
    }

    /// The CSV header names (empty for NDJSON).
    pub fn header(&self) -> Vec<String> {
        match &self.inner {
            Inner::Csv(csv) => csv
                .header
                .iter()
                .map(|h| String::from_utf8_lossy(h).into_owned())
                .collect(),
            Inner::Ndjson { .. } => Vec::new(),
        }
    }

    /// Read the first row now and keep it for the first [`Reader::next_into`], so that an empty
    /// input is an error before anything is sent.
    ///
    /// # Errors
    /// As [`Reader::next_into`].
    pub fn peek(&mut self) -> Result<(), ReplayError> {
        if self.peeked.is_none() {
            let mut row = Row::default();
            let next = self.next_into(&mut row)?;
            self.peeked = Some((next, row));
        }
        Ok(())
    }

    /// Read the next row into `row`; at the end of the input start again when looping.
    ///
    /// # Errors
    /// The input cannot be read (or reopened), or it has no rows at all.
    pub fn next_into(&mut self, row: &mut Row) -> Result<Next, ReplayError> {
        if let Some((next, mut peeked)) = self.peeked.take() {
            std::mem::swap(row, &mut peeked);
            return Ok(next);
        }
        loop {
            let next = self.read(row)?;
            match next {
                Next::End if self.spec.looped => {
                    if self.rows_this_pass == 0 {
                        return Err(ReplayError::Empty(self.spec.name()));
                    }
                    self.passes += 1;
                    self.rows_this_pass = 0;
                    self.inner = open_inner(&self.spec)?;
                }
                Next::End => {
                    if self.passes == 0 && self.rows_this_pass == 0 {
                        return Err(ReplayError::Empty(self.spec.name()));
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
            path: self.spec.name(),
            source,
        };
        row.clear();
        match &mut self.inner {
            Inner::Csv(csv) => {
                let line = match csv.record().map_err(io)? {
                    Record::End => return Ok(Next::End),
                    Record::Bad(line, message) => return Ok(Next::Bad { line, message }),
                    Record::Fields(line) => line,
                };
                row.line = line;
                let (len, expected) = (csv.ends.len(), csv.header.len());
                if len != expected {
                    return Ok(Next::Bad {
                        line,
                        message: format!("{len} fields, but the header has {expected}"),
                    });
                }
                if let Some(i) = (0..len).position(|i| std::str::from_utf8(csv.field(i)).is_err()) {
                    return Ok(Next::Bad {
                        line,
                        message: format!(
                            "field {} (`{}`) is not valid UTF-8",
                            i + 1,
                            String::from_utf8_lossy(&csv.header[i])
                        ),
                    });
                }
                row.json.push(b'{');
                for (i, key) in csv.header.iter().enumerate() {
                    let value = csv.field(i);
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
                // Bytes, not a String: a line that is not UTF-8 is read to its end like any
                // other, so the next line is untouched.
                if reader.read_until(b'\n', line).map_err(io)? == 0 {
                    return Ok(Next::End);
                }
                *number += 1;
                let Ok(text) = std::str::from_utf8(line) else {
                    return Ok(Next::Bad {
                        line: *number,
                        message: "the line is not valid UTF-8".into(),
                    });
                };
                let text = text.trim();
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

/// Open the input (standard input for [`STDIN`]) and, for a CSV, read its header.
fn open_inner(spec: &ReplaySpec) -> Result<Inner, ReplayError> {
    let path = spec.name();
    let raw: Box<dyn Read + Send> = if spec.is_stdin() {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(&spec.path).map_err(|source| ReplayError::Io {
            path: path.clone(),
            source,
        })?)
    };
    let reader = BufReader::with_capacity(READ_BUFFER_BYTES, raw);
    match spec.format {
        Format::Ndjson => Ok(Inner::Ndjson {
            reader,
            line: Vec::new(),
            number: 0,
        }),
        Format::Csv => {
            let mut csv = Csv {
                lines: Lines {
                    reader,
                    again: VecDeque::new(),
                    read: 0,
                },
                header: Vec::new(),
                record: Vec::new(),
                starts: Vec::new(),
                fields: Vec::new(),
                ends: Vec::new(),
            };
            let bad = |message: String| ReplayError::Header {
                path: path.clone(),
                message,
            };
            match csv.record().map_err(|source| ReplayError::Io {
                path: path.clone(),
                source,
            })? {
                Record::End => return Err(ReplayError::Empty(path.clone())),
                Record::Bad(_, message) => return Err(bad(message)),
                Record::Fields(_) => {}
            }
            let names: Vec<Vec<u8>> = (0..csv.ends.len()).map(|i| csv.field(i).to_vec()).collect();
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
            csv.header = names;
            Ok(Inner::Csv(Box::new(csv)))
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
    /// Open `spec` for a run and read its CSV header; then [`Feed::prime`] it.
    ///
    /// # Errors
    /// As [`Reader::open`].
    pub fn open(spec: &ReplaySpec) -> Result<Feed, ReplayError> {
        Ok(Feed {
            reader: Reader::open(spec, false)?,
            on_bad_row: spec.on_bad_row,
            next_index: 0,
            done: false,
            summary: InputSummary {
                file: spec.name(),
                ..InputSummary::default()
            },
        })
    }

    /// The replay this feed reads.
    pub fn spec(&self) -> &ReplaySpec {
        &self.reader.spec
    }

    /// The CSV header names (empty for NDJSON), for templates that read the row's fields.
    pub fn header(&self) -> Vec<String> {
        self.reader.header()
    }

    /// Say whether the template reads the rows' fields (`fields`), and read the first row now
    /// (it is kept and replayed first), so an empty input is an error before the run starts.
    ///
    /// # Errors
    /// As [`Reader::next_into`].
    pub fn prime(&mut self, fields: bool) -> Result<(), ReplayError> {
        self.reader.fields = fields;
        self.reader.peek()
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
    #[test]
    fn a_line_that_is_not_utf8_costs_only_itself() {
        let (_d, s) = spec(b"{\"a\":1}\n{\"a\":2}\n{\"a\":\xff}\n{\"a\":4}\n", "ndjson", false);
        let mut r = Reader::open(&s, false).expect("opens");
        let rows = all(&mut r, 10);
        assert_eq!(
            rows,
            [
                Ok((1, r#"{"a":1}"#.into())),
                Ok((2, r#"{"a":2}"#.into())),
                Err((3, "the line is not valid UTF-8".into())),
                Ok((4, r#"{"a":4}"#.into())),
            ]
        );
    }

    #[test]
    fn bad_csv_quoting_is_a_bad_row_and_an_unclosed_quote_swallows_nothing() {
        let (_d, s) = spec(
            b"a,b\n1,\"x\"y\n2,x\"y\n3,\"open\n4,\"two\nlines\"\n5,\"q \"\"r\"\"\"\n6,\"never closed\n",
            "csv",
            false,
        );
        let mut r = Reader::open(&s, false).expect("opens");
        let rows = all(&mut r, 20);
        let lines: Vec<_> = rows.iter().map(|r| r.as_ref().map_or_else(|e| e.0, |o| o.0)).collect();
        assert_eq!(lines, [2, 3, 4, 5, 7, 8], "{rows:?}");
        assert!(
            matches!(&rows[0], Err((_, m)) if m.contains("after the closing quote")),
            "{rows:?}"
        );
        assert!(matches!(&rows[1], Err((_, m)) if m.contains("not quoted")), "{rows:?}");
        assert!(rows[2].is_err());
        assert_eq!(rows[3], Ok((5, r#"{"a":4,"b":"two\nlines"}"#.into())));
        assert_eq!(rows[4], Ok((7, r#"{"a":5,"b":"q \"r\""}"#.into())));
        assert!(matches!(&rows[5], Err((8, m)) if m.contains("not closed")), "{rows:?}");
    }

    #[test]
    fn the_row_read_at_setup_is_replayed_first_with_its_fields() {
        let (_d, s) = spec(b"{\"k\":\"v\"}\n{\"k\":\"w\"}\n", "ndjson", false);
        let mut feed = Feed::open(&s).expect("opens");
        feed.prime(true).expect("has rows");
        let mut rows = Vec::new();
        assert_eq!(feed.fill(0, 1, |k| k, &mut rows), 1);
        assert_eq!(rows[0].get("k"), Some((&b"v"[..], Kind::Str)));
        assert_eq!(feed.fill(1, 5, |k| k, &mut rows), 1);
        assert_eq!(rows[0].get("k"), Some((&b"w"[..], Kind::Str)));
        assert!(feed.done());
        let (_d, s) = spec(b"\n\n", "ndjson", false);
        let mut feed = Feed::open(&s).expect("opens");
        assert!(matches!(feed.prime(false), Err(ReplayError::Empty(_))));
    }

    /// One item of a generated input: a good row (with the JSON it must become) or a bad one.
    #[derive(Debug, Clone)]
    enum Item {
        Good(String),
        Bad,
    }

    /// A deterministic random input of `format` with bad rows mixed in: invalid UTF-8, bad
    /// quoting, wrong shapes, blank lines, CRLF, and sometimes a truncated last line.
    fn generate(seed: u64, format: Format) -> (Vec<u8>, Vec<Item>) {
        let mut state = seed;
        let mut next = move |n: u64| {
            state = crate::faker::splitmix64(state);
            state % n
        };
        let mut text = Vec::new();
        let mut items = Vec::new();
        if format == Format::Csv {
            text.extend_from_slice(b"a,b,c\n");
        }
        let rows = 1 + next(40);
        let good_at = next(rows);
        for i in 0..rows {
            if next(6) == 0 {
                text.extend_from_slice(if next(2) == 0 { b"\n" } else { b"\r\n" });
            }
            let eol: &[u8] = if next(5) == 0 { b"\r\n" } else { b"\n" };
            let bad = i != good_at && next(3) == 0;
            let last = i + 1 == rows;
            let truncate = last && !bad && i != good_at && next(2) == 0;
            let (line, item) = match (format, bad) {
                (Format::Ndjson, true) => {
                    let line: &[u8] = match next(4) {
                        0 => b"{\"s\":\"\xff\xfe\"}",
                        1 => b"{\"a\":",
                        2 => b"[1,2]",
                        _ => b"\"just a string\"",
                    };
                    (line.to_vec(), Item::Bad)
                }
                (Format::Ndjson, false) => {
                    let json = format!("{{\"i\":{i},\"s\":\"z\u{fc}rich \\\"{}\\\"\"}}", next(1000));
                    (json.clone().into_bytes(), Item::Good(json))
                }
                (Format::Csv, true) => {
                    let line: &[u8] = match next(5) {
                        0 => b"1,2",
                        1 => b"1,\xff\xfe,3",
                        2 => b"1,\"ab\"c,3",
                        3 => b"1,\"abc,3",
                        _ => b"1,ab\"c,3",
                    };
                    (line.to_vec(), Item::Bad)
                }
                (Format::Csv, false) => {
                    let mut fields = Vec::new();
                    let mut json = Vec::new();
                    for key in ["a", "b", "c"] {
                        let (field, value) = match next(7) {
                            0 => (i.to_string(), i.to_string()),
                            1 => ("plain".to_string(), "\"plain\"".to_string()),
                            2 => ("\"x, y\"".to_string(), "\"x, y\"".to_string()),
                            3 => ("\"say \"\"hi\"\"\"".to_string(), r#""say \"hi\"""#.to_string()),
                            4 => ("\"two\nlines\"".to_string(), r#""two\nlines""#.to_string()),
                            5 => (String::new(), "null".to_string()),
                            _ => ("Z\u{fc}rich".to_string(), "\"Z\u{fc}rich\"".to_string()),
                        };
                        fields.push(field);
                        json.push(format!("\"{key}\":{value}"));
                    }
                    let json = format!("{{{}}}", json.join(","));
                    (fields.join(",").into_bytes(), Item::Good(json))
                }
            };
            if truncate {
                // Cut the last line short, without its line break: a row it has half of. (A CSV
                // row is cut in its first line: cut after, the lines it opened a quote over
                // would be rows of their own, and bad ones.)
                let cut = match format {
                    Format::Csv => {
                        let first_line = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
                        // (No comma but at its start: the line opens a quoted field, which is
                        // then left unclosed.)
                        match line[..first_line].iter().rposition(|&b| b == b',') {
                            Some(p) if p > 0 => p,
                            _ => first_line,
                        }
                    }
                    Format::Ndjson => line.len() / 2,
                };
                text.extend_from_slice(&line[..cut]);
                items.push(Item::Bad);
                break;
            }
            text.extend_from_slice(&line);
            items.push(item);
            if !last || next(2) == 0 {
                text.extend_from_slice(eol);
            }
        }
        (text, items)
    }

    #[test]
    fn generated_inputs_send_every_good_row_and_count_every_bad_one() {
        for seed in 0..250u64 {
            for format in [Format::Csv, Format::Ndjson] {
                let (text, items) = generate(seed, format);
                let ext = if format == Format::Csv { "csv" } else { "ndjson" };
                let good: Vec<&str> = items
                    .iter()
                    .filter_map(|i| match i {
                        Item::Good(j) => Some(j.as_str()),
                        Item::Bad => None,
                    })
                    .collect();
                let bad = items.len() - good.len();
                let before_first_bad: Vec<&str> = items
                    .iter()
                    .map_while(|i| match i {
                        Item::Good(j) => Some(j.as_str()),
                        Item::Bad => None,
                    })
                    .collect();
                for on_bad_row in [OnBadRow::Skip, OnBadRow::Fail] {
                    let (_d, mut s) = spec(&text, ext, false);
                    s.on_bad_row = on_bad_row;
                    let mut feed = Feed::open(&s).expect("opens");
                    feed.prime(seed % 2 == 0).expect("has rows");
                    let (mut rows, mut sent) = (Vec::new(), Vec::new());
                    while !feed.done() {
                        let got = feed.fill(sent.len() as u64, 1 + seed % 7, |k| k, &mut rows);
                        sent.extend(
                            rows[..got]
                                .iter()
                                .map(|r| String::from_utf8_lossy(r.json()).into_owned()),
                        );
                    }
                    let summary = feed.summary();
                    let input = String::from_utf8_lossy(&text);
                    match on_bad_row {
                        OnBadRow::Skip => {
                            assert_eq!(sent, good, "seed {seed} {format:?}:\n{input}\n{summary:?}");
                            assert_eq!(
                                summary.bad_rows, bad as u64,
                                "seed {seed} {format:?}:\n{input}\n{summary:?}\n{items:?}"
                            );
                            assert!(summary.failed.is_none(), "{summary:?}");
                        }
                        OnBadRow::Fail => {
                            assert_eq!(sent, before_first_bad, "seed {seed} {format:?}:\n{input}");
                            assert_eq!(summary.bad_rows, u64::from(bad > 0), "seed {seed} {format:?}");
                        }
                    }
                    assert_eq!(summary.rows, sent.len() as u64);
                }
            }
        }
    }
}
