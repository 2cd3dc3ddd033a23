//! Prints what both probers find in the given files.

use std::path::Path;

use liuhen_media::{ProbeConfig, probe, probe_builtin};

fn main() {
    let cfg = ProbeConfig::detect();
    for arg in std::env::args().skip(1) {
        let path = Path::new(&arg);
        println!("== {arg}");
        println!("probe:   {:?}", probe(path, &cfg));
        println!("builtin: {:?}", probe_builtin(path));
    }
}
