//! The model file: a versioned binary format that carries its own description.
//!
//! ```text
//! magic            8 bytes   "EXFOREST"
//! format version   u32 LE    FORMAT_VERSION
//! metadata length  u64 LE
//! metadata         JSON      Metadata: features, target, parameters, training data, software, metrics
//! features         u32 LE
//! trees            u32 LE
//! per tree: nodes  u32 LE, then per node: feature u32 LE (u32::MAX: leaf), value f64 LE, right u32 LE
//! checksum         16 bytes  xxh3-128 (LE) of every byte before it
//! ```
//! A file of another format version, a foreign file, a truncated or altered one is refused with a
//! sentence saying which; a loaded forest is checked so that prediction cannot index outside it or loop.
use super::{Metadata, FEATURES};
use crate::forest::{Forest, Node, Tree, LEAF};
use anyhow::{bail, Context, Result};
use std::path::Path;

pub const MAGIC: &[u8; 8] = b"EXFOREST";
pub const FORMAT_VERSION: u32 = 1;
const CHECKSUM_BYTES: usize = 16;

/// The bytes of a model file.
pub fn encode(metadata: &Metadata, forest: &Forest) -> Result<Vec<u8>> {
    let meta = serde_json::to_vec(metadata).context("describing the model")?;
    let nodes = forest.node_count();
    let mut out = Vec::with_capacity(64 + meta.len() + nodes * 16 + forest.trees.len() * 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(meta.len() as u64).to_le_bytes());
    out.extend_from_slice(&meta);
    out.extend_from_slice(&u32::try_from(forest.features)?.to_le_bytes());
    out.extend_from_slice(&u32::try_from(forest.trees.len())?.to_le_bytes());
    for tree in &forest.trees {
        out.extend_from_slice(&u32::try_from(tree.nodes.len())?.to_le_bytes());
        for node in &tree.nodes {
            out.extend_from_slice(&node.feature.to_le_bytes());
            out.extend_from_slice(&node.value.to_le_bytes());
            out.extend_from_slice(&node.right.to_le_bytes());
        }
    }
    let checksum = xxhash_rust::xxh3::xxh3_128(&out);
    out.extend_from_slice(&checksum.to_le_bytes());
    Ok(out)
}

/// A fingerprint of the trees alone (the model version names it).
pub fn forest_digest(forest: &Forest) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    for tree in &forest.trees {
        for node in &tree.nodes {
            h.update(&node.feature.to_le_bytes());
            h.update(&node.value.to_le_bytes());
            h.update(&node.right.to_le_bytes());
        }
    }
    h.digest()
}

/// Writes the file beside its final name, then renames it: a reader never sees half a model.
pub fn save(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut aside = path.as_os_str().to_owned();
    aside.push(".partial");
    let aside = std::path::PathBuf::from(aside);
    std::fs::write(&aside, bytes).with_context(|| format!("cannot write {}", aside.display()))?;
    std::fs::rename(&aside, path)
        .with_context(|| format!("cannot move {} to {}", aside.display(), path.display()))
}

/// Reads a volume model: a model of other features (or in another order) is refused, as a prediction
/// passes `FEATURES` in that order.
pub fn load(path: &Path) -> Result<(Metadata, Forest)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    let (metadata, forest) =
        decode(&bytes).with_context(|| format!("{} is not a usable model file", path.display()))?;
    if metadata.features != FEATURES {
        bail!(
            "{} is a model of the features {}; this build predicts from {}",
            path.display(),
            metadata.features.join(", "),
            FEATURES.join(", ")
        );
    }
    Ok((metadata, forest))
}

