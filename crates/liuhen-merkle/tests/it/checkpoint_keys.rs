//! Signing and verifying checkpoints; key storage; interoperability with OpenSSL.

use std::os::unix::fs::PermissionsExt as _;
use std::process::Command;

use liuhen_merkle::keys::{ED25519_KEY_FILE, SM2_KEY_FILE};
use liuhen_merkle::*;

fn checkpoint() -> Checkpoint {
    Checkpoint {
        origin: "liuhen.test/审计日志".to_owned(),
        size: 8,
        root: crate::h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
        timestamp_ms: 1_767_225_600_000,
    }
}

#[test]
fn sign_verify_round_trip() {
    let keys = SigningKeys::generate();
    let signed = keys.sign(&checkpoint());
    assert_eq!(signed.checkpoint, checkpoint());
    assert_eq!(signed.ed25519_sig.len(), 64);
    assert_eq!(signed.sm2_sig[0], 0x30, "SM2 signature is a DER SEQUENCE");
    keys.public_keys().verify(&signed).unwrap();
}

#[test]
fn any_changed_field_fails_both_signatures() {
    let keys = SigningKeys::generate();
    let public = keys.public_keys();
    let signed = keys.sign(&checkpoint());
    let mutations: Vec<(&str, Checkpoint)> = vec![
        (
            "size",
            Checkpoint {
                size: 9,
                ..checkpoint()
            },
        ),
        (
            "root",
            Checkpoint {
                root: leaf_hash(b"other"),
                ..checkpoint()
            },
        ),
        (
            "timestamp",
            Checkpoint {
                timestamp_ms: 1_767_225_600_001,
                ..checkpoint()
            },
        ),
        (
            "origin",
            Checkpoint {
                origin: "liuhen.test/other".into(),
                ..checkpoint()
            },
        ),
    ];
    for (what, changed) in mutations {
        let forged = SignedCheckpoint {
            checkpoint: changed.clone(),
            ..signed.clone()
        };
        assert_eq!(
            public.verify(&forged),
            Err(SignatureError::Ed25519Invalid),
            "{what}"
        );
        // Give it a valid Ed25519 signature to show the SM2 one fails on its own.
        let ed_ok = keys.sign(&changed).ed25519_sig;
        let forged = SignedCheckpoint {
            ed25519_sig: ed_ok,
            ..forged
        };
        assert_eq!(
            public.verify(&forged),
            Err(SignatureError::Sm2Invalid),
            "{what}"
        );
    }
}

#[test]
fn signatures_from_other_keys_fail() {
    let keys = SigningKeys::generate();
    let other = SigningKeys::generate();
    let good = keys.sign(&checkpoint());
    let bad = other.sign(&checkpoint());
    let public = keys.public_keys();
    assert_ne!(public, other.public_keys());
    let forged = SignedCheckpoint {
        ed25519_sig: bad.ed25519_sig.clone(),
        ..good.clone()
    };
    assert_eq!(public.verify(&forged), Err(SignatureError::Ed25519Invalid));
    let forged = SignedCheckpoint {
        sm2_sig: bad.sm2_sig.clone(),
        ..good.clone()
    };
    assert_eq!(public.verify(&forged), Err(SignatureError::Sm2Invalid));
    assert_eq!(public.verify(&bad), Err(SignatureError::Ed25519Invalid));
}

#[test]
fn malformed_signatures_and_checkpoints_are_reported() {
    let keys = SigningKeys::generate();
    let public = keys.public_keys();
    let good = keys.sign(&checkpoint());

    let mut s = good.clone();
    s.ed25519_sig.pop();
    assert_eq!(public.verify(&s), Err(SignatureError::Ed25519Malformed(63)));

    let mut s = good.clone();
    s.sm2_sig = vec![0x30, 0x00];
    assert_eq!(public.verify(&s), Err(SignatureError::Sm2Malformed));

    let mut s = good.clone();
    s.sm2_sig.push(0);
    assert_eq!(public.verify(&s), Err(SignatureError::Sm2Malformed));

    let bad = Checkpoint {
        origin: "a\nb".into(),
        ..checkpoint()
    };
    let s = keys.sign(&bad);
    assert!(matches!(
        public.verify(&s),
        Err(SignatureError::InvalidCheckpoint(_))
    ));
    for e in [SignatureError::Ed25519Invalid, SignatureError::Sm2Invalid] {
        assert!(e.to_string().contains(if e == SignatureError::Sm2Invalid {
            "SM2"
        } else {
            "Ed25519"
        }));
    }
}

#[test]
fn signing_is_deterministic() {
    let keys = SigningKeys::generate();
    assert_eq!(keys.sign(&checkpoint()), keys.sign(&checkpoint()));
}

