//! Random-forest regression on a few dense numeric features: bagged CART trees (squared error), each
//! grown on its own bootstrap sample by an exact search of the best split over features sorted once per
//! tree. Knows nothing of the application.
//!
//! Why not a crate: smartcore's `DecisionTreeRegressor` scans every training row at every node (a
//! per-row sample count over the whole data set, and a fresh vector of that length per split), which is
//! O(rows x nodes) per tree; linfa's trees are classifiers only. Here a node costs O(its own rows x
//! features): the rows of a node are kept as one sorted slice per feature, partitioned stably when the
//! node splits, so the sorting is done once per tree.
use anyhow::{bail, Result};
use rand::{RngExt, SeedableRng};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How a forest is grown.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Params {
    pub trees: usize,
    /// The deepest a leaf may be; the root has depth 0.
    pub max_depth: usize,
    pub min_samples_leaf: usize,
    /// Rows drawn for each tree (with replacement when `bootstrap`), at most the number of rows.
    pub max_samples: usize,
    /// Draw each tree's rows with replacement (bagging); without it every tree sees every row once.
    pub bootstrap: bool,
    pub seed: u64,
}

/// A node of a tree in pre-order: a split's left child is the next node, its right child at `right`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Node {
    /// The feature a split tests, or `LEAF`.
    pub feature: u32,
    /// A split's threshold (left when `x <= value`), or a leaf's prediction.
    pub value: f64,
    /// A split's right child; 0 for a leaf.
    pub right: u32,
}

pub const LEAF: u32 = u32::MAX;

#[derive(Debug, Clone, PartialEq)]
pub struct Tree {
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Forest {
    pub features: usize,
    pub trees: Vec<Tree>,
}

/// Training data by column: `x[feature][row]`, and the target `y[row]`.
pub struct Columns<'a> {
    pub x: &'a [Vec<f64>],
    pub y: &'a [f64],
}

impl Columns<'_> {
    fn rows(&self) -> usize {
        self.y.len()
    }

    fn check(&self) -> Result<()> {
        if self.x.is_empty() {
            bail!("a forest needs at least one feature");
        }
        if self.rows() == 0 {
            bail!("a forest needs at least one training row");
        }
        for (f, column) in self.x.iter().enumerate() {
            if column.len() != self.rows() {
                bail!(
                    "feature {f} has {} rows, the target {}",
                    column.len(),
                    self.rows()
                );
            }
            if let Some(row) = column.iter().position(|v| !v.is_finite()) {
                bail!("feature {f} is not a finite number in row {row}");
            }
        }
        if let Some(row) = self.y.iter().position(|v| !v.is_finite()) {
            bail!("the target is not a finite number in row {row}");
        }
        Ok(())
    }
}

impl Forest {
    /// Grows `params.trees` trees on all cores; `on_tree` is called as each tree is finished. The same
    /// data and parameters give the same forest, whatever the number of cores.
    pub fn fit(data: &Columns, params: &Params, on_tree: impl Fn() + Sync) -> Result<Forest> {
        data.check()?;
        if params.trees == 0 || params.max_samples == 0 || params.min_samples_leaf == 0 {
            bail!("trees, max_samples and min_samples_leaf must each be at least 1");
        }
        let trees = each_on_a_free_core(params.trees, |i| {
            let tree = grow_tree(data, params, i as u64);
            on_tree();
            tree
        });
        Ok(Forest {
            features: data.x.len(),
            trees,
        })
    }

    /// The mean of the trees' predictions for one row of features.
    pub fn predict(&self, row: &[f64]) -> f64 {
        let sum: f64 = self.trees.iter().map(|t| t.predict(row)).sum();
        sum / self.trees.len() as f64
    }

    /// Predictions for many rows (`x[feature][row]`, one slot per row in `out`): tree by tree over
    /// blocks of rows, so that a tree's nodes stay in the cache while it predicts the block.
    pub fn predict_rows(&self, x: &[&[f64]], out: &mut [f64]) {
        const BLOCK: usize = 4096;
        let mut row = vec![0.0; self.features];
        for (b, slots) in out.chunks_mut(BLOCK).enumerate() {
            slots.fill(0.0);
            for tree in &self.trees {
                for (k, slot) in slots.iter_mut().enumerate() {
                    for (f, column) in x.iter().enumerate() {
                        row[f] = column[b * BLOCK + k];
                    }
                    *slot += tree.predict(&row);
                }
            }
            for slot in slots.iter_mut() {
                *slot /= self.trees.len() as f64;
            }
        }
    }

    pub fn node_count(&self) -> usize {
        self.trees.iter().map(|t| t.nodes.len()).sum()
    }
}

