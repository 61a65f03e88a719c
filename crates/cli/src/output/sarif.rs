//! `--format sarif`: one SARIF 2.1.0 log, for CI systems and code hosts that read static-analysis
//! results (GitHub code scanning, GitLab, Jenkins' warnings plugin).
//!
//! Results point at repository-relative URIs under `%SRCROOT%`; the rules of the run are the
//! rules tagman knows, so a result's `ruleIndex` stays valid whatever it found.

use serde_json::{json, Value};
use tagman_diag::{Diagnostic, Label, Registry, Report, Subject};

use crate::output::project_path;

/// The SARIF schema the log claims.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log for `report`; its rules are every rule of `registry`, with their docs.
pub fn document(report: &Report, registry: &Registry) -> Value {
    let rule_objects: Vec<Value> = registry
        .all()
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.name,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": r.docs.what },
                "help": {
                    "text": format!("{}\n\nWhy: {}\n\nExample:\n{}", r.docs.fix, r.docs.why, r.docs.example),
                },
                "defaultConfiguration": { "level": r.default.as_str() },
                "properties": { "subject": r.subject.as_str() },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut result = json!({
                "ruleId": d.code(),
                "level": d.severity.as_str(),
                "message": { "text": message(d) },
                "locations": [location(&d.finding.primary, d.subject())],
            });
            if let Some(index) = registry.index_of(d.code()) {
                result["ruleIndex"] = json!(index);
            }
            if !d.finding.secondary.is_empty() {
                result["relatedLocations"] = d
                    .finding
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let mut loc = location(l, d.subject());
                        loc["id"] = json!(i + 1);
                        loc
                    })
                    .collect();
            }
            result
        })
        .collect();
    let mut tool = driver();
    tool["rules"] = json!(rule_objects);
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": tool },
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the project root" } } },
            "results": results,
        }]
    })
}

/// The tool that made the log: tagman, its version and where it lives.
pub fn driver() -> Value {
    json!({
        "name": "tagman",
        "version": env!("CARGO_PKG_VERSION"),
        "informationUri": env!("CARGO_PKG_REPOSITORY"),
    })
}

fn message(d: &Diagnostic) -> String {
    match &d.finding.help {
        Some(help) => format!("{}\nFix: {help}", d.finding.message),
        None => d.finding.message.clone(),
    }
}

fn location(label: &Label, subject: Subject) -> Value {
    let start = label.start();
    let end = label.end();
    let mut region = json!({ "startLine": start.line, "startColumn": start.column });
    if end > start {
        region["endLine"] = json!(end.line);
        region["endColumn"] = json!(end.column);
    }
    let (name, member) = match archive_member(label.file.name()) {
        Some((archive, member)) => (archive, Some(member)),
        None => (label.file.name(), None),
    };
    // A commit message is a project file only when it was read from one (`--commit-msg-file`
    // inside the work tree), whatever it is called.
    let project_file = match subject {
        Subject::CommitMessage => label.file.repository_path().map(str::to_owned),
        // The archive is the artifact; its path stands for the file's.
        _ if member.is_some() => crate::output::zuul::project_relative(name),
        _ => project_path(&label.file),
    };
    let artifact = match project_file {
        Some(path) => json!({ "uri": uri_escape(&path), "uriBaseId": "%SRCROOT%" }),
        // Not a project file (standard input, a commit message): keep the name, not as a path.
        None => json!({ "uri": uri_escape(name) }),
    };
    let mut loc = json!({ "physicalLocation": { "artifactLocation": artifact, "region": region } });
    if let Some(member) = member {
        // SARIF has no artifact inside an artifact that viewers follow: the archive is the
        // artifact and the region is in the member this property names.
        loc["physicalLocation"]["properties"] = json!({ "archiveMember": member });
    }
    if let Some(note) = &label.note {
        loc["message"] = json!({ "text": note });
    }
    loc
}

/// `pkg.deb!usr/lib/helm/x.tgz!x/values.yaml` as the archive on disk and the `!` path inside it;
/// `None` for a file on disk (whose name may hold a `!` of its own).
fn archive_member(name: &str) -> Option<(&str, &str)> {
    if !name.contains('!') || std::path::Path::new(name).exists() {
        return None;
    }
    name.match_indices('!')
        .map(|(i, _)| (&name[..i], &name[i + 1..]))
        .find(|(archive, _)| std::path::Path::new(archive).is_file())
}

