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

async fn person(c: &Custody, username: &str, name: &str, role: Role) -> Principal {
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
    let c = Custody::open(OpenOptions::new(&app.data)).await.unwrap();
    let keeper = person(&c, "zhaomin", "赵敏", Role::RecordsKeeper).await;
    let legal = person(&c, "fazhi", "法制员", Role::LegalOffice).await;
    let leader = person(&c, "lingdao", "王局长", Role::EnforcementLeader).await;
    let file = app.work.join("现场执法.MP4");
    std::fs::write(&file, b"original bytes ".repeat(4000)).unwrap();
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
    let mut args = vec![
        "export",
        "copy",
        &request,
        "--as",
        "zhaomin",
        "--out",
        pkg.to_str().unwrap(),
    ];
    if with_iso {
        args.extend(["--iso", image.to_str().unwrap()]);
    }
    let out = app.run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("证据包已导出"));

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
