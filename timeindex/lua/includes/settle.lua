--[[
  Settling an entry: gives it the end its intrinsic end and the entries after it allow.
]]
--- @include "groups"
--- @include "holding"
--- @include "write"

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
    del(C, same)
    I = combine(C, I, same)
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
      later(C, { 'end', e.who, I.endt, I.basis, e.profile })
    elseif I.basis == OPEN and I.lastSeen and I.lastSeen > limit.start then
      later(C, { I.seenStart and 'start' or 'seen', e.who, I.lastSeen, e.profile })
    end
  else
    e.basis = I.basis
    e.endt = I.endt
    e.lastSeen = I.lastSeen
    e.seenStart = I.seenStart
    put(C, e)
  end
end
