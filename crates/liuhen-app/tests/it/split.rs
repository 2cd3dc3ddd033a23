//! A package across several discs (issue 19), with a tiny fake medium: the plan follows a
//! hand-worked table; every disc is a bag of its own that verifies alone (with the set's
//! manifest and the verifier on it); every original is on exactly one disc; each disc's
//! image fits the medium; a changed original and a lying disc.json are named.

use std::collections::BTreeMap;
use std::process::Command;

use liuhen_app::package::split::{self, DISC_FILE, DiscFile, IMAGE_OVERHEAD};
use liuhen_app::package::verify::{Problem, verify_dir};
use liuhen_app::package::{bag, iso};

use crate::export::exported;
use crate::support::require_tool as tool;

#[test]
fn the_plan_follows_the_hand_worked_table() {
    // Costs (whole 2048-byte sectors + one for directory records): a 5000 → 8192,
    // b 3000 → 6144, c 2500 → 6144, d 100 → 4096. Room 10240 per disc:
    // a → disc 1; b → disc 2 (8192 + 6144 > 10240); c → disc 3; d → disc 2 (6144 + 4096).
    let files: Vec<(String, u64)> = [("a", 5000), ("b", 3000), ("c", 2500), ("d", 100)]
        .iter()
        .map(|(p, s)| ((*p).to_owned(), *s))
        .collect();
    let bins = split::plan(&files, 0, IMAGE_OVERHEAD + 10240).unwrap();
    assert_eq!(bins, vec![vec!["a"], vec!["b", "d"], vec!["c"]]);
    // With the common files taking 2048 of it, d no longer fits beside b.
    let bins = split::plan(&files, 2048, IMAGE_OVERHEAD + 10240 + 2048).unwrap();
    assert_eq!(bins, vec![vec!["a"], vec!["b", "d"], vec!["c"]]);
    let bins = split::plan(&files, 4096, IMAGE_OVERHEAD + 10240 + 2048).unwrap();
    assert_eq!(bins, vec![vec!["a"], vec!["b"], vec!["c"], vec!["d"]]);
    // A file larger than a disc is refused, naming it.
    let big = vec![("huge.mp4".to_owned(), 20_000)];
    let e = split::plan(&big, 0, IMAGE_OVERHEAD + 10240).unwrap_err();
    assert!(e.to_string().contains("huge.mp4"), "{e}");
    // The media are configuration.
    let codes: Vec<String> = split::media().into_iter().map(|m| m.code).collect();
    assert_eq!(codes, ["cd", "dvd", "dvd-dl", "bd"]);
    assert_eq!(split::medium("dvd").unwrap().bytes, 2_295_104 * 2048);
    assert!(split::medium("floppy").is_err());
}

