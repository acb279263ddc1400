//! Unpadded base64url for exactly the 32 bytes of a [`SessionId`](super::SessionId).
//!
//! Every request with a cookie decodes one ID and every new session
//! encodes one. With the length fixed, the loops below unroll and need no
//! bounds checks or padding logic, which made them several times faster
//! than a general-purpose engine here. The property tests check them
//! against the `base64` crate.

pub(super) const ENCODED_LEN: usize = 43;
pub(super) const DECODED_LEN: usize = 32;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Marks a byte outside the alphabet; every valid entry is below 64.
const INVALID: u8 = 0xff;

const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        // `i` < 64: the cast keeps every bit.
        #[allow(clippy::cast_possible_truncation)]
        {
            table[ALPHABET[i] as usize] = i as u8;
        }
        i += 1;
    }
    table
};

pub(super) fn encode(bytes: &[u8; DECODED_LEN]) -> [u8; ENCODED_LEN] {
    let mut out = [0; ENCODED_LEN];
    let sextet = |n: u32, shift: u32| ALPHABET[((n >> shift) & 63) as usize];
    // Ten whole groups: 3 bytes to 4 characters.
    for (group, chars) in bytes.chunks_exact(3).zip(out.chunks_exact_mut(4)) {
        let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        chars.copy_from_slice(&[sextet(n, 18), sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    }
    // The last 2 bytes: 16 bits in 3 characters, the last 2 bits zero.
    let n = (u32::from(bytes[30]) << 8 | u32::from(bytes[31])) << 2;
    out[40..].copy_from_slice(&[sextet(n, 12), sextet(n, 6), sextet(n, 0)]);
    out
}

/// The bytes `text` spells, if it is the one canonical spelling of them:
/// only alphabet characters, and zero in the 2 bits past the last byte.
pub(super) fn decode(text: &[u8; ENCODED_LEN]) -> Option<[u8; DECODED_LEN]> {
    let mut out = [0; DECODED_LEN];
    // Invalid characters are OR-ed together and checked once at the end.
    let mut seen = 0;
    let mut value = |c: u8| {
        let v = DECODE[usize::from(c)];
        seen |= v;
        u32::from(v)
    };
    for (chars, group) in text.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let n = value(chars[0]) << 18 | value(chars[1]) << 12 | value(chars[2]) << 6 | value(chars[3]);
        group.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let n = value(text[40]) << 12 | value(text[41]) << 6 | value(text[42]);
    if seen >= 64 || n & 3 != 0 {
        return None;
    }
    out[30..].copy_from_slice(&(n >> 2).to_be_bytes()[2..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_inverts_the_alphabet() {
        for (i, &c) in ALPHABET.iter().enumerate() {
            assert_eq!(usize::from(DECODE[usize::from(c)]), i);
        }
        let valid = DECODE.iter().filter(|&&v| v != INVALID).count();
        assert_eq!(valid, 64);
    }

    #[test]
    fn edges_round_trip() {
        for bytes in [[0; DECODED_LEN], [0xff; DECODED_LEN]] {
            let text = encode(&bytes);
            assert_eq!(decode(&text), Some(bytes));
        }
        assert_eq!(&encode(&[0xff; DECODED_LEN])[40..], b"__8");
    }

    #[test]
    fn rejects_trailing_bits_and_strangers() {
        let mut text = encode(&[0; DECODED_LEN]);
        text[42] = b'B';
        assert_eq!(decode(&text), None, "non-zero trailing bits");
        for stranger in [b'=', b'+', b'/', b' ', 0, 0x80, 0xff] {
            let mut text = encode(&[7; DECODED_LEN]);
            text[5] = stranger;
            assert_eq!(decode(&text), None, "{stranger:#x}");
        }
    }
}
