//! TLS for Kafscope's own protocol connections (rustls), built from the `ssl.*` properties
//! librdkafka reads: trusted CAs (a PEM file or directory, PEM text, or the system store),
//! an optional client certificate and key (PEM; PKCS#8 keys may be encrypted with
//! `ssl.key.password`), host-name verification on or off.

use super::diagnosis::Cause;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::security::TlsSettings;

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls configuration for a cluster's brokers. Fails with a sentence naming the
/// setting when a file cannot be read or holds nothing usable.
pub fn client_config(t: &TlsSettings) -> Result<Arc<ClientConfig>, String> {
    let roots = Arc::new(trusted_roots(t)?);
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?;
    let verifier: Arc<dyn ServerCertVerifier> = if !t.verify_certificate {
        Arc::new(Unverified(provider()))
    } else {
        let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider())
            .build()
            .map_err(|e| format!("TLS: the trusted certificates cannot be used: {e}"))?;
        if t.verify_hostname {
            webpki
        } else {
            Arc::new(AnyName(webpki))
        }
    };
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let config = match client_identity(t)? {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            format!(
                "TLS: ssl.certificate.location and ssl.key.location do not make a usable pair: {e}"
            )
        })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

fn read(path: &str, key: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{key} '{path}' cannot be read: {e}"))
}

/// PEM certificates from bytes; `what` names the setting in errors.
fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{what} is not PEM certificates: {e}"))?;
    if certs.is_empty() {
        return Err(format!("{what} holds no PEM certificate"));
    }
    Ok(certs)
}

fn trusted_roots(t: &TlsSettings) -> Result<RootCertStore, String> {
    let mut roots = RootCertStore::empty();
    let mut add = |certs: Vec<CertificateDer<'static>>, what: &str| -> Result<(), String> {
        for c in certs {
            roots
                .add(c)
                .map_err(|e| format!("{what}: a certificate cannot be trusted: {e}"))?;
        }
        Ok(())
    };
    if let Some(path) = &t.ca_location {
        let meta = std::fs::metadata(path)
            .map_err(|e| format!("ssl.ca.location '{path}' cannot be read: {e}"))?;
        if meta.is_dir() {
            let mut found = 0;
            let entries = std::fs::read_dir(path)
                .map_err(|e| format!("ssl.ca.location '{path}' cannot be read: {e}"))?;
            for entry in entries.flatten() {
                let p = entry.path();
                let Ok(bytes) = std::fs::read(&p) else {
                    continue;
                };
                if let Ok(certs) = certificates(&bytes, "") {
                    found += certs.len();
                    add(certs, "ssl.ca.location")?;
                }
            }
            if found == 0 {
                return Err(format!("ssl.ca.location '{path}' holds no PEM certificate"));
            }
        } else {
            let what = format!("ssl.ca.location '{path}'");
            add(certificates(&read(path, "ssl.ca.location")?, &what)?, &what)?;
        }
    }
    if let Some(pem) = &t.ca_pem {
        add(certificates(pem.as_bytes(), "ssl.ca.pem")?, "ssl.ca.pem")?;
    }
    if t.ca_location.is_none() && t.ca_pem.is_none() {
        // As librdkafka: the system's trust store.
        let found = rustls_native_certs::load_native_certs();
        for c in found.certs {
            let _ = roots.add(c);
        }
        if roots.is_empty() {
            return Err(
                "TLS: no ssl.ca.location is set and the system trust store is empty".into(),
            );
        }
    }
    Ok(roots)
}

type Identity = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

fn client_identity(t: &TlsSettings) -> Result<Option<Identity>, String> {
    let cert = match (&t.certificate_location, &t.certificate_pem) {
        (Some(path), _) => Some((
            read(path, "ssl.certificate.location")?,
            "ssl.certificate.location",
        )),
        (None, Some(pem)) => Some((pem.as_bytes().to_vec(), "ssl.certificate.pem")),
        (None, None) => None,
    };
    let key = match (&t.key_location, &t.key_pem) {
        (Some(path), _) => Some((read(path, "ssl.key.location")?, "ssl.key.location")),
        (None, Some(pem)) => Some((pem.as_bytes().to_vec(), "ssl.key.pem")),
        (None, None) => None,
    };
    match (cert, key) {
        (None, None) => Ok(None),
        (Some((c, what)), Some((k, kwhat))) => {
            let chain = certificates(&c, what)?;
            let key = private_key(&k, t.key_password.as_deref(), kwhat)?;
            Ok(Some((chain, key)))
        }
        (Some((_, what)), None) => Err(format!("{what} is set without ssl.key.location")),
        (None, Some((_, what))) => Err(format!("{what} is set without ssl.certificate.location")),
    }
}

