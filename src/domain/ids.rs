//! Ids as types: a report id cannot be passed where a user id is expected. Each is the random 128-bit hex
//! value it always was (`crypto::random_id`), stored as text; it reads as `&str` where text is needed
//! (SQL binds, associated data, JSON), and is made from text only at the boundary (a route parameter, a
//! row, a parsed file).

macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

id!(
    /// A report, and the case and commendation it becomes.
    ReportId
);
id!(
    /// A staff account.
    UserId
);
id!(
    /// A team of inspectors.
    TeamId
);
id!(
    /// An administrative unit (district, town, commune, ward).
    UnitId
);
id!(
    /// The sealed reason of a transition or an extension.
    NoteId
);
id!(
    /// A message between the reporter and the inspectors.
    MessageId
);
id!(
    /// A staff session.
    SessionId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_as_its_text_and_compares_with_it() {
        let id = ReportId::new("ab12");
        assert_eq!(&*id, "ab12");
        assert_eq!(id, "ab12");
        assert_eq!(id.to_string(), "ab12");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"ab12\"");
        let back: ReportId = serde_json::from_str("\"ab12\"").unwrap();
        assert_eq!(back, id);
    }
}
