//! Why a broker cannot be read, as a class and a sentence: the step of the connection that
//! failed (name lookup, TCP, TLS, ApiVersions, SASL, Metadata, an authorised request) and its
//! cause, with the setting to check. Pure: the probe (`probe.rs`) and the protocol
//! connections (`wire.rs`) make these; the snapshot, the API, the alerts and `kafscope check`
//! show them.

use std::fmt;

/// A step of reaching and reading a broker, in the order they happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Resolve,
    Connect,
    Tls,
    ApiVersions,
    Sasl,
    Metadata,
    Authorize,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Resolve => "resolve",
            Step::Connect => "connect",
            Step::Tls => "tls",
            Step::ApiVersions => "api_versions",
            Step::Sasl => "sasl",
            Step::Metadata => "metadata",
            Step::Authorize => "authorize",
        }
    }
}

/// The class of a failure. The wire names (`as_str`) are part of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The host name does not resolve.
    DnsNotFound,
    /// Nothing listens on the port (TCP RST).
    Refused,
    /// No answer within the request timeout (a firewall dropping packets, a hung broker).
    TimedOut,
    /// No route to the host or network.
    NoRoute,
    /// The broker's certificate is not signed by a CA the console trusts.
    TlsUntrusted,
    /// The broker's certificate does not name the host connected to.
    TlsHostname,
    TlsExpired,
    TlsNotYetValid,
    /// The broker refused the handshake; it may want a client certificate.
    TlsClientCert,
    /// Another TLS failure.
    TlsFailed,
    /// TLS is configured but the listener speaks plaintext.
    NotTls,
    /// Plaintext is configured but the listener speaks TLS.
    ExpectsTls,
    /// No SASL is configured but the listener requires it.
    SaslRequired,
    /// The SASL mechanism is not enabled on the listener.
    SaslMechanism,
    /// Wrong user name or password (or token).
    AuthFailed,
    /// The principal lacks an ACL for an API the console uses.
    NotAuthorized,
    /// A broker advertises a host name the console cannot resolve.
    AdvertisedUnresolvable,
    /// A broker advertises an address the console cannot connect to.
    AdvertisedUnreachable,
    /// The broker closed the connection without saying why.
    Closed,
    /// An answer the console could not use (a version gap, a bad frame).
    Protocol,
    /// The console's own settings cannot be used (a TLS file that cannot be read).
    Config,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::DnsNotFound => "dns_not_found",
            Cause::Refused => "connection_refused",
            Cause::TimedOut => "timed_out",
            Cause::NoRoute => "no_route",
            Cause::TlsUntrusted => "tls_untrusted",
            Cause::TlsHostname => "tls_hostname",
            Cause::TlsExpired => "tls_expired",
            Cause::TlsNotYetValid => "tls_not_yet_valid",
            Cause::TlsClientCert => "tls_client_certificate",
            Cause::TlsFailed => "tls_failed",
            Cause::NotTls => "listener_not_tls",
            Cause::ExpectsTls => "listener_expects_tls",
            Cause::SaslRequired => "sasl_required",
            Cause::SaslMechanism => "sasl_mechanism_not_enabled",
            Cause::AuthFailed => "authentication_failed",
            Cause::NotAuthorized => "not_authorized",
            Cause::AdvertisedUnresolvable => "advertised_host_unresolvable",
            Cause::AdvertisedUnreachable => "advertised_address_unreachable",
            Cause::Closed => "connection_closed",
            Cause::Protocol => "protocol_error",
            Cause::Config => "configuration",
        }
    }

    /// The settings to check, as the user wrote them (librdkafka's names).
    pub fn setting(self) -> Option<&'static str> {
        Some(match self {
            Cause::DnsNotFound | Cause::Refused | Cause::NoRoute => "bootstrap.servers",
            Cause::TimedOut => "bootstrap.servers, request_timeout (or a firewall)",
            Cause::TlsUntrusted => "ssl.ca.location",
            Cause::TlsHostname => {
                "ssl.endpoint.identification.algorithm (or the broker's advertised.listeners)"
            }
            Cause::TlsExpired | Cause::TlsNotYetValid => {
                "the broker's certificate (ssl.keystore on the broker)"
            }
            Cause::TlsClientCert => "ssl.certificate.location, ssl.key.location",
            Cause::TlsFailed => "ssl.* settings",
            Cause::NotTls | Cause::ExpectsTls | Cause::SaslRequired => "security.protocol",
            Cause::SaslMechanism => "sasl.mechanism",
            Cause::AuthFailed => "sasl.username, sasl.password",
            Cause::NotAuthorized => "the console principal's ACLs",
            Cause::AdvertisedUnresolvable | Cause::AdvertisedUnreachable => {
                "the broker's advertised.listeners"
            }
            Cause::Closed | Cause::Protocol => return None,
            Cause::Config => "the cluster's client settings",
        })
    }

    /// Whether the failure is the console's or the brokers' settings (so retrying soon will
    /// not help), as opposed to a broker that is down or slow.
    pub fn is_settings(self) -> bool {
        !matches!(
            self,
            Cause::Refused | Cause::TimedOut | Cause::NoRoute | Cause::Closed | Cause::Protocol
        )
    }
}

