//! Lua scripts: each runs atomically in Redis, so a read-check-write takes
//! one round trip and no other client can interleave. Every script touches
//! exactly one key (`KEYS[1]`), so each also runs on Redis Cluster, on the
//! node owning that key.

use std::sync::LazyLock;

use redis::Script;

/// Lua that `HSET`s `ARGV[from..]` (field/value pairs) on `KEYS[1]`: one
/// call for up to 1000 values, more in slices of 1000 for longer lists
/// (Lua's `unpack` fails beyond a few thousand values). Slices hold an
/// even number of values, so pairs stay whole. A loop rather than a Lua
/// function: defining one costs every run.
macro_rules! hset_argv_from {
    ($from:literal) => {
        concat!(
            "for i = ",
            $from,
            ", #ARGV, 1000 do\n",
            "  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))\n",
            "end\n"
        )
    };
}

/// Lua: whether the decimal string `$a` is a smaller number than `$b`.
/// Deadlines are written without leading zeros, so the shorter is the
/// smaller and equal lengths compare as text. No `tonumber`: it is a global
/// lookup and a function call in every run, and comparing the text needs
/// neither.
macro_rules! earlier {
    ($a:literal, $b:literal) => {
        concat!(
            "(#", $a, " < #", $b, " or (#", $a, " == #", $b, " and ", $a, " < ", $b, "))"
        )
    };
}

/// Lua pattern of the packed header (`codec`'s `META`), capturing version,
/// absolute deadline, created and persistence.
const HEADER_PATTERN: &str = "'^2:(%d+):(%d+):%d+:(%d+):%d+:([01])$'";

/// `KEYS[1]`: the session; `ARGV`: deadline (ms), then the record's
/// field/value pairs (the packed header among them, holding the deadline).
/// Inserts unless a live record exists; returns 1 if it did.
pub(crate) static CREATE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(concat!(
        "if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n",
        hset_argv_from!("2"),
        "redis.call('PEXPIREAT', KEYS[1], ARGV[1])\n",
        "return 1\n",
    ))
});

/// `KEYS[1]`: the session; `ARGV`: expected version, deadline (ms), the
/// user still to be indexed (`''` if none), the new absolute deadline (ms),
/// then the record's field/value pairs (its packed header among them).
///
/// Returns 1 if replaced; 0 on a version mismatch or a missing (deleted or
/// expired) key, which therefore stays missing; 2, writing nothing, if the
/// record binds a user the key may not be indexed under yet (the stored
/// record has another user, or an earlier absolute deadline): the caller
/// indexes it and saves again with `ARGV[3] = ''`. A hash without a
/// readable packed header has no version to match: 0, and it stays as it is.
///
/// The hash is rewritten in place, new fields set before stale ones are
/// removed, never deleted and recreated: while its slot migrates to another
/// Redis Cluster node, a key that stops existing mid-script may not be
/// touched again there ("Script attempted to access a non local key"), and
/// the script would fail after the delete, losing the session.
pub(crate) static SAVE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
local header = redis.call('HGET', KEYS[1], 'm')
if not header then return 0 end
local version, absolute = string.match(header, '^2:(%d+):(%d+):')
if not version or version ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' then
  local wanted = ARGV[4]
  if redis.call('HGET', KEYS[1], 'user') ~= ARGV[3] or {earlier} then return 2 end
end
local keep = {{}}
for i = 5, #ARGV, 2 do keep[ARGV[i]] = true end
local stale = {{}}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not keep[field] then stale[#stale + 1] = field end
end
{hset}for i = 1, #stale, 1000 do
  redis.call('HDEL', KEYS[1], unpack(stale, i, math.min(i + 999, #stale)))
end
redis.call('PEXPIREAT', KEYS[1], ARGV[2])
return 1
",
        earlier = earlier!("absolute", "wanted"),
        hset = hset_argv_from!("5"),
    ))
});

