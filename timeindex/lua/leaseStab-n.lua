--[[
  Reads the lease chain of an address in a VRF over a window.
  Input:
    KEYS[1] meta hash of the address             lm:{vrf|ip}
    ARGV[1] chain prefix                         l:{vrf|ip}:
    ARGV[2] window start, epoch ms (inclusive)
    ARGV[3] window end, epoch ms (inclusive)
  Output: { start1, member1, ... } (empty when the address has no leases)
]]
--- @include "includes/walk"

local meta = rcall('HMGET', KEYS[1], 'lo', 'hi')
if not meta[1] then return {} end
local out = {}
collect(ARGV[1], tonumber(meta[1]), tonumber(meta[2]), tonumber(ARGV[2]), tonumber(ARGV[3]), out)
return out
