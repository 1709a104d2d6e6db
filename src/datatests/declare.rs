//! Declaring data tests: the TOML of sql/tests/<schema>/<relation>.toml (and of `check --tests DIR`),
//! checked for form and compiled into queries of failing rows.
use super::{qualified, Severity, Test};
use crate::duck::{quote_ident, sql_string, sqlfiles};
use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// One relation's test file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    dataset: String,
    #[serde(default)]
    tests: Vec<Declared>,
}

/// A test as declared: exactly one kind, plus how to judge it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Declared {
    name: Option<String>,
    #[serde(default)]
    severity: Severity,
    /// Pass while at most this many rows fail (default 0).
    max_failing: Option<u64>,
    /// Pass while at most this share of the rows judged fail, in percent: of the relation's rows, or of
    /// the rows a load judges (`rows_not_yet_judged`).
    max_failing_percent: Option<f64>,
    /// Run inside every load of the dataset (default); false: only by `exercise check`.
    on_load: Option<bool>,
    unique: Option<Vec<String>>,
    not_null: Option<Vec<String>>,
    accepted_values: Option<AcceptedValues>,
    relationships: Option<Relationship>,
    accepted_range: Option<AcceptedRange>,
    row_count: Option<RowCount>,
    freshness: Option<Freshness>,
    expression_is_true: Option<String>,
    /// A singular test: a query returning the failing rows.
    sql: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedValues {
    column: String,
    values: Vec<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Relationship {
    column: String,
    /// The relation the values must exist in, as schema.name.
    to: String,
    field: String,
}

/// Bounds are SQL expressions (e.g. `DATE '2008-07-31'`, `now()::TIMESTAMP`, `Low`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptedRange {
    column: String,
    min: Option<String>,
    max: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RowCount {
    min: Option<u64>,
    max: Option<u64>,
    /// Fails when the rows fall below this share of the count the previous run of this test observed.
    min_ratio_of_previous: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Freshness {
    column: String,
    /// A DuckDB interval, e.g. '2 days'.
    max_age: String,
    /// What "now" is, as SQL; default the current time in UTC.
    reference: Option<String>,
}

/// Every shipped test (embedded from sql/tests/), in file order, checked for form.
pub fn declared() -> Result<Vec<Test>> {
    let files: Vec<(String, String)> = sqlfiles::under("tests/")
        .into_iter()
        .filter(|(path, _)| path.ends_with(".toml"))
        .map(|(path, text)| (path.to_string(), text.to_string()))
        .collect();
    parse_all(&files, "sql/tests/")
}

/// The tests of a folder laid out as sql/tests/ is (`<schema>/<relation>.toml`), for a project's own
/// tests beside the shipped ones.
pub fn declared_in(dir: &std::path::Path) -> Result<Vec<Test>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("reading the tests in {}", dir.display()))?;
        let path = entry.path();
        if entry.file_type().is_file() && path.extension().is_some_and(|e| e == "toml") {
            let rel = path
                .strip_prefix(dir)
                .unwrap_or(path)
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            files.push((format!("tests/{rel}"), text));
        }
    }
    if files.is_empty() {
        bail!(
            "no <schema>/<relation>.toml test files in {}",
            dir.display()
        );
    }
    parse_all(&files, &format!("{}/", dir.display()))
}

/// Each file's tests (`files` are `tests/<schema>/<relation>.toml`); `folder` is the folder shown for
/// `tests/` in errors, so that an error names the file as it is on disk.
fn parse_all(files: &[(String, String)], folder: &str) -> Result<Vec<Test>> {
    let mut tests = Vec::new();
    for (path, text) in files {
        let path = path.as_str();
        let shown = format!("{folder}{}", path.strip_prefix("tests/").unwrap_or(path));
        let relation = relation_of(path).with_context(|| shown.clone())?;
        let file: TestFile = toml::from_str(text).with_context(|| shown.clone())?;
        if crate::datasets::by_name(&file.dataset).is_none() {
            let known: Vec<&str> = crate::datasets::ALL.iter().map(|d| d.name).collect();
            bail!(
                "{shown}: no dataset {} (one of: {})",
                file.dataset,
                known.join(", ")
            );
        }
        for (i, declared) in file.tests.into_iter().enumerate() {
            let test = compile(&relation, &file.dataset, declared)
                .with_context(|| format!("{shown}: test {}", i + 1))?;
            if tests.iter().any(|t: &Test| t.id == test.id) {
                bail!("{shown}: two tests named {}", test.id);
            }
            tests.push(test);
        }
    }
    Ok(tests)
}

