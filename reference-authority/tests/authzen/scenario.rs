//! Reads the AuthZEN certification scenario (markdown) into its fixture
//! tables, decision rules and test cases: requests, endpoints and
//! expectations, exactly as the file states them.

use serde_json::Value;

/// The API a case is sent to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Evaluation,
    Evaluations,
    SubjectSearch,
    ResourceSearch,
    ActionSearch,
}

impl Endpoint {
    pub(crate) fn path(self) -> &'static str {
        use agent_auth::authzen::paths;
        match self {
            Self::Evaluation => paths::EVALUATION,
            Self::Evaluations => paths::EVALUATIONS,
            Self::SubjectSearch => paths::SEARCH_SUBJECT,
            Self::ResourceSearch => paths::SEARCH_RESOURCE,
            Self::ActionSearch => paths::SEARCH_ACTION,
        }
    }
}

/// One request of the scenario and what must come back.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    /// The section id (`c-2-2-1`).
    pub(crate) section: String,
    pub(crate) endpoint: Endpoint,
    pub(crate) request: Value,
    /// The expected HTTP status.
    pub(crate) status: u16,
    /// The expected body, `null` standing for "any boolean" / "any context";
    /// `None` when only the status is checked.
    pub(crate) body: Option<Value>,
}

/// A row of a fixture table.
#[derive(Debug, Clone)]
pub(crate) struct Entity {
    pub(crate) id: String,
    pub(crate) kind: String,
    pub(crate) properties: serde_json::Map<String, Value>,
}

/// A decision rule on identifiers only (section C.1.4 "Core").
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) subject: String,
    pub(crate) action: String,
    pub(crate) resource: String,
    pub(crate) decision: bool,
}

#[derive(Debug)]
pub(crate) struct Scenario {
    pub(crate) sections: Vec<(String, String)>,
    pub(crate) subjects: Vec<Entity>,
    pub(crate) resources: Vec<Entity>,
    pub(crate) actions: Vec<String>,
    pub(crate) rules: Vec<Rule>,
    pub(crate) cases: Vec<Case>,
}

/// Splits the document at headings that carry an id: `### Title {#c-2-2-1}`.
fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let heading = line.starts_with('#') && line.trim_end().ends_with('}');
        let id = heading
            .then(|| line.rsplit_once("{#"))
            .flatten()
            .map(|(_, id)| id.trim_end().trim_end_matches('}').to_owned());
        match id {
            Some(id) => out.push((id, String::new())),
            None => {
                if let Some((_, body)) = out.last_mut() {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
    }
    out
}

fn section<'a>(sections: &'a [(String, String)], id: &str) -> &'a str {
    sections
        .iter()
        .find(|(s, _)| s == id)
        .map(|(_, body)| body.as_str())
        .unwrap_or_else(|| panic!("the scenario has no section {id}"))
}

