//! Hashing while streaming: SHA-256 on the caller's thread, SM3 on its own thread.
//!
//! SM3 (~282 MiB/s) is about five times slower than SHA-NI SHA-256 (~1.4 GiB/s), so it
//! would dominate ingest if run inline. Chunks are shared with the SM3 thread through an
//! `Arc` over a small bounded channel, so memory stays at a few chunks whatever the input size.
//! A hashed chunk goes back to a small process-wide pool and is read into again, so a
//! many-file offload does not allocate (and page-fault) a fresh megabyte per chunk.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use liuhen_domain::{Sha256Digest, Sm3Digest};
use sha2::{Digest as _, Sha256};
use sm3::Sm3;

use crate::{BlobError, Digests};

/// Size of the chunks read from a source and handed to the hashers.
pub const CHUNK_SIZE: usize = 1024 * 1024;
/// Chunks the SM3 thread may lag behind (bounds memory to `(SM3_QUEUE + 2) * CHUNK_SIZE`).
const SM3_QUEUE: usize = 4;
/// Hashed chunks kept for reuse (at most this many chunk buffers idle, process-wide).
const POOL_MAX: usize = 16;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// A buffer of `size` bytes, recycled when one is idle.
fn take_buffer(size: usize) -> Vec<u8> {
    let recycled = POOL.lock().ok().and_then(|mut p| p.pop());
    match recycled {
        Some(mut buf) if buf.capacity() >= size => {
            buf.resize(size, 0);
            buf
        }
        _ => vec![0u8; size],
    }
}

/// Returns a chunk's buffer to the pool once nobody else holds it.
fn recycle(chunk: Arc<Vec<u8>>) {
    if let Ok(buf) = Arc::try_unwrap(chunk)
        && buf.capacity() >= CHUNK_SIZE
        && let Ok(mut pool) = POOL.lock()
        && pool.len() < POOL_MAX
    {
        pool.push(buf);
    }
}

/// Computes SHA-256 and SM3 of one byte stream; SM3 runs on a dedicated thread.
pub struct DualHasher {
    sha256: Sha256,
    len: u64,
    sm3_tx: Option<SyncSender<Arc<Vec<u8>>>>,
    sm3_thread: Option<JoinHandle<[u8; 32]>>,
}

impl DualHasher {
    pub fn new() -> Self {
        let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(SM3_QUEUE);
        let handle = std::thread::Builder::new()
            .name("liuhen-sm3".into())
            .spawn(move || {
                let mut sm3 = Sm3::new();
                for chunk in rx {
                    sm3.update(&chunk[..]);
                    recycle(chunk);
                }
                sm3.finalize().into()
            })
            .expect("spawning the SM3 hashing thread");
        Self {
            sha256: Sha256::new(),
            len: 0,
            sm3_tx: Some(tx),
            sm3_thread: Some(handle),
        }
    }

    /// Hashes a copy of `data`. Prefer [`DualHasher::update_shared`] when the caller owns the chunk.
    pub fn update(&mut self, data: &[u8]) {
        if !data.is_empty() {
            self.update_shared(Arc::new(data.to_vec()));
        }
    }

    /// Hashes a chunk without copying it; blocks while the SM3 thread is `SM3_QUEUE` chunks behind.
    pub fn update_shared(&mut self, chunk: Arc<Vec<u8>>) {
        if chunk.is_empty() {
            return;
        }
        self.sha256.update(&chunk[..]);
        self.len += chunk.len() as u64;
        let tx = self.sm3_tx.as_ref().expect("DualHasher used after finish");
        // A send error means the SM3 thread died; `finish` reports it by propagating the panic.
        let _ = tx.send(chunk);
    }

    /// Number of bytes hashed so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn finish(mut self) -> (Sha256Digest, Sm3Digest) {
        let sha = Sha256Digest::from_bytes(std::mem::take(&mut self.sha256).finalize().into());
        (sha, self.join_sm3())
    }

    /// Like [`DualHasher::finish`], with the byte count.
    pub fn finish_digests(self) -> Digests {
        let size = self.len;
        let (sha256, sm3) = self.finish();
        Digests { sha256, sm3, size }
    }

    fn join_sm3(&mut self) -> Sm3Digest {
        drop(self.sm3_tx.take());
        let handle = self.sm3_thread.take().expect("SM3 thread joined twice");
        match handle.join() {
            Ok(bytes) => Sm3Digest::from_bytes(bytes),
            Err(panic) => std::panic::resume_unwind(panic),
        }
    }
}

