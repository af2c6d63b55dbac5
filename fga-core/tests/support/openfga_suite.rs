//! The YAML shape of OpenFGA's conformance suites (shared by the conformance tests).

#![allow(dead_code, unreachable_pub, missing_docs)]

use fga_core::{Context, TupleKey};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Suite {
    pub tests: Vec<Test>,
}

#[derive(Deserialize)]
pub struct Test {
    pub name: String,
    pub stages: Vec<Stage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stage {
    pub model: String,
    #[serde(default)]
    pub tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub check_assertions: Option<Vec<CheckAssertion>>,
    #[serde(default)]
    pub list_objects_assertions: Option<Vec<ListObjectsAssertion>>,
    #[serde(default)]
    pub list_users_assertions: Option<Vec<ListUsersAssertion>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckAssertion {
    pub tuple: TupleKey,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub contextual_tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub expectation: Option<bool>,
    #[serde(default)]
    pub error_code: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListObjectsRequestYaml {
    pub user: String,
    #[serde(rename = "type")]
    pub object_type: String,
    pub relation: String,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub contextual_tuples: Option<Vec<TupleKey>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListObjectsAssertion {
    pub request: ListObjectsRequestYaml,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub contextual_tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub expectation: Option<Vec<String>>,
    #[serde(default)]
    pub error_code: Option<u32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUsersRequestYaml {
    pub filters: Vec<String>,
    pub object: String,
    pub relation: String,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub contextual_tuples: Option<Vec<TupleKey>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListUsersAssertion {
    pub request: ListUsersRequestYaml,
    #[serde(default)]
    pub context: Option<Context>,
    #[serde(default)]
    pub contextual_tuples: Option<Vec<TupleKey>>,
    #[serde(default)]
    pub expectation: Option<Vec<String>>,
    #[serde(default)]
    pub error_code: Option<u32>,
}
