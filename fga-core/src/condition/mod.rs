//! Conditions: CEL expressions over typed parameters, evaluated per tuple.
//!
//! The parameters are taken from the request context, overridden by the tuple's own
//! context. A declared parameter missing from both is an error, as in OpenFGA.

mod value;

use std::collections::HashMap;
use std::sync::Arc;

use cel::extractors::This;
use cel::{Context as CelContext, ExecutionError, Program, Value};

use crate::Error;
use crate::model::types::Condition;
use crate::tuple::Context;

/// The compiled conditions of a model.
#[derive(Clone, Default)]
pub(crate) struct Conditions {
    compiled: HashMap<String, (Condition, Arc<Program>)>,
}

impl std::fmt::Debug for Conditions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conditions")
            .field("names", &self.compiled.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Conditions {
    /// Compiles the conditions of a model.
    pub(crate) fn compile<'a>(
        conditions: impl Iterator<Item = &'a Condition>,
    ) -> Result<Self, Error> {
        let mut compiled = HashMap::new();
        for condition in conditions {
            let program = Program::compile(&condition.expression).map_err(|e| {
                Error::InvalidModelSemantics(format!(
                    "condition '{}' does not compile: {e}",
                    condition.name
                ))
            })?;
            compiled.insert(
                condition.name.clone(),
                (condition.clone(), Arc::new(program)),
            );
        }
        Ok(Self { compiled })
    }

    /// Checks that a tuple's context fits the condition's parameter types.
    pub(crate) fn validate_context(
        &self,
        name: &str,
        context: Option<&Context>,
    ) -> Result<(), Error> {
        let Some((condition, _)) = self.compiled.get(name) else {
            return Err(Error::Validation(format!("undefined condition '{name}'")));
        };
        for (key, value) in context.into_iter().flatten() {
            let Some(param) = condition.parameters.get(key) else {
                return Err(Error::Validation(format!(
                    "parameter '{key}' is not defined by condition '{name}'"
                )));
            };
            value::convert(value, param).map_err(|reason| Error::Condition {
                condition: name.to_owned(),
                reason: format!("parameter '{key}': {reason}"),
            })?;
        }
        Ok(())
    }

    /// Evaluates condition `name` with the tuple context over the request context.
    pub(crate) fn evaluate(
        &self,
        name: &str,
        tuple_context: Option<&Context>,
        request_context: Option<&Context>,
    ) -> Result<bool, Error> {
        let fail = |reason: String| Error::Condition {
            condition: name.to_owned(),
            reason,
        };
        let Some((condition, program)) = self.compiled.get(name) else {
            return Err(fail("condition not defined in the model".into()));
        };
        let mut ctx = CelContext::default();
        register_functions(&mut ctx).map_err(|e| fail(e.to_string()))?;
        let mut missing = Vec::new();
        for (param, ty) in &condition.parameters {
            let raw = tuple_context
                .and_then(|c| c.get(param))
                .or_else(|| request_context.and_then(|c| c.get(param)));
            match raw {
                Some(raw) => {
                    let v = value::convert(raw, ty)
                        .map_err(|e| fail(format!("parameter '{param}': {e}")))?;
                    ctx.add_variable_from_value(param.clone(), v);
                }
                None => missing.push(param.as_str()),
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            return Err(fail(format!(
                "tuple '{}' is missing context parameters: {}",
                name,
                missing.join(", ")
            )));
        }
        match program.execute(&ctx) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(fail(format!("expression returned {other:?}, not a bool"))),
            Err(e) => Err(fail(e.to_string())),
        }
    }
}

fn register_functions(ctx: &mut CelContext<'_, '_>) -> Result<(), cel::DeclarationError> {
    ctx.add_function(
        "ipaddress",
        |s: Arc<String>| -> Result<Value, ExecutionError> {
            s.parse::<std::net::IpAddr>()
                .map(|ip| Value::String(Arc::new(ip.to_string())))
                .map_err(|e| ExecutionError::function_error("ipaddress", e))
        },
    )?;
    ctx.add_function(
        "in_cidr",
        |This(ip): This<Arc<String>>, cidr: Arc<String>| -> Result<bool, ExecutionError> {
            value::in_cidr(&ip, &cidr).map_err(|e| ExecutionError::function_error("in_cidr", e))
        },
    )?;
    Ok(())
}
