//! Source clean-up before the Handlebars parser sees a template.
//!
//! KDG trims a template and deletes every line feed before rendering (`docs/templates.md#clean-up`), which is
//! what lets a `random.number(` argument span several lines. This pass does the same, and rewrites
//! what the Handlebars grammar cannot read:
//!
//! * faker names `ns.method` (and `entity.id`, `entity.attr`, …) become `ns:method` (one identifier
//!   to Handlebars);
//! * KDG calls `{{ns.method(ARG)}}` lose their `(ARG)`, which is kept aside, keyed by the offset
//!   of the tag's `{{` in the rewritten text;
//! * `{{current.timestamp}}` becomes `{{date:now}}`.
//!
//! Every byte of the rewritten text remembers the source byte it came from, so errors found later
//! point at the user's file, line and column.

use std::collections::HashMap;

use crate::faker::{Compat, NAMESPACES};

/// A template ready for the Handlebars parser.
#[derive(Debug)]
pub struct Scanned {
    /// The rewritten text.
    pub text: String,
    /// Where each byte of `text` came from in the source.
    pub map: SourceMap,
    /// KDG-style arguments, by the offset in `text` of their tag's `{{`.
    pub calls: HashMap<usize, KdgArg>,
    /// Offsets in `text` where it can be cut into pieces that the Handlebars parser reads one at
    /// a time with the same result (see [`Scanned::pieces`]), in increasing order.
    cuts: Vec<usize>,
}

impl Scanned {
    /// `text` cut into pieces of at least `min_bytes` (the last may be shorter), each with its
    /// offset in `text`.
    ///
    /// The Handlebars parser finds the line and column of every element by counting from the
    /// start of its input, so one parse is quadratic in the input's length; pieces keep it
    /// linear in the template's (`docs/templates.md#compile-cost`). A cut is only made where it
    /// changes nothing: outside every block, right after a plain `{{expression}}` or a block's
    /// closing tag (one with text or a tag right before it) that does not trim what follows
    /// (`~}}`), where what follows, after any spaces and tabs, is a literal character no rule
    /// joins to a tag, another plain expression, or a block's opening tag with text right after
    /// it (none of them ever on a standalone line, and nothing after the cut trims back across
    /// it). A template with an escaped `\{{` or a raw block is not cut at all.
    pub fn pieces(&self, min_bytes: usize) -> Vec<(usize, &str)> {
        let mut pieces = Vec::new();
        let mut start = 0;
        for &cut in &self.cuts {
            if cut - start >= min_bytes && cut < self.text.len() {
                pieces.push((start, &self.text[start..cut]));
                start = cut;
            }
        }
        pieces.push((start, &self.text[start..]));
        pieces
    }
}

/// How a tag (its text from `{{` to `}}`, inclusive) bears on where the text may be cut.
#[derive(Debug, PartialEq, Eq)]
enum TagKind {
    /// `{{#…}}`, `{{^…}}`, `{{{{raw}}}}`: opens a block.
    Open,
    /// `{{/…}}`, `{{{{/raw}}}}`: closes one.
    Close,
    /// A plain expression, `{{{…}}}` included, that does not trim what follows it.
    Plain,
    /// Anything else: comments, `{{else}}`, partials, decorators, trimming tags.
    Other,
}

fn tag_kind(tag: &[u8]) -> TagKind {
    let opens = tag.iter().take_while(|b| **b == b'{').count();
    let inner = &tag[opens..];
    let inner = inner.strip_prefix(b"~").unwrap_or(inner);
    if opens == 4 {
        return if inner.starts_with(b"/") {
            TagKind::Close
        } else {
            TagKind::Open
        };
    }
    match inner.first() {
        Some(b'#') => TagKind::Open,
        Some(b'^')
            if !inner[1..]
                .iter()
                .take_while(|b| **b != b'}')
                .all(|b| b.is_ascii_whitespace() || *b == b'~') =>
        {
            TagKind::Open
        }
        Some(b'/') => TagKind::Close,
        _ if tag.ends_with(b"~}}") || tag.ends_with(b"~}}}") => TagKind::Other,
        Some(b) if b.is_ascii_alphabetic() || matches!(b, b'_' | b'$' | b'@' | b'(' | b'[' | b'.') || opens == 3 => {
            let word = inner.iter().take_while(|b| is_ident(**b)).count();
            if &inner[..word] == b"else" {
                TagKind::Other
            } else {
                TagKind::Plain
            }
        }
        _ => TagKind::Other,
    }
}

/// The raw `ARG` of a KDG call `{{ns.method(ARG)}}`, line feeds removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KdgArg {
    /// The argument text.
    pub raw: String,
    /// Its source offset.
    pub at: usize,
}

