//! Table tests of the extraction: what is a reference, where its tag is, and what it is in its
//! file.

use proptest::strategy::Strategy;

use super::*;

proptest::proptest! {
    /// Any text, however hostile: no panic, and every span lies on character boundaries.
    #[test]
    fn extraction_never_panics(
        parts in proptest::collection::vec(
            proptest::prop_oneof![
                proptest::string::string_regex("[a-z0-9:/@{}$.\\-_ \n\"'=é\u{feff}#*]{0,12}").unwrap(),
                proptest::sample::select(vec![
                    "docker.io/starlingx/", "starlingx/", "registry.local:9001/", ":", "@OS_CODENAME@",
                    "{{ x }}", "${T}", "repository: ", "tag: ", "\n  ", "- ", "@sha256:", "latest",
                    "@PLATFORM_REGISTRY@/", "image_tag = ", "\"\"\"", "/*", "*/", "docker pull ",
                    "tag: ~", "# tagman: ignore[TM201]\n", "{{/*", "images:\n",
                ]).prop_map(str::to_owned),
            ],
            0..24,
        ),
        kind in proptest::sample::select(vec![
            FileKind::Hash, FileKind::Python, FileKind::Slash, FileKind::Template, FileKind::Unknown,
        ]),
    ) {
        let text: String = parts.concat();
        let found = matcher().extract_as(&text, kind);
        for r in &found.refs {
            let spans = [Some(r.span), Some(r.name_span), r.mirror, r.digest, r.tag.as_ref().map(|t| t.span)];
            for span in spans.into_iter().flatten() {
                proptest::prop_assert!(text.get(span.offset..span.end()).is_some());
            }
        }
    }
}

fn matcher() -> Matcher {
    Matcher::with_placeholders(
        &["docker.io/starlingx/".to_owned()],
        &[(
            "@PLATFORM_REGISTRY@".to_owned(),
            "docker.io/starlingx".to_owned(),
        )],
    )
    .unwrap()
}

fn all(text: &str, kind: FileKind) -> Vec<ImageRef> {
    matcher().extract_as(text, kind).refs
}

fn one_of(text: &str, kind: FileKind) -> ImageRef {
    let found = all(text, kind);
    assert_eq!(found.len(), 1, "{text:?}: {found:?}");
    found[0].clone()
}

fn one(text: &str) -> ImageRef {
    one_of(text, FileKind::Hash)
}

fn none(text: &str) {
    none_of(text, FileKind::Hash);
}

fn none_of(text: &str, kind: FileKind) {
    let found = all(text, kind);
    assert!(found.is_empty(), "{text:?}: {found:?}");
}

fn tag_of(r: &ImageRef) -> &str {
    r.tag.as_ref().map_or("", |t| t.text.as_str())
}

#[test]
fn plain_mirror_and_implicit_hub() {
    let t = "image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2\n";
    let r = one(t);
    assert_eq!(
        &t[r.span.offset..r.span.end()],
        "docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2"
    );
    assert_eq!(r.name.to_string(), "docker.io/starlingx/k8s-cni-sriov");
    assert_eq!(tag_of(&r), "stx.4.0-v2.2");
    assert_eq!(r.role, Role::Pull);

    let t = "img = 'registry.local:9001/docker.io/starlingx/ceph:stx.9.0-v1.0'";
    let r = one(t);
    assert_eq!(
        r.mirror.map(|m| &t[m.offset..m.end()]),
        Some("registry.local:9001/")
    );
    assert_eq!(r.name.to_string(), "docker.io/starlingx/ceph");

    let r = one("FROM starlingx/stx-debian:stx.9.0-v1.0.0\n");
    assert_eq!(r.name.to_string(), "docker.io/starlingx/stx-debian");
    for t in [
        "image: {{ local_registry }}/docker.io/starlingx/x:1\n",
        "X=${REGISTRY}/docker.io/starlingx/x:1\n",
        "X=$REGISTRY/docker.io/starlingx/x:1\n",
        "skopeo copy docker://docker.io/starlingx/x:1 dir:/tmp\n",
    ] {
        assert_eq!(one(t).name.to_string(), "docker.io/starlingx/x", "{t}");
    }
}

