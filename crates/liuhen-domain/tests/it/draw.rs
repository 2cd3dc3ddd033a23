//! Reproducible draws: RFC 3797's own worked example, hand tables for the SHA-256 and SM3
//! methods (expected values computed with Python's `hashlib`, an independent
//! implementation), and a chi-squared check of uniformity over many deterministic draws.

use liuhen_domain::draw::{
    DrawError, Method, canonical_population, checkpoint_key, in_biased_tail, population_digest,
    rfc3797_key, sample_size, select,
};

/// RFC 3797 section 6: three public sources, a pool of 25 numbered volunteers; the RFC's
/// table lists the selected volunteers in order (the first ten are the NomCom, the
/// eleventh the first alternate). Inputs and list copied from the RFC.
#[test]
fn rfc3797_worked_example() {
    let key = rfc3797_key(&["9319", "2 5 12 8 10", "9 18 26 34 41 45"]).unwrap();
    assert_eq!(key, "9319./2.5.8.10.12./9.18.26.34.41.45./");
    let picked = select(Method::Rfc3797, key.as_bytes(), 25, 11).unwrap();
    let numbered: Vec<usize> = picked.iter().map(|i| i + 1).collect();
    assert_eq!(numbered, [17, 7, 2, 16, 25, 23, 8, 24, 19, 13, 22]);
}

#[test]
fn rfc3797_key_refuses_what_is_not_a_number() {
    for bad in ["", "12 x", "-3", "1.5"] {
        assert!(
            matches!(rfc3797_key(&[bad]), Err(DrawError::BadSource(_))),
            "{bad:?}"
        );
    }
}

#[test]
fn sha256_and_sm3_methods_match_an_independent_implementation() {
    // python3: for j in range(5): p = struct.pack('>H', j);
    //   v = int.from_bytes(hashlib.new(alg, p + key + p).digest(), 'big'); pool.pop(v % len(pool))
    let key = checkpoint_key("test", Method::Sha256, 5, "00", 7, "ab");
    assert_eq!(
        key,
        "liuhen-draw/1\ndraw:test\nmethod:sha256\ncount:5\npopulation:00\ncheckpoint:7:ab\n"
    );
    let cases = [
        (Method::Sha256, [6, 8, 5, 0, 4]),
        (Method::Sm3, [10, 13, 7, 4, 11]),
    ];
    for (method, expected) in cases {
        assert_eq!(
            select(method, key.as_bytes(), 20, 5).unwrap(),
            expected,
            "{method:?}"
        );
    }
}

#[test]
fn same_inputs_same_result_and_every_pick_distinct() {
    for method in Method::ALL {
        let a = select(method, b"k", 1000, 300).unwrap();
        assert_eq!(a, select(method, b"k", 1000, 300).unwrap());
        assert_ne!(a, select(method, b"k2", 1000, 300).unwrap());
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 300);
        assert!(a.iter().all(|i| *i < 1000));
    }
    assert_eq!(select(Method::Sha256, b"k", 5, 5).unwrap().len(), 5);
    assert_eq!(
        select(Method::Sha256, b"k", 5, 6),
        Err(DrawError::TooMany {
            count: 6,
            population: 5
        })
    );
    assert_eq!(
        select(Method::Sha256, b"k", 0, 0),
        Err(DrawError::EmptyPopulation)
    );
}

/// 20,000 draws of 3 out of 10 with keys `chi-0`, `chi-1`, …: each item should be picked
/// 6,000 times. Chi-squared with 9 degrees of freedom must stay under 27.88 (p = 0.001);
/// the keys are fixed, so the outcome never changes from run to run. A draw that favoured
/// one residue (e.g. plain `value mod n` over a small value) fails by far.
#[test]
fn chi_squared_shows_no_bias() {
    for method in Method::ALL {
        let mut counts = [0u64; 10];
        let draws = 20_000u64;
        for i in 0..draws {
            for p in select(method, format!("chi-{i}").as_bytes(), 10, 3).unwrap() {
                counts[p] += 1;
            }
        }
        let expected = (draws * 3) as f64 / 10.0;
        let chi2: f64 = counts
            .iter()
            .map(|c| (*c as f64 - expected).powi(2) / expected)
            .sum();
        assert!(
            chi2 < 27.88,
            "{method:?}: chi² = {chi2:.2}, counts {counts:?}"
        );
        // Position of the first pick alone is uniform too.
        let mut first = [0u64; 10];
        for i in 0..draws {
            first[select(method, format!("chi-{i}").as_bytes(), 10, 1).unwrap()[0]] += 1;
        }
        let e = draws as f64 / 10.0;
        let chi2: f64 = first.iter().map(|c| (*c as f64 - e).powi(2) / e).sum();
        assert!(chi2 < 27.88, "{method:?} first pick: chi² = {chi2:.2}");
    }
}

#[test]
fn biased_tail_is_the_incomplete_top_block() {
    let mut all_ff = [0xFFu8; 32];
    // 2^256 mod 3 = 1: only the largest value is in the tail.
    assert!(in_biased_tail(&all_ff, 3));
    all_ff[31] = 0xFE;
    assert!(!in_biased_tail(&all_ff, 3));
    // 2^256 mod 6 = 4: the top four values.
    all_ff[31] = 0xFC;
    assert!(in_biased_tail(&all_ff, 6));
    all_ff[31] = 0xFB;
    assert!(!in_biased_tail(&all_ff, 6));
    // A power of two divides 2^256: no tail.
    assert!(!in_biased_tail(&[0xFF; 32], 8));
    assert!(!in_biased_tail(&[0u8; 32], 3));
}

#[test]
fn sample_size_rounds_up_and_respects_the_minimum() {
    // (population, permille, minimum, expected)
    let table = [
        (100, 50, 0, 5),
        (101, 50, 0, 6),
        (10, 50, 3, 3),
        (2, 50, 5, 2),
        (1000, 0, 0, 0),
        (20, 1000, 0, 20),
    ];
    for (n, pm, min, want) in table {
        assert_eq!(sample_size(n, pm, min), want, "{n} {pm} {min}");
    }
}

#[test]
fn population_is_sorted_and_refuses_blanks_and_repeats() {
    let p = canonical_population(&["b", " a", "张伟", "c "]).unwrap();
    assert_eq!(p, ["a", "b", "c", "张伟"]);
    // python3: hashlib.sha256(b"a\nb\nc\n" + "张伟\n".encode()).hexdigest()
    assert_eq!(population_digest(&p), PYTHON_DIGEST);
    assert_eq!(
        canonical_population(&["a", "b", "a"]),
        Err(DrawError::Duplicate("a".into()))
    );
    assert_eq!(canonical_population(&["a", " "]), Err(DrawError::BlankItem));
    assert_eq!(
        canonical_population::<&str>(&[]),
        Err(DrawError::EmptyPopulation)
    );
}

const PYTHON_DIGEST: &str = "f840b75e062721a02893c7ab101ff7fbceab33c76aa5f5014eafa9fa3125f972";
