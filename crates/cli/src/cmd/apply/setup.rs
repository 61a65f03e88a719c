//! From arguments to a run, for `tagman apply` and `tagman status`: the plan (linted first,
//! `--changed-since` applied), the registry options (`--registry-map`, `--to`, `--force`) with a
//! warning for each that matches no entry, and the registry client.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tagman_apply::plan::{Location, PlanItem};
use tagman_apply::{Client, CredentialStore, Options, RetryPolicy, TransportConfig};
use tagman_core::reference::ImageName;
use tagman_core::Loaded;
use tagman_core::Policy;
use tagman_diag::Sink;
use tagman_lint::{check_manifests, now_unix};

use super::ApplyError;
use crate::error::CliError;
use crate::output::{Format, Ui};

/// Where the registries are and how to talk to them (shared by `apply` and `status`).
#[derive(Debug, Args)]
pub struct RegistryArgs {
    /// Entries in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Serve the names of registry (or registry/namespace) FROM from TO (`docker.io=127.0.0.1:5000`, `docker.io/starlingx=mirror:5000/stx`).
    #[arg(long = "registry-map", value_name = "FROM=TO")]
    pub registry_map: Vec<String>,
    /// Promote to this registry (and path prefix) instead of retagging in place.
    #[arg(long, value_name = "REGISTRY[/PREFIX]")]
    pub to: Option<String>,
    /// Credentials in Docker config JSON shape (`auths`, `credHelpers`, `credsStore`), before ~/.docker/config.json.
    #[arg(long = "auth-file", value_name = "PATH")]
    pub auth_file: Vec<PathBuf>,
    /// Trust this CA certificate (PEM) beside the system roots.
    #[arg(long = "ca-cert", value_name = "PATH")]
    pub ca_cert: Vec<PathBuf>,
    /// Speak plain HTTP to this registry (also `insecure_registries` in the policy). Never implied.
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    pub insecure_registry: Vec<String>,
    /// Per-request timeout, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// Tries per request, the first included.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub attempts: u32,
}

/// The entries to run: every manifest linted first (`None` when lint errors refuse them, after
/// printing them), then only those changed since `changed_since` when given, with a warning for
/// each file none of whose entries changed.
pub fn plan(
    files: &[PathBuf],
    changed_since: Option<&str>,
    policy: &Policy,
    ui: &Ui,
    command: &'static str,
) -> Result<Option<Vec<PlanItem>>, CliError> {
    let naming = match command {
        "status" => "tagman status path/to/image-tags.yaml",
        _ => "tagman apply path/to/image-tags.yaml",
    };
    let files = crate::cmd::manifest_files(files, policy, ui, false, naming)?;
    let loaded = Loaded::from_paths(&files, policy)?;
    let mut sink = Sink::new(policy);
    check_manifests(&loaded, policy, now_unix(), &mut sink);
    let lint = sink.finish();
    if lint.errors() > 0 {
        ui.print_report(&lint, Format::Human)?;
        writeln!(
            std::io::stderr().lock(),
            "tagman {command}: refusing to {command} manifests with {} lint error(s)",
            lint.errors()
        )?;
        return Ok(None);
    }
    let wanted = match changed_since {
        Some(rev) => Some(changed_entries(rev, policy)?),
        None => None,
    };
    let mut plan = Vec::new();
    let mut untouched = Vec::new();
    for manifest in &loaded.manifests {
        let mut items = PlanItem::from_manifest(manifest);
        if let Some(wanted) = &wanted {
            items.retain(|item| wanted.contains(&(item.name.clone(), item.tag.clone())));
            if items.is_empty() {
                untouched.push(manifest.source.name().to_owned());
            }
        }
        plan.extend(items);
    }
    if let (Some(rev), false) = (changed_since, untouched.is_empty()) {
        warn_untouched(ui, rev, &untouched, plan.is_empty());
    }
    Ok(Some(plan))
}

/// One warning for the manifests none of whose entries changed since `rev`: the files are
/// named when nothing at all changed (then it is worth a look), else only counted.
fn warn_untouched(ui: &Ui, rev: &str, untouched: &[String], nothing: bool) {
    if nothing {
        ui.warn(format_args!(
            "no entry was added or changed since {rev} in {}",
            untouched.join(", ")
        ));
    } else {
        ui.note(format_args!(
            "{} manifest(s) with no entry added or changed since {rev}: {}",
            untouched.len(),
            untouched.join(", ")
        ));
    }
}

