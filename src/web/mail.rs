//! Staff notification mails worded in the recipient's language (`mail-*` in `locales/`): the same Fluent
//! messages as the pages, plain text, each ending with the sign-in link and a line saying the mail holds
//! no case content.

use fluent_templates::fluent_bundle::FluentValue;

use super::i18n::Lang;
use super::pages;
use crate::app::notify::Wording;
use crate::domain::notice::Notice;

/// The wording the server's notifier uses.
pub struct FluentWording;

impl Wording for FluentWording {
    fn mail(&self, lang: &str, notice: &Notice, sign_in: &str) -> (String, String) {
        let lang = if lang == "en" { Lang::En } else { Lang::Vi };
        let day = |d| FluentValue::from(pages::date(lang, d));
        let stage = |s: crate::domain::Stage| FluentValue::from(lang.tr(&format!("stage-short-{}", s.as_str())));
        let (subject, lines) = match notice {
            Notice::Assigned { on, next } => {
                let mut lines = vec![lang.tr_with("mail-assigned-body", &[("date", day(*on))])];
                if let Some((s, due)) = next {
                    lines.push(lang.tr_with("mail-next-deadline", &[("stage", stage(*s)), ("date", day(*due))]));
                }
                (lang.tr("mail-assigned-subject"), lines)
            }
            Notice::Reply { on } => (
                lang.tr("mail-reply-subject"),
                vec![lang.tr_with("mail-reply-body", &[("date", day(*on))])],
            ),
            Notice::Commendation { on, claimed } => {
                let key = if *claimed {
                    "mail-commendation-claimed"
                } else {
                    "mail-commendation-opened"
                };
                (
                    lang.tr("mail-commendation-subject"),
                    vec![lang.tr_with(key, &[("date", day(*on))])],
                )
            }
            Notice::Digest { on, lines } => {
                let mut text = vec![lang.tr_with("mail-digest-intro", &[("date", day(*on))])];
                text.extend(lines.iter().map(|l| {
                    let counts = [
                        ("stage", stage(l.stage)),
                        ("due_soon", FluentValue::from(l.due_soon)),
                        ("overdue", FluentValue::from(l.overdue)),
                    ];
                    format!("- {}", lang.tr_with("mail-digest-line", &counts))
                }));
                (lang.tr_with("mail-digest-subject", &[("date", day(*on))]), text)
            }
        };
        let link = lang.tr_with("mail-sign-in", &[("link", FluentValue::from(sign_in.to_owned()))]);
        let body = format!("{}\n\n{link}\n\n{}\n", lines.join("\n"), lang.tr("mail-footer"));
        (subject, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::notice::DigestLine;
    use crate::domain::Stage;
    use time::macros::date;

    #[test]
    fn a_digest_says_its_counts_per_stage_in_each_language() {
        let notice = Notice::Digest {
            on: date!(2026 - 12 - 04),
            lines: vec![DigestLine {
                stage: Stage::Triage,
                due_soon: 2,
                overdue: 1,
            }],
        };
        let (subject, body) = FluentWording.mail("vi", &notice, "https://thanhtra.example/inspector/sign-in");
        assert_eq!(subject, "Minh Bạch: thời hạn của bạn ngày 04/12/2026");
        assert!(
            body.contains("- Phân loại: 2 đến hạn trong 2 ngày làm việc, 1 quá hạn."),
            "{body}"
        );
        assert!(body.contains("https://thanhtra.example/inspector/sign-in"), "{body}");
        let (subject, body) = FluentWording.mail("en", &notice, "https://x/inspector/sign-in");
        assert_eq!(subject, "Minh Bạch: your deadlines on 4 Dec 2026");
        assert!(
            body.contains("- Triage: 2 due within 2 working days, 1 overdue."),
            "{body}"
        );
    }
}
