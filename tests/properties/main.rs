//! Properties (SECURITY-TESTS.md row 17): generated cases, each property over at least 10 000 of them, with
//! proptest shrinking any failure to a minimal counterexample. Each property counts the cases it really
//! ran and prints the count; `the_checker_reports_a_false_property` shows the checker can fail.
//!
//! Row 24 (ciphertext length padding) is here too, as a sweep: every length of Vietnamese text up to the
//! fields' limits, sealed, falls in a handful of sizes.

use std::sync::atomic::{AtomicUsize, Ordering};

use minhbach::crypto::{self, ReportKey, RetrievalCode};
use minhbach::domain::policy::Policy;
use minhbach::domain::reward::{self, Claim, Scheme};
use minhbach::domain::{Stage, Status};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use time::{Date, Duration};

/// Cases per property.
const CASES: u32 = 10_000;

/// Runs `property` over `CASES` generated inputs and returns how many ran, or the minimal counterexample.
fn run<S: Strategy>(
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) -> Result<usize, TestError<S::Value>> {
    let ran = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config {
        cases: CASES,
        // Counterexamples are not written to a file beside the sources.
        failure_persistence: None,
        ..Config::default()
    });
    runner.run(&strategy, |value| {
        ran.fetch_add(1, Ordering::Relaxed);
        property(value)
    })?;
    Ok(ran.load(Ordering::Relaxed))
}

/// [`run`], then prints the figure and fails the test on a counterexample or too few cases.
fn check<S: Strategy>(name: &str, strategy: S, property: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S::Value: std::fmt::Debug,
{
    match run(strategy, property) {
        Ok(ran) => {
            println!("{name}: {ran} cases, 0 counterexamples");
            assert!(ran >= CASES as usize, "{name}: only {ran} cases ran");
        }
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn the_checker_reports_a_false_property() {
    // Positive control: "every amount doubles without changing" is false, and the checker says so, with
    // the smallest counterexample.
    let found = run(0i64..1_000_000, |n| {
        prop_assert_eq!(n * 2, n);
        Ok(())
    });
    match found {
        Err(TestError::Fail(_, n)) => assert_eq!(n, 1, "shrunk to the smallest counterexample"),
        other => panic!("a false property passed: {other:?}"),
    }
}

// --- crypto ------------------------------------------------------------------------------------------

/// 1 to 4 context parts of up to 12 characters, Vietnamese letters and separators included.
fn context() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-zđơư0-9:|_ ]{0,12}", 1..=4)
}

#[test]
fn an_envelope_opens_with_its_key_and_context_and_not_after_any_change() {
    let key = ReportKey::generate();
    let strategy = (
        prop::collection::vec(any::<u8>(), 0..4096),
        context(),
        context(),
        any::<prop::sample::Index>(),
        0u8..8,
    );
    check(
        "envelope: round trip, any bit flip, any other associated data",
        strategy,
        |(plain, ctx, other_ctx, at, bit)| {
            let parts: Vec<&str> = ctx.iter().map(String::as_str).collect();
            let sealed = crypto::seal(&key, &parts, &plain);
            let opened = crypto::open(&key, &parts, &sealed).map_err(|_| TestCaseError::fail("did not open"))?;
            prop_assert_eq!(opened.as_slice(), plain.as_slice());
            // Any one bit flipped anywhere (nonce, ciphertext, tag): refused.
            let mut flipped = sealed.clone();
            flipped[at.index(sealed.len())] ^= 1 << bit;
            prop_assert!(crypto::open(&key, &parts, &flipped).is_err(), "a flipped bit opened");
            // Other associated data (another field, report or holder, or the same parts split otherwise):
            // refused.
            if other_ctx != ctx {
                let other: Vec<&str> = other_ctx.iter().map(String::as_str).collect();
                prop_assert!(crypto::open(&key, &other, &sealed).is_err(), "opened under {:?}", other);
            }
            // The parts run together: refused (the associated data is not a plain concatenation).
            if parts.len() > 1 {
                let joined = parts.concat();
                prop_assert!(crypto::open(&key, &[joined.as_str()], &sealed).is_err());
            }
            Ok(())
        },
    );
}

#[test]
fn a_grant_opens_for_its_holder_and_report_only() {
    let strategy = ("[0-9a-f]{32}", "[0-9a-f]{32}", "[0-9a-f]{32}", "[0-9a-f]{32}");
    check(
        "HPKE grant: round trip; other report, holder or key refused",
        strategy,
        |(report, holder, other_report, other_holder)| {
            let (private, public) = crypto::generate_keypair();
            let key = ReportKey::generate();
            let grant = crypto::grant(&key, &public, &report, &holder).map_err(|_| TestCaseError::fail("grant"))?;
            let opened =
                crypto::open_grant(&grant, &private, &report, &holder).map_err(|_| TestCaseError::fail("open"))?;
            // The same key: what one seals, the other opens.
            let sealed = crypto::seal(&key, &[&report], b"probe");
            prop_assert!(
                crypto::open(&opened, &[&report], &sealed).is_ok(),
                "another key came out"
            );
            if other_report != report {
                prop_assert!(crypto::open_grant(&grant, &private, &other_report, &holder).is_err());
            }
            if other_holder != holder {
                prop_assert!(crypto::open_grant(&grant, &private, &report, &other_holder).is_err());
            }
            let (someone_else, _) = crypto::generate_keypair();
            prop_assert!(crypto::open_grant(&grant, &someone_else, &report, &holder).is_err());
            Ok(())
        },
    );
}

// --- retrieval codes -----------------------------------------------------------------------------------

const ALPHABET: &str = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A canonical code: 20 symbols of Crockford's alphabet.
fn canonical_code() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET.chars().collect::<Vec<_>>()), 20)
        .prop_map(|symbols| symbols.into_iter().collect())
}