/// A scan failure: source offset and message.
pub type ScanError = (usize, String);

pub(super) fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'$'
}

/// The source offset of each byte of a rewritten text, stored as the places where the text
/// stops following the source byte for byte (a deleted line feed, a rewritten name), so it
/// takes far less memory than the text for any real template.
#[derive(Debug, Default)]
pub struct SourceMap {
    /// `(text offset, source offset)`: from this text byte on, byte `i` came from source byte
    /// `source + (i - text)`, until the next entry. Increasing in the text offset.
    breaks: Vec<(usize, usize)>,
    /// The text's length; the offset one past its end maps to `end`.
    len: usize,
    end: usize,
}

impl SourceMap {
    /// Text byte `i` came from this source byte (with `len` mapping the end of the source, and
    /// anything past it the same).
    pub fn get(&self, i: usize) -> usize {
        if i >= self.len {
            return self.end;
        }
        let (text, src) = self.breaks[self.breaks.partition_point(|&(t, _)| t <= i) - 1];
        src + (i - text)
    }

    fn push(&mut self, at: usize) {
        let follows = self.breaks.last().is_some_and(|&(t, s)| s + (self.len - t) == at);
        if !follows {
            self.breaks.push((self.len, at));
        }
        self.len += 1;
    }
}

struct Out {
    text: Vec<u8>,
    map: SourceMap,
}

impl Out {
    fn push(&mut self, b: u8, at: usize) {
        self.text.push(b);
        self.map.push(at);
    }
    fn push_str(&mut self, s: &str, at: usize) {
        for b in s.bytes() {
            self.push(b, at);
        }
    }
}

/// Clean and rewrite `src`.
///
/// # Errors
/// A `{{` that is never closed, or a KDG call whose `(` is never closed.
pub fn scan(src: &str, compat: Compat) -> Result<Scanned, ScanError> {
    let bytes = src.as_bytes();
    let start = src.len() - src.trim_start().len();
    let end = start + src.trim().len();
    let mut out = Out {
        text: Vec::with_capacity(src.len()),
        map: SourceMap::default(),
    };
    let mut calls = HashMap::new();
    let mut aliased = false;
    // Block depth, the places a plain expression ends at depth 0 and where each plain
    // expression starts, for `Scanned::pieces`.
    let (mut depth, mut cuts, mut plain_starts, mut escaped) = (0usize, Vec::new(), Vec::new(), false);
    // Where each block's opening tag starts and ends, for cuts before one.
    let mut open_tags: Vec<(usize, usize)> = Vec::new();
    let mut i = start;
    while i < end {
        let b = bytes[i];
        if b == b'\n' || (b == b'\r' && compat == Compat::Tolerant && bytes.get(i + 1) == Some(&b'\n')) {
            i += 1;
            continue;
        }
        if bytes[i..end].starts_with(b"{{") {
            let tag_out = out.text.len();
            // `\{{` is literal text to Handlebars (and `\\{{` is not): no cut is worth the doubt.
            escaped |= out.text.last() == Some(&b'\\');
            i = scan_tag(bytes, i, end, compat, &mut out, &mut calls, &mut aliased)?;
            let tag = &out.text[tag_out..];
            match tag_kind(tag) {
                TagKind::Open => {
                    open_tags.push((tag_out, out.text.len()));
                    depth += 1;
                }
                TagKind::Close => {
                    depth = depth.saturating_sub(1);
                    // After a block that ends at depth 0, unless its closing tag could stand
                    // alone on a line (white space before it) or trims what follows (`~}}`).
                    let alone = tag_out == 0 || out.text[tag_out - 1].is_ascii_whitespace();
                    if depth == 0 && !alone && !tag.ends_with(b"~}}") {
                        cuts.push(out.text.len());
                    }
                }
                TagKind::Plain => {
                    plain_starts.push(tag_out);
                    if depth == 0 {
                        cuts.push(out.text.len());
                    }
                }
                TagKind::Other => {}
            }
            continue;
        }
        out.push(b, i);
        i += 1;
    }
    out.map.end = end;
    let text = String::from_utf8(out.text).expect("only whole UTF-8 sequences are copied");
    // Inside a raw block (`{{{{raw}}}}`) tags are text, which the depth count above does not
    // know: with one anywhere, no cut (kdg has no `raw` helper, so such a template is an error
    // that must read the same either way).
    if escaped || text.contains("{{{{") {
        cuts.clear();
    }
    // Only where white space (none, or spaces and tabs that then stay in the next piece) leads
    // to a literal character that no rule can remove or join to a tag, to another plain
    // expression, or to a block's opening tag with text right after it: what follows is then on
    // no standalone line, and nothing trims back across.
    let bytes = text.as_bytes();
    cuts.retain(|&at| {
        let next = at
            + bytes[at.min(bytes.len())..]
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
        let opens_a_block = || {
            open_tags
                .binary_search_by_key(&next, |&(start, _)| start)
                .is_ok_and(|i| {
                    let (start, end) = open_tags[i];
                    !bytes[start..].starts_with(b"{{{{") && bytes.get(end).is_some_and(|b| !b.is_ascii_whitespace())
                })
        };
        bytes
            .get(next)
            .is_some_and(|b| !matches!(b, b'{' | b'\\' | b'~' | b'}'))
            || plain_starts.binary_search(&next).is_ok()
            || opens_a_block()
    });
    Ok(Scanned {
        text,
        map: out.map,
        calls,
        cuts,
    })
}

