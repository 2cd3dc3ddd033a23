//! Fuzz-ish: random, truncated and bit-flipped inputs never panic the builtin prober.

use liuhen_media::probe_builtin_bytes;

use crate::corpus_file;

/// xorshift64*: deterministic, so a failure is reproducible from its iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Magic numbers that steer random bytes into each parser.
const PREFIXES: &[&[u8]] = &[
    b"",
    b"\0\0\0\x18ftypmp42",
    b"\0\0\0\x08moov",
    b"\x1a\x45\xdf\xa3",
    b"\xff\xd8\xff\xe1",
    b"RIFF\xff\xff\xff\x7fWAVE",
    b"RIFF\xff\xff\xff\x7fAVI ",
    b"\x89PNG\r\n\x1a\n",
];

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for i in 0..2_000 {
        let prefix = PREFIXES[i % PREFIXES.len()];
        let len = rng.below(4096) as usize;
        let mut data = prefix.to_vec();
        // Small values dominate box sizes and counts in real files; mix them in.
        data.extend((0..len).map(|_| match rng.below(4) {
            0 => 0,
            1 => rng.below(16) as u8,
            _ => rng.next() as u8,
        }));
        let _ = probe_builtin_bytes(&data);
    }
}

fn mutate_everywhere(name: &str, region: usize) {
    let data = std::fs::read(corpus_file(name)).unwrap();
    let data = &data[..data.len().min(region)];
    for cut in 0..=data.len() {
        let _ = probe_builtin_bytes(&data[..cut]);
    }
    let mut flipped = data.to_vec();
    for bit in 0..data.len() * 8 {
        flipped[bit / 8] ^= 1 << (bit % 8);
        let _ = probe_builtin_bytes(&flipped);
        flipped[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn every_truncation_and_bit_flip_of_an_mp4_header() {
    // The whole file is 2,745 bytes: ftyp, moov with two tracks and metadata.
    mutate_everywhere("sony-a7-xavc.MP4", 4096);
}

#[test]
fn every_truncation_and_bit_flip_of_a_quicktime_metadata_header() {
    // meta.mov's moov (with keys/ilst metadata) is at the end; its head is ftyp + mdat.
    let data = std::fs::read(corpus_file("meta.mov")).unwrap();
    let moov = data.windows(4).rposition(|w| w == b"moov").unwrap() - 4;
    let mut small = data[..20].to_vec(); // ftyp
    small.extend_from_slice(&data[moov..(moov + 3000).min(data.len())]);
    for cut in 0..=small.len() {
        let _ = probe_builtin_bytes(&small[..cut]);
    }
    for bit in 0..small.len() * 8 {
        small[bit / 8] ^= 1 << (bit % 8);
        let _ = probe_builtin_bytes(&small);
        small[bit / 8] ^= 1 << (bit % 8);
    }
}

#[test]
fn every_truncation_and_bit_flip_of_matroska_and_jpeg_headers() {
    mutate_everywhere("webm_480.webm", 1024);
    mutate_everywhere("exif-no-tz.jpg", 1024);
}
