//! Disc images of a package with xorriso (Debian `xorriso`): ISO 9660 level 3 with Joliet
//! (long names) and Rock Ridge, so Chinese file names survive on every reader. Reading an
//! image back (for `verify-package X.iso`) extracts it with xorriso too.

use std::path::Path;
use std::process::Command;

use crate::AppError;

/// The xorriso executable: `LIUHEN_XORRISO`, else `xorriso` on `PATH`.
fn xorriso() -> String {
    std::env::var("LIUHEN_XORRISO").unwrap_or_else(|_| "xorriso".into())
}

fn run(cmd: &mut Command) -> Result<(), AppError> {
    let out = cmd.output().map_err(|e| {
        AppError::Invalid(format!("cannot run xorriso (install Debian xorriso): {e}"))
    })?;
    if !out.status.success() {
        return Err(AppError::Invalid(format!(
            "xorriso failed: {}",
            String::from_utf8_lossy(&out.stderr)
                .lines()
                .last()
                .unwrap_or("")
        )));
    }
    Ok(())
}

/// Volume label of a package's disc: ISO 9660 allows 32 d-characters.
pub fn volume_label(package: &str) -> String {
    let tail: String = package
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase();
    let start = tail.len().saturating_sub(16);
    format!("LIUHEN_{}", &tail[start..])
}

/// Writes the package directory `dir` as the image `iso` (the bag at the image's root).
pub fn make_image(dir: &Path, iso: &Path, label: &str) -> Result<(), AppError> {
    run(Command::new(xorriso())
        .args([
            "-as",
            "mkisofs",
            "-iso-level",
            "3",
            "-J",
            "-joliet-long",
            "-R",
            "-V",
        ])
        .arg(label)
        .arg("-input-charset")
        .arg("UTF-8")
        .arg("-o")
        .arg(iso)
        .arg(dir))
}

/// Extracts the image `iso` into the new directory `dest`.
pub fn extract(iso: &Path, dest: &Path) -> Result<(), AppError> {
    std::fs::create_dir_all(dest).map_err(|e| AppError::io(dest, e))?;
    run(Command::new(xorriso())
        .args(["-osirrox", "on", "-indev"])
        .arg(iso)
        .args(["-extract", "/"])
        .arg(dest))
}

/// The default burner.
pub const DEFAULT_DEVICE: &str = "/dev/sr0";

/// The path behind a drive address: `stdio:/path` (xorriso's pseudo-drive on a file, used
/// in tests) or a device such as `/dev/sr0`.
fn device_path(device: &str) -> &Path {
    Path::new(device.strip_prefix("stdio:").unwrap_or(device))
}

/// Writes the image `image` onto the disc in `device` (xorriso's cdrecord emulation). A
/// missing burner is a clear error; the image stays usable for burning elsewhere.
pub fn burn(image: &Path, device: &str) -> Result<(), AppError> {
    if !device.starts_with("stdio:") && !device_path(device).exists() {
        return Err(AppError::Invalid(format!(
            "未找到刻录机 {device}（可用 --device 指定）；光盘映像 {} 可下载后在其他计算机上刻录",
            image.display()
        )));
    }
    let mut cmd = Command::new(xorriso());
    cmd.args(["-as", "cdrecord", "-v"])
        .arg(format!("dev={device}"));
    if !device.starts_with("stdio:") {
        cmd.arg("-eject");
    }
    run(cmd.arg(image))
}

/// What reading a burnt disc back found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReadBack {
    /// The first bytes of the disc (as many as the image has) hash to the image's SHA-256.
    pub image_matches: bool,
    pub image_sha256: String,
    /// Every file extracted from the disc, re-hashed and checked as a package.
    pub verdict: super::verify::Verdict,
}

impl ReadBack {
    pub fn ok(&self) -> bool {
        self.image_matches && self.verdict.ok
    }
}

fn sha256_prefix(path: &Path, len: u64) -> std::io::Result<(String, u64)> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?.take(len);
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = f.read(&mut buf)?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Ok((hex::encode(h.finalize()), n))
}

/// Reads the disc in `device` back: its first bytes against the image, then every file
/// extracted (into the new directory `scratch`) and re-hashed as a package.
pub fn read_back(image: &Path, device: &str, scratch: &Path) -> Result<ReadBack, AppError> {
    let len = std::fs::metadata(image)
        .map_err(|e| AppError::io(image, e))?
        .len();
    let (want, _) = sha256_prefix(image, len).map_err(|e| AppError::io(image, e))?;
    let disc = device_path(device);
    let (got, read) = sha256_prefix(disc, len).map_err(|e| AppError::io(disc, e))?;
    extract(disc, scratch)?;
    let verdict = super::verify::verify_dir(scratch, None);
    Ok(ReadBack {
        image_matches: read == len && got == want,
        image_sha256: want,
        verdict,
    })
}
