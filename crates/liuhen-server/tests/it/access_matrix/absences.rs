//! Issue 11's absences in the server's sources (ARCHITECTURE.md, invariants).

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).unwrap();
            out.push((path, text));
        }
    }
    out
}

/// Issue 11, as absences (ARCHITECTURE.md): no case handler authorizes by itself (the use
/// cases do), no page decides a permission from a role, and the server never reaches the
/// database past the use cases.
#[test]
fn handlers_leave_authorization_and_the_database_to_the_use_cases() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    for (path, text) in sources(&src) {
        let name = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let case_handler = name == "cases.rs" || name.starts_with("cases/");
            let authorizes = ["authorize_case(", "authorize_link(", "authorize_record("]
                .iter()
                .any(|p| code.contains(p));
            if (case_handler && authorizes) || code.contains(".db()") {
                found.push(format!("{name}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}
