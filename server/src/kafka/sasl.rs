//! SASL for Kafscope's own protocol connections: the client side of PLAIN (RFC 4616),
//! SCRAM-SHA-256/512 (RFC 5802, RFC 7677) and OAUTHBEARER (RFC 7628, KIP-255), as Kafka's
//! SaslHandshake (v1) + SaslAuthenticate exchange carries them. Pure: bytes in, bytes out;
//! the exchange itself is in `wire.rs`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The SASL mechanisms Kafscope speaks itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
    OAuthBearer,
}

impl Mechanism {
    /// A librdkafka `sasl.mechanism(s)` value; `None` for one Kafscope does not speak
    /// (GSSAPI), which keeps the cluster on librdkafka's path.
    pub fn parse(s: &str) -> Option<Mechanism> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PLAIN" => Some(Mechanism::Plain),
            "SCRAM-SHA-256" => Some(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Some(Mechanism::ScramSha512),
            "OAUTHBEARER" => Some(Mechanism::OAuthBearer),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// PLAIN's one message: no authorisation id, the user, the password.
pub fn plain_message(user: &str, password: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(user.len() + password.len() + 2);
    out.push(0);
    out.extend_from_slice(user.as_bytes());
    out.push(0);
    out.extend_from_slice(password.as_bytes());
    out
}

/// OAUTHBEARER's initial client response (RFC 7628 §3.1) with KIP-342 extensions.
pub fn oauthbearer_message(token: &str, extensions: &[(String, String)]) -> Vec<u8> {
    let mut s = format!("n,,\x01auth=Bearer {token}\x01");
    for (k, v) in extensions {
        s.push_str(&format!("{k}={v}\x01"));
    }
    s.push('\x01');
    s.into_bytes()
}

/// Kafka's floor for SCRAM iterations (ScramMechanism's minimum): a server asking for fewer
/// is not a Kafka broker, or is trying to make the password cheap to guess.
const MIN_ITERATIONS: u32 = 4096;
/// A ceiling, so a hostile server cannot make the console spin.
const MAX_ITERATIONS: u32 = 1 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha256,
    Sha512,
}

impl Hash {
    fn hmac(self, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
        fn run<M: Mac + hmac::digest::KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
            // HMAC takes keys of any length.
            let mut m = <M as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
            for p in parts {
                m.update(p);
            }
            m.finalize().into_bytes().to_vec()
        }
        match self {
            Hash::Sha256 => run::<Hmac<Sha256>>(key, parts),
            Hash::Sha512 => run::<Hmac<Sha512>>(key, parts),
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(data).to_vec(),
            Hash::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// RFC 5802's Hi(): PBKDF2 with this HMAC, one block.
    fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut u = self.hmac(password, &[salt, &1u32.to_be_bytes()]);
        let mut out = u.clone();
        for _ in 1..iterations {
            u = self.hmac(password, &[&u]);
            for (o, x) in out.iter_mut().zip(&u) {
                *o ^= x;
            }
        }
        out
    }
}

/// A user name as SCRAM writes it: `=` and `,` escaped (RFC 5802 §5.1).
fn sasl_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// One SCRAM exchange, client side: `first()`, then `respond(server-first)`, then
/// `verify(server-final)`.
#[derive(Clone)]
pub struct Scram {
    hash: Hash,
    user: String,
    password: String,
    nonce: String,
    /// Set by `respond`: the server signature the final message must carry.
    expected_server_signature: Option<Vec<u8>>,
}

impl std::fmt::Debug for Scram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scram")
            .field("hash", &self.hash)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Scram {
    /// `mechanism` must be one of the SCRAM ones; `nonce` is the client's random nonce
    /// (printable, no comma).
    pub fn new(mechanism: Mechanism, user: &str, password: &str, nonce: &str) -> Option<Scram> {
        let hash = match mechanism {
            Mechanism::ScramSha256 => Hash::Sha256,
            Mechanism::ScramSha512 => Hash::Sha512,
            _ => return None,
        };
        Some(Scram {
            hash,
            user: user.to_string(),
            password: password.to_string(),
            nonce: nonce.to_string(),
            expected_server_signature: None,
        })
    }

    /// A fresh client nonce: 24 random bytes, base64.
    pub fn random_nonce() -> String {
        let mut b = [0u8; 24];
        getrandom::fill(&mut b).unwrap_or_else(|_| {
            // No system randomness is a broken machine; still never reuse a nonce.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            b[..16].copy_from_slice(&t.to_le_bytes());
        });
        B64.encode(b)
    }

    fn first_bare(&self) -> String {
        format!("n={},r={}", sasl_name(&self.user), self.nonce)
    }

    /// The client-first message.
    pub fn first(&self) -> Vec<u8> {
        format!("n,,{}", self.first_bare()).into_bytes()
    }

    /// The client-final message for the server-first message.
    pub fn respond(&mut self, server_first: &[u8]) -> Result<Vec<u8>, String> {
        let text = std::str::from_utf8(server_first)
            .map_err(|_| "the server's SCRAM challenge is not text".to_string())?;
        if let Some(e) = attribute(text, 'e') {
            return Err(format!("the server refused the SCRAM exchange: {e}"));
        }
        if attribute(text, 'm').is_some() {
            return Err("the server asks for a SCRAM extension Kafscope does not know (m=)".into());
        }
        let nonce = attribute(text, 'r').ok_or("the server's SCRAM challenge has no nonce")?;
        if !nonce.starts_with(&self.nonce) || nonce.len() == self.nonce.len() {
            return Err("the server's SCRAM nonce does not extend ours".into());
        }
        let salt = attribute(text, 's')
            .and_then(|s| B64.decode(s).ok())
            .ok_or("the server's SCRAM challenge has no readable salt")?;
        let iterations: u32 = attribute(text, 'i')
            .and_then(|i| i.parse().ok())
            .ok_or("the server's SCRAM challenge has no iteration count")?;
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&iterations) {
            return Err(format!(
                "the server asks for {iterations} SCRAM iterations (Kafka uses {MIN_ITERATIONS} to {MAX_ITERATIONS})"
            ));
        }
        let h = self.hash;
        let salted = h.salted_password(self.password.as_bytes(), &salt, iterations);
        let client_key = h.hmac(&salted, &[b"Client Key"]);
        let stored_key = h.digest(&client_key);
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{text},{without_proof}", self.first_bare());
        let signature = h.hmac(&stored_key, &[auth_message.as_bytes()]);
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = h.hmac(&salted, &[b"Server Key"]);
        self.expected_server_signature = Some(h.hmac(&server_key, &[auth_message.as_bytes()]));
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Check the server-final message: the server proves it knows the password too.
    pub fn verify(&self, server_final: &[u8]) -> Result<(), String> {
        let text = std::str::from_utf8(server_final)
            .map_err(|_| "the server's SCRAM answer is not text".to_string())?;
        if let Some(e) = attribute(text, 'e') {
            return Err(format!("authentication failed: {e}"));
        }
        let got = attribute(text, 'v')
            .and_then(|v| B64.decode(v).ok())
            .ok_or("the server's final SCRAM message has no signature")?;
        let want = self
            .expected_server_signature
            .as_ref()
            .ok_or("the SCRAM exchange is out of order")?;
        if !constant_time_eq(&got, want) {
            return Err("the server's SCRAM signature is wrong: it does not know this user's credentials (a man in the middle, or another cluster)".into());
        }
        Ok(())
    }
}

/// The value of a `k=value` attribute in a SCRAM message.
fn attribute(msg: &str, key: char) -> Option<&str> {
    msg.split(',').find_map(|kv| {
        let mut it = kv.splitn(2, '=');
        let k = it.next()?;
        (k.len() == 1 && k.starts_with(key)).then(|| it.next().unwrap_or(""))
    })
}

/// Compare secrets without leaking where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The server side of SCRAM, for the tests' scripted broker: the stored credentials a
/// broker keeps for a user (salt, iterations, stored key, server key).
#[doc(hidden)]
pub mod server {
    use super::*;

