//! The `.fga.yaml` store file format.

use indexmap::IndexMap;
use serde::Deserialize;

use crate::tuple::{Context, TupleKey};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StoreFile {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) model: Option<String>,
    #[serde(default)]
    pub(super) model_file: Option<String>,
    #[serde(default)]
    pub(super) tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub(super) tuple_file: Option<String>,
    #[serde(default)]
    pub(super) tuple_files: Option<Vec<String>>,
    #[serde(default)]
    pub(super) tests: Vec<Test>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Test {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub(super) check: Option<Vec<Check>>,
    #[serde(default)]
    pub(super) list_objects: Option<Vec<ListObjects>>,
    #[serde(default)]
    pub(super) list_users: Option<Vec<ListUsers>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Check {
    pub(super) user: String,
    pub(super) object: String,
    #[serde(default)]
    pub(super) context: Option<Context>,
    pub(super) assertions: IndexMap<String, bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListObjects {
    pub(super) user: String,
    #[serde(rename = "type")]
    pub(super) object_type: String,
    #[serde(default)]
    pub(super) context: Option<Context>,
    pub(super) assertions: IndexMap<String, Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserFilter {
    #[serde(rename = "type")]
    pub(super) type_name: String,
    #[serde(default)]
    pub(super) relation: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListUsersExpectation {
    #[serde(default)]
    pub(super) users: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ListUsers {
    pub(super) object: String,
    pub(super) user_filter: Vec<UserFilter>,
    #[serde(default)]
    pub(super) context: Option<Context>,
    pub(super) assertions: IndexMap<String, ListUsersExpectation>,
}