impl Default for DualHasher {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for DualHasher {
    fn drop(&mut self) {
        // Abandoned mid-stream (error path): stop the thread instead of leaking it.
        drop(self.sm3_tx.take());
        if let Some(handle) = self.sm3_thread.take() {
            let _ = handle.join();
        }
    }
}

/// Reads until `buf` is full or EOF; returns the number of bytes read.
pub(crate) fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match src.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads the next chunk of at most `size` bytes; `None` at EOF.
pub(crate) fn next_chunk(src: &mut dyn Read, size: usize) -> io::Result<Option<Arc<Vec<u8>>>> {
    let mut buf = take_buffer(size);
    let n = read_full(src, &mut buf)?;
    if n == 0 {
        recycle(Arc::new(buf));
        return Ok(None);
    }
    buf.truncate(n);
    Ok(Some(Arc::new(buf)))
}

/// Hashes a whole stream (SHA-256 and SM3 in parallel) with bounded memory.
pub fn hash_reader(r: &mut dyn Read) -> io::Result<Digests> {
    Rehasher::new(false).hash(r)
}

enum Sm3Job {
    /// A chunk and how many of its bytes are data; the buffer comes back through the pool.
    Chunk(Vec<u8>, usize),
    /// End of a stream: the digest goes back, the state starts again.
    Finish,
}

/// Hashes many streams one after another (a fixity pass, [`hash_reader`]) with one SM3
/// thread for all of them and chunk buffers that go round between the two threads instead
/// of being allocated and zeroed for each chunk. Memory: at most `SM3_QUEUE + 2` chunks.
pub struct Rehasher {
    tx: Option<SyncSender<Sm3Job>>,
    pool: Receiver<Vec<u8>>,
    spare: Vec<Vec<u8>>,
    digest: Receiver<[u8; 32]>,
    thread: Option<JoinHandle<()>>,
}

impl Rehasher {
    /// `background`: the SM3 thread lowers its own priority ([`background_priority`]).
    pub fn new(background: bool) -> Self {
        let (tx, rx) = sync_channel::<Sm3Job>(SM3_QUEUE);
        let (pool_tx, pool) = channel();
        let (digest_tx, digest) = channel();
        let thread = std::thread::Builder::new()
            .name("liuhen-sm3".into())
            .spawn(move || {
                if background {
                    background_priority();
                }
                let mut sm3 = Sm3::new();
                for job in rx {
                    match job {
                        Sm3Job::Chunk(buf, n) => {
                            sm3.update(&buf[..n]);
                            let _ = pool_tx.send(buf);
                        }
                        Sm3Job::Finish => {
                            let _ = digest_tx.send(std::mem::take(&mut sm3).finalize().into());
                        }
                    }
                }
            })
            .expect("spawning the SM3 hashing thread");
        Self {
            tx: Some(tx),
            pool,
            spare: Vec::new(),
            digest,
            thread: Some(thread),
        }
    }

    /// SHA-256, SM3 and size of everything `r` yields.
    pub fn hash(&mut self, r: &mut dyn Read) -> io::Result<Digests> {
        let mut sha256 = Sha256::new();
        let mut size = 0u64;
        let read = loop {
            let mut buf = self
                .spare
                .pop()
                .or_else(|| self.pool.try_recv().ok())
                .unwrap_or_else(|| vec![0u8; CHUNK_SIZE]);
            match read_full(r, &mut buf) {
                Ok(0) => {
                    self.spare.push(buf);
                    break Ok(());
                }
                Ok(n) => {
                    sha256.update(&buf[..n]);
                    size += n as u64;
                    self.send(Sm3Job::Chunk(buf, n))?;
                }
                Err(e) => break Err(e),
            }
        };
        // Finished even after an error, so that the next stream starts from a fresh state.
        self.send(Sm3Job::Finish)?;
        let sm3 = self.digest.recv().map_err(|_| sm3_gone())?;
        read?;
        Ok(Digests {
            sha256: Sha256Digest::from_bytes(sha256.finalize().into()),
            sm3: Sm3Digest::from_bytes(sm3),
            size,
        })
    }

    fn send(&self, job: Sm3Job) -> io::Result<()> {
        let tx = self.tx.as_ref().expect("sender present until drop");
        tx.send(job).map_err(|_| sm3_gone())
    }
}

fn sm3_gone() -> io::Error {
    io::Error::other("the SM3 hashing thread stopped")
}

impl Drop for Rehasher {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Lowers the calling thread's priority for background work (a fixity pass): CPU nice
/// [`BACKGROUND_NICE`], so that on a busy machine the server's threads get most of a core.
/// The kernel derives the thread's I/O priority from it (best-effort level
/// `(nice + 20) / 5` = 6 of 0–7, under the BFQ scheduler), so the disk serves playback
/// first; an explicit `ioprio_set` needs `unsafe` (forbidden here) or a new dependency.
/// Linux only; if refused, the thread keeps its priority.
pub fn background_priority() {
    #[cfg(target_os = "linux")]
    {
        let tid = rustix::thread::gettid();
        let _ = rustix::process::setpriority_process(Some(tid), BACKGROUND_NICE);
    }
}

/// CPU nice value of background threads (0 normal, 19 lowest).
pub const BACKGROUND_NICE: i32 = 10;

/// Wraps a blob's bytes and re-computes SHA-256; at EOF, a mismatch becomes an
/// `io::Error` of kind `InvalidData` carrying [`BlobError::Corrupt`].
pub struct VerifyingReader<R> {
    inner: R,
    expected: Sha256Digest,
    sha256: Sha256,
    checked: bool,
}

impl<R: Read> VerifyingReader<R> {
    pub fn new(inner: R, expected: Sha256Digest) -> Self {
        Self {
            inner,
            expected,
            sha256: Sha256::new(),
            checked: false,
        }
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.sha256.update(&buf[..n]);
            return Ok(n);
        }
        if !buf.is_empty() && !self.checked {
            self.checked = true;
            let actual =
                Sha256Digest::from_bytes(std::mem::take(&mut self.sha256).finalize().into());
            if actual != self.expected {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    BlobError::Corrupt {
                        expected: self.expected,
                        actual,
                    },
                ));
            }
        }
        Ok(0)
    }
}
