//! A strict JSON reader for the one hot document kwi parses: a token's claims. It walks the
//! bytes once without building a tree, refuses what `serde_json` refuses plus a member name
//! repeated in any object, and hands string slices to the caller, which copies only the few
//! claims it types. Differential property tests keep it in step with `serde_json`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::json_error::{JsonError, JsonKind, JsonSyntax};

/// Deeper nesting than this is refused (serde_json's limit).
const MAX_DEPTH: usize = 128;

/// How many member names an object compares one by one before it keeps them in a hash set.
const FIRST_NAMES: usize = 16;

/// The error for a member name that an object already has.
#[cold]
#[inline(never)]
fn repeated(name: &JsonStr<'_>) -> JsonError {
    JsonError::DuplicateMember {
        name: name.decode(),
    }
}

/// Marks, in the length of a remembered member name, a name written with escapes.
const ESCAPED: usize = 1 << (usize::BITS - 1);

/// A JSON string as it appears between its quotes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct JsonStr<'a> {
    raw: &'a str,
    escaped: bool,
    /// Where `raw` starts in the scanned text.
    at: usize,
}

impl<'a> JsonStr<'a> {
    /// The text with escapes resolved.
    pub(crate) fn decode(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        self.decode_into(&mut out);
        out
    }

    /// Appends the text with escapes resolved to `out`.
    pub(crate) fn decode_into(&self, out: &mut String) {
        if !self.escaped {
            out.push_str(self.raw);
            return;
        }
        let mut chars = self.raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('u') => {
                    let hex = |chars: &mut std::str::Chars<'_>| {
                        let s: String = chars.by_ref().take(4).collect();
                        u32::from_str_radix(&s, 16).unwrap_or(0xfffd)
                    };
                    let first = hex(&mut chars);
                    let code = if (0xd800..0xdc00).contains(&first) {
                        chars.next();
                        chars.next();
                        let second = hex(&mut chars);
                        0x10000 + ((first - 0xd800) << 10) + (second.wrapping_sub(0xdc00) & 0x3ff)
                    } else {
                        first
                    };
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => {}
            }
        }
    }

    /// The text with escapes resolved, copied only when it has some.
    pub(crate) fn text(&self) -> std::borrow::Cow<'a, str> {
        if self.escaped {
            std::borrow::Cow::Owned(self.decode())
        } else {
            std::borrow::Cow::Borrowed(self.raw)
        }
    }

    /// Whether the text equals `name` (which has no escapes). Inlined so that a constant
    /// `name` compares as a few integer loads, not a call to memcmp.
    #[inline(always)]
    pub(crate) fn is(&self, name: &str) -> bool {
        if self.escaped {
            self.is_escaped(name)
        } else {
            self.raw == name
        }
    }

    #[cold]
    #[inline(never)]
    fn is_escaped(&self, name: &str) -> bool {
        self.decode() == name
    }

    /// One of 64 bits picked from the length and the first, second and last bytes (a
    /// multiplicative hash, its top 6 bits): equal unescaped names get the same bit, and the
    /// names of Kubernetes tokens and headers get different ones (no comparison at all for them).
    fn filter_bit(&self) -> u64 {
        let b = self.raw.as_bytes();
        let byte = |at: Option<&u8>| u32::from(at.copied().unwrap_or(0));
        let key = (b.len() as u32 & 0xff)
            | byte(b.first()) << 8
            | byte(b.get(1)) << 16
            | byte(b.last()) << 24;
        1 << (key.wrapping_mul(0x27d4_eb2f) >> 26)
    }

    fn same_as(&self, other: &JsonStr<'_>) -> bool {
        match (self.escaped, other.escaped) {
            (false, false) => self.raw == other.raw,
            _ => self.decode() == other.decode(),
        }
    }
}

/// Documents longer than this are refused before they are read, so that every [`Text`] span
/// (into the document and the decoded copies after it, at most as long again) fits `u32`.
pub(crate) const MAX_DOCUMENT: usize = (u32::MAX / 2) as usize;

/// A string read from a scanned document, as a span of one buffer: the document itself
/// followed by the decoded copies of the strings that had escapes (see [`Texts`]). Plain
/// spans: nothing to free, nothing to match on to read one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Text {
    from: u32,
    to: u32,
}

