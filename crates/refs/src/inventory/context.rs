//! What the value of an image key (`image:`, `*_image`, `repository:`) is, given the mapping it
//! sits in ([`block`]). Issue 19's last rows that were not images, each a rule, not a name list:
//!
//! - **A split form with a host or registry sibling is one image.** `{host: registry.local:9001/
//!   icr.io/portieris, image: portieris, tag: v0.13.28}` (portieris-armada-app) and NVIDIA's
//!   `{repository: nvcr.io/nvidia/k8s, image: container-toolkit, version: 1.7.1-ubi8}` (integ's
//!   gpu-operator) each name one image, `prefix/image:tag`: never the bare `image` value alone
//!   (`library/portieris`), and a `repository` that an `image` sibling completes is a namespace,
//!   not a row (`nvcr.io/nvidia/k8s`). Bitnami's `{registry: …, repository: …}` is joined too.
//! - **An `image` under a service-endpoints map is a URL path.** OpenStack's audit middleware
//!   (`api_audit_map.service_endpoints.image: service/storage/image`, in openstack-armada-app's
//!   glance overrides and config's sysinv test data) maps a service type (`image` is Glance's) to
//!   a path.
//! - **An `image` beside a `flavor` is a VM's image.** A Nova server (nfv's scenario templates,
//!   Heat's `OS::Nova::Server`, Ansible's `os_server`) boots a Glance image (`cirros`) of a
//!   flavor; no container is written with a flavor.
//!
//! [`block`]: super::block

use tagman_core::reference::Reference;
use tagman_core::Span;

use super::block::{squash, Block};
use super::find::{mirror_len, token_at, wanted, Want};
use crate::extract::{self, ImageRef, Role};

/// What an image key's value is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Context<'t> {
    /// An image, read as it stands.
    Image,
    /// The name part of one image whose registry and path are the sibling `prefix`, and whose tag
    /// (when one is written) is the sibling value at `tag`.
    Joined {
        /// The sibling's value (`registry.local:9001/icr.io/portieris`).
        prefix: &'t str,
        /// Where the sibling `tag:`/`version:` value starts.
        tag: Option<usize>,
    },
    /// Not a container image (a URL path, a VM's image, a namespace another key completes).
    NotAnImage,
}

/// What the value `value` (the rest of the line from it) of an image key (`image` true) or a
/// repository key is, in `block`.
pub(super) fn judge<'t>(block: &Block<'t>, image: bool, value: &str) -> Context<'t> {
    let tag = || block.sibling(&["tag", "version"]).map(|s| s.at);
    if image {
        if block
            .parent
            .is_some_and(|p| squash(p).ends_with("endpoints"))
        {
            return Context::NotAnImage;
        }
        if block.sibling(&["flavor", "flavorref"]).is_some() {
            return Context::NotAnImage;
        }
        if is_bare(value) {
            if let Some(prefix) = block.sibling(&["host", "registry", "repository"]) {
                if is_prefix(prefix.value) {
                    return Context::Joined {
                        prefix: prefix.value,
                        tag: tag(),
                    };
                }
            }
        }
        return Context::Image;
    }
    if block
        .sibling(&["image"])
        .is_some_and(|s| is_bare(s.value) && is_prefix(value_token(value)))
    {
        return Context::NotAnImage;
    }
    match block.sibling(&["registry", "host"]) {
        Some(registry) if is_prefix(registry.value) && !has_host(value_token(value)) => {
            Context::Joined {
                prefix: registry.value,
                tag: tag(),
            }
        }
        _ => Context::Image,
    }
}

