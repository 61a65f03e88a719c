//! The real history of StarlingX's tag files (2020–2024) lints clean, except for its real defects.

use std::collections::BTreeMap;
use std::path::PathBuf;

use tagman_core::Loaded;
use tagman_core::Policy;
use tagman_diag::Sink;
use tagman_lint::check_manifests;
use tagman_testkit::corpus::{manifest_paths, COMMITS, FILE_VERSIONS};

/// Every error in the corpus, one by one: (file, code, line).
const REAL_DEFECTS: &[(&str, &str, usize)] = &[
    // `stx.8.0.v1.0.5`, fixed four days later by 20221007_d93cc627ba.
    ("20221003_e334e18e54_image-tags.yaml", "TM004", 32),
];

#[test]
fn corpus_lints_clean_except_real_defects() {
    // Files of one commit are linted together, as the check job would see them.
    let mut commits: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    let paths = manifest_paths();
    let dir = paths[0].parent().unwrap().to_path_buf();
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let commit = name.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
        commits.entry(commit).or_default().push(path);
    }
    assert_eq!(commits.len(), COMMITS);
    let policy = Policy::defaults(dir.clone());
    let now = tagman_lint::now_unix();
    let mut errors = Vec::new();
    let mut files = 0;
    for paths in commits.values() {
        let loaded = Loaded::from_paths(paths, &policy).unwrap();
        assert!(loaded.unparsed.is_empty());
        let mut sink = Sink::new(&policy);
        check_manifests(&loaded, &policy, now, &mut sink);
        let report = sink.finish();
        files += report.files;
        assert_eq!(report.warnings(), 0, "{:#}", report.to_json());
        for d in report.diagnostics {
            let file = PathBuf::from(d.file())
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            errors.push((file, d.code(), d.finding.primary.start().line));
        }
    }
    assert_eq!(files, FILE_VERSIONS);
    let expected: Vec<(String, &str, usize)> = REAL_DEFECTS
        .iter()
        .map(|(f, c, l)| ((*f).to_owned(), *c, *l))
        .collect();
    assert_eq!(errors, expected);
}
