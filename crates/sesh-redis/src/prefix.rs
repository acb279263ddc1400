use sesh_core::{Error, ErrorKind};

/// The longest key prefix accepted, in bytes.
const MAX_PREFIX_BYTES: usize = 64;

/// Checks a key prefix: keys are shown by `redis-cli` and in `MONITOR`
/// output, where whitespace or control characters would make them ambiguous.
pub(crate) fn validate(prefix: &str) -> Result<(), Error> {
    if prefix.is_empty() {
        return Err(Error::msg(ErrorKind::Config, "the Redis key prefix is empty"));
    }
    if prefix.len() > MAX_PREFIX_BYTES {
        return Err(Error::msg(
            ErrorKind::Config,
            format!("the Redis key prefix is longer than {MAX_PREFIX_BYTES} bytes"),
        ));
    }
    if prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::msg(
            ErrorKind::Config,
            "the Redis key prefix contains whitespace or control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_prefixes() {
        for ok in ["sesh:", "a", "app/sess:", &"x".repeat(64)] {
            assert!(validate(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn rejects_bad_prefixes() {
        for bad in [
            "",
            " ",
            "a b",
            "tab\t",
            "nl\n",
            "nul\0",
            "\u{2003}",
            &"x".repeat(65),
        ] {
            let e = validate(bad).expect_err(bad);
            assert_eq!(e.kind(), ErrorKind::Config);
        }
    }
}
