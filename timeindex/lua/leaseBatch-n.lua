--[[
  Merges lease events of many addresses (a single Redis only: in Cluster mode each address's
  keys live in their own slot, and leaseEvents-1 is called per address), each event on its own,
  in order. The result is the same as leaseEvents-1 called per address with its events.
  Input (key count first):
    KEYS[a]                meta hash lm:{vrf|ip} of address a
    ARGV[a], a = 1..#KEYS  chain prefix of address a, l:{vrf|ip}:
    then per event, one packed value: struct '>BBHHBdd' (kind 1 start, 2 end, 3 an end whose
      time is unknown, kept beside the chain as in leaseEvents-1; 1 when a start
      has a scheduled expiry, else 0 (open); address; profile id; end basis of an end (1 released,
      4 expired, 5 stop); event time; the scheduled expiry or 0) .. subscriber id
  Output: per event, 1, or { code, detail } (includes/codes.lua); a failed event leaves its
    chain as it was
]]
--- @include "includes/general"
--- @include "includes/raw"
--- @include "includes/bounds"

local chains = {}
local out = {}
for i = #KEYS + 1, #ARGV do
  local kind, scheduled, a, profile, basis, at, sched, whoAt = struct.unpack('>BBHHBdd', ARGV[i])
  local who = string.sub(ARGV[i], whoAt)
  if scheduled == 0 then sched = nil end
  local C = chains[a]
  if not C then
    C = openChain(ARGV[a], openMeta(KEYS[a]), true)
    chains[a] = C
  end
  local done
  if kind == 3 then
    addBound(ARGV[a], at, who)
    done = true
  elseif kind == 1 and C.M.hi == nil then
    -- every write of an entry moves the last bucket, so a chain without one holds nothing
    done = rawFirst(C, who, at, profile, sched)
  elseif kind == 1 then done = rawStart(C, who, at, profile, sched) else done = rawEnd(C, who, at, basis) end
  if done then
    out[#out + 1] = 1
  else
    out[#out + 1] = apply(C, function() mergeLease(C, kind, who, at, sched, basis, profile) end)
  end
end
return out
