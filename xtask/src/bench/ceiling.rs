//! Raw rates of the expensive operations, measured in this process on all
//! CPUs: the ceilings that Paket's figures are compared with.

use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use paket_store::Store;
use serde::Serialize;

/// Operations per second of each raw operation, on all CPUs.
#[derive(Debug, Clone, Serialize)]
pub struct Ceilings {
    pub threads: usize,
    /// argon2id verifications per second with Paket's parameters.
    pub argon2_per_second: f64,
    /// ES256 JWT signatures per second with the key in use.
    pub es256_sign_per_second: f64,
    /// ES256 JWT verifications per second with the key in use.
    pub es256_verify_per_second: f64,
}

/// Runs `operation` on every CPU for `duration` and returns operations per second.
fn rate(threads: usize, duration: Duration, operation: impl Fn() + Sync) -> f64 {
    let start = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut count = 0u64;
                    while start.elapsed() < duration {
                        operation();
                        count += 1;
                    }
                    count
                })
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap_or(0)).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// Measures the ceilings, reading the signing key from Paket's database.
pub fn measure(database_url: &str, duration: Duration) -> anyhow::Result<Ceilings> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    // The same jsonwebtoken crypto provider as the server.
    paket_service::keys::check_crypto_provider()?;

    let phc = paket_service::secrets::hash_password("bench-password")?;
    let argon2_per_second = rate(threads, duration, || {
        std::hint::black_box(paket_service::secrets::verify_password("bench-password", &phc));
    });

    let store = Store::open(database_url, &paket_store::PoolOptions::default())?;
    let key = store
        .read(paket_store::keys::active_signing_keys)?
        .into_iter()
        .next()
        .context("the database has no signing key")?;
    let encoding = EncodingKey::from_ec_der(&key.private_key);
    let decoding = DecodingKey::from_ec_der(&key.public_key);
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.id.clone());
    header.typ = Some("at+jwt".into());
    // Claims of the size of a Paket access token.
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:8080",
        "sub": "7e2d9b87-a044-4a99-9443-34e1324d5e02",
        "aud": "lxxva3mw5q27myfzrm1gyo01ba",
        "client_id": "lxxva3mw5q27myfzrm1gyo01ba",
        "exp": 4_102_444_800_i64,
        "iat": 1_796_415_845_i64,
        "jti": "07dfbbc6-54fb-443c-856f-5d77e3b1deaf",
        "scope": "openid offline_access",
        "gid": "240c0e32-c169-4f4c-bab5-44b0675e40de",
    });
    let token = jsonwebtoken::encode(&header, &claims, &encoding)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.validate_aud = false;

    let es256_sign_per_second = rate(threads, duration, || {
        std::hint::black_box(jsonwebtoken::encode(&header, &claims, &encoding).is_ok());
    });
    let es256_verify_per_second = rate(threads, duration, || {
        std::hint::black_box(jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).is_ok());
    });

    Ok(Ceilings { threads, argon2_per_second, es256_sign_per_second, es256_verify_per_second })
}
