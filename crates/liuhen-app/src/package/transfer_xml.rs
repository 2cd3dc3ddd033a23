//! The metadata of one audio-video record in an archive transfer package
//! (`data/metadata/<record id>.xml`), after DA/T 63-2017 (录音录像类电子档案元数据方案): the
//! element set is documented in `docs/archive-transfer.md` (§ 3), which is the contract;
//! [`REQUIRED`] lists the elements that must be present and non-empty.

/// What one record's metadata says; every value already formatted.
#[derive(Debug, Clone, Default)]
pub struct RecordMeta {
    pub record: String,
    pub bureau: String,
    pub agency: String,
    pub case_number: String,
    pub case_name: String,
    pub year: String,
    pub retention: String,
    pub retain_until: String,
    pub title: String,
    pub start: String,
    pub end: String,
    pub places: Vec<String>,
    pub steps: Vec<String>,
    pub officer: String,
    pub camera_operator: String,
    pub parties: Vec<String>,
    pub labels: Vec<String>,
    pub kind: String,
    pub duration: String,
    pub path: String,
    pub original_name: String,
    pub size: u64,
    pub format: String,
    pub video_codec: String,
    pub audio_codec: String,
    pub resolution: String,
    pub sha256: String,
    pub sm3: String,
    pub device: String,
    pub device_make: String,
    pub device_model: String,
    pub device_serial: String,
    pub stored_at: String,
    /// (action, time, log seq) of the record's log entries.
    pub events: Vec<(String, String, u64)>,
}

/// The root element.
pub const ROOT: &str = "录音录像类电子档案元数据";

/// Elements (slash paths below the root) that must be present with non-empty text.
pub const REQUIRED: &[&str] = &[
    "电子档案号",
    "来源/立档单位名称",
    "档号/案件编号",
    "档号/年度",
    "档号/保管期限",
    "内容描述/题名",
    "内容描述/摄录时间/开始",
    "内容描述/人物/执法人员",
    "内容描述/密级",
    "形式特征/类型",
    "计算机文件/计算机文件名",
    "计算机文件/计算机文件大小",
    "计算机文件/格式信息/格式名称",
    "计算机文件/数字摘要",
    "存储时间",
    "业务活动/活动",
];

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are left out.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

struct W {
    out: String,
    depth: usize,
}

impl W {
    fn leaf(&mut self, name: &str, text: &str) {
        self.leaf_attr(name, "", text);
    }

    fn leaf_attr(&mut self, name: &str, attrs: &str, text: &str) {
        let pad = "  ".repeat(self.depth);
        self.out
            .push_str(&format!("{pad}<{name}{attrs}>{}</{name}>\n", esc(text)));
    }

    fn open(&mut self, name: &str) {
        self.open_attr(name, "");
    }

    fn open_attr(&mut self, name: &str, attrs: &str) {
        let pad = "  ".repeat(self.depth);
        self.out.push_str(&format!("{pad}<{name}{attrs}>\n"));
        self.depth += 1;
    }

    fn close(&mut self, name: &str) {
        self.depth -= 1;
        let pad = "  ".repeat(self.depth);
        self.out.push_str(&format!("{pad}</{name}>\n"));
    }
}

