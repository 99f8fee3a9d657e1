--[[
  Appends a batch of one chain's access-log records, chained by the caller, if the chain's head
  is still the one the caller chained onto; otherwise changes nothing and returns the current
  head, so the caller can chain again. Also indexes each record by user, case and disclosed
  subscriber.
  Input:
    KEYS[1] the log stream                       {audit}:log
    KEYS[2] the chain heads (chain -> "seq hash") {audit}:heads
    ARGV[1] chain name
    ARGV[2] head the caller expects the chain to have ('' for a new chain)
    ARGV[3] index key prefix                     {audit}:by:
    then per record: its "seq hash", user, case, number of subscribers n, n subscriber ids,
    the record's canonical JSON
  Output: { 'ok' } or { 'moved', current head }
]]
local rcall = redis.call
local chain = ARGV[1]
local head = rcall('HGET', KEYS[2], chain) or ''
if head ~= ARGV[2] then
  return { 'moved', head }
end
local prefix = ARGV[3]
local i = 4
local last
-- a batch's records mostly share a user and often a case: one ZADD per index key, not per record
local keys, entries = {}, {}
local function index(key, ms, id)
  local e = entries[key]
  if not e then
    e = {}
    entries[key] = e
    keys[#keys + 1] = key
  end
  e[#e + 1] = ms
  e[#e + 1] = id
end
while i <= #ARGV do
  local point, user, case, n = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  local json = ARGV[i + 4 + n]
  -- index members are stream ids (fetchable); scores their milliseconds, so the access log's
  -- purge can drop index entries by time whatever chain they belong to
  local id = rcall('XADD', KEYS[1], '*', 'r', json)
  local ms = tonumber(string.match(id, '^(%d+)'))
  if user ~= '' then index(prefix .. 'user:' .. user, ms, id) end
  if case ~= '' then index(prefix .. 'case:' .. case, ms, id) end
  for j = 1, n do index(prefix .. 'sub:' .. ARGV[i + 3 + j], ms, id) end
  last = point
  i = i + 5 + n
end
-- unpack is bounded by Lua's stack (about 8000 values): large groups go in slices
for _, key in ipairs(keys) do
  local e = entries[key]
  for from = 1, #e, 2000 do rcall('ZADD', key, unpack(e, from, math.min(from + 1999, #e))) end
end
if last then rcall('HSET', KEYS[2], chain, last) end
return { 'ok' }
