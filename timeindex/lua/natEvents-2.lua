--[[
  Merges NAT port-block events of one public IP into its allocation chains, in order. Each
  event is merged on its own (one failing event does not stop the others).
  Input:
    KEYS[1] registry of the public IP's chains   r:{ip}
    KEYS[2] meta hash of the public IP           m:{ip}
    ARGV[1] key prefix of the IP                 a:{ip}:
    then per event, 8 values:
      cid, first port (registry score), block span, alloc | release | interim,
      event time (epoch ms), allocation time it restates (epoch ms) or '',
      inside address (4 or 16 bytes), profile id
  Output: per event, 1, or { code, detail } when it was not stored (includes/codes.lua); a
    failed event leaves the chain as it was
]]
--- @include "includes/general"

local prefix = ARGV[1]
local M = openMeta(KEYS[2], 'span')
local span = tonumber(M.extra or -1)
local chains = {}
local out = {}
for i = 2, #ARGV, 8 do
  local cid, first, espan, kind = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2]), ARGV[i + 3]
  local at, allocatedAt, who, profile = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), ARGV[i + 6], tonumber(ARGV[i + 7])
  local C = chains[cid]
  if not C then
    rcall('ZADD', KEYS[1], first, cid)
    C = openChain(prefix .. cid .. ':', M, false)
    chains[cid] = C
  end
  if espan > span then
    span = espan
    rcall('HSET', KEYS[2], 'span', espan)
  end
  out[#out + 1] = apply(C, function() mergeNat(C, NAT_KIND[kind], who, at, allocatedAt, profile) end)
end
return out
