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
  Output: per key: n, then n pairs start1, member1, ... (n = 0 when the address has no leases),
    then b, then b bounded ends `<epoch ms>|<subscriber id>` from the earliest entry's start to the
    window's end (docs/time-index.md, "Bounded ends")
]]
--- @include "includes/walk"
--- @include "includes/bounds"

local out = {}
for k = 1, #KEYS do
  local a = 3 * k - 2
  local found = {}
  stab(ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), nil, nil, KEYS[k], found)
  out[#out + 1] = #found / 2
  for j = 1, #found do out[#out + 1] = found[j] end
  local bounds = boundsOf(ARGV[a], found, tonumber(ARGV[a + 2]))
  out[#out + 1] = #bounds
  for j = 1, #bounds do out[#out + 1] = bounds[j] end
end
return out
