//! argon2id hashing, always on the blocking pool: a hash takes tens of milliseconds of CPU and
//! must not stall the async workers serving other requests.
use super::ServiceError;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

/// A password as typed; never printed, never logged.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Minimum length for every password this app sets.
pub const MIN_LENGTH: usize = 10;

pub fn check_strength(secret: &Secret) -> Result<(), String> {
    let length = secret.0.chars().count();
    if length < MIN_LENGTH {
        return Err(format!("Use at least {MIN_LENGTH} characters."));
    }
    if length > 200 {
        return Err("Use at most 200 characters.".into());
    }
    Ok(())
}

pub fn hash_blocking(secret: &Secret) -> Result<String, ServiceError> {
    Argon2::default()
        .hash_password(secret.0.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| ServiceError::Internal(format!("password hashing failed: {e}")))
}

pub async fn hash(secret: Secret) -> Result<String, ServiceError> {
    tokio::task::spawn_blocking(move || hash_blocking(&secret))
        .await
        .map_err(|e| ServiceError::Internal(format!("hashing task failed: {e}")))?
}

/// Verifies against `stored`; with no stored hash (unknown login) it verifies against a dummy
/// so that the answer takes as long as for a real account.
pub async fn verify(secret: Secret, stored: Option<String>) -> bool {
    static DUMMY: LazyLock<String> =
        LazyLock::new(|| hash_blocking(&Secret::new("not-a-real-password".into())).unwrap_or_default());
    tokio::task::spawn_blocking(move || {
        let known = stored.is_some();
        let phc = stored.unwrap_or_else(|| DUMMY.clone());
        let ok = Argon2::default().verify_password(secret.0.as_bytes(), phc.as_str()).is_ok();
        ok && known
    })
    .await
    .unwrap_or(false)
}

/// A random password for generated accounts, printed once.
pub fn generate() -> Secret {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    Secret((0..20).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_wrong_passwords_do_not() {
        let hash = hash(Secret::new("correct horse".into())).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify(Secret::new("correct horse".into()), Some(hash.clone())).await);
        assert!(!verify(Secret::new("wrong horse".into()), Some(hash)).await);
        assert!(!verify(Secret::new("not-a-real-password".into()), None).await);
    }

    #[test]
    fn secrets_do_not_print() {
        assert_eq!(format!("{:?}", Secret::new("hunter22".into())), "Secret(***)");
    }
}
