//! `Password`: a new password that meets the minimum policy. Never printed by `Debug`.

use std::fmt;

pub const MIN_PASSWORD_LEN: usize = 12;
pub const MAX_PASSWORD_LEN: usize = 1024;

#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {MIN_PASSWORD_LEN} characters")]
    TooShort,
    #[error("use at most {MAX_PASSWORD_LEN} characters")]
    TooLong,
}

impl Password {
    pub fn new(input: &str) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if chars < MIN_PASSWORD_LEN {
            return Err(PasswordError::TooShort);
        }
        if chars > MAX_PASSWORD_LEN {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(input.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_and_hides_itself() {
        assert_eq!(Password::new("short"), Err(PasswordError::TooShort));
        assert_eq!(Password::new(&"x".repeat(1025)), Err(PasswordError::TooLong));
        let p = Password::new("correct horse battery").unwrap();
        assert_eq!(format!("{p:?}"), "Password(***)");
        assert_eq!(p.expose(), "correct horse battery");
    }
}