/// The image a joined split form names, written at the token at `value_at` of `text`.
pub(super) fn joined(
    text: &str,
    value_at: usize,
    prefix: &str,
    tag_at: Option<usize>,
) -> Option<ImageRef> {
    let (start, end) = token_at(text, value_at)?;
    let combined = format!("{}/{}", prefix.trim_end_matches('/'), &text[start..end]);
    let name = &combined[mirror_len(&combined)..];
    let parsed = Reference::parse(name).ok()?;
    if !wanted(name, &parsed, Want::Qualified) || parsed.tag.is_some() || parsed.digest.is_some() {
        return None;
    }
    let tag = tag_at
        .and_then(|at| extract::tag_at(text, at))
        .filter(|t| t.placeholders.is_empty() && !t.text.is_empty());
    let span = Span::new(start, end - start);
    Some(ImageRef {
        span,
        mirror: None,
        name_span: span,
        name: parsed.name,
        tag,
        digest: None,
        repository_key: false,
        role: Role::Pull,
        appendable: false,
        tag_elsewhere: false,
    })
}

/// The token a value starts with (quotes and what follows it taken off).
fn value_token(value: &str) -> &str {
    let value = value.trim_start_matches(['"', '\'']);
    let end = value
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}' | ']'))
        .unwrap_or(value.len());
    &value[..end]
}