pub fn decode(bytes: &[u8]) -> Result<(Metadata, Forest)> {
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        bail!("it is not a model written by `exercise train` (no EXFOREST header)");
    }
    let mut r = Reader {
        bytes,
        at: MAGIC.len(),
    };
    let version = r.u32().context("the file ends inside its header")?;
    if version != FORMAT_VERSION {
        bail!("it has model format version {version}; this build reads version {FORMAT_VERSION} (train the model again with this build)");
    }
    if bytes.len() < r.at + CHECKSUM_BYTES {
        bail!("the file is truncated");
    }
    let (body, tail) = bytes.split_at(bytes.len() - CHECKSUM_BYTES);
    let stored = u128::from_le_bytes(tail.try_into().context("checksum")?);
    if xxhash_rust::xxh3::xxh3_128(body) != stored {
        bail!("its checksum does not match: the file is truncated or was altered");
    }
    let mut r = Reader {
        bytes: body,
        at: r.at,
    };
    let meta_len = usize::try_from(r.u64()?)?;
    let metadata: Metadata = serde_json::from_slice(r.take(meta_len)?)
        .context("its description (metadata) cannot be read")?;
    let features = r.u32()? as usize;
    let trees = r.u32()? as usize;
    if features != metadata.features.len() {
        bail!(
            "it has {features} features but names {}",
            metadata.features.len()
        );
    }
    let mut forest = Forest {
        features,
        trees: Vec::with_capacity(trees.min(1 << 16)),
    };
    for t in 0..trees {
        let count = r.u32()? as usize;
        let mut nodes = Vec::with_capacity(count.min(r.remaining() / 16));
        for _ in 0..count {
            nodes.push(Node {
                feature: r.u32()?,
                value: f64::from_le_bytes(r.array()?),
                right: r.u32()?,
            });
        }
        check_tree(&nodes, features).with_context(|| format!("tree {t} is malformed"))?;
        forest.trees.push(Tree { nodes });
    }
    if r.remaining() != 0 {
        bail!("{} unexpected bytes after the last tree", r.remaining());
    }
    if forest.trees.is_empty() {
        bail!("it has no trees");
    }
    Ok((metadata, forest))
}

