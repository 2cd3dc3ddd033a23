//! Police numbers (警号) on accounts, on both backends (migration 0026): unique in the
//! bureau, letters and digits, logged; `classify_by_police` maps a number to its account
//! only within the record's unit, else the record is nobody's own and names the number.

use liuhen_domain::{Classification, Role};

use crate::support::{for_each_backend, user};

const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";

/// (agency given, number, officer id, officer text, agency after).
type Expect<'a> = (
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
);

#[tokio::test]
async fn police_numbers_are_unique_and_map_only_within_the_unit() {
    for_each_backend(|c| async move {
        let zw = user(&c, "zhangwei", "张伟", &[Role::Officer], GX).await;
        let ly = user(&c, "liuyang", "刘洋", &[Role::Officer], GX).await;
        let wd = user(&c, "wangfang", "王芳", &[Role::Officer], WD).await;
        let officer = user(&c, "lina", "李娜", &[Role::Officer], GX).await;
        c.record_police_number("test", &zw.user_id, " 012345 ")
            .await
            .unwrap();
        c.record_police_number("test", &wd.user_id, "077777")
            .await
            .unwrap();
        // Unique; letters and digits, at most 20; an unchanged number is no change.
        for (who, n) in [
            (&ly.user_id, "012345"),
            (&ly.user_id, "01 2345"),
            (&ly.user_id, "012345678901234567890"),
            (&zw.user_id, "012345"),
        ] {
            assert!(c.record_police_number("test", who, n).await.is_err(), "{n}");
        }
        // Only the system administrator sets one.
        assert!(
            c.set_police_number(&officer, &ly.user_id, "054321")
                .await
                .is_err()
        );
        let numbers = c.police_numbers().await.unwrap();
        assert_eq!(numbers.get(&zw.user_id).map(String::as_str), Some("012345"));
        assert_eq!(numbers.len(), 2);
        // (agency given, number) → (officer id, officer text, agency), written out by hand.
        let cases: [Expect; 4] = [
            (
                Some(GX),
                "012345",
                Some(zw.user_id.as_str()),
                "张伟",
                Some(GX),
            ),
            (None, "012345", Some(zw.user_id.as_str()), "张伟", Some(GX)),
            (Some(GX), "077777", None, "警号 077777", Some(GX)),
            (Some(GX), "999999", None, "警号 999999", Some(GX)),
        ];
        for (agency, n, id, officer, unit) in cases {
            let mut cl = Classification {
                agency: agency.map(str::to_owned),
                ..Default::default()
            };
            let got = c.classify_by_police(&mut cl, n).await.unwrap();
            assert_eq!(got.as_deref(), id, "{agency:?} {n}");
            assert_eq!(cl.officer.as_deref(), Some(officer), "{agency:?} {n}");
            assert_eq!(cl.agency.as_deref(), unit, "{agency:?} {n}");
        }
        // Cleared with an empty number: the number maps to nobody any more.
        assert_eq!(
            c.record_police_number("test", &zw.user_id, "")
                .await
                .unwrap(),
            None
        );
        assert!(c.account_by_police("012345").await.unwrap().is_none());
        let logged = c
            .db()
            .entries_for(&format!("user:{}", zw.user_id))
            .await
            .unwrap();
        assert_eq!(
            logged
                .iter()
                .filter(|e| e.action == "account.police_number")
                .count(),
            2
        );
    })
    .await;
}
