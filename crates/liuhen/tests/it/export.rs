//! `liuhen export copy` and `liuhen verify-package`: a made copy leaves as a package (and
//! an ISO image) that the command checks with no data directory, naming a changed file.

use std::sync::Arc;

use liuhen_app::access::{CopyStatement, NewRequest, StepAttempt};
use liuhen_app::accounts::NewUser;
use liuhen_app::ingest::{IngestOptions, NoProgress};
use liuhen_app::{Custody, OpenOptions};
use liuhen_domain::access::Step;
use liuhen_domain::approval::{RequestKind, StepDecision};
use liuhen_domain::authz::Principal;
use liuhen_domain::{Classification, RecordId, Role};

use crate::support::{TestApp, require_tool};

pub(crate) async fn person(c: &Custody, username: &str, name: &str, role: Role) -> Principal {
    let id = c
        .create_user_unchecked(
            "test",
            NewUser {
                username: username.into(),
                display_name: name.into(),
                password: "Test-Passw0rd!".into(),
                unit: Some("甲局".into()),
                department: None,
                roles: vec![role],
            },
        )
        .await
        .unwrap();
    Principal {
        user_id: id,
        roles: vec![role],
        unit: Some("甲局".into()),
        department: None,
        officer_name: name.into(),
    }
}

/// A data directory with one made copy; returns the request id.
async fn made_copy(app: &TestApp) -> String {
    let file = app.work.join("现场执法.MP4");
    std::fs::write(&file, b"original bytes ".repeat(4000)).unwrap();
    made_copy_of(app, file).await
}

