//! A JSON request body read within the configured limit: not sent as `application/json` → 415, too large →
//! 413, not UTF-8 or not JSON → 400.
//! Fields are then checked one by one so that a wrong type is a 422 naming the field, not a generic error.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::Request;
use serde_json::{Map, Value};

use crate::domain::{FieldError, FieldErrors};

/// A JSON object from the request body.
pub struct JsonBody(pub Map<String, Value>);

#[derive(Debug)]
pub enum BodyError {
    /// Not sent as `application/json`: a form or `text/plain` post, which any other website can make a
    /// visitor's browser send without asking (issue #11, D4).
    NotJson,
    TooLarge,
    Malformed,
    NotAnObject,
}

#[rocket::async_trait]
impl<'r> FromData<'r> for JsonBody {
    type Error = BodyError;

    async fn from_data(req: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        if !req.content_type().is_some_and(|t| t.is_json()) {
            return data::Outcome::Error((Status::UnsupportedMediaType, BodyError::NotJson));
        }
        let limit = req.limits().get("json").unwrap_or(256.kibibytes());
        let bytes = match data.open(limit).into_bytes().await {
            Ok(bytes) if bytes.is_complete() => bytes.into_inner(),
            Ok(_) => return data::Outcome::Error((Status::PayloadTooLarge, BodyError::TooLarge)),
            Err(_) => return data::Outcome::Error((Status::BadRequest, BodyError::Malformed)),
        };
        match JsonBody::parse(&bytes) {
            Ok(body) => data::Outcome::Success(body),
            Err(e @ BodyError::NotAnObject) => data::Outcome::Error((Status::UnprocessableEntity, e)),
            Err(e) => data::Outcome::Error((Status::BadRequest, e)),
        }
    }
}

impl JsonBody {
    /// A body read in full (within the limit): UTF-8 JSON whose top level is an object. The rest of the
    /// reading, after the request's checks; a fuzz target calls it directly.
    pub fn parse(bytes: &[u8]) -> Result<Self, BodyError> {
        let text = std::str::from_utf8(bytes).map_err(|_| BodyError::Malformed)?;
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(JsonBody(map)),
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
}
