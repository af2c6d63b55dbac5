//! The DSL (schema 1.1) parser: text to [`AuthorizationModel`], syntax errors only.

use indexmap::IndexMap;

use super::error::{DslError, ErrorKind};
use crate::model::types::{
    AuthorizationModel, Condition, ConditionParamType, Difference, DirectMarker, Metadata,
    ObjectRelation, ParamTypeName, RelationMetadata, RelationReference, TupleToUserset,
    TypeDefinition, Userset, Usersets, Wildcard,
};

/// Parses DSL text into a model without semantic validation.
pub(crate) fn parse_syntax(text: &str) -> Result<AuthorizationModel, Vec<DslError>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut p = Parser {
        lines: &lines,
        row: 0,
        errors: Vec::new(),
    };
    let model = p.model();
    if p.errors.is_empty() {
        Ok(model)
    } else {
        Err(p.errors)
    }
}

struct Parser<'a> {
    lines: &'a [&'a str],
    row: usize,
    errors: Vec<DslError>,
}

/// Strips a `#` comment (a `#` at the line start or after whitespace).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line.get(..i).unwrap_or(line);
        }
        prev_space = c.is_whitespace();
    }
    line
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '$' | '@' | '+' | '%' | '&' | '|')
}

impl<'a> Parser<'a> {
    fn error(&mut self, line: usize, col: usize, len: usize, msg: String) {
        self.errors.push(DslError::new(
            ErrorKind::Syntax,
            msg,
            Some((line, col, col + len)),
            None,
        ));
    }

    /// The next non-blank, non-comment line: (row, content without comment).
    fn next_line(&mut self) -> Option<(usize, &'a str)> {
        while let Some(line) = self.lines.get(self.row) {
            let row = self.row;
            self.row += 1;
            let content = strip_comment(line);
            if !content.trim().is_empty() {
                return Some((row, content));
            }
        }
        None
    }

    fn peek_line(&mut self) -> Option<(usize, &'a str)> {
        let save = self.row;
        let next = self.next_line();
        self.row = save;
        next
    }

    fn model(&mut self) -> AuthorizationModel {
        let mut model = AuthorizationModel::default();
        match self.next_line() {
            Some((row, line)) if first_word(line) == "model" && line.trim() == "model" => {
                let _ = row;
            }
            Some((row, line)) => {
                let word = first_word(line);
                let col = line.len() - line.trim_start().len();
                self.error(
                    row,
                    col,
                    word.len(),
                    format!("extraneous input '{word}' expecting 'model'"),
                );
                return model;
            }
            None => {
                self.error(0, 0, 0, "mismatched input '<EOF>' expecting 'model'".into());
                return model;
            }
        }
        match self.next_line() {
            Some((row, line)) => {
                let mut words = line.split_whitespace();
                let col = line.len() - line.trim_start().len();
                if words.next() != Some("schema") {
                    self.error(row, col, 0, "expecting 'schema'".into());
                    return model;
                }
                match (words.next(), words.next()) {
                    (Some(v), None) => model.schema_version = v.to_owned(),
                    _ => {
                        self.error(row, col, 6, "missing or malformed schema version".into());
                        return model;
                    }
                }
            }
            None => {
                self.error(
                    1,
                    0,
                    0,
                    "mismatched input '<EOF>' expecting 'schema'".into(),
                );
                return model;
            }
        }
        while let Some((row, line)) = self.next_line() {
            let col = line.len() - line.trim_start().len();
            match first_word(line) {
                "type" => self.type_definition(row, line, &mut model),
                "condition" => self.condition(row, line, &mut model),
                word => {
                    let word = word.to_owned();
                    self.error(
                        row,
                        col,
                        word.len(),
                        format!("extraneous input '{word}' expecting {{'type', 'condition'}}"),
                    );
                    return model;
                }
            }
        }
        model
    }

    fn type_definition(&mut self, row: usize, line: &str, model: &mut AuthorizationModel) {
        let rest = line.trim_start().trim_start_matches("type").trim();
        let col = line.find(rest).unwrap_or(0);
        if rest.is_empty() || !rest.chars().all(is_ident_char) {
            self.error(row, col, rest.len(), format!("invalid type name '{rest}'"));
        }
        let mut def = TypeDefinition {
            type_name: rest.to_owned(),
            relations: IndexMap::new(),
            metadata: None,
        };
        if let Some((_, next)) = self.peek_line()
            && first_word(next) == "relations"
        {
            let (r, l) = self.next_line().unwrap_or((row, ""));
            if l.trim() != "relations" {
                self.error(r, 0, l.len(), "unexpected input after 'relations'".into());
            }
            let mut metadata = Metadata::default();
            let mut any = false;
            while let Some((_, next)) = self.peek_line() {
                if first_word(next) != "define" {
                    break;
                }
                let (r, l) = self.next_line().unwrap_or((row, ""));
                any = true;
                self.define(r, l, &mut def, &mut metadata);
            }
            if !any {
                self.error(r, 0, l.len(), "expecting at least one 'define'".into());
            }
            def.metadata = Some(metadata);
        }
        model.type_definitions.push(def);
    }

