--[[
  Reads the allocation chains of a public IP that may cover a port in a window, for one or more
  windows (the look-ups of one moment on the same address share the call).
  Input:
    KEYS[1] registry of the public IP's chains   r:{ip}
    KEYS[2] meta hash of the public IP           m:{ip}
    ARGV[1] key prefix of the IP                 a:{ip}:
    then per window, three arguments:
      port, or -1 for every chain on the address
      window start, epoch ms (inclusive)
      window end, epoch ms (inclusive)
  Output: {} when the address has no NAT records; else { 1, then per window: k, then k times
    cid, n, start1, member1, ... startn, membern } for the k chains whose block holds the port.
]]
--- @include "includes/walk"

local meta = rcall('HMGET', KEYS[2], 'lo', 'hi', 'span')
if not meta[1] then return {} end
local lo, hi, span = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3] or 0)
local out = { 1 }
for w = 2, #ARGV, 3 do
  local port, from, to = tonumber(ARGV[w]), tonumber(ARGV[w + 1]), tonumber(ARGV[w + 2])
  local cids
  if port >= 0 then
    cids = rcall('ZRANGE', KEYS[1], math.max(0, port - span), port, 'BYSCORE')
  else
    cids = rcall('ZRANGE', KEYS[1], 0, -1)
  end
  local count = #out + 1
  out[count] = 0
  for i = 1, #cids do
    local cid = cids[i]
    local portEnd = tonumber(string.match(cid, '^.*|[*%d]*|(%d+)|[^|]*$'))
    if port < 0 or (portEnd and portEnd >= port) then
      local found = {}
      stab(ARGV[1] .. cid .. ':', from, to, lo, hi, nil, found)
      out[#out + 1] = cid
      out[#out + 1] = #found / 2
      for j = 1, #found do out[#out + 1] = found[j] end
      out[count] = out[count] + 1
    end
  end
end
return out
