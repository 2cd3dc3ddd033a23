//! Secrets at rest (issue 10, item 5): TOTP secrets are stored encrypted under a key kept
//! in `<data>/keys/secrets.key` (32 random bytes, mode 0600, refused when group- or
//! world-readable). The AEAD is encrypt-then-MAC from primitives already in the build
//! (no new dependency): keystream = HMAC-SHA256(k_enc, nonce ‖ counter), tag =
//! HMAC-SHA256(k_mac, "liuhen-secret-v1" ‖ len(ad) ‖ ad ‖ nonce ‖ ciphertext), with k_enc and
//! k_mac derived from the file's key by HMAC and a 16-byte random nonce per seal. The
//! associated data is the owner (the user id), so a sealed secret cannot be moved to
//! another account. Stored form: `enc1:` + hex(nonce ‖ ciphertext ‖ tag).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::AppError;

type HmacSha256 = Hmac<Sha256>;

pub const FILE: &str = "secrets.key";
const PREFIX: &str = "enc1:";
const NONCE: usize = 16;
const TAG: usize = 32;

/// The key that seals secrets stored in the database.
pub struct SecretKey {
    enc: [u8; 32],
    mac: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

fn prf(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC accepts any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

impl SecretKey {
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        Self {
            enc: prf(key, &[b"liuhen-secret-enc"]),
            mac: prf(key, &[b"liuhen-secret-mac"]),
        }
    }

    /// Loads `dir/secrets.key`; with `create`, makes it (0600) on first start. Read-only
    /// opens (`verify`, …) never write: without the file they get a key of this process
    /// alone, which opens no stored secret (they read none).
    pub fn load(dir: &Path, create: bool) -> Result<Self, AppError> {
        let path = dir.join(FILE);
        if !create && !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| AppError::Task(format!("random: {e}")))?;
            return Ok(Self::from_bytes(&key));
        }
        Self::load_or_create(dir)
    }

    /// Loads `dir/secrets.key`, creating it (0600) on first start.
    pub fn load_or_create(dir: &Path) -> Result<Self, AppError> {
        let path = dir.join(FILE);
        let io = |e| AppError::io(&path, e);
        fs::create_dir_all(dir).map_err(|e| AppError::io(dir, e))?;
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| AppError::Task(format!("random: {e}")))?;
            let tmp = dir.join(format!(".{FILE}.tmp.{}", std::process::id()));
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(io)?;
            f.write_all(&key).map_err(io)?;
            f.sync_all().map_err(io)?;
            drop(f);
            fs::hard_link(&tmp, &path).map_err(io)?;
            fs::remove_file(&tmp).map_err(io)?;
            File::open(dir).and_then(|d| d.sync_all()).map_err(io)?;
        }
        let mut f = File::open(&path).map_err(io)?;
        let mode = f.metadata().map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(AppError::Keys(format!(
                "{} has mode {mode:o}; it must be readable by its owner only (0600)",
                path.display()
            )));
        }
        let mut key = Vec::new();
        f.read_to_end(&mut key).map_err(io)?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| AppError::Keys(format!("{} must hold 32 bytes", path.display())))?;
        Ok(Self::from_bytes(&key))
    }

    fn keystream_xor(&self, nonce: &[u8], data: &mut [u8]) {
        for (i, chunk) in data.chunks_mut(32).enumerate() {
            let block = prf(&self.enc, &[nonce, &(i as u32).to_be_bytes()]);
            for (d, k) in chunk.iter_mut().zip(block) {
                *d ^= k;
            }
        }
    }

    fn tag(&self, ad: &str, nonce: &[u8], ct: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.mac).expect("any key length");
        mac.update(b"liuhen-secret-v1");
        mac.update(&(ad.len() as u64).to_be_bytes());
        mac.update(ad.as_bytes());
        mac.update(nonce);
        mac.update(ct);
        mac
    }

    /// Seals `plain` for the owner `ad` with this nonce (callers pass a random one).
    pub fn seal_with(&self, ad: &str, plain: &str, nonce: [u8; NONCE]) -> String {
        let mut ct = plain.as_bytes().to_vec();
        self.keystream_xor(&nonce, &mut ct);
        let tag = self.tag(ad, &nonce, &ct).finalize().into_bytes();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        out.extend_from_slice(&tag);
        format!("{PREFIX}{}", hex::encode(out))
    }

    pub fn seal(&self, ad: &str, plain: &str) -> Result<String, AppError> {
        let mut nonce = [0u8; NONCE];
        getrandom::fill(&mut nonce).map_err(|e| AppError::Task(format!("random: {e}")))?;
        Ok(self.seal_with(ad, plain, nonce))
    }

    /// Whether a stored value is sealed (else it is a plain value from before sealing).
    pub fn is_sealed(stored: &str) -> bool {
        stored.starts_with(PREFIX)
    }

    /// Opens a sealed value of the owner `ad`; `None` when it was not sealed by this key
    /// for this owner, or was changed.
    pub fn open(&self, ad: &str, stored: &str) -> Option<String> {
        let raw = hex::decode(stored.strip_prefix(PREFIX)?).ok()?;
        if raw.len() < NONCE + TAG {
            return None;
        }
        let (nonce, rest) = raw.split_at(NONCE);
        let (ct, tag) = rest.split_at(rest.len() - TAG);
        self.tag(ad, nonce, ct).verify_slice(tag).ok()?;
        let mut plain = ct.to_vec();
        self.keystream_xor(nonce, &mut plain);
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_for_their_owner_and_unchanged() {
        let k = SecretKey::from_bytes(&[7u8; 32]);
        let plain = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
        let sealed = k.seal_with("user-1", plain, [1u8; 16]);
        assert!(SecretKey::is_sealed(&sealed));
        assert!(!sealed.contains(plain));
        assert_eq!(sealed.len(), 5 + 2 * (16 + plain.len() + 32));
        assert_eq!(k.open("user-1", &sealed).as_deref(), Some(plain));
        assert_eq!(k.open("user-2", &sealed), None, "bound to its owner");
        let other = SecretKey::from_bytes(&[8u8; 32]);
        assert_eq!(other.open("user-1", &sealed), None, "another key");
        // Flip one bit of the ciphertext.
        let mut bytes = hex::decode(&sealed[5..]).unwrap();
        bytes[20] ^= 1;
        let tampered = format!("enc1:{}", hex::encode(bytes));
        assert_eq!(k.open("user-1", &tampered), None);
        assert_eq!(k.open("user-1", plain), None, "plain is not sealed");
        // Fresh nonces: the same secret seals differently.
        assert_ne!(k.seal("u", plain).unwrap(), k.seal("u", plain).unwrap());
    }

    #[test]
    fn the_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretKey::load_or_create(dir.path()).unwrap();
        let mode = fs::metadata(dir.path().join(FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let b = SecretKey::load_or_create(dir.path()).unwrap();
        let s = a.seal("u", "x").unwrap();
        assert_eq!(b.open("u", &s).as_deref(), Some("x"), "same key on reload");
        fs::set_permissions(dir.path().join(FILE), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(SecretKey::load_or_create(dir.path()).is_err());
    }
}