/// A data directory with a made copy of `file`; returns the request id.
async fn made_copy_of(app: &TestApp, file: std::path::PathBuf) -> String {
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let keeper = person(&c, "zhaomin", "赵敏", Role::RecordsKeeper).await;
    let legal = person(&c, "fazhi", "法制员", Role::LegalOffice).await;
    let leader = person(&c, "lingdao", "王局长", Role::EnforcementLeader).await;
    let opts = IngestOptions {
        actor: keeper.user_id.clone(),
        classification: Classification {
            agency: Some("甲局".into()),
            officer: Some("张伟".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let summary = c.ingest(&[file], &opts, Arc::new(NoProgress)).await;
    let id = RecordId::parse(summary.reports[0].record_id.as_deref().unwrap()).unwrap();
    let new = NewRequest {
        kind: RequestKind::Copy,
        records: vec![id],
        purpose: "诉讼证据".into(),
        due: None,
        discs: 1,
        pages: 0,
        outside: None,
        legal_basis: None,
    };
    let request = c.file_request(&keeper, "赵敏", &new).await.unwrap();
    for (who, step) in [(&legal, Step::LegalReview), (&leader, Step::LeaderApproval)] {
        let attempt = StepAttempt {
            step,
            decision: StepDecision::Approve,
            basis: request.basis.clone(),
            comment: String::new(),
        };
        c.decide_request(who, "审批人", &request.id, &attempt)
            .await
            .unwrap();
    }
    let st = CopyStatement {
        extractor: "李律师".into(),
        extracted_at: None,
        proves: "现场经过".into(),
    };
    c.make_copy(&keeper, "赵敏", &request.id, &st)
        .await
        .unwrap();
    let token = c.create_api_token(&keeper.user_id, "cli").await.unwrap();
    app.token_file("zhaomin", &token);
    c.db().close().await;
    request.id
}

#[tokio::test]
async fn export_copy_then_verify_package_offline_names_a_changed_file() {
    let app = TestApp::new();
    let request = made_copy(&app).await;
    let pkg = app.work.join("package");
    let image = app.work.join("package.iso");
    let with_iso = require_tool("xorriso");
    let mut args = vec!["export", "copy", &request, "--out", pkg.to_str().unwrap()];
    if with_iso {
        args.extend(["--iso", image.to_str().unwrap()]);
    }
    let out = app.run_as(&app.work.join("zhaomin.token"), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("证据包已导出"));

    if with_iso {
        let label = app.work.join("package.label.pdf");
        assert!(label.is_file(), "a printable disc label beside the image");
        if require_tool("pdftotext") {
            let out = std::process::Command::new("pdftotext")
                .args(["-enc", "UTF-8"])
                .arg(&label)
                .arg("-")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            let flat: String = text.split_whitespace().collect();
            let digest = crate::support::sha256_file(&image);
            assert!(
                flat.contains("第1张共1张") && flat.contains(&digest),
                "{text}"
            );
        }
    }
    // verify-package needs no data directory.
    let verify = |path: &std::path::Path| {
        std::process::Command::new(crate::support::bin())
            .arg("--data-dir")
            .arg(app.work.join("never-created"))
            .arg("verify-package")
            .arg(path)
            .output()
            .unwrap()
    };
    let out = verify(&pkg);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && text.contains("证据包完好"),
        "{text}"
    );
    if with_iso {
        let out = verify(&image);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let original = std::fs::read_dir(pkg.join("data/originals"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&original).unwrap();
    bytes[3] ^= 1;
    std::fs::write(&original, bytes).unwrap();
    let out = verify(&pkg);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{text}");
    let name = original.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        text.contains("changed file (sha256)") && text.contains(&name),
        "{text}"
    );
    assert!(!app.work.join("never-created").exists());
}

/// The export figure of docs/benchmarks.md: `liuhen export copy --iso` of one original of
/// `LIUHEN_BENCH_EXPORT_MIB` MiB (default 1024) against one SM3 pass over the file plus
/// `xorriso -as mkisofs` of the file alone; peak RSS by GNU time. Run with
/// `cargo test -p liuhen --test it export_benchmark -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "benchmark: minutes of disk and CPU"]
async fn export_benchmark() {
    use std::io::{Read, Write};
    use std::time::Instant;
    let mib: usize = std::env::var("LIUHEN_BENCH_EXPORT_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let app = TestApp::new();
    let src = app.work.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let file = src.join("大文件.MP4");
    {
        let mut f = std::fs::File::create(&file).unwrap();
        let chunk = crate::support::noise(1 << 20, 7);
        for i in 0..mib {
            let mut c = chunk.clone();
            c[..8].copy_from_slice(&(i as u64).to_le_bytes());
            f.write_all(&c).unwrap();
        }
        f.sync_all().unwrap();
    }
    let request = made_copy_of(&app, file.clone()).await;
    // One SM3 pass.
    let t = Instant::now();
    let mut f = std::fs::File::open(&file).unwrap();
    let mut h = <sm3::Sm3 as sm3::Digest>::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        sm3::Digest::update(&mut h, &buf[..n]);
    }
    let _ = sm3::Digest::finalize(h);
    let sm3_s = t.elapsed().as_secs_f64();
    // xorriso of the file alone.
    let t = Instant::now();
    let out = std::process::Command::new("xorriso")
        .args([
            "-as",
            "mkisofs",
            "-iso-level",
            "3",
            "-J",
            "-joliet-long",
            "-R",
            "-o",
        ])
        .arg(app.work.join("alone.iso"))
        .arg(&src)
        .output()
        .unwrap();
    assert!(out.status.success());
    let xorriso_s = t.elapsed().as_secs_f64();
    std::fs::remove_file(app.work.join("alone.iso")).unwrap();
    // The export, with its ISO.
    let pkg = app.work.join("pkg");
    let iso = app.work.join("pkg.iso");
    let t = Instant::now();
    let out = std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(crate::support::bin())
        .arg("--data-dir")
        .arg(&app.data)
        .env("LIUHEN_TOKEN_FILE", app.work.join("zhaomin.token"))
        .args(["export", "copy", &request, "--out"])
        .arg(&pkg)
        .arg("--iso")
        .arg(&iso)
        .output()
        .unwrap();
    let export_s = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rss_kib: f64 = String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    println!(
        "export of {mib} MiB: {export_s:.1} s; SM3 pass {sm3_s:.1} s + xorriso {xorriso_s:.1} s = {:.1} s; ratio {:.2}; peak RSS {:.1} MiB",
        sm3_s + xorriso_s,
        export_s / (sm3_s + xorriso_s),
        rss_kib / 1024.0
    );
}

#[tokio::test]
async fn export_onto_discs_too_small_is_refused_and_a_medium_gives_numbered_labels() {
    if !require_tool("xorriso") {
        return;
    }
    let app = TestApp::new();
    let request = made_copy(&app).await;
    let image = app.work.join("tiny.iso");
    let out = app.run_as(
        &app.work.join("zhaomin.token"),
        &[
            "export",
            "copy",
            &request,
            "--out",
            app.work.join("p1").to_str().unwrap(),
            "--iso",
            image.to_str().unwrap(),
            "--disc-bytes",
            "100000",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("光盘容量"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let image = app.work.join("cd.iso");
    let out = app.run_as(
        &app.work.join("zhaomin.token"),
        &[
            "export",
            "copy",
            &request,
            "--out",
            app.work.join("p2").to_str().unwrap(),
            "--iso",
            image.to_str().unwrap(),
            "--medium",
            "cd",
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["discs"].as_array().unwrap().len(), 1, "{v}");
    assert!(image.is_file());
    if require_tool("pdftotext") {
        let text = std::process::Command::new("pdftotext")
            .args(["-enc", "UTF-8"])
            .arg(app.work.join("cd.label.pdf"))
            .arg("-")
            .output()
            .unwrap();
        let flat: String = String::from_utf8_lossy(&text.stdout)
            .split_whitespace()
            .collect();
        assert!(flat.contains("第1张共1张"), "{flat}");
    }
}
