//! Helpers shared by the CLI tests: a temp workspace with its own warehouse, and the real binary.
#![allow(dead_code)]
use assert_cmd::Command;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

pub mod model;

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

/// What `exercise ingest-data` said, parsed: its summary line, its accounting line, its exit code, and
/// the text itself for anything else.
#[derive(Debug, Default)]
pub struct LoadSummary {
    pub code: Option<i32>,
    pub loaded: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub read: u64,
    pub inserted: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub stdout: String,
    pub stderr: String,
}

impl LoadSummary {
    pub fn parse(output: &std::process::Output) -> Self {
        let stdout = stdout(output);
        let numbers = |line: &str| -> Vec<u64> {
            line.split(|c: char| !c.is_ascii_digit() && c != '.')
                .filter_map(|w| w.parse().ok())
                .collect()
        };
        let mut summary = LoadSummary {
            code: output.status.code(),
            stderr: stderr(output),
            ..Default::default()
        };
        for line in stdout.lines() {
            if line.contains(" file(s) loaded, ") {
                let n = numbers(line);
                (summary.loaded, summary.unchanged, summary.failed) = (n[0], n[1], n[2]);
            } else if line.starts_with("read ") && line.contains(" = inserted ") {
                let n = numbers(line);
                (
                    summary.read,
                    summary.inserted,
                    summary.duplicates,
                    summary.rejected,
                ) = (n[0], n[1], n[2], n[3]);
            }
        }
        summary.stdout = stdout;
        summary
    }

    /// (read, inserted, duplicates, rejected)
    pub fn rows(&self) -> (u64, u64, u64, u64) {
        (self.read, self.inserted, self.duplicates, self.rejected)
    }

    /// Asserts that the load exited 0 (showing what it printed if not) and returns it.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, Some(0), "the load failed: {self}");
        self
    }
}

/// The exit code and both outputs, for assertion messages.
impl std::fmt::Display for LoadSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Workspace {
    /// `exercise ARGS...` run to its end; the caller judges the output.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.exercise().args(args).output().expect("run exercise")
    }

    /// `exercise ingest-data ARGS...` with the reader's typing of plain lines `on` or `off`
    /// (`EXERCISE_TYPED_LINES`), which must succeed; its stdout and the CSV of each query after it.
    pub fn ingest_typed(
        &self,
        typed: &str,
        args: &[&str],
        queries: &[&str],
    ) -> (String, Vec<String>) {
        let out = self
            .exercise()
            .env("EXERCISE_TYPED_LINES", typed)
            .arg("ingest-data")
            .args(args)
            .output()
            .expect("run exercise");
        assert!(out.status.success(), "{}", stderr(&out));
        (
            stdout(&out),
            queries.iter().map(|sql| self.csv(sql)).collect(),
        )
    }

    /// `exercise ingest-data ARGS...` without `--dataset` (the binary picks votes or telemetry), parsed.
    pub fn ingest_data(&self, args: &[&str]) -> LoadSummary {
        LoadSummary::parse(&self.run(&[&["ingest-data"], args].concat()))
    }

    /// `exercise generate ARGS...`, which must succeed.
    pub fn generate(&self, args: &[&str]) {
        self.exercise()
            .arg("generate")
            .args(args)
            .assert()
            .success();
    }

    /// `exercise ingest-data --dataset DATASET ARGS...`, its output parsed.
    pub fn ingest(&self, dataset: &str, args: &[&str]) -> LoadSummary {
        self.ingest_data(&[&["--dataset", dataset], args].concat())
    }
}