/// Percent-encodes what may not appear in a URI reference's path, keeping `/`.
fn uri_escape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use tagman_core::{Severity, SourceFile, Span};
    use tagman_diag::Finding;

    use super::*;
    use crate::output::test_support::{reference_missing, tag_format};
    use crate::registry::registry;

    #[test]
    fn results_point_at_project_files_with_rule_index() {
        let file = SourceFile::new("./dir/image-tags.yaml", "a: 1\nb: 2\n");
        let other = Label::new(&file, Span::new(0, 1)).with_note("first defined here");
        let d = Diagnostic {
            rule: tag_format(),
            severity: Severity::Warning,
            finding: Finding::new(Label::new(&file, Span::new(5, 4)), "bad")
                .help("fix it")
                .also(other),
        };
        let doc = document(
            &Report {
                diagnostics: vec![d],
                files: 1,
                ..Report::default()
            },
            registry(),
        );
        assert_eq!(doc["version"], "2.1.0");
        let run = &doc["runs"][0];
        let result = &run["results"][0];
        assert_eq!(result["level"], "warning");
        assert_eq!(result["message"]["text"], "bad\nFix: fix it");
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(run["tool"]["driver"]["rules"][index]["id"], "TM004");
        let phys = &result["locations"][0]["physicalLocation"];
        assert_eq!(phys["artifactLocation"]["uri"], "dir/image-tags.yaml");
        assert_eq!(
            phys["region"],
            json!({"startLine": 2, "startColumn": 1, "endLine": 2, "endColumn": 5})
        );
        let related = &result["relatedLocations"][0];
        assert_eq!(related["id"], 1);
        assert_eq!(related["message"]["text"], "first defined here");
    }

    /// The log validates against the SARIF 2.1.0 JSON Schema (OASIS, rtm.5, as schemastore and
    /// Microsoft's SARIF tools ship it), for a finding of each kind of location.
    #[test]
    fn log_is_valid_sarif_2_1_0() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/sarif-2.1.0-rtm.5.json"
        );
        let mut schema: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        // The published schema's `language` patterns have a stray `]` that a strict regex check
        // of the schema refuses; tagman writes no `language`, so their intended form does.
        for def in ["run", "toolComponent"] {
            schema["definitions"][def]["properties"]["language"]["pattern"] =
                json!("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$");
        }
        let validator = jsonschema::draft4::new(&schema).unwrap();
        let file = SourceFile::new("./image-tags.yaml", "images:\n  - tag: v1\n");
        let message = SourceFile::new("COMMIT_MSG", "Bump\n").at_revision("abc1234");
        let diagnostics = vec![
            Diagnostic {
                rule: tag_format(),
                severity: Severity::Error,
                finding: Finding::new(Label::new(&file, Span::new(16, 2)), "bad tag")
                    .help("write stx.10.0-v1")
                    .also(Label::new(&file, Span::new(0, 6)).with_note("the list")),
            },
            Diagnostic {
                rule: reference_missing(),
                severity: Severity::Warning,
                finding: Finding::new(Label::new(&message, Span::new(0, 0)), "no reference"),
            },
        ];
        let doc = document(
            &Report {
                diagnostics,
                files: 1,
                ..Report::default()
            },
            registry(),
        );
        let message_uri =
            &doc["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"];
        assert_eq!(
            message_uri,
            &json!({"uri": "COMMIT_MSG"}),
            "a message is not a project file"
        );
        let errors: Vec<String> = validator
            .iter_errors(&doc)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{doc:#}");
        // And the schema does catch a broken log.
        let mut broken = doc.clone();
        broken["runs"][0]["results"][0]["level"] = json!("fatal");
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn names_that_are_not_paths_are_escaped() {
        assert_eq!(uri_escape("commit abc"), "commit%20abc");
        assert_eq!(uri_escape("a/b-c_d.yaml"), "a/b-c_d.yaml");
    }
}
