//! Reward schemes: what a substantiated report's reporter is proposed, in integer arithmetic in the scheme's
//! currency unit (đồng, won, dollars, rupiah). Sources: POLICY-REFERENCE.md ("Reward schemes").

use serde::Serialize;
use time::{macros::date, Date};

/// Vietnam's base salary (mức lương cơ sở) by the date it took effect, VND per month. A decision uses the
/// rate in force on its date.
const BASE_SALARY_VND: [(Date, i64); 3] = [
    (date!(2019 - 07 - 01), 1_490_000), // Decree 38/2019/NĐ-CP
    (date!(2023 - 07 - 01), 1_800_000), // Decree 24/2023/NĐ-CP
    (date!(2024 - 07 - 01), 2_340_000), // Decree 73/2024/NĐ-CP [V]
];

/// The base salary in force on `on`, if any rate was yet.
pub fn base_salary(on: Date) -> Option<i64> {
    BASE_SALARY_VND
        .iter()
        .rev()
        .find(|(from, _)| *from <= on)
        .map(|(_, amount)| *amount)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scheme {
    /// Joint Circular 01/2015/TTLT-TTCP-BNV (Vietnam), the default.
    VnTtlt012015,
    /// Korea's Anti-Corruption and Civil Rights Commission: marginal tiers of the recovered amount.
    KrAcrc,
    /// US SEC whistleblower awards, 17 CFR 240.21F: 10–30 % of sanctions above USD 1 000 000.
    UsSec,
    /// Indonesia PP 43/2018 Art. 17: 2 ‰ of recovered state losses, or of the bribe.
    IdPp432018,
}

static ACTIVE: std::sync::OnceLock<Scheme> = std::sync::OnceLock::new();

impl Scheme {
    /// Makes `scheme` the one this process uses (once; the same one again is accepted).
    pub fn install(scheme: Scheme) -> Result<(), String> {
        match *ACTIVE.get_or_init(|| scheme) {
            installed if installed == scheme => Ok(()),
            installed => Err(format!("this process already runs reward scheme {}", installed.id())),
        }
    }

    /// The deployment's scheme: the installed one, else `vn_ttlt_01_2015`.
    pub fn active() -> Scheme {
        ACTIVE.get().copied().unwrap_or(Scheme::VnTtlt012015)
    }

    /// The currency unit of the scheme's amounts.
    pub fn currency(self) -> &'static str {
        match self {
            Scheme::VnTtlt012015 => "VND",
            Scheme::KrAcrc => "KRW",
            Scheme::UsSec => "USD",
            Scheme::IdPp432018 => "IDR",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        match id {
            "vn_ttlt_01_2015" => Some(Scheme::VnTtlt012015),
            "kr_acrc" => Some(Scheme::KrAcrc),
            "us_sec" => Some(Scheme::UsSec),
            "id_pp43_2018" => Some(Scheme::IdPp432018),
            _ => None,
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Scheme::VnTtlt012015 => "vn_ttlt_01_2015",
            Scheme::KrAcrc => "kr_acrc",
            Scheme::UsSec => "us_sec",
            Scheme::IdPp432018 => "id_pp43_2018",
        }
    }
}

/// Commendation forms of Joint Circular 01/2015 and their fixed money, in multiples of the base salary.
pub const VN_FORMS: [(&str, i64); 3] = [
    ("order_of_bravery", 60),
    ("pm_certificate", 40),
    ("ministry_certificate", 20),
];

/// What the scheme proposes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub scheme: &'static str,
    /// The proposed amount, in the scheme's currency unit.
    pub amount: i64,
    /// Bounds, where the scheme gives a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub form: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_salary: Option<i64>,
    pub currency: &'static str,
    /// How the amount was reached, for the officer and the ledger.
    pub rule: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardError {
    #[error("unknown scheme {0:?} (known: vn_ttlt_01_2015, kr_acrc, us_sec, id_pp43_2018)")]
    UnknownScheme(String),
    #[error("unknown commendation form {0:?} (known: order_of_bravery, pm_certificate, ministry_certificate)")]
    UnknownForm(String),
    #[error("the recovered amount must be zero or more")]
    Negative,
    #[error("no base salary is known for {0}")]
    NoBaseSalary(Date),
}

/// The input of a proposal.
#[derive(Debug, Clone, Default)]
pub struct Claim<'a> {
    /// Recovered amount (or sanctions collected, for `us_sec`), in the scheme's currency unit.
    pub recovered: i64,
    pub form: Option<&'a str>,
    /// For `id_pp43_2018`: the amount is a bribe rather than a recovered state loss.
    pub bribe: bool,
}

/// `amount × numerator / denominator` without overflow, rounded down.
fn portion(amount: i64, numerator: i64, denominator: i64) -> i64 {
    (i128::from(amount) * i128::from(numerator) / i128::from(denominator)) as i64
}

