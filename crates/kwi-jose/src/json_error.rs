//! Why a JSON document (a token's header or claims) was refused, as data: the scanner reports
//! these, and the words are chosen here, once.
//!
//! [`JsonError`]'s `Display` is a predicate without its subject ("not UTF-8", "not a valid JSON
//! object: bad number at byte 7"): the caller names what was read ("the claims are …", "the
//! header is …").

/// What a JSON value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonKind {
    /// The kind with its article, as kwi's messages say it ("a string", "an array", "null").
    pub fn with_article(self) -> &'static str {
        match self {
            JsonKind::String => "a string",
            JsonKind::Number => "a number",
            JsonKind::Bool => "a boolean",
            JsonKind::Null => "null",
            JsonKind::Array => "an array",
            JsonKind::Object => "an object",
        }
    }

    /// The kind as Go's `encoding/json` names it in its messages ("number", "bool", …).
    pub fn go_name(self) -> &'static str {
        match self {
            JsonKind::String => "string",
            JsonKind::Number => "number",
            JsonKind::Bool => "bool",
            JsonKind::Null => "null",
            JsonKind::Array => "array",
            JsonKind::Object => "object",
        }
    }
}

/// A JSON document that kwi's strict reading refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// The bytes are not UTF-8 (the first bad byte is at `at`).
    #[error("not UTF-8")]
    NotUtf8 {
        /// Offset of the first byte that is not UTF-8.
        at: usize,
    },
    /// The document is longer than kwi reads.
    #[error("too large")]
    TooLarge,
    /// A member name given twice in one object (at any depth): two parsers keeping different
    /// copies would disagree on what the document says.
    #[error("not a valid JSON object: duplicate member {name:?}")]
    DuplicateMember {
        /// The name, escapes resolved.
        name: String,
    },
    /// Not JSON at byte `at`.
    #[error("not a valid JSON object: {problem} at byte {at}")]
    Syntax {
        /// Offset of the byte where reading stopped.
        at: usize,
        /// What was wrong there.
        problem: JsonSyntax,
    },
}

/// What the scanner expected, or found, where a document stops being JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonSyntax {
    /// A value was expected.
    #[error("expected a value")]
    ExpectedValue,
    /// The document ends inside a value.
    #[error("unexpected end")]
    UnexpectedEnd,
    /// Something other than white space follows the value.
    #[error("trailing characters")]
    TrailingCharacters,
    /// A string was expected (a member name).
    #[error("expected a string")]
    ExpectedString,
    /// An object was expected.
    #[error("expected an object")]
    ExpectedObject,
    /// An array was expected.
    #[error("expected an array")]
    ExpectedArray,
    /// `:` was expected after a member name.
    #[error("expected ':'")]
    ExpectedColon,
    /// `,` or `}` was expected after a member.
    #[error("expected ',' or '}}'")]
    ExpectedCommaOrBrace,
    /// `,` or `]` was expected after an element.
    #[error("expected ',' or ']'")]
    ExpectedCommaOrBracket,
    /// A string runs to the end of the document.
    #[error("unterminated string")]
    UnterminatedString,
    /// A control character (below U+0020) inside a string.
    #[error("control character in string")]
    ControlCharacter,
    /// A backslash followed by a letter JSON does not know.
    #[error("bad escape")]
    BadEscape,
    /// `\u` not followed by four hexadecimal digits.
    #[error("bad \\u escape")]
    BadUnicodeEscape,
    /// `\u` cut short by the end of the document.
    #[error("truncated \\u escape")]
    TruncatedUnicodeEscape,
    /// A low surrogate with no high surrogate before it.
    #[error("lone trailing surrogate in \\u escape")]
    LoneTrailingSurrogate,
    /// A high surrogate with no `\u` after it.
    #[error("lone leading surrogate in \\u escape")]
    LoneLeadingSurrogate,
    /// A high surrogate followed by something other than a low one.
    #[error("bad surrogate pair in \\u escape")]
    BadSurrogatePair,
    /// A number JSON's grammar refuses (`01`, `1.`, `-`).
    #[error("bad number")]
    BadNumber,
    /// A number beyond the range of a 64-bit float (`1e400`).
    #[error("number out of range")]
    NumberOutOfRange,
    /// Not `true`, `false` or `null`.
    #[error("bad literal")]
    BadLiteral,
    /// Objects and arrays nested deeper than 128 levels.
    #[error("nesting too deep")]
    NestingTooDeep,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_reads_as_a_predicate() {
        let cases = [
            (JsonError::NotUtf8 { at: 3 }, "not UTF-8"),
            (JsonError::TooLarge, "too large"),
            (
                JsonError::DuplicateMember {
                    name: "a\"b".into(),
                },
                r#"not a valid JSON object: duplicate member "a\"b""#,
            ),
            (
                JsonError::Syntax {
                    at: 7,
                    problem: JsonSyntax::BadNumber,
                },
                "not a valid JSON object: bad number at byte 7",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn each_syntax_problem_has_its_words() {
        let cases = [
            (JsonSyntax::ExpectedValue, "expected a value"),
            (JsonSyntax::UnexpectedEnd, "unexpected end"),
            (JsonSyntax::TrailingCharacters, "trailing characters"),
            (JsonSyntax::ExpectedString, "expected a string"),
            (JsonSyntax::ExpectedObject, "expected an object"),
            (JsonSyntax::ExpectedArray, "expected an array"),
            (JsonSyntax::ExpectedColon, "expected ':'"),
            (JsonSyntax::ExpectedCommaOrBrace, "expected ',' or '}'"),
            (JsonSyntax::ExpectedCommaOrBracket, "expected ',' or ']'"),
            (JsonSyntax::UnterminatedString, "unterminated string"),
            (JsonSyntax::ControlCharacter, "control character in string"),
            (JsonSyntax::BadEscape, "bad escape"),
            (JsonSyntax::BadUnicodeEscape, "bad \\u escape"),
            (JsonSyntax::TruncatedUnicodeEscape, "truncated \\u escape"),
            (
                JsonSyntax::LoneTrailingSurrogate,
                "lone trailing surrogate in \\u escape",
            ),
            (
                JsonSyntax::LoneLeadingSurrogate,
                "lone leading surrogate in \\u escape",
            ),
            (
                JsonSyntax::BadSurrogatePair,
                "bad surrogate pair in \\u escape",
            ),
            (JsonSyntax::BadNumber, "bad number"),
            (JsonSyntax::NumberOutOfRange, "number out of range"),
            (JsonSyntax::BadLiteral, "bad literal"),
            (JsonSyntax::NestingTooDeep, "nesting too deep"),
        ];
        for (problem, text) in cases {
            assert_eq!(problem.to_string(), text);
        }
    }

    #[test]
    fn kinds_are_named_for_kwi_and_for_go() {
        let cases = [
            (JsonKind::String, "a string", "string"),
            (JsonKind::Number, "a number", "number"),
            (JsonKind::Bool, "a boolean", "bool"),
            (JsonKind::Null, "null", "null"),
            (JsonKind::Array, "an array", "array"),
            (JsonKind::Object, "an object", "object"),
        ];
        for (kind, kwi, go) in cases {
            assert_eq!((kind.with_article(), kind.go_name()), (kwi, go));
        }
    }
}
