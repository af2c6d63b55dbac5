//! JSON parameter values to CEL values, by OpenFGA parameter type.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use cel::Value;
use cel::objects::Key;
use serde_json::Value as Json;

use crate::model::types::{ConditionParamType, ParamTypeName};

/// Converts one parameter value, checking its type.
pub(crate) fn convert(json: &Json, ty: &ConditionParamType) -> Result<Value, String> {
    let wrong = || format!("expected {}, got {json}", ty.type_name.keyword());
    Ok(match ty.type_name {
        ParamTypeName::Any => any(json),
        ParamTypeName::Bool => Value::Bool(json.as_bool().ok_or_else(wrong)?),
        ParamTypeName::String => {
            Value::String(Arc::new(json.as_str().ok_or_else(wrong)?.to_owned()))
        }
        ParamTypeName::Int => match json {
            Json::Number(n) => Value::Int(
                n.as_i64()
                    .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                    .ok_or_else(wrong)?,
            ),
            Json::String(s) => Value::Int(s.parse().map_err(|_| wrong())?),
            _ => return Err(wrong()),
        },
        ParamTypeName::Uint => match json {
            Json::Number(n) => Value::UInt(n.as_u64().ok_or_else(wrong)?),
            Json::String(s) => Value::UInt(s.parse().map_err(|_| wrong())?),
            _ => return Err(wrong()),
        },
        ParamTypeName::Double => {
            let f: f64 = match json {
                Json::Number(n) => n.as_f64().ok_or_else(wrong)?,
                Json::String(s) => s.parse().map_err(|_| wrong())?,
                _ => return Err(wrong()),
            };
            if !f.is_finite() {
                return Err(format!("{json} is out of range for double"));
            }
            Value::Float(f)
        }
        ParamTypeName::Duration => {
            Value::Duration(parse_duration(json.as_str().ok_or_else(wrong)?).ok_or_else(wrong)?)
        }
        ParamTypeName::Timestamp => {
            let s = json.as_str().ok_or_else(wrong)?;
            Value::Timestamp(chrono::DateTime::parse_from_rfc3339(s).map_err(|_| wrong())?)
        }
        ParamTypeName::Ipaddress => {
            let ip: IpAddr = json
                .as_str()
                .ok_or_else(wrong)?
                .parse()
                .map_err(|_| wrong())?;
            Value::String(Arc::new(ip.to_string()))
        }
        ParamTypeName::List => {
            let items = json.as_array().ok_or_else(wrong)?;
            let elem = ty.generic_types.first().ok_or_else(wrong)?;
            Value::List(Arc::new(
                items
                    .iter()
                    .map(|i| convert(i, elem))
                    .collect::<Result<_, _>>()?,
            ))
        }
        ParamTypeName::Map => {
            let items = json.as_object().ok_or_else(wrong)?;
            let elem = ty.generic_types.first().ok_or_else(wrong)?;
            let mut map: HashMap<Key, Value> = HashMap::new();
            for (k, v) in items {
                map.insert(Key::String(Arc::new(k.clone())), convert(v, elem)?);
            }
            Value::Map(map.into())
        }
    })
}

fn any(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => Value::Int(i),
            (None, Some(u), _) => Value::UInt(u),
            (_, _, f) => Value::Float(f.unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::String(Arc::new(s.clone())),
        Json::Array(a) => Value::List(Arc::new(a.iter().map(any).collect())),
        Json::Object(o) => {
            let map: HashMap<Key, Value> = o
                .iter()
                .map(|(k, v)| (Key::String(Arc::new(k.clone())), any(v)))
                .collect();
            Value::Map(map.into())
        }
    }
}

/// Parses a Go-style duration: `1h30m`, `10s`, `-1.5h`, `300ms`, `0`.
pub(crate) fn parse_duration(s: &str) -> Option<chrono::Duration> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(chrono::Duration::zero());
    }
    if rest.is_empty() {
        return None;
    }
    let mut nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let number: f64 = rest.get(..num_end)?.parse().ok()?;
        rest = rest.get(num_end..)?;
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match rest.get(..unit_end)? {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        nanos += number * scale;
        rest = rest.get(unit_end..)?;
    }
    let d = chrono::Duration::nanoseconds(nanos as i64);
    Some(if neg { -d } else { d })
}

/// Whether `ip` lies in `cidr` (`10.0.0.0/8`, `2001:db8::/32`).
pub(crate) fn in_cidr(ip: &str, cidr: &str) -> Result<bool, String> {
    let ip: IpAddr = ip
        .parse()
        .map_err(|_| format!("invalid ip address '{ip}'"))?;
    let (net, bits) = cidr
        .split_once('/')
        .ok_or_else(|| format!("invalid cidr '{cidr}'"))?;
    let net: IpAddr = net.parse().map_err(|_| format!("invalid cidr '{cidr}'"))?;
    let bits: u32 = bits.parse().map_err(|_| format!("invalid cidr '{cidr}'"))?;
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => {
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            Ok(u32::from(a) & mask == u32::from(b) & mask)
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => {
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            Ok(u128::from(a) & mask == u128::from(b) & mask)
        }
        (IpAddr::V4(_), IpAddr::V6(_)) | (IpAddr::V6(_), IpAddr::V4(_)) => Ok(false),
        _ => Err(format!("invalid cidr '{cidr}'")),
    }
}
