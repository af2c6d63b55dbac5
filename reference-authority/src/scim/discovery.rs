//! The discovery endpoints: `/ServiceProviderConfig` (RFC 7643 section 5),
//! `/ResourceTypes` (section 6) and `/Schemas` (section 7), all served from
//! the definitions the server enforces.

use super::ScimConfig;
use super::query::LIST_RESPONSE;
use super::schema::{ResourceType, Schema};
use serde_json::{Value, json};

const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The service provider configuration.
pub fn service_provider_config(base: &str, config: &ScimConfig) -> Value {
    json!({
        "schemas": [SPC],
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": config.max_operations,
            "maxPayloadSize": config.max_payload_size,
        },
        "filter": {"supported": true, "maxResults": config.max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": format!("An access token of this authority with the `{}` scope (RFC 6750).", config.scope),
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// One resource type's description.
pub fn resource_type(base: &str, rt: &ResourceType) -> Value {
    let extensions: Vec<Value> = rt
        .extensions
        .iter()
        .map(|(s, required)| json!({"schema": s.id, "required": required}))
        .collect();
    let mut v = json!({
        "schemas": [RESOURCE_TYPE],
        "id": rt.name,
        "name": rt.name,
        "endpoint": rt.endpoint,
        "description": rt.description,
        "schema": rt.schema.id,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{base}/ResourceTypes/{}", rt.name),
        },
    });
    if !extensions.is_empty()
        && let Some(o) = v.as_object_mut()
    {
        o.insert("schemaExtensions".into(), Value::Array(extensions));
    }
    v
}

/// One schema's description.
pub fn schema(base: &str, s: &Schema) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(super::schema::Attribute::to_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{base}/Schemas/{}", s.id),
        },
    })
}

/// A ListResponse of discovery resources (RFC 7644 section 4).
pub fn list(items: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_RESPONSE],
        "totalResults": items.len(),
        "itemsPerPage": items.len(),
        "startIndex": 1,
        "Resources": items,
    })
}