pub fn propose(scheme: Scheme, claim: &Claim<'_>, on: Date) -> Result<Proposal, RewardError> {
    if claim.recovered < 0 {
        return Err(RewardError::Negative);
    }
    Ok(match scheme {
        Scheme::VnTtlt012015 => vn_ttlt_01_2015(claim, on)?,
        Scheme::KrAcrc => kr_acrc(claim.recovered),
        Scheme::UsSec => us_sec(claim.recovered),
        Scheme::IdPp432018 => id_pp43_2018(claim),
    })
}

/// A proposal of one amount, with no range, form or base salary.
fn plain(scheme: Scheme, amount: i64, rule: String, currency: &'static str) -> Proposal {
    Proposal {
        scheme: scheme.id(),
        amount,
        min: None,
        max: None,
        form: None,
        base_salary: None,
        currency,
        rule,
    }
}

fn vn_ttlt_01_2015(claim: &Claim<'_>, on: Date) -> Result<Proposal, RewardError> {
    let r = claim.recovered;
    let base = base_salary(on).ok_or(RewardError::NoBaseSalary(on))?;
    let multiple = match claim.form {
        None => 0,
        Some(form) => VN_FORMS
            .iter()
            .find(|(name, _)| *name == form)
            .map(|(_, m)| *m)
            .ok_or_else(|| RewardError::UnknownForm(form.into()))?,
    };
    let fixed = multiple * base;
    // Above 600 × base salary recovered: up to 10 % of it, at most 3 000 × base salary, and never less
    // than the form's fixed amount.
    let (amount, rule) = if r > 600 * base {
        let share = portion(r, 10, 100).min(3_000 * base);
        (
            fixed.max(share),
            format!("max({multiple} × {base}, min(10 % × {r}, 3000 × {base}))"),
        )
    } else {
        (fixed, format!("{multiple} × {base} (recovered ≤ 600 × base salary)"))
    };
    Ok(Proposal {
        form: claim.form.map(str::to_owned),
        base_salary: Some(base),
        ..plain(Scheme::VnTtlt012015, amount, rule, "VND")
    })
}

fn kr_acrc(r: i64) -> Proposal {
    // Marginal tiers (KRW): 30 % to 100 M, 20 % to 500 M, 14 % to 2 bn, 8 % to 4 bn, 4 % above; cap 3 bn.
    const TIERS: [(i64, i64); 5] = [
        (100_000_000, 30),
        (500_000_000, 20),
        (2_000_000_000, 14),
        (4_000_000_000, 8),
        (i64::MAX, 4),
    ];
    let mut below = 0;
    let mut hundredths: i128 = 0;
    for (upper, percent) in TIERS {
        if r > below {
            hundredths += i128::from(r.min(upper) - below) * i128::from(percent);
        }
        below = upper;
    }
    let amount = ((hundredths / 100) as i64).min(3_000_000_000);
    plain(
        Scheme::KrAcrc,
        amount,
        "30/20/14/8/4 % marginal tiers, cap 3 000 000 000".into(),
        "KRW",
    )
}

fn us_sec(r: i64) -> Proposal {
    // Only when monetary sanctions exceed USD 1 000 000; the award is 10 % to 30 % of them.
    let (min, max, rule) = if r > 1_000_000 {
        (
            portion(r, 10, 100),
            portion(r, 30, 100),
            "10 % to 30 % of sanctions > 1 000 000",
        )
    } else {
        (0, 0, "sanctions ≤ 1 000 000: no award")
    };
    Proposal {
        min: Some(min),
        max: Some(max),
        ..plain(Scheme::UsSec, min, rule.into(), "USD")
    }
}

