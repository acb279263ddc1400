//! Lua scripts: each runs atomically in Redis, so a read-check-write takes
//! one round trip and no other client can interleave. Every script touches
//! exactly one key (`KEYS[1]`), so each also runs on Redis Cluster, on the
//! node owning that key.

use std::sync::LazyLock;

use redis::Script;

/// Sets field/value pairs from `ARGV[from]` on, in slices small enough for
/// Lua's `unpack` (which fails beyond a few thousand values).
const HSET_FROM: &str = r"
local function hset_from(key, from)
  for i = from, #ARGV, 1000 do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
end
";

fn with_hset(body: &str) -> Script {
    Script::new(&format!("{HSET_FROM}{body}"))
}

/// `KEYS[1]`: the session. Returns `{HGETALL, PEXPIRETIME}`; reading both in
/// one script keeps a concurrent `touch` from splitting them. A missing key
/// gives `{{}, -2}`; a key of another type (not written by this store)
/// `{{}, -3}`.
pub(crate) static LOAD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local kind = redis.call('TYPE', KEYS[1]).ok
if kind == 'none' then return {{}, -2} end
if kind ~= 'hash' then return {{}, -3} end
return {redis.call('HGETALL', KEYS[1]), redis.call('PEXPIRETIME', KEYS[1])}
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: deadline (ms), then the record's
/// field/value pairs. Inserts unless a live record exists; returns 1 if it
/// did.
pub(crate) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    with_hset(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
hset_from(KEYS[1], 2)
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: expected version, deadline (ms), the
/// user still to be indexed (`''` if none), the new absolute deadline (ms),
/// then the record's field/value pairs.
///
/// Returns 1 if replaced; 0 on a version mismatch or a missing (deleted or
/// expired) key, which therefore stays missing; 2, writing nothing, if the
/// record binds a user the key may not be indexed under yet (the stored
/// record has another user, or an earlier absolute deadline): the caller
/// indexes it and saves again with `ARGV[3] = ''`.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    with_hset(
        r"
if redis.call('HGET', KEYS[1], 'ver') ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  local user = redis.call('HGET', KEYS[1], 'user')
  local absolute = tonumber(redis.call('HGET', KEYS[1], 'abs'))
  if user ~= ARGV[3] or absolute < tonumber(ARGV[4]) then return 2 end
end
redis.call('DEL', KEYS[1])
hset_from(KEYS[1], 5)
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: new idle deadline (ms), write time
/// (ms), cleared (`'1'`/`'0'`), user change (`'k'` keep, `'u'` unbind,
/// `'s'..name` bind), persistent (`''` keep, `'0'`, `'1'`), the number S of
/// data fields set, S field/value pairs, then the data fields removed.
///
/// Merges one request's changes into the live record and bumps its
/// version; returns 1, or 0 if there is no live record (deleted: logout
/// wins; or expired), which then stays missing. The idle deadline is
/// capped at the stored absolute deadline.
pub(crate) static APPLY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local key = KEYS[1]
if redis.call('EXISTS', key) == 0 then return 0 end
local function del_all(fields)
  for i = 1, #fields, 1000 do
    redis.call('HDEL', key, unpack(fields, i, math.min(i + 999, #fields)))
  end
end
if ARGV[3] == '1' then
  local doomed = {}
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'd:' then doomed[#doomed + 1] = field end
  end
  del_all(doomed)
end
local last_set = 6 + 2 * tonumber(ARGV[6])
for i = 7, last_set, 2 do redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
local removed = {}
for i = last_set + 1, #ARGV do removed[#removed + 1] = ARGV[i] end
del_all(removed)
local user = string.sub(ARGV[4], 1, 1)
if user == 's' then redis.call('HSET', key, 'user', string.sub(ARGV[4], 2))
elseif user == 'u' then redis.call('HDEL', key, 'user') end
if ARGV[5] ~= '' then redis.call('HSET', key, 'persist', ARGV[5]) end
redis.call('HSET', key, 'active', ARGV[2])
redis.call('HINCRBY', key, 'ver', 1)
local absolute = redis.call('HGET', key, 'abs')
if tonumber(absolute) < tonumber(ARGV[1]) then
  redis.call('PEXPIREAT', key, absolute)
else
  redis.call('PEXPIREAT', key, ARGV[1])
end
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV[1]`: new idle deadline (ms). Caps it at
/// the stored absolute deadline. A missing key stays missing.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local absolute = redis.call('HGET', KEYS[1], 'abs')
if not absolute then return 0 end
if tonumber(absolute) < tonumber(ARGV[1]) then
  return redis.call('PEXPIREAT', KEYS[1], absolute)
end
return redis.call('PEXPIREAT', KEYS[1], ARGV[1])
",
    )
});

/// `KEYS[1]`: the session. Deletes it; returns the user it was bound to,
/// or `false`, so the caller can drop it from that user's index.
pub(crate) static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local user = false
if redis.call('TYPE', KEYS[1]).ok == 'hash' then user = redis.call('HGET', KEYS[1], 'user') end
redis.call('DEL', KEYS[1])
return user
",
    )
});

/// `KEYS[1]`: a session; `ARGV[1]`: a user. Deletes the session only if it
/// is bound to that user right now, so a session rebound to someone else is
/// never deleted on the old user's behalf. Returns 1 if it deleted.
pub(crate) static DELETE_IF_USER: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then return 0 end
if redis.call('HGET', KEYS[1], 'user') ~= ARGV[1] then return 0 end
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
