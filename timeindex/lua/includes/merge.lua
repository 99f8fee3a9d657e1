--[[
  The general merge of the three kinds of fact: a start, an end, a sighting.
]]
--- @include "groups"
--- @include "holding"
--- @include "settle"
--- @include "clip"

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
        later(C, { 'end', who, old, oldBasis, profile })
        return
      end
      -- ended before t: t ends a later holding whose start is missing
    elseif e.basis ~= SCHEDULED or e.endt >= t then
      local seen, seenStart = e.lastSeen, e.seenStart
      e.basis = basis
      e.endt = t
      e.lastSeen = nil
      put(C, e)
      if seen and seen > t then later(C, { seenStart and 'start' or 'seen', who, seen, e.profile }) end
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
