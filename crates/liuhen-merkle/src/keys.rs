//! The log's two signing keys: Ed25519 (RFC 8032) and SM2 with SM3
//! (GB/T 32918, distinguishing id [`SM2_DISTID`]). Every checkpoint carries
//! both signatures; a verifier may check either or both.
//!
//! Keys are stored as PKCS#8 PEM (`ed25519.key`, `sm2.key`) and public keys
//! are exported as SPKI PEM, readable by OpenSSL 3.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read as _, Write as _};
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use ed25519_dalek::pkcs8::spki::{DecodePublicKey, EncodePublicKey};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest as _, Sha256};
use sm2::dsa::signature::{Signer as _, Verifier as _};
use sm2::elliptic_curve::Generate as _;
use sm2::pkcs8::LineEnding;

use crate::checkpoint::{Checkpoint, CheckpointError, SignedCheckpoint};

/// The SM2 distinguishing identifier (user id) used for `Z_A`: the GB/T 35276
/// default, which is also what OpenSSL needs as `-sigopt distid:1234567812345678`.
pub const SM2_DISTID: &str = "1234567812345678";
/// File name of the Ed25519 private key (PKCS#8 PEM) in the key directory.
pub const ED25519_KEY_FILE: &str = "ed25519.key";
/// File name of the SM2 private key (PKCS#8 PEM) in the key directory.
pub const SM2_KEY_FILE: &str = "sm2.key";

/// Failure to create, store, load or decode keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("key file {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("cannot decode {what}: {reason}")]
    Decode { what: String, reason: String },
    #[error(
        "key directory is incomplete: {present} exists but {missing} does not; refusing to create a new key next to an old one"
    )]
    Incomplete { present: PathBuf, missing: PathBuf },
    #[error(
        "key file {path} has mode {mode:o}; it must not be accessible by group or others (chmod 600)"
    )]
    InsecurePermissions { path: PathBuf, mode: u32 },
    /// A command that must not write found no key (it never creates one).
    #[error("signing key {missing} is missing (keys are created only by a command that writes)")]
    Missing { missing: PathBuf },
    #[error("operating-system random number generator failed: {0}")]
    Rng(String),
}

/// Why a signed checkpoint did not verify; says which signature failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    #[error("checkpoint is malformed: {0}")]
    InvalidCheckpoint(#[from] CheckpointError),
    #[error("Ed25519 signature is malformed (expected 64 bytes, got {0})")]
    Ed25519Malformed(usize),
    #[error("Ed25519 signature does not verify")]
    Ed25519Invalid,
    #[error("SM2 signature is not a valid DER SEQUENCE {{ r, s }}")]
    Sm2Malformed,
    #[error("SM2 signature does not verify")]
    Sm2Invalid,
}

/// The log's private keys.
#[derive(Clone)]
pub struct SigningKeys {
    ed25519: ed25519_dalek::SigningKey,
    sm2: sm2::dsa::SigningKey,
}

/// The log's public keys, to hand to anyone who verifies checkpoints.
#[derive(Debug, Clone)]
pub struct PublicKeys {
    pub ed25519: ed25519_dalek::VerifyingKey,
    /// Carries [`SM2_DISTID`].
    pub sm2: sm2::dsa::VerifyingKey,
}

impl PartialEq for PublicKeys {
    fn eq(&self, other: &Self) -> bool {
        self.ed25519 == other.ed25519
            && self.sm2.as_affine() == other.sm2.as_affine()
            && self.sm2.distid() == other.sm2.distid()
    }
}

impl Eq for PublicKeys {}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.public_keys();
        f.debug_struct("SigningKeys")
            .field("ed25519_key_id", &p.ed25519_key_id())
            .field("sm2_key_id", &p.sm2_key_id())
            .finish_non_exhaustive()
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_owned(),
        source,
    }
}

fn decode_err(what: impl Into<String>) -> impl FnOnce(String) -> KeyError {
    let what = what.into();
    move |reason| KeyError::Decode { what, reason }
}

fn sm2_signing_key(secret: &sm2::SecretKey) -> Result<sm2::dsa::SigningKey, KeyError> {
    sm2::dsa::SigningKey::new(SM2_DISTID, secret)
        .map_err(|e| decode_err("SM2 secret key")(e.to_string()))
}

