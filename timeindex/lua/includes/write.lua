--[[
  The only writes of a merge: an entry stored (put), an entry removed (del), the address's
  first and last bucket moved. Each is journaled in C.undo, so that an event that fails part
  way is rolled back and leaves the chain as it found it.
]]
local rcall = redis.call
--- @include "entry"
--- @include "codes"

local function journal(C, step) C.undo[#C.undo + 1] = step end

local function setBound(C, field, b)
  journal(C, { 'meta', field, C.M[field] })
  C.M[field] = b
  rcall('HSET', C.M.key, field, b)
end

local function put(C, e)
  local member = encode(e)
  local b = bucketOf(e.start)
  local key = C.prefix .. b
  if e.member == member and e.key == key then return end
  -- checked before anything is written: a member already there would be another entry of the
  -- same holder, and overwriting it would silently lose a holding
  if rcall('ZSCORE', key, member) then refuse(CODE.COLLISION, key) end
  local score = e.start - bucketStart(b)
  if e.member then
    rcall('ZREM', e.key, e.member)
    journal(C, { 'zadd', e.key, score, e.member })
  end
  rcall('ZADD', key, score, member)
  journal(C, { 'zrem', key, member })
  e.member = member
  e.key = key
  if C.M.lo == nil or b < C.M.lo then setBound(C, 'lo', b) end
  if C.M.hi == nil or b > C.M.hi then setBound(C, 'hi', b) end
end

local function del(C, e)
  rcall('ZREM', e.key, e.member)
  journal(C, { 'zadd', e.key, e.start - bucketStart(bucketOf(e.start)), e.member })
end

-- Undoes the journaled writes, latest first.
local function rollback(C)
  local u = C.undo
  for i = #u, 1, -1 do
    local s = u[i]
    if s[1] == 'zadd' then
      rcall('ZADD', s[2], s[3], s[4])
    elseif s[1] == 'zrem' then
      rcall('ZREM', s[2], s[3])
    else
      C.M[s[2]] = s[3]
      if s[3] == nil then rcall('HDEL', C.M.key, s[2]) else rcall('HSET', C.M.key, s[2], s[3]) end
    end
  end
  C.undo = {}
end