/// Backquoted words of a line: "| `bob` | `user` | `role`: `\"admin\"` |".
fn quoted(line: &str) -> Vec<String> {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn table(body: &str) -> Vec<Vec<String>> {
    body.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn entities(body: &str) -> Vec<Entity> {
    table(body)
        .into_iter()
        .map(|cells| {
            let id = quoted(&cells[0])[0].clone();
            let kind = quoted(&cells[1])[0].clone();
            let mut properties = serde_json::Map::new();
            if let Some(props) = cells.get(2) {
                let words = quoted(props);
                for pair in words.chunks(2) {
                    if let [k, v] = pair {
                        properties.insert(k.clone(), serde_json::from_str(v).unwrap());
                    }
                }
            }
            Entity {
                id,
                kind,
                properties,
            }
        })
        .collect()
}

fn rules(body: &str) -> Vec<Rule> {
    body.lines()
        .filter(|l| l.contains("For subject `") && l.contains("on resource `"))
        .filter_map(|l| {
            let q = quoted(l);
            // subject, action, resource, decision: identifier rules only.
            (q.len() == 4 && !l.contains("properties")).then(|| Rule {
                subject: q[0].clone(),
                action: q[1].clone(),
                resource: q[2].clone(),
                decision: q[3] == "true",
            })
        })
        .collect()
}

/// The endpoint of a request in section `id`, from its label when the label
/// names one.
fn endpoint(id: &str, label: &str) -> Endpoint {
    let label = label.to_ascii_lowercase();
    if label.contains("subject search") {
        return Endpoint::SubjectSearch;
    }
    if label.contains("resource search") {
        return Endpoint::ResourceSearch;
    }
    if label.contains("action search") {
        return Endpoint::ActionSearch;
    }
    if id.starts_with("c-2") {
        Endpoint::Evaluation
    } else if id.starts_with("c-3") {
        Endpoint::Evaluations
    } else if id.starts_with("c-4-2") || id.starts_with("c-4-5") {
        Endpoint::SubjectSearch
    } else if id.starts_with("c-4-3") {
        Endpoint::ResourceSearch
    } else if id.starts_with("c-4-4") {
        Endpoint::ActionSearch
    } else {
        panic!("no endpoint for section {id} ({label})")
    }
}

/// A code block as JSON; placeholders (`<boolean>`, `<context>`) become `null`.
fn block_json(block: &str) -> Value {
    let cleaned = block
        .replace("<boolean>", "null")
        .replace("<context>", "null");
    serde_json::from_str(&cleaned).unwrap_or_else(|e| panic!("bad JSON block ({e}): {block}"))
}

/// The expectation of an `**Expected:**` line: the status, and a body when
/// the line states the decision inline.
fn expectation(rest: &str) -> (u16, Option<Value>) {
    let status = if rest.contains("HTTP 400") { 400 } else { 200 };
    let inline = ["true", "false"]
        .into_iter()
        .find(|d| {
            rest.contains(&format!("`\"decision\": {d}`")) && !rest.contains("evaluation MUST")
        })
        .map(|d| serde_json::json!({ "decision": d == "true" }));
    (status, inline)
}

/// A request whose expectation was read: label, request, status, inline
/// body, section whose expectation it repeats.
type Awaiting = (String, Value, u16, Option<Value>, Option<String>);

fn cases(sections: &[(String, String)]) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for (id, body) in sections {
        if !id.starts_with("c-2") && !id.starts_with("c-3") && !id.starts_with("c-4") {
            continue;
        }
        let mut label = String::new();
        let mut pending: Option<(String, Value)> = None;
        // A request whose expectation was read, waiting for a body block.
        let mut expected: Option<Awaiting> = None;
        let finish =
            |expected: &mut Option<Awaiting>, out: &mut Vec<Case>, block: Option<Value>| {
                if let Some((l, request, status, inline, identical)) = expected.take() {
                    let body = block.or(inline).or_else(|| {
                        identical.and_then(|other| {
                            out.iter()
                                .find(|c| c.section == other)
                                .and_then(|c| c.body.clone())
                        })
                    });
                    out.push(Case {
                        section: id.clone(),
                        endpoint: endpoint(id, &l),
                        request,
                        status,
                        body,
                    });
                }
            };
        let mut lines = body.lines();
        while let Some(line) = lines.next() {
            if line.starts_with("~~~") {
                let mut block = String::new();
                for l in lines.by_ref() {
                    if l.starts_with("~~~") {
                        break;
                    }
                    block.push_str(l);
                    block.push('\n');
                }
                if expected.is_some() {
                    finish(&mut expected, &mut out, Some(block_json(&block)));
                } else if label.starts_with("**Request") || label.contains("Search (") {
                    pending = Some((label.clone(), block_json(&block)));
                }
                continue;
            }
            if !line.starts_with("**") {
                continue;
            }
            finish(&mut expected, &mut out, None);
            label = line.to_owned();
            if let Some(rest) = line.strip_prefix("**Expected:**") {
                let (status, inline) = expectation(rest);
                let identical = rest
                    .split("identical to [](#")
                    .nth(1)
                    .and_then(|r| r.split(')').next())
                    .map(str::to_owned);
                if let Some((l, request)) = pending.take() {
                    expected = Some((l, request, status, inline, identical));
                }
            }
        }
        finish(&mut expected, &mut out, None);
    }
    out
}

pub(crate) fn read(text: &str) -> Scenario {
    let sections = sections(text);
    let subjects = entities(section(&sections, "c-1-1"));
    let resources = entities(section(&sections, "c-1-2"));
    let actions = table(section(&sections, "c-1-3"))
        .into_iter()
        .map(|cells| quoted(&cells[0])[0].clone())
        .collect();
    let rules = rules(section(&sections, "c-1-4"));
    let cases = cases(&sections);
    Scenario {
        sections,
        subjects,
        resources,
        actions,
        rules,
        cases,
    }
}

impl Scenario {
    /// The text of a section, which the test checks still says what it relies on.
    pub(crate) fn section(&self, id: &str) -> &str {
        section(&self.sections, id)
    }

    pub(crate) fn kind_of_subject(&self, id: &str) -> &str {
        &self.subjects.iter().find(|s| s.id == id).unwrap().kind
    }

    pub(crate) fn kind_of_resource(&self, id: &str) -> &str {
        &self.resources.iter().find(|r| r.id == id).unwrap().kind
    }
}
