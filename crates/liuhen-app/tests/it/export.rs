//! Export packages (issue 19): a made copy leaves as a BagIt bag that `verify_dir` checks
//! offline and names each tampering; the Library of Congress `bagit.py` and an independent
//! Python verifier (written from docs/verifying-a-package.md only) agree; the forms are
//! PDFs with embedded fonts whose text carries their fields; the ISO keeps Chinese names.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use liuhen_app::access::{CopyStatement, NewRequest, StepAttempt};
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::package::verify::{Problem, verify_dir};
use liuhen_app::package::{bag, iso};
use liuhen_app::{AppError, Custody, OpenOptions};
use liuhen_domain::access::Step;
use liuhen_domain::approval::{RequestKind, StepDecision};
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{for_each_backend, require_tool as tool, user};

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Two recordings ingested, a copy request approved by the legal office and the leader,
/// the copy made by the keeper; returns the keeper and the request id.
pub(crate) async fn made_copy(
    c: &Custody,
    work: &Path,
) -> (liuhen_domain::authz::Principal, String) {
    let keeper = user(c, "zhaomin", "赵敏", &[Role::RecordsKeeper], "甲局").await;
    let legal = user(c, "fazhi", "法制员", &[Role::LegalOffice], "甲局").await;
    let leader = user(c, "lingdao", "王局长", &[Role::EnforcementLeader], "甲局").await;
    let src = work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        src.join("现场执法 01.MP4"),
        b"not really a video, first file".repeat(1000),
    )
    .unwrap();
    std::fs::write(
        src.join("询问笔录录音.wav"),
        b"second original \x00\x01\x02".repeat(500),
    )
    .unwrap();
    let opts = IngestOptions {
        actor: keeper.user_id.clone(),
        classification: Classification {
            agency: Some("甲局".into()),
            officer: Some("张伟".into()),
            case_name: Some("某公司安全生产检查".into()),
            camera_operator: Some("李娜".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[src], &opts, Arc::new(NoProgress)).await;
    assert_eq!(summary.stored, 2, "{:?}", summary.reports);
    let records: Vec<RecordId> = summary
        .reports
        .iter()
        .map(|r| RecordId::parse(r.record_id.as_deref().unwrap()).unwrap())
        .collect();
    let request = c
        .file_request(
            &keeper,
            "赵敏",
            &NewRequest {
                kind: RequestKind::Copy,
                records,
                purpose: "行政复议提交证据".into(),
                due: None,
                discs: 1,
                pages: 0,
                outside: None,
                legal_basis: None,
            },
        )
        .await
        .unwrap();
    for (who, name, step) in [
        (&legal, "法制员", Step::LegalReview),
        (&leader, "王局长", Step::LeaderApproval),
    ] {
        c.decide_request(
            who,
            name,
            &request.id,
            &StepAttempt {
                step,
                decision: StepDecision::Approve,
                basis: request.basis.clone(),
                comment: "同意".into(),
            },
        )
        .await
        .unwrap();
    }
    c.make_copy(
        &keeper,
        "赵敏",
        &request.id,
        &CopyStatement {
            extractor: "李律师".into(),
            extracted_at: None,
            proves: "现场检查过程".into(),
        },
    )
    .await
    .unwrap();
    (keeper, request.id)
}

fn copy_dir(from: &Path, to: &Path) {
    for path in bag::files_under(from, "").unwrap() {
        let dest = bag::join(to, &path);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(bag::join(from, &path), dest).unwrap();
    }
}

/// A copy of the package in `name`, changed by `f` (then re-sealed when `reseal`: an
/// attacker who also rewrites the bag's manifests).
fn tampered(pkg: &Path, name: &str, reseal: bool, f: impl FnOnce(&Path)) -> Vec<Problem> {
    let dir = pkg.parent().unwrap().join(name);
    copy_dir(pkg, &dir);
    f(&dir);
    if reseal {
        bag::seal(&dir, &[("Source-Organization", "x".into())]).unwrap();
    }
    let v = verify_dir(&dir, None);
    assert!(!v.ok, "{name}: tampering not detected");
    v.problems
}

fn original_of(pkg: &Path) -> PathBuf {
    let files = bag::files_under(pkg, "data/originals").unwrap();
    let mp4 = files
        .iter()
        .find(|f| f.ends_with("现场执法 01.MP4"))
        .unwrap();
    bag::join(pkg, mp4)
}

#[tokio::test]
async fn export_round_trip_and_each_tampering_named() {
    for_each_backend(|c: Custody| async move {
        let work = tempfile::tempdir().unwrap();
        let (keeper, request) = made_copy(&c, work.path()).await;
        let pkg = work.path().join("pkg");
        let report = c
            .export_package(&keeper, "赵敏", &request, &pkg)
            .await
            .unwrap();
        assert_eq!(report.records, 2);
        let v = verify_dir(&pkg, None);
        assert!(v.ok, "{:?}", v.problems);
        assert!(
            v.entries_checked >= 4,
            "ingest and copy entries of both records"
        );
        // The originals are byte-identical, named by record id and original name.
        let original = original_of(&pkg);
        assert_eq!(
            std::fs::read(&original).unwrap(),
            b"not really a video, first file".repeat(1000)
        );
        // The export is logged with the manifest's digest.
        let logged = c
            .db()
            .entries_for(&format!("request:{request}"))
            .await
            .unwrap();
        let e = logged
            .iter()
            .find(|e| e.action == "package.exported")
            .unwrap();
        assert!(e.body.contains(&report.manifest_sha256));
        // Exporting into a non-empty directory is refused, changing nothing.
        assert!(matches!(
            c.export_package(&keeper, "赵敏", &request, &pkg).await,
            Err(AppError::Invalid(_))
        ));

        let rel = |p: &Path| -> String {
            p.strip_prefix(pkg.parent().unwrap().join("byte"))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/")
        };
        // One changed byte of an original.
        let problems = tampered(&pkg, "byte", false, |d| {
            let p = original_of(d);
            let mut b = std::fs::read(&p).unwrap();
            b[10] ^= 1;
            std::fs::write(&p, b).unwrap();
        });
        let want = rel(&original_of(&pkg.parent().unwrap().join("byte")));
        assert!(
            problems.contains(&Problem::ChangedFile {
                path: want.clone(),
                algorithm: "sha256".into()
            }),
            "{problems:?}"
        );
        assert!(
            problems.contains(&Problem::ChangedFile {
                path: want,
                algorithm: "sm3".into()
            }),
            "{problems:?}"
        );
        // A dropped file.
        let problems = tampered(&pkg, "drop", false, |d| {
            std::fs::remove_file(d.join("data/刻盘存储记录表.pdf")).unwrap();
        });
        assert!(
            problems.contains(&Problem::MissingFile {
                path: "data/刻盘存储记录表.pdf".into()
            }),
            "{problems:?}"
        );
        // An added file.
        let problems = tampered(&pkg, "extra", false, |d| {
            std::fs::write(d.join("data/补充.txt"), "x").unwrap();
        });
        assert!(
            problems.contains(&Problem::UnlistedFile {
                path: "data/补充.txt".into()
            }),
            "{problems:?}"
        );
        // An edited proof, the bag re-sealed around it.
        let problems = tampered(&pkg, "proof", true, |d| {
            let p = d.join("data/log/entries.json");
            let mut ef: liuhen_app::package::EntriesFile =
                serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
            let e = ef.entries.iter_mut().find(|e| !e.proof.is_empty()).unwrap();
            let h = &mut e.proof[0];
            let flipped = if h.starts_with('0') { "1" } else { "0" };
            h.replace_range(0..1, flipped);
            std::fs::write(&p, serde_json::to_string(&ef).unwrap()).unwrap();
        });
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::BadProof { .. })),
            "{problems:?}"
        );
        // The checkpoint swapped for another log's, then its keys too.
        let other_dir = work.path().join("other");
        let other = Custody::open(OpenOptions::new(&other_dir)).await.unwrap();
        let foreign = other.checkpoint().await.unwrap().unwrap();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let cp = liuhen_app::package::CheckpointFile {
            body: foreign.checkpoint.body(),
            ed25519_sig: b64.encode(&foreign.ed25519_sig),
            sm2_sig: b64.encode(&foreign.sm2_sig),
        };
        let cp_json = serde_json::to_string(&cp).unwrap();
        let problems = tampered(&pkg, "checkpoint", true, |d| {
            std::fs::write(d.join("data/log/checkpoint.json"), &cp_json).unwrap();
        });
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::BadSignature { which, .. } if which == "ed25519")),
            "{problems:?}"
        );
        let (ed, sm) = other.keys().public_keys().to_pem();
        let problems = tampered(&pkg, "keys", true, |d| {
            std::fs::write(d.join("data/log/checkpoint.json"), &cp_json).unwrap();
            std::fs::write(d.join("data/keys/ed25519.pub.pem"), &ed).unwrap();
            std::fs::write(d.join("data/keys/sm2.pub.pem"), &sm).unwrap();
        });
        assert!(
            problems
                .iter()
                .any(|p| matches!(p, Problem::ForeignKey { which, .. } if which == "ed25519")),
            "{problems:?}"
        );
        // The right package checked against another bureau's published key ids.
        let keys = other.keys().public_keys();
        let v = verify_dir(&pkg, Some((&keys.ed25519_key_id(), &keys.sm2_key_id())));
        assert!(
            v.problems
                .iter()
                .any(|p| matches!(p, Problem::ForeignKey { .. })),
            "{:?}",
            v.problems
        );
        other.db().close().await;
    })
    .await;
}