/// Copy one tag starting at `i` (at its `{{`), rewriting faker names. Returns the offset after it.
fn scan_tag(
    bytes: &[u8],
    i: usize,
    end: usize,
    compat: Compat,
    out: &mut Out,
    calls: &mut HashMap<usize, KdgArg>,
    aliased: &mut bool,
) -> Result<usize, ScanError> {
    let tag_out = out.text.len();
    let opens = bytes[i..end].iter().take(4).take_while(|b| **b == b'{').count();
    for k in 0..opens {
        out.push(b'{', i + k);
    }
    let mut j = i + opens;
    // Comments are copied as they are.
    if bytes.get(j) == Some(&b'!') {
        let close: &[u8] = if bytes[j..end].starts_with(b"!--") {
            b"--}}"
        } else {
            b"}}"
        };
        while j < end {
            if bytes[j..end].starts_with(close) {
                for k in 0..close.len() {
                    out.push(bytes[j + k], j + k);
                }
                return Ok(j + close.len());
            }
            if bytes[j] != b'\n' {
                out.push(bytes[j], j);
            }
            j += 1;
        }
        return Err((i, "this comment is never closed by `}}`".into()));
    }
    let mut head = true;
    let mut depth = 0usize;
    while j < end {
        let c = bytes[j];
        match c {
            b'\n' => j += 1,
            b'"' | b'\'' => {
                j = copy_string(bytes, j, end, out);
                head = false;
            }
            b'}' if depth == 0 && bytes[j..end].starts_with(b"}}") => {
                let closes = if opens >= 3 { opens } else { 2 };
                let closes = bytes[j..end].iter().take(closes).take_while(|b| **b == b'}').count();
                for k in 0..closes {
                    out.push(b'}', j + k);
                }
                return Ok(j + closes);
            }
            b'{' | b'[' => {
                depth += 1;
                out.push(c, j);
                j += 1;
                head = false;
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                out.push(c, j);
                j += 1;
            }
            _ if (c.is_ascii_alphabetic() || c == b'_' || c == b'$')
                && !out
                    .text
                    .last()
                    .is_some_and(|p| is_ident(*p) || matches!(p, b'.' | b':' | b'/' | b'@')) =>
            {
                j = scan_name(bytes, j, end, head, compat, tag_out, out, calls, aliased)?;
                head = false;
            }
            _ => {
                if !(c.is_ascii_whitespace() || matches!(c, b'~' | b'#' | b'/' | b'^' | b'&' | b'>' | b'*')) {
                    head = false;
                }
                out.push(c, j);
                j += 1;
            }
        }
    }
    Err((i, "`{{` is never closed by `}}`".into()))
}

/// Copy a quoted string literal starting at `j`; returns the offset after its closing quote.
fn copy_string(bytes: &[u8], mut j: usize, end: usize, out: &mut Out) -> usize {
    let quote = bytes[j];
    out.push(quote, j);
    j += 1;
    while j < end {
        let c = bytes[j];
        if c != b'\n' {
            out.push(c, j);
        }
        j += 1;
        if c == b'\\' && j < end {
            out.push(bytes[j], j);
            j += 1;
        } else if c == quote {
            break;
        }
    }
    j
}

