--[[
  The fast path: an event after everything in its chain, the common case of a log read in
  order. Each function handles only what the general merge would do the same way, and returns
  false for everything else.
]]
local rcall = redis.call
--- @include "entry"
--- @include "write"

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
