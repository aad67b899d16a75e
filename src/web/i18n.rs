//! Languages: Vietnamese by default, English on request. Every visible string lives in `locales/`.
//!
//! The language comes from `?lang=vi|en`, else from `Accept-Language`, else Vietnamese. Reporters carry no
//! cookie, so links and forms carry `?lang=en` forward (see [`Lang::query`]).

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, LanguageIdentifier, Loader};
use rocket::request::{FromRequest, Outcome, Request};
use rocket_dyn_templates::handlebars::{
    self, Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use rocket_dyn_templates::Engines;

static_loader! {
    pub static LOCALES = {
        locales: "./locales",
        fallback_language: "vi",
        // Fluent wraps placeables in Unicode isolation marks by default; they break copying a code from
        // the page and comparing text in tests.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Registers `{{fluent "key" arg=value}}` (language from the context's `lang`), `{{chart value}}`
/// (`charts.rs`) and strict mode.
pub fn register_helpers(engines: &mut Engines) {
    engines.handlebars.register_helper("fluent", Box::new(fluent_helper));
    engines
        .handlebars
        .register_helper("chart", Box::new(super::charts::chart_helper));
    engines.handlebars.set_strict_mode(true);
}

/// `{{fluent "key" name=value …}}`: the message in the page's language, HTML-escaped like every other
/// `{{…}}`, arguments included (a number, or text such as a name). The messages hold no markup, so
/// escaping the whole of it is safe, and an argument can never inject any.
fn fluent_helper(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    ctx: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let key = h
        .param(0)
        .and_then(|p| p.value().as_str())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex("fluent", 0))?;
    let lang = Lang::of_context(ctx);
    let args: HashMap<String, FluentValue<'static>> = h
        .hash()
        .iter()
        .map(|(name, value)| {
            let value = match value.value() {
                serde_json::Value::Number(n) => n
                    .as_f64()
                    .map_or_else(|| FluentValue::from(n.to_string()), FluentValue::from),
                serde_json::Value::String(s) => FluentValue::from(s.clone()),
                other => FluentValue::from(other.to_string()),
            };
            ((*name).to_owned(), value)
        })
        .collect();
    let text = if args.is_empty() {
        LOCALES.lookup(&lang.id(), key)
    } else {
        LOCALES.lookup_with_args(&lang.id(), key, &args)
    };
    out.write(&handlebars::html_escape(&text))?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    fn parse(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_', ';']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::Vi => fluent_templates::langid!("vi"),
            Lang::En => fluent_templates::langid!("en"),
        }
    }

    /// The query string that keeps this language on the next page: `""` for the default, `?lang=en` else.
    pub fn query(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "?lang=en",
        }
    }

    /// [`Lang::query`] for an address that has a query already: `""` for the default, `&lang=en` else.
    pub fn and_query(self) -> &'static str {
        match self {
            Lang::Vi => "",
            Lang::En => "&lang=en",
        }
    }

    /// The language of a request: `?lang=`, then `Accept-Language` in the order given, then Vietnamese.
    pub fn of(req: &Request<'_>) -> Self {
        if let Some(lang) = req
            .query_value::<&str>("lang")
            .and_then(|v| v.ok())
            .and_then(Lang::parse)
        {
            return lang;
        }
        req.headers()
            .get_one("Accept-Language")
            .and_then(|header| header.split(',').find_map(Lang::parse))
            .unwrap_or_default()
    }

    /// The language of the page a template renders (its context's `lang`).
    pub fn of_context(ctx: &Context) -> Self {
        ctx.data()
            .get("lang")
            .and_then(|l| l.as_str())
            .and_then(Lang::parse)
            .unwrap_or_default()
    }

    /// The message `key` in this language.
    pub fn tr(self, key: &str) -> String {
        LOCALES.lookup(&self.id(), key)
    }

    /// The message `key` with arguments.
    pub fn tr_with(self, key: &str, args: &[(&str, FluentValue<'static>)]) -> String {
        let args: HashMap<String, FluentValue<'static>> = args
            .iter()
            .map(|(name, value)| ((*name).to_owned(), value.clone()))
            .collect();
        LOCALES.lookup_with_args(&self.id(), key, &args)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Lang {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Lang::of(req))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn keys(text: &str) -> BTreeSet<&str> {
        text.lines()
            .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
            .filter_map(|line| line.split_once('=').map(|(key, _)| key.trim()))
            .collect()
    }

    #[test]
    fn no_message_is_defined_twice() {
        for text in [
            include_str!("../../locales/vi/main.ftl"),
            include_str!("../../locales/en/main.ftl"),
        ] {
            let all: Vec<&str> = text
                .lines()
                .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
                .filter_map(|line| line.split_once('=').map(|(key, _)| key.trim()))
                .collect();
            assert_eq!(all.len(), keys(text).len(), "a key is defined twice");
        }
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let vi = keys(include_str!("../../locales/vi/main.ftl"));
        let en = keys(include_str!("../../locales/en/main.ftl"));
        assert!(vi.len() > 100, "{} keys", vi.len());
        assert_eq!(
            vi.difference(&en).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "only in vi"
        );
        assert_eq!(
            en.difference(&vi).collect::<Vec<_>>(),
            Vec::<&&str>::new(),
            "only in en"
        );
    }

    #[test]
    fn every_role_every_public_commendation_state_and_every_retention_outcome_has_a_name() {
        use crate::domain::{commendation::State, staff::Role};
        let vi = keys(include_str!("../../locales/vi/main.ftl"));
        let roles = Role::ALL.map(Role::message_key);
        let states = State::ALL.map(State::neutral_message_key);
        let outcomes = crate::domain::retention::Outcome::ALL.map(|o| o.message_key());
        for key in roles.iter().chain(&states).chain(&outcomes) {
            assert!(vi.contains(key.as_str()), "{key} has no message");
        }
    }

    #[test]
    fn every_report_event_every_case_stage_and_every_staff_refusal_has_a_message() {
        use crate::domain::staff::StaffRefusal as R;
        use crate::domain::{EntryKind as K, Stage};
        let vi = keys(include_str!("../../locales/vi/main.ftl"));
        let en = keys(include_str!("../../locales/en/main.ftl"));
        // Matches without a wildcard: a new kind, stage or refusal does not compile until it is placed here.
        let shown = |kind: &K| match kind {
            K::Received | K::Assigned | K::Transition | K::Reassigned | K::Extension | K::Escalation => true,
            K::AttachmentAdded | K::AttachmentDownloaded => true,
            K::LegalHoldPlaced | K::LegalHoldLifted | K::Erased => true,
            K::CommendationOpened | K::CommendationProposed | K::CommendationDecided => true,
            K::CommendationClaimed | K::CommendationDeclined | K::CommendationPaid => true,
            // Messages are shown as messages; the others are about accounts and the organisation.
            K::Message | K::UserAdded | K::UserDisabled | K::PasswordReset | K::KeysRegranted => false,
            K::OrgImported | K::RuleSet | K::RuleRemoved | K::TeamSet | K::UnitSet => false,
        };
        let listed = |stage: &Stage| match stage {
            Stage::Triage | Stage::Notice | Stage::Resolution | Stage::Feedback => true,
            Stage::CommendationProposal | Stage::CommendationDecision => true,
            // The supervisor's report on an overdue case, computed by `minhbach deadline` only.
            Stage::EscalationReport => false,
        };
        let named = String::new;
        let refusals = [
            R::UsernameLength,
            R::UsernameCharacters,
            R::PasswordShort,
            R::PasswordLong,
            R::UnknownRole(named()),
            R::UnknownTeam(named()),
            R::UnknownUnit(named()),
            R::UserExists(named()),
            R::NoSuchUser(named()),
            R::DisableSelf,
            R::LastAdmin,
        ];
        for refusal in &refusals {
            match refusal {
                R::UsernameLength | R::UsernameCharacters | R::PasswordShort | R::PasswordLong => {}
                R::UnknownRole(_) | R::UnknownTeam(_) | R::UnknownUnit(_) => {}
                R::UserExists(_) | R::NoSuchUser(_) | R::DisableSelf | R::LastAdmin => {}
            }
        }
        let events = K::ALL.into_iter().filter(shown).map(K::message_key);
        let stages = Stage::ALL.into_iter().filter(listed).map(Stage::message_key);
        let all: Vec<String> = events
            .chain(stages)
            .chain(refusals.iter().map(|r| r.key().to_owned()))
            .collect();
        for key in &all {
            assert!(
                vi.contains(key.as_str()) && en.contains(key.as_str()),
                "{key} has no message"
            );
        }
    }

    #[test]
    fn the_fluent_helper_escapes_its_output_arguments_included() {
        let mut registry = super::Handlebars::new();
        registry.register_helper("fluent", Box::new(super::fluent_helper));
        let render = |data: serde_json::Value| {
            registry
                .render_template(r#"{{fluent "queue-page" page=p pages=n}}"#, &data)
                .expect("renders")
        };
        // A text argument cannot inject markup (issue #11, D7).
        let page = render(serde_json::json!({ "lang": "vi", "p": "<script>alert(1)</script>", "n": 2 }));
        assert!(!page.contains("<script>") && page.contains("&lt;script&gt;"), "{page}");
        // Positive control: numbers still render as the message says, in the page's language.
        let page = render(serde_json::json!({ "lang": "en", "p": 3, "n": 7 }));
        assert!(
            page.contains('3') && page.contains('7') && !page.contains("&lt;"),
            "{page}"
        );
    }
}