    fn define(&mut self, row: usize, line: &str, def: &mut TypeDefinition, meta: &mut Metadata) {
        let Some(colon) = line.find(':') else {
            self.error(
                row,
                0,
                line.len(),
                "expecting ':' in relation definition".into(),
            );
            return;
        };
        let head = line.get(..colon).unwrap_or("");
        let name = head.trim_start().trim_start_matches("define").trim();
        let name_col = head.rfind(name).unwrap_or(0);
        if name.is_empty() || !name.chars().all(is_ident_char) {
            self.error(
                row,
                name_col,
                name.len(),
                format!("invalid relation name '{name}'"),
            );
            return;
        }
        let mut lexer = Lexer::new(line, colon + 1);
        let mut direct = Vec::new();
        let expr = match parse_expr(&mut lexer, &mut direct, true) {
            Ok(expr) => expr,
            Err((col, msg)) => {
                self.error(row, col, 1, msg);
                return;
            }
        };
        if let Some(tok) = lexer.peek_token() {
            self.error(
                row,
                tok.col,
                tok.text.len(),
                format!("extraneous input '{}'", tok.text),
            );
            return;
        }
        if !super::write::expressible(&expr) {
            self.error(
                row,
                0,
                line.len(),
                "a type restriction list cannot be excluded with 'but not'".into(),
            );
            return;
        }
        if direct.len() > 1 {
            self.error(
                row,
                0,
                line.len(),
                "a relation definition may hold only one type restriction list".into(),
            );
            return;
        }
        let types = direct.pop();
        if def.relations.contains_key(name) {
            // Duplicate relations are a syntax error in the official grammar.
            self.error(
                row,
                name_col,
                name.len(),
                format!("'{name}' is already defined in '{}'", def.type_name),
            );
            return;
        }
        def.relations.insert(name.to_owned(), expr);
        meta.relations.insert(
            name.to_owned(),
            RelationMetadata {
                directly_related_user_types: types.unwrap_or_default(),
                module: None,
                source_info: None,
            },
        );
    }

    fn condition(&mut self, row: usize, line: &str, model: &mut AuthorizationModel) {
        let rest = line.trim_start().trim_start_matches("condition");
        let (Some(open), Some(close)) = (rest.find('('), rest.find(')')) else {
            self.error(row, 0, line.len(), "expecting condition parameters".into());
            return;
        };
        let name = rest.get(..open).unwrap_or("").trim();
        if name.is_empty() || !name.chars().all(is_ident_char) {
            self.error(
                row,
                0,
                line.len(),
                format!("invalid condition name '{name}'"),
            );
            return;
        }
        let params_text = rest.get(open + 1..close).unwrap_or("");
        let mut parameters = IndexMap::new();
        for param in params_text.split(',') {
            let Some((pname, ptype)) = param.split_once(':') else {
                self.error(
                    row,
                    0,
                    line.len(),
                    format!("malformed parameter '{}'", param.trim()),
                );
                return;
            };
            let pname = pname.trim();
            if pname.is_empty() || !pname.chars().all(is_ident_char) {
                self.error(
                    row,
                    0,
                    line.len(),
                    format!("invalid parameter name '{pname}'"),
                );
                return;
            }
            let Some(ptype) = parse_param_type(ptype.trim()) else {
                self.error(
                    row,
                    0,
                    line.len(),
                    format!("unsupported parameter type '{}'", ptype.trim()),
                );
                return;
            };
            if parameters.insert(pname.to_owned(), ptype).is_some() {
                self.error(row, 0, line.len(), format!("duplicate parameter '{pname}'"));
                return;
            }
        }
        // The body: from `{` to its matching `}`, possibly across lines.
        let after = rest.get(close + 1..).unwrap_or("");
        let Some(brace) = after.find('{') else {
            self.error(
                row,
                0,
                line.len(),
                "expecting '{' after condition parameters".into(),
            );
            return;
        };
        if !after.get(..brace).unwrap_or("").trim().is_empty() {
            self.error(row, 0, line.len(), "unexpected input before '{'".into());
            return;
        }
        let mut body = String::new();
        let mut scanner = BodyScanner::default();
        let mut text = after.get(brace + 1..).unwrap_or("");
        loop {
            if let Some(end) = scanner.feed(text) {
                body.push_str(text.get(..end).unwrap_or(""));
                if !text.get(end + 1..).unwrap_or("").trim().is_empty() {
                    self.error(row, 0, 1, "unexpected input after condition body".into());
                }
                break;
            }
            body.push_str(text);
            body.push('\n');
            match self.lines.get(self.row) {
                Some(next) => {
                    text = next;
                    self.row += 1;
                }
                None => {
                    self.error(row, 0, line.len(), "unterminated condition body".into());
                    return;
                }
            }
        }
        let expression = body.trim().to_owned();
        if expression.is_empty() {
            self.error(row, 0, line.len(), "empty condition expression".into());
            return;
        }
        if model.conditions.contains_key(name) {
            self.error(row, 0, line.len(), format!("duplicate condition '{name}'"));
            return;
        }
        model.conditions.insert(
            name.to_owned(),
            Condition {
                name: name.to_owned(),
                expression,
                parameters,
                metadata: None,
            },
        );
    }
}

