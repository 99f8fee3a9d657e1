--[[
  Chain logic shared by the write scripts: see docs/time-index.md.
  A chain is a sequence of holdings in bucketed sorted sets named <prefix><bucket>.
  C = { prefix = string, M = the address's meta (shared by its chains): { key, lo, hi },
        merges = whether a later start of the same holder joins its running holding (lease
                 renewals) or stands as its own entry (NAT restarts, which keeps them exact),
        queue = facts to apply again (queue.lua), undo = the event's writes (write.lua) }
]]
local rcall = redis.call
--- @include "merge"
--- @include "fast"
--- @include "drain"
--- @include "write"
--- @include "codes"

-- The meta of an address (first and last bucket written), shared by all its chains; `extra`
-- names one more field of the hash to read in the same call.
local function openMeta(key, extra)
  local m = rcall('HMGET', key, 'lo', 'hi', extra or 'lo')
  return { key = key, lo = tonumber(m[1]), hi = tonumber(m[2]), extra = m[3] }
end

local function openChain(prefix, M, merges)
  return { prefix = prefix, M = M, merges = merges }
end


-- Runs one event's merge and the facts it re-applies. An error fails that event only, and
-- whatever it had written is undone: the outcome is 1, or { code, detail } (codes.lua).
local function apply(C, fn)
  C.queue = {}
  C.undo = {}
  local ok, err = pcall(function()
    fn()
    drain(C)
  end)
  if ok then return 1 end
  rollback(C)
  if type(err) == 'table' and err.code then return { err.code, tostring(err.detail or '') } end
  -- anything else is a fault of the script itself (or a Redis error raised by redis.call)
  if type(err) == 'table' then err = err.err end
  return { CODE.FAULT, tostring(err) }
end