/// One way a person may type `symbol`: either case, and O for 0, I or L for 1.
fn spelling_of(symbol: char, choice: u8) -> char {
    match (symbol, choice % 3) {
        ('0', 1) => 'O',
        ('0', 2) => 'o',
        ('1', 1) => ['I', 'L'][usize::from(choice / 3 % 2)],
        ('1', 2) => ['i', 'l'][usize::from(choice / 3 % 2)],
        (c, 1) => c.to_ascii_lowercase(),
        (c, _) => c,
    }
}

/// A spelling of `code`: each symbol spelled some way, separators (space, dash, tab, no-break space) any
/// number of times between symbols and around.
fn spell(code: &str, choices: &[u8], separators: &[u8]) -> String {
    let mut out = String::new();
    for (i, symbol) in code.chars().enumerate() {
        for _ in 0..separators[i] % 3 {
            out.push([' ', '-', '\t', '\u{a0}'][usize::from(separators[i] / 3 % 4)]);
        }
        out.push(spelling_of(symbol, choices[i]));
    }
    if separators[20] % 2 == 1 {
        out.push(' ');
    }
    out
}

#[test]
fn every_spelling_of_a_code_parses_to_it() {
    let strategy = (
        canonical_code(),
        prop::collection::vec(any::<u8>(), 20),
        prop::collection::vec(any::<u8>(), 21),
    );
    check(
        "codes: every spelling parses to the code",
        strategy,
        |(code, choices, separators)| {
            let typed = spell(&code, &choices, &separators);
            let parsed = RetrievalCode::parse(&typed).ok_or_else(|| TestCaseError::fail(format!("{typed:?}")))?;
            prop_assert_eq!(parsed.compact(), code.as_str());
            Ok(())
        },
    );
}

/// Characters that are neither a symbol, a look-alike, nor a separator: U (left out of the alphabet),
/// punctuation, Vietnamese letters, full-width digits, a zero-width space.
const FOREIGN: &[char] = &[
    'U', 'u', '#', '.', '_', '/', 'Đ', 'ơ', 'ă', 'Ố', '０', '１', '\u{200b}', '\n', '+',
];

#[test]
fn nothing_but_a_spelling_of_a_code_parses() {
    let strategy = (
        canonical_code(),
        prop::collection::vec(any::<u8>(), 20),
        prop::collection::vec(any::<u8>(), 21),
        prop::sample::select(FOREIGN),
        any::<prop::sample::Index>(),
        0u8..3,
    );
    check(
        "codes: a foreign character, a symbol missing or one too many: never parses",
        strategy,
        |(code, choices, separators, foreign, at, change)| {
            let typed: Vec<char> = spell(&code, &choices, &separators).chars().collect();
            let symbols: Vec<usize> = (0..typed.len()).filter(|&i| typed[i].is_ascii_alphanumeric()).collect();
            let mut changed = typed.clone();
            match change {
                0 => changed.insert(at.index(typed.len() + 1), foreign),
                1 => {
                    changed.remove(symbols[at.index(symbols.len())]);
                }
                _ => changed.insert(at.index(typed.len() + 1), 'Z'),
            }
            let changed: String = changed.into_iter().collect();
            prop_assert!(RetrievalCode::parse(&changed).is_none(), "{:?} parsed", changed);
            Ok(())
        },
    );
}

