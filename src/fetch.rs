//! `exercise fetch-data`: download the votes archive and extract votes.jsonl, leaving no partial files.
use anyhow::{bail, Context, Result};
use std::fs::{self, File};
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Downloads to a hidden part file, extracts to another, then renames into place.
/// `timeout` bounds the wait for a connection that does not answer.
pub fn fetch(url: Option<&str>, dir: &Path, timeout: Duration) -> Result<PathBuf> {
    let url = url.context(
        "no data URL: pass --url URL (or set EXERCISE_DATA_URL) pointing at the votes archive (.zip, .gz or .jsonl)",
    )?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let target = dir.join("votes.jsonl");
    let download = dir.join(".votes.download.part");
    let extracted = dir.join(".votes.jsonl.part");
    let result = download_to(url, &download, timeout).and_then(|bytes| {
        extract(&download, &extracted)?;
        fs::rename(&extracted, &target)
            .with_context(|| format!("cannot move the data to {}", target.display()))?;
        Ok(bytes)
    });
    let _ = fs::remove_file(&download);
    let _ = fs::remove_file(&extracted);
    let bytes = result?;
    println!(
        "downloaded {bytes} bytes from {url}; extracted {}",
        target.display()
    );
    Ok(target)
}

fn download_to(url: &str, path: &Path, timeout: Duration) -> Result<u64> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_resolve(Some(timeout))
        .timeout_connect(Some(timeout))
        .timeout_recv_response(Some(timeout))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot download {url}"))?;
    let mut file =
        File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let bytes = std::io::copy(&mut response.body_mut().as_reader(), &mut file)
        .with_context(|| format!("download of {url} broke off"))?;
    file.flush()?;
    Ok(bytes)
}

/// Extracts votes.jsonl from a zip or gzip archive, or takes plain JSONL as it is.
fn extract(archive: &Path, out: &Path) -> Result<()> {
    let mut head = [0u8; 6];
    let n = File::open(archive)?.read(&mut head)?;
    let head = &head[..n];
    let mut dest = File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    if head.starts_with(b"PK\x03\x04") {
        let mut zip = zip::ZipArchive::new(BufReader::new(File::open(archive)?))
            .context("the download is not a readable zip archive")?;
        let names: Vec<String> = zip
            .file_names()
            .map(|n| n.map(|c| c.to_string()))
            .collect::<Result<_, _>>()
            .context("the zip archive's directory is corrupt")?;
        let name = names
            .iter()
            .find(|n| n.to_lowercase().ends_with("votes.jsonl"))
            .or_else(|| names.iter().find(|n| n.to_lowercase().ends_with(".jsonl")))
            .with_context(|| {
                format!(
                    "the zip archive holds no votes.jsonl (it has: {})",
                    names.join(", ")
                )
            })?
            .clone();
        let mut entry = zip.by_name(&name)?;
        std::io::copy(&mut entry, &mut dest).with_context(|| {
            format!("cannot extract {name}: the archive is truncated or corrupt")
        })?;
    } else if head.starts_with(&[0x1f, 0x8b]) {
        let mut gz = flate2::read::MultiGzDecoder::new(BufReader::new(File::open(archive)?));
        std::io::copy(&mut gz, &mut dest)
            .context("cannot decompress the download: the gzip data is truncated or corrupt")?;
    } else if head.starts_with(&[b'7', b'z', 0xbc, 0xaf]) {
        bail!("the download is a 7z archive, which exercise cannot extract: extract votes.jsonl by hand into uncommitted/");
    } else if head
        .first()
        .is_some_and(|b| *b == b'{' || b.is_ascii_whitespace())
    {
        std::io::copy(&mut File::open(archive)?, &mut dest)?;
    } else {
        bail!("the download is neither a zip or gzip archive nor JSON lines");
    }
    dest.flush()?;
    Ok(())
}