/// Finds the `}` closing a condition body, skipping string literals and nested braces.
#[derive(Default)]
struct BodyScanner {
    depth: usize,
    quote: Option<char>,
    escape: bool,
}

impl BodyScanner {
    fn feed(&mut self, text: &str) -> Option<usize> {
        for (i, c) in text.char_indices() {
            if let Some(q) = self.quote {
                if self.escape {
                    self.escape = false;
                } else if c == '\\' {
                    self.escape = true;
                } else if c == q {
                    self.quote = None;
                }
                continue;
            }
            match c {
                '"' | '\'' => self.quote = Some(c),
                '{' => self.depth += 1,
                '}' if self.depth == 0 => return Some(i),
                '}' => self.depth -= 1,
                _ => {}
            }
        }
        None
    }
}

fn parse_param_type(text: &str) -> Option<ConditionParamType> {
    if let Some(inner) = text.strip_suffix('>') {
        let (outer, generic) = inner.split_once('<')?;
        let outer = ParamTypeName::from_keyword(outer.trim())?;
        if !matches!(outer, ParamTypeName::List | ParamTypeName::Map) {
            return None;
        }
        let generic = ParamTypeName::from_keyword(generic.trim())?;
        if matches!(generic, ParamTypeName::List | ParamTypeName::Map) {
            return None;
        }
        return Some(ConditionParamType {
            type_name: outer,
            generic_types: vec![ConditionParamType {
                type_name: generic,
                generic_types: Vec::new(),
            }],
        });
    }
    let name = ParamTypeName::from_keyword(text)?;
    if matches!(name, ParamTypeName::List | ParamTypeName::Map) {
        return None;
    }
    Some(ConditionParamType {
        type_name: name,
        generic_types: Vec::new(),
    })
}

fn first_word(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// One token of a relation expression.
#[derive(Debug, Clone)]
struct Token<'a> {
    text: &'a str,
    col: usize,
}

struct Lexer<'a> {
    line: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn new(line: &'a str, pos: usize) -> Self {
        Self { line, pos }
    }

    fn peek_token(&self) -> Option<Token<'a>> {
        let rest = self.line.get(self.pos..)?;
        let trimmed = rest.trim_start();
        let col = self.pos + (rest.len() - trimmed.len());
        let first = trimmed.chars().next()?;
        let len = if matches!(first, '(' | ')' | '[' | ']' | ',' | ':' | '#' | '*') {
            1
        } else if is_ident_char(first) {
            trimmed
                .char_indices()
                .find(|(_, c)| !is_ident_char(*c))
                .map_or(trimmed.len(), |(i, _)| i)
        } else {
            first.len_utf8()
        };
        Some(Token {
            text: trimmed.get(..len)?,
            col,
        })
    }

    fn next_token(&mut self) -> Option<Token<'a>> {
        let tok = self.peek_token()?;
        self.pos = tok.col + tok.text.len();
        Some(tok)
    }

    fn expect(&mut self, text: &str) -> Result<Token<'a>, (usize, String)> {
        match self.next_token() {
            Some(tok) if tok.text == text => Ok(tok),
            Some(tok) => Err((
                tok.col,
                format!("mismatched input '{}' expecting '{text}'", tok.text),
            )),
            None => Err((self.line.len(), format!("missing '{text}' at end of line"))),
        }
    }

    fn ident(&mut self) -> Result<Token<'a>, (usize, String)> {
        match self.next_token() {
            Some(tok) if tok.text.chars().all(is_ident_char) => Ok(tok),
            Some(tok) => Err((
                tok.col,
                format!("mismatched input '{}' expecting identifier", tok.text),
            )),
            None => Err((self.line.len(), "missing identifier at end of line".into())),
        }
    }
}