/// Copy an identifier chain `a.b.c` starting at `j`, rewriting faker names and taking KDG
/// arguments aside. Returns the offset after it.
#[allow(clippy::too_many_arguments)]
fn scan_name(
    bytes: &[u8],
    j: usize,
    end: usize,
    head: bool,
    compat: Compat,
    tag_out: usize,
    out: &mut Out,
    calls: &mut HashMap<usize, KdgArg>,
    aliased: &mut bool,
) -> Result<usize, ScanError> {
    let ident_end = |mut k: usize| {
        while k < end && is_ident(bytes[k]) {
            k += 1;
        }
        k
    };
    let ns_end = ident_end(j);
    let ns = std::str::from_utf8(&bytes[j..ns_end]).expect("ASCII");
    let is_faker = NAMESPACES.contains(&ns) || ns == "current" || ns == "entity";
    if !(is_faker && bytes.get(ns_end) == Some(&b'.') && ns_end + 1 < end && is_ident(bytes[ns_end + 1])) {
        for (k, b) in bytes[j..ns_end].iter().enumerate() {
            out.push(*b, j + k);
        }
        return Ok(ns_end);
    }
    let m_end = ident_end(ns_end + 1);
    let method = std::str::from_utf8(&bytes[ns_end + 1..m_end]).expect("ASCII");
    // KDG aliases only the first `{{current.timestamp}}` (`docs/templates.md#clean-up`); strict mode keeps that.
    if ns == "current" && method == "timestamp" && (compat == Compat::Tolerant || !*aliased) {
        *aliased = true;
        out.push_str("date:now", j);
    } else {
        out.push_str(ns, j);
        out.push(b':', ns_end);
        out.push_str(method, ns_end + 1);
    }
    let mut k = m_end;
    // `ns.method.more(ARG)`: faker looks at the first two names only and drops the rest, so
    // `random.number.float(…)` is `random.number(…)` (`docs/templates.md#case-20`).
    while head && k + 1 < end && bytes[k] == b'.' && is_ident(bytes[k + 1]) {
        k = ident_end(k + 1);
    }
    if head && bytes.get(k) == Some(&b'(') {
        // faker's regex `\(([^)]+)\)`: the first `)` closes the argument.
        let first = bytes[k + 1..end].iter().position(|b| *b == b')').map(|p| k + 1 + p);
        let close = match compat {
            Compat::Strict => first,
            // The matching `)`, else KDG's own first `)`: tolerant accepts whatever strict does
            // (`docs/templates.md#case-21`).
            Compat::Tolerant => matching_paren(bytes, k, end).or(first),
        }
        .ok_or_else(|| (k, "this `(` is never closed by `)`".to_string()))?;
        let raw: String = String::from_utf8_lossy(&bytes[k + 1..close]).replace('\n', "");
        calls.insert(tag_out, KdgArg { raw, at: k + 1 });
        k = close + 1;
        // faker looks at `ns.method` only: text after the argument list is ignored (`docs/templates.md#case-1`).
        while k < end && (bytes[k] == b'.' || is_ident(bytes[k])) {
            k += 1;
        }
    } else {
        // `ns.method.more`: faker looks at the first two names only.
        while k < end && bytes[k] == b'.' && k + 1 < end && is_ident(bytes[k + 1]) {
            k = ident_end(k + 1);
        }
    }
    Ok(k)
}

/// The `)` matching the `(` at `open`, skipping JSON strings and nested brackets. A backslash
/// outside a string escapes the next byte, so `{\"min\":1}` (quotes escaped for an enclosing
/// JSON string) has no strings in it.
fn matching_paren(bytes: &[u8], open: usize, end: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut k = open;
    while k < end {
        match bytes[k] {
            b'\\' => k += 1,
            b'"' => {
                k += 1;
                while k < end && bytes[k] != b'"' {
                    if bytes[k] == b'\\' {
                        k += 1;
                    }
                    k += 1;
                }
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return (bytes[k] == b')').then_some(k);
                }
            }
            _ => {}
        }
        k += 1;
    }
    None
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// [`offset_of`] for many positions of one text, in linear time overall when they come in
/// document order (as the compiler asks for them): it walks on from the last position asked
/// for instead of from the start of the text, and restarts from the line's start otherwise.
pub struct Locator<'t> {
    text: &'t str,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// The last position found: (line, col, byte offset).
    cursor: std::cell::Cell<(usize, usize, usize)>,
}

impl<'t> Locator<'t> {
    /// Index the lines of `text`.
    pub fn new(text: &'t str) -> Locator<'t> {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        Locator {
            text,
            line_starts,
            cursor: std::cell::Cell::new((1, 1, 0)),
        }
    }

    /// The byte offset of 1-based `line` and character `col`, as [`offset_of`] gives it.
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let Some(&start) = line.checked_sub(1).and_then(|l| self.line_starts.get(l)) else {
            return self.text.len();
        };
        let (cl, cc, cb) = self.cursor.get();
        let (mut c, mut i) = if cl == line && cc <= col { (cc, cb) } else { (1, start) };
        for ch in self.text[i..].chars() {
            if c == col {
                break;
            }
            if ch == '\n' {
                // The column is past the end of its line: nowhere, as for offset_of.
                return self.text.len();
            }
            c += 1;
            i += ch.len_utf8();
        }
        if c != col {
            return self.text.len();
        }
        self.cursor.set((line, col, i));
        i
    }
}

