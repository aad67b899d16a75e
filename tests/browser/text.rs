//! What the pages say, read from the Fluent files the server renders them with, so that a journey checks
//! the words a person reads in each language without a second copy of them here.

use std::collections::HashMap;
use std::sync::OnceLock;

fn messages(lang: &str) -> &'static HashMap<String, String> {
    static VI: OnceLock<HashMap<String, String>> = OnceLock::new();
    static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
    let cell = if lang == "en" { &EN } else { &VI };
    cell.get_or_init(|| {
        let path = format!("{}/locales/{lang}/main.ftl", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect()
    })
}

/// The message `key` in `lang` ("vi" or "en"), up to its first placeholder, as a page shows it.
pub fn tr(lang: &str, key: &str) -> String {
    let message = messages(lang)
        .get(key)
        .unwrap_or_else(|| panic!("no message {key} in locales/{lang}"));
    // A placeable's value is the page's; compare the text before the first one.
    message.split('{').next().unwrap_or_default().trim().to_owned()
}
