//! libFuzzer target: HTTP `Range` (`liuhen_domain::headers::parse_range`). The input is
//! the header (the corpus in corpus/range/ is shared with the stable loop), judged against
//! bodies of several sizes. Properties: no panic; a part is within the body
//! (start ≤ end < size); a header not starting `bytes=` asks the whole body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use liuhen_domain::headers::{RangeAsk, parse_range};

const SIZES: [u64; 6] = [0, 1, 2, 10, 4096, u64::MAX];

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    for size in SIZES {
        match parse_range(Some(header), size) {
            RangeAsk::Part(a, b) => assert!(a <= b && b < size, "{header:?} {size}: {a}-{b}"),
            RangeAsk::Full | RangeAsk::Unsatisfiable => {}
        }
        if !header.trim().starts_with("bytes=") {
            assert_eq!(parse_range(Some(header), size), RangeAsk::Full);
        }
    }
});
