//! The filter parser: RFC 7644 section 3.4.2.2's grammar with its precedence
//! (`not` binds tightest, then `and`, then `or`; parentheses group), and the
//! PATCH `path` grammar of section 3.5.2.

use super::super::{ScimError, ScimType};
use super::ast::{AttrPath, CompValue, CompareOp, Filter};
use super::lexer::{Token, tokenize};

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not` and brackets accepted.
pub const MAX_DEPTH: usize = 32;

fn invalid(detail: impl Into<std::borrow::Cow<'static, str>>) -> ScimError {
    ScimError::bad(ScimType::InvalidFilter, detail)
}

/// Parses a filter (RFC 7644 section 3.4.2.2).
///
/// ```
/// use reference_authority::scim::filter::{parse, Filter};
/// let f = parse(r#"userName eq "bjensen" and not (emails[type eq "work"])"#)?;
/// assert!(matches!(f, Filter::And(..)));
/// assert!(parse("userName eq").is_err());
/// # Ok::<(), reference_authority::scim::ScimError>(())
/// ```
pub fn parse(input: &str) -> Result<Filter, ScimError> {
    if input.len() > MAX_FILTER_LEN {
        return Err(invalid("the filter is too long"));
    }
    let tokens = tokenize(input)?;
    let mut parser = Parser { tokens, pos: 0 };
    let filter = parser.or_expr(0, false)?;
    if parser.pos != parser.tokens.len() {
        return Err(invalid("unexpected text after the end of the filter"));
    }
    Ok(filter)
}

/// A PATCH operation's `path` (RFC 7644 section 3.5.2):
/// `attrPath / valuePath [subAttr]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute.
    pub attr: AttrPath,
    /// The value filter of a `valuePath`.
    pub filter: Option<Filter>,
    /// The sub-attribute after `]`.
    pub sub_after_filter: Option<String>,
}

/// Parses a PATCH `path`; errors carry `invalidPath`.
///
/// ```
/// use reference_authority::scim::filter::parse_patch_path;
/// let p = parse_patch_path(r#"members[value eq "2819c223"].display"#)?;
/// assert_eq!(p.attr.name, "members");
/// assert_eq!(p.sub_after_filter.as_deref(), Some("display"));
/// # Ok::<(), reference_authority::scim::ScimError>(())
/// ```
pub fn parse_patch_path(input: &str) -> Result<PatchPath, ScimError> {
    let as_path = |e: ScimError| ScimError::bad(ScimType::InvalidPath, e.detail().to_owned());
    if input.len() > MAX_FILTER_LEN {
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            "the path is too long",
        ));
    }
    let tokens = tokenize(input).map_err(as_path)?;
    let mut parser = Parser { tokens, pos: 0 };
    let Some(Token::Word(word)) = parser.next() else {
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            "the path does not start with an attribute",
        ));
    };
    let attr = attr_path(&word).map_err(as_path)?;
    let mut filter = None;
    let mut sub_after_filter = None;
    if parser.peek() == Some(&Token::OpenBracket) {
        parser.pos += 1;
        if attr.sub.is_some() {
            return Err(ScimError::bad(
                ScimType::InvalidPath,
                "a value filter applies to an attribute, not a sub-attribute",
            ));
        }
        filter = Some(parser.or_expr(1, true).map_err(as_path)?);
        if parser.next() != Some(Token::CloseBracket) {
            return Err(ScimError::bad(
                ScimType::InvalidPath,
                "the value filter is not closed",
            ));
        }
        if let Some(Token::Word(w)) = parser.peek().cloned() {
            parser.pos += 1;
            let sub = w
                .strip_prefix('.')
                .filter(|s| valid_name(s))
                .ok_or_else(|| {
                    ScimError::bad(
                        ScimType::InvalidPath,
                        "expected `.subAttr` after the value filter",
                    )
                })?;
            sub_after_filter = Some(sub.to_owned());
        }
    }
    if parser.pos != parser.tokens.len() {
        return Err(ScimError::bad(
            ScimType::InvalidPath,
            "unexpected text after the path",
        ));
    }
    Ok(PatchPath {
        attr,
        filter,
        sub_after_filter,
    })
}

