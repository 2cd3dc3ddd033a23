//! Human numbers (issue 18): per unit, kind and year, from 1, never repeated — also when
//! two writers allocate at the same moment — and only kept when their transaction commits.

use liuhen_db::Db;

use crate::support::for_each_backend;

async fn allocate(db: &Db, unit: &str, scope: &str, year: i16) -> i64 {
    let mut tx = db.begin().await.unwrap();
    let n = tx.next_number(unit, scope, year).await.unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test]
async fn numbers_count_per_unit_kind_and_year_and_never_repeat() {
    for_each_backend(|db: Db| async move {
        let gx = "平顶山高新区应急管理局";
        let wd = "卫东区应急管理局";
        assert_eq!(allocate(&db, gx, "copy", 2026).await, 1);
        assert_eq!(allocate(&db, gx, "copy", 2026).await, 2);
        assert_eq!(allocate(&db, gx, "loan", 2026).await, 1, "per kind");
        assert_eq!(allocate(&db, wd, "copy", 2026).await, 1, "per unit");
        assert_eq!(allocate(&db, gx, "copy", 2027).await, 1, "per year");
        // A rolled-back allocation is not used up.
        let mut tx = db.begin().await.unwrap();
        assert_eq!(tx.next_number(gx, "copy", 2026).await.unwrap(), 3);
        tx.rollback().await.unwrap();
        assert_eq!(allocate(&db, gx, "copy", 2026).await, 3);
        // Two writers at once: two different numbers, the next two.
        let (a, b) = tokio::join!(
            allocate(&db, gx, "copy", 2026),
            allocate(&db, gx, "copy", 2026)
        );
        let mut got = [a, b];
        got.sort();
        assert_eq!(got, [4, 5]);
        // Many at once, from separate tasks.
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                allocate(&db, wd, "package", 2026).await
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await.unwrap());
        }
        all.sort();
        assert_eq!(all, (1..=8).collect::<Vec<i64>>());
    })
    .await;
}
