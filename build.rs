//! Embeds every file under `sql/` (SQL, and the data tests' TOML) into the binary, so the SQL files stay the single source of truth
//! and adding a migration, a view or a dataset script needs no Rust change.
use std::{env, fs, path::Path};

fn collect(dir: &Path, root: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("read sql dir")
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "sql" || e == "toml") {
            let rel = path.strip_prefix(root).expect("under sql/");
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn main() {
    let manifest_dir = env::var("CARGO_MANIFEST_DIR").expect("manifest dir");
    let root = Path::new(&manifest_dir).join("sql");
    // Checkouts sharing one target folder share this script's output: paths are absolute, so that a
    // build of another checkout (whose files are gone or differ) runs the script again, and the crate
    // refuses to compile with a list made for another checkout (src/duck/sqlfiles.rs).
    println!("cargo:rerun-if-changed={}", root.display());
    println!("cargo:rustc-env=EXERCISE_SQL_LIST_FOR={manifest_dir}");
    let mut files = Vec::new();
    collect(&root, &root, &mut files);
    let mut code = String::from("pub static SQL_FILES: &[(&str, &str)] = &[\n");
    for rel in &files {
        println!("cargo:rerun-if-changed={}", root.join(rel).display());
        // The checkout's own folder, resolved when the crate compiles (not a path frozen into this output,
        // which a build of another checkout sharing the target folder could otherwise reuse).
        code.push_str(&format!(
            "    ({rel:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/sql/{rel}\"))),\n"
        ));
    }
    code.push_str("];\n");
    let out = Path::new(&env::var("OUT_DIR").expect("out dir")).join("sql_files.rs");
    fs::write(out, code).expect("write sql_files.rs");
}
