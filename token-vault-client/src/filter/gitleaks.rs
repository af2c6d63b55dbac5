//! Rule files in the gitleaks TOML format, so that users keep the
//! secret-scanning rules and allowlists they already maintain.
//!
//! Read: `[[rules]]` (`id`, `regex`, `secretGroup`, `entropy`, `keywords`,
//! `[[rules.allowlists]]` and the older `[rules.allowlist]`), the global
//! `[allowlist]` / `[[allowlists]]` (`condition`, `regexTarget`, `regexes`,
//! `stopwords`). Agent output has no file path or commit: rules that match
//! only on a `path` are skipped (listed by [`RuleSet::skipped`]), and
//! allowlist `paths`/`commits` never hold. `[extend]` is not followed.

use super::{AllowCondition, AllowTarget, Allowlist, Rule, RuleError, RuleSet};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    allowlist: Option<AllowSpec>,
    #[serde(default)]
    allowlists: Vec<AllowSpec>,
    #[serde(default)]
    rules: Vec<RuleSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RuleSpec {
    id: String,
    regex: Option<String>,
    secret_group: Option<usize>,
    entropy: Option<f64>,
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(default)]
    allowlists: Vec<AllowSpec>,
    allowlist: Option<AllowSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AllowSpec {
    condition: Option<String>,
    regex_target: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    commits: Vec<String>,
}

/// Parses a gitleaks rule file; any invalid rule fails the whole file.
pub(super) fn parse(text: &str) -> Result<RuleSet, RuleError> {
    let file: File = toml::from_str(text).map_err(|e| RuleError::Syntax(e.message().to_owned()))?;
    let mut set = RuleSet::empty();
    for spec in file.allowlist.iter().chain(&file.allowlists) {
        set.global.push(allowlist("allowlist", spec)?);
    }
    for spec in file.rules {
        let Some(regex) = spec.regex.as_deref() else {
            set.skipped.push(spec.id);
            continue;
        };
        let mut rule = Rule::new(&spec.id, &from_re2(regex))?
            .entropy(spec.entropy.unwrap_or(0.0))
            .keywords(&spec.keywords);
        if let Some(group) = spec.secret_group.filter(|g| *g > 0) {
            rule = rule.secret_group(group)?;
        }
        for list in spec.allowlists.iter().chain(&spec.allowlist) {
            rule = rule.allow(allowlist(&spec.id, list)?);
        }
        set.rules.push(rule);
    }
    Ok(set)
}

fn allowlist(owner: &str, spec: &AllowSpec) -> Result<Allowlist, RuleError> {
    let condition = match spec.condition.as_deref().map(str::to_ascii_uppercase) {
        None => AllowCondition::Or,
        Some(c) if c == "OR" => AllowCondition::Or,
        Some(c) if c == "AND" => AllowCondition::And,
        Some(_) => return Err(invalid(owner, "allowlist condition is neither OR nor AND")),
    };
    let target = match spec.regex_target.as_deref() {
        None | Some("secret") => AllowTarget::Secret,
        Some("match") => AllowTarget::Match,
        Some("line") => AllowTarget::Line,
        Some(_) => return Err(invalid(owner, "regexTarget is not secret, match or line")),
    };
    let mut list = Allowlist::new(condition, target)
        .regexes(owner, spec.regexes.iter().map(|r| from_re2(r)))?
        .stopwords(&spec.stopwords);
    if !spec.paths.is_empty() || !spec.commits.is_empty() {
        list = list.with_file_criteria();
    }
    Ok(list)
}

/// Go's RE2 (gitleaks' engine) reads a `{` that starts no repetition
/// (`{\d+}` in `^\$(?:\d+|{\d+})$`) as a literal; the regex crate refuses
/// it. Such braces are escaped; everything else is the same syntax.
fn from_re2(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.char_indices().peekable();
    let mut in_class = false;
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                out.push(c);
                if let Some((_, next)) = chars.next() {
                    out.push(next);
                }
                continue;
            }
            '[' => in_class = true,
            ']' => in_class = false,
            '{' if !in_class && !starts_repetition(pattern.get(at + 1..).unwrap_or_default()) => {
                out.push_str("\\{");
                continue;
            }
            _ => {}
        }
        out.push(c);
    }
    out
}

/// Whether `rest` (after a `{`) is `n}`, `n,}` or `n,m}`.
fn starts_repetition(rest: &str) -> bool {
    let Some(end) = rest.find('}') else {
        return false;
    };
    let body = rest.get(..end).unwrap_or_default();
    let mut parts = body.splitn(2, ',');
    let min = parts.next().unwrap_or_default();
    let max = parts.next();
    !min.is_empty()
        && min.bytes().all(|b| b.is_ascii_digit())
        && max.is_none_or(|m| m.bytes().all(|b| b.is_ascii_digit()))
}

fn invalid(rule: &str, what: &'static str) -> RuleError {
    RuleError::Invalid {
        rule: rule.to_owned(),
        what,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const FILE: &str = r#"
[allowlist]
stopwords = ["example"]
paths = ['''\.png$''']

[[rules]]
id = "acme-token"
regex = '''acme_([a-z0-9]{20})'''
keywords = ["acme_"]
entropy = 3
[[rules.allowlists]]
regexTarget = "line"
regexes = ['''^#''']

[[rules]]
id = "pem-file"
path = '''\.pem$'''
"#;

    #[test]
    fn rules_allowlists_and_path_only_rules_are_read() {
        let set = RuleSet::from_gitleaks_toml(FILE).unwrap();
        assert_eq!(set.ids(), vec!["acme-token"]);
        assert_eq!(set.skipped(), ["pem-file"]);
        let mut out = Vec::new();
        set.scan("token acme_q8zr2lmx7pwd0k3n5v9y", &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        set.scan("# acme_q8zr2lmx7pwd0k3n5v9y", &mut out);
        assert!(out.is_empty(), "line allowlist");
        set.scan("acme_exampleq8zr2lmx7pwd", &mut out);
        assert!(out.is_empty(), "global stopword");
    }

    #[test]
    fn braces_that_start_no_repetition_are_literals_as_in_re2() {
        assert_eq!(from_re2(r"^\$(?:\d+|{\d+})$"), r"^\$(?:\d+|\{\d+})$");
        assert_eq!(from_re2(r"a{2}b{1,}c{1,3}[{]\{"), r"a{2}b{1,}c{1,3}[{]\{");
        assert_eq!(from_re2(r"x{y}"), r"x\{y}");
        assert!(crate::filter::allowlist::compile("r", &from_re2(r"^\{\d{0,2}}$")).is_ok());
    }

    #[test]
    fn malformed_files_are_typed_errors() {
        assert!(matches!(
            parse("[[rules]]\nid ="),
            Err(RuleError::Syntax(_))
        ));
        assert!(matches!(
            parse("[[rules]]\nid = \"r\"\nregex = \"(\""),
            Err(RuleError::Regex { .. })
        ));
        assert!(matches!(
            parse(
                "[[rules]]\nid = \"r\"\nregex = \"a\"\n[[rules.allowlists]]\ncondition = \"XOR\""
            ),
            Err(RuleError::Invalid { .. })
        ));
        assert!(matches!(
            parse(
                "[[rules]]\nid = \"r\"\nregex = \"a\"\n[[rules.allowlists]]\nregexTarget = \"file\""
            ),
            Err(RuleError::Invalid { .. })
        ));
    }
}
