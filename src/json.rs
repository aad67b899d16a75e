//! A JSON object read from a request body, and its fields one by one: a wrong type is a field error naming
//! the field, not a generic one. The web layer reads the body (`web::api::body`: the media type, the limit)
//! and hands the bytes here; the `json_body` fuzz target calls [`JsonObject::parse`] directly.

use serde_json::{Map, Value};

use crate::domain::{FieldError, FieldErrors, RawReport};

/// A JSON object from a request body.
pub struct JsonObject(pub Map<String, Value>);

#[derive(Debug)]
pub enum BodyError {
    /// Not sent as `application/json`: a form or `text/plain` post, which any other website can make a
    /// visitor's browser send without asking (issue #11, D4).
    NotJson,
    TooLarge,
    Malformed,
    NotAnObject,
}

impl JsonObject {
    /// A body read in full (within the limit): UTF-8 JSON whose top level is an object. The rest of the
    /// reading, after the request's checks; a fuzz target calls it directly.
    pub fn parse(bytes: &[u8]) -> Result<Self, BodyError> {
        let text = std::str::from_utf8(bytes).map_err(|_| BodyError::Malformed)?;
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(JsonObject(map)),
            Ok(_) => Err(BodyError::NotAnObject),
            Err(_) => Err(BodyError::Malformed),
        }
    }

    /// A text field: absent or `null` is `None`; any other type is a field error.
    pub fn text(&self, field: &'static str, errors: &mut FieldErrors) -> Option<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                errors.push(field, FieldError::WrongType);
                None
            }
        }
    }

    /// A text field as is, without a type check: absent, `null` and other types are all `None` (the domain
    /// then reports the field as required).
    pub fn str(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(Value::as_str)
    }

    /// An integer field, passed on as its decimal text for the domain to check the range. A fraction is
    /// refused here: the domain's parser also reads thousands separators, which JSON never has.
    pub fn integer(&self, field: &'static str, errors: &mut FieldErrors) -> Option<String> {
        match self.0.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
            Some(Value::Number(_)) => {
                errors.push(field, FieldError::InvalidAmount);
                None
            }
            Some(_) => {
                errors.push(field, FieldError::WrongType);
                None
            }
        }
    }

    /// A report as `POST /api/v1/reports` takes it: each field read with its type check (a wrong type goes
    /// to `errors`, the domain then checks the rest).
    pub fn raw_report(&self, errors: &mut FieldErrors) -> RawReport {
        RawReport {
            category: self.text("category", errors),
            unit: self.text("unit", errors),
            narrative: self.text("narrative", errors),
            accused: self.text("accused", errors),
            incident_date: self.text("incident_date", errors),
            amount_vnd: self.integer("amount_vnd", errors),
        }
    }
}
