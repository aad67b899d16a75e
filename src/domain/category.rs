//! Report categories: the twelve corrupt acts of the Law on Anti-Corruption 36/2018/QH14, Art. 2(1), plus
//! "other" for what a reporter cannot place. Their names live in `locales/` under `category-<id>`.

/// A category of corrupt act. The `id` is stable: it is stored with every report and used in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Art. 2(1)(a): embezzlement of property (tham ô tài sản).
    Embezzlement,
    /// Art. 2(1)(b): taking bribes (nhận hối lộ).
    BribeTaking,
    /// Art. 2(1)(c): abuse of position or power to appropriate property.
    AppropriationByAbuse,
    /// Art. 2(1)(d): taking advantage of position or power while performing duties for personal gain.
    MisuseOfPosition,
    /// Art. 2(1)(đ): abuse of power while performing duties for personal gain.
    AbuseOfPower,
    /// Art. 2(1)(e): taking advantage of position or power to influence others for personal gain.
    InfluencePeddling,
    /// Art. 2(1)(g): forgery in work for personal gain.
    Forgery,
    /// Art. 2(1)(h): offering or brokering bribes to get matters of an agency or locality settled.
    BribeGiving,
    /// Art. 2(1)(i): taking advantage of position or power to use public property illegally.
    MisuseOfPublicProperty,
    /// Art. 2(1)(k): harassment for personal gain (nhũng nhiễu).
    Harassment,
    /// Art. 2(1)(l): failing to perform, or performing improperly or incompletely, duties for personal gain.
    Dereliction,
    /// Art. 2(1)(m): shielding violators, or obstructing supervision, inspection, audit, investigation,
    /// prosecution, trial or enforcement, for personal gain.
    ShieldingOrObstruction,
    /// Anything the reporter cannot place in the twelve.
    Other,
}

impl Category {
    pub const ALL: [Category; 13] = [
        Category::Embezzlement,
        Category::BribeTaking,
        Category::AppropriationByAbuse,
        Category::MisuseOfPosition,
        Category::AbuseOfPower,
        Category::InfluencePeddling,
        Category::Forgery,
        Category::BribeGiving,
        Category::MisuseOfPublicProperty,
        Category::Harassment,
        Category::Dereliction,
        Category::ShieldingOrObstruction,
        Category::Other,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Category::Embezzlement => "embezzlement",
            Category::BribeTaking => "bribe-taking",
            Category::AppropriationByAbuse => "appropriation-by-abuse",
            Category::MisuseOfPosition => "misuse-of-position",
            Category::AbuseOfPower => "abuse-of-power",
            Category::InfluencePeddling => "influence-peddling",
            Category::Forgery => "forgery",
            Category::BribeGiving => "bribe-giving",
            Category::MisuseOfPublicProperty => "misuse-of-public-property",
            Category::Harassment => "harassment",
            Category::Dereliction => "dereliction",
            Category::ShieldingOrObstruction => "shielding-or-obstruction",
            Category::Other => "other",
        }
    }

    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.id() == id)
    }

    /// The key of the category's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("category-{}", self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_round_trips_through_its_id() {
        for category in Category::ALL {
            assert_eq!(Category::parse(category.id()), Some(category));
        }
        assert_eq!(Category::parse("bribery"), None);
    }

    #[test]
    fn the_law_lists_twelve_acts_plus_other() {
        assert_eq!(Category::ALL.len(), 13);
        assert_eq!(Category::ALL.iter().filter(|c| **c != Category::Other).count(), 12);
    }
}