// --- lifecycle -----------------------------------------------------------------------------------------

/// The allowed graph, as DESIGN.md ("Lifecycle") draws it: written here independently of the code.
const ALLOWED: &[(&str, &str)] = &[
    ("received", "accepted"),
    ("received", "rejected"),
    ("received", "transferred"),
    ("received", "info_requested"),
    ("info_requested", "accepted"),
    ("info_requested", "rejected"),
    ("info_requested", "transferred"),
    ("accepted", "investigating"),
    ("investigating", "substantiated"),
    ("investigating", "partially_substantiated"),
    ("investigating", "unsubstantiated"),
    ("substantiated", "closed"),
    ("partially_substantiated", "closed"),
    ("unsubstantiated", "closed"),
    ("rejected", "closed"),
    ("transferred", "closed"),
];

#[test]
fn no_sequence_of_transitions_leaves_the_allowed_graph() {
    let strategy = prop::collection::vec(prop::sample::select(Status::ALL.to_vec()), 1..16);
    check(
        "lifecycle: every move of any sequence is an edge of the graph; every refusal is not",
        strategy,
        |wanted| {
            let mut at = Status::Received;
            for next in wanted {
                let edge = (at.as_str(), next.as_str());
                let allowed = ALLOWED.contains(&edge);
                prop_assert_eq!(at.can_become(next), allowed, "{:?}", edge);
                if allowed {
                    at = next;
                }
            }
            Ok(())
        },
    );
}

// --- deadlines -----------------------------------------------------------------------------------------

/// A day in 2025–2027, the years whose public holidays the presets hold.
fn day() -> impl Strategy<Value = Date> {
    let first = time::macros::date!(2025 - 01 - 01);
    (0i64..3 * 365).prop_map(move |n| first + Duration::days(n))
}

#[test]
fn a_later_start_never_gives_an_earlier_due_date() {
    let presets: Vec<Policy> = ["vn-2018", "eu-2019"]
        .iter()
        .map(|id| Policy::preset(id).expect("preset"))
        .collect();
    let strategy = (
        0..presets.len(),
        prop::sample::select(Stage::ALL.to_vec()),
        day(),
        day(),
        any::<u8>(),
    );
    let (stages_seen, with_extensions) = (AtomicUsize::new(0), AtomicUsize::new(0));
    check(
        "deadlines: a later start never gives an earlier due date (and due ≥ start)",
        strategy,
        |(preset, stage, a, b, pick)| {
            let policy = &presets[preset];
            let Ok(rule) = policy.stage(stage) else {
                return Ok(()); // this preset has no such stage
            };
            stages_seen.fetch_add(1, Ordering::Relaxed);
            // No extension, or one of the stage's kinds once.
            let kinds: Vec<&str> = rule.extensions.keys().map(String::as_str).collect();
            let extensions: Vec<&str> = match kinds.len() {
                0 => vec![],
                n => match usize::from(pick) % (n + 1) {
                    0 => vec![],
                    i => vec![kinds[i - 1]],
                },
            };
            with_extensions.fetch_add(usize::from(!extensions.is_empty()), Ordering::Relaxed);
            let (early, late) = if a <= b { (a, b) } else { (b, a) };
            let due = |start| policy.due(stage, start, &extensions);
            if let (Ok(d_early), Ok(d_late)) = (due(early), due(late)) {
                prop_assert!(
                    d_early <= d_late,
                    "{stage:?} {extensions:?}: {early} → {d_early}, {late} → {d_late}"
                );
                prop_assert!(d_early > early && d_late > late, "due after the start");
            }
            Ok(())
        },
    );
    let (seen, extended) = (stages_seen.into_inner(), with_extensions.into_inner());
    println!("  of which {seen} on a stage the preset defines, {extended} with an extension");
    assert!(
        seen > 5_000 && extended > 500,
        "the property reached the stages and their extensions"
    );
}