/// A one-word name: no path, tag or digest, nothing templated, no YAML keyword.
fn is_bare(value: &str) -> bool {
    let token = value_token(value);
    !token.is_empty()
        && !["null", "true", "false", "none", "~"].contains(&token.to_ascii_lowercase().as_str())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A registry, or a registry and a path, that a name can follow: not empty, not templated.
fn is_prefix(value: &str) -> bool {
    !value.is_empty()
        && !value.contains("{{")
        && !value.contains('$')
        && !value.contains('@')
        && !value.contains("://")
        && !value.contains(char::is_whitespace)
}

/// Whether a name starts with a registry host (`quay.io/x`, `registry.local:9001/x`).
fn has_host(name: &str) -> bool {
    name.split_once('/').is_some_and(|(first, _)| {
        first.contains('.') || first.contains(':') || first == "localhost"
    })
}

#[cfg(test)]
mod tests {
    use crate::extract::Matcher;
    use crate::inventory::find::unmanaged_in;

    /// `name:tag` of each row the finder reads in `text` (file `name`).
    fn rows(name: &str, text: &str) -> Vec<String> {
        let matcher =
            Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap_or_else(|e| panic!("{e}"));
        unmanaged_in(name, text, &matcher)
            .iter()
            .map(|r| {
                let tag = r.tag.as_ref().map_or(String::new(), |t| {
                    assert_eq!(&text[t.span.offset..t.span.end()], t.text);
                    format!(":{}", t.text)
                });
                format!("{}{tag}@{}", r.name, &text[r.span.offset..r.span.end()])
            })
            .collect()
    }

    /// portieris-armada-app's portieris-static-overrides.yaml (Apache-2.0), lines 9-17.
    const PORTIERIS: &str = "images:\n  tags:\n    portieris: icr.io/portieris/portieris:v0.13.28\nimage:\n  host: registry.local:9001/icr.io/portieris\n  pullSecret: default-registry-key\n  image: portieris\n  tag: v0.13.28\n";

    #[test]
    fn a_split_form_with_a_host_or_registry_sibling_is_one_image() {
        assert_eq!(
            rows("portieris-static-overrides.yaml", PORTIERIS),
            [
                "icr.io/portieris/portieris:v0.13.28@icr.io/portieris/portieris:v0.13.28",
                "icr.io/portieris/portieris:v0.13.28@portieris",
            ]
        );
        // integ's gpu-operator patch (Apache-2.0), NVIDIA's `repository` + `image` + `version`:
        // one image, the namespace alone is no row; the removed version is not what ships.
        let patch = "@@ -127,10 +129,10 @@ driver:\n \n toolkit:\n-  enabled: true\n+  enabled: false\n   repository: nvcr.io/nvidia/k8s\n   image: container-toolkit\n-  version: 1.6.0-ubuntu18.04\n+  version: 1.7.1-ubi8\n   imagePullPolicy: IfNotPresent\n";
        assert_eq!(
            rows(
                "enablement-support-on-starlingx-cloud-platform.patch",
                patch
            ),
            ["nvcr.io/nvidia/k8s/container-toolkit:1.7.1-ubi8@container-toolkit"]
        );
        // Bitnami's `registry` + `repository`.
        assert_eq!(
            rows(
                "values.yaml",
                "image:\n  registry: quay.io\n  repository: bitnami/redis\n  tag: 7.2.4\n"
            ),
            ["quay.io/bitnami/redis:7.2.4@bitnami/redis"]
        );
    }

    #[test]
    fn split_forms_without_such_a_sibling_are_read_as_before() {
        // No recall lost: a repository with its tag, a bare image, a repository that already
        // names its registry, a namespace-looking repository without an `image` sibling.
        for (text, expected) in [
            ("image:\n  repository: quay.io/jetstack/cert-manager\n  tag: v1.7.1\n  pullPolicy: x\n", "quay.io/jetstack/cert-manager:v1.7.1@quay.io/jetstack/cert-manager"),
            ("containers:\n- name: c\n  image: busybox\n", "docker.io/library/busybox@busybox"),
            ("image:\n  registry: registry.local:9001\n  repository: quay.io/x/y\n  tag: \"1\"\n", "quay.io/x/y:1@quay.io/x/y"),
            ("toolkit:\n  repository: nvcr.io/nvidia/k8s\n  version: 1.7.1\n", "nvcr.io/nvidia/k8s@nvcr.io/nvidia/k8s"),
        ] {
            assert_eq!(rows("values.yaml", text), [expected], "{text}");
        }
    }

    #[test]
    fn an_image_under_service_endpoints_is_a_url_path() {
        // openstack-armada-app's glance-static-overrides.yaml (Apache-2.0), lines 400-410.
        let glance = "  api_audit_map:\n    path_keywords:\n      images: image\n    service_endpoints:\n      image: 'service/storage/image'\n";
        assert!(rows("glance-static-overrides.yaml", glance).is_empty());
        // config's sysinv test data (Apache-2.0), YAML and the Python dict of the same values.
        let sample = "  conf:\n    api_audit_map:\n      service_endpoints:\n        image: docker.io/service/storage/image\n";
        assert!(rows("chart_values_sample.yaml", sample).is_empty());
        let python = "        'conf': {\n            'api_audit_map': {\n                'service_endpoints': {\n                    'image': 'registry.local:9001/docker.io/service/storage/image'\n                }\n";
        assert!(rows("test_kube_app_image_parser.py", python).is_empty());
        // An image under any other map is still one.
        assert_eq!(
            rows("values.yaml", "images:\n  tags:\n    glance_api: docker.io/openstackhelm/glance:2024.1\n  image: quay.io/x/storage:1\n"),
            ["docker.io/openstackhelm/glance:2024.1@docker.io/openstackhelm/glance:2024.1", "quay.io/x/storage:1@quay.io/x/storage:1"]
        );
    }

    #[test]
    fn an_image_beside_a_flavor_is_a_vm_image() {
        // nfv's nfv_scenario_tests default-setup.template (Apache-2.0), lines 299-306.
        let nfv = "resource: &cirros-image-1_instance\n  type:                 instance\n  name:                 cirros-image-1\n  flavor:               small\n  image:                cirros\n  block_devices:        []\n";
        assert!(rows("default-setup.template", nfv).is_empty());
        // A container image named after the same guest is still one (test's kubevirt VMs
        // boot a container disk), and so is a pod's bare image.
        let kubevirt = "      volumes:\n        - name: containerdisk\n          containerDisk:\n            image: quay.io/kubevirt/cirros-container-disk-demo\n";
        assert_eq!(
            rows("cirros-vm-containerdisk-2-cores.yaml", kubevirt),
            ["quay.io/kubevirt/cirros-container-disk-demo@quay.io/kubevirt/cirros-container-disk-demo"]
        );
        assert_eq!(
            rows(
                "pod.yaml",
                "spec:\n  containers:\n  - name: cirros\n    image: cirros\n"
            ),
            ["docker.io/library/cirros@cirros"]
        );
    }
}
