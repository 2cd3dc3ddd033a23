//! Sign-in rules: the minimum password policy and the lockout after repeated failures.
//! Pure: callers pass the time in (milliseconds since the epoch).

/// Why a password is refused. The messages are shown to users as they are (Chinese).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("密码长度不能少于{min}个字符")]
    TooShort { min: usize },
    #[error("密码至少要包含小写字母、大写字母、数字、特殊符号中的三类")]
    TooFewClasses,
    #[error("密码不能包含空白字符或控制字符")]
    BadCharacter,
    #[error("密码不能与用户名相同或包含用户名")]
    ContainsUsername,
}

/// The minimum length of a password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters, at least three of
/// the four classes (lower case, upper case, digit, symbol), no whitespace or control
/// characters, and not containing the user name.
pub fn check_password(password: &str, username: &str) -> Result<(), PasswordPolicyError> {
    if password
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(PasswordPolicyError::BadCharacter);
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordPolicyError::TooShort {
            min: MIN_PASSWORD_CHARS,
        });
    }
    let has = |f: fn(&char) -> bool| password.chars().any(|c| f(&c));
    let classes = [
        has(|c| c.is_lowercase()),
        has(|c| c.is_uppercase()),
        has(|c| c.is_ascii_digit()),
        has(|c| !c.is_alphanumeric()),
    ]
    .into_iter()
    .filter(|b| *b)
    .count();
    if classes < 3 {
        return Err(PasswordPolicyError::TooFewClasses);
    }
    let user = username.trim().to_lowercase();
    if user.chars().count() >= 3 && password.to_lowercase().contains(&user) {
        return Err(PasswordPolicyError::ContainsUsername);
    }
    Ok(())
}

/// A user name: 2–32 characters, letters (Chinese included), digits, `.`, `_`, `-`;
/// Latin letters are folded to lower case, so `ZhangWei` and `zhangwei` are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Username(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("用户名长度应为2到32个字符")]
    Length,
    #[error("用户名只能包含字母、汉字、数字以及 . _ - 符号")]
    BadCharacter,
}

impl Username {
    pub fn parse(s: &str) -> Result<Self, UsernameError> {
        let s = s.trim().to_lowercase();
        if !(2..=32).contains(&s.chars().count()) {
            return Err(UsernameError::Length);
        }
        if !s.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) {
            return Err(UsernameError::BadCharacter);
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How many consecutive failures lock a user name, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub lock_ms: i64,
}

/// The failure counter of one user name (kept for unknown names too, so that the answers
/// never reveal whether an account exists).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureCounter {
    /// Consecutive failures since the last success or the last lock.
    pub failures: u32,
    pub locked_until_ms: Option<i64>,
}

impl FailureCounter {
    pub fn is_locked(&self, now_ms: i64) -> bool {
        self.locked_until_ms.is_some_and(|until| now_ms < until)
    }

    /// The counter after one more failure. Reaching the limit locks the name and starts
    /// counting again from zero once the lock has expired. Failures while locked change
    /// nothing (the lock is not extended).
    pub fn after_failure(self, policy: LockoutPolicy, now_ms: i64) -> FailureCounter {
        if self.is_locked(now_ms) {
            return self;
        }
        let failures = self.failures + 1;
        if failures >= policy.max_failures {
            FailureCounter {
                failures: 0,
                locked_until_ms: Some(now_ms + policy.lock_ms),
            }
        } else {
            FailureCounter {
                failures,
                locked_until_ms: None,
            }
        }
    }
}

/// What an API token may be used for. No scope covers administration (accounts, security,
/// tokens): that needs a signed-in session that passed the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TokenScope {
    /// Reading: every GET/HEAD.
    Read,
    /// Uploading recordings (tus).
    Upload,
    /// Other changes: cases, requests, decisions, labels, reviews.
    Write,
}

impl TokenScope {
    pub const ALL: [TokenScope; 3] = [Self::Read, Self::Upload, Self::Write];

    pub fn code(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Upload => "upload",
            Self::Write => "write",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Read => "查询",
            Self::Upload => "上传",
            Self::Write => "修改",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Parses a stored comma-separated list; unknown codes are dropped (never widen).
    pub fn parse_list(codes: &str) -> Vec<Self> {
        let mut out: Vec<Self> = codes
            .split(',')
            .filter_map(|c| Self::parse(c.trim()))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    pub fn join(scopes: &[Self]) -> String {
        scopes
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PasswordPolicyError::*;

    #[test]
    fn token_scopes_round_trip_and_never_widen() {
        use TokenScope::*;
        assert_eq!(TokenScope::parse_list("write,read,read"), vec![Read, Write]);
        assert_eq!(TokenScope::parse_list("admin,upload"), vec![Upload]);
        assert_eq!(TokenScope::parse_list(""), vec![]);
        assert_eq!(TokenScope::join(&[Read, Upload]), "read,upload");
    }

    #[test]
    fn password_policy_table() {
        let cases: &[(&str, Result<(), PasswordPolicyError>)] = &[
            ("Abcdefg12!", Ok(())),
            ("abcdefgh12", Err(TooFewClasses)),
            ("abcdefgh1!", Ok(())),
            ("ABCDEFGH1!", Ok(())),
            ("abcdefghiJ", Err(TooFewClasses)),
            ("Abc12!", Err(TooShort { min: 10 })),
            ("执法记录仪密码Ab1", Ok(())),
            ("Abcdefg 12!", Err(BadCharacter)),
            ("zhangwei12!X", Err(ContainsUsername)),
            ("", Err(TooShort { min: 10 })),
        ];
        for (pw, expected) in cases {
            assert_eq!(check_password(pw, "ZhangWei"), *expected, "{pw:?}");
        }
        assert_eq!(
            TooFewClasses.to_string(),
            "密码至少要包含小写字母、大写字母、数字、特殊符号中的三类"
        );
        assert_eq!(TooShort { min: 10 }.to_string(), "密码长度不能少于10个字符");
    }

    #[test]
    fn username_table() {
        let cases: &[(&str, Result<&str, UsernameError>)] = &[
            ("zhangwei", Ok("zhangwei")),
            (" ZhangWei ", Ok("zhangwei")),
            ("张伟", Ok("张伟")),
            ("li.na-01_a", Ok("li.na-01_a")),
            ("a", Err(UsernameError::Length)),
            ("zhang wei", Err(UsernameError::BadCharacter)),
            ("admin'--", Err(UsernameError::BadCharacter)),
            (
                "abcdefghijabcdefghijabcdefghijabc",
                Err(UsernameError::Length),
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(
                Username::parse(input).as_ref().map(Username::as_str),
                expected.as_ref().map(|s| *s),
                "{input:?}"
            );
        }
    }

    #[test]
    fn lockout_table() {
        let p = LockoutPolicy {
            max_failures: 5,
            lock_ms: 600_000,
        };
        let mut c = FailureCounter::default();
        for i in 1..5 {
            c = c.after_failure(p, 1_000);
            assert_eq!(c.failures, i);
            assert!(!c.is_locked(1_000));
        }
        c = c.after_failure(p, 2_000);
        assert!(c.is_locked(2_000));
        assert!(c.is_locked(601_999));
        assert!(!c.is_locked(602_000));
        // Failures while locked do not extend the lock.
        assert_eq!(c.after_failure(p, 300_000), c);
        // After the lock, counting starts again.
        let after = c.after_failure(p, 700_000);
        assert_eq!(
            after,
            FailureCounter {
                failures: 1,
                locked_until_ms: None
            }
        );
    }
}