/// `KEYS[1]`: the session; `ARGV[1]`: new idle deadline (ms); `ARGV[2]`:
/// now (ms, the last activity); `ARGV[3]`: persistence (`'1'`, `'0'`, or
/// `''` to keep it); then either
///
/// - `ARGV[4] = ''` and field/value pairs to set (the data keys set and
///   any `user` change): the common write, nothing cleared or removed, at
///   most [`APPLY_DIRECT_VALUES`] values; or
/// - `ARGV[4]` cleared (`'1'`/`'0'`), `ARGV[5]` the number N of values to
///   set, N values (pairs, as above), then the fields to remove (data
///   keys, and `user` when unbinding).
///
/// Merges one request's changes into the live record and bumps its
/// version; returns 1, or 0 if there is no live record (deleted: logout
/// wins; or expired), which then stays missing; a hash without the packed
/// header counts as missing too, and one whose header does not parse is an
/// error; neither is written to. The idle deadline is capped at the stored
/// absolute deadline and written to the header and the TTL.
///
/// Every `redis.call` costs Redis a command lookup and a reply converted to
/// Lua, and every global (`string`, `tonumber`) a table lookup: the common
/// write runs three calls (`HGET`, `HSET`, `PEXPIREAT`).
/// The version is formatted with `%.0f`: a Lua number is a double, exact to
/// 2^53 writes of one session (`..` would switch to exponent notation at
/// 10^14 and corrupt the header).
pub(crate) static APPLY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
local key = KEYS[1]
local header = redis.call('HGET', key, 'm')
if not header then return 0 end
local version, absolute, created, persist = string.match(header, {pattern})
if not version then return redis.error_reply('sesh: the session header is corrupt') end
local deadline = ARGV[1]
if not {earlier} then deadline = absolute end
if ARGV[3] ~= '' then persist = ARGV[3] end
header = '2:' .. string.format('%.0f', tonumber(version) + 1) .. ':' .. absolute .. ':' .. deadline .. ':' .. created
  .. ':' .. ARGV[2] .. ':' .. persist
if ARGV[4] == '' then
  redis.call('HSET', key, 'm', header, unpack(ARGV, 5))
else
  if ARGV[4] == '1' then
    local doomed = {{}}
    for _, field in ipairs(redis.call('HKEYS', key)) do
      if string.sub(field, 1, 2) == 'd:' then doomed[#doomed + 1] = field end
    end
    for i = 1, #doomed, 1000 do
      redis.call('HDEL', key, unpack(doomed, i, math.min(i + 999, #doomed)))
    end
  end
  redis.call('HSET', key, 'm', header)
  local last_set = 5 + tonumber(ARGV[5])
  for i = 6, last_set, 1000 do
    redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, last_set)))
  end
  for i = last_set + 1, #ARGV, 1000 do
    redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, #ARGV)))
  end
end
redis.call('PEXPIREAT', key, deadline)
return 1
",
        pattern = HEADER_PATTERN,
        earlier = earlier!("deadline", "absolute"),
    ))
});

/// How many values [`APPLY`]'s common form passes to `HSET` at most, the
/// header included in the count: Lua's `unpack` fails beyond a few
/// thousand, and longer lists go in slices.
pub(crate) const APPLY_DIRECT_VALUES: usize = 998;

/// `KEYS[1]`: the session; `ARGV[1]`: new idle deadline (ms). Caps it at
/// the stored absolute deadline and writes it to the header and the TTL.
/// A missing key stays missing, and a hash without the packed header is
/// left as it is; one whose header does not parse is an error.
pub(crate) static TOUCH: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&format!(
        r"
local deadline = ARGV[1]
local header = redis.call('HGET', KEYS[1], 'm')
if not header then return 0 end
local head, absolute, tail = string.match(header, '^(2:%d+:(%d+):)%d+(:.*)$')
if not head then return redis.error_reply('sesh: the session header is corrupt') end
if not {earlier} then deadline = absolute end
redis.call('HSET', KEYS[1], 'm', head .. deadline .. tail)
return redis.call('PEXPIREAT', KEYS[1], deadline)
",
        earlier = earlier!("deadline", "absolute"),
    ))
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

/// `KEYS[1]`: a user's index (a sorted set of store keys scored by their
/// absolute deadline); `ARGV`: store key, its absolute deadline (ms),
/// the prune bound (ms), the index's minimum expiry (ms). Drops members
/// dead for longer than the skew margin, adds (or raises) this one and
/// makes the index outlive its longest-lived member. Adds before it
/// prunes, so the set never empties (and vanishes) mid-script: on a slot
/// migrating between cluster nodes, a vanished key may not be touched again.
pub(crate) static INDEX_ADD: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[3])
if redis.call('PEXPIRETIME', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[4])
end
return 1
",
    )
});

/// `KEYS[1]`: a user's index; `ARGV[1]`: the prune bound (ms). Drops
/// members past their absolute deadline (they can never be live again) and
/// returns the rest, listed first: pruning may empty the set, and on a slot
/// migrating between cluster nodes a vanished key may not be read again.
pub(crate) static INDEX_LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local live = redis.call('ZRANGE', KEYS[1], ARGV[1], '+inf', 'BYSCORE')
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
return live
",
    )
});