impl Text {
    pub(crate) const EMPTY: Text = Text { from: 0, to: 0 };

    /// The text, from the document [`Texts::finish`] made.
    pub(crate) fn get(self, document: &Document) -> &str {
        document
            .buffer
            .get(self.from as usize..self.to as usize)
            .unwrap_or_default()
    }
}

/// Makes the [`Text`]s of one document (no longer than [`MAX_DOCUMENT`]): strings without
/// escapes (the usual case) are spans of the document; the others are decoded into a buffer
/// that [`Texts::finish`] appends to it.
#[derive(Debug, Default)]
pub(crate) struct Texts {
    base: usize,
    decoded: String,
}

impl Texts {
    pub(crate) fn new(document: &str) -> Texts {
        Texts {
            base: document.len(),
            decoded: String::new(),
        }
    }

    pub(crate) fn add(&mut self, s: &JsonStr<'_>) -> Text {
        let span = |from: usize, to: usize| Text {
            from: u32::try_from(from).unwrap_or(u32::MAX),
            to: u32::try_from(to).unwrap_or(u32::MAX),
        };
        if !s.escaped {
            return span(s.at, s.at + s.raw.len());
        }
        let from = self.base + self.decoded.len();
        s.decode_into(&mut self.decoded);
        span(from, self.base + self.decoded.len())
    }

    /// The document the texts are spans of.
    pub(crate) fn finish(self, json: String) -> Document {
        let json_len = json.len();
        let mut buffer = json;
        buffer.push_str(&self.decoded);
        Document {
            buffer,
            json_len,
            raw: OnceLock::new(),
        }
    }
}

/// A JSON object as kwi keeps it once read (a token's header or claims): the JSON, followed by
/// the decoded copies of its strings that had escapes (what [`Text`]s are spans of), and its
/// members as a serde_json map, parsed on first use.
#[derive(Debug, Clone)]
pub(crate) struct Document {
    buffer: String,
    json_len: usize,
    raw: OnceLock<Map<String, Value>>,
}

impl Document {
    /// The JSON as read.
    pub(crate) fn json(&self) -> &str {
        self.buffer.get(..self.json_len).unwrap_or_default()
    }

    /// Every member, as serde_json reads it (parsed on first use).
    pub(crate) fn raw(&self) -> &Map<String, Value> {
        self.raw
            // The same scanner read this JSON strictly when the document was made: it parses.
            .get_or_init(|| parse_object(self.json().as_bytes()).unwrap_or_default())
    }

    /// The members, when [`Document::raw`] has been asked for or given already.
    pub(crate) fn raw_if_parsed(&self) -> Option<&Map<String, Value>> {
        self.raw.get()
    }

    /// Gives the members ahead of time (a document made from a map already at hand).
    pub(crate) fn set_raw(&self, raw: Map<String, Value>) {
        let _ = self.raw.set(raw);
    }
}

/// Reads bytes that must hold one JSON object with no member name repeated at any depth, into
/// serde_json's map (for the members a caller wants as values).
pub(crate) fn parse_object(bytes: &[u8]) -> ScanResult<Map<String, Value>> {
    let mut s = Scanner::new(bytes)?;
    let members = s.members()?;
    s.end()?;
    Ok(members)
}

/// Reads `bytes` as exactly one JSON value, strictly (no member name twice at any depth, as a
/// token's header or claims are read): its kind, or why it is not one, with the kind its first
/// value has when it has one.
pub fn read_json_value(bytes: &[u8]) -> Result<JsonKind, (Option<JsonKind>, JsonError)> {
    let mut s = Scanner::new(bytes).map_err(|e| (None, e))?;
    let kind = s.next_kind().map_err(|e| (None, e))?;
    s.skip()
        .and_then(|()| s.end())
        .map_err(|e| (Some(kind), e))?;
    Ok(kind)
}

/// A JSON number: an integer that fits i64, or anything else as f64.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum JsonNum {
    Int(i64),
    Float(f64),
}

