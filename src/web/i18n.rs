//! Languages: Vietnamese by default, English on request. Every visible string lives in `locales/`.
//!
//! The language comes from `?lang=vi|en`, else from `Accept-Language`, else Vietnamese. Reporters carry no
//! cookie, so links and forms carry `?lang=en` forward (see [`Lang::query`]).

use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{static_loader, FluentLoader, LanguageIdentifier, Loader};
use rocket::request::{FromRequest, Outcome, Request};
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

/// Registers `{{fluent "key" arg=value}}` (language from the context's `lang`) and strict mode.
pub fn register_helpers(engines: &mut Engines) {
    engines
        .handlebars
        .register_helper("fluent", Box::new(FluentLoader::new(&*LOCALES)));
    engines.handlebars.set_strict_mode(true);
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
    fn every_role_and_every_public_commendation_state_has_a_name() {
        use crate::domain::{commendation::State, staff::Role};
        let vi = keys(include_str!("../../locales/vi/main.ftl"));
        let roles = Role::ALL.map(Role::message_key);
        let states = State::ALL.map(State::neutral_message_key);
        for key in roles.iter().chain(&states) {
            assert!(vi.contains(key.as_str()), "{key} has no message");
        }
    }

    #[test]
    fn every_report_event_every_case_stage_and_every_staff_refusal_has_a_message() {
        use crate::domain::staff::StaffRefusal;
        use crate::domain::{EntryKind, Stage};
        let vi = keys(include_str!("../../locales/vi/main.ftl"));
        // The kinds a report's history shows: messages are shown as messages, and the kinds after the
        // commendation's are about accounts and the organisation.
        let events = EntryKind::ALL[..13]
            .iter()
            .filter(|k| **k != EntryKind::Message)
            .map(|k| k.message_key());
        // The stages a case's deadlines list (the escalation report is the supervisor's, not a case clock).
        let stages = Stage::ALL[..6].iter().map(|s| s.message_key());
        let refusals = [
            StaffRefusal::UsernameLength,
            StaffRefusal::UsernameCharacters,
            StaffRefusal::PasswordShort,
            StaffRefusal::PasswordLong,
            StaffRefusal::UnknownRole(String::new()),
            StaffRefusal::UnknownTeam(String::new()),
            StaffRefusal::UnknownUnit(String::new()),
            StaffRefusal::UserExists(String::new()),
            StaffRefusal::NoSuchUser(String::new()),
            StaffRefusal::DisableSelf,
            StaffRefusal::LastAdmin,
        ]
        .map(|r| r.key().to_owned());
        let all: Vec<String> = events.chain(stages).chain(refusals).collect();
        assert_eq!(all.len(), 12 + 6 + 11);
        for key in &all {
            assert!(vi.contains(key.as_str()), "{key} has no message");
        }
    }
}