    pub struct Credential {
        pub salt: Vec<u8>,
        pub iterations: u32,
        pub stored_key: Vec<u8>,
        pub server_key: Vec<u8>,
        sha512: bool,
    }

    impl Credential {
        pub fn new(mechanism: Mechanism, password: &str, salt: &[u8], iterations: u32) -> Self {
            let h = if mechanism == Mechanism::ScramSha512 {
                Hash::Sha512
            } else {
                Hash::Sha256
            };
            let salted = h.salted_password(password.as_bytes(), salt, iterations);
            Credential {
                salt: salt.to_vec(),
                iterations,
                stored_key: h.digest(&h.hmac(&salted, &[b"Client Key"])),
                server_key: h.hmac(&salted, &[b"Server Key"]),
                sha512: h == Hash::Sha512,
            }
        }

        fn hash(&self) -> Hash {
            if self.sha512 {
                Hash::Sha512
            } else {
                Hash::Sha256
            }
        }

        /// The server-first message for a client-first message; returns it and the
        /// auth-message prefix to finish with.
        pub fn challenge(&self, client_first: &str, server_nonce: &str) -> (String, String) {
            let bare = client_first.trim_start_matches("n,,").to_string();
            let cnonce = attribute(&bare, 'r').unwrap_or("").to_string();
            let first = format!(
                "r={cnonce}{server_nonce},s={},i={}",
                B64.encode(&self.salt),
                self.iterations
            );
            (first.clone(), format!("{bare},{first}"))
        }