#[tokio::test]
async fn export_stops_when_an_original_fails_its_rehash() {
    let work = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(work.path().join("data")))
        .await
        .unwrap();
    let (keeper, request) = made_copy(&c, work.path()).await;
    // Rot one stored blob (the local store keeps them read-only).
    let detail = c.db().copies(&request).await.unwrap();
    let sha = &detail[0].original_sha256;
    let blob = walk(&work.path().join("data"))
        .into_iter()
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().contains(sha.as_str()))
        })
        .expect("blob file");
    let mut perms = std::fs::metadata(&blob).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&blob, perms).unwrap();
    let mut bytes = std::fs::read(&blob).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&blob, bytes).unwrap();
    let out = work.path().join("pkg");
    let err = c
        .export_package(&keeper, "赵敏", &request, &out)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("摘要与保管记录不符"), "{err}");
    assert!(!out.exists(), "the partial package is removed");
    let entries = c
        .db()
        .entries_for(&format!("record:{}", detail[0].record_id))
        .await
        .unwrap();
    assert!(entries.iter().any(|e| e.action == "package.hash_mismatch"));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub(crate) async fn exported() -> (tempfile::TempDir, PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let c = Custody::open(OpenOptions::new(work.path().join("data")))
        .await
        .unwrap();
    let (keeper, request) = made_copy(&c, work.path()).await;
    let pkg = work.path().join("包");
    c.export_package(&keeper, "赵敏", &request, &pkg)
        .await
        .unwrap();
    c.db().close().await;
    (work, pkg)
}

