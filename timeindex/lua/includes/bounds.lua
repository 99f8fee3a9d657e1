--[[
  The bounded ends beside a lease chain (docs/time-index.md, "Bounded ends") that may fall in
  the holdings a read found: from the earliest one's start to the window's end.
]]
--- @include "format"

local function boundsOf(prefix, found, to)
  if #found == 0 then return {} end
  local earliest = found[1]
  for j = 3, #found, 2 do earliest = math.min(earliest, found[j]) end
  return redis.call('ZRANGE', prefix .. BOUNDS, earliest, to, 'BYSCORE')
end