fn id_pp43_2018(claim: &Claim<'_>) -> Proposal {
    let (cap, what) = if claim.bribe {
        (10_000_000, "bribe")
    } else {
        (200_000_000, "recovered losses")
    };
    let amount = portion(claim.recovered, 2, 1000).min(cap);
    plain(Scheme::IdPp432018, amount, format!("2 ‰ of {what}, cap {cap}"), "IDR")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ON: Date = date!(2026 - 11 - 26);
    const BASE: i64 = 2_340_000;

    fn vn(recovered: i64, form: Option<&str>) -> i64 {
        propose(
            Scheme::VnTtlt012015,
            &Claim {
                recovered,
                form,
                bribe: false,
            },
            ON,
        )
        .expect("proposal")
        .amount
    }

    #[test]
    fn the_base_salary_in_force_on_the_decision_date() {
        assert_eq!(base_salary(date!(2024 - 06 - 30)), Some(1_800_000));
        assert_eq!(base_salary(date!(2024 - 07 - 01)), Some(2_340_000));
        assert_eq!(base_salary(date!(2010 - 01 - 01)), None);
    }

    #[test]
    fn vn_fixed_forms_and_the_600_times_threshold() {
        assert_eq!(vn(0, Some("order_of_bravery")), 60 * BASE);
        assert_eq!(vn(0, Some("pm_certificate")), 40 * BASE);
        assert_eq!(vn(0, Some("ministry_certificate")), 20 * BASE);
        // 599× and 600× base salary: not above the threshold, the fixed amount only.
        assert_eq!(vn(599 * BASE, Some("ministry_certificate")), 20 * BASE);
        assert_eq!(vn(600 * BASE, Some("ministry_certificate")), 20 * BASE);
        // 601×: 10 % of it (60.1× base salary) beats the certificate's 20×.
        assert_eq!(vn(601 * BASE, Some("ministry_certificate")), 601 * BASE / 10);
        assert_eq!(vn(601 * BASE, Some("ministry_certificate")), 140_634_000);
        // …but not the Order of Bravery's 60×… until 10 % passes it.
        assert_eq!(vn(601 * BASE, Some("order_of_bravery")), 601 * BASE / 10);
        assert_eq!(vn(601 * BASE, Some("pm_certificate")), 601 * BASE / 10);
        assert_eq!(vn(601 * BASE, None), 601 * BASE / 10);
    }

    #[test]
    fn vn_is_capped_at_3000_times_the_base_salary() {
        assert_eq!(vn(30_000 * BASE, None), 3_000 * BASE);
        assert_eq!(vn(30_010 * BASE, None), 3_000 * BASE);
        assert_eq!(vn(29_990 * BASE, None), 2_999 * BASE);
        assert_eq!(vn(i64::MAX / 2, Some("order_of_bravery")), 3_000 * BASE);
    }

    #[test]
    fn vn_refuses_an_unknown_form_and_a_negative_amount() {
        let claim = Claim {
            recovered: 1,
            form: Some("medal"),
            bribe: false,
        };
        assert_eq!(
            propose(Scheme::VnTtlt012015, &claim, ON),
            Err(RewardError::UnknownForm("medal".into()))
        );
        let claim = Claim {
            recovered: -1,
            ..Claim::default()
        };
        assert_eq!(propose(Scheme::KrAcrc, &claim, ON), Err(RewardError::Negative));
    }

    fn kr(recovered: i64) -> i64 {
        propose(
            Scheme::KrAcrc,
            &Claim {
                recovered,
                ..Claim::default()
            },
            ON,
        )
        .expect("proposal")
        .amount
    }

    #[test]
    fn kr_marginal_tiers_at_every_breakpoint_and_the_cap() {
        assert_eq!(kr(0), 0);
        assert_eq!(kr(100_000_000), 30_000_000);
        assert_eq!(kr(100_000_001), 30_000_000);
        assert_eq!(kr(500_000_000), 30_000_000 + 80_000_000);
        assert_eq!(kr(2_000_000_000), 110_000_000 + 210_000_000);
        assert_eq!(kr(4_000_000_000), 320_000_000 + 160_000_000);
        assert_eq!(kr(5_000_000_000), 480_000_000 + 40_000_000);
        // 3 bn is reached at 4 bn + (3 000 − 480) M / 4 % = 67 bn.
        assert_eq!(kr(67_000_000_000), 3_000_000_000);
        assert_eq!(kr(66_999_999_900), 2_999_999_996);
        assert_eq!(kr(100_000_000_000), 3_000_000_000);
    }

    fn us(recovered: i64) -> Proposal {
        propose(
            Scheme::UsSec,
            &Claim {
                recovered,
                ..Claim::default()
            },
            ON,
        )
        .expect("proposal")
    }

    #[test]
    fn us_sec_pays_a_range_only_above_one_million() {
        assert_eq!(
            (us(1_000_000).min, us(1_000_000).max, us(1_000_000).amount),
            (Some(0), Some(0), 0)
        );
        let above = us(1_000_001);
        assert_eq!(
            (above.min, above.max, above.amount),
            (Some(100_000), Some(300_000), 100_000)
        );
        assert_eq!(
            (us(10_000_000).min, us(10_000_000).max),
            (Some(1_000_000), Some(3_000_000))
        );
    }

    #[test]
    fn id_pays_two_per_mille_with_its_two_caps() {
        let id = |recovered, bribe| {
            propose(
                Scheme::IdPp432018,
                &Claim {
                    recovered,
                    form: None,
                    bribe,
                },
                ON,
            )
            .unwrap()
            .amount
        };
        assert_eq!(id(1_000_000_000, false), 2_000_000);
        assert_eq!(id(100_000_000_000, false), 200_000_000);
        assert_eq!(id(100_000_000_001, false), 200_000_000);
        assert_eq!(id(99_999_999_999, false), 199_999_999);
        assert_eq!(id(5_000_000_000, true), 10_000_000);
        assert_eq!(id(4_999_999_999, true), 9_999_999);
        assert_eq!(id(6_000_000_000, true), 10_000_000);
    }
}
