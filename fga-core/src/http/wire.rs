//! The OpenFGA HTTP API's JSON bodies (v1), shared by the client and the router.

use serde::{Deserialize, Serialize};

use crate::Error;
use crate::model::AuthorizationModel;
use crate::tuple::{Context, TupleKey};

/// `{"tuple_keys": [...]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TupleKeys {
    #[serde(default)]
    pub(crate) tuple_keys: Vec<TupleKey>,
}

/// A tuple key without condition (check, read).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PlainKey {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) relation: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub(crate) object: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CheckBody {
    pub(crate) tuple_key: PlainKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) contextual_tuples: Option<TupleKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) context: Option<Context>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_model_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CheckResponse {
    #[serde(default)]
    pub(crate) allowed: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BatchCheckItemBody {
    pub(crate) tuple_key: PlainKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) contextual_tuples: Option<TupleKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) context: Option<Context>,
    pub(crate) correlation_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BatchCheckBody {
    pub(crate) checks: Vec<BatchCheckItemBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_model_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BatchCheckSingle {
    #[serde(default)]
    pub(crate) allowed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct BatchCheckResponse {
    #[serde(default)]
    pub(crate) result: std::collections::BTreeMap<String, BatchCheckSingle>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ListObjectsBody {
    #[serde(rename = "type")]
    pub(crate) object_type: String,
    pub(crate) relation: String,
    pub(crate) user: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) contextual_tuples: Option<TupleKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) context: Option<Context>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_model_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ListObjectsResponse {
    #[serde(default)]
    pub(crate) objects: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ObjectBody {
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    pub(crate) id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct UserFilterBody {
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) relation: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ListUsersBody {
    pub(crate) object: ObjectBody,
    pub(crate) relation: String,
    pub(crate) user_filters: Vec<UserFilterBody>,
    #[serde(default)]
    pub(crate) contextual_tuples: Vec<TupleKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) context: Option<Context>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_model_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct UsersetBody {
    #[serde(rename = "type")]
    pub(crate) type_name: String,
    pub(crate) id: String,
    pub(crate) relation: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct WildcardBody {
    #[serde(rename = "type")]
    pub(crate) type_name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct UserBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) object: Option<ObjectBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) userset: Option<UsersetBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) wildcard: Option<WildcardBody>,
}

impl UserBody {
    pub(crate) fn from_user_string(user: &str) -> Self {
        let (object, relation) = match user.split_once('#') {
            Some((o, r)) => (o, Some(r)),
            None => (user, None),
        };
        let (t, id) = object.split_once(':').unwrap_or((object, ""));
        match relation {
            Some(r) => Self {
                userset: Some(UsersetBody {
                    type_name: t.into(),
                    id: id.into(),
                    relation: r.into(),
                }),
                ..Self::default()
            },
            None if id == "*" => Self {
                wildcard: Some(WildcardBody {
                    type_name: t.into(),
                }),
                ..Self::default()
            },
            None => Self {
                object: Some(ObjectBody {
                    type_name: t.into(),
                    id: id.into(),
                }),
                ..Self::default()
            },
        }
    }

    pub(crate) fn to_user_string(&self) -> String {
        if let Some(o) = &self.object {
            format!("{}:{}", o.type_name, o.id)
        } else if let Some(u) = &self.userset {
            format!("{}:{}#{}", u.type_name, u.id, u.relation)
        } else if let Some(w) = &self.wildcard {
            format!("{}:*", w.type_name)
        } else {
            String::new()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ListUsersResponse {
    #[serde(default)]
    pub(crate) users: Vec<UserBody>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReadBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) tuple_key: Option<PlainKey>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) page_size: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) continuation_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReadTuple {
    pub(crate) key: TupleKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReadResponse {
    #[serde(default)]
    pub(crate) tuples: Vec<ReadTuple>,
    #[serde(default)]
    pub(crate) continuation_token: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct WriteBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) writes: Option<TupleKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) deletes: Option<TupleKeys>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) authorization_model_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct WriteModelResponse {
    pub(crate) authorization_model_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReadModelResponse {
    pub(crate) authorization_model: AuthorizationModel,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ReadModelsResponse {
    #[serde(default)]
    pub(crate) authorization_models: Vec<AuthorizationModel>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct CreateStoreBody {
    pub(crate) name: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct StoreBody {
    pub(crate) id: String,
    pub(crate) name: String,
}

/// OpenFGA's error body: a code name and a message.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub(crate) code: serde_json::Value,
    #[serde(default)]
    pub(crate) message: String,
}

/// OpenFGA error code names by number.
const CODES: &[(u32, &str)] = &[
    (2000, "validation_error"),
    (2001, "authorization_model_not_found"),
    (2002, "authorization_model_resolution_too_complex"),
    (2017, "write_failed_due_to_invalid_input"),
    (2021, "type_not_found"),
    (2022, "relation_not_found"),
    (2027, "invalid_tuple"),
    (2056, "invalid_authorization_model"),
];

impl ErrorBody {
    pub(crate) fn from_error(e: &Error) -> Self {
        let code = e.code();
        let name = CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map_or("internal_error", |(_, n)| n);
        Self {
            code: serde_json::Value::String(name.to_owned()),
            message: e.to_string(),
        }
    }

    pub(crate) fn numeric_code(&self) -> Option<u32> {
        match &self.code {
            serde_json::Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            serde_json::Value::String(s) => CODES.iter().find(|(_, n)| n == s).map(|(c, _)| *c),
            _ => None,
        }
    }
}
