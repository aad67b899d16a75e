//! What a ledger entry records (`DESIGN.md`, "Ledger"): its kind, stored and hashed by its `as_str` name.

/// The kind of a ledger entry. Every kind this crate writes is here; a stored one that is not is a decode
/// error where the row is read, never a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    // A report and its case.
    Received,
    Assigned,
    Transition,
    Message,
    Reassigned,
    Extension,
    Escalation,
    // Its retention: a supervisor's legal hold, and the erasure once its period ended.
    LegalHoldPlaced,
    LegalHoldLifted,
    Erased,
    // Its evidence files.
    AttachmentAdded,
    AttachmentDownloaded,
    // Its commendation.
    CommendationOpened,
    CommendationProposed,
    CommendationDecided,
    CommendationClaimed,
    CommendationDeclined,
    CommendationPaid,
    // Accounts.
    UserAdded,
    UserDisabled,
    PasswordReset,
    KeysRegranted,
    // The organisation.
    OrgImported,
    RuleSet,
    RuleRemoved,
    TeamSet,
    UnitSet,
}

impl EntryKind {
    pub const ALL: [EntryKind; 27] = [
        EntryKind::Received,
        EntryKind::Assigned,
        EntryKind::Transition,
        EntryKind::Message,
        EntryKind::Reassigned,
        EntryKind::Extension,
        EntryKind::Escalation,
        EntryKind::LegalHoldPlaced,
        EntryKind::LegalHoldLifted,
        EntryKind::Erased,
        EntryKind::AttachmentAdded,
        EntryKind::AttachmentDownloaded,
        EntryKind::CommendationOpened,
        EntryKind::CommendationProposed,
        EntryKind::CommendationDecided,
        EntryKind::CommendationClaimed,
        EntryKind::CommendationDeclined,
        EntryKind::CommendationPaid,
        EntryKind::UserAdded,
        EntryKind::UserDisabled,
        EntryKind::PasswordReset,
        EntryKind::KeysRegranted,
        EntryKind::OrgImported,
        EntryKind::RuleSet,
        EntryKind::RuleRemoved,
        EntryKind::TeamSet,
        EntryKind::UnitSet,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Received => "received",
            EntryKind::Assigned => "assigned",
            EntryKind::Transition => "transition",
            EntryKind::Message => "message",
            EntryKind::Reassigned => "reassigned",
            EntryKind::Extension => "extension",
            EntryKind::Escalation => "escalation",
            EntryKind::LegalHoldPlaced => "legal_hold_placed",
            EntryKind::LegalHoldLifted => "legal_hold_lifted",
            EntryKind::Erased => "erased",
            EntryKind::AttachmentAdded => "attachment_added",
            EntryKind::AttachmentDownloaded => "attachment_downloaded",
            EntryKind::CommendationOpened => "commendation_opened",
            EntryKind::CommendationProposed => "commendation_proposed",
            EntryKind::CommendationDecided => "commendation_decided",
            EntryKind::CommendationClaimed => "commendation_claimed",
            EntryKind::CommendationDeclined => "commendation_declined",
            EntryKind::CommendationPaid => "commendation_paid",
            EntryKind::UserAdded => "user_added",
            EntryKind::UserDisabled => "user_disabled",
            EntryKind::PasswordReset => "password_reset",
            EntryKind::KeysRegranted => "keys_regranted",
            EntryKind::OrgImported => "org_imported",
            EntryKind::RuleSet => "rule_set",
            EntryKind::RuleRemoved => "rule_removed",
            EntryKind::TeamSet => "team_set",
            EntryKind::UnitSet => "unit_set",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Whether the reporter's timeline shows entries of this kind: not messages (shown as messages), and not
    /// a legal hold, which is the inspectorate's own matter (it may tell of proceedings under way).
    pub fn shown_to_reporter(self) -> bool {
        !matches!(
            self,
            EntryKind::Message | EntryKind::LegalHoldPlaced | EntryKind::LegalHoldLifted
        )
    }

    /// A step of the report's commendation.
    pub fn is_commendation(self) -> bool {
        self.as_str().starts_with("commendation_")
    }

    /// The key of the kind's label in the Fluent files, for the kinds shown on a report's history.
    pub fn message_key(self) -> String {
        format!("event-{}", self.as_str())
    }
}

impl serde::Serialize for EntryKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_name_and_no_two_share_one() {
        let names: std::collections::BTreeSet<&str> = EntryKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EntryKind::ALL.len());
        for kind in EntryKind::ALL {
            assert_eq!(EntryKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(EntryKind::parse("commendation_approved"), None);
        // The names are stored, hashed into the chain and read by a migration: they never change.
        assert_eq!(
            EntryKind::ALL.map(EntryKind::as_str),
            [
                "received",
                "assigned",
                "transition",
                "message",
                "reassigned",
                "extension",
                "escalation",
                "legal_hold_placed",
                "legal_hold_lifted",
                "erased",
                "attachment_added",
                "attachment_downloaded",
                "commendation_opened",
                "commendation_proposed",
                "commendation_decided",
                "commendation_claimed",
                "commendation_declined",
                "commendation_paid",
                "user_added",
                "user_disabled",
                "password_reset",
                "keys_regranted",
                "org_imported",
                "rule_set",
                "rule_removed",
                "team_set",
                "unit_set",
            ]
        );
        assert_eq!(EntryKind::ALL.iter().filter(|k| k.is_commendation()).count(), 6);
    }
}