/// `tests/<schema>/<relation>.toml` is `<schema>.<relation>`.
fn relation_of(path: &str) -> Result<String> {
    let parts: Vec<&str> = path.trim_end_matches(".toml").split('/').collect();
    match parts.as_slice() {
        ["tests", schema, relation] => Ok(format!("{schema}.{relation}")),
        _ => bail!("a test file is <tests folder>/<schema>/<relation>.toml"),
    }
}

fn literal(value: &toml::Value) -> Result<String> {
    Ok(match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::String(s) => sql_string(s),
        other => bail!("accepted value {other:?} is not a number, boolean or string"),
    })
}

/// The kinds a test declares, each as (kind, default name, the query of its failing rows in `rel`), and
/// row_count's bounds.
type Kinds = (Vec<(&'static str, String, String)>, Option<RowBounds>);
type RowBounds = (Option<u64>, Option<u64>, Option<f64>);

/// The kinds of test that judge each row by itself: inside a load they judge only the rows no earlier
/// load judged (`rows_not_yet_judged`). Not `relationships`, whose verdict on a row can change when the
/// relation it refers to does (a new symbol directory replaces `market.symbols`).
const ROW_BY_ROW: [&str; 4] = [
    "not_null",
    "accepted_values",
    "accepted_range",
    "expression_is_true",
];

/// The rows of `rel` that no load of the dataset has judged yet: those of files loaded after the last
/// file of the last run whose tests all ran and were kept (not rolled back, none that could not run).
/// File ids only grow, and each such run judged every row up to its own files. So this is the current
/// load's rows, and the rows of any earlier load that ran without its tests: with `--no-check`, or cut
/// off before them (a sensor-log run stopped between batches).
/// Named as the relation (`votes`), so that an expression naming its columns `votes.x` still reads.
pub(super) fn rows_not_yet_judged(relation: &str) -> String {
    let rel = qualified(relation);
    let name = quote_ident(relation.rsplit('.').next().unwrap_or(relation));
    format!(
        "(SELECT * FROM {rel} WHERE source_file_id > (\
           SELECT coalesce(max(f.file_load_id), -1) FROM meta.file_loads f \
           WHERE f.dataset = getvariable('dataset') AND f.run_id IN (\
             SELECT load_run_id FROM meta.test_results \
             WHERE dataset = getvariable('dataset') AND load_run_id IS NOT NULL \
             GROUP BY load_run_id HAVING NOT bool_or(rolled_back OR status = 'error')))) AS {name}"
    )
}

fn declared_kinds(d: &Declared, rel: &str) -> Result<Kinds> {
    let mut kinds: Vec<(&'static str, String, String)> = Vec::new(); // (kind, default name, sql)
    let mut row_count = None;
    for (kind, columns) in [("unique", &d.unique), ("not_null", &d.not_null)] {
        if columns.as_ref().is_some_and(|c| c.is_empty()) {
            bail!("{kind} needs at least one column");
        }
    }
    if (d.row_count.is_some() || d.freshness.is_some())
        && (d.max_failing.is_some() || d.max_failing_percent.is_some())
    {
        bail!("row_count and freshness pass or fail as a whole: they take no max_failing or max_failing_percent");
    }
    if let Some(columns) = &d.unique {
        let cols = columns
            .iter()
            .map(|c| quote_ident(c))
            .collect::<Vec<_>>()
            .join(", ");
        kinds.push((
            "unique",
            format!("unique_{}", columns.join("_")),
            // As dbt's unique: rows with a NULL key are not duplicates of each other (not_null tests those).
            // Keys are first grouped by their 64-bit hash (twice as fast as grouping text and dates: 3.1 s
            // to 1.5 s over 28M prices); only the rows of a repeated hash, usually none, are then
            // grouped by the key itself, so a hash collision is never reported as a duplicate.
            {
                let present = columns
                    .iter()
                    .map(|c| format!("{} IS NOT NULL", quote_ident(c)))
                    .collect::<Vec<_>>()
                    .join(" AND ");
                format!(
                    "WITH repeated_hashes AS (SELECT hash({cols}) AS h FROM {rel} WHERE {present} GROUP BY 1 HAVING count(*) > 1) \
                     SELECT {cols}, count(*) AS occurrences FROM {rel} \
                     WHERE {present} AND hash({cols}) IN (SELECT h FROM repeated_hashes) GROUP BY ALL HAVING count(*) > 1"
                )
            },
        ));
    }
    if let Some(columns) = &d.not_null {
        let any_null = columns
            .iter()
            .map(|c| format!("{} IS NULL", quote_ident(c)))
            .collect::<Vec<_>>()
            .join(" OR ");
        kinds.push((
            "not_null",
            format!("not_null_{}", columns.join("_")),
            format!("SELECT * FROM {rel} WHERE {any_null}"),
        ));
    }
    if let Some(a) = &d.accepted_values {
        if a.values.is_empty() {
            bail!("accepted_values needs at least one value");
        }
        let values = a.values.iter().map(literal).collect::<Result<Vec<_>>>()?;
        let col = quote_ident(&a.column);
        kinds.push((
            "accepted_values",
            format!("accepted_values_{}", a.column),
            format!(
                "SELECT * FROM {rel} WHERE {col} IS NOT NULL AND {col} NOT IN ({})",
                values.join(", ")
            ),
        ));
    }
    if let Some(r) = &d.relationships {
        let (col, field) = (quote_ident(&r.column), quote_ident(&r.field));
        kinds.push((
            "relationships",
            format!("relationships_{}_to_{}", r.column, r.to.replace('.', "_")),
            format!(
                // The distinct values are looked up, not every row (a fact table repeats its keys: 8,000
                // symbols in 28M prices, 2.2 s to 0.1 s), then the rows holding an orphan are the failures.
                "WITH referenced AS (SELECT DISTINCT {col} AS v FROM {rel} WHERE {col} IS NOT NULL), \
                      orphans AS (SELECT v FROM referenced r WHERE NOT EXISTS (SELECT 1 FROM {} p WHERE p.{field} = r.v)) \
                 SELECT c.* FROM {rel} c SEMI JOIN orphans o ON c.{col} = o.v",
                qualified(&r.to)
            ),
        ));
    }
    if let Some(r) = &d.accepted_range {
        let col = quote_ident(&r.column);
        let mut outside = Vec::new();
        if let Some(min) = &r.min {
            outside.push(format!("{col} < ({min})"));
        }
        if let Some(max) = &r.max {
            outside.push(format!("{col} > ({max})"));
        }
        if outside.is_empty() {
            bail!("accepted_range needs min, max or both");
        }
        kinds.push((
            "accepted_range",
            format!("accepted_range_{}", r.column),
            format!("SELECT * FROM {rel} WHERE {}", outside.join(" OR ")),
        ));
    }
    if let Some(r) = &d.row_count {
        if r.min.is_none() && r.max.is_none() && r.min_ratio_of_previous.is_none() {
            bail!("row_count needs min, max or min_ratio_of_previous");
        }
        row_count = Some((r.min, r.max, r.min_ratio_of_previous));
        kinds.push((
            "row_count",
            "row_count".into(),
            format!("SELECT count(*) FROM {rel}"),
        ));
    }
    if let Some(f) = &d.freshness {
        let col = quote_ident(&f.column);
        let reference = f
            .reference
            .clone()
            .unwrap_or_else(|| "now()::TIMESTAMP".into());
        kinds.push((
            "freshness",
            format!("freshness_{}", f.column),
            format!(
                "SELECT max({col}) AS newest, ({reference}) AS reference FROM {rel} HAVING max({col}) IS NULL OR max({col}) < ({reference}) - {}::INTERVAL",
                sql_string(&f.max_age)
            ),
        ));
    }
    if let Some(e) = &d.expression_is_true {
        kinds.push((
            "expression_is_true",
            "expression_is_true".into(),
            format!("SELECT * FROM {rel} WHERE NOT (\n{e}\n)"),
        ));
    }
    if let Some(sql) = &d.sql {
        kinds.push((
            "sql",
            String::new(),
            sql.trim().trim_end_matches(';').to_string(),
        ));
    }
    Ok((kinds, row_count))
}

fn compile(relation: &str, dataset: &str, d: Declared) -> Result<Test> {
    let rel = qualified(relation);
    let (mut kinds, row_count) = declared_kinds(&d, &rel)?;
    let (kind, default_name, failing_rows_sql) = match kinds.len() {
        1 => kinds.remove(0),
        0 => bail!("no test kind given (unique, not_null, accepted_values, relationships, accepted_range, row_count, freshness, expression_is_true or sql)"),
        _ => bail!("more than one test kind in one test: {}", kinds.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")),
    };
    let in_load_sql = if ROW_BY_ROW.contains(&kind) {
        let (mut scoped, _) = declared_kinds(&d, &rows_not_yet_judged(relation))?;
        Some(scoped.remove(0).2)
    } else {
        None
    };
    let name = match d.name {
        Some(name) => name,
        None if default_name.is_empty() || kind == "expression_is_true" => {
            bail!("a {kind} test needs a name")
        }
        None => default_name,
    };
    if let Some(p) = d.max_failing_percent {
        if !(0.0..=100.0).contains(&p) {
            bail!("max_failing_percent {p} is not between 0 and 100");
        }
    }
    Ok(Test {
        id: format!("{relation}.{name}"),
        name,
        relation: relation.to_string(),
        dataset: dataset.to_string(),
        kind,
        severity: d.severity,
        max_failing: d.max_failing.unwrap_or(0),
        max_failing_percent: d.max_failing_percent,
        failing_rows_sql,
        in_load_sql,
        row_count,
        unique_key: d.unique.clone(),
        on_load: d.on_load.unwrap_or(true),
    })
}

/// Which tests to run: of one dataset, and/or whose id contains `select` ('*' matches any run of
/// characters).
pub fn select(tests: Vec<Test>, dataset: Option<&str>, pattern: Option<&str>) -> Vec<Test> {
    tests
        .into_iter()
        .filter(|t| dataset.is_none_or(|d| t.dataset == d))
        .filter(|t| pattern.is_none_or(|p| matches_pattern(&t.id, p)))
        .collect()
}

fn matches_pattern(id: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return id.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = id;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declared(toml_text: &str) -> Result<Test> {
        let file: TestFile = toml::from_str(toml_text)?;
        compile("s.r", &file.dataset, file.tests.into_iter().next().unwrap())
    }

    #[test]
    fn every_shipped_test_file_is_well_formed() {
        let tests = super::declared().unwrap();
        assert!(tests.len() >= 20, "{} tests", tests.len());
        for dataset in crate::datasets::ALL {
            assert!(
                tests.iter().any(|t| t.dataset == dataset.name),
                "no tests for {}",
                dataset.name
            );
        }
    }

    #[test]
    fn a_test_has_exactly_one_kind() {
        let two = "dataset = 'votes'\n[[tests]]\nunique = ['Id']\nnot_null = ['Id']";
        assert!(declared(two)
            .unwrap_err()
            .to_string()
            .contains("more than one"));
        let none = "dataset = 'votes'\n[[tests]]\nseverity = 'warn'";
        assert!(declared(none)
            .unwrap_err()
            .to_string()
            .contains("no test kind"));
        let unknown = "dataset = 'votes'\n[[tests]]\nuniqe = ['Id']";
        assert!(declared(unknown).is_err());
    }

    #[test]
    fn generic_tests_compile_to_queries_of_failing_rows() {
        let t = declared("dataset = 'votes'\n[[tests]]\nunique = ['Id']").unwrap();
        assert_eq!(t.id, "s.r.unique_Id");
        assert!(t.failing_rows_sql.contains("HAVING count(*) > 1"));
        let t = declared(
            "dataset = 'votes'\n[[tests]]\naccepted_values = { column = 'k', values = [1, \"it's\"] }",
        )
        .unwrap();
        assert!(
            t.failing_rows_sql.contains("NOT IN (1, 'it''s')"),
            "{}",
            t.failing_rows_sql
        );
        let t = declared(
            "dataset = 'votes'\n[[tests]]\nseverity = 'warn'\nname = 'x'\nsql = 'SELECT 1;'",
        )
        .unwrap();
        assert_eq!((t.kind, t.severity), ("sql", Severity::Warn));
        assert_eq!(t.failing_rows_sql, "SELECT 1");
    }

    #[test]
    fn patterns_select_by_id() {
        assert!(matches_pattern(
            "market.prices.unique_Symbol_Date",
            "unique"
        ));
        assert!(matches_pattern(
            "market.prices.unique_Symbol_Date",
            "market.*.unique*"
        ));
        assert!(!matches_pattern(
            "market.prices.unique_Symbol_Date",
            "dwh.*"
        ));
        assert!(matches_pattern("a.b.c", "*"));
        assert!(matches_pattern("a.b.c", "a*c"));
        assert!(!matches_pattern("a.b.cd", "a*c"));
    }
}