impl SigningKeys {
    /// Fresh random keys from the operating system's RNG.
    ///
    /// # Errors
    /// [`KeyError::Rng`] if the OS RNG fails.
    pub fn try_generate() -> Result<Self, KeyError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| KeyError::Rng(e.to_string()))?;
        let ed25519 = ed25519_dalek::SigningKey::from_bytes(&seed);
        let sm2_secret =
            sm2::SecretKey::try_generate().map_err(|e| KeyError::Rng(e.to_string()))?;
        Ok(Self {
            ed25519,
            sm2: sm2_signing_key(&sm2_secret)?,
        })
    }

    /// Fresh random keys.
    ///
    /// # Panics
    /// If the operating system's RNG fails (see [`SigningKeys::try_generate`]).
    #[must_use]
    pub fn generate() -> Self {
        Self::try_generate().expect("operating-system RNG failed")
    }

    /// Load `ed25519.key` and `sm2.key` from `dir`, or, if neither exists,
    /// generate keys and write them there (mode 0600, temp file + fsync +
    /// rename + directory fsync; `dir` is created with mode 0700 if missing).
    /// Returns the keys and whether they were just created.
    ///
    /// # Errors
    /// [`KeyError::Incomplete`] if only one of the files exists,
    /// [`KeyError::InsecurePermissions`] if a file is readable by others,
    /// [`KeyError::Decode`] if a file is not the expected PKCS#8 PEM key, and
    /// [`KeyError::Io`] for file system errors.
    /// Loads the keys of `dir` and never creates any (read-only commands such as
    /// `verify`): a missing file is [`KeyError::Missing`].
    pub fn load_existing(dir: &Path) -> Result<Self, KeyError> {
        let ed_path = dir.join(ED25519_KEY_FILE);
        let sm2_path = dir.join(SM2_KEY_FILE);
        for path in [&ed_path, &sm2_path] {
            if !path.try_exists().map_err(io_err(path))? {
                return Err(KeyError::Missing {
                    missing: path.clone(),
                });
            }
        }
        Self::load(&ed_path, &sm2_path)
    }

    pub fn load_or_create(dir: &Path) -> Result<(Self, bool), KeyError> {
        let ed_path = dir.join(ED25519_KEY_FILE);
        let sm2_path = dir.join(SM2_KEY_FILE);
        let ed_exists = ed_path.try_exists().map_err(io_err(&ed_path))?;
        let sm2_exists = sm2_path.try_exists().map_err(io_err(&sm2_path))?;
        match (ed_exists, sm2_exists) {
            (true, true) => Ok((Self::load(&ed_path, &sm2_path)?, false)),
            (true, false) => Err(KeyError::Incomplete {
                present: ed_path,
                missing: sm2_path,
            }),
            (false, true) => Err(KeyError::Incomplete {
                present: sm2_path,
                missing: ed_path,
            }),
            (false, false) => {
                fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(io_err(dir))?;
                let keys = Self::try_generate()?;
                let (ed_pem, sm2_pem) = keys.private_pems();
                write_secret_file(dir, SM2_KEY_FILE, sm2_pem.as_bytes())?;
                write_secret_file(dir, ED25519_KEY_FILE, ed_pem.as_bytes())?;
                Ok((keys, true))
            }
        }
    }

    fn load(ed_path: &Path, sm2_path: &Path) -> Result<Self, KeyError> {
        let ed_pem = read_secret_file(ed_path)?;
        let sm2_pem = read_secret_file(sm2_path)?;
        let ed25519 = ed25519_dalek::SigningKey::from_pkcs8_pem(&ed_pem)
            .map_err(|e| decode_err(ed_path.display().to_string())(e.to_string()))?;
        let sm2_secret = sm2::SecretKey::from_pkcs8_pem(&sm2_pem)
            .map_err(|e| decode_err(sm2_path.display().to_string())(e.to_string()))?;
        Ok(Self {
            ed25519,
            sm2: sm2_signing_key(&sm2_secret)?,
        })
    }

    /// PKCS#8 PEM of (Ed25519, SM2) private keys.
    fn private_pems(&self) -> (String, String) {
        // PKCS#8 v1 (seed only), as `openssl genpkey` writes it: ed25519-dalek's
        // own encoder emits v2 with the public key, which OpenSSL 3.0 rejects.
        let ed = ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: self.ed25519.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_pem(LineEnding::LF)
        .expect("encoding an Ed25519 key as PKCS#8 cannot fail");
        let sm2_secret = sm2::SecretKey::from(self.sm2.as_nonzero_scalar());
        let sm2 = sm2_secret
            .to_pkcs8_pem(LineEnding::LF)
            .expect("encoding an SM2 key as PKCS#8 cannot fail");
        (ed.to_string(), sm2.to_string())
    }

    /// Sign `checkpoint.body()` with both keys. SM2 signing is deterministic
    /// (RFC 6979-style nonces), as is Ed25519.
    ///
    /// The checkpoint is not validated here, but [`PublicKeys::verify`]
    /// rejects a checkpoint that fails [`Checkpoint::validate`], so a signed
    /// malformed checkpoint never verifies.
    #[must_use]
    pub fn sign(&self, checkpoint: &Checkpoint) -> SignedCheckpoint {
        let body = checkpoint.body();
        let ed: ed25519_dalek::Signature = self.ed25519.sign(body.as_bytes());
        let sm: sm2::dsa::Signature = self.sm2.sign(body.as_bytes());
        SignedCheckpoint {
            checkpoint: checkpoint.clone(),
            ed25519_sig: ed.to_bytes().to_vec(),
            sm2_sig: sm2::dsa::DerSignature::from(sm).to_vec(),
        }
    }

    /// The matching public keys.
    #[must_use]
    pub fn public_keys(&self) -> PublicKeys {
        PublicKeys {
            ed25519: self.ed25519.verifying_key(),
            sm2: self.sm2.verifying_key().clone(),
        }
    }
}

