//! How well predictions match the truth, in the measures that suit volumes spanning orders of magnitude,
//! and the least-squares baseline.
use serde::{Deserialize, Serialize};

/// One evaluation on one set of test rows (market.model_metrics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub rows: u64,
    #[serde(with = "nullable")]
    pub mae: f64,
    #[serde(with = "nullable")]
    pub rmse: f64,
    /// NaN (JSON null) when the test rows' truth has no variance.
    #[serde(with = "nullable")]
    pub r2: f64,
    #[serde(with = "nullable")]
    pub mae_log1p: f64,
    /// Median absolute percentage error in percent, over the rows whose truth is not 0 (NaN if none).
    #[serde(with = "nullable")]
    pub mdape: f64,
}

/// A metric that is not a number is written as JSON null and read back as NaN.
mod nullable {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

impl Metrics {
    /// Compares `predicted` with `truth`, row by row. Predictions below zero count as zero in the log
    /// error (a volume is never negative; ln(1 + x) is undefined below -1).
    pub fn of(truth: &[f64], predicted: &[f64]) -> Metrics {
        debug_assert_eq!(truth.len(), predicted.len(), "one prediction per row");
        let n = truth.len() as f64;
        let mean = truth.iter().sum::<f64>() / n;
        let (mut abs, mut sq, mut total, mut log) = (0.0, 0.0, 0.0, 0.0);
        let mut percent = Vec::with_capacity(truth.len());
        for (&t, &p) in truth.iter().zip(predicted) {
            abs += (t - p).abs();
            sq += (t - p) * (t - p);
            total += (t - mean) * (t - mean);
            log += (t.max(0.0).ln_1p() - p.max(0.0).ln_1p()).abs();
            if t != 0.0 {
                percent.push(((t - p) / t).abs() * 100.0);
            }
        }
        Metrics {
            rows: truth.len() as u64,
            mae: abs / n,
            rmse: (sq / n).sqrt(),
            r2: 1.0 - sq / total,
            mae_log1p: log / n,
            mdape: median(&mut percent),
        }
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// y = b0 + b1 x1 + b2 x2 + ..., fitted by least squares (normal equations, solved by Gaussian
/// elimination with partial pivoting; the features are few).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub coefficients: Vec<f64>,
}

impl Line {
    /// `x[feature][row]`. Features are centred first, which keeps the normal equations well conditioned
    /// for volumes in the millions. A feature without variance gets coefficient 0.
    pub fn fit(x: &[Vec<f64>], y: &[f64]) -> Line {
        let n = y.len() as f64;
        let k = x.len();
        let means: Vec<f64> = x.iter().map(|c| c.iter().sum::<f64>() / n).collect();
        let y_mean = y.iter().sum::<f64>() / n;
        // A = X'X and b = X'y on centred data.
        let mut a = vec![vec![0.0; k]; k];
        let mut b = vec![0.0; k];
        for row in 0..y.len() {
            for i in 0..k {
                let xi = x[i][row] - means[i];
                b[i] += xi * (y[row] - y_mean);
                for j in 0..k {
                    a[i][j] += xi * (x[j][row] - means[j]);
                }
            }
        }
        let slopes = solve(a, b);
        let intercept = y_mean - slopes.iter().zip(&means).map(|(s, m)| s * m).sum::<f64>();
        let mut coefficients = vec![intercept];
        coefficients.extend(slopes);
        Line { coefficients }
    }

    pub fn predict(&self, row: &[f64]) -> f64 {
        self.coefficients[0]
            + self.coefficients[1..]
                .iter()
                .zip(row)
                .map(|(c, x)| c * x)
                .sum::<f64>()
    }
}

fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let k = b.len();
    let scale = a.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    for col in 0..k {
        let pivot = (col..k)
            .max_by(|&r, &s| a[r][col].abs().total_cmp(&a[s][col].abs()))
            .unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        if a[col][col].abs() <= scale * 1e-12 {
            // No variance left in this feature: it explains nothing.
            for row in a.iter_mut() {
                row[col] = 0.0;
            }
            a[col][col] = 1.0;
            b[col] = 0.0;
        }
        let (above, below) = a.split_at_mut(col + 1);
        let pivot_row = &above[col];
        for (offset, row) in below.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            for (cell, p) in row.iter_mut().zip(pivot_row).skip(col) {
                *cell -= factor * p;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut x = vec![0.0; k];
    for row in (0..k).rev() {
        let rest: f64 = (row + 1..k).map(|c| a[row][c] * x[c]).sum();
        x[row] = (b[row] - rest) / a[row][row];
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        // errors 10, -10, 0, 20 on truths 100, 50, 10, 40
        let m = Metrics::of(&[100.0, 50.0, 10.0, 40.0], &[90.0, 60.0, 10.0, 20.0]);
        assert_eq!(m.rows, 4);
        assert_eq!(m.mae, 10.0);
        assert_eq!(m.rmse, (600.0f64 / 4.0).sqrt());
        // mean 50; total sum of squares 2500 + 0 + 1600 + 100 = 4200; residual 600
        assert!((m.r2 - (1.0 - 600.0 / 4200.0)).abs() < 1e-12);
        // percentage errors 10, 20, 0, 50 -> median (10 + 20) / 2
        assert_eq!(m.mdape, 15.0);
        let log = ((101f64.ln() - 91f64.ln()).abs()
            + (51f64.ln() - 61f64.ln()).abs()
            + (41f64.ln() - 21f64.ln()).abs())
            / 4.0;
        assert!((m.mae_log1p - log).abs() < 1e-12);
    }

    #[test]
    fn a_zero_truth_is_left_out_of_the_percentage_error_only() {
        let m = Metrics::of(&[0.0, 10.0], &[5.0, 12.0]);
        assert_eq!(m.mdape, 20.0);
        assert_eq!(m.mae, 3.5);
    }

    #[test]
    fn the_line_recovers_an_exact_plane() {
        let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![2e6, 1e6, 4e6, 3e6, 7e6]];
        let y: Vec<f64> = (0..5)
            .map(|i| 7.0 + 3.0 * x[0][i] + 0.5 * x[1][i])
            .collect();
        let line = Line::fit(&x, &y);
        for (got, want) in line.coefficients.iter().zip([7.0, 3.0, 0.5]) {
            assert!(
                (got - want).abs() < 1e-6 * want.abs().max(1.0),
                "{got} vs {want}"
            );
        }
        assert!((line.predict(&[10.0, 1e6]) - (7.0 + 30.0 + 5e5)).abs() < 1e-3);
    }

    #[test]
    fn a_constant_feature_gets_no_weight() {
        let x = vec![vec![1.0, 2.0, 3.0], vec![5.0, 5.0, 5.0]];
        let line = Line::fit(&x, &[2.0, 4.0, 6.0]);
        assert!((line.coefficients[1] - 2.0).abs() < 1e-12);
        assert_eq!(line.coefficients[2], 0.0);
        assert!(line.coefficients[0].abs() < 1e-12);
    }
}
