--[[
  Cutting entries short where another entry begins.
]]
--- @include "queue"
--- @include "write"

-- Ends entry e at s because another entry begins there.
local function clip(C, e, s, basis)
  if e.orphan then return end
  if e.basis == OPEN then
    local seen, seenStart = e.lastSeen, e.seenStart
    e.basis = basis
    e.endt = s
    e.lastSeen = nil
    put(C, e)
    if seen and seen > s then later(C, { seenStart and 'start' or 'seen', e.who, seen, e.profile }) end
  elseif e.endt > s or (e.endt == s and e.basis == ORPHANED and basis == SUPERSEDED) then
    local old, oldBasis = e.endt, e.basis
    e.basis = basis
    e.endt = s
    put(C, e)
    if isObserved(oldBasis) and old > s then later(C, { 'end', e.who, old, oldBasis, e.profile }) end
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
