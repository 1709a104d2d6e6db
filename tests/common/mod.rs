//! Helpers shared by the CLI tests: a temp workspace with its own warehouse, and the real binary.
#![allow(dead_code)]
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub struct Workspace {
    pub dir: TempDir,
}

impl Workspace {
    pub fn new() -> Self {
        Workspace {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn db(&self) -> PathBuf {
        self.path("warehouse.db")
    }

    /// The real `exercise` binary, run inside the workspace against its warehouse.
    pub fn exercise(&self) -> Command {
        let mut cmd = Command::cargo_bin("exercise").expect("binary built");
        cmd.current_dir(self.dir.path())
            .env("WAREHOUSE_DB", self.db())
            .env_remove("EXERCISE_DATA_URL");
        cmd
    }

    pub fn write(&self, rel: &str, content: &str) -> PathBuf {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, content).expect("write file");
        path
    }

    pub fn copy_resource(&self, resource: &str, rel: &str) -> PathBuf {
        let src = resource_path(resource);
        let dest = self.path(rel);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::copy(&src, &dest).expect("copy resource");
        dest
    }

    /// Runs a query through the CLI and returns its CSV output (header included).
    pub fn csv(&self, sql: &str) -> String {
        let out = self
            .exercise()
            .args(["query", "--format", "csv", sql])
            .output()
            .expect("run query");
        assert!(
            out.status.success(),
            "query failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf8")
    }

    /// One number from a query.
    pub fn count(&self, sql: &str) -> i64 {
        let csv = self.csv(sql);
        let value = csv.lines().nth(1).expect("a row");
        value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {value}"))
    }
}

pub fn resource_path(resource: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("test-resources")
        .join(resource)
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `f` with a folder mounted by the test (root only: the test is skipped, saying so, where mounting
/// is not allowed). The folder is unmounted afterwards.
pub fn with_mount(ws: &Workspace, name: &str, options: &str, f: impl FnOnce(&Path)) {
    let dir = ws.path(name);
    std::fs::create_dir_all(&dir).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", options, "tmpfs"])
        .arg(&dir)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&dir)));
    let _ = std::process::Command::new("umount")
        .arg("-l")
        .arg(&dir)
        .status();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
}
