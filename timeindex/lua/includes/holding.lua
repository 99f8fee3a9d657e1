--[[
  What a holding says about its own end (its intrinsic end I), and how that end grows when the
  holding absorbs a later entry of the same holder. What no longer fits goes on C.queue.
]]
--- @include "entry"
--- @include "queue"

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
local function combine(C, I, n)
  if n.orphan then
    if isObserved(I.basis) and I.endt > n.start then later(C, { 'end', n.who, I.endt, I.basis, n.profile }) end
    return { basis = n.basis, endt = n.start }
  end
  if isObserved(n.basis) then
    if isObserved(I.basis) then
      if I.endt <= n.endt then
        if n.endt > I.endt then later(C, { 'end', n.who, n.endt, n.basis, n.profile }) end
        return I
      end
      later(C, { 'end', n.who, I.endt, I.basis, n.profile })
    end
    return { basis = n.basis, endt = n.endt }
  end
  if isObserved(I.basis) then
    if n.lastSeen and n.lastSeen > I.endt then later(C, { n.seenStart and 'start' or 'seen', n.who, n.lastSeen, n.profile }) end
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
