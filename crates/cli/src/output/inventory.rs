//! `tagman refs --inventory` output: an aligned table (managed images first), JSON, CSV (one
//! line per location) or a Markdown table; every format sorted the same way, so two runs diff
//! line by line.

use std::fmt::Write as _;
use std::io::Write;

use tagman_refs::inventory::{Inventory, Location, Row};

use crate::error::CliError;
use crate::output::{escape, Ui};

/// An inventory format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InventoryFormat {
    /// Aligned columns, managed images first, one location per line.
    Human,
    /// `{"images": [...], "summary": {...}}`.
    Json,
    /// A header, then one line per (image, tag, location).
    Csv,
    /// One table row per image, locations joined with `<br>`.
    Markdown,
}

/// Prints `inventory` to stdout.
pub fn print(inventory: &Inventory, format: InventoryFormat, ui: &Ui) -> Result<(), CliError> {
    let text = match format {
        InventoryFormat::Human => {
            let mut t = human(inventory);
            if !ui.quiet {
                t.push_str(&summary(inventory));
                t.push('\n');
            }
            t
        }
        InventoryFormat::Json => {
            let mut t = serde_json::to_string_pretty(inventory).map_err(std::io::Error::from)?;
            t.push('\n');
            t
        }
        InventoryFormat::Csv => csv(inventory),
        InventoryFormat::Markdown => markdown(inventory),
    };
    // The run's one document: an error after it (a broken budget) goes to stderr only.
    ui.mark_printed();
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// `tag`, `tag@sha256:…`, `@sha256:…` or `(no tag)`; digests shortened when `short`.
fn version(row: &Row, short: bool) -> String {
    let digest = row.digest.as_deref().map(|d| {
        let cut = d.find(':').map_or(0, |i| i + 1) + 12;
        if short && d.len() > cut + 1 {
            format!("@{}…", &d[..cut])
        } else {
            format!("@{d}")
        }
    });
    match (&row.tag, digest) {
        (Some(tag), Some(d)) => format!("{tag}{d}"),
        (Some(tag), None) => tag.clone(),
        (None, Some(d)) => d,
        (None, None) => "(no tag)".to_owned(),
    }
}

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// `file:line:col (origin chart, overridden)`.
fn place(l: &Location) -> String {
    let mut s = format!("{}:{}:{}", l.file, l.line, l.column);
    let mut notes = Vec::new();
    if let Some(origin) = l.origin {
        notes.push(match &l.chart {
            Some(chart) => format!("{origin} {chart}"),
            None => origin.to_owned(),
        });
    }
    if l.overridden {
        notes.push("overridden".to_owned());
    }
    if !notes.is_empty() {
        let _ = write!(s, " ({})", notes.join(", "));
    }
    s
}

/// The aligned table: one group per managed/other, a row per image, a line per further location.
pub fn human(inventory: &Inventory) -> String {
    let mut out = String::new();
    for (managed, title) in [(true, "Managed images"), (false, "Other images")] {
        let rows: Vec<&Row> = inventory
            .images
            .iter()
            .filter(|r| r.managed == managed)
            .collect();
        if rows.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let _ = writeln!(out, "{title} ({})", rows.len());
        let cells: Vec<[String; 4]> = rows
            .iter()
            .map(|r| {
                let flags = match (managed, r.template) {
                    // A build template (`@PLATFORM_REGISTRY@/…:@IMAGE_PREFIX@-…`): the build
                    // fills it in, so no manifest declares it as written.
                    (_, true) => "template".to_owned(),
                    (true, false) => format!(
                        "{}{}",
                        if r.declared { "declared" } else { "UNDECLARED" },
                        if r.superseded { ", superseded" } else { "" }
                    ),
                    (false, false) => "-".to_owned(),
                };
                [r.name.clone(), version(r, true), flags, String::new()]
            })
            .collect();
        let width = |i: usize, head: &str| {
            cells
                .iter()
                .map(|c| c[i].chars().count())
                .chain([head.chars().count()])
                .max()
                .unwrap_or(0)
        };
        let (w0, w1, w2) = (width(0, "IMAGE"), width(1, "TAG"), width(2, "FLAGS"));
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  LOCATIONS",
            "IMAGE", "TAG", "FLAGS"
        );
        for (row, c) in rows.iter().zip(&cells) {
            for (i, l) in row.locations.iter().enumerate() {
                let (a, b, f) = if i == 0 {
                    (c[0].as_str(), c[1].as_str(), c[2].as_str())
                } else {
                    ("", "", "")
                };
                let line = format!("{a:<w0$}  {b:<w1$}  {f:<w2$}  {}", place(l));
                let _ = writeln!(out, "{}", escape::visible(line.trim_end()));
            }
        }
    }
    out
}

/// `tagman: 12 images (5 managed: 4 declared, 1 undeclared, 0 superseded; 7 other) at 30 locations in 9 files`.
pub fn summary(inventory: &Inventory) -> String {
    let s = &inventory.summary;
    format!(
        "tagman: {} image(s) ({} managed: {} declared, {} undeclared, {} superseded; {} other) at {} location(s) in {} file(s)",
        s.images, s.managed, s.declared, s.undeclared, s.superseded, s.unmanaged, s.locations, s.files
    )
}

