//! A believable bureau for demonstrations and trials: three units with their departments,
//! an account for every role, devices in the configuration, and a few dozen recordings
//! made with ffmpeg (`testsrc2`/`sine`) and ingested through the ordinary ingest path.
//! Nothing here bypasses custody: every account and every record is logged as usual.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use liuhen_domain::{Classification, Role};

use crate::accounts::NewUser;
use crate::ingest::{FileStatus, IngestOptions, NoProgress};
use crate::{AppError, Custody};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "Liuhen@2026demo";

pub(crate) const GX: &str = "平顶山高新区应急管理局";
const WD: &str = "卫东区应急管理局";
const XH: &str = "新华区应急管理局";

/// Devices of the demo bureau, for `liuhen.toml` (written before the data directory opens,
/// so that recordings named only by device are classified from it).
pub const DEVICES_TOML: &str = r#"# Demo bureau devices (written by `liuhen demo`).
[[devices]]
name = "DSJ-GX-01"
agency = "平顶山高新区应急管理局"
officer = "张伟"

[[devices]]
name = "DSJ-GX-02"
agency = "平顶山高新区应急管理局"
officer = "李娜"

[[devices]]
name = "DSJ-GX-03"
agency = "平顶山高新区应急管理局"
officer = "王强"

[[devices]]
name = "DSJ-WD-01"
agency = "卫东区应急管理局"
officer = "王芳"

[[devices]]
name = "DSJ-XH-01"
agency = "新华区应急管理局"
officer = "马超"
"#;

/// One demo account as printed for the operator.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub roles: Vec<Role>,
    pub unit: Option<&'static str>,
    pub department: Option<&'static str>,
    /// Administrators must enrol a second factor (TOTP) at first sign-in.
    pub needs_totp: bool,
}

#[derive(Debug, Clone, Default)]
pub struct DemoReport {
    pub accounts: Vec<DemoAccount>,
    pub recordings: usize,
    pub late: usize,
    pub probe_errors: usize,
    pub failed: Vec<String>,
    /// Cases made on the recordings (see `demo_cases`).
    pub cases: usize,
}

fn account(
    username: &'static str,
    display_name: &'static str,
    roles: &[Role],
    unit: Option<&'static str>,
    department: Option<&'static str>,
) -> DemoAccount {
    DemoAccount {
        username,
        display_name,
        roles: roles.to_vec(),
        unit,
        department,
        needs_totp: liuhen_domain::requires_second_factor(roles),
    }
}

/// Every role of the actors table, spread over the three units.
pub fn accounts() -> Vec<DemoAccount> {
    use Role::*;
    let (dd, wh, fg, bg) = (
        Some("执法监察大队"),
        Some("危险化学品监管科"),
        Some("政策法规科"),
        Some("办公室"),
    );
    vec![
        account("sysadmin", "系统管理员", &[SystemAdmin], Some(GX), bg),
        account("secadmin", "安全保密管理员", &[SecurityAdmin], Some(GX), bg),
        account("auditor", "安全审计员", &[AuditAdmin], Some(GX), bg),
        account("zhangwei", "张伟", &[Officer], Some(GX), dd),
        account("lina", "李娜", &[Officer], Some(GX), wh),
        account(
            "wangqiang",
            "王强",
            &[Officer, CameraOperator],
            Some(GX),
            dd,
        ),
        account("liuyang", "刘洋", &[CameraOperator], Some(GX), dd),
        account("zhaomin", "赵敏", &[RecordsKeeper], Some(GX), bg),
        account("guolei", "郭磊", &[CaseDepartment], Some(GX), wh),
        account("chenjing", "陈静", &[LegalOffice], Some(GX), fg),
        account("yangjun", "杨军", &[EnforcementLeader], Some(GX), None),
        account("zhouli", "周丽", &[DeputyHead], Some(GX), None),
        account("sunpeng", "孙鹏", &[DepartmentHead], Some(GX), dd),
        account("wufang", "吴芳", &[Supervisor], Some(GX), fg),
        account("xuming", "徐明", &[ArchiveKeeper], Some(GX), bg),
        account(
            "gongan",
            "市公安局调证人员",
            &[ExternalRequester],
            None,
            None,
        ),
        account("wangfang", "王芳", &[Officer], Some(WD), dd),
        account("hejing", "何静", &[RecordsKeeper], Some(WD), bg),
        account("machao", "马超", &[Officer], Some(XH), dd),
        account("luomin", "罗敏", &[RecordsKeeper], Some(XH), bg),
    ]
}

#[derive(Clone, Copy)]
enum Form {
    /// H.264/AAC in MP4 (plays in the browser as is).
    Mp4,
    /// HEVC in Matroska (needs a proxy to play).
    HevcMkv,
    Jpeg,
    Wav,
    /// An MP4 cut in half: its metadata cannot be read.
    Truncated,
}

