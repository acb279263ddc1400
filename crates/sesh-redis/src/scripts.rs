//! Lua scripts: each runs atomically in Redis, so a read-check-write takes
//! one round trip and no other client can interleave. Every script touches
//! exactly one key (`KEYS[1]`), so each also runs on Redis Cluster, on the
//! node owning that key.

use std::sync::LazyLock;

use redis::Script;

/// Runs `command` on `key` with `list[from..=to]` as arguments, in slices
/// small enough for Lua's `unpack` (which fails beyond a few thousand
/// values). Slices hold an even number of values, so `HSET` pairs stay
/// whole.
const IN_SLICES: &str = r"
local function in_slices(command, key, list, from, to)
  for i = from, to, 1000 do
    redis.call(command, key, unpack(list, i, math.min(i + 999, to)))
  end
end
";

fn with_slices(body: &str) -> Script {
    Script::new(&format!("{IN_SLICES}{body}"))
}

/// `KEYS[1]`: the session; `ARGV`: deadline (ms), then the record's
/// field/value pairs (the packed header among them, holding the deadline).
/// Inserts unless a live record exists; returns 1 if it did.
pub(crate) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    with_slices(
        r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
in_slices('HSET', KEYS[1], ARGV, 2, #ARGV)
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: expected version, deadline (ms), the
/// user still to be indexed (`''` if none), the new absolute deadline (ms),
/// then the record's field/value pairs (its packed header among them).
///
/// Returns 1 if replaced; 0 on a version mismatch or a missing (deleted or
/// expired) key, which therefore stays missing; 2, writing nothing, if the
/// record binds a user the key may not be indexed under yet (the stored
/// record has another user, or an earlier absolute deadline): the caller
/// indexes it and saves again with `ARGV[3] = ''`. The stored hash may be
/// of either layout (see `codec`); it is replaced by one of the current.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    with_slices(
        r"
local stored = redis.call('HMGET', KEYS[1], 'm', 'user', 'ver', 'abs')
local version, absolute = stored[3], stored[4]
if stored[1] then version, absolute = string.match(stored[1], '^2:(%d+):(%d+):') end
if not version or version ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and (stored[2] ~= ARGV[3] or tonumber(absolute) < tonumber(ARGV[4])) then
  return 2
end
redis.call('DEL', KEYS[1])
in_slices('HSET', KEYS[1], ARGV, 5, #ARGV)
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV`: new idle deadline (ms), now (ms, the
/// last activity), persistence (`'1'`, `'0'`, or `''` to keep it), cleared
/// (`'1'`/`'0'`), the number N of values to set, N values (field/value
/// pairs: the data keys set and any `user` change), then the fields to
/// remove (data keys, and `user` when unbinding).
///
/// Merges one request's changes into the live record and bumps its
/// version; returns 1, or 0 if there is no live record (deleted: logout
/// wins; or expired), which then stays missing. The idle deadline is
/// capped at the stored absolute deadline and written to the header and
/// the TTL. A hash of layout 1 is rewritten in the current layout.
pub(crate) static APPLY: LazyLock<Script> = LazyLock::new(|| {
    with_slices(
        r"
local key = KEYS[1]
local stored = redis.call('HMGET', key, 'm', 'ver', 'abs', 'created', 'persist')
local version, absolute, created, persist
if stored[1] then
  version, absolute, created, persist =
    string.match(stored[1], '^2:(%d+):(%d+):%d+:(%d+):%d+:([01])$')
  if not version then error('sesh: the session header is corrupt') end
elseif stored[2] then
  version, absolute, created, persist = stored[2], stored[3], stored[4], stored[5] or '0'
  redis.call('HDEL', key, 'fmt', 'ver', 'abs', 'exp', 'created', 'active', 'persist')
else
  return 0
end
local deadline = ARGV[1]
if tonumber(deadline) > tonumber(absolute) then deadline = absolute end
if ARGV[3] ~= '' then persist = ARGV[3] end
if ARGV[4] == '1' then
  local doomed = {}
  for _, field in ipairs(redis.call('HKEYS', key)) do
    if string.sub(field, 1, 2) == 'd:' then doomed[#doomed + 1] = field end
  end
  in_slices('HDEL', key, doomed, 1, #doomed)
end
local header = string.format('2:%d:%s:%s:%s:%s:%s',
  tonumber(version) + 1, absolute, deadline, created, ARGV[2], persist)
local last_set = 5 + tonumber(ARGV[5])
local set = {'m', header}
for i = 6, last_set do set[#set + 1] = ARGV[i] end
in_slices('HSET', key, set, 1, #set)
in_slices('HDEL', key, ARGV, last_set + 1, #ARGV)
redis.call('PEXPIREAT', key, deadline)
return 1
",
    )
});

/// `KEYS[1]`: the session; `ARGV[1]`: new idle deadline (ms). Caps it at
/// the stored absolute deadline and writes it to the header and the TTL.
/// A missing key stays missing; a hash of layout 1 keeps its layout and
/// gets its `exp` field.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local stored = redis.call('HMGET', KEYS[1], 'm', 'abs')
local deadline = ARGV[1]
if stored[1] then
  local head, absolute, tail = string.match(stored[1], '^(2:%d+:(%d+):)%d+(:.*)$')
  if not head then error('sesh: the session header is corrupt') end
  if tonumber(deadline) > tonumber(absolute) then deadline = absolute end
  redis.call('HSET', KEYS[1], 'm', head .. deadline .. tail)
elseif stored[2] then
  if tonumber(deadline) > tonumber(stored[2]) then deadline = stored[2] end
  redis.call('HSET', KEYS[1], 'exp', deadline)
else
  return 0
end
return redis.call('PEXPIREAT', KEYS[1], deadline)
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
