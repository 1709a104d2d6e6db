//! `exercise plot`: positions, forces and speed of both robots over one run, drawn into one PNG.
use super::require_run;
use crate::duck::warehouse::Warehouse;
use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// The columns one run's picture needs, as series over seconds since the run's first grid point.
struct Series {
    seconds: Vec<f64>,
    columns: Vec<(&'static str, Vec<Option<f64>>)>,
}

const PLOTTED: [&str; 16] = [
    "x_1", "y_1", "z_1", "x_2", "y_2", "z_2", "fx_1", "fy_1", "fz_1", "fx_2", "fy_2", "fz_2", "v1",
    "v2", "f1", "f2",
];

/// At most about `points` rows, evenly spaced, so a long run still draws quickly.
fn load_series(wh: &Warehouse, run_uuid: u64, points: usize) -> Result<Series> {
    let rows: i64 = wh.scalar(&format!(
        "SELECT count(*) FROM telemetry.run_features WHERE run_uuid = {run_uuid}"
    ))?;
    let step = (rows as usize).div_ceil(points.max(1)).max(1);
    let sql = format!(
        "SELECT (epoch_us(time) - min(epoch_us(time)) OVER ()) / 1e6, {}
         FROM telemetry.run_features WHERE run_uuid = {run_uuid}
         QUALIFY (row_number() OVER (ORDER BY time) - 1) % {step} = 0
         ORDER BY time",
        PLOTTED.join(", ")
    );
    let mut stmt = wh.conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut series = Series {
        seconds: Vec::new(),
        columns: PLOTTED.iter().map(|c| (*c, Vec::new())).collect(),
    };
    while let Some(row) = rows.next()? {
        series.seconds.push(row.get(0)?);
        for (i, (_, values)) in series.columns.iter_mut().enumerate() {
            values.push(row.get::<_, Option<f64>>(i + 1)?);
        }
    }
    Ok(series)
}

impl Series {
    fn pick(&self, names: &[&str]) -> Vec<(&'static str, &[Option<f64>])> {
        self.columns
            .iter()
            .filter(|(n, _)| names.contains(n))
            .map(|(n, v)| (*n, v.as_slice()))
            .collect()
    }
}

fn draw_error<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing the picture: {e:?}")
}

/// One chart: the given columns over time, with a legend; a note instead when the sensor is absent.
fn panel(
    area: &DrawingArea<BitMapBackend, Shift>,
    title: &str,
    unit: &str,
    seconds: &[f64],
    lines: &[(&'static str, &[Option<f64>])],
) -> Result<()> {
    let values = lines.iter().flat_map(|(_, v)| v.iter().flatten().copied());
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    let t_end = seconds.last().copied().unwrap_or(1.0).max(1e-3);
    if !lo.is_finite() {
        area.titled(
            &format!("{title}: no data (sensor absent from this run)"),
            ("sans-serif", 18),
        )
        .map_err(draw_error)?;
        return Ok(());
    }
    let pad = ((hi - lo) * 0.05).max(1e-6);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(32)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..t_end, (lo - pad)..(hi + pad))
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the run started")
        .y_desc(unit)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(draw_error)?;
    for (i, (name, ys)) in lines.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let points = seconds
            .iter()
            .zip(ys.iter())
            .filter_map(|(t, y)| y.map(|y| (*t, y)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(1)))
            .map_err(draw_error)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color));
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 13))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(draw_error)?;
    Ok(())
}

/// `exercise plot`: a 3 x 2 grid (position, force, speed; robot 1, robot 2) in one PNG.
/// `size` is (width, height) in pixels.
pub fn plot(wh: &Warehouse, run_uuid: u64, output: &Path, size: (u32, u32)) -> Result<()> {
    require_run(wh, run_uuid)?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
        .map_err(|_| anyhow!("cannot load the embedded DejaVu Sans font"))?;
    let series = load_series(wh, run_uuid, size.0 as usize * 2)?;
    draw(&series, run_uuid, output, size).with_context(|| format!("writing {}", output.display()))
}

fn names(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn draw(series: &Series, run_uuid: u64, output: &Path, size: (u32, u32)) -> Result<()> {
    let root = BitMapBackend::new(output, size).into_drawing_area();
    root.fill(&WHITE).map_err(draw_error)?;
    let body = root
        .titled(&format!("run {run_uuid}"), ("sans-serif", 26))
        .map_err(draw_error)?;
    let areas = body.split_evenly((3, 2));
    let t = &series.seconds;
    for robot in 1..=2 {
        let col = robot - 1;
        let pos = [
            format!("x_{robot}"),
            format!("y_{robot}"),
            format!("z_{robot}"),
        ];
        let force = [
            format!("fx_{robot}"),
            format!("fy_{robot}"),
            format!("fz_{robot}"),
            format!("f{robot}"),
        ];
        let speed = [format!("v{robot}")];
        // one column per robot; rows: position, force, speed
        let panels = [
            ("position", "mm", &pos[..]),
            ("force", "N", &force[..]),
            ("speed", "mm/s", &speed[..]),
        ];
        for (row, (what, unit, columns)) in panels.into_iter().enumerate() {
            panel(
                &areas[2 * row + col],
                &format!("robot {robot}: {what}"),
                unit,
                t,
                &series.pick(&names(columns)),
            )?;
        }
    }
    root.present().map_err(draw_error)?;
    Ok(())
}
