//! Lua scripts: each runs atomically in Redis, so a read-check-write takes
//! one round trip and no other client can interleave.

use std::sync::LazyLock;

use redis::Script;

/// `KEYS[1]`: the session. Returns `{value or false, PEXPIRETIME}`; reading
/// both in one script keeps a concurrent `touch` from splitting them.
pub(crate) static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local value = redis.call('GET', KEYS[1])
if not value then return {false, -2} end
return {value, redis.call('PEXPIRETIME', KEYS[1])}
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: expected version field, new value, new
/// deadline (ms). Returns 1 if replaced, 0 on a version mismatch or a
/// missing (deleted or expired) key, which therefore stays missing.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GETRANGE', KEYS[1], 0, 19)
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PXAT', ARGV[3])
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV[1]`: new idle deadline (ms). Caps it at
/// the absolute deadline kept in the header. A missing key stays missing.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local absolute = tonumber(redis.call('GETRANGE', KEYS[1], 20, 39))
if not absolute then return 0 end
local at = tonumber(ARGV[1])
if absolute < at then at = absolute end
if at < 1 then at = 1 end
return redis.call('PEXPIREAT', KEYS[1], at)
",
    )
});

/// `KEYS[1]`: a session; `ARGV[1]`: the version field last loaded. Deletes
/// the session only if nobody wrote it since, so a concurrent rebinding to
/// another user is never deleted on the old user's behalf. Returns 1 if it
/// deleted.
pub(crate) static DELETE_IF_VERSION: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GETRANGE', KEYS[1], 0, 19) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
",
    )
});

/// `KEYS[1]`: a user's index (a sorted set of session keys scored by their
/// absolute deadline); `ARGV`: session key, its absolute deadline (ms),
/// the prune bound (ms), the index's minimum expiry (ms). Drops members
/// dead for longer than the skew margin, adds (or raises) this one and
/// makes the index outlive its longest-lived member.
pub(crate) static INDEX_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
end
return 1
",
    )
});

/// `KEYS[1]`: a user's index; `ARGV[1]`: the prune bound (ms). Drops
/// members past their absolute deadline (they can never be live again) and
/// returns the rest.
pub(crate) static INDEX_LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return redis.call('ZRANGE', KEYS[1], 0, -1)
",
    )
});