struct Plan {
    officer_user: &'static str,
    officer: &'static str,
    agency: &'static str,
    device: &'static str,
    case_name: &'static str,
    party: &'static str,
    form: Form,
    /// Hours before now that the recording started.
    hours_ago: i64,
    /// Out-of-town return, hours before now.
    returned_hours_ago: Option<i64>,
}

const CASES: [(&str, &str); 12] = [
    ("某化工有限公司安全生产检查", "平顶山市某化工有限公司"),
    ("某加油站动火作业违规案", "平顶山市某石化加油站"),
    ("某烟花爆竹经营部违规储存案", "某烟花爆竹经营部"),
    ("某建材有限公司粉尘涉爆专项检查", "平顶山某建材有限公司"),
    ("某液化气站重大事故隐患整改复查", "某液化气站"),
    ("某煤业有限公司有限空间作业检查", "平顶山某煤业有限公司"),
    ("某冶金有限公司特种作业人员无证上岗案", "某冶金有限公司"),
    ("某物流有限公司危险化学品运输检查", "某物流有限公司"),
    ("某食品有限公司液氨制冷检查", "某食品有限公司"),
    ("王某无证经营危险化学品案", "王某"),
    ("某机械制造有限公司应急预案未备案案", "某机械制造有限公司"),
    ("某商场消防通道占用检查", "某商场"),
];

fn plans() -> Vec<Plan> {
    let officers: [(&str, &str, &str, &str); 5] = [
        ("zhangwei", "张伟", GX, "DSJ-GX-01"),
        ("lina", "李娜", GX, "DSJ-GX-02"),
        ("wangqiang", "王强", GX, "DSJ-GX-03"),
        ("wangfang", "王芳", WD, "DSJ-WD-01"),
        ("machao", "马超", XH, "DSJ-XH-01"),
    ];
    let mut out = Vec::new();
    for i in 0..32usize {
        let (user, name, agency, device) = officers[i % officers.len()];
        let (case_name, party) = CASES[(i * 7) % CASES.len()];
        let form = match i % 8 {
            3 => Form::Jpeg,
            5 => Form::Wav,
            6 if i % 16 == 6 => Form::HevcMkv,
            7 if i == 23 => Form::Truncated,
            _ => Form::Mp4,
        };
        // Half today (on time); a quarter weeks ago with an out-of-town return yesterday
        // (on time); a quarter weeks ago without one (late).
        let (hours_ago, returned) = match i % 4 {
            0 | 1 => (1 + (i as i64 * 3) % 20, None),
            2 => (48 + (i as i64 * 29) % 400, Some(6 + i as i64 % 12)),
            _ => (30 + (i as i64 * 37) % 800, None),
        };
        out.push(Plan {
            officer_user: user,
            officer: name,
            agency,
            device,
            case_name,
            party,
            form,
            hours_ago,
            returned_hours_ago: returned,
        });
    }
    out
}

/// Whether `ffmpeg` can be run.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn ffmpeg(args: &[String], out: &Path) -> Result<(), AppError> {
    let output = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .output()
        .map_err(|e| AppError::io(Path::new("ffmpeg"), e))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(AppError::Invalid(format!(
            "ffmpeg failed for {}: {}",
            out.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )))
    }
}

fn generate(plan: &Plan, n: usize, at: Timestamp, dir: &Path) -> Result<PathBuf, AppError> {
    let local = at.to_zoned_datetime(jiff::tz::TimeZone::fixed(jiff::tz::offset(8)));
    let stem = format!(
        "{}_{}_{}_{:04}",
        local.strftime("%Y%m%d"),
        local.strftime("%H%M%S"),
        plan.device,
        n + 1
    );
    let s = |v: &str| v.to_owned();
    let created = format!("creation_time={}", at.strftime("%Y-%m-%dT%H:%M:%S.000000Z"));
    let secs = (4 + n % 5).to_string();
    let av = |size: &str| {
        vec![
            s("-f"),
            s("lavfi"),
            s("-i"),
            format!("testsrc2=size={size}:rate=25:duration={secs}"),
            s("-f"),
            s("lavfi"),
            s("-i"),
            format!("sine=frequency={}:duration={secs}", 300 + n * 20),
            s("-shortest"),
            s("-metadata"),
            created.clone(),
        ]
    };
    let (name, args) = match plan.form {
        Form::Mp4 | Form::Truncated => {
            let mut a = av("640x360");
            a.extend(
                [
                    "-c:v",
                    "libx264",
                    "-preset",
                    "ultrafast",
                    "-pix_fmt",
                    "yuv420p",
                ]
                .map(s),
            );
            a.extend(["-c:a", "aac"].map(s));
            if matches!(plan.form, Form::Mp4) {
                // Index first, as cameras that stream do; the truncated one keeps it last,
                // so cutting the file loses it.
                a.extend(["-movflags", "+faststart"].map(s));
            }
            (format!("{stem}.MP4"), a)
        }
        Form::HevcMkv => {
            let mut a = av("640x360");
            a.extend(
                [
                    "-c:v",
                    "libx265",
                    "-preset",
                    "ultrafast",
                    "-x265-params",
                    "log-level=error",
                ]
                .map(s),
            );
            a.extend(["-c:a", "aac"].map(s));
            (format!("{stem}.MKV"), a)
        }
        Form::Jpeg => (
            format!("IMG_{stem}.JPG"),
            vec![
                s("-f"),
                s("lavfi"),
                s("-i"),
                // A different size each, so no two photos are the same content.
                format!("testsrc2=size={}x720", 1280 + 16 * n),
                s("-frames:v"),
                s("1"),
            ],
        ),
        Form::Wav => (
            format!("REC_{stem}.WAV"),
            vec![
                s("-f"),
                s("lavfi"),
                s("-i"),
                format!("sine=frequency=520:duration={secs}"),
                s("-metadata"),
                created.clone(),
            ],
        ),
    };
    let path = dir.join(name);
    ffmpeg(&args, &path)?;
    if matches!(plan.form, Form::Truncated) {
        let bytes = std::fs::read(&path).map_err(|e| AppError::io(&path, e))?;
        std::fs::write(&path, &bytes[..bytes.len() / 3]).map_err(|e| AppError::io(&path, e))?;
    }
    Ok(path)
}

