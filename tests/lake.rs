//! `exercise publish`: the lake's layout and manifest, incremental rewrites, atomic links, empty
//! relations, and one publish at a time.
mod common;

use common::Workspace;
use serde_json::Value;
use std::path::Path;

fn manifest(lake: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(lake.join("_manifest.json")).unwrap()).unwrap()
}

fn publish(ws: &Workspace, lake: &Path) -> std::process::Output {
    ws.run(&["publish", "--to", lake.to_str().unwrap()])
}

fn votes_line(id: u64, date: &str) -> String {
    format!("{{\"Id\": {id}, \"PostId\": 1, \"VoteTypeId\": 2, \"CreationDate\": \"{date}T00:00:00.000\"}}\n")
}

#[test]
fn a_publish_writes_every_relation_with_its_manifest_and_only_changed_partitions_again() {
    let ws = Workspace::new();
    let first: String = (1..=3)
        .map(|i| votes_line(i, "2019-05-06"))
        .collect::<String>()
        + &votes_line(4, "2020-01-01");
    ws.write("a.jsonl", &first);
    ws.ingest("votes", &["a.jsonl"]).success();
    let lake = ws.path("lake");
    let out = publish(&ws, &lake);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let m = manifest(&lake);
    let votes = &m["relations"]["blog_analysis.votes"];
    assert_eq!(votes["rows"], 4);
    assert_eq!(votes["partition_column"], "year");
    let values: Vec<&str> = votes["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["2019", "2020"]);
    // The link names the version folder; the data is in hive folders under it.
    let link = lake.join("blog_analysis/votes");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("votes@v1"));
    assert!(link.join("year=2019").is_dir() && link.join("year=2020").is_dir());
    let id_type = votes["columns"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "Id")
        .unwrap();
    assert_eq!(id_type["spark_type"], "bigint");
    // Every relation is there, empty ones with their columns (a schema-only file).
    assert!(lake.join("dwh/data_sample/data.parquet").is_file());
    assert_eq!(m["relations"]["dwh.data_sample"]["rows"], 0);
    assert!(m["ledger"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l["dataset"] == "votes"));

    // Nothing changed: nothing rewritten, same version.
    let again = publish(&ws, &lake);
    assert!(String::from_utf8_lossy(&again.stdout).contains("(0 partitions rewritten"));
    assert_eq!(
        manifest(&lake)["relations"]["blog_analysis.votes"]["version"],
        1
    );

    // A vote of 2020: only that year's partition (and the marts it changes) is written again; the
    // 2019 file of the new version is the same file as before (a hard link).
    ws.write("b.jsonl", &votes_line(5, "2020-02-03"));
    ws.ingest("votes", &["b.jsonl"]).success();
    let third = publish(&ws, &lake);
    let text = String::from_utf8_lossy(&third.stdout).to_string();
    let votes_row = text
        .lines()
        .find(|l| l.starts_with("blog_analysis.votes "))
        .unwrap();
    assert!(votes_row.contains("1 rewritten"), "{text}");
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("votes@v2"));
    let old = std::fs::read_dir(lake.join("blog_analysis/votes@v1/year=2019"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    let new = lake
        .join("blog_analysis/votes@v2/year=2019")
        .join(old.file_name());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        std::fs::metadata(old.path()).unwrap().ino(),
        std::fs::metadata(&new).unwrap().ino()
    );
    assert_eq!(
        manifest(&lake)["relations"]["blog_analysis.votes"]["rows"],
        5
    );
    // The version replaced is kept for readers; a fourth publish after another change drops v1.
    ws.write("c.jsonl", &votes_line(6, "2021-03-04"));
    ws.ingest("votes", &["c.jsonl"]).success();
    assert!(publish(&ws, &lake).status.success());
    assert!(!lake.join("blog_analysis/votes@v1").exists());
    assert!(lake.join("blog_analysis/votes@v2").exists());
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("votes@v3"));
}

#[test]
fn one_publish_at_a_time_and_never_into_a_foreign_folder() {
    let ws = Workspace::new();
    assert!(ws.run(&["migrate"]).status.success());
    let lake = ws.path("lake");
    assert!(publish(&ws, &lake).status.success());
    std::fs::write(lake.join(".publish.lock"), "").unwrap();
    let locked = publish(&ws, &lake);
    assert_eq!(locked.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&locked.stderr).contains("another publish"));
    std::fs::remove_file(lake.join(".publish.lock")).unwrap();

    let foreign = ws.path("foreign");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), "mine").unwrap();
    let refused = publish(&ws, &foreign);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not empty and has no _manifest.json")
    );
    assert_eq!(
        std::fs::read_to_string(foreign.join("notes.txt")).unwrap(),
        "mine"
    );
}

#[test]
fn publish_reads_the_warehouse_without_changing_it() {
    let ws = Workspace::new();
    ws.write("a.jsonl", &votes_line(1, "2019-05-06"));
    ws.ingest("votes", &["a.jsonl"]).success();
    let before = std::fs::read(ws.db()).unwrap();
    assert!(publish(&ws, &ws.path("lake")).status.success());
    assert_eq!(std::fs::read(ws.db()).unwrap(), before);
}
