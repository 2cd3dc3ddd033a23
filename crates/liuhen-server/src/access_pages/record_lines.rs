//! The records of a request as its page lists them (issue 18: approvers see what they
//! approve): case number and name with its compliance verdict, party, officer, date,
//! duration, file name and a thumbnail; only the id of a record the reader may not view.

use jiff::tz::TimeZone;
use liuhen_app::access::RequestRecord;

use crate::cases::views::level_class;
use crate::i18n::Tr;
use crate::records::views::{DASH, duration, opt_time, text};

pub struct CaseLine {
    pub id: String,
    pub number: String,
    pub name: String,
    /// CSS class and label of the case's compliance verdict.
    pub class: &'static str,
    pub verdict: &'static str,
}

pub struct RecordLine {
    pub id: String,
    /// The reader may view it: the fields below are filled.
    pub visible: bool,
    pub playable: bool,
    pub thumbnail: bool,
    pub cases: Vec<CaseLine>,
    /// The case name as classified, when the record is linked to no case.
    pub case_name: String,
    pub party: String,
    pub officer: String,
    pub date: String,
    pub duration: String,
    pub file_name: String,
}

pub fn lines(records: &[RequestRecord], tz: &TimeZone, t: Tr) -> Vec<RecordLine> {
    records
        .iter()
        .map(|r| {
            let Some(rec) = &r.record else {
                return RecordLine {
                    id: r.id.clone(),
                    visible: false,
                    playable: false,
                    thumbnail: false,
                    cases: Vec::new(),
                    case_name: DASH.into(),
                    party: DASH.into(),
                    officer: DASH.into(),
                    date: DASH.into(),
                    duration: DASH.into(),
                    file_name: DASH.into(),
                };
            };
            let c = &rec.classification;
            let date = match rec.media.capture_start {
                Some(_) => opt_time(rec.media.capture_start, tz),
                None => rec
                    .record_date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| DASH.into()),
            };
            RecordLine {
                id: r.id.clone(),
                visible: true,
                playable: r.playable,
                thumbnail: r.thumbnail,
                cases: r
                    .cases
                    .iter()
                    .map(|k| CaseLine {
                        id: k.id.clone(),
                        number: k.number.clone(),
                        name: k.name.clone(),
                        class: k.level.map_or("muted", level_class),
                        verdict: k.level.map_or(DASH, |l| t.label(l)),
                    })
                    .collect(),
                case_name: text(&c.case_name),
                party: text(&c.party),
                officer: text(&c.officer),
                date,
                duration: duration(rec.media.duration_ms),
                file_name: rec.original_name.clone(),
            }
        })
        .collect()
}