/// Class 1: a name without a tag is a pull only where something pulls it.
#[test]
fn a_bare_name_is_a_pull_only_where_something_pulls_it() {
    for (pulled, appendable) in [
        ("image: index.docker.io/starlingx/x\n", true),
        ("FROM starlingx/x\n", true),
        ("docker pull docker.io/starlingx/x\n", true),
        ("  podman run --rm starlingx/x\n", true),
        (
            "containers:\n  - name: c\n    image: \"starlingx/x\"\n",
            true,
        ),
        ("flux_image: starlingx/x\n", false),
        (
            "image:\n  repository: starlingx/x\n  pullPolicy: Always\n",
            false,
        ),
        (
            "images:\n- name: controller\n  newName: starlingx/x\n",
            false,
        ),
        ("images:\n  - starlingx/x\n", false),
    ] {
        let r = one(pulled);
        assert!(r.tag.is_none() && r.role == Role::Pull, "{pulled}");
        assert_eq!(r.appendable, appendable, "{pulled}");
    }
    // In code, `image = "…"` is a variable holding a name; only a command there pulls.
    assert_eq!(
        one_of("image = \"starlingx/x\"\n", FileKind::Python).role,
        Role::Name
    );
    none_of("name = \"starlingx/x\"\n", FileKind::Python);
    assert!(
        one_of(
            "IMG=starlingx/x\ndocker pull starlingx/x\n",
            FileKind::Shell
        )
        .appendable
    );
    for mention in [
        "git_mirror_repository: starlingx/config\n",
        "required-projects:\n  - name: starlingx/root\n",
        "if access.Name == \"docker.io/starlingx/n3000-opae\" {\n",
        "allowed := []string{\n  \"docker.io/starlingx/n3000-opae\",\n}\n",
        "IMG=docker.io/starlingx/x\n",
        "pods = ['docker.io/starlingx/x']\n",
        "docker images | grep -q 'starlingx/bats'\n",
        "the starlingx/root repository\n",
    ] {
        none(mention);
    }
}

#[test]
fn not_references() {
    none("see https://opendev.org/starlingx/integ/commit/dac417bd\n");
    none("git clone https://opendev.org/starlingx/root\n");
    none("The images starlingx/stx-debian-dev and starlingx/stx-debian-tools-dev\n");
    none("Tag docker.io/starlingx/portieris image.\n");
    none("see `docker.io/starlingx/x` for details\n");
    none("PROJECT='starlingx/root'\n");
    none("quay.io/starlingx/x:latest\n");
    none("registry.local:9001/starlingx/x:latest\n");
    none("path /usr/share/starlingx/x:1\n");
    none("notstarlingx/x:1\n");
    none("docker.io/starlingx/\n");
    none("docker.io/starlingx/Upper:1\n");
    none("docker.io/starlingx/x: {tag: 1}\n");
}

#[test]
fn tags_end_where_the_token_ends() {
    let r = one("Use docker.io/starlingx/x:stx.9.0-v1.0. Then");
    assert_eq!(tag_of(&r), "stx.9.0-v1.0");
    let r = one("\"docker.io/starlingx/x:stx.9.0-v1.0\",");
    assert_eq!(tag_of(&r), "stx.9.0-v1.0");
    let r = one("docker.io/starlingx/x:1.0@sha256:");
    assert_eq!(tag_of(&r), "1.0");
    let digest = format!("pin docker.io/starlingx/x@sha256:{}.", "a".repeat(64));
    let r = one(&digest);
    assert!(r.digest.is_some() && r.tag.is_none());
}

