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

/// Why an account could not be added, changed or disabled. Said in words on the command line (`Display`)
/// and by its message key on the admin's page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffRefusal {
    #[error("a username has 3 to 32 characters")]
    UsernameLength,
    #[error("a username uses lowercase letters, digits, '.', '_' and '-' only")]
    UsernameCharacters,
    #[error("a password has at least 12 characters")]
    PasswordShort,
    #[error("a password has at most 256 characters")]
    PasswordLong,
    #[error("unknown role {0:?} (admin, supervisor, inspector, officer)")]
    UnknownRole(String),
    #[error("unknown team {0:?}")]
    UnknownTeam(String),
    #[error("unknown unit {0:?}")]
    UnknownUnit(String),
    #[error("a user named {0:?} already exists")]
    UserExists(String),
    #[error("no user named {0:?}")]
    NoSuchUser(String),
    #[error("an admin cannot disable their own account")]
    DisableSelf,
    #[error("the last active admin cannot be disabled")]
    LastAdmin,
}

impl StaffRefusal {
    /// The key of the refusal in the Fluent files; the name it carries is the one the admin just typed.
    pub fn key(&self) -> &'static str {
        match self {
            StaffRefusal::UsernameLength => "error-username-length",
            StaffRefusal::UsernameCharacters => "error-username-characters",
            StaffRefusal::PasswordShort => "error-password-short",
            StaffRefusal::PasswordLong => "error-password-long",
            StaffRefusal::UnknownRole(_) => "error-unknown-role",
            StaffRefusal::UnknownTeam(_) => "error-unknown-team",
            StaffRefusal::UnknownUnit(_) => "error-unknown-unit",
            StaffRefusal::UserExists(_) => "error-user-exists",
            StaffRefusal::NoSuchUser(_) => "error-no-such-user",
            StaffRefusal::DisableSelf => "error-disable-self",
            StaffRefusal::LastAdmin => "error-last-admin",
        }
    }
}

/// A username: 3 to 32 characters of lowercase ASCII letters, digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(input: &str) -> Result<Self, StaffRefusal> {
        let name = input.trim();
        if !(3..=32).contains(&name.len()) {
            return Err(StaffRefusal::UsernameLength);
        }
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(StaffRefusal::UsernameCharacters);
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
pub fn check_password(password: &str) -> Result<(), StaffRefusal> {
    match password.chars().count() {
        n if n < PASSWORD_MIN => Err(StaffRefusal::PasswordShort),
        n if n > 256 => Err(StaffRefusal::PasswordLong),
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
        for bad in ["ab", &"a".repeat(33)] {
            assert_eq!(Username::parse(bad), Err(StaffRefusal::UsernameLength), "{bad}");
        }
        for bad in ["Lan", "lan nguyen", "lân"] {
            assert_eq!(Username::parse(bad), Err(StaffRefusal::UsernameCharacters), "{bad}");
        }
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert_eq!(check_password("mười một ký"), Err(StaffRefusal::PasswordShort));
        assert_eq!(check_password(&"a".repeat(257)), Err(StaffRefusal::PasswordLong));
        assert!(check_password("mười hai ký!").is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
