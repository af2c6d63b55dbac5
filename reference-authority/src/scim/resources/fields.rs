//! Reading validated SCIM attributes and writing references.

use crate::scim::filter::get_ci;
use serde_json::{Map, Value, json};

/// A string attribute.
pub(crate) fn text(attrs: &Map<String, Value>, name: &str) -> Option<String> {
    attrs.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// The `value` sub-attribute of a complex value.
pub(crate) fn value_of(v: &Value) -> Option<String> {
    get_ci(v, "value")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// The items of a multi-valued attribute.
pub(crate) fn items<'a>(attrs: &'a Map<String, Value>, name: &str) -> &'a [Value] {
    attrs
        .get(name)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// `{value, $ref}` for a resource at `{base}{endpoint}/{id}`.
pub(crate) fn reference(base: &str, endpoint: &str, id: &str) -> Value {
    json!({"value": id, "$ref": format!("{base}{endpoint}/{id}")})
}

/// Adds `key: value` to an object value.
pub(crate) fn with(mut v: Value, key: &str, value: impl Into<Value>) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.insert(key.to_owned(), value.into());
    }
    v
}