#[tokio::test]
async fn a_package_splits_into_self_contained_discs_that_fit() {
    let (work, pkg) = exported().await;
    let manifest: liuhen_app::package::Manifest =
        serde_json::from_slice(&std::fs::read(pkg.join("data/manifest.json")).unwrap()).unwrap();
    let originals: BTreeMap<String, u64> = manifest
        .records
        .iter()
        .map(|r| (r.path.clone(), r.size))
        .collect();
    assert_eq!(originals.len(), 2);
    let sectors = |n: u64| n.div_ceil(2048) * 2048 + 2048;
    let common: u64 = bag::files_under(&pkg, "")
        .unwrap()
        .iter()
        .filter(|f| !originals.contains_key(*f))
        .map(|f| sectors(std::fs::metadata(bag::join(&pkg, f)).unwrap().len()))
        .sum();
    // Room for the larger original only: the two cannot share a disc.
    let largest = originals.values().max().copied().unwrap();
    let capacity = common + IMAGE_OVERHEAD + sectors(largest) + 1024;
    let out = work.path().join("discs");
    let discs = split::split(&pkg, &out, capacity).unwrap();
    assert_eq!(discs.len(), 2);
    let mut seen = Vec::new();
    for d in &discs {
        let v = verify_dir(&d.dir, None);
        assert!(v.ok, "disc {}: {:?}", d.disc, v.problems);
        for common_file in [
            "data/manifest.json",
            "data/verify.html",
            "data/清单.pdf",
            "data/verifying-a-package.md",
        ] {
            assert!(
                bag::join(&d.dir, common_file).is_file(),
                "disc {} lacks {common_file}",
                d.disc
            );
        }
        let df: DiscFile =
            serde_json::from_slice(&std::fs::read(bag::join(&d.dir, DISC_FILE)).unwrap()).unwrap();
        assert_eq!(
            (df.disc, df.discs, df.set.as_str()),
            (d.disc, 2, manifest.package.as_str())
        );
        for o in originals.keys() {
            let here = bag::join(&d.dir, o).is_file();
            assert_eq!(here, d.originals.contains(o));
            assert_eq!(here, !df.elsewhere.iter().any(|e| &e.path == o));
            if here {
                seen.push(o.clone());
            }
        }
        if tool("bagit.py") {
            let out = Command::new("bagit.py")
                .arg("--validate")
                .arg(&d.dir)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        if tool("xorriso") {
            let image = work.path().join(format!("disc-{}.iso", d.disc));
            iso::make_image(&d.dir, &image, "LIUHEN_SPLIT").unwrap();
            let len = std::fs::metadata(&image).unwrap().len();
            assert!(
                len <= capacity,
                "disc {} image {len} > medium {capacity}",
                d.disc
            );
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        originals.keys().cloned().collect::<Vec<_>>(),
        "each original on one disc"
    );

    // A changed original on a disc is named; a disc.json claiming a present file is refused.
    let d1 = &discs[0];
    let o = bag::join(&d1.dir, &d1.originals[0]);
    let mut b = std::fs::read(&o).unwrap();
    b[0] ^= 1;
    std::fs::write(&o, b).unwrap();
    let v = verify_dir(&d1.dir, None);
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::ChangedFile { path, .. } if *path == d1.originals[0])),
        "{:?}",
        v.problems
    );
    let d2 = &discs[1];
    let path = bag::join(&d2.dir, DISC_FILE);
    let mut df: DiscFile = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    df.elsewhere.push(split::Elsewhere {
        path: d2.originals[0].clone(),
        disc: 1,
    });
    std::fs::write(&path, serde_json::to_string(&df).unwrap()).unwrap();
    bag::seal(&d2.dir, &[]).unwrap();
    let v = verify_dir(&d2.dir, None);
    assert!(
        v.problems
            .iter()
            .any(|p| matches!(p, Problem::Malformed { part, .. } if part == DISC_FILE)),
        "{:?}",
        v.problems
    );
}

#[tokio::test]
async fn burning_reads_the_disc_back_and_names_a_bad_write() {
    if !tool("xorriso") {
        return;
    }
    let (work, pkg) = exported().await;
    let image = work.path().join("package.iso");
    iso::make_image(&pkg, &image, "LIUHEN_BURN").unwrap();
    // No burner: a clear error, nothing written.
    let e = iso::burn(&image, "/dev/liuhen-no-such-burner").unwrap_err();
    assert!(e.to_string().contains("未找到刻录机"), "{e}");
    // An ISO file stands in for the disc (xorriso's stdio: pseudo-drive).
    let disc = work.path().join("disc.iso");
    let device = format!("stdio:{}", disc.display());
    iso::burn(&image, &device).unwrap();
    let back = iso::read_back(&image, &device, &work.path().join("read-1")).unwrap();
    assert!(back.ok(), "{back:?}");
    assert!(back.verdict.files_checked > 2);
    // One byte of an original written wrong on the disc: both checks see it.
    let mut bytes = std::fs::read(&disc).unwrap();
    let needle = b"not really a video, first file";
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the original is on the disc");
    bytes[at] ^= 1;
    std::fs::write(&disc, bytes).unwrap();
    let back = iso::read_back(&image, &device, &work.path().join("read-2")).unwrap();
    assert!(!back.ok() && !back.image_matches);
    assert!(
        back.verdict.problems.iter().any(
            |p| matches!(p, Problem::ChangedFile { path, .. } if path.contains("现场执法 01.MP4"))
        ),
        "{:?}",
        back.verdict.problems
    );
}
