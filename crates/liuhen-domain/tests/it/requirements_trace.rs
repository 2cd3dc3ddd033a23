//! `docs/requirements-trace.md` names every rule of REQUIREMENTS.md, and every test it
//! names exists in the repository.
//!
//! REQUIREMENTS.md is found at `LIUHEN_REQUIREMENTS` if set, else `../shared/REQUIREMENTS.md`
//! beside the repository (CI clones the repository next to `shared/`). Under `CI=true` a
//! missing file fails the test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|p| p.join("Cargo.lock").exists() && p.join("crates").is_dir())
        .expect("the workspace root above the crate")
        .to_owned()
}

fn requirements_path(root: &Path) -> PathBuf {
    match std::env::var_os("LIUHEN_REQUIREMENTS") {
        Some(p) => PathBuf::from(p),
        None => root.join("..").join("shared").join("REQUIREMENTS.md"),
    }
}

/// The rule numbers a requirements text defines: lines starting `- R<n>.<m> `.
fn defined_rules(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| is_rule(w))
        .map(str::to_owned)
        .collect()
}

fn is_rule(w: &str) -> bool {
    let Some(rest) = w.strip_prefix('R') else {
        return false;
    };
    let mut parts = rest.split('.');
    let ok =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// One table row of the trace: rule, status, the test names of its last column.
struct Row {
    rule: String,
    status: String,
    tests: Vec<String>,
}

fn trace_rows(text: &str) -> Vec<Row> {
    let mut out = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // "| R1.1 | status | code | tests |" splits into ["", R, status, code, tests, ""]
        if cells.len() < 6 || !is_rule(cells[1]) {
            continue;
        }
        let tests = cells[cells.len() - 2]
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        out.push(Row {
            rule: cells[1].to_owned(),
            status: cells[2].to_owned(),
            tests,
        });
    }
    out
}

/// Every `fn name` under `dir` in `.rs` files (a test function is one of them).
fn function_names(dir: &Path, out: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name()
                .is_some_and(|n| n != "target" && n != "node_modules")
            {
                function_names(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for part in text.split("fn ").skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
}

#[test]
fn requirements_trace_names_every_rule_and_existing_tests() {
    let root = repo_root();
    let req_path = requirements_path(&root);
    let requirements = match std::fs::read_to_string(&req_path) {
        Ok(t) => t,
        Err(e) => {
            liuhen_test_support::missing(&format!(
                "{} ({e}; set LIUHEN_REQUIREMENTS)",
                req_path.display()
            ));
            return;
        }
    };
    let rules = defined_rules(&requirements);
    assert!(rules.len() >= 40, "too few rules found: {rules:?}");
    let trace = std::fs::read_to_string(root.join("docs/requirements-trace.md"))
        .expect("docs/requirements-trace.md");
    let rows = trace_rows(&trace);
    let mut fns = BTreeSet::new();
    function_names(&root.join("crates"), &mut fns);

    let traced: BTreeSet<String> = rows.iter().map(|r| r.rule.clone()).collect();
    let missing: Vec<&String> = rules.difference(&traced).collect();
    assert!(
        missing.is_empty(),
        "rules missing from the trace: {missing:?}"
    );
    let unknown: Vec<&String> = traced.difference(&rules).collect();
    assert!(
        unknown.is_empty(),
        "the trace names rules REQUIREMENTS.md does not: {unknown:?}"
    );
    for r in &rows {
        if r.status.starts_with("not implemented") {
            assert!(r.tests.is_empty(), "{}: a gap names no test", r.rule);
            continue;
        }
        assert!(
            !r.tests.is_empty(),
            "{} ({}) names no test",
            r.rule,
            r.status
        );
        for t in &r.tests {
            assert!(
                fns.contains(t),
                "{}: no test `{t}` in the repository",
                r.rule
            );
        }
    }
}

/// The parsers above, on hand-written text.
#[test]
fn requirements_trace_parsers() {
    let req = "## R1\n- R1.1 A catalog\n- R1.2 (A2) x\n  - R9 not a rule\n- R2.10 ten\nR3.1 not a list item\n";
    assert_eq!(
        defined_rules(req),
        ["R1.1", "R1.2", "R2.10"].map(String::from).into()
    );
    let trace = "| R | s | c | t |\n|---|---|---|---|\n| R1.1 | done | `x::y` | `a_test`, `b_test` |\n| R6.3 | not implemented | — | — |\n";
    let rows = trace_rows(trace);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].tests, ["a_test", "b_test"]);
    assert!(rows[1].tests.is_empty());
    assert!(!is_rule("R1") && !is_rule("R1.x") && is_rule("R10.2"));
}
