//! What a reporter may reveal to claim a reward: every field optional, trimmed, bounded. Sealed to the
//! commendation officers alone (see `app::commendations`).

use serde::{Deserialize, Serialize};

use super::FieldError;

/// What the reporter may reveal to claim a reward. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: Option<String>,
    pub id_number: Option<String>,
    pub contact: Option<String>,
    pub payment: Option<String>,
}

/// Longest claim field, in characters.
pub const IDENTITY_FIELD_MAX: usize = 500;

impl Identity {
    /// Trims every field, drops empty ones and checks lengths.
    pub fn parse(fields: [(&'static str, Option<&str>); 4]) -> Result<Option<Identity>, (&'static str, FieldError)> {
        let mut values: [Option<String>; 4] = Default::default();
        for (i, (name, value)) in fields.iter().enumerate() {
            let text = value.map(str::trim).filter(|v| !v.is_empty());
            if let Some(text) = text {
                if text.chars().count() > IDENTITY_FIELD_MAX {
                    return Err((
                        name,
                        FieldError::TooLong {
                            max: IDENTITY_FIELD_MAX,
                        },
                    ));
                }
                values[i] = Some(text.to_owned());
            }
        }
        let [name, id_number, contact, payment] = values;
        let identity = Identity {
            name,
            id_number,
            contact,
            payment,
        };
        Ok((identity != Identity::default()).then_some(identity))
    }
}