// --- rewards -------------------------------------------------------------------------------------------

#[test]
fn rewards_never_fall_as_the_amount_grows_and_stay_within_their_caps() {
    let schemes = [Scheme::VnTtlt012015, Scheme::KrAcrc, Scheme::UsSec, Scheme::IdPp432018];
    let forms = [
        None,
        Some("ministry_certificate"),
        Some("pm_certificate"),
        Some("order_of_bravery"),
    ];
    let on = time::macros::date!(2026 - 11 - 26);
    let base = reward::base_salary(on).expect("base salary");
    // Amounts over the whole range the parser takes, denser where the tiers and thresholds are.
    let amount = prop_oneof![0i64..10_000_000_000, 0i64..minhbach::domain::money::AMOUNT_MAX];
    let strategy = (0..schemes.len(), 0..forms.len(), any::<bool>(), amount.clone(), amount);
    check(
        "rewards: monotone in the amount, within each scheme's cap",
        strategy,
        |(s, f, bribe, a, b)| {
            let scheme = schemes[s];
            let (low, high) = if a <= b { (a, b) } else { (b, a) };
            let propose = |recovered| {
                let claim = Claim {
                    recovered,
                    form: forms[f].filter(|_| scheme == Scheme::VnTtlt012015),
                    bribe,
                };
                reward::propose(scheme, &claim, on).map_err(|e| TestCaseError::fail(e.to_string()))
            };
            let (p_low, p_high) = (propose(low)?, propose(high)?);
            prop_assert!(
                p_low.amount <= p_high.amount,
                "{scheme:?}: {low} → {}, {high} → {}",
                p_low.amount,
                p_high.amount
            );
            prop_assert!(p_high.amount >= 0);
            let cap = match scheme {
                Scheme::VnTtlt012015 => (60 * base).max(3_000 * base),
                Scheme::KrAcrc => 3_000_000_000,
                Scheme::UsSec => high / 100 * 30 + 30,
                Scheme::IdPp432018 if bribe => 10_000_000,
                Scheme::IdPp432018 => 200_000_000,
            };
            prop_assert!(p_high.amount <= cap, "{scheme:?}: {} over the cap {cap}", p_high.amount);
            if let (Some(min), Some(max)) = (p_high.min, p_high.max) {
                prop_assert!(min <= p_high.amount && p_high.amount <= max);
            }
            Ok(())
        },
    );
}

// --- row 24: padding -----------------------------------------------------------------------------------

#[test]
fn sealed_lengths_fall_in_few_buckets_for_every_length_of_vietnamese_text() {
    // Vietnamese text, 1 to 3 bytes a character in UTF-8 (precomposed, as browsers send it).
    let sample: Vec<char> = "Cán bộ địa chính xã nhận tiền để hợp thức hóa giấy tờ đất; ủy ban phường ký quyết định."
        .chars()
        .collect();
    let key = ReportKey::generate();
    for (field, limit) in [
        ("message", minhbach::domain::report::MESSAGE_MAX),
        ("narrative", minhbach::domain::report::NARRATIVE_MAX),
    ] {
        let mut sizes = std::collections::BTreeSet::new();
        let mut text = String::new();
        let (mut bytes, mut tried) = ((usize::MAX, 0), 0);
        for n in 1..=limit {
            text.push(sample[(n - 1) % sample.len()]);
            // Every length up to 4 096 characters, then every 16th and the limit (sealing every one of
            // 20 000 lengths takes minutes in a debug build, for the same buckets).
            if n > 4096 && n % 16 != 0 && n != limit {
                continue;
            }
            tried += 1;
            bytes = (bytes.0.min(text.len()), bytes.1.max(text.len()));
            sizes.insert(crypto::seal(&key, &["r", field], text.as_bytes()).len());
        }
        println!(
            "row 24: {tried} {field}s of 1..={limit} Vietnamese characters ({}..={} bytes): sealed lengths in {} \
             buckets {:?}",
            bytes.0,
            bytes.1,
            sizes.len(),
            sizes
        );
        // Powers of two from 64 bytes: log2 of the largest padded size, less 5.
        let bound = (usize::BITS - (bytes.1 + 4).leading_zeros()) as usize - 5;
        assert!(sizes.len() <= bound, "{} sizes, more than {bound}", sizes.len());
    }
}
