use liuhen_blob::MemoryStore;

use crate::conformance::{conformance, verified_read_detects_corruption};

#[test]
fn memory_conformance() {
    let store = MemoryStore::new();
    conformance(&store);
    verified_read_detects_corruption(&store, &|sha| store.corrupt_for_test(sha, 1000));
}