/// A tree in pre-order: every split's children come after it and inside the tree, so prediction ends.
fn check_tree(nodes: &[Node], features: usize) -> Result<()> {
    if nodes.is_empty() {
        bail!("it has no nodes");
    }
    for (at, node) in nodes.iter().enumerate() {
        if !node.value.is_finite() {
            bail!("node {at} holds a value that is not a finite number");
        }
        if node.feature == LEAF {
            continue;
        }
        if node.feature as usize >= features {
            bail!("node {at} tests feature {} of {features}", node.feature);
        }
        let right = node.right as usize;
        if right <= at + 1 || right >= nodes.len() {
            bail!("node {at} points outside its tree");
        }
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            bail!(
                "the file ends early (byte {} of {})",
                self.at,
                self.bytes.len()
            );
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        Ok(self.take(N)?.try_into()?)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn remaining(&self) -> usize {
        self.bytes.len() - self.at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::Metrics;
    use crate::model::{Evaluation, Params, Snapshot, Software};

    fn split(feature: u32, value: f64, right: u32) -> Node {
        Node {
            feature,
            value,
            right,
        }
    }

    fn leaf(value: f64) -> Node {
        Node {
            feature: LEAF,
            value,
            right: 0,
        }
    }

    fn metrics(rows: u64, mae: f64) -> Metrics {
        Metrics {
            rows,
            mae,
            rmse: mae * 1.5,
            r2: 0.25,
            mae_log1p: 0.125,
            mdape: 12.5,
        }
    }

    fn metadata() -> Metadata {
        Metadata {
            model_version: "20240102T030405Z-0badcafe".into(),
            trained_at: "2024-01-02T03:04:05.123456+00:00".into(),
            target: "Volume".into(),
            features: vec!["vol_moving_avg".into(), "adj_close_rolling_med".into()],
            lag_days: 1,
            params: Params {
                trees: 2,
                max_depth: 3,
                min_samples_leaf: 1,
                max_samples: 100,
                bootstrap: true,
                seed: 42,
            },
            training_data: Snapshot {
                warehouse: "/tmp/warehouse.db".into(),
                rows_available: 10,
                train_rows: 8,
                test_rows: 2,
                first_day: "2024-01-01".into(),
                test_from: "2024-01-09".into(),
                last_day: "2024-01-10".into(),
                ledger_files: 3,
                ledger_last_load_id: Some(7),
                ledger_hash: "00112233445566778899aabbccddeeff".into(),
            },
            software: Software {
                exercise: "0.1.0".into(),
                duckdb: "v1.2.0".into(),
                model_format: FORMAT_VERSION,
            },
            evaluation: Evaluation {
                test: metrics(2, 10.0),
                baseline_moving_avg: metrics(2, 20.0),
                baseline_linear: metrics(2, 15.0),
                linear_coefficients: vec![1.0, 0.5, -2.0],
                random_split: Some(metrics(2, 5.0)),
                beats_baseline: true,
            },
        }
    }

    /// Two trees: a depth-2 tree on both features and a lone leaf.
    fn forest() -> Forest {
        Forest {
            features: 2,
            trees: vec![
                Tree {
                    nodes: vec![
                        split(0, 650.0, 4),
                        split(1, 25.5, 3),
                        leaf(120.0),
                        leaf(130.25),
                        leaf(1020.5),
                    ],
                },
                Tree {
                    nodes: vec![leaf(-0.0)],
                },
            ],
        }
    }

    /// Puts a valid checksum on altered bytes, as a careful forger would.
    fn reseal(bytes: &mut [u8]) {
        let body = bytes.len() - CHECKSUM_BYTES;
        let checksum = xxhash_rust::xxh3::xxh3_128(&bytes[..body]);
        bytes[body..].copy_from_slice(&checksum.to_le_bytes());
    }

    /// The whole error chain, as `main` prints it.
    fn refusal(bytes: &[u8]) -> String {
        format!(
            "{:#}",
            decode(bytes).expect_err("the bytes should be refused")
        )
    }

    #[test]
    fn a_model_survives_encoding_and_decoding() {
        let bytes = encode(&metadata(), &forest()).unwrap();
        assert_eq!(&bytes[..8], MAGIC);
        let (m, f) = decode(&bytes).unwrap();
        assert_eq!(m, metadata());
        assert_eq!(f, forest());
        // -0.0 == 0.0: the bits must survive too
        assert!(f.trees[1].nodes[0].value.is_sign_negative());
        assert_eq!(f.predict(&[650.0, 25.5]), 60.0);
        // and the same input gives the same bytes
        assert_eq!(encode(&m, &f).unwrap(), bytes);
    }

    #[test]
    fn a_metric_that_is_not_a_number_survives_as_nan() {
        let mut m = metadata();
        m.evaluation.test.r2 = f64::NAN;
        m.evaluation.random_split = None;
        let (back, _) = decode(&encode(&m, &forest()).unwrap()).unwrap();
        assert!(back.evaluation.test.r2.is_nan());
        assert_eq!(back.evaluation.random_split, None);
        assert_eq!(back.evaluation.test.mae, 10.0);
    }

    #[test]
    fn a_model_saved_is_the_model_loaded_and_no_partial_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/dir/volume.model");
        let bytes = encode(&metadata(), &forest()).unwrap();
        save(&path, &bytes).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert!(!dir.path().join("sub/dir/volume.model.partial").exists());
        assert_eq!(load(&path).unwrap(), (metadata(), forest()));
        let missing = format!("{:#}", load(&dir.path().join("nothing.model")).unwrap_err());
        assert!(missing.contains("cannot read model"), "{missing}");
        assert!(missing.contains("nothing.model"), "{missing}");
    }

    #[test]
    fn load_refuses_a_model_of_other_features() {
        // decode takes any features; a served prediction passes FEATURES in their order, so a forest
        // testing a third feature would index outside the row, one of swapped features answer wrongly
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.model");
        let mut m = metadata();
        m.features.reverse();
        save(&path, &encode(&m, &forest()).unwrap()).unwrap();
        let message = format!("{:#}", load(&path).unwrap_err());
        assert!(message.contains("other.model is a model of the features adj_close_rolling_med, vol_moving_avg; this build predicts from vol_moving_avg, adj_close_rolling_med"), "{message}");
        m.features.push("Open".into());
        let mut f = forest();
        f.features = 3;
        f.trees[0].nodes[0].feature = 2;
        save(&path, &encode(&m, &f).unwrap()).unwrap();
        assert!(decode(&std::fs::read(&path).unwrap()).is_ok());
        let message = format!("{:#}", load(&path).unwrap_err());
        assert!(message.contains("Open"), "{message}");
    }

    #[test]
    fn a_truncated_file_is_refused_at_every_length() {
        let bytes = encode(&metadata(), &forest()).unwrap();
        for cut in 0..bytes.len() {
            let message = refusal(&bytes[..cut]);
            let expected = if cut < MAGIC.len() {
                "no EXFOREST header"
            } else if cut < MAGIC.len() + 4 {
                "ends inside its header"
            } else if cut < MAGIC.len() + 4 + CHECKSUM_BYTES {
                "truncated"
            } else {
                "checksum does not match"
            };
            assert!(
                message.contains(expected),
                "cut at {cut}: {expected:?} not in {message:?}"
            );
        }
    }

    #[test]
    fn one_altered_byte_anywhere_is_refused() {
        let bytes = encode(&metadata(), &forest()).unwrap();
        for at in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff] {
                let mut altered = bytes.clone();
                altered[at] ^= flip;
                let message = refusal(&altered);
                let expected = if at < MAGIC.len() {
                    "no EXFOREST header"
                } else if at < MAGIC.len() + 4 {
                    "model format version"
                } else {
                    "checksum does not match"
                };
                assert!(
                    message.contains(expected),
                    "byte {at} ^ {flip:#x}: {expected:?} not in {message:?}"
                );
            }
        }
        // a byte too many is an alteration too
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(refusal(&longer).contains("checksum does not match"));
    }

    #[test]
    fn another_format_version_is_refused_by_its_number() {
        let mut bytes = encode(&metadata(), &forest()).unwrap();
        bytes[8..12].copy_from_slice(&2u32.to_le_bytes());
        reseal(&mut bytes);
        let message = refusal(&bytes);
        assert!(message.contains("model format version 2"), "{message}");
        assert!(
            message.contains(&format!("reads version {FORMAT_VERSION}")),
            "{message}"
        );
        assert!(message.contains("train the model again"), "{message}");
        // version 0 too (a file of zeros after the magic)
        bytes[8..12].copy_from_slice(&0u32.to_le_bytes());
        reseal(&mut bytes);
        assert!(refusal(&bytes).contains("model format version 0"));
    }

    #[test]
    fn a_foreign_file_is_not_a_model() {
        for foreign in [
            &b"PK\x03\x04\x14\x00\x00\x00\x08\x00some zip archive"[..],
            b"",
            b"EXFORES",
            b"exforest\x01\x00\x00\x00",
            b"{\"model_version\": \"x\"}",
        ] {
            let message = refusal(foreign);
            assert!(
                message.contains("not a model written by `exercise train`"),
                "{foreign:?}: {message}"
            );
        }
    }

    #[test]
    fn a_tree_that_points_outside_itself_is_refused() {
        let cases: [(Vec<Node>, &str); 6] = [
            // the right child past the end
            (
                vec![split(0, 1.0, 3), leaf(1.0), leaf(2.0)],
                "node 0 points outside its tree",
            ),
            (
                vec![split(0, 1.0, u32::MAX - 1), leaf(1.0), leaf(2.0)],
                "node 0 points outside its tree",
            ),
            // the right child onto the left child, or back to itself: a loop or an overlap
            (
                vec![split(0, 1.0, 1), leaf(1.0), leaf(2.0)],
                "node 0 points outside its tree",
            ),
            (
                vec![leaf(0.0), split(1, 1.0, 0), leaf(1.0), leaf(2.0)],
                "node 1 points outside its tree",
            ),
            // a split as the last node: its left child is missing
            (
                vec![split(0, 1.0, 2), leaf(1.0), split(0, 1.0, 0)],
                "node 2 points outside its tree",
            ),
            // a feature the model does not have
            (
                vec![split(2, 1.0, 2), leaf(1.0), leaf(2.0)],
                "node 0 tests feature 2 of 2",
            ),
        ];
        for (nodes, expected) in cases {
            let mut bad = forest();
            bad.trees.push(Tree { nodes });
            // encode writes what it is given, with a valid checksum: only the tree check stands between
            // these bytes and a prediction indexing outside the tree
            let message = refusal(&encode(&metadata(), &bad).unwrap());
            assert!(message.contains("tree 2 is malformed"), "{message}");
            assert!(message.contains(expected), "{expected:?} not in {message}");
        }
    }

    #[test]
    fn other_inconsistencies_are_refused() {
        let refused = |forest: Forest, expected: &str| {
            let message = refusal(&encode(&metadata(), &forest).unwrap());
            assert!(message.contains(expected), "{expected:?} not in {message}");
        };
        let mut f = forest();
        f.trees[1].nodes[0].value = f64::NAN;
        refused(f, "node 0 holds a value that is not a finite number");
        let mut f = forest();
        f.trees[0].nodes[0].value = f64::INFINITY;
        refused(f, "not a finite number");
        let mut f = forest();
        f.trees.push(Tree { nodes: vec![] });
        refused(f, "it has no nodes");
        refused(
            Forest {
                features: 2,
                trees: vec![],
            },
            "it has no trees",
        );
        let mut f = forest();
        f.features = 3;
        refused(f, "it has 3 features but names 2");
        // bytes after the last tree, sealed with a valid checksum
        let mut bytes = encode(&metadata(), &forest()).unwrap();
        let at = bytes.len() - CHECKSUM_BYTES;
        bytes.splice(at..at, [1, 2, 3]);
        reseal(&mut bytes);
        assert!(refusal(&bytes).contains("3 unexpected bytes after the last tree"));
        // a tree count far beyond the bytes: refused without allocating for it
        let mut bytes = encode(&metadata(), &forest()).unwrap();
        let meta_len = u64::from_le_bytes(bytes[12..20].try_into().unwrap()) as usize;
        let trees_at = 20 + meta_len + 4;
        bytes[trees_at..trees_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        reseal(&mut bytes);
        assert!(refusal(&bytes).contains("the file ends early"));
        // metadata that is not JSON
        let mut bytes = encode(&metadata(), &forest()).unwrap();
        bytes[20] = b'!';
        reseal(&mut bytes);
        assert!(refusal(&bytes).contains("metadata"));
        // a metadata length beyond the file
        let mut bytes = encode(&metadata(), &forest()).unwrap();
        bytes[12..20].copy_from_slice(&u64::MAX.to_le_bytes());
        reseal(&mut bytes);
        assert!(!refusal(&bytes).is_empty());
    }

    #[test]
    fn the_digest_names_the_trees_alone() {
        let f = forest();
        let mut other_meta = metadata();
        other_meta.trained_at = "2030-01-01T00:00:00+00:00".into();
        assert_eq!(forest_digest(&f), forest_digest(&forest()));
        let mut g = forest();
        g.trees[0].nodes[2].value = 120.000_000_1;
        assert_ne!(forest_digest(&f), forest_digest(&g));
        // the file differs when only the description does; the digest does not look at it
        assert_ne!(
            encode(&metadata(), &f).unwrap(),
            encode(&other_meta, &f).unwrap()
        );
    }
}
