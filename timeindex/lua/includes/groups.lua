--[[
  Reading the groups of a chain around an instant. Entries that start at the same instant form
  a group: two holders logged at once is a contradiction the index keeps (both stay candidates)
  rather than settles by byte order.
]]
local rcall = redis.call
--- @include "entry"

local function groupAt(key, b, rel)
  local r = rcall('ZRANGE', key, rel, rel, 'BYSCORE')
  local g = {}
  for i = 1, #r do g[i] = decode(r[i], b * BW + rel, key) end
  return g
end

-- the group with the greatest start before ms
local function prevGroup(C, ms)
  if C.M.lo == nil then return nil end
  local b = bucketOf(ms)
  local max
  if b > C.M.hi then
    b = C.M.hi
    max = '+inf'
  else
    max = '(' .. (ms - b * BW)
  end
  while b >= C.M.lo do
    local key = C.prefix .. b
    local r = rcall('ZRANGE', key, max, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, 1, 'WITHSCORES')
    if r[1] then return groupAt(key, b, tonumber(r[2])) end
    b = b - 1
    max = '+inf'
  end
  return nil
end

-- Groups out of one page of (member, score) pairs in score order: the first group, the group
-- after it, and whether the page was the whole of the range (so both groups are complete).
local PAGE = 16
local function pageGroups(r, key, b)
  local first, second, firstScore, secondScore
  local whole = #r < 2 * PAGE
  for i = 1, #r, 2 do
    local score = tonumber(r[i + 1])
    local e = decode(r[i], b * BW + score, key)
    if firstScore == nil or score == firstScore then
      firstScore = score
      first = first or {}
      first[#first + 1] = e
    elseif secondScore == nil or score == secondScore then
      secondScore = score
      second = second or {}
      second[#second + 1] = e
    else
      whole = true
      break
    end
  end
  return first, firstScore, second, secondScore, whole
end

-- the group with the smallest start after ms
local function nextGroup(C, ms)
  if C.M.lo == nil then return nil end
  local b = bucketOf(ms)
  local min
  if b < C.M.lo then
    b = C.M.lo
    min = '-inf'
  else
    min = '(' .. (ms - b * BW)
  end
  while b <= C.M.hi do
    local key = C.prefix .. b
    local r = rcall('ZRANGE', key, min, '+inf', 'BYSCORE', 'LIMIT', 0, PAGE, 'WITHSCORES')
    if r[1] then
      local first, firstScore, second = pageGroups(r, key, b)
      -- a page that ends inside the first group has not shown all of it
      if second == nil and #r == 2 * PAGE then return groupAt(key, b, firstScore) end
      return first
    end
    b = b + 1
    min = '-inf'
  end
  return nil
end

-- the group starting exactly at ms
local function groupAtTime(C, ms)
  if C.M.lo == nil then return {} end
  local b = bucketOf(ms)
  return groupAt(C.prefix .. b, b, ms - b * BW)
end

-- The group starting at ms and the group before it; one page read in the common case.
local function around(C, ms)
  if C.M.lo == nil then return {}, nil end
  local b = bucketOf(ms)
  if b >= C.M.lo and b <= C.M.hi then
    local key = C.prefix .. b
    local rel = ms - b * BW
    local r = rcall('ZRANGE', key, rel, '-inf', 'BYSCORE', 'REV', 'LIMIT', 0, PAGE, 'WITHSCORES')
    local first, firstScore, second, _, whole = pageGroups(r, key, b)
    if whole then
      if firstScore == rel then
        if second then return first, second end
        -- nothing before ms in this bucket: the group before lies in an earlier one
        return first, prevGroup(C, ms)
      end
      if first then return {}, first end
      return {}, prevGroup(C, ms)
    end
  end
  return groupAtTime(C, ms), prevGroup(C, ms)
end

local function memberOf(g, who)
  if g == nil then return nil end
  for i = 1, #g do
    if g[i].who == who then return g[i] end
  end
  return nil
end

-- the group's only real start when it is this holder's; orphan ends at the same instant (one
-- holder released as the next one started) do not count
local function soleOf(g, who)
  if g == nil then return nil end
  local found
  for i = 1, #g do
    if not g[i].orphan then
      if found or g[i].who ~= who then return nil end
      found = g[i]
    end
  end
  return found
end
