//! Data-test outcomes for people (one line per test), for programs (JSON lines) and for CI (JUnit XML).
use super::{Outcome, Severity, Status};
use crate::text::printable;
use std::io::Write;

/// One line per test, its failing rows under it, then a summary line.
pub fn table(outcomes: &[Outcome], out: &mut dyn Write) -> std::io::Result<()> {
    lines(outcomes, out)?;
    writeln!(out, "{}", summary(outcomes))
}

/// One line per test, its failing rows under it.
pub fn lines(outcomes: &[Outcome], out: &mut dyn Write) -> std::io::Result<()> {
    for o in outcomes {
        writeln!(
            out,
            "{:<5} {:<70} {:>10}  {:>6.2} s  {}",
            o.status.as_str().to_uppercase(),
            printable(&o.test.id, 100),
            o.failing_rows
                .map(|n| format!("{n} failing"))
                .unwrap_or_default(),
            o.seconds,
            printable(&o.message, 160)
        )?;
        if o.status != Status::Pass {
            for sample in &o.samples {
                writeln!(out, "        {}", printable(sample, 160))?;
            }
        }
    }
    Ok(())
}

pub fn summary(outcomes: &[Outcome]) -> String {
    let count = |s: Status| outcomes.iter().filter(|o| o.status == s).count();
    format!(
        "{} tests: {} passed, {} warned, {} failed, {} could not run",
        outcomes.len(),
        count(Status::Pass),
        count(Status::Warn),
        count(Status::Fail),
        count(Status::Error)
    )
}

/// One JSON object per test and line.
pub fn json(outcomes: &[Outcome], out: &mut dyn Write) -> std::io::Result<()> {
    for o in outcomes {
        let line = serde_json::json!({
            "test": o.test.id,
            "relation": o.test.relation,
            "dataset": o.test.dataset,
            "kind": o.test.kind,
            "severity": severity(o.test.severity),
            "status": o.status.as_str(),
            "failing_rows": o.failing_rows,
            "observed": o.observed,
            "message": o.message,
            "samples": o.samples,
            "seconds": o.seconds,
        });
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warn => "warn",
    }
}

/// JUnit XML: one testsuite per relation, one testcase per test. A failed test of severity error is a
/// `<failure>`, one that could not run an `<error>`; a warning passes with its message in `<system-out>`.
pub fn junit(outcomes: &[Outcome], out: &mut dyn Write) -> std::io::Result<()> {
    let failures = outcomes.iter().filter(|o| o.status == Status::Fail).count();
    let errors = outcomes
        .iter()
        .filter(|o| o.status == Status::Error)
        .count();
    let total: f64 = outcomes.iter().map(|o| o.seconds).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="exercise check" tests="{}" failures="{failures}" errors="{errors}" time="{total:.3}">"#,
        outcomes.len()
    )?;
    let mut relations: Vec<&str> = Vec::new();
    for o in outcomes {
        if !relations.contains(&o.test.relation.as_str()) {
            relations.push(&o.test.relation);
        }
    }
    for relation in relations {
        let mine: Vec<&Outcome> = outcomes
            .iter()
            .filter(|o| o.test.relation == relation)
            .collect();
        let count = |s: Status| mine.iter().filter(|o| o.status == s).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="{}" time="{:.3}">"#,
            xml(relation),
            mine.len(),
            count(Status::Fail),
            count(Status::Error),
            mine.iter().map(|o| o.seconds).sum::<f64>()
        )?;
        for o in mine {
            write!(
                out,
                r#"    <testcase classname="{}" name="{}" time="{:.3}""#,
                xml(&o.test.relation),
                xml(&o.test.name),
                o.seconds
            )?;
            let detail = xml(&o.samples.join("\n"));
            match o.status {
                Status::Pass => writeln!(out, "/>")?,
                Status::Warn => writeln!(
                    out,
                    ">\n      <system-out>warning: {}\n{detail}</system-out>\n    </testcase>",
                    xml(&o.message)
                )?,
                Status::Fail => writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">{detail}</failure>\n    </testcase>",
                    xml(&o.message),
                    o.test.kind
                )?,
                Status::Error => writeln!(
                    out,
                    ">\n      <error message=\"{}\" type=\"{}\"/>\n    </testcase>",
                    xml(&o.message),
                    o.test.kind
                )?,
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Text as XML character data or attribute value: markup escaped, characters XML 1.0 forbids dropped,
/// cut to a sane length.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().take(2000) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::xml;

    #[test]
    fn xml_text_is_escaped_and_forbidden_characters_dropped() {
        assert_eq!(
            xml("a<b & \"c\" 'd'>"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;"
        );
        assert_eq!(xml("bell\u{7}"), "bell?");
    }
}