type ParseResult<T> = Result<T, (usize, String)>;

/// `expr := unit (('or' unit)+ | ('and' unit)+ | 'but' 'not' unit)?`
fn parse_expr(
    lx: &mut Lexer<'_>,
    direct: &mut Vec<Vec<RelationReference>>,
    top: bool,
) -> ParseResult<Userset> {
    let first = parse_unit(lx, direct, true)?;
    let op = match lx.peek_token() {
        Some(tok) if matches!(tok.text, "or" | "and" | "but") => tok.text,
        Some(tok) if tok.text == ")" && !top => return Ok(first),
        Some(tok) => {
            return Err((tok.col, format!("extraneous input '{}'", tok.text)));
        }
        None => return Ok(first),
    };
    if op == "but" {
        lx.next_token();
        lx.expect("not")?;
        let subtract = parse_unit(lx, direct, false)?;
        return Ok(Userset::Difference(Difference {
            base: Box::new(first),
            subtract: Box::new(subtract),
        }));
    }
    let mut children = vec![first];
    while let Some(tok) = lx.peek_token() {
        if tok.text == op {
            lx.next_token();
            children.push(parse_unit(lx, direct, false)?);
        } else if matches!(tok.text, "or" | "and" | "but") {
            return Err((
                tok.col,
                format!("mixed operators '{op}' and '{}' need parentheses", tok.text),
            ));
        } else {
            break;
        }
    }
    Ok(if op == "or" {
        Userset::Union(Usersets { child: children })
    } else {
        Userset::Intersection(Usersets { child: children })
    })
}

fn parse_unit(
    lx: &mut Lexer<'_>,
    direct: &mut Vec<Vec<RelationReference>>,
    first: bool,
) -> ParseResult<Userset> {
    let Some(tok) = lx.peek_token() else {
        return Err((lx.line.len(), "missing relation expression".into()));
    };
    match tok.text {
        "(" => {
            lx.next_token();
            let inner = parse_expr(lx, direct, false)?;
            lx.expect(")")?;
            Ok(inner)
        }
        "[" if !first => Err((
            tok.col,
            "a type restriction list must come first in its group".into(),
        )),
        "[" => {
            lx.next_token();
            direct.push(parse_type_restrictions(lx)?);
            Ok(Userset::This(DirectMarker {}))
        }
        _ => {
            let name = lx.ident()?;
            if matches!(name.text, "or" | "and" | "but" | "from") {
                return Err((name.col, format!("mismatched input '{}'", name.text)));
            }
            if lx.peek_token().is_some_and(|t| t.text == "from") {
                lx.next_token();
                let tupleset = lx.ident()?;
                return Ok(Userset::TupleToUserset(TupleToUserset {
                    tupleset: ObjectRelation {
                        object: String::new(),
                        relation: tupleset.text.to_owned(),
                    },
                    computed_userset: ObjectRelation {
                        object: String::new(),
                        relation: name.text.to_owned(),
                    },
                }));
            }
            Ok(Userset::computed(name.text))
        }
    }
}

fn parse_type_restrictions(lx: &mut Lexer<'_>) -> ParseResult<Vec<RelationReference>> {
    let mut refs = Vec::new();
    loop {
        let type_name = lx.ident()?;
        let mut reference = RelationReference::direct(type_name.text);
        match lx.peek_token() {
            Some(t) if t.text == ":" => {
                lx.next_token();
                lx.expect("*")?;
                reference.wildcard = Some(Wildcard {});
            }
            Some(t) if t.text == "#" => {
                lx.next_token();
                reference.relation = Some(lx.ident()?.text.to_owned());
            }
            _ => {}
        }
        if lx.peek_token().is_some_and(|t| t.text == "with") {
            lx.next_token();
            reference.condition = lx.ident()?.text.to_owned();
        }
        refs.push(reference);
        match lx.next_token() {
            Some(t) if t.text == "," => continue,
            Some(t) if t.text == "]" => break,
            Some(t) => {
                return Err((
                    t.col,
                    format!("mismatched input '{}' expecting ',' or ']'", t.text),
                ));
            }
            None => return Err((lx.line.len(), "missing ']'".into())),
        }
    }
    Ok(refs)
}
