//! The filter's tokens: parentheses, brackets, words (attribute paths,
//! operators, keywords), JSON strings and numbers.

use super::super::{ScimError, ScimType};

/// A token of a filter.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Token {
    /// `(`
    Open,
    /// `)`
    Close,
    /// `[`
    OpenBracket,
    /// `]`
    CloseBracket,
    /// An attribute path, an operator, `and`/`or`/`not`, `true`/`false`/`null`,
    /// or `.subAttr` right after `]` (PATCH paths).
    Word(String),
    /// A JSON string, decoded.
    Str(String),
    /// A JSON number.
    Number(serde_json::Number),
}

fn invalid(detail: &'static str) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '_' | '-' | '$')
}

/// Splits `input` into tokens. Whitespace separates tokens (RFC 7644 uses
/// one SP; any ASCII whitespace is tolerated).
pub(crate) fn tokenize(input: &str) -> Result<Vec<Token>, ScimError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_ascii_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            '[' => {
                chars.next();
                tokens.push(Token::OpenBracket);
            }
            ']' => {
                chars.next();
                tokens.push(Token::CloseBracket);
            }
            '"' => {
                chars.next();
                let mut escaped = false;
                let mut end = None;
                for (i, ch) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if ch == '\\' {
                        escaped = true;
                    } else if ch == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let end = end.ok_or_else(|| invalid("a string is not terminated"))?;
                let literal = input
                    .get(start..=end)
                    .ok_or_else(|| invalid("a string is not terminated"))?;
                let decoded: String = serde_json::from_str(literal)
                    .map_err(|_| invalid("a string has an invalid escape"))?;
                tokens.push(Token::Str(decoded));
            }
            c if c == '-' || c.is_ascii_digit() => {
                let mut end = start;
                while let Some(&(i, ch)) = chars.peek() {
                    if ch.is_ascii_digit() || matches!(ch, '-' | '+' | '.' | 'e' | 'E') {
                        end = i + ch.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                let literal = input.get(start..end).unwrap_or_default();
                let number: serde_json::Number = literal
                    .parse()
                    .map_err(|_| invalid("a number is not a JSON number"))?;
                tokens.push(Token::Number(number));
            }
            c if is_word_char(c) => {
                let mut end = start;
                while let Some(&(i, ch)) = chars.peek() {
                    if is_word_char(ch) {
                        end = i + ch.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Word(
                    input.get(start..end).unwrap_or_default().to_owned(),
                ));
            }
            _ => return Err(invalid("the filter has a character outside the grammar")),
        }
    }
    Ok(tokens)
}