/// The (name, tag) of every entry added or changed since `rev`.
fn changed_entries(rev: &str, policy: &Policy) -> Result<Vec<(ImageName, String)>, CliError> {
    let cwd = std::env::current_dir()?;
    Ok(tagman_git::gate::changed_since(&cwd, rev, policy)?
        .into_iter()
        .filter_map(|(name, tag)| Some((ImageName::parse(&name).ok()?, tag)))
        .collect())
}

/// `--registry-map` and `--to` as options; a map rule no entry uses is a warning.
pub fn options(args: &RegistryArgs, plan: &[PlanItem], ui: &Ui) -> Result<Options, CliError> {
    let mut options = Options {
        jobs: usize::from(args.jobs),
        ..Options::default()
    };
    for rule in &args.registry_map {
        options.registry_map.push(rule).map_err(ApplyError::from)?;
    }
    for rule in options.registry_map.unused(plan.iter().map(|i| &i.name)) {
        ui.warn(format_args!(
            "--registry-map {} matches no entry (FROM is a registry, or a registry/namespace, as the manifest names images)",
            rule.text
        ));
    }
    options.to = args
        .to
        .as_deref()
        .map(Location::parse)
        .transpose()
        .map_err(ApplyError::from)?;
    Ok(options)
}

/// `--force` names as images. A short name (`k8s-cni-sriov`, `starlingx/k8s-cni-sriov`) means the
/// one entry's image whose path ends with it, as `refs --bump` reads one; a name no entry has is a
/// warning, a short name several images end with is an error.
pub fn force(names: &[String], plan: &[PlanItem], ui: &Ui) -> Result<Vec<ImageName>, CliError> {
    let mut images = Vec::new();
    for name in names {
        let image = match short_name(name, plan) {
            Some(found) => found?,
            None => ImageName::parse(name).map_err(|source| ApplyError::ForceName {
                name: name.clone(),
                source,
            })?,
        };
        if !plan.iter().any(|item| item.name == image) {
            ui.warn(format_args!(
                "--force {name} matches no entry (name the image as the manifest does)"
            ));
        }
        images.push(image);
    }
    Ok(images)
}

/// The image a short `--force` name means: `None` when `name` is an image of the plan as written
/// or no entry's image path ends with `/name`.
fn short_name(name: &str, plan: &[PlanItem]) -> Option<Result<ImageName, ApplyError>> {
    if plan.iter().any(|item| item.name.as_str() == name) || name.contains('.') {
        return None;
    }
    let suffix = format!("/{name}");
    let mut found: Vec<&ImageName> = plan
        .iter()
        .map(|item| &item.name)
        .filter(|image| image.as_str().ends_with(&suffix))
        .collect();
    found.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    found.dedup();
    match found.as_slice() {
        [] => None,
        [one] => Some(Ok((*one).clone())),
        several => Some(Err(ApplyError::AmbiguousForce {
            name: name.to_owned(),
            images: several.iter().map(|i| i.as_str().to_owned()).collect(),
        })),
    }
}

/// The registry client: credentials (a `--registry-map` target also tries the credentials of
/// the registry it serves), CA certificates, plain-HTTP registries, the retry policy.
pub fn client(args: &RegistryArgs, policy: &Policy, options: &Options) -> Result<Client, CliError> {
    let mut insecure = args.insecure_registry.clone();
    insecure.extend(policy.insecure_registries.iter().cloned());
    let mut credentials = CredentialStore::load(&args.auth_file, true).map_err(ApplyError::from)?;
    for (to, from) in options.registry_map.aliases() {
        credentials.alias(to, from);
    }
    let client = Client::new(TransportConfig {
        ca_certs: args.ca_cert.clone(),
        insecure_registries: insecure,
        retry: RetryPolicy {
            max_attempts: args.attempts.max(1),
            timeout: Duration::from_secs(args.timeout.max(1)),
            ..RetryPolicy::default()
        },
        credentials,
        ..TransportConfig::default()
    })
    .map_err(ApplyError::from)?;
    Ok(client)
}

/// The async runtime a run goes on.
pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ApplyError::Runtime)?)
}