/// The byte offset of 1-based `line` and character `col` in `text`.
pub fn offset_of(text: &str, line: usize, col: usize) -> usize {
    let mut l = 1;
    let mut c = 1;
    for (i, ch) in text.char_indices() {
        if l == line && c == col {
            return i;
        }
        if ch == '\n' {
            l += 1;
            c = 1;
        } else {
            c += 1;
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tolerant(src: &str) -> Scanned {
        scan(src, Compat::Tolerant).expect("scans")
    }

    #[test]
    fn multi_line_kdg_call_becomes_a_name_and_an_argument() {
        let s = tolerant("{\n  \"price\": {{random.number(\n  {\n\"min\":1,\n\"max\":15\n  }\n)}}\n}");
        assert_eq!(s.text, "{  \"price\": {{random:number}}}");
        let (at, arg) = s.calls.iter().next().unwrap();
        assert_eq!(&s.text[*at..*at + 2], "{{");
        assert_eq!(arg.raw, "  {\"min\":1,\"max\":15  }");
    }

    #[test]
    fn handlebars_names_are_rewritten_outside_strings() {
        let s = tolerant(r#"{{random.number min=1 max=2}} {{#if (random.boolean)}}"name.x"{{/if}} {{this.name}}"#);
        assert_eq!(
            s.text,
            r#"{{random:number min=1 max=2}} {{#if (random:boolean)}}"name.x"{{/if}} {{this.name}}"#
        );
        assert!(s.calls.is_empty());
    }

    #[test]
    fn parentheses_inside_json_strings_do_not_close_the_argument() {
        let s = tolerant(r#"{{phone.phoneNumber("(###) ###-####")}}"#);
        assert_eq!(s.text, "{{phone:phoneNumber}}");
        assert_eq!(s.calls.values().next().unwrap().raw, r#""(###) ###-####""#);
    }

    #[test]
    fn current_timestamp_is_aliased_everywhere_when_tolerant_and_once_when_strict() {
        let src = "{{current.timestamp}} {{current.timestamp}}";
        assert_eq!(tolerant(src).text, "{{date:now}} {{date:now}}");
        assert_eq!(
            scan(src, Compat::Strict).unwrap().text,
            "{{date:now}} {{current:timestamp}}"
        );
    }

    #[test]
    fn every_rewritten_byte_maps_back_to_its_source() {
        let src = "é\n{{random.number(5)}}";
        let s = tolerant(src);
        let tag = s.text.find("{{").unwrap();
        assert_eq!(s.map.get(tag), src.find("{{").unwrap());
        assert_eq!(line_col(src, s.map.get(tag)), (2, 1));
        assert_eq!(offset_of(src, 2, 1), s.map.get(tag));
        assert_eq!(s.map.get(s.text.len()), src.len());
        assert_eq!(s.map.get(s.text.len() + 5), src.len());
        // Literal text maps byte for byte across deleted line feeds and rewritten tags; a
        // rewritten tag's bytes map into the tag.
        let src = " a\n{{name.firstName}}\nb\n\nc{{random.number(5)}}d ";
        let s = tolerant(src);
        assert_eq!(s.text, "a{{name:firstName}}bc{{random:number}}d");
        let at: Vec<usize> = (0..s.text.len()).map(|i| s.map.get(i)).collect();
        assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
        for (i, want) in [(0, 1), (1, 3), (19, 22), (20, 25), (38, 46)] {
            assert_eq!(at[i], want, "text byte {i}");
        }
    }

    #[test]
    fn the_locator_finds_what_offset_of_finds_in_any_order() {
        let text = "ab\n{{x}}é\n\nzz{{y}}";
        let loc = Locator::new(text);
        let mut all = Vec::new();
        for line in 0..6 {
            for col in 0..9 {
                all.push((line, col));
            }
        }
        // In order, then backwards (the cursor restarts from the line's start).
        for &(line, col) in all.iter().chain(all.iter().rev()) {
            assert_eq!(loc.offset_of(line, col), offset_of(text, line, col), "{line}:{col}");
        }
    }

    #[test]
    fn unclosed_tags_and_calls_are_errors_with_positions() {
        assert_eq!(scan("ab {{ name.firstName", Compat::Tolerant).unwrap_err().0, 3);
        assert!(scan("{{random.number(5}}", Compat::Tolerant).is_err());
    }
}
