//! `GET /station`: the offload station's kiosk page (issue 15) — per slot the camera, the
//! officer, files done/total, bytes, speed, time left, problems, and "可以拔出" when safe.
//! It shows what the running `liuhen station` last wrote (`Custody::station_slots`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use liuhen_app::station::{SlotState, SlotStatus};

use crate::auth::CurrentUser;
use crate::chrome::Chrome;
use crate::error::PageError;
use crate::i18n::Tr;
use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new().route("/station", get(page))
}

/// One slot as the page prints it.
struct SlotRow {
    state: &'static str,
    message: String,
    can_unplug: bool,
    volume: String,
    camera: String,
    officer: String,
    police: String,
    files_done: usize,
    files_total: usize,
    bytes: String,
    speed: String,
    eta: String,
    cleared: usize,
    late: bool,
    problems: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "station.html")]
struct StationPage {
    c: Chrome,
    slots: Vec<SlotRow>,
}

/// Binary units as a kiosk shows them: "1.5 GiB".
fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn row(s: SlotStatus) -> SlotRow {
    let state = match s.state {
        SlotState::Waiting => "waiting",
        SlotState::Held => "held",
        SlotState::Ingesting => "ingesting",
        SlotState::Done => "done",
        SlotState::Unplugged => "unplugged",
    };
    SlotRow {
        state,
        message: s.message,
        can_unplug: s.can_unplug,
        volume: s.volume,
        camera: s.camera.unwrap_or_else(|| "?".into()),
        officer: s.officer.unwrap_or_else(|| "?".into()),
        police: s.police_number.unwrap_or_default(),
        files_done: s.files_done,
        files_total: s.files_total,
        bytes: format!("{} / {}", size(s.bytes_done), size(s.bytes_total)),
        speed: s
            .speed_bytes_per_second
            .map_or_else(|| "—".into(), |b| format!("{}/s", size(b))),
        eta: s
            .eta_seconds
            .map_or_else(|| "—".into(), |e| format!("{}:{:02}", e / 60, e % 60)),
        cleared: s.cleared,
        late: s.late,
        problems: s.problems,
    }
}

async fn page(
    State(s): State<AppState>,
    t: Tr,
    user: Result<CurrentUser, ApiError>,
) -> Result<StationPage, PageError> {
    let user = user.map_err(|e| PageError::new(e, t))?;
    let slots = s
        .custody
        .station_slots(&user.principal)
        .await
        .map_err(|e| PageError::new(e, t))?;
    Ok(StationPage {
        c: Chrome::new(t, Some(&user), "home"),
        slots: slots.into_iter().map(row).collect(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_like_a_kiosk() {
        for (bytes, want) in [
            (0, "0 B"),
            (1023, "1023 B"),
            (1536, "1.5 KiB"),
            (10 * 1024 * 1024, "10.0 MiB"),
            (2 * 1024 * 1024 * 1024, "2.0 GiB"),
        ] {
            assert_eq!(super::size(bytes), want);
        }
    }
}
