//! The case lifecycle (`DESIGN.md`, "Case lifecycle"; Law on Denunciation 25/2018/QH14).

/// Where a report stands. Stored by its `as_str` name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Received,
    Accepted,
    Rejected,
    Transferred,
    InfoRequested,
    Investigating,
    Substantiated,
    PartiallySubstantiated,
    Unsubstantiated,
    Closed,
}

impl Status {
    /// The statuses in which the resolution clock runs: accepted, until a conclusion.
    pub const RESOLVING: [Status; 3] = [Status::Accepted, Status::Investigating, Status::InfoRequested];

    /// Whether the resolution clock runs (and may be extended).
    pub fn resolution_running(self) -> bool {
        Self::RESOLVING.contains(&self)
    }

    pub const ALL: [Status; 10] = [
        Status::Received,
        Status::Accepted,
        Status::Rejected,
        Status::Transferred,
        Status::InfoRequested,
        Status::Investigating,
        Status::Substantiated,
        Status::PartiallySubstantiated,
        Status::Unsubstantiated,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Accepted => "accepted",
            Status::Rejected => "rejected",
            Status::Transferred => "transferred",
            Status::InfoRequested => "info_requested",
            Status::Investigating => "investigating",
            Status::Substantiated => "substantiated",
            Status::PartiallySubstantiated => "partially_substantiated",
            Status::Unsubstantiated => "unsubstantiated",
            Status::Closed => "closed",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The key of the status's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("status-{}", self.as_str().replace('_', "-"))
    }

    /// The transitions the lifecycle allows from this status.
    pub fn successors(self) -> &'static [Status] {
        use Status::*;
        match self {
            Received => &[Accepted, Rejected, Transferred, InfoRequested],
            InfoRequested => &[Accepted, Rejected, Transferred],
            Accepted => &[Investigating],
            Investigating => &[Substantiated, PartiallySubstantiated, Unsubstantiated],
            Substantiated | PartiallySubstantiated | Unsubstantiated | Rejected | Transferred => &[Closed],
            Closed => &[],
        }
    }

    pub fn can_become(self, next: Status) -> bool {
        self.successors().contains(&next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_round_trips_through_its_name() {
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn a_received_report_cannot_jump_to_a_conclusion() {
        assert!(Status::Received.can_become(Status::Accepted));
        assert!(!Status::Received.can_become(Status::Substantiated));
        assert!(Status::Closed.successors().is_empty());
    }
}
