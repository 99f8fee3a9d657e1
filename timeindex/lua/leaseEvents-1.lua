--[[
  Merges lease events of one address into its lease chain, in order. Each event is merged on
  its own (one failing event does not stop the others).
  Input:
    KEYS[1] meta hash of the address             lm:{vrf|ip}
    ARGV[1] chain prefix                         l:{vrf|ip}:
    then per event, 6 values:
      start | end, event time (epoch ms), scheduled expiry of a start (epoch ms) or '' (open),
      subscriber id, profile id, end basis of an end event (1 released, 4 expired, 5 stop)
    `bounded` in place of start | end: an end the source states without its time, the event time
      being the last known activity (docs/time-index.md, "Bounded ends")
  Output: per event, 1, or { code, detail } when it was not stored (includes/codes.lua); a
    failed event leaves the chain as it was
]]
--- @include "includes/general"
--- @include "includes/bounds"

local C = openChain(ARGV[1], openMeta(KEYS[1]), true)
local out = {}
for i = 2, #ARGV, 6 do
  local kind, at, sched, who, profile, basis = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), ARGV[i + 3], tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
  if kind == 'bounded' then
    addBound(ARGV[1], at, who)
    out[#out + 1] = 1
  else
    out[#out + 1] = apply(C, function() mergeLease(C, LEASE_KIND[kind], who, at, sched, basis, profile) end)
  end
end
return out