/// The XML document of one record (UTF-8, two-space indentation, element order as
/// documented).
pub fn record_xml(m: &RecordMeta) -> String {
    let mut w = W {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        depth: 0,
    };
    w.open_attr(ROOT, " 标准=\"DA/T 63-2017\" 格式=\"liuhen-transfer/1\"");
    w.leaf("电子档案号", &m.record);
    w.open("来源");
    w.leaf("立档单位名称", &m.bureau);
    w.leaf("执法机构", &m.agency);
    w.close("来源");
    w.open("档号");
    w.leaf("案件编号", &m.case_number);
    w.leaf("年度", &m.year);
    w.leaf("保管期限", &m.retention);
    w.leaf("保管至", &m.retain_until);
    w.close("档号");
    w.open("内容描述");
    w.leaf("题名", &m.title);
    w.leaf("案件名称", &m.case_name);
    w.open("摄录时间");
    w.leaf("开始", &m.start);
    w.leaf("结束", &m.end);
    w.close("摄录时间");
    for p in &m.places {
        w.leaf("地点", p);
    }
    for s in &m.steps {
        w.leaf("执法环节", s);
    }
    w.open("人物");
    w.leaf("执法人员", &m.officer);
    w.leaf("摄录人员", &m.camera_operator);
    for p in &m.parties {
        w.leaf("当事人", p);
    }
    w.close("人物");
    let secret = if m.labels.is_empty() { "无" } else { "受控" };
    w.leaf("密级", secret);
    w.open("控制标识");
    for l in &m.labels {
        w.leaf("标识", l);
    }
    w.close("控制标识");
    w.close("内容描述");
    w.open("形式特征");
    w.leaf("类型", &m.kind);
    w.leaf("时长", &m.duration);
    w.close("形式特征");
    w.open("计算机文件");
    w.leaf("计算机文件名", &m.path);
    w.leaf("原始文件名", &m.original_name);
    w.leaf_attr("计算机文件大小", " 单位=\"字节\"", &m.size.to_string());
    w.open("格式信息");
    w.leaf("格式名称", &m.format);
    w.leaf("视频编码", &m.video_codec);
    w.leaf("音频编码", &m.audio_codec);
    w.leaf("分辨率", &m.resolution);
    w.close("格式信息");
    w.leaf_attr("数字摘要", " 算法=\"SHA-256\"", &m.sha256);
    w.leaf_attr("数字摘要", " 算法=\"SM3\"", &m.sm3);
    w.close("计算机文件");
    w.open("拍摄设备");
    w.leaf("设备名称", &m.device);
    w.leaf("设备制造商", &m.device_make);
    w.leaf("设备型号", &m.device_model);
    w.leaf("设备序列号", &m.device_serial);
    w.close("拍摄设备");
    w.leaf("存储时间", &m.stored_at);
    w.open("业务活动");
    for (action, at, seq) in &m.events {
        w.open_attr("活动", &format!(" 日志序号=\"{seq}\""));
        w.leaf("行为", action);
        w.leaf("时间", at);
        w.close("活动");
    }
    w.close("业务活动");
    w.close(ROOT);
    w.out
}

/// The text of the first element at `path` (slash-separated, below the root) of a document
/// this module wrote, for the integrity check; `None` when absent. Not a general XML
/// parser: it reads what [`record_xml`] writes.
pub fn text_at(xml: &str, path: &str) -> Option<String> {
    let mut rest = xml;
    let parts: Vec<&str> = path.split('/').collect();
    for (i, name) in parts.iter().enumerate() {
        let open = format!("<{name}");
        let at = rest.find(&open)?;
        rest = &rest[at + open.len()..];
        let gt = rest.find('>')?;
        rest = &rest[gt + 1..];
        if i == parts.len() - 1 {
            let end = rest.find(&format!("</{name}>"))?;
            return Some(
                rest[..end]
                    .trim()
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&apos;", "'")
                    .replace("&amp;", "&"),
            );
        }
    }
    None
}

/// The required elements absent or empty in `xml`.
pub fn missing_required(xml: &str) -> Vec<&'static str> {
    REQUIRED
        .iter()
        .copied()
        .filter(|p| text_at(xml, p).is_none_or(|t| t.is_empty()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_metadata_has_every_required_element_and_escapes_text() {
        let m = RecordMeta {
            record: "0190-a".into(),
            bureau: "甲局".into(),
            case_number: "甲应急罚〔2026〕1号".into(),
            year: "2026".into(),
            retention: "永久".into(),
            title: "现场 <执法> & 检查.mp4".into(),
            start: "2026-03-02T10:00:00+08:00".into(),
            officer: "张伟".into(),
            kind: "视频".into(),
            path: "data/originals/0190-a_现场.mp4".into(),
            size: 12,
            format: "MP4 / MOV".into(),
            sha256: "ab".repeat(32),
            stored_at: "2026-03-02T12:00:00+08:00".into(),
            labels: vec!["personal_info".into()],
            events: vec![(
                "record.ingested".into(),
                "2026-03-02T12:00:00+08:00".into(),
                3,
            )],
            ..Default::default()
        };
        let xml = record_xml(&m);
        assert!(
            xml.contains("<题名>现场 &lt;执法&gt; &amp; 检查.mp4</题名>"),
            "{xml}"
        );
        assert_eq!(
            text_at(&xml, "内容描述/题名").unwrap(),
            "现场 <执法> & 检查.mp4"
        );
        assert_eq!(text_at(&xml, "内容描述/密级").unwrap(), "受控");
        assert_eq!(
            text_at(&xml, "内容描述/控制标识/标识").unwrap(),
            "personal_info"
        );
        assert_eq!(missing_required(&xml), Vec::<&str>::new());
        let without = xml.replace("<执法人员>张伟</执法人员>", "<执法人员></执法人员>");
        assert_eq!(missing_required(&without), vec!["内容描述/人物/执法人员"]);
    }
}