#[tokio::test]
async fn bagit_py_validates_the_package_and_catches_a_changed_byte() {
    if !tool("bagit.py") {
        return;
    }
    let (_work, pkg) = exported().await;
    let (ok, text) = run(Command::new("bagit.py").arg("--validate").arg(&pkg));
    assert!(ok, "bagit.py rejected an intact package: {text}");
    let p = original_of(&pkg);
    let mut b = std::fs::read(&p).unwrap();
    b[0] ^= 1;
    std::fs::write(&p, b).unwrap();
    let (ok, text) = run(Command::new("bagit.py").arg("--validate").arg(&pkg));
    assert!(!ok, "bagit.py accepted a changed byte: {text}");
}

#[tokio::test]
async fn independent_python_verifier_checks_signature_digests_and_proofs() {
    if !tool("python3") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/verify_package.py");
    let (_work, pkg) = exported().await;
    let (ok, text) = run(Command::new("python3").arg(&script).arg(&pkg));
    if text.contains("No module named 'cryptography'") {
        liuhen_test_support::missing("PyPI cryptography");
        return;
    }
    assert!(
        ok,
        "independent verifier rejected an intact package: {text}"
    );
    // A flipped proof hash, the manifests re-sealed: only a proof check can see it.
    let p = pkg.join("data/log/entries.json");
    let mut ef: liuhen_app::package::EntriesFile =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
    let e = ef.entries.iter_mut().find(|e| !e.proof.is_empty()).unwrap();
    e.proof[0] = "00".repeat(32);
    let seq = e.seq;
    std::fs::write(&p, serde_json::to_string(&ef).unwrap()).unwrap();
    bag::seal(&pkg, &[]).unwrap();
    let (ok, text) = run(Command::new("python3").arg(&script).arg(&pkg));
    assert!(!ok && text.contains(&format!("bad_proof {seq}")), "{text}");
}