/// Class 5: placeholders.
#[test]
fn placeholders() {
    let r = one("docker.io/starlingx/x:stx.13.0-v1.0-@OS_CODENAME@\n");
    let tag = r.tag.unwrap();
    assert_eq!(tag.text, "stx.13.0-v1.0-@OS_CODENAME@");
    let codenames = ["bookworm".to_owned(), "trixie".to_owned()];
    assert_eq!(
        tag.expand(&codenames),
        Expansion::Codenames(vec![
            "stx.13.0-v1.0-bookworm".into(),
            "stx.13.0-v1.0-trixie".into()
        ])
    );
    for (text, placeholder) in [
        (
            "image: docker.io/starlingx/x:{{ .Values.tag }}\n",
            "{{ .Values.tag }}",
        ),
        ("X=docker.io/starlingx/x:${TAG}\n", "${TAG}"),
        ("X=docker.io/starlingx/x:$TAG\n", "$TAG"),
        ("'docker.io/starlingx/x:{tag}'.format()", "{tag}"),
        ("docker.io/starlingx/x:stx-@BRANCH@", "@BRANCH@"),
    ] {
        let r = one(text);
        assert_eq!(r.role, Role::Pull, "{text}");
        match r.tag.unwrap().expand(&codenames) {
            Expansion::Opaque(p) => assert_eq!(p.text, placeholder, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    let found = matcher().extract("image: docker.io/starlingx/{{ .Values.name }}:1\n");
    assert!(found.refs.is_empty());
    assert_eq!(found.templated_names.len(), 1);

    // A tag made only of package-build placeholders is filled in by the build.
    let t = "nova: docker.io/starlingx/stx-nova:@IMAGE_PREFIX@-@OS@-@OS_CODENAME@-@OS_ARCH@-@BUILD_STREAM@-@IMAGE_SUFFIX@\n";
    assert_eq!(one(t).role, Role::BuildTemplate);
    // A registry placeholder resolves through the policy's map.
    let t = "  repository: @PLATFORM_REGISTRY@/stx-fm-rest-api\n  tag: @IMAGE_PREFIX@-@OS@\n";
    let r = one(t);
    assert_eq!(r.name.to_string(), "docker.io/starlingx/stx-fm-rest-api");
    assert_eq!(r.role, Role::BuildTemplate);
    let r = one("image: @PLATFORM_REGISTRY@/stx-x:latest\n");
    assert_eq!((r.role, tag_of(&r)), (Role::Pull, "latest"));
}

/// Class 2: split forms beyond Helm, joined into one reference whose tag is the sibling's value.
#[test]
fn split_forms() {
    for (text, expected) in [
        ("image:\n  repository: docker.io/starlingx/x\n  pullPolicy: IfNotPresent\n  tag: stx.9.0-v1.0\n", "stx.9.0-v1.0"),
        ("{'repository': 'docker.io/starlingx/x', 'tag': 'stx.9.0-v3'}", "stx.9.0-v3"),
        ("images:\n- name: docker.io/starlingx/x\n  newTag: stx.9.0-v4\n", "stx.9.0-v4"),
        ("images:\n- name: controller\n  newName: starlingx/x\n  newTag: master-latest\n", "master-latest"),
        ("    image_name = \"starlingx/stx-debian-tools-dev\"\n    image_tag = \"stx.10.0-v1.0.0\"\n", "stx.10.0-v1.0.0"),
        ("flux_x_image: docker.io/starlingx/x\nflux_x_tag: v1.5.3\n", "v1.5.3"),
        ("image: docker.io/starlingx/x\nimageTag: 8.17.0\n", "8.17.0"),
        ("IMAGE_NAME=starlingx/x\nIMAGE_TAG=stx.9.0-v1\n", "stx.9.0-v1"),
    ] {
        let r = one(text);
        let tag = r.tag.as_ref().unwrap_or_else(|| panic!("{text}: no tag"));
        assert!(tag.split, "{text}");
        assert_eq!(tag.text, expected, "{text}");
        assert_eq!(&text[tag.span.offset..tag.span.end()], expected, "{text}");
    }
    let t = "images:\n  - tag: stx.9.0-v2\n    repository: docker.io/starlingx/a\n  - repository: docker.io/starlingx/b\n    pullPolicy: x\n";
    let found = all(t, FileKind::Hash);
    assert_eq!(tag_of(&found[0]), "stx.9.0-v2");
    // b is in a list of images, without a tag: a pull of `latest`.
    assert!(found[1].tag.is_none() && found[1].role == Role::Pull);
    // A manifest-shaped entry: `src_build_tag` is not the image's tag, and `name` outside
    // `images:` is not an image.
    none(
        "- name: docker.io/starlingx/x\n  src_build_tag: master-centos-stable-20191203T153530Z.0\n",
    );
}

/// Class 4: a tag key with no value is no tag string `null`.
#[test]
fn null_and_empty_tags() {
    for text in [
        "{\"tag\": null, \"repository\": \"docker.io/starlingx/x\"}\n",
        "image:\n  repository: starlingx/x\n  tag: ~\n",
        "image:\n  repository: starlingx/x\n  tag: \"\"\n",
        "image:\n  repository: starlingx/x\n  tag:\n",
    ] {
        let r = one(text);
        let tag = r.tag.unwrap();
        assert!(tag.empty && tag.text.is_empty(), "{text}: {tag:?}");
    }
}

/// Class 3: comments, docstrings and documentation are not pulls.
#[test]
fn comments_and_documentation() {
    let sh = "# usage:\n#     aodh_api: docker.io/starlingx/stx-aodh:master-debian-stable-latest\nIMG=docker.io/starlingx/x:1\n";
    let found = all(sh, FileKind::Shell);
    assert_eq!(
        found.iter().map(|r| r.role).collect::<Vec<_>>(),
        [Role::Comment, Role::Pull]
    );
    let py = "def f():\n    \"\"\"An example:\n       docker.io/starlingx/stx-keystone:latest\n    \"\"\"\n";
    assert_eq!(one_of(py, FileKind::Python).role, Role::Comment);
    let go = "// docker.io/starlingx/x:latest\n/* docker.io/starlingx/y:latest */\n";
    assert!(all(go, FileKind::Slash)
        .iter()
        .all(|r| r.role == Role::Comment));
    let tpl = "{{/* image: docker.io/starlingx/x:latest */}}\n";
    assert_eq!(one_of(tpl, FileKind::Template).role, Role::Comment);
    let md = "Run `docker pull docker.io/starlingx/x:latest`, or pull starlingx/y.\n";
    let found = all(md, FileKind::Docs);
    assert_eq!(
        found.len(),
        1,
        "a bare name in prose is no reference at all"
    );
    assert_eq!(found[0].role, Role::Documentation);
    // A bare name in a comment is not kept.
    none_of("# docker pull starlingx/x\n", FileKind::Shell);
}

/// Class 8: an image being built or published is not pulled; nor is one built in the same file.
#[test]
fn build_targets() {
    let sh =
        "docker images | grep -q 'starlingx/bats' || docker build -t starlingx/bats:latest .\n\
              docker run -it --rm starlingx/bats:latest --help\n\
              docker tag starlingx/x:1 registry.local:9001/docker.io/starlingx/y:latest\n\
              docker push docker.io/starlingx/y:latest\n";
    let found = all(sh, FileKind::Shell);
    let roles: Vec<(String, Role)> = found.iter().map(|r| (r.name.to_string(), r.role)).collect();
    assert_eq!(
        roles,
        [
            ("docker.io/starlingx/bats".to_owned(), Role::BuildTarget),
            ("docker.io/starlingx/bats".to_owned(), Role::BuiltHere),
            ("docker.io/starlingx/x".to_owned(), Role::Pull),
            ("docker.io/starlingx/y".to_owned(), Role::BuildTarget),
            ("docker.io/starlingx/y".to_owned(), Role::BuildTarget),
        ]
    );
}

#[test]
fn long_lines_are_skipped_and_counted() {
    let long = format!(
        "{{\"a\":\"{}\",\"image\":\"docker.io/starlingx/x:latest\"}}\nimage: docker.io/starlingx/y:1\n",
        "z".repeat(MAX_LINE)
    );
    let found = matcher().extract(&long);
    assert_eq!(found.long_lines, 1);
    assert_eq!(found.refs.len(), 1);
    assert_eq!(found.refs[0].name.to_string(), "docker.io/starlingx/y");
}

/// Issue 19's recall gaps, each as found in StarlingX's repositories.
#[test]
fn tags_made_at_run_time_are_opaque_placeholders() {
    for (text, placeholder) in [
        ("IMG = \"docker.io/starlingx/x:\" + tag\n", "\" + tag"),
        (
            "IMG = 'docker.io/starlingx/x:' + self.tag\n",
            "' + self.tag",
        ),
        ("IMG = \"docker.io/starlingx/x:%s\" % tag\n", "%s"),
        ("IMG = f\"docker.io/starlingx/x:{tag}\"\n", "{tag}"),
        ("IMG = \"docker.io/starlingx/x:{}\".format(tag)\n", "{}"),
    ] {
        let r = one_of(text, FileKind::Python);
        assert_eq!(r.role, Role::Pull, "{text}");
        match r.tag.map(|t| t.expand(&[])) {
            Some(Expansion::Opaque(p)) => assert_eq!(p.text, placeholder, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
    // A number formatted into a string is no tag made at run time.
    none_of("x = 'docker.io/starlingx/x:' % 1\n", FileKind::Python);
}

#[test]
fn commands_that_pull_and_commands_that_make() {
    for text in [
        "kubectl run t --image=starlingx/x\n",
        "kubectl create deployment d --image starlingx/x\n",
        "kubectl set image deployment/d c=starlingx/x\n",
    ] {
        let r = one_of(text, FileKind::Shell);
        assert_eq!((r.role, r.appendable), (Role::Pull, true), "{text}");
    }
    none_of("kubectl get pods -l app=starlingx/x\n", FileKind::Shell);
    let copy = "skopeo copy --authfile a.json docker://docker.io/starlingx/x:1 docker://registry.local:9001/docker.io/starlingx/y:1\n";
    let roles: Vec<Role> = all(copy, FileKind::Shell).iter().map(|r| r.role).collect();
    assert_eq!(roles, [Role::Pull, Role::BuildTarget]);
    let python = "subprocess.run([\"skopeo\", \"copy\", \"docker://docker.io/starlingx/x:1\", \"dir:/tmp/x\"])\n";
    assert_eq!(one_of(python, FileKind::Python).role, Role::Pull);
    let module = "- name: Pull\n  community.docker.docker_image:\n    name: docker.io/starlingx/x\n    tag: stx.9.0-v1\n    source: pull\n";
    let r = one(module);
    assert_eq!((r.role, tag_of(&r)), (Role::Pull, "stx.9.0-v1"));
    let bare = "- containers.podman.podman_image:\n    name: docker.io/starlingx/x\n";
    assert_eq!(one(bare).role, Role::Pull);
}

#[test]
fn a_triple_quoted_argument_is_not_a_docstring() {
    let py = "run(\n    \"\"\"docker pull docker.io/starlingx/x:latest\"\"\",\n)\n";
    assert_eq!(one_of(py, FileKind::Python).role, Role::Pull);
    let py = "SCRIPT = \\\n    '''docker.io/starlingx/x:latest'''\n";
    assert_eq!(one_of(py, FileKind::Python).role, Role::Pull);
    let doc = "class A:\n    \"\"\"docker.io/starlingx/x:latest\"\"\"\n";
    assert_eq!(one_of(doc, FileKind::Python).role, Role::Comment);
}

#[test]
fn a_patch_removes_and_adds() {
    let patch = "--- a/values.yaml\n+++ b/values.yaml\n@@ -1,3 +1,3 @@\n image:\n-image: docker.io/starlingx/old:stx.8.0-v1\n+image: docker.io/starlingx/new:stx.9.0-v1\n+# docker.io/starlingx/note:latest\n+FROM starlingx/base\n image: docker.io/starlingx/kept:stx.9.0-v2\n";
    let found = all(patch, FileKind::of("0001-x.patch"));
    let seen: Vec<(String, Role)> = found.iter().map(|r| (r.name.to_string(), r.role)).collect();
    assert_eq!(
        seen,
        [
            ("docker.io/starlingx/new".to_owned(), Role::Pull),
            ("docker.io/starlingx/note".to_owned(), Role::Comment),
            ("docker.io/starlingx/base".to_owned(), Role::Pull),
            ("docker.io/starlingx/kept".to_owned(), Role::Pull),
        ]
    );
}
