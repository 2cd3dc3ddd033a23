use liuhen_blob::MemoryStore;

use crate::conformance::{
    conformance, dispose_conformance, notes_conformance, ts, verified_read_detects_corruption,
};

#[test]
fn memory_conformance() {
    let store = MemoryStore::new();
    conformance(&store);
    notes_conformance(&store);
    verified_read_detects_corruption(&store, &|sha| store.corrupt_for_test(sha, 1000));
    dispose_conformance(
        &store,
        ts("2035-01-01T00:00:00Z"),
        ts("2041-01-01T00:00:00Z"),
    );
}
