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
use super::Metadata;
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

pub fn load(path: &Path) -> Result<(Metadata, Forest)> {
    let bytes =
        std::fs::read(path).with_context(|| format!("cannot read model {}", path.display()))?;
    decode(&bytes).with_context(|| format!("{} is not a usable model file", path.display()))
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
