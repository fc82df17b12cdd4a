//! Registry credentials, as Docker keeps them: `$DOCKER_CONFIG/config.json`
//! or `~/.docker/config.json`, its `auths` (`auth` as base64 `user:password`,
//! or `username` and `password`), and `credHelpers` / `credsStore`, which
//! run `docker-credential-NAME get` (the only program dlcheck ever starts,
//! and only when the user's configuration names one). Read with the
//! docker_credential crate.

use docker_credential::{CredentialRetrievalError, DockerCredential};
use oci_client::secrets::RegistryAuth;

/// The credential to present to a registry, and how to name it in errors.
pub(super) struct Credential {
    /// What oci-client presents: basic credentials, or none.
    pub auth: RegistryAuth,
    /// `the credentials for HOST in FILE (user NAME)`, or `anonymously (...)`.
    pub tried: String,
}

/// The configuration file read: `$DOCKER_CONFIG/config.json`, else
/// `~/.docker/config.json`.
fn config_file() -> String {
    match (std::env::var_os("DOCKER_CONFIG"), std::env::var_os("HOME")) {
        (Some(dir), _) => format!("{}/config.json", dir.to_string_lossy()),
        (None, Some(home)) => format!("{}/.docker/config.json", home.to_string_lossy()),
        (None, None) => "~/.docker/config.json".to_string(),
    }
}

/// The credential for `registry` (as written in the reference: `docker.io`,
/// `ghcr.io`, `localhost:5000`).
pub(super) fn for_registry(registry: &str) -> Credential {
    // Docker Hub's key in config.json is its v1 URL.
    let server = match registry {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => "https://index.docker.io/v1/",
        other => other,
    };
    let file = config_file();
    let anonymous = |why: String| Credential {
        auth: RegistryAuth::Anonymous,
        tried: format!("anonymously ({why})"),
    };
    match docker_credential::get_credential(server) {
        Ok(DockerCredential::UsernamePassword(user, password)) => Credential {
            tried: format!("the credentials for {registry} in {file} (user {user})"),
            auth: RegistryAuth::Basic(user, password),
        },
        Ok(DockerCredential::IdentityToken(_)) => anonymous(format!(
            "{file} holds an identity token for {registry}, which dlcheck cannot use: docker login {registry} with a user and password"
        )),
        Err(
            CredentialRetrievalError::NoCredentialConfigured
            | CredentialRetrievalError::ConfigNotFound
            | CredentialRetrievalError::ConfigReadError,
        ) => anonymous(format!("no credentials for {registry} in {file}")),
        Err(CredentialRetrievalError::HelperFailure { helper, stderr, .. }) => anonymous(format!(
            "the credential helper {helper} of {file} failed: {}",
            stderr.trim()
        )),
        Err(e) => anonymous(format!("{file}: {e}")),
    }
}