#[test]
fn public_keys_pem_round_trip_and_key_ids() {
    let keys = SigningKeys::generate();
    let public = keys.public_keys();
    let (ed_pem, sm2_pem) = public.to_pem();
    assert!(ed_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    assert!(sm2_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let back = PublicKeys::from_pem(&ed_pem, &sm2_pem).unwrap();
    assert_eq!(back, public);
    back.verify(&keys.sign(&checkpoint())).unwrap();

    let (ed_id, sm2_id) = (public.ed25519_key_id(), public.sm2_key_id());
    assert_eq!(ed_id.len(), 16);
    assert_eq!(sm2_id.len(), 16);
    assert_ne!(ed_id, sm2_id);
    assert_eq!(back.ed25519_key_id(), ed_id);
    assert_eq!(back.sm2_key_id(), sm2_id);
    assert_ne!(
        SigningKeys::generate().public_keys().ed25519_key_id(),
        ed_id
    );

    assert!(matches!(
        PublicKeys::from_pem(&sm2_pem, &ed_pem),
        Err(KeyError::Decode { .. })
    ));
    assert!(matches!(
        PublicKeys::from_pem(&ed_pem, "junk"),
        Err(KeyError::Decode { .. })
    ));
}

#[test]
fn load_or_create_persists_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("keys");
    let (k1, created1) = SigningKeys::load_or_create(&dir).unwrap();
    assert!(created1);
    for name in [ED25519_KEY_FILE, SM2_KEY_FILE] {
        let meta = std::fs::metadata(dir.join(name)).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        let pem = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{name}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 2, "no temp files left: {leftovers:?}");

    let (k2, created2) = SigningKeys::load_or_create(&dir).unwrap();
    assert!(!created2);
    assert_eq!(k1.public_keys(), k2.public_keys());
    k1.public_keys().verify(&k2.sign(&checkpoint())).unwrap();
    assert_eq!(k1.sign(&checkpoint()), k2.sign(&checkpoint()));
}

#[test]
fn load_or_create_refuses_unsafe_states() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    SigningKeys::load_or_create(dir).unwrap();

    let sm2 = dir.join(SM2_KEY_FILE);
    std::fs::set_permissions(&sm2, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = SigningKeys::load_or_create(dir).unwrap_err();
    assert!(
        matches!(err, KeyError::InsecurePermissions { mode: 0o644, .. }),
        "{err}"
    );
    std::fs::set_permissions(&sm2, std::fs::Permissions::from_mode(0o600)).unwrap();

    let ed = dir.join(ED25519_KEY_FILE);
    let saved = std::fs::read(&ed).unwrap();
    std::fs::write(&ed, "not a key").unwrap();
    let err = SigningKeys::load_or_create(dir).unwrap_err();
    assert!(matches!(err, KeyError::Decode { .. }), "{err}");

    std::fs::write(&ed, &saved).unwrap();
    std::fs::remove_file(&sm2).unwrap();
    let err = SigningKeys::load_or_create(dir).unwrap_err();
    assert!(matches!(err, KeyError::Incomplete { .. }), "{err}");
    assert!(!sm2.exists(), "must not create a lone new key");
}

/// Third-party check: OpenSSL verifies both signatures from the exported PEM.
#[test]
fn openssl_verifies_exported_signatures() {
    if !crate::require_tool("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let (keys, _) = SigningKeys::load_or_create(&d.join("keys")).unwrap();
    let signed = keys.sign(&checkpoint());
    let (ed_pem, sm2_pem) = keys.public_keys().to_pem();
    std::fs::write(d.join("ed.pem"), ed_pem).unwrap();
    std::fs::write(d.join("sm2.pem"), sm2_pem).unwrap();
    std::fs::write(d.join("body"), signed.checkpoint.body()).unwrap();
    std::fs::write(d.join("sm2.sig"), &signed.sm2_sig).unwrap();
    std::fs::write(d.join("ed.sig"), &signed.ed25519_sig).unwrap();
    std::fs::write(
        d.join("forged"),
        Checkpoint {
            size: 9,
            ..checkpoint()
        }
        .body(),
    )
    .unwrap();

    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(d)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let sm2_verify = |file: &str| {
        run(&[
            "dgst",
            "-sm3",
            "-verify",
            "sm2.pem",
            "-sigopt",
            "distid:1234567812345678",
            "-signature",
            "sm2.sig",
            file,
        ])
    };
    let (ok, out) = sm2_verify("body");
    assert!(ok, "openssl rejected SM2 signature: {out}");
    assert!(
        !sm2_verify("forged").0,
        "openssl accepted SM2 signature over a changed body"
    );

    let ed_verify = |file: &str| {
        run(&[
            "pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", file, "-sigfile",
            "ed.sig",
        ])
    };
    let (ok, out) = ed_verify("body");
    assert!(ok, "openssl rejected Ed25519 signature: {out}");
    assert!(
        !ed_verify("forged").0,
        "openssl accepted Ed25519 signature over a changed body"
    );

    // OpenSSL can also read the stored private keys.
    for key in ["keys/ed25519.key", "keys/sm2.key"] {
        let (ok, out) = run(&["pkey", "-in", key, "-noout"]);
        assert!(ok, "openssl cannot read {key}: {out}");
    }
}

/// Keys generated by OpenSSL (PKCS#8 PEM) load, and their signatures verify in OpenSSL.
#[test]
fn keys_generated_by_openssl_load() {
    if !crate::require_tool("openssl") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(d)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", ED25519_KEY_FILE]);
    openssl(&["genpkey", "-algorithm", "SM2", "-out", SM2_KEY_FILE]);
    openssl(&[
        "pkey",
        "-in",
        SM2_KEY_FILE,
        "-pubout",
        "-out",
        "sm2.pub.pem",
    ]);
    openssl(&[
        "pkey",
        "-in",
        ED25519_KEY_FILE,
        "-pubout",
        "-out",
        "ed.pub.pem",
    ]);
    for name in [ED25519_KEY_FILE, SM2_KEY_FILE] {
        std::fs::set_permissions(d.join(name), std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (keys, created) = SigningKeys::load_or_create(d).unwrap();
    assert!(!created);
    let from_openssl = PublicKeys::from_pem(
        &std::fs::read_to_string(d.join("ed.pub.pem")).unwrap(),
        &std::fs::read_to_string(d.join("sm2.pub.pem")).unwrap(),
    )
    .unwrap();
    assert_eq!(from_openssl, keys.public_keys());
    from_openssl.verify(&keys.sign(&checkpoint())).unwrap();
}
