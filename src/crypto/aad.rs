//! The associated data that binds each sealed value to its place, in one place: a ciphertext moved to
//! another report, field, note, message or commendation does not open there. Changing any of these labels
//! makes every stored value under it unreadable.

/// A report's text field (`narrative`, `accused`, `incident_date`, `amount_vnd`), or a commendation's
/// officer field (`evidence`, `reason`, `payment_reference`), sealed under that key.
pub fn field<'a>(report: &'a str, field: &'a str) -> [&'a str; 2] {
    [report, field]
}

/// The reason of a transition or an extension, sealed under the report key.
pub fn note<'a>(report: &'a str, note: &'a str) -> [&'a str; 3] {
    [report, "note", note]
}

/// A message between the reporter and the inspectors, sealed under the report key.
pub fn message<'a>(report: &'a str, message: &'a str) -> [&'a str; 3] {
    [report, "message", message]
}

/// The reporter's comment with their rating of the handling, sealed under the report key.
pub fn rating(report: &str) -> [&str; 2] {
    [report, "rating"]
}

/// An evidence file's chunks (a key of its own is derived from the report key and this context).
pub fn attachment<'a>(report: &'a str, attachment: &'a str) -> [&'a str; 3] {
    [report, "attachment", attachment]
}

/// What is known of an evidence file (its name, type, size, the metadata removed), sealed under the report key.
pub fn attachment_meta<'a>(report: &'a str, attachment: &'a str) -> [&'a str; 3] {
    [report, "attachment-meta", attachment]
}

/// The commendation key, sealed under the report key for the reporter.
pub fn commendation_key(report: &str) -> [&str; 2] {
    [report, "commendation-key"]
}

/// What the reporter reveals to claim, sealed under the claim key.
pub fn claim(report: &str) -> [&str; 2] {
    [report, "claim"]
}

/// What an HPKE grant of a commendation's key (`file` or `claim`) is bound to, beside its holder. A grant
/// of the report key itself is bound to the report id alone.
pub fn commendation_grant(report: &str, purpose: &str) -> String {
    format!("{report}/{purpose}")
}

/// A staff member's TOTP secret, sealed under a subkey of the server secret.
pub fn totp(user: &str) -> [&str; 2] {
    [user, "totp"]
}

/// The first admin's setup code, sealed under a subkey of the server secret.
pub fn setup_code() -> [&'static str; 1] {
    ["first admin setup code"]
}
