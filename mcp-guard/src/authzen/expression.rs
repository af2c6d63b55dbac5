//! COAZ expressions: a `$`-prefixed string is a Common Expression Language
//! expression over `token` and `params`; `$$` escapes a literal `$`; every
//! other value is a literal (COAZ-MCP "Expressions and Literals").

use super::error::MappingError;
use cel::objects::{Key, OptionalValue};
use cel::{Context, Env, Program, Value as Cel};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// The standard CEL environment (optional syntax included), built once.
fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    Arc::clone(ENV.get_or_init(|| Arc::new(Env::stdlib())))
}

/// What an expression reads: the validated token's claims and the request's params.
pub(crate) struct Inputs {
    token: Cel,
    params: Cel,
}

impl Inputs {
    pub(crate) fn new(token: &Map<String, Value>, params: &Value) -> Self {
        Self {
            token: to_cel(&Value::Object(token.clone())),
            params: to_cel(params),
        }
    }
}

/// The expression of a template string, if it is one (`$x` -> `x`; `$$x` is a literal).
pub(crate) fn expression(s: &str) -> Option<&str> {
    s.strip_prefix('$').filter(|rest| !rest.starts_with('$'))
}

/// Compiles every expression of `template`, so that a malformed mapping is
/// refused when it is declared.
pub(crate) fn check(template: &Value) -> Result<(), MappingError> {
    match template {
        Value::String(s) => match expression(s) {
            Some(source) => compile(source).map(|_| ()),
            None => Ok(()),
        },
        Value::Array(items) => items.iter().try_for_each(check),
        Value::Object(map) => map.values().try_for_each(check),
        _ => Ok(()),
    }
}

/// Resolves `template`: literals verbatim, expressions evaluated. `None`
/// when an optional expression (`token.?client_id`) has no value: the
/// member is then left out.
pub(crate) fn resolve(template: &Value, inputs: &Inputs) -> Result<Option<Value>, MappingError> {
    Ok(Some(match template {
        Value::String(s) => match expression(s) {
            Some(source) => return evaluate(source, inputs),
            None => Value::String(s.strip_prefix('$').map_or_else(|| s.clone(), str::to_owned)),
        },
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                if let Some(v) = resolve(item, inputs)? {
                    out.push(v);
                }
            }
            Value::Array(out)
        }
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                if let Some(v) = resolve(v, inputs)? {
                    out.insert(k.clone(), v);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }))
}

fn failure(source: &str, reason: impl Into<String>) -> MappingError {
    MappingError::Expression {
        expression: format!("${source}"),
        reason: reason.into(),
    }
}

fn compile(source: &str) -> Result<Program, MappingError> {
    env()
        .compile(source)
        .map_err(|_| failure(source, "it does not compile"))
}

fn evaluate(source: &str, inputs: &Inputs) -> Result<Option<Value>, MappingError> {
    let program = compile(source)?;
    let mut context = Context::with_env(env());
    context.add_variable_from_value("token", inputs.token.clone());
    context.add_variable_from_value("params", inputs.params.clone());
    let value = program
        .execute(&context)
        .map_err(|e| failure(source, e.to_string()))?;
    match value {
        Cel::Opaque(o) => match o.downcast_ref::<OptionalValue>() {
            Some(optional) => optional
                .value()
                .map(|v| to_json(v).ok_or_else(|| failure(source, "its value is not JSON")))
                .transpose(),
            None => Err(failure(source, "its value is not JSON")),
        },
        v => to_json(&v)
            .map(Some)
            .ok_or_else(|| failure(source, "its value is not JSON")),
    }
}

fn to_cel(value: &Value) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Cel::Int(i),
            (None, Some(u), _) => Cel::UInt(u),
            (_, _, Some(f)) => Cel::Float(f),
            _ => Cel::Null,
        },
        Value::String(s) => Cel::String(Arc::new(s.clone())),
        Value::Array(items) => Cel::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let entries: HashMap<Key, Cel> = map
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), to_cel(v)))
                .collect();
            Cel::Map(entries.into())
        }
    }
}

/// A CEL value as one JSON value (COAZ: an expression yields a scalar, list or map).
fn to_json(value: &Cel) -> Option<Value> {
    Some(match value {
        Cel::Null => Value::Null,
        Cel::Bool(b) => Value::Bool(*b),
        Cel::Int(i) => Value::Number((*i).into()),
        Cel::UInt(u) => Value::Number((*u).into()),
        Cel::Float(f) => Value::Number(Number::from_f64(*f)?),
        Cel::String(s) => Value::String(s.as_str().to_owned()),
        Cel::List(items) => Value::Array(items.iter().map(to_json).collect::<Option<_>>()?),
        Cel::Map(map) => {
            let mut out = Map::new();
            for (k, v) in map.map.iter() {
                let key = match k {
                    Key::String(s) => s.as_str().to_owned(),
                    Key::Int(i) => i.to_string(),
                    Key::Uint(u) => u.to_string(),
                    Key::Bool(b) => b.to_string(),
                };
                out.insert(key, to_json(v)?);
            }
            Value::Object(out)
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn inputs() -> Inputs {
        let token = json!({"sub": "alice", "client_id": "agent-7", "roles": ["treasury"]});
        let params = json!({"name": "transfer", "arguments": {"amount": 20000, "currency": "EUR", "customer-id": "c1"}});
        Inputs::new(token.as_object().unwrap(), &params)
    }

    #[test]
    fn literals_expressions_and_escapes() {
        let template = json!({
            "literal": "customer",
            "escaped": "$$50",
            "number": 10,
            "sub": "$token.sub",
            "indexed": "$params.arguments[\"customer-id\"]",
            "conditional": "$params.arguments.amount > 10000 ? 'high' : 'standard'",
            "type": "$token.roles.exists(r, r == 'treasury') ? 'treasury_user' : 'standard_user'",
            "agent": "$token.?client_id",
            "absent": "$token.?act"
        });
        let out = resolve(&template, &inputs()).unwrap().unwrap();
        assert_eq!(
            out,
            json!({
                "literal": "customer", "escaped": "$50", "number": 10, "sub": "alice",
                "indexed": "c1", "conditional": "high", "type": "treasury_user", "agent": "agent-7"
            })
        );
    }

    #[test]
    fn a_missing_key_is_an_error_not_a_value() {
        let err = resolve(&json!("$params.arguments.region"), &inputs()).unwrap_err();
        assert!(matches!(err, MappingError::Expression { .. }), "{err}");
    }

    #[test]
    fn malformed_expressions_are_refused_when_declared() {
        assert!(check(&json!({"a": ["$token.(("]})).is_err());
        assert!(check(&json!({"a": ["$$token.(("]})).is_ok());
    }
}
