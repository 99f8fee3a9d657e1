--[[
  One event through the general path, whichever script received it: its fast case first
  (includes/fast.lua), else the property-tested merge. The per-address scripts send every event
  here; the batch scripts only what the raw path (includes/raw.lua) did not take.
  Kinds: NAT 1 alloc, 2 release, 3 interim; lease 1 start, 2 end (the batch scripts' codes).
]]
--- @include "chain"

local NAT_KIND = { alloc = 1, release = 2, interim = 3 }
local LEASE_KIND = { start = 1, ['end'] = 2 }

-- allocatedAt: the allocation time a release or interim restates, or nil
local function mergeNat(C, kind, who, at, allocatedAt, profile)
  if kind == 1 then
    if not fastStart(C, who, at, profile, nil) then insertStart(C, who, at, false, at, profile, nil) end
  elseif kind == 2 then
    if allocatedAt then insertStart(C, who, allocatedAt, false, allocatedAt, profile, nil) end
    if not fastEnd(C, who, at, RELEASED) then applyEnd(C, who, at, RELEASED, profile) end
  elseif allocatedAt then
    if not fastRestate(C, who, allocatedAt, at) then insertStart(C, who, allocatedAt, false, at, profile, nil) end
  elseif not fastSeen(C, who, at) then
    seenAt(C, who, at, profile)
  end
end

-- sched: a start's scheduled expiry, or nil (open); basis: an end's end basis
local function mergeLease(C, kind, who, at, sched, basis, profile)
  if kind == 1 then
    if not fastStart(C, who, at, profile, sched) then insertStart(C, who, at, false, at, profile, sched) end
  elseif not fastEnd(C, who, at, basis) then
    applyEnd(C, who, at, basis, profile)
  end
end