/// One failed step: its class and the sentence that explains it (naming the setting to
/// check, never a secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnError {
    pub step: Step,
    pub cause: Cause,
    pub message: String,
}

impl ConnError {
    pub fn new(step: Step, cause: Cause, message: impl Into<String>) -> ConnError {
        ConnError {
            step,
            cause,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConnError {}

impl From<ConnError> for String {
    fn from(e: ConnError) -> String {
        e.message
    }
}

/// A failed TCP connect, classified by the OS error.
pub fn connect_error(host: &str, port: u16, e: &std::io::Error) -> ConnError {
    use std::io::ErrorKind as K;
    let (cause, what) = match e.kind() {
        K::ConnectionRefused => (
            Cause::Refused,
            "connection refused: nothing listens there (the broker is down, or the port is wrong)",
        ),
        K::TimedOut => (Cause::TimedOut, "the connection timed out"),
        K::HostUnreachable | K::NetworkUnreachable => (
            Cause::NoRoute,
            "no route to the host (network unreachable, or a firewall)",
        ),
        K::AddrNotAvailable => (Cause::NoRoute, "the address is not available from here"),
        _ => (Cause::Closed, ""),
    };
    let message = if what.is_empty() {
        format!("cannot connect to {host}:{port}: {e}")
    } else {
        format!("cannot connect to {host}:{port}: {what}")
    };
    ConnError::new(Step::Connect, cause, message)
}

/// A host name that did not resolve.
pub fn resolve_error(host: &str, e: &std::io::Error) -> ConnError {
    let why = e.to_string();
    let why = why
        .strip_prefix("failed to lookup address information: ")
        .unwrap_or(&why);
    ConnError::new(
        Step::Resolve,
        Cause::DnsNotFound,
        format!("the host name '{host}' does not resolve ({why}): check bootstrap.servers, or the console's DNS"),
    )
}

/// A broker known by its advertised address: a failure to resolve or reach it is said to be
/// the advertised listener's, since the bootstrap servers answered.
pub fn as_advertised(e: ConnError, broker_id: i32, host: &str, port: u16) -> ConnError {
    match e.cause {
        Cause::DnsNotFound => ConnError::new(
            e.step,
            Cause::AdvertisedUnresolvable,
            format!(
                "broker {broker_id} advertises {host}:{port}, a name the console cannot resolve: check the broker's advertised.listeners (or the console's DNS)"
            ),
        ),
        Cause::TimedOut | Cause::NoRoute if e.step == Step::Connect => ConnError::new(
            e.step,
            Cause::AdvertisedUnreachable,
            format!(
                "broker {broker_id} advertises {host}:{port}, which the console cannot reach ({}): check the broker's advertised.listeners, or the network between them",
                short(&e.message)
            ),
        ),
        _ => ConnError::new(
            e.step,
            e.cause,
            format!("broker {broker_id} ({host}:{port}): {}", e.message),
        ),
    }
}

/// The part of a sentence after its last "host:port: " prefix.
fn short(m: &str) -> &str {
    m.rsplit_once(": ").map(|(_, b)| b).unwrap_or(m)
}

/// Authorisation failures, by Kafka error code: the ACL to grant.
pub fn not_authorized(api: &str, code: i16) -> Option<ConnError> {
    let acl = match code {
        29 => "DESCRIBE on the topics",
        30 => "DESCRIBE on the consumer groups",
        31 => "DESCRIBE on the CLUSTER resource",
        _ => return None,
    };
    Some(ConnError::new(
        Step::Authorize,
        Cause::NotAuthorized,
        format!("not authorised for {api}: grant the console's principal {acl}"),
    ))
}

/// librdkafka's own error strings, classified where they say enough (used when the protocol
/// probe cannot speak the cluster's SASL mechanism).
pub fn from_librdkafka(message: &str) -> Option<Cause> {
    let m = message.to_ascii_lowercase();
    let table: [(&str, Cause); 11] = [
        ("failed to resolve", Cause::DnsNotFound),
        ("connection refused", Cause::Refused),
        ("certificate verify failed", Cause::TlsUntrusted),
        ("unsupported sasl mechanism", Cause::SaslMechanism),
        ("authentication failed", Cause::AuthFailed),
        ("invalid credentials", Cause::AuthFailed),
        ("wrong version number", Cause::NotTls),
        ("ssl handshake failed", Cause::TlsFailed),
        ("timed out", Cause::TimedOut),
        ("no route to host", Cause::NoRoute),
        (
            "disconnected while requesting apiversion",
            Cause::ExpectsTls,
        ),
    ];
    table
        .iter()
        .find(|(needle, _)| m.contains(needle))
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn os_errors_map_to_classes_and_sentences() {
        let table = [
            (
                ErrorKind::ConnectionRefused,
                Cause::Refused,
                "nothing listens",
            ),
            (ErrorKind::TimedOut, Cause::TimedOut, "timed out"),
            (ErrorKind::HostUnreachable, Cause::NoRoute, "no route"),
            (ErrorKind::NetworkUnreachable, Cause::NoRoute, "no route"),
            (ErrorKind::ConnectionReset, Cause::Closed, "cannot connect"),
        ];
        for (kind, cause, words) in table {
            let e = connect_error("b1", 9092, &Error::new(kind, "x"));
            assert_eq!((e.step, e.cause), (Step::Connect, cause), "{kind:?}");
            assert!(
                e.message.contains("b1:9092") && e.message.contains(words),
                "{e}"
            );
        }
        let e = resolve_error(
            "nope.invalid",
            &Error::other("failed to lookup address information: Name or service not known"),
        );
        assert_eq!(e.cause, Cause::DnsNotFound);
        assert_eq!(
            e.message,
            "the host name 'nope.invalid' does not resolve (Name or service not known): check bootstrap.servers, or the console's DNS"
        );
    }

    #[test]
    fn advertised_addresses_are_blamed_on_the_broker_listener() {
        let dns = resolve_error("kafka-2.internal", &Error::other("not known"));
        let e = as_advertised(dns, 2, "kafka-2.internal", 9092);
        assert_eq!(e.cause, Cause::AdvertisedUnresolvable);
        assert!(
            e.message
                .contains("broker 2 advertises kafka-2.internal:9092"),
            "{e}"
        );
        assert_eq!(e.cause.setting(), Some("the broker's advertised.listeners"));
        let t = connect_error("10.9.9.9", 9092, &Error::new(ErrorKind::TimedOut, "x"));
        let e = as_advertised(t, 3, "10.9.9.9", 9092);
        assert_eq!(e.cause, Cause::AdvertisedUnreachable);
        assert!(
            e.message
                .contains("cannot reach (the connection timed out)"),
            "{e}"
        );
        // A refused connection is a broker that is down, not a wrong listener.
        let r = connect_error("b1", 9092, &Error::new(ErrorKind::ConnectionRefused, "x"));
        let e = as_advertised(r, 1, "b1", 9092);
        assert_eq!(e.cause, Cause::Refused);
        assert!(
            e.message.starts_with("broker 1 (b1:9092): cannot connect"),
            "{e}"
        );
    }

    #[test]
    fn authorisation_codes_name_the_acl() {
        let e = not_authorized("DescribeCluster", 31).unwrap();
        assert_eq!((e.step, e.cause), (Step::Authorize, Cause::NotAuthorized));
        assert_eq!(
            e.message,
            "not authorised for DescribeCluster: grant the console's principal DESCRIBE on the CLUSTER resource"
        );
        assert!(not_authorized("Metadata", 3).is_none());
    }

    #[test]
    fn librdkafka_strings_are_classified_where_they_say_enough() {
        let table = [
            ("ssl://b:9195/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified", Cause::TlsUntrusted),
            ("sasl_ssl://b:9195/1: SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512", Cause::AuthFailed),
            ("b:9195/bootstrap: Failed to resolve 'nope:9092': Name or service not known", Cause::DnsNotFound),
            ("b:9192/bootstrap: Connect to ipv4#127.0.0.1:9999 failed: Connection refused", Cause::Refused),
            ("ssl://b:9192/bootstrap: SSL handshake failed: error:0A00010B:SSL routines::wrong version number", Cause::NotTls),
        ];
        for (m, c) in table {
            assert_eq!(from_librdkafka(m), Some(c), "{m}");
        }
        assert_eq!(from_librdkafka("Broker transport failure"), None);
    }

    #[test]
    fn every_settings_class_names_a_setting() {
        for c in [
            Cause::DnsNotFound,
            Cause::TlsUntrusted,
            Cause::TlsHostname,
            Cause::NotTls,
            Cause::ExpectsTls,
            Cause::SaslRequired,
            Cause::SaslMechanism,
            Cause::AuthFailed,
            Cause::NotAuthorized,
            Cause::AdvertisedUnresolvable,
        ] {
            assert!(c.is_settings(), "{c:?}");
            assert!(c.setting().is_some(), "{c:?}");
        }
        assert!(!Cause::Refused.is_settings());
    }
}
