//! The domain crate has no presentation text: no Chinese (or other CJK) outside comments,
//! tests and the shipped default configuration (`*.toml` data). Labels and messages are
//! codes, worded by the server's catalogs (`crates/liuhen-server/i18n/*.toml`).

use std::collections::BTreeMap;
use std::path::Path;

/// Files that still word messages or labels themselves, with how many code lines carry
/// CJK text: the count may only go down, and a file at 0 leaves the table. Moving them to
/// `Message` codes and catalog labels is issue 11 ("One edge for errors").
const NOT_YET: &[(&str, usize)] = &[
    ("access.rs", 28),
    ("approval.rs", 11),
    ("audit.rs", 93),
    ("auth.rs", 9),
    ("binding.rs", 3),
    ("case.rs", 32),
    ("checklist.rs", 37),
    ("compliance.rs", 30),
    ("compliance/continuity.rs", 4),
    ("compliance/implied.rs", 1),
    ("decision.rs", 17),
    ("decision/calendar.rs", 7),
    ("decision/catalog.rs", 15),
    ("decision/gate.rs", 14),
    ("disposal_list.rs", 16),
    ("draw.rs", 6),
    ("headers.rs", 3),
    ("hold.rs", 5),
    ("lists.rs", 9),
    ("media.rs", 4),
    ("numbering.rs", 6),
    ("org.rs", 1),
    ("playback.rs", 4),
    ("proposal.rs", 7),
    ("register.rs", 10),
    ("review.rs", 16),
    ("station.rs", 3),
    ("supervision.rs", 7),
    ("supervision/inspection.rs", 15),
    ("totp.rs", 3),
];

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3000..=0x303f | 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0xf900..=0xfaff | 0xff00..=0xffef)
}

/// Code lines of a source file (comments and `#[cfg(test)] mod … { … }` at its end left
/// out) that carry CJK characters.
fn cjk_lines(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut n = 0;
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            let next = lines.get(i + 1).map_or("", |l| l.trim());
            if next.starts_with("mod ") && next.ends_with('{') {
                break;
            }
        }
        if t.starts_with("//") {
            continue;
        }
        let code = line.split("//").next().unwrap_or("");
        if code.chars().any(is_cjk) {
            n += 1;
        }
    }
    n
}

fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, usize>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, root, out);
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy();
        if !name.ends_with(".rs") || name.ends_with("tests.rs") {
            continue;
        }
        let n = cjk_lines(&std::fs::read_to_string(&path).unwrap());
        if n > 0 {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(rel, n);
        }
    }
}

#[test]
fn the_domain_crate_has_no_presentation_text() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = BTreeMap::new();
    walk(&root, &root, &mut found);
    let allowed: BTreeMap<&str, usize> = NOT_YET.iter().copied().collect();
    let mut wrong = Vec::new();
    for (file, n) in &found {
        match allowed.get(file.as_str()) {
            Some(max) if n <= max => {}
            Some(max) => wrong.push(format!("{file}: {n} lines with CJK text (at most {max})")),
            None => wrong.push(format!("{file}: {n} lines with CJK text (none allowed)")),
        }
    }
    for file in allowed.keys() {
        if !found.contains_key(*file) {
            wrong.push(format!("{file} is clean now: drop it from NOT_YET"));
        }
    }
    assert!(
        wrong.is_empty(),
        "presentation text in liuhen-domain (word it in the server's catalogs):\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_scan_finds_cjk_in_code_but_not_in_comments_or_tests() {
    let text = "// 注释\nfn a() -> &'static str { \"代码\" } // 注释\n/// 文档\n#[cfg(test)]\nmod tests {\n    const X: &str = \"测试\";\n}\n";
    assert_eq!(cjk_lines(text), 1);
    assert_eq!(cjk_lines("fn b() {}\n"), 0);
}
