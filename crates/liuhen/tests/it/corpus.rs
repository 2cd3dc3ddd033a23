//! Every file of the shared media corpus ingests byte-identical; hostile ones are flagged.

use std::process::Command;

use crate::support::{TestApp, corpus, require_tool, sha256_file};

#[tokio::test]
async fn whole_corpus_ingests_and_hostile_files_are_flagged() {
    let app = TestApp::new();
    let dir = corpus();
    let (ok, reports) = app.ingest(&[dir.to_str().unwrap()]);
    assert!(ok, "{reports:#?}");
    let files = std::fs::read_dir(&dir).unwrap().count();
    assert_eq!(reports.len(), files);
    for r in &reports {
        assert_eq!(r["status"], "stored", "{r}");
        let src = std::path::Path::new(r["path"].as_str().unwrap());
        assert_eq!(
            sha256_file(&app.blob_path(r["sha256"].as_str().unwrap())),
            sha256_file(src),
            "byte-identical"
        );
    }
    let flagged = |name: &str| {
        reports
            .iter()
            .find(|r| r["path"].as_str().unwrap().ends_with(name))
            .unwrap()["probe_error"]
            .as_str()
            .map(str::to_owned)
    };
    for hostile in [
        "crash_add_large",
        "crash_skip_large",
        "oom_large_box.heic",
        "invalid-gps",
        "broken.jpg",
    ] {
        assert!(flagged(hostile).is_some(), "{hostile} is flagged");
    }
    for fine in ["meta.mp4", "mkv_640x360.mkv", "udta.auth.mp4", "exif.jpg"] {
        assert_eq!(flagged(fine), None, "{fine}");
    }
    app.assert_verifies();

    // Stored metadata agrees with ffprobe on the readable videos.
    if !require_tool("ffprobe") {
        return;
    }
    let db = app.sql().await;
    for name in [
        "meta.mp4",
        "udta.auth.mp4",
        "mkv_640x360.mkv",
        "webm_480.webm",
        "3gp_640x360.3gp",
    ] {
        let out = Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-of",
                "json",
                "-show_streams",
                "-show_format",
            ])
            .arg(dir.join(name))
            .output()
            .unwrap();
        let probe: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let video = probe["streams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["codec_type"] == "video")
            .unwrap();
        let (kind, codec, w, h, dur): (String, Option<String>, Option<i64>, Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT kind, video_codec, width, height, duration_ms FROM records WHERE original_name = $1",
        )
        .bind(name)
        .fetch_one(&db)
        .await
        .unwrap();
        assert_eq!(kind, "video", "{name}");
        assert_eq!(codec.as_deref(), video["codec_name"].as_str(), "{name}");
        assert_eq!(w, video["width"].as_i64(), "{name}");
        assert_eq!(h, video["height"].as_i64(), "{name}");
        let ff_ms = (probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            * 1000.0) as i64;
        assert!(
            (dur.unwrap() - ff_ms).abs() <= 100,
            "{name}: {dur:?} vs {ff_ms}"
        );
    }
}