/// The end of the run of bytes from `i` that need no attention inside a string: everything but
/// `"`, `\\` and control characters. Eight bytes at a time (SWAR); the lowest flagged byte of
/// a word is exact (borrows only spill upwards), so the run ends where the first one is.
fn plain_run(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let special = |v: u64| {
        // Bytes below n (n <= 0x80), flagged in their high bit.
        let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGHS;
        // x ^ 2 is below 0x21 exactly for the control characters and '"' (0x22 ^ 2 = 0x20).
        let quote_or_control = below(v ^ (ONES * 2), 0x21);
        let backslash = below(v ^ (ONES * u64::from(b'\\')), 1);
        quote_or_control | backslash
    };
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let found = special(u64::from_le_bytes(word));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    // The last few bytes, padded with zeros (control characters, so flagged at the end).
    let tail = b.get(i..).unwrap_or_default();
    let mut word = [0u8; 8];
    word[..tail.len()].copy_from_slice(tail);
    let found = special(u64::from_le_bytes(word));
    (i + (found.trailing_zeros() / 8) as usize).min(b.len())
}

/// The cursor.
pub(crate) struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    depth: usize,
}

pub(crate) type ScanResult<T> = Result<T, JsonError>;

impl<'a> Scanner<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> ScanResult<Scanner<'a>> {
        let text = std::str::from_utf8(bytes).map_err(|e| JsonError::NotUtf8 {
            at: e.valid_up_to(),
        })?;
        Ok(Scanner::from_text(text))
    }

    /// A scanner over text already known to be UTF-8.
    pub(crate) fn from_text(text: &'a str) -> Scanner<'a> {
        Scanner {
            text,
            b: text.as_bytes(),
            i: 0,
            depth: 0,
        }
    }

    fn err<T>(&self, problem: JsonSyntax) -> ScanResult<T> {
        Err(self.error(problem))
    }

    #[cold]
    #[inline(never)]
    fn error(&self, problem: JsonSyntax) -> JsonError {
        JsonError::Syntax {
            at: self.i,
            problem,
        }
    }

    fn ws(&mut self) {
        // White space is all below '!': one comparison for the usual case of none.
        while let Some(&b) = self.b.get(self.i)
            && b <= b' '
            && matches!(b, b' ' | b'\t' | b'\n' | b'\r')
        {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// The kind of the next value, without consuming it.
    pub(crate) fn next_kind(&mut self) -> ScanResult<JsonKind> {
        Ok(match self.peek() {
            Some(b'"') => JsonKind::String,
            Some(b'-' | b'0'..=b'9') => JsonKind::Number,
            Some(b't' | b'f') => JsonKind::Bool,
            Some(b'n') => JsonKind::Null,
            Some(b'[') => JsonKind::Array,
            Some(b'{') => JsonKind::Object,
            Some(_) => return self.err(JsonSyntax::ExpectedValue),
            None => return self.err(JsonSyntax::UnexpectedEnd),
        })
    }

    /// Where the next value starts (after any white space).
    pub(crate) fn position(&mut self) -> usize {
        self.ws();
        self.i
    }

    /// Ensures only white space remains.
    pub(crate) fn end(&mut self) -> ScanResult<()> {
        if self.peek().is_some() {
            return self.err(JsonSyntax::TrailingCharacters);
        }
        Ok(())
    }

    fn hex4(&mut self) -> ScanResult<u32> {
        let digits = self
            .b
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.error(JsonSyntax::TruncatedUnicodeEscape))?;
        let mut v = 0u32;
        for &d in digits {
            let n = match d {
                b'0'..=b'9' => d - b'0',
                b'a'..=b'f' => d - b'a' + 10,
                b'A'..=b'F' => d - b'A' + 10,
                _ => return self.err(JsonSyntax::BadUnicodeEscape),
            };
            v = (v << 4) | u32::from(n);
        }
        self.i += 4;
        Ok(v)
    }

    /// Reads a string value.
    #[inline(never)]
    pub(crate) fn string(&mut self) -> ScanResult<JsonStr<'a>> {
        if self.peek() != Some(b'"') {
            return self.err(JsonSyntax::ExpectedString);
        }
        self.i += 1;
        let start = self.i;
        // The usual string: no escape, no control character, up to the closing quote.
        let end = plain_run(self.b, start);
        if self.b.get(end) == Some(&b'"')
            && let Some(raw) = self.text.get(start..end)
        {
            self.i = end + 1;
            return Ok(JsonStr {
                raw,
                escaped: false,
                at: start,
            });
        }
        self.string_slow(start)
    }

    /// The rest of [`Scanner::string`]: escapes, control characters, the end of the input.
    #[cold]
    #[inline(never)]
    fn string_slow(&mut self, start: usize) -> ScanResult<JsonStr<'a>> {
        self.i = start;
        let mut escaped = false;
        loop {
            self.i = plain_run(self.b, self.i);
            let Some(&c) = self.b.get(self.i) else {
                return self.err(JsonSyntax::UnterminatedString);
            };
            match c {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.i += 1;
                    match self.b.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            self.i += 1;
                            let first = self.hex4()?;
                            if (0xdc00..0xe000).contains(&first) {
                                return self.err(JsonSyntax::LoneTrailingSurrogate);
                            }
                            if (0xd800..0xdc00).contains(&first) {
                                if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return self.err(JsonSyntax::LoneLeadingSurrogate);
                                }
                                self.i += 2;
                                let second = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&second) {
                                    return self.err(JsonSyntax::BadSurrogatePair);
                                }
                            }
                        }
                        _ => return self.err(JsonSyntax::BadEscape),
                    }
                }
                0x00..=0x1f => return self.err(JsonSyntax::ControlCharacter),
                _ => self.i += 1,
            }
        }
        let raw = &self.text[start..self.i];
        self.i += 1;
        Ok(JsonStr {
            raw,
            escaped,
            at: start,
        })
    }

    /// Reads a number value.
    pub(crate) fn number(&mut self) -> ScanResult<JsonNum> {
        self.ws();
        let start = self.i;
        let digits = |s: &mut Scanner<'_>| {
            let from = s.i;
            while let Some(b'0'..=b'9') = s.b.get(s.i) {
                s.i += 1;
            }
            s.i - from
        };
        let negative = self.b.get(self.i) == Some(&b'-');
        if negative {
            self.i += 1;
        }
        let int_start = self.i;
        // The integer part's value, read while it is scanned (exact up to 18 digits).
        let mut value: u64 = 0;
        while let Some(&d @ b'0'..=b'9') = self.b.get(self.i) {
            value = value.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
            self.i += 1;
        }
        let n = self.i - int_start;
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return self.err(JsonSyntax::BadNumber);
        }
        if n <= 18 && !matches!(self.b.get(self.i), Some(b'.' | b'e' | b'E')) {
            // Below 10^18: fits i64 either way.
            let v = value as i64;
            return Ok(JsonNum::Int(if negative { -v } else { v }));
        }
        let mut integer = true;
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            integer = false;
            if digits(self) == 0 {
                return self.err(JsonSyntax::BadNumber);
            }
        }
        if let Some(b'e' | b'E') = self.b.get(self.i) {
            self.i += 1;
            integer = false;
            if let Some(b'+' | b'-') = self.b.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return self.err(JsonSyntax::BadNumber);
            }
        }
        let text = &self.text[start..self.i];
        if integer && let Ok(v) = text.parse::<i64>() {
            return Ok(JsonNum::Int(v));
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(JsonNum::Float(f)),
            _ => self.err(JsonSyntax::NumberOutOfRange),
        }
    }

    fn literal(&mut self, word: &[u8]) -> ScanResult<()> {
        self.ws();
        if self.b.get(self.i..self.i + word.len()) != Some(word) {
            return self.err(JsonSyntax::BadLiteral);
        }
        self.i += word.len();
        Ok(())
    }

    /// Reads `true` or `false`; `None` (consuming the value) when it is anything else.
    pub(crate) fn boolean(&mut self) -> ScanResult<Option<bool>> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| Some(true)),
            Some(b'f') => self.literal(b"false").map(|()| Some(false)),
            _ => self.skip().map(|()| None),
        }
    }

    /// Walks an object, calling `member` with each name; `member` must consume the value.
    /// Repeated names are refused.
    #[inline]
    pub(crate) fn object(
        &mut self,
        mut member: impl FnMut(&mut Scanner<'a>, JsonStr<'a>) -> ScanResult<()>,
    ) -> ScanResult<()> {
        self.object_dyn(&mut member)
    }

    /// [`Scanner::object`], compiled once: one copy of the walk whatever the callers.
    #[inline(never)]
    fn object_dyn(
        &mut self,
        member: &mut dyn FnMut(&mut Scanner<'a>, JsonStr<'a>) -> ScanResult<()>,
    ) -> ScanResult<()> {
        if self.peek() != Some(b'{') {
            return self.err(JsonSyntax::ExpectedObject);
        }
        self.i += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(JsonSyntax::NestingTooDeep);
        }
        // The first names seen, as (start, length | ESCAPED), with a 64-bit filter in front;
        // past FIRST_NAMES, a hash set of them all (so that a large object costs linear time,
        // not quadratic).
        let mut first = [(0usize, 0usize); FIRST_NAMES];
        let mut count = 0;
        let mut many: Option<HashSet<Cow<'a, str>>> = None;
        let (mut filter, mut escaped_seen) = (0u64, false);
        if self.peek() == Some(b'}') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            let name = self.string()?;
            if let Some(names) = &mut many {
                if !names.insert(name.text()) {
                    return Err(repeated(&name));
                }
            } else {
                // Only a name whose filter bit is already set (or any name once an escaped one
                // was seen) is compared with the others.
                let bit = name.filter_bit();
                let suspect = escaped_seen || name.escaped || filter & bit != 0;
                filter |= bit;
                escaped_seen |= name.escaped;
                if suspect {
                    self.refuse_repeated(&first[..count], &name)?;
                }
                match first.get_mut(count) {
                    Some(slot) => {
                        *slot = (
                            name.at,
                            name.raw.len() | if name.escaped { ESCAPED } else { 0 },
                        );
                        count += 1;
                    }
                    None => many = Some(self.name_set(&first, &name)),
                }
            }
            if self.peek() != Some(b':') {
                return self.err(JsonSyntax::ExpectedColon);
            }
            self.i += 1;
            member(self, name)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.err(JsonSyntax::ExpectedCommaOrBrace),
            }
        }
    }

    /// A name remembered by [`Scanner::object_dyn`].
    fn stored(&self, (at, stored): (usize, usize)) -> JsonStr<'a> {
        let len = stored & !ESCAPED;
        JsonStr {
            raw: self.text.get(at..at + len).unwrap_or_default(),
            escaped: stored & ESCAPED != 0,
            at,
        }
    }

    /// Fails when `name` equals one of the names already seen in the object.
    #[cold]
    #[inline(never)]
    fn refuse_repeated(&self, first: &[(usize, usize)], name: &JsonStr<'a>) -> ScanResult<()> {
        if first.iter().any(|&seen| self.stored(seen).same_as(name)) {
            return Err(repeated(name));
        }
        Ok(())
    }

    /// The set of names an object switches to past [`FIRST_NAMES`]: the first ones and `name`
    /// (already compared with them).
    #[cold]
    #[inline(never)]
    fn name_set(&self, first: &[(usize, usize)], name: &JsonStr<'a>) -> HashSet<Cow<'a, str>> {
        let mut names: HashSet<Cow<'a, str>> =
            first.iter().map(|&seen| self.stored(seen).text()).collect();
        names.insert(name.text());
        names
    }

    /// Walks an array, calling `item` for each element; `item` must consume it.
    #[inline]
    pub(crate) fn array(
        &mut self,
        mut item: impl FnMut(&mut Scanner<'a>) -> ScanResult<()>,
    ) -> ScanResult<()> {
        self.array_dyn(&mut item)
    }

    /// [`Scanner::array`], compiled once.
    #[inline(never)]
    fn array_dyn(
        &mut self,
        item: &mut dyn FnMut(&mut Scanner<'a>) -> ScanResult<()>,
    ) -> ScanResult<()> {
        if self.peek() != Some(b'[') {
            return self.err(JsonSyntax::ExpectedArray);
        }
        self.i += 1;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.err(JsonSyntax::NestingTooDeep);
        }
        if self.peek() == Some(b']') {
            self.i += 1;
            self.depth -= 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    self.depth -= 1;
                    return Ok(());
                }
                _ => return self.err(JsonSyntax::ExpectedCommaOrBracket),
            }
        }
    }

    /// Reads any value into serde_json's tree (numbers as serde_json reads their text).
    fn value(&mut self) -> ScanResult<Value> {
        Ok(match self.next_kind()? {
            JsonKind::String => Value::String(self.string()?.decode()),
            JsonKind::Number => {
                let start = self.position();
                self.number()?;
                let text = self.text.get(start..self.i).unwrap_or_default();
                let number = text.parse::<serde_json::Number>();
                Value::Number(number.map_err(|_| self.error(JsonSyntax::NumberOutOfRange))?)
            }
            JsonKind::Bool | JsonKind::Null => match self.boolean()? {
                Some(b) => Value::Bool(b),
                None => Value::Null,
            },
            JsonKind::Array => {
                let mut items = Vec::new();
                self.array(|s| {
                    items.push(s.value()?);
                    Ok(())
                })?;
                Value::Array(items)
            }
            JsonKind::Object => Value::Object(self.members()?),
        })
    }

    /// Reads an object into serde_json's map.
    fn members(&mut self) -> ScanResult<Map<String, Value>> {
        let mut map = Map::new();
        self.object(|s, name| {
            let value = s.value()?;
            map.insert(name.decode(), value);
            Ok(())
        })?;
        Ok(map)
    }

    /// Consumes any value, checking it.
    pub(crate) fn skip(&mut self) -> ScanResult<()> {
        match self.next_kind()? {
            JsonKind::String => self.string().map(|_| ()),
            JsonKind::Number => self.number().map(|_| ()),
            JsonKind::Bool => {
                if self.b.get(self.i) == Some(&b't') {
                    self.literal(b"true")
                } else {
                    self.literal(b"false")
                }
            }
            JsonKind::Null => self.literal(b"null"),
            JsonKind::Array => self.array(|s| s.skip()),
            JsonKind::Object => self.object(|s, _| s.skip()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scan_all(bytes: &[u8]) -> Result<(), String> {
        let scan = || -> ScanResult<()> {
            let mut s = Scanner::new(bytes)?;
            s.object(|s, _| s.skip())?;
            s.end()
        };
        scan().map_err(|e| e.to_string())
    }

    /// The reference the scanner is compared with: serde_json, refusing a repeated member name
    /// at any depth (kwi's reader before the scanner did it all).
    mod serde_reference {
        use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
        use serde_json::{Map, Value};

        struct Strict(Value);

        impl<'de> Deserialize<'de> for Strict {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(StrictVisitor).map(Strict)
            }
        }

        struct StrictVisitor;

        impl<'de> Visitor<'de> for StrictVisitor {
            type Value = Value;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
                Ok(Value::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
                Ok(Value::from(v))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
                Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(Value::String(v.to_owned()))
            }
            fn visit_unit<E>(self) -> Result<Value, E> {
                Ok(Value::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Value::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let Strict(value) = access.next_value()?;
                    if map.contains_key(&key) {
                        return Err(de::Error::custom(format_args!("duplicate member {key:?}")));
                    }
                    map.insert(key, value);
                }
                Ok(Value::Object(map))
            }
        }

        /// One JSON object, no member name twice at any depth, as serde_json reads it.
        pub(super) fn parse_object(bytes: &[u8]) -> Option<Map<String, Value>> {
            let Strict(value) = serde_json::from_slice(bytes).ok()?;
            match value {
                Value::Object(map) => Some(map),
                _ => None,
            }
        }
    }

    fn serde_strict(bytes: &[u8]) -> bool {
        serde_reference::parse_object(bytes).is_some()
    }

    proptest! {
        /// The tree the scanner builds is serde_json's, number for number.
        #[test]
        fn builds_the_values_serde_builds(v in proptest::collection::btree_map("\\PC{0,6}", json_value(), 0..6)) {
            let text = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(parse_object(text.as_bytes()).ok(), serde_reference::parse_object(text.as_bytes()));
        }
    }

    #[test]
    fn parse_object_refuses_duplicates_at_every_depth() {
        assert_eq!(
            parse_object(br#"{"a":1,"a":2}"#),
            Err(JsonError::DuplicateMember { name: "a".into() })
        );
        assert!(matches!(
            parse_object(br#"{"k":{"x":1,"x":1}}"#),
            Err(JsonError::DuplicateMember { .. })
        ));
        assert!(matches!(
            parse_object(br#"{"k":[{"x":1,"x":1}]}"#),
            Err(JsonError::DuplicateMember { .. })
        ));
        assert_eq!(parse_object(br#"{"a":1,"b":{"a":2}}"#).unwrap().len(), 2);
        let big = parse_object(br#"{"u":18446744073709551615,"n":-0,"f":1.5e3}"#).unwrap();
        assert_eq!(big["u"], serde_json::json!(u64::MAX));
        assert_eq!(big["f"], serde_json::json!(1500.0));
    }

    #[test]
    fn parse_object_reads_only_objects() {
        let syntax = |at, problem| Err(JsonError::Syntax { at, problem });
        assert_eq!(parse_object(b"[1]"), syntax(0, JsonSyntax::ExpectedObject));
        assert_eq!(
            parse_object(b"\"x\""),
            syntax(0, JsonSyntax::ExpectedObject)
        );
        assert_eq!(
            parse_object(b"{\"a\":1} x"),
            syntax(8, JsonSyntax::TrailingCharacters)
        );
        assert_eq!(
            parse_object(&[0xff, 0xfe]),
            Err(JsonError::NotUtf8 { at: 0 })
        );
        let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
        assert!(matches!(
            parse_object(format!("{{\"a\":{deep}}}").as_bytes()),
            Err(JsonError::Syntax {
                problem: JsonSyntax::NestingTooDeep,
                ..
            })
        ));
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            (-1e300f64..1e300).prop_map(serde_json::Value::from),
            "\\PC{0,12}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("\\PC{0,6}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn plain_run_stops_at_the_first_byte_that_needs_attention(
            bytes in proptest::collection::vec(prop_oneof![any::<u8>(), Just(b'"'), Just(b'\\'), 0x18u8..0x24], 0..40),
            from in 0usize..45,
        ) {
            let from = from.min(bytes.len());
            let naive = bytes[from..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .map_or(bytes.len(), |i| from + i);
            prop_assert_eq!(plain_run(&bytes, from), naive);
        }
    }

    /// The member names of Kubernetes tokens and JOSE headers never share a filter bit within
    /// their object, so reading them compares no names.
    #[test]
    fn kubernetes_names_have_distinct_filter_bits() {
        let objects: [&[&str]; 5] = [
            &[
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "kubernetes.io",
                "nbf",
                "sub",
            ],
            &[
                "aud",
                "exp",
                "iat",
                "iss",
                "jti",
                "nbf",
                "sub",
                "kubernetes.io/serviceaccount/namespace",
                "kubernetes.io/serviceaccount/secret.name",
                "kubernetes.io/serviceaccount/service-account.name",
                "kubernetes.io/serviceaccount/service-account.uid",
            ],
            &[
                "namespace",
                "node",
                "pod",
                "secret",
                "serviceaccount",
                "warnafter",
            ],
            &["name", "uid"],
            &["alg", "kid", "typ"],
        ];
        for names in objects {
            let bits: std::collections::HashSet<u64> = names
                .iter()
                .map(|n| {
                    JsonStr {
                        raw: n,
                        escaped: false,
                        at: 0,
                    }
                    .filter_bit()
                })
                .collect();
            assert_eq!(bits.len(), names.len(), "{names:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn accepts_what_serde_writes(v in proptest::collection::btree_map("\\PC{0,6}", json_value(), 0..6)) {
            let text = serde_json::to_string(&v).unwrap();
            prop_assert_eq!(scan_all(text.as_bytes()).is_ok(), true, "{}", text);
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            prop_assert!(scan_all(pretty.as_bytes()).is_ok());
        }

        #[test]
        fn agrees_with_serde_on_mutations(
            v in proptest::collection::btree_map("[a-c\\\\\"é]{0,3}", json_value(), 1..5),
            pos in any::<prop::sample::Index>(),
            byte in prop::sample::select(vec![b'"', b'\\', b'{', b'}', b'[', b']', b',', b':', b'0', b'-', b'e', b'.', b'u', b' ', 0x01, b'a', b'n', b't']),
            delete in any::<bool>(),
        ) {
            let mut text = serde_json::to_string(&v).unwrap().into_bytes();
            let i = pos.index(text.len());
            if delete { text.remove(i); } else { text.insert(i, byte); }
            prop_assert_eq!(scan_all(&text).is_ok(), serde_strict(&text), "{}", String::from_utf8_lossy(&text));
        }

        #[test]
        fn integers_read_exactly(x in any::<i64>(), small in -1_000_000_000_000i64..1_000_000_000_000) {
            for v in [x, small] {
                let text = v.to_string();
                prop_assert_eq!(Scanner::new(text.as_bytes()).unwrap().number().unwrap(), JsonNum::Int(v));
            }
            let beyond = format!("{}0", u64::MAX);
            prop_assert!(matches!(Scanner::new(beyond.as_bytes()).unwrap().number(), Ok(JsonNum::Float(_))));
        }

        #[test]
        fn finds_every_duplicate_name(names in proptest::collection::vec("[ab]{0,3}|[a-z.]{8,12}", 0..40), escape in any::<prop::sample::Index>()) {
            // One name may be written with a \u escape; equal names must be found either way.
            let escaped = escape.index(names.len().max(1));
            let members: Vec<String> = names.iter().enumerate().map(|(i, n)| {
                let written = if i == escaped && !n.is_empty() {
                    format!("\\u{:04x}{}", n.as_bytes()[0], &n[1..])
                } else {
                    n.clone()
                };
                format!("\"{written}\":{i}")
            }).collect();
            let text = format!("{{{}}}", members.join(","));
            let unique = names.iter().collect::<std::collections::HashSet<_>>().len() == names.len();
            prop_assert_eq!(scan_all(text.as_bytes()).is_ok(), unique, "{}", text);
        }

        #[test]
        fn strings_decode_like_serde(s in "\\PC{0,20}") {
            let text = serde_json::to_string(&s).unwrap();
            let mut scanner = Scanner::new(text.as_bytes()).unwrap();
            prop_assert_eq!(scanner.string().unwrap().decode(), s);
        }
    }

    /// Past the names compared one by one, a large object keeps its names in a set: every
    /// repeat is still found, written plainly or with escapes, on either side of the switch.
    #[test]
    fn large_objects_find_repeated_names() {
        let names: Vec<String> = (0..1000).map(|i| format!("n{i}")).collect();
        let object = |extra: &str| {
            let members: Vec<String> = names
                .iter()
                .map(|n| format!("\"{n}\":{{\"x\":1}}"))
                .collect();
            format!("{{{}{extra}}}", members.join(","))
        };
        assert!(scan_all(object("").as_bytes()).is_ok());
        for (repeat, shown) in [
            (r#","n0":1"#, "n0"),
            (r#","\u006e0":1"#, "n0"),
            (r#","n15":1"#, "n15"),
            (r#","n16":1"#, "n16"),
            (r#","n999":1"#, "n999"),
        ] {
            let error = scan_all(object(repeat).as_bytes()).unwrap_err();
            assert!(
                error.contains(&format!("duplicate member {shown:?}")),
                "{error}"
            );
        }
        // A name first written with escapes, repeated plainly after the switch.
        let rest: Vec<String> = names[1..].iter().map(|n| format!("\"{n}\":1")).collect();
        let escaped = format!("{{\"\\u006e0\":1,{},\"n0\":2}}", rest.join(","));
        let error = scan_all(escaped.as_bytes()).unwrap_err();
        assert!(error.contains("duplicate member \"n0\""), "{error}");
    }

    #[test]
    fn escapes_and_duplicates() {
        assert!(
            scan_all(br#"{"a":1,"\u0061":2}"#)
                .unwrap_err()
                .contains("duplicate")
        );
        assert!(scan_all(br#"{"a":"\ud83d\ude00"}"#).is_ok());
        assert!(scan_all(br#"{"a":"\ud83d"}"#).is_err());
        assert!(scan_all(br#"{"a":"\ude00"}"#).is_err());
        assert!(scan_all(b"{\"a\":\"\x01\"}").is_err());
        assert!(scan_all(br#"{"a":01}"#).is_err());
        assert!(scan_all(br#"{"a":1.}"#).is_err());
        assert!(scan_all(br#"{"a":1e400}"#).is_err());
        assert!(scan_all(br#"{"a":[1,]}"#).is_err());
        assert!(scan_all(br#"{"a":1} x"#).is_err());
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        assert!(scan_all(deep.as_bytes()).is_err());
        let mut s = Scanner::new(br#""a\n\u00e9\ud83d\ude00""#).unwrap();
        assert_eq!(s.string().unwrap().decode(), "a\n\u{e9}\u{1f600}");
    }
}
