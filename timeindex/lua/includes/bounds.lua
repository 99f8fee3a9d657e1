--[[
  The bounded ends beside a lease chain (docs/time-index.md, "Bounded ends"): an end its source
  stated without its time, kept apart from the chain and scored by the last known activity.
]]
--- @include "format"

-- Kept beside the chain, not merged into it: the holding's own end stays what the other records
-- say, and a reader narrows it from this instant on, whatever the order of arrival.
local function addBound(prefix, at, who)
  redis.call('ZADD', prefix .. BOUNDS, at, at .. '|' .. who)
end

-- the bounded ends that may fall in the holdings a read found: from the earliest one's start to
-- the window's end. The set nearly never exists, and asking whether it does costs Redis a
-- fraction of a range read (no score to parse, no reply to build).
local function boundsOf(prefix, found, to)
  if #found == 0 then return {} end
  local key = prefix .. BOUNDS
  if redis.call('EXISTS', key) == 0 then return {} end
  local earliest = found[1]
  for j = 3, #found, 2 do earliest = math.min(earliest, found[j]) end
  return redis.call('ZRANGE', key, earliest, to, 'BYSCORE')
end
