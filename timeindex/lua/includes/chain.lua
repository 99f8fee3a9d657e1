--[[
  Chain logic shared by the write scripts: see docs/time-index.md.
  A chain is a sequence of holdings in bucketed sorted sets named <prefix><bucket>.
  C = { prefix = string, M = the address's meta (shared by its chains): { key, lo, hi },
        merges = whether a later start of the same holder joins its running holding (lease
                 renewals) or stands as its own entry (NAT restarts, which keeps them exact) }
]]
local rcall = redis.call
local BW = 2147483648
local OPEN, RELEASED, SUPERSEDED, SCHEDULED, EXPIRED, STOP, ORPHANED = 0, 1, 2, 3, 4, 5, 6
local U32 = 4294967295

local function isObserved(b) return b == RELEASED or b == EXPIRED or b == STOP end
local function bucketOf(ms) return math.floor(ms / BW) end

--- @include "member"

local function decode(member, start, key)
  local flags, profile, d, whoAt = readMember(member)
  local e = { start = start, key = key, member = member, profile = profile, basis = flags % 8,
    inferred = math.floor(flags / 8) % 2 == 1, orphan = math.floor(flags / 16) % 2 == 1,
    seenStart = math.floor(flags / 32) % 2 == 1, who = string.sub(member, whoAt) }
  -- times in a member count from the start of its bucket, so that two holdings of one holder
  -- in one bucket never share a member; times too far out for that are whole epoch seconds
  local t
  if math.floor(flags / 64) % 2 == 1 then t = d * 1000 else t = bucketOf(start) * BW + d end
  if e.basis == OPEN then
    if t > start then e.lastSeen = t end
  else
    e.endt = t
  end
  return e
end

local function encode(e)
  -- an open entry stores when it was last seen (at least its start), so that two open entries
  -- of one holder never share a member
  local t = e.endt
  if e.basis == OPEN then t = math.max(e.lastSeen or e.start, e.start) end
  local flags = e.basis + (e.inferred and 8 or 0) + (e.orphan and 16 or 0)
  if e.basis == OPEN and e.lastSeen and e.lastSeen > e.start and e.seenStart then flags = flags + 32 end
  local d = t - bucketOf(e.start) * BW
  -- more than 49 days after the bucket began: whole epoch seconds, rounded outwards
  if d > U32 then d = math.ceil(t / 1000); flags = flags + 64 end
  return packMember(flags, e.profile, d, e.who)
end

local function put(C, e)
  local member = encode(e)
  local b = bucketOf(e.start)
  local key = C.prefix .. b
  if e.member == member and e.key == key then return end
  -- checked before anything is written, so that a refused rewrite leaves the old entry in
  -- place: a member already there would be another entry of the same holder, and
  -- overwriting it would silently lose a holding
  if rcall('ZSCORE', key, member) then
    error('whohad: two holdings of one holder collided in ' .. key)
  end
  if e.member then rcall('ZREM', e.key, e.member) end
  rcall('ZADD', key, e.start - b * BW, member)
  e.member = member
  e.key = key
  if C.M.lo == nil or b < C.M.lo then C.M.lo = b; rcall('HSET', C.M.key, 'lo', b) end
  if C.M.hi == nil or b > C.M.hi then C.M.hi = b; rcall('HSET', C.M.key, 'hi', b) end
end

local function del(e) rcall('ZREM', e.key, e.member) end

-- Entries that start at the same instant form a group: two holders logged at once is a
-- contradiction the index keeps (both stay candidates) rather than settles by byte order.
local function groupAt(key, b, rel)
  local r = rcall('ZRANGE', key, rel, rel, 'BYSCORE')
  local g = {}
  for i = 1, #r do g[i] = decode(r[i], b * BW + rel, key) end
  return g
end

