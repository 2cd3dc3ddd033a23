//! Draws as evidence (R6.4): announced, made from a seed fixed later, recomputed from the
//! log; tampering with the announced population or the seed makes `verify_draw` fail.

use liuhen_app::draws::{DrawSpec, SeedPlan};
use liuhen_app::{AppError, Custody};
use liuhen_db::EntryBody;
use liuhen_domain::Role;
use liuhen_domain::authz::Principal;
use liuhen_domain::draw::{self, Method};
use sha2::{Digest, Sha256};

use crate::support::{for_each_backend, user};

fn spec(population: Vec<String>, method: Method, permille: u32, seed: SeedPlan) -> DrawSpec {
    DrawSpec {
        purpose: "2026年第四季度执法音像记录抽查".into(),
        kind: "records".into(),
        population,
        method,
        permille,
        minimum: 1,
        seed,
        step: None,
        plan: None,
    }
}

fn numbered(n: usize) -> Vec<String> {
    // Given out of order: the announcement stores the canonical (sorted) order.
    (1..=n).rev().map(|i| format!("{i:02}")).collect()
}

async fn supervisor(c: &Custody) -> Principal {
    user(c, "jd", "监督员", &[Role::Supervisor], "甲局").await
}

/// The RFC 3797 worked example run through the whole workflow: 25 items numbered 01–25,
/// the RFC's three source values entered after the announcement, 44 % → 11 picks. Both
/// backends must give the RFC's list.
#[tokio::test]
async fn draw_same_inputs_same_result_on_both_backends() {
    for_each_backend(|c: Custody| async move {
        let sup = supervisor(&c).await;
        let sources = SeedPlan::Sources(vec![
            "2026-12-08 体育彩票排列5".into(),
            "2026-12-08 福利彩票快乐8（前5个）".into(),
            "2026-12-09 福利彩票双色球红球".into(),
        ]);
        let id = c
            .announce_draw(&sup, &spec(numbered(25), Method::Rfc3797, 440, sources))
            .await
            .unwrap();
        let values: Vec<String> = ["9319", "2 5 12 8 10", "9 18 26 34 41 45"]
            .map(String::from)
            .to_vec();
        let selected = c.perform_draw(&sup, &id, &values).await.unwrap();
        let rfc = [
            "17", "07", "02", "16", "25", "23", "08", "24", "19", "13", "22",
        ];
        assert_eq!(selected, rfc);
        c.checkpoint().await.unwrap();
        let check = c.verify_draw(&id).await.unwrap();
        assert!(check.ok, "{:?}", check.problems);
        assert_eq!(check.recomputed, rfc);
        let pdf = c.draw_pdf(&sup, &id).await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    })
    .await;
}

/// Announce, sign a checkpoint, draw 5 % of 200 with SHA-256: the seed is that
/// checkpoint's root, the key is the documented text, and the result recomputes.
#[tokio::test]
async fn draw_from_checkpoint_recomputes() {
    for_each_backend(|c: Custody| async move {
        let sup = supervisor(&c).await;
        let id = c
            .announce_draw(
                &sup,
                &spec(numbered(200), Method::Sha256, 50, SeedPlan::Checkpoint),
            )
            .await
            .unwrap();
        let early = c.perform_draw(&sup, &id, &[]).await.unwrap_err();
        assert!(matches!(early, AppError::Invalid(m) if m.contains("种子尚未产生")));
        let signed = c.checkpoint().await.unwrap().unwrap();
        let selected = c.perform_draw(&sup, &id, &[]).await.unwrap();
        assert_eq!(selected.len(), 10);
        // The key as docs/draws.md writes it, built here by hand.
        let mut population = numbered(200);
        population.sort();
        let key = format!(
            "liuhen-draw/1\ndraw:{id}\nmethod:sha256\ncount:10\npopulation:{}\ncheckpoint:{}:{}\n",
            hex::encode(Sha256::digest(population.join("\n") + "\n")),
            signed.checkpoint.size,
            hex::encode(signed.checkpoint.root)
        );
        let picked = draw::select(Method::Sha256, key.as_bytes(), 200, 10).unwrap();
        let expected: Vec<String> = picked.iter().map(|i| population[*i].clone()).collect();
        assert_eq!(selected, expected);
        assert!(c.verify_draw(&id).await.unwrap().ok);
        let again = c.perform_draw(&sup, &id, &[]).await.unwrap_err();
        assert!(matches!(again, AppError::Invalid(m) if m.contains("不能重抽")));
    })
    .await;
}

