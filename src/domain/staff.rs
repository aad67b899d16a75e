//! Staff accounts: roles, usernames and passwords, parsed once.

/// What a staff user may do (DESIGN.md, "Who uses it").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Manages users, teams, units and routing rules; never sees report content.
    Admin,
    /// Reassigns, grants extensions, sees the team's cases.
    Supervisor,
    /// Triages and investigates the cases assigned to them.
    Inspector,
    /// Decides commendations and records payments.
    Officer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Inspector, Role::Officer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Inspector => "inspector",
            Role::Officer => "officer",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The key of the role's name in the Fluent files.
    pub fn message_key(self) -> String {
        format!("role-{}", self.as_str())
    }
}

/// A username: 3 to 32 characters of lowercase ASCII letters, digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let name = input.trim();
        if !(3..=32).contains(&name.len()) {
            return Err("a username has 3 to 32 characters");
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err("a username uses lowercase letters, digits, '.', '_' and '-' only");
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shortest password accepted, in characters (OWASP ASVS 6.2.1 asks for at least 8; staff hold keys to
/// reports, so more).
pub const PASSWORD_MIN: usize = 12;

/// Checks a new password: at least [`PASSWORD_MIN`] characters, at most 256.
pub fn check_password(password: &str) -> Result<(), &'static str> {
    match password.chars().count() {
        n if n < PASSWORD_MIN => Err("a password has at least 12 characters"),
        n if n > 256 => Err("a password has at most 256 characters"),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_short_lowercase_words() {
        assert_eq!(
            Username::parse(" lan.nguyen ").map(|u| u.as_str().to_owned()),
            Ok("lan.nguyen".into())
        );
        for bad in ["ab", "Lan", "lan nguyen", "lân", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(check_password("mười một ký").is_err());
        assert!(check_password("mười hai ký!").is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
