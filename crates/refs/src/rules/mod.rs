//! The refs rules (TM2xx): one file each, registered once in [`RULES`].

pub mod build_tag_reference;
pub mod floating_reference;
pub mod undeclared_tag;
pub mod unexpanded_placeholder;

use tagman_core::SourceFile;
use tagman_lint::diagnostic::Label;
use tagman_lint::registry::{self, Rule};
use tagman_lint::Findings;

use crate::catalog::Catalog;
use crate::extract::{Extracted, ImageRef};

/// Everything a refs rule looks at for one file.
#[derive(Debug)]
pub struct FileContext<'a> {
    /// The file.
    pub source: &'a SourceFile,
    /// Its references.
    pub extracted: &'a Extracted,
    /// What the manifests declare.
    pub catalog: &'a Catalog,
    /// The policy's OS codenames, for `@OS_CODENAME@`.
    pub codenames: &'a [String],
    /// Whether the policy lists the file as a build input.
    pub build_input: bool,
}

impl FileContext<'_> {
    /// A label at `reference`'s tag, or at its name when it has none.
    pub fn tag_label(&self, reference: &ImageRef) -> Label {
        let span = reference
            .tag
            .as_ref()
            .map_or(reference.name_span, |t| t.span);
        Label::new(self.source, span)
    }

    /// The reference's text as written (without the split form's separate tag).
    pub fn text(&self, reference: &ImageRef) -> &str {
        self.source.slice(reference.span)
    }
}

/// A refs check: pushes findings for one file, never fails.
pub type Check = fn(&FileContext<'_>, &mut Findings);

/// Every refs rule with its check, in code order.
pub static RULES: &[(&Rule, Check)] = &[
    (&floating_reference::RULE, floating_reference::check),
    (&undeclared_tag::RULE, undeclared_tag::check),
    (&build_tag_reference::RULE, build_tag_reference::check),
    (&unexpanded_placeholder::RULE, unexpanded_placeholder::check),
];

/// Every refs rule's metadata, for the registry.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    registry::metadata(RULES)
}

/// `a`, `a and b`, `a, b and c`, each in backticks.
pub(crate) fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Runs one check over `text` with the fixture manifest, for the rules' unit tests.
#[cfg(test)]
pub(crate) fn run_check(check: Check, text: &str, build_input: bool) -> Vec<tagman_lint::Finding> {
    use tagman_core::{Limits, Manifest};

    const MANIFEST: &str = "images:
  - name: docker.io/starlingx/dex
    src_build_tag: master-centos-stable-20200204T162546Z.0
    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8
    tag: stx.4.0-v2.14.0-1
  - name: docker.io/starlingx/dex
    src_build_tag: master-debian-stable-20240227T070056Z.0
    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8
    tag: stx.9.0-v2.40.0-trixie
";
    let manifest = Manifest::parse(
        SourceFile::new("image-tags.yaml", MANIFEST),
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let catalog = Catalog::new(&[manifest]);
    let matcher =
        crate::Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap_or_else(|e| panic!("{e}"));
    let source = SourceFile::new("t", text);
    let extracted = matcher.extract(text);
    let codenames = ["trixie".to_owned()];
    let ctx = FileContext {
        source: &source,
        extracted: &extracted,
        catalog: &catalog,
        codenames: &codenames,
        build_input,
    };
    let mut out = Findings::unlimited();
    check(&ctx, &mut out);
    out.into_vec()
}
