//! TLS to the repository, with libpq's `sslmode` meanings (PostgreSQL docs, "SSL Mode
//! Descriptions"):
//! - `prefer` (default): TLS when the server offers it, else plain text. Protects
//!   against passive eavesdropping only: an active attacker can pretend to be the server.
//! - `require`: TLS or fail; the server certificate is not checked.
//! - `verify-ca`: TLS, and the certificate must be `root_cert_file` itself (a vendor
//!   repository's self-signed `server.crt`, reference §1) or be issued by a certificate
//!   in it. The host name is not checked.
//! - `verify-full`: as `verify-ca`, and the certificate must name the `host` we
//!   connect to. The mode to use when the certificate names the host.
//!
//! Handshake signatures are always checked, with ring (builds without cmake).

use std::path::Path;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::error::ExtractError;
use crate::config::SslMode;

/// The connector for a TLS-capable `sslmode` (not `disable`).
pub(super) fn connector(
    mode: SslMode,
    root_cert_file: Option<&Path>,
) -> Result<MakeRustlsConnect, ExtractError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let trusted = match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => None,
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let path = root_cert_file.ok_or_else(|| ExtractError::Tls {
                message: "sslmode verify-ca and verify-full need root_cert_file".into(),
            })?;
            Some(read_certificates(path)?)
        }
    };
    let verifier = ServerCertificate {
        provider: provider.clone(),
        trusted,
        is_name_checked: mode == SslMode::VerifyFull,
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ExtractError::Tls {
            message: format!("no usable TLS protocol version: {e}"),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(MakeRustlsConnect::new(config))
}

/// The certificates of a PEM file, as trust anchors and as pinned certificates.
struct Trusted {
    roots: RootCertStore,
    certificates: Vec<CertificateDer<'static>>,
}

fn read_certificates(path: &Path) -> Result<Trusted, ExtractError> {
    let tls_error = |message: String| ExtractError::Tls { message };
    let bytes = std::fs::read(path).map_err(|e| {
        tls_error(format!(
            "cannot read root_cert_file {}: {e}",
            path.display()
        ))
    })?;
    let certificates = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_error(format!("root_cert_file {}: {e}", path.display())))?;
    if certificates.is_empty() {
        return Err(tls_error(format!(
            "root_cert_file {} holds no PEM certificate",
            path.display()
        )));
    }
    let mut roots = RootCertStore::empty();
    // A self-signed server certificate (a repository's default) is not a CA: it is trusted
    // by being pinned (below), so an anchor that webpki cannot use is not an error.
    let _ = roots.add_parsable_certificates(certificates.iter().cloned());
    Ok(Trusted {
        roots,
        certificates,
    })
}

#[derive(Debug)]
struct ServerCertificate {
    provider: Arc<CryptoProvider>,
    /// None: any certificate (`prefer`, `require`).
    trusted: Option<Trusted>,
    is_name_checked: bool,
}

impl std::fmt::Debug for Trusted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} trusted certificate(s)", self.certificates.len())
    }
}

impl ServerCertVerifier for ServerCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(trusted) = &self.trusted else {
            return Ok(ServerCertVerified::assertion());
        };
        let cert = ParsedCertificate::try_from(end_entity)?;
        let is_pinned = trusted
            .certificates
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref());
        if !is_pinned {
            verify_server_cert_signed_by_trust_anchor(
                &cert,
                &trusted.roots,
                intermediates,
                now,
                self.provider.signature_verification_algorithms.all,
            )?;
        }
        if self.is_name_checked {
            verify_server_name(&cert, server_name)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
