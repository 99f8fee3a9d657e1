--[[
  The raw fast path: an event after everything in its chain, merged on the member bytes without
  decoding them into a table, and without a protected call. It handles exactly what fast.lua
  would do for an alloc, a release, a sighting and a lease start or end, produces the same bytes,
  and checks everything before its first write: whenever a check fails (a collision, a case it
  does not know) it returns false having written nothing, and the caller runs the event through
  fast.lua and the general merge, as before.
  A collision (the new member already in its set) is learnt from ZADD NX itself rather than
  asked first: its reply is the check, and the one write it may have made before a later check
  fails is taken back, so the outcome is the same at one command less an event.
]]
local rcall = redis.call
--- @include "entry"

local function profileBytes(m)
  if string.byte(m, 2) < 128 then return string.sub(m, 2, 2), 3 end
  return string.sub(m, 2, 3), 4
end

local function packProfile(profile)
  if profile < 128 then return string.char(profile) end
  return string.char(128 + math.floor(profile / 256), profile % 256)
end

-- flags and u32 of an entry starting at `start` that now ends (or was last seen) at t, as encode() makes them
local function timeBytes(flags, start, t)
  local d = t - bucketStart(bucketOf(start))
  if d > U32 then d = math.ceil(t / 1000); flags = flags + LONG end
  return string.char(flags), struct.pack('>I4', d)
end

-- the chain's latest entry as raw parts, when it lies in the last bucket, stands alone and is no orphan
local function rawLast(C)
  local key = C.prefix .. C.M.hi
  local r = rcall('ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 2, 'WITHSCORES')
  if not r[1] or (r[3] and r[4] == r[2]) then return nil end
  local m = r[1]
  local flags, _, u32, whoAt = readMember(m)
  if hasFlag(flags, ORPHAN) then return nil end
  local start = C.M.hi * BW + tonumber(r[2])
  return { key = key, m = m, flags = flags, start = start, t = memberTime(flags, u32, start), whoAt = whoAt, score = r[2] }
end

-- the member of L rewritten with a new basis (keeping the inferred bit) and time
local function rewritten(L, basis, t)
  local f, d = timeBytes(basis + (hasFlag(L.flags, INFERRED) and INFERRED or 0), L.start, t)
  local p = profileBytes(L.m)
  return f .. p .. d .. string.sub(L.m, L.whoAt)
end

-- adds m unless its set holds it already: true when added
local function added(key, score, m) return rcall('ZADD', key, 'NX', score, m) == 1 end

-- L's member becomes m, unless m is taken: true when replaced
local function replaced(L, m)
  if not added(L.key, L.score, m) then return false end
  rcall('ZREM', L.key, L.m)
  return true
end

-- a new entry of `who` at s: open (seen at its start) or scheduled to end at sched
local function newEntry(C, who, s, profile, sched)
  local b = bucketOf(s)
  local f, d
  if sched then f, d = timeBytes(SCHEDULED, s, sched) else f, d = timeBytes(OPEN, s, s) end
  return C.prefix .. b, f .. packProfile(profile) .. d .. who, s - bucketStart(b), b
end

-- one write for both bounds when both move (a chain's first entry)
local function moveBounds(C, b)
  local lo = C.M.lo == nil or b < C.M.lo
  local hi = C.M.hi == nil or b > C.M.hi
  if lo then C.M.lo = b end
  if hi then C.M.hi = b end
  if lo and hi then
    rcall('HSET', C.M.key, 'lo', b, 'hi', b)
  elseif lo then
    rcall('HSET', C.M.key, 'lo', b)
  elseif hi then
    rcall('HSET', C.M.key, 'hi', b)
  end
end

-- fastStart without tables: true when stored
local function rawStart(C, who, s, profile, sched)
  if C.M.hi == nil or bucketOf(s) < C.M.hi then return false end
  local L = rawLast(C)
  if not L or L.start >= s then return false end
  local basis = basisOf(L.flags)
  local same = string.sub(L.m, L.whoAt) == who
  local m
  -- a holding of the same holder that ended (or was to end) before s does not reach it: the
  -- start opens a new one, as for another holder
  if same and C.merges and (basis == OPEN or L.t >= s or not (isObserved(basis) or basis == SCHEDULED)) then
    -- a renewal within the lease
    if basis ~= SCHEDULED or not sched or L.t < s then return false end
    if sched <= L.t then return true end
    m = rewritten(L, SCHEDULED, sched)
    if m == L.m then return true end
    return replaced(L, m)
  end
  if basis == OPEN then
    if L.t > s then return false end
    m = rewritten(L, SUPERSEDED, s)
  elseif basis == SCHEDULED then
    if L.t > s then m = rewritten(L, SUPERSEDED, s) end
  elseif L.t > s then
    return false
  end
  if m == L.m then m = nil end
  local key, n, score, b = newEntry(C, who, s, profile, sched)
  if n == L.m then return false end
  if m and not added(L.key, L.score, m) then return false end
  if not added(key, score, n) then
    if m then rcall('ZREM', L.key, m) end
    return false
  end
  if m then rcall('ZREM', L.key, L.m) end
  moveBounds(C, b)
  return true
end

-- the first entry of a chain known to hold none: open (seen at its start) or scheduled to end
-- at sched, not before it starts
local function rawFirst(C, who, s, profile, sched)
  if sched and sched < s then return false end
  local key, n, score, b = newEntry(C, who, s, profile, sched)
  rcall('ZADD', key, score, n)
  moveBounds(C, b)
  return true
end

-- fastEnd without tables
local function rawEnd(C, who, t, basis)
  if C.M.hi == nil or bucketOf(t) < C.M.hi then return false end
  local L = rawLast(C)
  if not L or L.start >= t or string.sub(L.m, L.whoAt) ~= who then return false end
  local was = basisOf(L.flags)
  if isObserved(was) then return L.t == t end
  if was == OPEN then
    if L.t > t then return false end
  elseif was ~= SCHEDULED or L.t < t then
    return false
  end
  local m = rewritten(L, basis, t)
  if m == L.m then return true end
  return replaced(L, m)
end

-- fastSeen without tables: an interim that proves the latest, open holding of `who` at t
local function rawSeen(C, who, t)
  if C.M.hi == nil or bucketOf(t) < C.M.hi then return false end
  local L = rawLast(C)
  if not L or basisOf(L.flags) ~= OPEN or L.start >= t or string.sub(L.m, L.whoAt) ~= who then return false end
  if t <= L.t then return true end
  return replaced(L, rewritten(L, OPEN, t))
end
