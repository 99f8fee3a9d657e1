--[[
  Reads the lease chains of one or more addresses, each over its own window. On a single Redis
  the lease hops of the look-ups in flight together share a call; on a cluster each address is
  read alone (its keys share one slot, other addresses' do not).
  Input:
    KEYS[k] meta hash of the k-th address         lm:{vrf|ip}
    then per key, three arguments:
      chain prefix                                l:{vrf|ip}:
      window start, epoch ms (inclusive)
      window end, epoch ms (inclusive)
  Output: per key: n, then n pairs start1, member1, ... (n = 0 when the address has no leases)
]]
--- @include "includes/walk"

local out = {}
for k = 1, #KEYS do
  local a = 3 * k - 2
  local found = {}
  stab(ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), nil, nil, KEYS[k], found)
  out[#out + 1] = #found / 2
  for j = 1, #found do out[#out + 1] = found[j] end
end
return out