/// `ATTRNAME = ALPHA *(nameChar)`, plus `$ref` (RFC 7643 section 2.4).
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some('$') => name == "$ref",
        Some(c) if c.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        _ => false,
    }
}

/// Parses `[URI ":"] ATTRNAME *1subAttr`.
pub(crate) fn attr_path(word: &str) -> Result<AttrPath, ScimError> {
    let (uri, rest) = match word.rfind(':') {
        Some(i) => (
            Some(word.get(..i).unwrap_or_default()),
            word.get(i + 1..).unwrap_or_default(),
        ),
        None => (None, word),
    };
    if uri.is_some_and(|u| u.is_empty() || !u.contains(':')) {
        return Err(invalid(format!("`{word}` is not an attribute path")));
    }
    let mut parts = rest.split('.');
    let name = parts.next().unwrap_or_default();
    let sub = parts.next();
    if parts.next().is_some() || !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
        return Err(invalid(format!("`{word}` is not an attribute path")));
    }
    Ok(AttrPath {
        uri: uri.map(str::to_owned),
        name: name.to_owned(),
        sub: sub.map(str::to_owned),
    })
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or_expr(&mut self, depth: usize, in_value: bool) -> Result<Filter, ScimError> {
        let mut left = self.and_expr(depth, in_value)?;
        while self.keyword("or") {
            self.pos += 1;
            let right = self.and_expr(depth, in_value)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize, in_value: bool) -> Result<Filter, ScimError> {
        let mut left = self.unary(depth, in_value)?;
        while self.keyword("and") {
            self.pos += 1;
            let right = self.unary(depth, in_value)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize, in_value: bool) -> Result<Filter, ScimError> {
        if depth >= MAX_DEPTH {
            return Err(invalid("the filter is nested too deeply"));
        }
        if self.keyword("not") {
            self.pos += 1;
            if self.next() != Some(Token::Open) {
                return Err(invalid("`not` must be followed by `(`"));
            }
            let inner = self.or_expr(depth + 1, in_value)?;
            if self.next() != Some(Token::Close) {
                return Err(invalid("a `(` is not closed"));
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or_expr(depth + 1, in_value)?;
                if self.next() != Some(Token::Close) {
                    return Err(invalid("a `(` is not closed"));
                }
                Ok(inner)
            }
            Some(Token::Word(word)) => self.attr_expr(&word, depth, in_value),
            Some(_) => Err(invalid("expected an attribute path, `not` or `(`")),
            None => Err(invalid("the filter ends where an expression was expected")),
        }
    }

    fn attr_expr(&mut self, word: &str, depth: usize, in_value: bool) -> Result<Filter, ScimError> {
        let path = attr_path(word)?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.pos += 1;
            if in_value {
                return Err(invalid("value filters do not nest"));
            }
            if path.sub.is_some() {
                return Err(invalid(
                    "a value filter applies to an attribute, not a sub-attribute",
                ));
            }
            let inner = self.or_expr(depth + 1, true)?;
            if self.next() != Some(Token::CloseBracket) {
                return Err(invalid("a `[` is not closed"));
            }
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        let Some(Token::Word(op)) = self.next() else {
            return Err(invalid(format!("expected an operator after `{word}`")));
        };
        if op.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let op = CompareOp::from_keyword(&op)
            .ok_or_else(|| invalid(format!("`{op}` is not a comparison operator")))?;
        let value = match self.next() {
            Some(Token::Str(s)) => CompValue::String(s),
            Some(Token::Number(n)) => CompValue::Number(n),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("true") => CompValue::Bool(true),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("false") => CompValue::Bool(false),
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("null") => CompValue::Null,
            _ => {
                return Err(invalid(
                    "expected a comparison value: a string, a number, true, false or null",
                ));
            }
        };
        Ok(Filter::Compare { path, op, value })
    }
}
