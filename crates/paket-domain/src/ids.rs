//! Identifier formats.

/// Length of a client id: 26 lowercase base-36 characters (about 134 bits).
pub const CLIENT_ID_LENGTH: usize = 26;

const BASE36: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// Builds a client id from a source of random bytes, using rejection
/// sampling so that every character is uniformly distributed.
pub fn client_id_from_random(mut random_byte: impl FnMut() -> u8) -> String {
    // 252 is the largest multiple of 36 that fits a byte; larger draws are
    // discarded, because `byte % 36` over 0..=255 favours the first 4 digits.
    let mut id = String::with_capacity(CLIENT_ID_LENGTH);
    while id.len() < CLIENT_ID_LENGTH {
        let byte = random_byte();
        if byte < 252 {
            id.push(char::from(BASE36[usize::from(byte % 36)]));
        }
    }
    id
}

/// Returns whether `value` has the generated client id form. Ids registered
/// by an operator may be longer or shorter, so lookups do not require it.
pub fn is_generated_client_id(value: &str) -> bool {
    value.len() == CLIENT_ID_LENGTH && value.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_id_form() {
        let mut counter = 0u8;
        let id = client_id_from_random(|| {
            counter = counter.wrapping_add(37);
            counter
        });
        assert_eq!(id.len(), CLIENT_ID_LENGTH);
        assert!(is_generated_client_id(&id), "{id}");
    }

    #[test]
    fn bytes_above_251_are_discarded() {
        let mut draws = [255u8, 252, 0, 35].into_iter().cycle();
        let id = client_id_from_random(|| draws.next().unwrap_or(0));
        assert_eq!(id, "0z".repeat(13));
    }

    #[test]
    fn reference_example_has_form() {
        assert!(is_generated_client_id("2g8die7vki53974mp72sa4fgp5"));
        assert!(!is_generated_client_id("2G8DIE7VKI53974MP72SA4FGP5"));
    }
}
