--[[
  Moves the first bucket (lo) of a public IP on past buckets that retention emptied. The
  address's chains share its meta hash, so this runs once they have all been purged, and it
  checks every bucket it skips: a write may have landed there since.
  Input:
    KEYS[1] registry of the public IP's chains   r:{ip}
    KEYS[2] meta hash of the public IP           m:{ip}
    ARGV[1] key prefix of the IP                 a:{ip}:
    ARGV[2] the bucket lo may move to at most
  Output: lo after the call, or -1 when the address has no meta
]]
local rcall = redis.call
local m = rcall('HMGET', KEYS[2], 'lo', 'hi')
if not m[1] then return -1 end
local lo, hi = tonumber(m[1]), tonumber(m[2])
local upTo = tonumber(ARGV[2])
if upTo <= lo then return lo end
local cids = rcall('ZRANGE', KEYS[1], 0, -1)
local b = lo
local found = false
while b < upTo and not found do
  for i = 1, #cids do
    if rcall('EXISTS', ARGV[1] .. cids[i] .. ':' .. b) == 1 then
      found = true
      break
    end
  end
  if not found then b = b + 1 end
end
if b > lo then
  rcall('HSET', KEYS[2], 'lo', b)
  if b > hi then rcall('HSET', KEYS[2], 'hi', b) end
end
return b