#[tokio::test]
async fn draw_refused_to_officers_and_bad_input_changes_nothing() {
    for_each_backend(|c: Custody| async move {
        let officer = user(&c, "zw", "张伟", &[Role::Officer], "甲局").await;
        let err = c
            .announce_draw(
                &officer,
                &spec(numbered(5), Method::Sha256, 500, SeedPlan::Checkpoint),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Forbidden { .. }));
        let sup = supervisor(&c).await;
        let size = c.db().log_size().await.unwrap();
        let dup = vec!["a".to_owned(), "a".to_owned()];
        let err = c
            .announce_draw(&sup, &spec(dup, Method::Sha256, 500, SeedPlan::Checkpoint))
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(m) if m.contains("重复")));
        let mut unknown_step = spec(numbered(5), Method::Sha256, 500, SeedPlan::Checkpoint);
        unknown_step.step = Some("no-such-step".into());
        let err = c.announce_draw(&sup, &unknown_step).await.unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{err:?}");
        assert_eq!(c.db().log_size().await.unwrap(), size);
        let id = c
            .announce_draw(
                &sup,
                &spec(
                    numbered(5),
                    Method::Sm3,
                    500,
                    SeedPlan::Sources(vec!["彩票".into()]),
                ),
            )
            .await
            .unwrap();
        let err = c.perform_draw(&sup, &id, &[]).await.unwrap_err();
        assert!(matches!(err, AppError::Invalid(m) if m.contains("1 个随机源")));
        let err = c
            .perform_draw(&sup, &id, &["12 x".into()])
            .await
            .unwrap_err();
        assert!(matches!(err, AppError::Invalid(m) if m.contains("随机源格式错误")));
    })
    .await;
}

/// Rewrites a log entry's details as someone with database access would, keeping the
/// leaf hash consistent with the new body.
async fn rewrite(c: &Custody, seq: u64, edit: impl FnOnce(&mut serde_json::Value)) {
    let entry = c
        .db()
        .entries_page(seq.checked_sub(1), 1)
        .await
        .unwrap()
        .remove(0);
    let mut body: serde_json::Value = serde_json::from_str(&entry.body).unwrap();
    edit(&mut body["details"]);
    let body = body.to_string();
    EntryBody::parse(&body).unwrap();
    let leaf = Sha256::new()
        .chain_update([0u8])
        .chain_update(&body)
        .finalize();
    liuhen_db::testing::rewrite_entry(c.db(), seq, &body, &leaf)
        .await
        .unwrap();
}

async fn made_draw(c: &Custody, sup: &Principal) -> (String, u64, u64) {
    let id = c
        .announce_draw(
            sup,
            &spec(numbered(60), Method::Sha256, 100, SeedPlan::Checkpoint),
        )
        .await
        .unwrap();
    c.checkpoint().await.unwrap();
    c.perform_draw(sup, &id, &[]).await.unwrap();
    c.checkpoint().await.unwrap();
    let view = c.draw(&id).await.unwrap();
    assert!(c.verify_draw(&id).await.unwrap().ok);
    (id, view.announced.seq, view.performed.unwrap().0.seq)
}

#[tokio::test]
async fn draw_verify_fails_when_the_population_is_changed() {
    for_each_backend(|c: Custody| async move {
        let sup = supervisor(&c).await;
        let (id, announced, _) = made_draw(&c, &sup).await;
        // An item swapped for another, digest recomputed: the log no longer has the root
        // the checkpoint signed, and the result no longer follows.
        rewrite(&c, announced, |d| {
            d["population"][0] = "99".into();
            let mut p: Vec<String> = serde_json::from_value(d["population"].clone()).unwrap();
            p.sort();
            d["population"] = p.clone().into();
            d["population_sha256"] = draw::population_digest(&p).into();
        })
        .await;
        let check = c.verify_draw(&id).await.unwrap();
        assert!(!check.ok);
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.contains("签名检查点的根不符")),
            "{:?}",
            check.problems
        );
    })
    .await;
}

#[tokio::test]
async fn draw_verify_fails_when_the_seed_is_changed() {
    for_each_backend(|c: Custody| async move {
        let sup = supervisor(&c).await;
        let (id, announced, performed) = made_draw(&c, &sup).await;
        // A forged result: another root as seed, the selection consistent with it.
        let view = c.draw(&id).await.unwrap();
        let a = view.announcement;
        let population: Vec<String> = serde_json::from_value(a["population"].clone()).unwrap();
        let fake_root = "00".repeat(32);
        let size = announced + 1;
        let key = draw::checkpoint_key(
            &id,
            Method::Sha256,
            6,
            a["population_sha256"].as_str().unwrap(),
            size,
            &fake_root,
        );
        let picked = draw::select(Method::Sha256, key.as_bytes(), population.len(), 6).unwrap();
        let forged: Vec<String> = picked.iter().map(|i| population[*i].clone()).collect();
        rewrite(&c, performed, |d| {
            d["seed"]["root"] = fake_root.clone().into();
            d["seed"]["tree_size"] = size.into();
            d["key"] = key.clone().into();
            d["selected"] = forged.clone().into();
        })
        .await;
        let check = c.verify_draw(&id).await.unwrap();
        assert!(!check.ok);
        assert!(
            check
                .problems
                .iter()
                .any(|p| p.contains("种子不是公布后第一个签名检查点")),
            "{:?}",
            check.problems
        );
    })
    .await;
}
