//! The HTTP authorization matrix written out by hand (issue 11): the second, independent
//! expectation beside `decide`.

/// The matrix written out by hand from the shipped policy (`access/default.toml`), not
/// computed by `decide`: per person, per record state in the order of the test's `states`
/// (own case, other case, archived, labelled, secret, granted, expired grant, revoked grant,
/// no case, other unit), the five probes View, Play, Download, Label, Edit; `1` = allowed.
/// Every record is of 高新区局 (GX) except "other unit" (卫东区局, WD, 王芳's); "own case" is
/// 张伟's (GX) in an open case of his team; the others are 李娜's, an officer without an
/// account (nobody's own); cases are handled by 危险化学品监管科 (`DEPT`). Grants (view and
/// play) go to [`GRANTEES`]; the expired ones were made so by editing the database, so their
/// holders are refused everything on that record (`binding_broken`).
#[rustfmt::skip]
pub(super) const ORACLE: &[(&str, [&str; 10])] = &[
    //                own      other    archived labelled secret   granted  expired  revoked  no case  other unit
    // Own records and the team's, in place; else a grant.
    ("officer",       ["11000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    ("camera",        ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    // The unit's keeper: sees, labels, edits all of the unit (cleared for every label);
    // plays and downloads only where no open case is (R4.9).
    ("keeper",        ["10011", "10011", "11111", "11111", "11111", "11111", "00000", "11111", "11111", "00000"]),
    // The handling department (DEPT): its cases' records, personal_info cleared, not
    // state_secret; no case, no department.
    ("dept",          ["11000", "11000", "11000", "11000", "00000", "11000", "00000", "11000", "00000", "00000"]),
    ("dept2",         ["11000", "11000", "11000", "11000", "00000", "11000", "00000", "11000", "00000", "00000"]),
    ("other_dept",    ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    // No rule on records: grants only.
    ("legal",         ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    ("leader",        ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    ("deputy",        ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    ("head",          ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    // Supervision: the unit, open cases too, personal_info cleared, not state_secret.
    ("supervisor",    ["11000", "11000", "11000", "11000", "00000", "11000", "00000", "11000", "11000", "00000"]),
    // The archive: archived cases only, not cleared for personal_info.
    ("archive",       ["00000", "00000", "11000", "00000", "00000", "11000", "00000", "11000", "00000", "00000"]),
    ("external",      ["00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000"]),
    // 卫东区局: their own record; GX's only through a grant.
    ("other_unit",    ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "11000"]),
    ("other_zhangwei",["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "00000"]),
    ("other_keeper",  ["00000", "00000", "00000", "00000", "00000", "11000", "00000", "00000", "00000", "11111"]),
    // The three administrators: no record, but the security administrator labels any.
    ("sysadmin",      ["00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000"]),
    ("secadmin",      ["00010", "00010", "00010", "00010", "00010", "00010", "00010", "00010", "00010", "00010"]),
    ("auditor",       ["00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000", "00000"]),
];

/// Who files a view request and gets it approved (`grant_all`): every role that may file
/// one (`access.request`), of either unit — not the outside requester (registered by the
/// keeper), not the three administrators.
pub(super) const GRANTEES: [&str; 15] = [
    "officer",
    "camera",
    "keeper",
    "dept",
    "dept2",
    "other_dept",
    "legal",
    "leader",
    "deputy",
    "head",
    "supervisor",
    "archive",
    "other_unit",
    "other_zhangwei",
    "other_keeper",
];

/// The hand-written expectation for `key` on state number `state`, probe number `probe`.
pub(super) fn oracle(key: &str, state: usize, probe: usize) -> bool {
    let (_, row) = ORACLE
        .iter()
        .find(|(k, _)| *k == key)
        .unwrap_or_else(|| panic!("{key} is missing from the oracle"));
    row[state].as_bytes()[probe] == b'1'
}
