//! The reporter's rating of how their report was handled (issue 13): a score from 1 to 5 and, if they
//! wish, one sentence, given once per report after its result was notified.

use super::deadlines::{self, Event};
use super::report::{FieldError, FieldErrors};
use super::status::Status;

/// The longest comment, in characters: one sentence.
pub const COMMENT_MAX: usize = 300;

/// A rating as given: the score (1 to 5) and the comment, trimmed, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rating {
    pub score: u8,
    pub comment: Option<String>,
}

impl Rating {
    /// Checks a score (a whole number, or its digits as text from a form) and a comment, every error at once.
    pub fn parse(score: Option<&serde_json::Value>, comment: Option<&str>) -> Result<Rating, FieldErrors> {
        let mut errors = FieldErrors::default();
        let score = match score {
            None | Some(serde_json::Value::Null) => {
                errors.push("score", FieldError::Required);
                0
            }
            Some(value) => match value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(n @ 1..=5) => n as u8,
                _ => {
                    errors.push("score", FieldError::InvalidScore);
                    0
                }
            },
        };
        let comment = comment.map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment {
            if c.chars().count() > COMMENT_MAX {
                errors.push("comment", FieldError::TooLong { max: COMMENT_MAX });
            } else if c.contains(['\n', '\r']) {
                errors.push("comment", FieldError::LineBreak);
            }
        }
        match errors.is_empty() {
            true => Ok(Rating {
                score,
                comment: comment.map(str::to_owned),
            }),
            false => Err(errors),
        }
    }
}

/// Whether a report's result has been notified, so that its reporter may rate the handling: a concluded
/// report once the result was told or the case closed, on time or late (a late answer is the one most worth
/// rating); a rejected or transferred one at once (the decision is the result, shown on the status page
/// when it is made), from its events in ledger order.
pub fn result_notified(status: Status, events: &[Event<'_>]) -> bool {
    match deadlines::concluded(events) {
        true => deadlines::result_told(events).is_some(),
        false => matches!(status, Status::Rejected | Status::Transferred | Status::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_result_told_late_may_be_rated_and_one_not_told_may_not() {
        use super::super::entry::EntryKind;
        let t = |at, to| Event {
            at,
            kind: EntryKind::Transition,
            to: Some(to),
            by_staff: true,
        };
        let told = |at| Event {
            at,
            kind: EntryKind::Message,
            to: None,
            by_staff: true,
        };
        let concluded = [t(1, "accepted"), t(2, "investigating"), t(3, "unsubstantiated")];
        assert!(!result_notified(Status::Unsubstantiated, &concluded));
        let before = [told(1), concluded[0], concluded[1], concluded[2]];
        assert!(
            !result_notified(Status::Unsubstantiated, &before),
            "a message before the conclusion"
        );
        // Told a year late: still the reporter's to rate.
        let late = [concluded[0], concluded[1], concluded[2], told(400 * 86_400_000)];
        assert!(result_notified(Status::Unsubstantiated, &late));
        let closed = [concluded[0], concluded[1], concluded[2], t(9, "closed")];
        assert!(result_notified(Status::Closed, &closed));
        assert!(result_notified(Status::Rejected, &[t(1, "rejected")]));
        assert!(!result_notified(Status::Investigating, &concluded[..2]));
    }

    #[test]
    fn scores_are_one_to_five_and_comments_one_short_line() {
        let ok = Rating::parse(Some(&json!(4)), Some("  Cán bộ trả lời đúng hạn.  ")).expect("valid");
        assert_eq!((ok.score, ok.comment.as_deref()), (4, Some("Cán bộ trả lời đúng hạn.")));
        assert_eq!(
            Rating::parse(Some(&json!("5")), Some(""))
                .expect("a form's digits")
                .comment,
            None
        );
        for bad in [json!(0), json!(6), json!(2.5), json!(-1), json!("năm"), json!(true)] {
            let errors = Rating::parse(Some(&bad), None).expect_err("refused");
            assert_eq!(errors.0, vec![("score", FieldError::InvalidScore)], "{bad}");
        }
        let long = "ư".repeat(COMMENT_MAX + 1);
        let errors = Rating::parse(None, Some(&long)).expect_err("refused");
        assert_eq!(
            errors.0,
            vec![
                ("score", FieldError::Required),
                ("comment", FieldError::TooLong { max: COMMENT_MAX })
            ]
        );
        assert!(
            Rating::parse(Some(&json!(3)), Some(&"ư".repeat(COMMENT_MAX))).is_ok(),
            "300 Vietnamese characters"
        );
        assert_eq!(
            Rating::parse(Some(&json!(3)), Some("a\nb")).expect_err("two lines").0,
            vec![("comment", FieldError::LineBreak)]
        );
    }
}