/// The legal qualification certificate number the demo records for 陈静 (chenjing).
pub const DEMO_LEGAL_CERTIFICATE: &str = "A20194104000123";

impl Custody {
    /// Fills a fresh custody with the demo bureau. `work` is a scratch folder for the
    /// generated files; `progress` hears one line per step.
    pub async fn fill_demo(
        &self,
        work: &Path,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<DemoReport, AppError> {
        let mut report = DemoReport::default();
        let mut ids = std::collections::HashMap::new();
        for a in accounts() {
            let id = self
                .create_user_unchecked(
                    "demo",
                    NewUser {
                        username: a.username.into(),
                        display_name: a.display_name.into(),
                        password: DEMO_PASSWORD.into(),
                        unit: a.unit.map(str::to_owned),
                        department: a.department.map(str::to_owned),
                        roles: a.roles.clone(),
                    },
                )
                .await?;
            progress(&format!("账户 {} ({})", a.display_name, a.username));
            ids.insert(a.username, id);
            report.accounts.push(a);
        }
        let now = self.now();
        // The legal office's reviewer holds a legal qualification certificate (R5).
        if let Some(id) = ids.get("chenjing") {
            self.record_qualification("demo", id, DEMO_LEGAL_CERTIFICATE, now)
                .await?;
        }
        std::fs::create_dir_all(work).map_err(|e| AppError::io(work, e))?;
        let mut stored = Vec::new();
        for (n, plan) in plans().iter().enumerate() {
            let start = now - SignedDuration::from_hours(plan.hours_ago);
            let dir = work.join(format!("{n:02}"));
            std::fs::create_dir_all(&dir).map_err(|e| AppError::io(&dir, e))?;
            let path = generate(plan, n, start, &dir)?;
            // Every third recording names only its device: agency and officer then come
            // from the device configuration.
            let by_device = n % 3 == 2;
            let opts = IngestOptions {
                actor: ids.get(plan.officer_user).cloned().unwrap_or_default(),
                classification: Classification {
                    agency: (!by_device).then(|| plan.agency.to_owned()),
                    device: Some(plan.device.to_owned()),
                    officer: (!by_device).then(|| plan.officer.to_owned()),
                    case_name: Some(plan.case_name.to_owned()),
                    party: Some(plan.party.to_owned()),
                    camera_operator: (!by_device).then(|| plan.officer.to_owned()),
                },
                returned_at: plan
                    .returned_hours_ago
                    .map(|h| now - SignedDuration::from_hours(h)),
                clear_source: false,
                officer_id: None,
                source: None,
            };
            let summary = self
                .ingest(std::slice::from_ref(&path), &opts, Arc::new(NoProgress))
                .await;
            for r in &summary.reports {
                match r.status {
                    FileStatus::Stored => {
                        stored.push((n, r.record_id.clone().unwrap_or_default()));
                        report.recordings += 1;
                        report.late += usize::from(r.late);
                        report.probe_errors += usize::from(r.probe_error.is_some());
                    }
                    FileStatus::Failed => report.failed.push(format!(
                        "{}: {}",
                        r.path,
                        r.error.as_deref().unwrap_or("")
                    )),
                    _ => {}
                }
            }
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            progress(&format!("记录 {name} — {}", plan.case_name));
        }
        report.cases = self.fill_demo_cases(&ids, &stored, now, progress).await?;
        self.checkpoint().await?;
        Ok(report)
    }
}