/// A private key from PEM: PKCS#8 (plain or encrypted with `password`), PKCS#1 or SEC1.
fn private_key(
    pem: &[u8],
    password: Option<&str>,
    what: &str,
) -> Result<PrivateKeyDer<'static>, String> {
    let text = String::from_utf8_lossy(pem);
    if text.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
        let password =
            password.ok_or_else(|| format!("{what} is an encrypted key: set ssl.key.password"))?;
        let (label, der) = pkcs8::der::pem::decode_vec(pem)
            .map_err(|e| format!("{what} is not a readable PEM key: {e}"))?;
        if label != "ENCRYPTED PRIVATE KEY" {
            return Err(format!("{what} is not a readable PEM key"));
        }
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(der.as_slice())
            .map_err(|e| format!("{what} is not an encrypted PKCS#8 key: {e}"))?;
        let plain = info.decrypt(password).map_err(|_| {
            format!("{what} cannot be decrypted: ssl.key.password is wrong, or the key's cipher is not supported")
        })?;
        return Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()));
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(format!(
            "{what} is encrypted in OpenSSL's legacy format; convert it with `openssl pkcs8 -topk8` (encrypted PKCS#8 is read with ssl.key.password)"
        ));
    }
    PrivateKeyDer::from_pem_slice(pem)
        .map_err(|e| format!("{what} holds no usable private key: {e}"))
}

/// Verifies the chain but not the name: `ssl.endpoint.identification.algorithm=none`.
#[derive(Debug)]
struct AnyName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Accepts any certificate (still checks the handshake's signatures):
/// `enable.ssl.certificate.verification=false`.
#[derive(Debug)]
struct Unverified(Arc<CryptoProvider>);

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// A TLS failure as a class and a sentence that names the setting to check.
pub fn explain(e: &std::io::Error) -> (Cause, String) {
    let inner = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>());
    match inner {
        Some(rustls::Error::InvalidCertificate(c)) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => (
                Cause::TlsUntrusted,
                "the broker's certificate is not signed by a CA in ssl.ca.location (certificate verify failed)".into(),
            ),
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
                Cause::TlsHostname,
                "the broker's certificate does not name the host connected to (hostname mismatch; check the advertised listener, or ssl.endpoint.identification.algorithm)".into(),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
                (Cause::TlsExpired, "the broker's certificate has expired".into())
            }
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                Cause::TlsNotYetValid,
                "the broker's certificate is not valid yet (check the clocks)".into(),
            ),
            other => (
                Cause::TlsFailed,
                format!("the broker's certificate was refused: {other:?}"),
            ),
        },
        Some(rustls::Error::AlertReceived(alert)) => {
            let a = format!("{alert:?}");
            if a.contains("CertificateRequired") || a.contains("HandshakeFailure") || a.contains("BadCertificate") {
                (Cause::TlsClientCert, format!("the broker refused the handshake ({a}): it may require a client certificate (ssl.certificate.location, ssl.key.location)"))
            } else {
                (Cause::TlsFailed, format!("the broker refused the handshake ({a})"))
            }
        }
        Some(rustls::Error::InvalidMessage(_)) | Some(rustls::Error::InappropriateMessage { .. }) => (
            Cause::NotTls,
            "the listener does not speak TLS (security.protocol says ssl; is this a plaintext port?)".into(),
        ),
        Some(other) => (Cause::TlsFailed, format!("TLS handshake failed: {other}")),
        None if matches!(
            e.kind(),
            std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
        ) =>
        {
            (Cause::NotTls, "the broker closed the connection during the TLS handshake: the listener does not speak TLS, or refused this client (is this a plaintext port?)".into())
        }
        None => (Cause::TlsFailed, format!("TLS handshake failed: {e}")),
    }
}