        /// Check a client-final message; the server-final message when the proof holds.
        pub fn finish(&self, prefix: &str, client_final: &str) -> Option<String> {
            let h = self.hash();
            let (without_proof, proof) = client_final.rsplit_once(",p=")?;
            let proof = B64.decode(proof).ok()?;
            let auth_message = format!("{prefix},{without_proof}");
            let signature = h.hmac(&self.stored_key, &[auth_message.as_bytes()]);
            let client_key: Vec<u8> = proof.iter().zip(&signature).map(|(a, b)| a ^ b).collect();
            if h.digest(&client_key) != self.stored_key {
                return None;
            }
            let server_sig = h.hmac(&self.server_key, &[auth_message.as_bytes()]);
            Some(format!("v={}", B64.encode(server_sig)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scram_sha_256_matches_rfc_7677() {
        let mut s = Scram::new(
            Mechanism::ScramSha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        )
        .unwrap();
        assert_eq!(s.first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let server_first =
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let fin = s.respond(server_first).unwrap();
        assert_eq!(
            String::from_utf8(fin).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        s.verify(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        let e = s
            .verify(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err();
        assert!(e.contains("signature is wrong"), "{e}");
        let e = s.verify(b"e=invalid-proof").unwrap_err();
        assert!(e.contains("invalid-proof"), "{e}");
    }

    #[test]
    fn scram_sha_512_matches_an_independently_computed_vector() {
        // RFC 7677's inputs with SHA-512 (no RFC vector exists; computed with Python's
        // hashlib, ring and RustCrypto, which agree).
        let mut s = Scram::new(
            Mechanism::ScramSha512,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO",
        )
        .unwrap();
        let fin = s
            .respond(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap();
        assert!(String::from_utf8(fin).unwrap().ends_with(
            ",p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ=="
        ));
        s.verify(b"v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==")
            .unwrap();
    }

    #[test]
    fn scram_sha_512_round_trips_with_a_server_holding_only_stored_keys() {
        let cred =
            server::Credential::new(Mechanism::ScramSha512, "s3cr=t,pw", b"salty-salt", 4096);
        let mut c = Scram::new(Mechanism::ScramSha512, "ann,=x", "s3cr=t,pw", "abc123").unwrap();
        let first = String::from_utf8(c.first()).unwrap();
        assert_eq!(first, "n,,n=ann=2C=3Dx,r=abc123");
        let (challenge, prefix) = cred.challenge(&first, "SRV");
        let fin = String::from_utf8(c.respond(challenge.as_bytes()).unwrap()).unwrap();
        let server_final = cred.finish(&prefix, &fin).expect("proof accepted");
        c.verify(server_final.as_bytes()).unwrap();

        // The wrong password: the server refuses the proof.
        let mut wrong = Scram::new(Mechanism::ScramSha512, "ann,=x", "nope", "abc123").unwrap();
        let fin = String::from_utf8(wrong.respond(challenge.as_bytes()).unwrap()).unwrap();
        assert!(cred.finish(&prefix, &fin).is_none());
    }

    #[test]
    fn hostile_or_broken_challenges_are_refused() {
        let mut s = Scram::new(Mechanism::ScramSha256, "u", "p", "abc").unwrap();
        for (bad, why) in [
            (&b"r=xyz,s=AAAA,i=4096"[..], "extend ours"),
            (b"r=abc,s=AAAA,i=4096", "extend ours"),
            (b"r=abcd,i=4096", "salt"),
            (b"r=abcd,s=AAAA", "iteration"),
            (b"r=abcd,s=AAAA,i=1", "iterations"),
            (b"r=abcd,s=AAAA,i=999999999", "iterations"),
            (b"e=unknown-user", "unknown-user"),
            (b"m=ext,r=abcd,s=AAAA,i=4096", "m="),
            (&[0xff, 0xfe][..], "not text"),
        ] {
            let e = s.respond(bad).unwrap_err();
            assert!(e.contains(why), "{e}");
        }
        assert!(Scram::new(Mechanism::Plain, "u", "p", "n").is_none());
        assert!(s.verify(b"v=AAAA").is_err(), "no final before respond");
    }

    #[test]
    fn plain_and_oauthbearer_messages_are_exact() {
        assert_eq!(plain_message("alice", "pw"), b"\0alice\0pw");
        assert_eq!(
            oauthbearer_message("tok.en", &[("traceId".into(), "7".into())]),
            b"n,,\x01auth=Bearer tok.en\x01traceId=7\x01\x01"
        );
        assert_eq!(
            oauthbearer_message("t", &[]),
            b"n,,\x01auth=Bearer t\x01\x01"
        );
        assert_eq!(
            Mechanism::parse(" scram-sha-512 "),
            Some(Mechanism::ScramSha512)
        );
        assert_eq!(Mechanism::parse("GSSAPI"), None);
        assert_eq!(Scram::random_nonce().len(), 32);
        assert_ne!(Scram::random_nonce(), Scram::random_nonce());
    }
}