/// RFC 4180 quoting, control characters escaped and formulas disarmed: [`escape::csv_cell`].
fn csv_field(s: &str) -> String {
    escape::csv_cell(s)
}

/// One line per (image, tag, location), after a header.
pub fn csv(inventory: &Inventory) -> String {
    let mut out = String::from(
        "name,tag,digest,managed,declared,superseded,file,line,column,origin,chart,overridden,template\n",
    );
    for r in &inventory.images {
        for l in &r.locations {
            let fields = [
                csv_field(&r.name),
                csv_field(r.tag.as_deref().unwrap_or("")),
                csv_field(r.digest.as_deref().unwrap_or("")),
                r.managed.to_string(),
                r.declared.to_string(),
                r.superseded.to_string(),
                csv_field(&l.file),
                l.line.to_string(),
                l.column.to_string(),
                l.origin.unwrap_or("").to_owned(),
                csv_field(l.chart.as_deref().unwrap_or("")),
                l.overridden.to_string(),
                r.template.to_string(),
            ];
            out.push_str(&fields.join(","));
            out.push('\n');
        }
    }
    out
}

fn md(s: &str) -> String {
    escape::markdown_cell(s)
}

/// A Markdown table, one row per image.
pub fn markdown(inventory: &Inventory) -> String {
    let mut out = String::from(
        "| Image | Tag | Managed | Declared | Superseded | Locations |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in &inventory.images {
        let places: Vec<String> = r
            .locations
            .iter()
            .map(|l| format!("`{}`", md(&place(l))))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | `{}` | {} | {} | {} | {} |",
            md(&r.name),
            md(&version(r, false)),
            if r.template {
                "template"
            } else {
                yes(r.managed)
            },
            yes(r.declared),
            yes(r.superseded),
            places.join("<br>")
        );
    }
    out.push('\n');
    out.push_str(&summary(inventory).replacen("tagman: ", "", 1));
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use tagman_refs::inventory::Summary;

    use super::*;

    fn inventory() -> Inventory {
        let loc = |file: &str, line, origin: Option<&'static str>, overridden| Location {
            file: file.to_owned(),
            line,
            column: 5,
            origin,
            chart: origin.map(|_| "ptp".to_owned()),
            overridden,
        };
        Inventory {
            images: vec![
                Row {
                    name: "docker.io/starlingx/ptp".into(),
                    tag: Some("stx.9.0-v1".into()),
                    digest: None,
                    managed: true,
                    declared: true,
                    superseded: false,
                    template: false,
                    locations: vec![
                        loc(
                            "p.deb!a.tgz!ptp/values.yaml",
                            3,
                            Some("chart-default"),
                            true,
                        ),
                        loc(
                            "p.deb!ptp-static-overrides.yaml",
                            2,
                            Some("override"),
                            false,
                        ),
                    ],
                },
                Row {
                    name: "quay.io/a,b/c".into(),
                    tag: None,
                    digest: Some(format!("sha256:{}", "a".repeat(64))),
                    managed: false,
                    declared: false,
                    superseded: false,
                    template: false,
                    locations: vec![loc("x|y.yaml", 1, None, false)],
                },
            ],
            summary: Summary::default(),
        }
    }

    #[test]
    fn human_is_aligned_and_groups_managed_first() {
        let text = human(&inventory());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Managed images (1)");
        assert!(lines[1].starts_with("IMAGE"));
        let col = lines[1].find("LOCATIONS").unwrap();
        assert_eq!(
            &lines[2][col..],
            "p.deb!a.tgz!ptp/values.yaml:3:5 (chart-default ptp, overridden)"
        );
        assert_eq!(
            &lines[3][col..],
            "p.deb!ptp-static-overrides.yaml:2:5 (override ptp)"
        );
        assert!(lines[3][..col].trim().is_empty());
        assert_eq!(lines[5], "Other images (1)");
        assert!(lines[7].contains("@sha256:aaaaaaaaaaaa…"));
    }

    /// Issue 19: a build template (`@PLATFORM_REGISTRY@/…`) is flagged as one in every format.
    #[test]
    fn build_templates_are_flagged_in_every_format() {
        let mut inv = inventory();
        inv.images[0].template = true;
        let human = human(&inv);
        let first = human.lines().nth(2).unwrap_or_default();
        assert!(first.contains("  template  "), "{human}");
        let csv = csv(&inv);
        assert!(
            csv.lines().nth(1).unwrap_or_default().ends_with(",true"),
            "{csv}"
        );
        assert!(
            csv.lines().nth(3).unwrap_or_default().ends_with(",false"),
            "{csv}"
        );
        let md = markdown(&inv);
        assert!(
            md.lines()
                .nth(2)
                .unwrap_or_default()
                .contains("| template |"),
            "{md}"
        );
    }

    #[test]
    fn csv_quotes_and_markdown_escapes() {
        let text = csv(&inventory());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(
            lines[1],
            "docker.io/starlingx/ptp,stx.9.0-v1,,true,true,false,p.deb!a.tgz!ptp/values.yaml,3,5,chart-default,ptp,true,false"
        );
        assert!(lines[3].starts_with("\"quay.io/a,b/c\",,sha256:"));
        let md = markdown(&inventory());
        assert!(md.contains("`x\\|y.yaml:1:5`"), "{md}");
        assert!(md.lines().nth(2).unwrap().contains("<br>"));
    }
}
