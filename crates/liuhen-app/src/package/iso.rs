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
