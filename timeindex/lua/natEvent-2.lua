--[[
  Merges one NAT port-block event into its allocation chain.
  Input:
    KEYS[1] registry of the public IP's chains   r:{ip}
    KEYS[2] meta hash of the public IP           m:{ip}
    ARGV[1] chain prefix                         a:{ip}:<cid>:
    ARGV[2] cid
    ARGV[3] first port of the block (registry score)
    ARGV[4] block span (last port - first port)
    ARGV[5] alloc | release | interim
    ARGV[6] event time, epoch ms
    ARGV[7] allocation time restated by the event, epoch ms, or ''
    ARGV[8] inside address, 4 or 16 bytes
    ARGV[9] profile id
  Output: 1, or an error when the merge does not settle
]]
--- @include "includes/chain"

rcall('ZADD', KEYS[1], ARGV[3], ARGV[2])
local C = openChain(ARGV[1], KEYS[2], false, 'span')
if tonumber(C.extra or -1) < tonumber(ARGV[4]) then rcall('HSET', KEYS[2], 'span', ARGV[4]) end
local kind, at, who, profile = ARGV[5], tonumber(ARGV[6]), ARGV[8], tonumber(ARGV[9])
local allocatedAt = tonumber(ARGV[7])
if kind == 'alloc' then
  insertStart(C, who, at, false, at, profile, nil)
elseif kind == 'release' then
  if allocatedAt then insertStart(C, who, allocatedAt, false, allocatedAt, profile, nil) end
  applyEnd(C, who, at, RELEASED, profile)
else
  if allocatedAt then insertStart(C, who, allocatedAt, false, at, profile, nil) else seenAt(C, who, at, profile) end
end
local err = drain(C)
if err then return err end
return 1