-- the group with the greatest start before ms
local function prevGroup(C, ms)
  if C.M.lo == nil then return nil end
  local b = bucketOf(ms)
  local max
  if b > C.M.hi then
    b = C.M.hi
    max = '+inf'
  else
    max = '(' .. (ms - b * BW)
  end
  while b >= C.M.lo do
    local key = C.prefix .. b
    local r = rcall('ZRANGE', key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
    if r[1] then return groupAt(key, b, tonumber(r[2])) end
    b = b - 1
    max = '+inf'
  end
  return nil
end

-- Groups out of one page of (member, score) pairs in score order: the first group, the group
-- after it, and whether the page was the whole of the range (so both groups are complete).
local PAGE = 16
local function pageGroups(r, key, b)
  local first, second, firstScore, secondScore
  local whole = #r < 2 * PAGE
  for i = 1, #r, 2 do
    local score = tonumber(r[i + 1])
    local e = decode(r[i], b * BW + score, key)
    if firstScore == nil or score == firstScore then
      firstScore = score
      first = first or {}
      first[#first + 1] = e
    elseif secondScore == nil or score == secondScore then
      secondScore = score
      second = second or {}
      second[#second + 1] = e
    else
      whole = true
      break
    end
  end
  return first, firstScore, second, secondScore, whole
end

-- the group with the smallest start after ms
local function nextGroup(C, ms)
  if C.M.lo == nil then return nil end
  local b = bucketOf(ms)
  local min
  if b < C.M.lo then
    b = C.M.lo
    min = '-inf'
  else
    min = '(' .. (ms - b * BW)
  end
  while b <= C.M.hi do
    local key = C.prefix .. b
    local r = rcall('ZRANGE', key, min, '+inf', 'BYSCORE', 'LIMIT', 0, PAGE, 'WITHSCORES')
    if r[1] then
      local first, firstScore, second = pageGroups(r, key, b)
      -- a page that ends inside the first group has not shown all of it
      if second == nil and #r == 2 * PAGE then return groupAt(key, b, firstScore) end
      return first
    end
    b = b + 1
    min = '-inf'
  end
  return nil
end

-- the group starting exactly at ms
local function groupAtTime(C, ms)
  if C.M.lo == nil then return {} end
  local b = bucketOf(ms)
  return groupAt(C.prefix .. b, b, ms - b * BW)
end

-- The group starting at ms and the group before it; one page read in the common case.
local function around(C, ms)
  if C.M.lo == nil then return {}, nil end
  local b = bucketOf(ms)
  if b >= C.M.lo and b <= C.M.hi then
    local key = C.prefix .. b
    local rel = ms - b * BW
    local r = rcall('ZRANGE', key, rel, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, PAGE, 'WITHSCORES')
    local first, firstScore, second, _, whole = pageGroups(r, key, b)
    if whole then
      if firstScore == rel then
        if second then return first, second end
        -- nothing before ms in this bucket: the group before lies in an earlier one
        return first, prevGroup(C, ms)
      end
      if first then return {}, first end
      return {}, prevGroup(C, ms)
    end
  end
  return groupAtTime(C, ms), prevGroup(C, ms)
end

local function memberOf(g, who)
  if g == nil then return nil end
  for i = 1, #g do
    if g[i].who == who then return g[i] end
  end
  return nil
end

-- the group's only real start when it is this holder's; orphan ends at the same instant (one
-- holder released as the next one started) do not count
local function soleOf(g, who)
  if g == nil then return nil end
  local found
  for i = 1, #g do
    if not g[i].orphan then
      if found or g[i].who ~= who then return nil end
      found = g[i]
    end
  end
  return found
end

-- Facts that no longer fit an entry after a merge are applied again, in order, at the end.
local queue = {}
local function later(fact) queue[#queue + 1] = fact end

-- What an entry says about its own end, apart from any entry that follows it.
local function intrinsicOf(e)
  if e.basis == OPEN then return { basis = OPEN, lastSeen = e.lastSeen, seenStart = e.seenStart } end
  -- a superseded end came from the next entry; the holding's own end lies at or beyond it
  if e.basis == SUPERSEDED or e.basis == ORPHANED then return { basis = OPEN } end
  return { basis = e.basis, endt = e.endt }
end

-- The later of two sightings; a sighting that is a real start wins a tie, because after a cut
-- it must come back as a start, not as an inferred one.
local function laterSighting(t1, s1, t2, s2)
  if t1 == nil then return t2, s2 end
  if t2 == nil or t1 > t2 then return t1, s1 end
  if t2 > t1 then return t2, s2 end
  return t1, s1 or s2
end

-- A start of the same holder that restates a holding adds what it knows.
local function withStart(I, seenAt, sched, seenIsStart)
  if I.basis == OPEN then
    I.lastSeen, I.seenStart = laterSighting(I.lastSeen, I.seenStart, seenAt, seenIsStart)
  elseif I.basis == SCHEDULED then
    -- a start with no expiry (a session) leaves the holding without a known end
    if not sched then return { basis = OPEN, lastSeen = seenAt, seenStart = seenIsStart } end
    if sched > I.endt then I.endt = sched end
  end
  return I
end

-- Whether a holding with intrinsic end I reaches an entry of the same holder at t.
local function reachesI(I, t, orphan)
  if I.basis == OPEN then return true end
  if I.basis == SCHEDULED then return I.endt >= t end
  return I.endt >= t
end

-- The intrinsic end of a holding after absorbing a later entry n of the same holder.
local function combine(I, n)
  if n.orphan then
    if isObserved(I.basis) and I.endt > n.start then later({ 'end', n.who, I.endt, I.basis, n.profile }) end
    return { basis = n.basis, endt = n.start }
  end
  if isObserved(n.basis) then
    if isObserved(I.basis) then
      if I.endt <= n.endt then
        if n.endt > I.endt then later({ 'end', n.who, n.endt, n.basis, n.profile }) end
        return I
      end
      later({ 'end', n.who, I.endt, I.basis, n.profile })
    end
    return { basis = n.basis, endt = n.endt }
  end
  if isObserved(I.basis) then
    if n.lastSeen and n.lastSeen > I.endt then later({ n.seenStart and 'start' or 'seen', n.who, n.lastSeen, n.profile }) end
    return I
  end
  if n.basis == SCHEDULED and I.basis == SCHEDULED then
    return { basis = SCHEDULED, endt = math.max(I.endt, n.endt) }
  end
  -- otherwise the holding runs on until the entry after n (or stays open)
  local t, st = laterSighting(n.start, not n.inferred, n.lastSeen, n.seenStart)
  t, st = laterSighting(t, st, I.lastSeen, I.seenStart)
  return { basis = OPEN, lastSeen = t, seenStart = st }
end

-- Gives entry e the end its intrinsic end I and the entries after it allow, and stores it.
local function settle(C, e, I)
  local nxt = nextGroup(C, e.start)
  local function joinable(g)
    if not g then return nil end
    -- this holder's own orphan end belongs to the holding, whoever else starts at that instant
    for i = 1, #g do
      if g[i].orphan and g[i].who == e.who then return g[i] end
    end
    if #g ~= 1 or g[1].who ~= e.who then return nil end
    -- an inferred start is only a sighting of the holding, so it always joins
    if g[1].inferred or C.merges then return g[1] end
    return nil
  end
  local same = joinable(nxt)
  while same and reachesI(I, same.start, same.orphan) do
    del(same)
    I = combine(I, same)
    nxt = nextGroup(C, e.start)
    same = joinable(nxt)
  end
  local limit = nxt and nxt[1]
  if limit and (I.basis == OPEN or I.endt > limit.start) then
    local byOrphan = true
    for i = 1, #nxt do
      if not nxt[i].orphan then byOrphan = false end
    end
    e.basis = byOrphan and ORPHANED or SUPERSEDED
    e.endt = limit.start
    e.lastSeen = nil
    put(C, e)
    if isObserved(I.basis) then
      later({ 'end', e.who, I.endt, I.basis, e.profile })
    elseif I.basis == OPEN and I.lastSeen and I.lastSeen > limit.start then
      later({ I.seenStart and 'start' or 'seen', e.who, I.lastSeen, e.profile })
    end
  else
    e.basis = I.basis
    e.endt = I.endt
    e.lastSeen = I.lastSeen
    e.seenStart = I.seenStart
    put(C, e)
  end
end

-- Ends entry e at s because another entry begins there.
local function clip(C, e, s, basis)
  if e.orphan then return end
  if e.basis == OPEN then
    local seen, seenStart = e.lastSeen, e.seenStart
    e.basis = basis
    e.endt = s
    e.lastSeen = nil
    put(C, e)
    if seen and seen > s then later({ seenStart and 'start' or 'seen', e.who, seen, e.profile }) end
  elseif e.endt > s or (e.endt == s and e.basis == ORPHANED and basis == SUPERSEDED) then
    local old, oldBasis = e.endt, e.basis
    e.basis = basis
    e.endt = s
    put(C, e)
    if isObserved(oldBasis) and old > s then later({ 'end', e.who, old, oldBasis, e.profile }) end
  end
end

local function clipAll(C, g, s, basis)
  if g == nil then return end
  for i = 1, #g do clip(C, g[i], s, basis) end
end

local function reaches(e, s)
  if e.orphan then return false end
  if e.basis == OPEN then return true end
  return e.endt >= s
end

-- A holding of `who` begins at s (alloc, lease start, or an interim that proves it).
local function insertStart(C, who, s, inferred, seenAt, profile, sched)
  local here, prev = around(C, s)
  local same = memberOf(here, who)
  if same then
    if same.orphan then
      -- an end logged at the very instant of the start: a holding of no length
      same.orphan = false
      same.inferred = inferred
      same.profile = profile
      put(C, same)
      return
    end
    same.inferred = same.inferred and inferred
    settle(C, same, withStart(intrinsicOf(same), seenAt, sched, seenAt == s and not inferred))
    return
  end
  local running = soleOf(prev, who)
  if C.merges and #here == 0 and running and reaches(running, s) then
    settle(C, running, withStart(intrinsicOf(running), seenAt, sched, seenAt == s and not inferred))
    return
  end
  -- the holding before ends first, so that it never carries the new entry's end meanwhile
  clipAll(C, prev, s, SUPERSEDED)
  local n = { start = s, who = who, inferred = inferred, profile = profile }
  local I
  if sched then
    I = { basis = SCHEDULED, endt = sched }
  else
    I = { basis = OPEN, lastSeen = seenAt, seenStart = seenAt == s and not inferred }
  end
  settle(C, n, I)
end

-- A holding of `who` ended at t (release, stop, expiry).
local function applyEnd(C, who, t, basis, profile)
  -- an end at the very instant the same holder starts again ends the earlier holding
  local here, prev = around(C, t)
  local e = memberOf(prev, who)
  if not (e and not e.orphan and (e.basis == OPEN or e.endt >= t)) then
    local h = memberOf(here, who)
    if h and h.orphan then return end
    e = h or e
  end
  if e and not e.orphan then
    if isObserved(e.basis) then
      if e.endt == t then return end
      if e.endt > t then
        local old, oldBasis = e.endt, e.basis
        e.basis = basis
        e.endt = t
        put(C, e)
        later({ 'end', who, old, oldBasis, profile })
        return
      end
      -- ended before t: t ends a later holding whose start is missing
    elseif e.basis ~= SCHEDULED or e.endt >= t then
      local seen, seenStart = e.lastSeen, e.seenStart
      e.basis = basis
      e.endt = t
      e.lastSeen = nil
      put(C, e)
      if seen and seen > t then later({ seenStart and 'start' or 'seen', who, seen, e.profile }) end
      return
    end
    -- an end after the scheduled expiry, with no renewal seen, ends a holding whose start is
    -- missing: stretching the lease to it would depend on what else arrived first
  end
  local o = { start = t, who = who, orphan = true, inferred = false, basis = basis, endt = t, profile = profile }
  put(C, o)
  if #here == 0 then clipAll(C, prev, t, ORPHANED) end
end

-- `who` was seen holding at t (an interim that does not restate its allocation time).
local function seenAt(C, who, t, profile)
  local here, prev = around(C, t)
  local e = memberOf(here, who) or memberOf(prev, who)
  if e and not e.orphan and (e.basis == OPEN or e.endt > t) then
    if e.basis == OPEN and (e.lastSeen or e.start) < t then
      e.lastSeen = t
      put(C, e)
    end
    return
  end
  insertStart(C, who, t, true, t, profile, nil)
end

-- The fast path: an event after everything in its chain, the common case of a log read in
-- order. Each function handles only what the general merge would do the same way, and
-- returns false for everything else.

-- the chain's latest entry, when it lies in the address's last bucket and stands alone
local function lastEntry(C)
  local key = C.prefix .. C.M.hi
  local r = rcall('ZRANGE', key, '+inf', '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 2, 'WITHSCORES')
  if not r[1] or (r[3] and r[4] == r[2]) then return nil end
  local e = decode(r[1], C.M.hi * BW + tonumber(r[2]), key)
  if e.orphan then return nil end
  return e
end

local function afterAll(C, t)
  return C.M.hi ~= nil and bucketOf(t) >= C.M.hi
end

local function fastStart(C, who, s, profile, sched)
  if not afterAll(C, s) then return false end
  local last = lastEntry(C)
  if not last or last.start >= s then return false end
  if last.who == who and C.merges then
    -- a renewal within the lease
    if last.basis ~= SCHEDULED or not sched or last.endt < s then return false end
    if sched > last.endt then
      last.endt = sched
      put(C, last)
    end
    return true
  end
  if last.basis == OPEN then
    if last.lastSeen and last.lastSeen > s then return false end
    last.basis = SUPERSEDED
    last.endt = s
    last.lastSeen = nil
    put(C, last)
  elseif last.basis == SCHEDULED then
    if last.endt > s then
      last.basis = SUPERSEDED
      last.endt = s
      put(C, last)
    end
  elseif last.endt > s then
    return false
  end
  local n = { start = s, who = who, inferred = false, profile = profile }
  if sched then
    n.basis = SCHEDULED
    n.endt = sched
  else
    n.basis = OPEN
    n.lastSeen = s
  end
  put(C, n)
  return true
end

local function fastEnd(C, who, t, basis)
  if not afterAll(C, t) then return false end
  local last = lastEntry(C)
  if not last or last.who ~= who or last.start >= t then return false end
  if isObserved(last.basis) then return last.endt == t end
  if last.basis == OPEN then
    if last.lastSeen and last.lastSeen > t then return false end
  elseif last.basis ~= SCHEDULED or last.endt < t then
    return false
  end
  last.basis = basis
  last.endt = t
  last.lastSeen = nil
  put(C, last)
  return true
end

-- the chain's latest holding, when it is open and who's (interims restate or prove it)
local function latestOpen(C, who, t)
  if not afterAll(C, t) then return nil end
  local last = lastEntry(C)
  if not last or last.who ~= who or last.basis ~= OPEN then return nil end
  return last
end

-- records that the holding was seen at t; true when that is news
local function sighted(last, t)
  if t <= (last.lastSeen or last.start) then return false end
  last.lastSeen = t
  last.seenStart = false
  return true
end

-- an interim that restates the allocation time of the chain's latest, open holding
local function fastRestate(C, who, a, t)
  local last = latestOpen(C, who, a)
  if not last or last.start ~= a then return false end
  local wasInferred = last.inferred
  last.inferred = false
  if sighted(last, t) or wasInferred then put(C, last) end
  return true
end

-- an interim that proves the chain's latest, open holding at t
local function fastSeen(C, who, t)
  local last = latestOpen(C, who, t)
  if not last or last.start >= t then return false end
  if sighted(last, t) then put(C, last) end
  return true
end

local function drain(C)
  local i = 1
  while i <= #queue do
    if i > 256 then return redis.error_reply('whohad: merge did not settle after 256 steps') end
    local f = queue[i]
    if f[1] == 'end' then
      applyEnd(C, f[2], f[3], f[4], f[5])
    elseif f[1] == 'start' then
      insertStart(C, f[2], f[3], false, f[3], f[4], nil)
    else
      seenAt(C, f[2], f[3], f[4])
    end
    i = i + 1
  end
  return nil
end

-- The meta of an address (first and last bucket written), shared by all its chains; `extra`
-- names one more field of the hash to read in the same call.
local function openMeta(key, extra)
  local m = rcall('HMGET', key, 'lo', 'hi', extra or 'lo')
  return { key = key, lo = tonumber(m[1]), hi = tonumber(m[2]), extra = m[3] }
end

local function openChain(prefix, M, merges)
  return { prefix = prefix, M = M, merges = merges }
end

-- Runs one event's merge and the facts it re-applies; an error fails that event only.
local function apply(C, fn)
  queue = {}
  local ok, err = pcall(function()
    fn()
    local e = drain(C)
    if e then error(e.err or 'whohad: merge did not settle') end
  end)
  if ok then return 1 end
  if type(err) == 'table' then err = err.err end
  return tostring(err)
end
