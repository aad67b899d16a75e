//! A JSON request body read within the configured limit: not sent as `application/json` → 415, too large →
//! 413, not UTF-8 or not JSON → 400, not an object → 422. Its fields are then read through
//! [`crate::json::JsonObject`], where a wrong type is a 422 naming the field, not a generic error.

use rocket::data::{self, Data, FromData, ToByteUnit};
use rocket::http::Status;
use rocket::Request;

pub use crate::json::{BodyError, JsonObject as JsonBody};

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
