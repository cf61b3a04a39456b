//! One row of replayed input as templates see it (its fields and the row as a JSON object), and
//! the JSON string escaper that builds such rows and the `{{json}}` helper.
//!
//! [`crate::replay`] fills a [`Row`] per record; a template reads it through `{{row.NAME}}`
//! (the faker context carries it), so the row type lives here, below both.

use std::ops::Range;

/// How a field's value is written in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string: quoted and escaped.
    Str,
    /// Written as is: a number, `true`/`false`, or (NDJSON) a nested array or object.
    Raw,
    /// `null`.
    Null,
}

#[derive(Debug, Clone)]
struct Field {
    key: Range<usize>,
    value: Range<usize>,
    kind: Kind,
}

/// One row: its fields (keys and unescaped values) and the row as one JSON object. Buffers are
/// reused from row to row.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// The line the row starts on (1-based).
    pub line: u64,
    text: Vec<u8>,
    fields: Vec<Field>,
    /// The row as one JSON object (the reader writes it).
    pub json: Vec<u8>,
}

impl Row {
    /// The row as one JSON object.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// A field's text (unescaped; a number's digits; empty for `null`) and kind.
    pub fn get(&self, key: &str) -> Option<(&[u8], Kind)> {
        self.fields
            .iter()
            .find(|f| &self.text[f.key.clone()] == key.as_bytes())
            .map(|f| (&self.text[f.value.clone()], f.kind))
    }

    /// Empty the row, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.fields.clear();
        self.json.clear();
    }

    /// Add a field: its key, its unescaped value and how the value is written in JSON.
    pub fn push(&mut self, key: &[u8], value: &[u8], kind: Kind) {
        let k = self.text.len();
        self.text.extend_from_slice(key);
        let v = self.text.len();
        self.text.extend_from_slice(value);
        self.fields.push(Field {
            key: k..v,
            value: v..self.text.len(),
            kind,
        });
    }
}

/// Append `text` escaped for use inside a JSON string, optionally with the quotes.
pub fn write_json_escaped(out: &mut Vec<u8>, text: &[u8], quote: bool) {
    if quote {
        out.push(b'"');
    }
    for &b in text {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            _ => out.push(b),
        }
    }
    if quote {
        out.push(b'"');
    }
}
