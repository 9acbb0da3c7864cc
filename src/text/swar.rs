//! Tests on eight bytes at once (SWAR), for the loops that skip runs of bytes nothing reacts to.

/// A `u64` holding `b` in each of its eight bytes.
#[inline]
pub(crate) const fn splat(b: u8) -> u64 {
    0x0101_0101_0101_0101 * b as u64
}

/// The high bit of each byte.
pub(crate) const HIGH: u64 = splat(0x80);

/// Whether one of the eight bytes of `x` is below `n` (`n` at most 0x80). Where a byte is, the
/// subtraction borrows into its high bit, which `!x` keeps only for bytes below 0x80.
#[inline]
pub(crate) fn has_byte_below(x: u64, n: u8) -> bool {
    x.wrapping_sub(splat(n)) & !x & HIGH != 0
}

/// Whether one of the eight bytes of `x` is `b`.
#[inline]
pub(crate) fn has_byte(x: u64, b: u8) -> bool {
    has_byte_below(x ^ splat(b), 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tests_agree_with_a_byte_loop(bytes in proptest::array::uniform8(any::<u8>()), b in any::<u8>(), n in 0u8..=0x80) {
            let x = u64::from_le_bytes(bytes);
            prop_assert_eq!(has_byte(x, b), bytes.contains(&b));
            prop_assert_eq!(has_byte_below(x, n), bytes.iter().any(|&v| v < n));
        }
    }
}
