--[[
  Reading a chain for a closed window [from, to] (epoch ms): every entry that may intersect it.
]]
local rcall = redis.call
--- @include "member"
-- entries read per ZRANGE: the entry at or before `to`, the rest of its group and the one before
-- it usually end the walk; every entry read costs a listpack step and a Lua string
local PAGE = 4

-- Appends (start, member) pairs to out: the entries starting in the window, back to and
-- including the last real start at or before `from` (an orphan end covers back to the entry
-- before it, so the walk goes past orphans), and the first entry after `to` when it is an
-- orphan end (it covers part of the window) or when nothing starts at or before `to`.
local function collect(prefix, lo, hi, from, to, out)
  local latest, latestStart
  local b = bucketOf(to)
  local max = '+inf'
  if b > hi then b = hi else max = tostring(to - b * BW) end
  -- the walk stops after the group (entries of one start) holding the last real start <= from
  local stopAt, done = nil, false
  while b >= lo and not done do
    local key = prefix .. b
    local offset = 0
    while true do
      local r = rcall('ZRANGE', key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', offset, PAGE, 'WITHSCORES')
      for i = 1, #r, 2 do
        local start = b * BW + tonumber(r[i + 1])
        if stopAt and start < stopAt then
          done = true
          break
        end
        out[#out + 1] = start
        out[#out + 1] = r[i]
        if latest == nil then latest, latestStart = r[i], start end
        if stopAt == nil and start <= from and not isOrphanMember(r[i]) then stopAt = start end
      end
      if done or #r < 2 * PAGE then break end
      offset = offset + PAGE
    end
    if stopAt then done = true end
    b = b - 1
    max = '+inf'
  end
  local peek = latest == nil
  if latest and not isOrphanMember(latest) then
    local flags, _, d = readMember(latest)
    peek = basisOf(flags) == ORPHANED and memberTime(flags, d, latestStart) > to
  end
  if not peek then return end
  b = bucketOf(to)
  local min = '-inf'
  if b < lo then b = lo else min = '(' .. (to - b * BW) end
  while b <= hi do
    local r = rcall('ZRANGE', prefix .. b, min, '+inf', 'BYSCORE', 'LIMIT', 0, 1, 'WITHSCORES')
    if r[1] then
      if isOrphanMember(r[1]) then
        out[#out + 1] = b * BW + tonumber(r[2])
        out[#out + 1] = r[1]
      end
      return
    end
    b = b + 1
    min = '-inf'
  end
end

-- What collect appends for [from, to], in the usual case from one bounded range read: the latest
-- entry starting at or before `to` and the one before it, in to's bucket. When that entry is a
-- real start at or before `from`, alone in its group (the one before starts earlier), and not
-- ended by an orphan end after `to` (which collect would add), it is all collect would find.
-- Otherwise, or when that bucket holds nothing at or before `to`, the general walk runs over the
-- chain's bounds `lo`, `hi`; when they are nil they are read from the meta hash `meta` only then.
-- Reading to's bucket without the bounds is safe because every bucket that holds entries lies
-- within them (writes widen them, purges move `lo` only past buckets they emptied).
local function stab(prefix, from, to, lo, hi, meta, out)
  local b = bucketOf(to)
  -- numbers handed to redis.call are printed with %.17g; text of the integer is cheaper and the same bound
  local r = rcall('ZRANGE', prefix .. b, string.format('%d', to - b * BW), '-inf', 'BYSCORE', 'REV', 'LIMIT', '0', '2', 'WITHSCORES')
  if r[1] then
    local score = tonumber(r[2])
    local start = b * BW + score
    if start <= from and (r[3] == nil or tonumber(r[4]) < score) then
      local flags, _, d = readMember(r[1])
      if not hasFlag(flags, ORPHAN) and not (basisOf(flags) == ORPHANED and memberTime(flags, d, start) > to) then
        out[#out + 1] = start
        out[#out + 1] = r[1]
        return
      end
    end
  end
  if lo == nil then
    local m = rcall('HMGET', meta, 'lo', 'hi')
    if not m[1] then return end
    lo, hi = tonumber(m[1]), tonumber(m[2])
  end
  collect(prefix, lo, hi, from, to, out)
end