impl PublicKeys {
    /// SPKI PEM of (Ed25519, SM2) public keys, e.g. for
    /// `openssl dgst -sm3 -verify sm2.pub.pem -sigopt distid:1234567812345678`.
    #[must_use]
    pub fn to_pem(&self) -> (String, String) {
        let ed = self
            .ed25519
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding an Ed25519 public key cannot fail");
        let sm = sm2::PublicKey::from(&self.sm2)
            .to_public_key_pem(LineEnding::LF)
            .expect("encoding an SM2 public key cannot fail");
        (ed, sm)
    }

    /// Parse the SPKI PEM produced by [`PublicKeys::to_pem`].
    ///
    /// # Errors
    /// [`KeyError::Decode`] naming the key that could not be decoded.
    pub fn from_pem(ed25519_pem: &str, sm2_pem: &str) -> Result<Self, KeyError> {
        let ed25519 = ed25519_dalek::VerifyingKey::from_public_key_pem(ed25519_pem)
            .map_err(|e| decode_err("Ed25519 public key PEM")(e.to_string()))?;
        let sm2_pk = sm2::PublicKey::from_public_key_pem(sm2_pem)
            .map_err(|e| decode_err("SM2 public key PEM")(e.to_string()))?;
        let sm2 = sm2::dsa::VerifyingKey::new(SM2_DISTID, sm2_pk)
            .map_err(|e| decode_err("SM2 public key")(e.to_string()))?;
        Ok(Self { ed25519, sm2 })
    }

    /// Stable id of the Ed25519 key: hex of the first 8 bytes of SHA-256 of
    /// its SPKI DER.
    #[must_use]
    pub fn ed25519_key_id(&self) -> String {
        let der = self
            .ed25519
            .to_public_key_der()
            .expect("encoding an Ed25519 public key cannot fail");
        key_id(der.as_bytes())
    }

    /// Stable id of the SM2 key: hex of the first 8 bytes of SHA-256 of its
    /// SPKI DER.
    #[must_use]
    pub fn sm2_key_id(&self) -> String {
        let der = sm2::PublicKey::from(&self.sm2)
            .to_public_key_der()
            .expect("encoding an SM2 public key cannot fail");
        key_id(der.as_bytes())
    }

    /// Check both signatures (Ed25519 first) over the checkpoint body.
    ///
    /// # Errors
    /// A [`SignatureError`] naming the checkpoint problem or the failing signature.
    pub fn verify(&self, signed: &SignedCheckpoint) -> Result<(), SignatureError> {
        signed.checkpoint.validate()?;
        let body = signed.checkpoint.body();
        let ed = ed25519_dalek::Signature::from_slice(&signed.ed25519_sig)
            .map_err(|_| SignatureError::Ed25519Malformed(signed.ed25519_sig.len()))?;
        self.ed25519
            .verify_strict(body.as_bytes(), &ed)
            .map_err(|_| SignatureError::Ed25519Invalid)?;
        let sm: sm2::dsa::Signature = sm2::dsa::DerSignature::from_bytes(&signed.sm2_sig)
            .and_then(sm2::dsa::Signature::try_from)
            .map_err(|_| SignatureError::Sm2Malformed)?;
        self.sm2
            .verify(body.as_bytes(), &sm)
            .map_err(|_| SignatureError::Sm2Invalid)?;
        Ok(())
    }
}

fn key_id(spki_der: &[u8]) -> String {
    hex::encode(&Sha256::digest(spki_der)[..8])
}

fn read_secret_file(path: &Path) -> Result<String, KeyError> {
    let mut f = File::open(path).map_err(io_err(path))?;
    let mode = f.metadata().map_err(io_err(path))?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::InsecurePermissions {
            path: path.to_owned(),
            mode,
        });
    }
    let mut pem = String::new();
    f.read_to_string(&mut pem).map_err(io_err(path))?;
    Ok(pem)
}

/// Write `contents` to `dir/name` atomically with mode 0600.
fn write_secret_file(dir: &Path, name: &str, contents: &[u8]) -> Result<(), KeyError> {
    let path = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, &path)?;
        File::open(dir)?.sync_all()
    };
    write().map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_err(&path)(e)
    })
}
