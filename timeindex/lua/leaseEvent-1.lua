--[[
  Merges one lease event into the lease chain of an address.
  Input:
    KEYS[1] meta hash of the address             lm:{vrf|ip}
    ARGV[1] chain prefix                         l:{vrf|ip}:
    ARGV[2] start | end
    ARGV[3] event time, epoch ms
    ARGV[4] scheduled expiry of a start, epoch ms, or '' (open)
    ARGV[5] subscriber id
    ARGV[6] profile id
    ARGV[7] end basis of an end event: 1 released, 4 expired, 5 stop
  Output: 1, or an error when the merge does not settle
]]
--- @include "includes/chain"

local C = openChain(ARGV[1], KEYS[1], true)
local at, who, profile = tonumber(ARGV[3]), ARGV[5], tonumber(ARGV[6])
if ARGV[2] == 'start' then
  insertStart(C, who, at, false, at, profile, tonumber(ARGV[4]))
else
  applyEnd(C, who, at, tonumber(ARGV[7]), profile)
end
local err = drain(C)
if err then return err end
return 1