#[tokio::test]
async fn forms_are_pdfs_with_embedded_fonts_and_their_fields() {
    if !tool("pdftotext") || !tool("pdffonts") {
        return;
    }
    let (_work, pkg) = exported().await;
    let statements = bag::files_under(&pkg, "data/statements").unwrap();
    assert_eq!(statements.len(), 2);
    let checks: Vec<(String, Vec<&str>)> = vec![
        (
            statements[0].clone(),
            vec![
                "文字说明材料",
                "制作人",
                "赵敏",
                "提取人",
                "李律师",
                "证明对象",
                "现场检查过程",
                "SHA-256",
                "SM3",
                "行政复议提交证据",
                "王局长",
            ],
        ),
        (
            "data/刻盘存储记录表.pdf".into(),
            vec![
                "刻盘存储记录表",
                "摄录人员",
                "李娜",
                "张伟",
                "部门负责人",
                "某公司安全生产检查",
            ],
        ),
        (
            "data/清单.pdf".into(),
            vec!["证据包清单", "data/originals/", "SHA-256"],
        ),
    ];
    for (rel, needles) in checks {
        let path = bag::join(&pkg, &rel);
        let raw = std::fs::read(&path).unwrap();
        let xmp = String::from_utf8_lossy(&raw);
        assert!(
            xmp.contains("<pdfaid:part>2</pdfaid:part>")
                && xmp.contains("<pdfaid:conformance>B</pdfaid:conformance>"),
            "{rel}: not declared PDF/A-2b"
        );
        let (ok, fonts) = run(Command::new("pdffonts").arg(&path));
        assert!(ok, "{fonts}");
        let rows: Vec<&str> = fonts
            .lines()
            .skip(2)
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(!rows.is_empty(), "{rel}: no fonts\n{fonts}");
        for row in rows {
            // Columns: name type encoding emb sub uni object ID.
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert_eq!(cols[n - 5], "yes", "{rel}: font not embedded: {row}");
            assert_eq!(cols[n - 4], "yes", "{rel}: font not subset: {row}");
        }
        let (ok, text) = run(Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-"));
        assert!(ok, "{text}");
        let flat: String = text.split_whitespace().collect();
        for needle in needles {
            let n: String = needle.split_whitespace().collect();
            assert!(flat.contains(&n), "{rel} lacks {needle}:\n{text}");
        }
    }
}

#[tokio::test]
async fn iso_keeps_chinese_names_and_bytes() {
    if !tool("xorriso") || !tool("isoinfo") {
        return;
    }
    let (work, pkg) = exported().await;
    let image = work.path().join("证据包.iso");
    iso::make_image(&pkg, &image, "LIUHEN_TEST").unwrap();
    // Rock Ridge names as genisoimage's isoinfo reads them (its Joliet reader has no UTF-8
    // output: it prints non-Latin names as `_`, so Joliet is read with xorriso below).
    let (ok, listing) = run(Command::new("isoinfo").args(["-R", "-f", "-i"]).arg(&image));
    assert!(ok, "{listing}");
    assert!(listing.contains("/data/刻盘存储记录表.pdf"), "{listing}");
    assert!(listing.contains("现场执法 01.MP4"), "{listing}");
    let (ok, joliet) = run(Command::new("isoinfo").args(["-J", "-f", "-i"]).arg(&image));
    assert!(
        ok && joliet.lines().count() == listing.lines().count(),
        "{joliet}"
    );
    // Joliet alone (Rock Ridge ignored).
    let (ok, jn) = run(Command::new("xorriso")
        .args(["-read_fs", "norock", "-indev"])
        .arg(&image)
        .args(["-find", "/"]));
    assert!(
        ok && jn.contains("/data/清单.pdf") && jn.contains("现场执法 01.MP4"),
        "{jn}"
    );
    let out = work.path().join("extracted");
    iso::extract(&image, &out).unwrap();
    let v = verify_dir(&out, None);
    assert!(v.ok, "{:?}", v.problems);
    assert_eq!(
        std::fs::read(original_of(&out)).unwrap(),
        std::fs::read(original_of(&pkg)).unwrap()
    );
}