impl Tree {
    pub fn predict(&self, row: &[f64]) -> f64 {
        let mut at = 0usize;
        loop {
            let node = self.nodes[at];
            if node.feature == LEAF {
                return node.value;
            }
            at = if row[node.feature as usize] <= node.value {
                at + 1
            } else {
                node.right as usize
            };
        }
    }

    /// The depth of the deepest leaf.
    pub fn depth(&self) -> usize {
        fn walk(nodes: &[Node], at: usize) -> (usize, usize) {
            // (depth below `at`, index after the subtree)
            if nodes[at].feature == LEAF {
                return (0, at + 1);
            }
            let (left, _) = walk(nodes, at + 1);
            let (right, end) = walk(nodes, nodes[at].right as usize);
            (1 + left.max(right), end)
        }
        walk(&self.nodes, 0).0
    }
}

/// Runs `f(0..n)` with each index taken by the next free core (trees cost about the same, but there are
/// few of them: chunking them up front would leave a core idle at the end). Results in index order.
fn each_on_a_free_core<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map(|c| c.get())
        .unwrap_or(1)
        .min(n.max(1));
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= n {
                            return mine;
                        }
                        mine.push((i, f(i)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The rows one tree learns from, copied out of the full data set (a bootstrap sample is a small share
/// of it, and contiguous rows are faster to scan).
struct Sample {
    x: Vec<Vec<f64>>,
    y: Vec<f64>,
}

fn draw_sample(data: &Columns, params: &Params, tree: u64) -> Sample {
    let n = data.rows();
    let rows: Vec<usize> = if params.bootstrap {
        // Each tree its own stream, so the forest does not depend on which core grew which tree.
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(
            params.seed ^ tree.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        (0..params.max_samples.min(n))
            .map(|_| rng.random_range(0..n))
            .collect()
    } else {
        (0..n).collect()
    };
    Sample {
        x: data
            .x
            .iter()
            .map(|column| rows.iter().map(|&r| column[r]).collect())
            .collect(),
        y: rows.iter().map(|&r| data.y[r]).collect(),
    }
}

fn grow_tree(data: &Columns, params: &Params, tree: u64) -> Tree {
    let sample = draw_sample(data, params, tree);
    let m = sample.y.len();
    let mut order: Vec<Vec<u32>> = sample
        .x
        .iter()
        .map(|column| {
            let mut o: Vec<u32> = (0..m as u32).collect();
            o.sort_unstable_by(|&a, &b| column[a as usize].total_cmp(&column[b as usize]));
            o
        })
        .collect();
    let mut grower = Grower {
        sample: &sample,
        params,
        nodes: Vec::new(),
        goes_left: vec![false; m],
        scratch: Vec::with_capacity(m),
    };
    grower.grow(&mut order, 0, m, 0);
    Tree {
        nodes: grower.nodes,
    }
}

struct Grower<'a> {
    sample: &'a Sample,
    params: &'a Params,
    nodes: Vec<Node>,
    goes_left: Vec<bool>,
    scratch: Vec<u32>,
}

struct Split {
    feature: usize,
    threshold: f64,
    left_rows: usize,
}

impl Grower<'_> {
    /// Grows the subtree of the rows `order[f][lo..hi]` (the same rows in every feature's order).
    fn grow(&mut self, order: &mut [Vec<u32>], lo: usize, hi: usize, depth: usize) {
        let at = self.nodes.len();
        let rows = &order[0][lo..hi];
        let sum: f64 = rows.iter().map(|&r| self.sample.y[r as usize]).sum();
        let mean = sum / (hi - lo) as f64;
        self.nodes.push(Node {
            feature: LEAF,
            value: mean,
            right: 0,
        });
        if depth >= self.params.max_depth || hi - lo < 2 * self.params.min_samples_leaf {
            return;
        }
        let Some(split) = self.best_split(order, lo, hi, sum) else {
            return;
        };
        self.partition(order, lo, hi, &split);
        let mid = lo + split.left_rows;
        self.grow(order, lo, mid, depth + 1);
        let right = self.nodes.len() as u32;
        self.grow(order, mid, hi, depth + 1);
        self.nodes[at] = Node {
            feature: split.feature as u32,
            value: split.threshold,
            right,
        };
    }

    /// The split with the least squared error of the two children, i.e. the largest
    /// sum_left²/n_left + sum_right²/n_right; none when no split leaves `min_samples_leaf` rows on both
    /// sides or none improves on the node itself.
    fn best_split(&self, order: &[Vec<u32>], lo: usize, hi: usize, sum: f64) -> Option<Split> {
        let n = hi - lo;
        let min_leaf = self.params.min_samples_leaf;
        let parent = sum * sum / n as f64;
        let mut best: Option<(f64, Split)> = None;
        for (feature, column) in self.sample.x.iter().enumerate() {
            let rows = &order[feature][lo..hi];
            let mut left_sum = 0.0;
            for i in 0..n - 1 {
                left_sum += self.sample.y[rows[i] as usize];
                let left_n = i + 1;
                if left_n < min_leaf || n - left_n < min_leaf {
                    continue;
                }
                let here = column[rows[i] as usize];
                let next = column[rows[i + 1] as usize];
                if here == next {
                    continue;
                }
                let right_sum = sum - left_sum;
                let score = left_sum * left_sum / left_n as f64
                    + right_sum * right_sum / (n - left_n) as f64;
                if best.as_ref().is_none_or(|(s, _)| score > *s) {
                    best = Some((
                        score,
                        Split {
                            feature,
                            threshold: midpoint(here, next),
                            left_rows: left_n,
                        },
                    ));
                }
            }
        }
        // An improvement smaller than rounding is no improvement (a node of equal targets stays a leaf).
        best.filter(|(score, _)| *score > parent * (1.0 + 1e-12) + 1e-12)
            .map(|(_, split)| split)
    }

    /// Moves the rows going left to the front of every feature's slice, keeping each slice sorted.
    fn partition(&mut self, order: &mut [Vec<u32>], lo: usize, hi: usize, split: &Split) {
        let column = &self.sample.x[split.feature];
        for &r in &order[split.feature][lo..hi] {
            self.goes_left[r as usize] = column[r as usize] <= split.threshold;
        }
        for slice in order.iter_mut() {
            let rows = &mut slice[lo..hi];
            self.scratch.clear();
            let mut write = 0;
            for i in 0..rows.len() {
                let r = rows[i];
                if self.goes_left[r as usize] {
                    rows[write] = r;
                    write += 1;
                } else {
                    self.scratch.push(r);
                }
            }
            rows[write..].copy_from_slice(&self.scratch);
        }
    }
}

/// A threshold between two neighbouring values that sends the smaller left and the larger right, also
/// when their mean rounds up to the larger one.
fn midpoint(low: f64, high: f64) -> f64 {
    let mid = low + (high - low) / 2.0;
    if mid < high {
        mid
    } else {
        low
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(trees: usize, max_depth: usize) -> Params {
        Params {
            trees,
            max_depth,
            min_samples_leaf: 1,
            max_samples: usize::MAX,
            bootstrap: false,
            seed: 7,
        }
    }

    #[test]
    fn a_stump_splits_where_the_squared_error_is_least() {
        // x = 1, 2, 3, 10; y = 1, 2, 3, 10. Candidate splits (left | right), squared error:
        //   1 | 2,3,10: means 1 and 5: 0 + 9 + 4 + 25 = 38
        //   1,2 | 3,10: means 1.5 and 6.5: 0.5 + 24.5 = 25
        //   1,2,3 | 10: means 2 and 10: 2 + 0 = 2   <- least
        // so the threshold is (3 + 10) / 2 = 6.5, the leaves 2 and 10.
        let x = vec![vec![1.0, 2.0, 3.0, 10.0]];
        let y = [1.0, 2.0, 3.0, 10.0];
        let forest = Forest::fit(&Columns { x: &x, y: &y }, &params(1, 1), || {}).unwrap();
        let nodes = &forest.trees[0].nodes;
        assert_eq!(
            nodes,
            &vec![
                Node {
                    feature: 0,
                    value: 6.5,
                    right: 2
                },
                Node {
                    feature: LEAF,
                    value: 2.0,
                    right: 0
                },
                Node {
                    feature: LEAF,
                    value: 10.0,
                    right: 0
                },
            ]
        );
        assert_eq!(forest.predict(&[6.5]), 2.0);
        assert_eq!(forest.predict(&[6.6]), 10.0);
    }

    #[test]
    fn the_stump_picks_the_feature_that_separates_best() {
        // Feature 0 is noise, feature 1 separates y perfectly at 0.5.
        let x = vec![vec![3.0, 1.0, 2.0, 4.0], vec![0.0, 1.0, 0.0, 1.0]];
        let y = [5.0, 9.0, 5.0, 9.0];
        let forest = Forest::fit(&Columns { x: &x, y: &y }, &params(1, 3), || {}).unwrap();
        let tree = &forest.trees[0];
        assert_eq!(tree.nodes[0].feature, 1);
        assert_eq!(tree.nodes[0].value, 0.5);
        // Each side is pure: no further split.
        assert_eq!(tree.nodes.len(), 3);
        assert_eq!(tree.depth(), 1);
    }

    #[test]
    fn min_samples_leaf_and_max_depth_bound_the_tree() {
        let x = vec![(0..100).map(f64::from).collect::<Vec<_>>()];
        let y: Vec<f64> = (0..100).map(|i| f64::from(i * i)).collect();
        let deep = Forest::fit(&Columns { x: &x, y: &y }, &params(1, 30), || {}).unwrap();
        assert_eq!(
            deep.node_count(),
            199,
            "one leaf per row: 100 leaves, 99 splits"
        );
        let mut p = params(1, 3);
        p.min_samples_leaf = 20;
        let bounded = Forest::fit(&Columns { x: &x, y: &y }, &p, || {}).unwrap();
        assert!(bounded.trees[0].depth() <= 3);
        // Every leaf has at least 20 rows: at most 5 leaves.
        let leaves = bounded.trees[0]
            .nodes
            .iter()
            .filter(|n| n.feature == LEAF)
            .count();
        assert!((2..=5).contains(&leaves), "{leaves} leaves");
    }

    #[test]
    fn a_node_of_equal_targets_or_equal_features_stays_a_leaf() {
        let x = vec![vec![1.0, 2.0, 3.0]];
        let forest = Forest::fit(
            &Columns {
                x: &x,
                y: &[4.0; 3],
            },
            &params(1, 5),
            || {},
        )
        .unwrap();
        assert_eq!(forest.node_count(), 1);
        let same = vec![vec![1.0; 3]];
        let y = [1.0, 2.0, 3.0];
        let forest = Forest::fit(&Columns { x: &same, y: &y }, &params(1, 5), || {}).unwrap();
        assert_eq!(
            forest.trees[0].nodes,
            vec![Node {
                feature: LEAF,
                value: 2.0,
                right: 0
            }]
        );
    }

    #[test]
    fn a_seed_gives_the_same_forest_and_another_seed_another() {
        let x = vec![
            (0..500).map(|i| f64::from(i % 37)).collect::<Vec<_>>(),
            (0..500).map(|i| f64::from(i % 11)).collect::<Vec<_>>(),
        ];
        let y: Vec<f64> = (0..500).map(|i| f64::from((i % 37) * (i % 11))).collect();
        let mut p = params(8, 6);
        p.bootstrap = true;
        p.max_samples = 200;
        let data = Columns { x: &x, y: &y };
        let a = Forest::fit(&data, &p, || {}).unwrap();
        let b = Forest::fit(&data, &p, || {}).unwrap();
        assert_eq!(a, b);
        p.seed = 8;
        let c = Forest::fit(&data, &p, || {}).unwrap();
        assert_ne!(a, c);
        // The trees differ from each other too: each has its own bootstrap sample.
        assert_ne!(a.trees[0], a.trees[1]);
    }

    #[test]
    fn the_forest_predicts_the_mean_of_its_trees() {
        let forest = Forest {
            features: 1,
            trees: vec![
                Tree {
                    nodes: vec![Node {
                        feature: LEAF,
                        value: 1.0,
                        right: 0,
                    }],
                },
                Tree {
                    nodes: vec![Node {
                        feature: LEAF,
                        value: 4.0,
                        right: 0,
                    }],
                },
            ],
        };
        assert_eq!(forest.predict(&[0.0]), 2.5);
    }

    #[test]
    fn predicting_many_rows_equals_predicting_each() {
        let x = vec![
            (0..9000).map(|i| f64::from(i % 97)).collect::<Vec<_>>(),
            (0..9000).map(|i| f64::from(i % 13)).collect::<Vec<_>>(),
        ];
        let y: Vec<f64> = (0..9000)
            .map(|i| f64::from((i % 97) + 3 * (i % 13)))
            .collect();
        let mut p = params(5, 6);
        p.bootstrap = true;
        p.max_samples = 3000;
        let forest = Forest::fit(&Columns { x: &x, y: &y }, &p, || {}).unwrap();
        let mut many = vec![f64::NAN; 9000];
        forest.predict_rows(&[&x[0], &x[1]], &mut many);
        for i in 0..9000 {
            assert_eq!(many[i], forest.predict(&[x[0][i], x[1][i]]), "row {i}");
        }
    }

    #[test]
    fn bad_training_data_is_refused() {
        let fit = |x: Vec<Vec<f64>>, y: &[f64]| {
            Forest::fit(&Columns { x: &x, y }, &params(1, 1), || {}).map_err(|e| e.to_string())
        };
        assert!(fit(vec![vec![1.0, f64::NAN]], &[1.0, 2.0])
            .unwrap_err()
            .contains("row 1"));
        assert!(fit(vec![vec![1.0]], &[1.0, 2.0])
            .unwrap_err()
            .contains("1 rows, the target 2"));
        assert!(fit(vec![vec![]], &[])
            .unwrap_err()
            .contains("at least one training row"));
        assert!(fit(vec![vec![1.0]], &[f64::INFINITY])
            .unwrap_err()
            .contains("target"));
    }

    #[test]
    fn midpoints_stay_below_the_larger_value() {
        assert_eq!(midpoint(1.0, 2.0), 1.5);
        let a = 1.0f64;
        let b = f64::from_bits(a.to_bits() + 1);
        assert_eq!(midpoint(a, b), a);
    }
}
