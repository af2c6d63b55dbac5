//! Finds where in the DSL text a semantic error belongs.

use crate::model::validate::Anchor;

fn code(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line.get(..i).unwrap_or(line);
        }
        prev_space = c.is_whitespace();
    }
    line
}

fn words(line: &str) -> Vec<&str> {
    code(line).split_whitespace().collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/')
}

/// The column range of `symbol` as a whole word in `line`, searched from `from`.
fn find_word(line: &str, symbol: &str, from: usize) -> Option<(usize, usize)> {
    let mut start = from;
    while let Some(found) = line.get(start..).and_then(|rest| rest.find(symbol)) {
        let at = start + found;
        let end = at + symbol.len();
        let before = line.get(..at).and_then(|s| s.chars().last());
        let after = line.get(end..).and_then(|s| s.chars().next());
        if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
            return Some((at, end));
        }
        start = end;
    }
    None
}

/// (line, column start, column end) of an anchored error.
pub(super) fn locate(text: &str, anchor: &Anchor) -> Option<(usize, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    if let Some(condition) = &anchor.condition {
        for (i, line) in lines.iter().enumerate() {
            let w = words(line);
            if w.first() == Some(&"condition")
                && w.get(1)
                    .is_some_and(|n| n.split('(').next() == Some(condition.as_str()))
            {
                let (s, e) = find_word(line, condition, 0)?;
                return Some((i, s, e));
            }
        }
        return None;
    }
    let Some(type_name) = anchor.type_name.as_deref() else {
        let symbol = anchor.symbol.as_deref()?;
        for (i, line) in lines.iter().enumerate() {
            if words(line).first() == Some(&"schema") {
                let (s, e) = find_word(line, symbol, 0)?;
                return Some((i, s, e));
            }
        }
        return None;
    };
    let mut occurrence = 0;
    let mut type_line = None;
    for (i, line) in lines.iter().enumerate() {
        let w = words(line);
        if w.first() == Some(&"type") && w.get(1) == Some(&type_name) {
            if occurrence == anchor.occurrence {
                type_line = Some(i);
                break;
            }
            occurrence += 1;
        }
    }
    let type_line = type_line?;
    let Some(relation) = anchor.relation.as_deref() else {
        let line = lines.get(type_line)?;
        let (s, e) = find_word(line, type_name, 4)?;
        return Some((type_line, s, e));
    };
    for (i, line) in lines.iter().enumerate().skip(type_line + 1) {
        let w = words(line);
        if w.first() == Some(&"type") {
            break;
        }
        if w.first() == Some(&"define")
            && w.get(1)
                .is_some_and(|n| n.trim_end_matches(':') == relation)
        {
            let colon = line.find(':').unwrap_or(0);
            let symbol = anchor.symbol.as_deref().unwrap_or(relation);
            if symbol == relation
                && let Some((s, e)) = find_word(line, relation, 0)
                && s < colon
                && anchor.symbol.as_deref() == Some(relation)
                && line
                    .get(colon..)
                    .is_none_or(|r| find_word(r, relation, 0).is_none())
            {
                return Some((i, s, e));
            }
            return match find_word(line, symbol, colon) {
                Some((s, e)) => Some((i, s, e)),
                None => {
                    let (s, e) = find_word(line, relation, 0)?;
                    Some((i, s, e))
                }
            };
        }
    }
    None
}
