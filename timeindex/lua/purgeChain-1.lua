--[[
  Purges one chain: removes the entries that ended before a cutoff from the buckets that lie
  wholly before it, except what still counts and what the caller keeps (docs/retention.md;
  timeindex/purge.ts is its API).
  Input:
    KEYS[1] meta hash of the chain's address     m:{ip} or lm:{vrf|ip}
    ARGV[1] chain prefix                         a:{ip}:<cid>: or l:{vrf|ip}:
    ARGV[2] cutoff, epoch ms: an entry that ended before it may go
    ARGV[3] last bucket that lies wholly before the cutoff
    ARGV[4] 1 to remove, 0 to count only (dry run)
    ARGV[5] 1 when this chain alone uses the meta hash (a lease chain): move its lo on here
    ARGV[6] margin, ms: how far a query window reaches beyond the instant asked
    ARGV[7] n, then n pairs from, to: entries meeting one of these ranges stay (legal holds)
    then m, then m triples who, from, to: entries of that holder meeting the range stay, and so
      does every entry within the margin of one of them (so a held answer keeps its ambiguity)
  Output: { bucket keys read, entries removed, keys emptied, kept by a hold, kept because they
    still count (running past the cutoff, or bounding an orphan end that stays), first bucket
    from lo on that still holds an entry (the last expired one + 1 when none) }
]]
local rcall = redis.call
local INF = math.huge
--- @include "includes/member"

local meta = rcall('HMGET', KEYS[1], 'lo', 'hi')
if not meta[1] then return { 0, 0, 0, 0, 0, -1 } end
local lo, hi = tonumber(meta[1]), tonumber(meta[2])
local prefix, cutoff = ARGV[1], tonumber(ARGV[2])
local last = math.min(tonumber(ARGV[3]), hi)
local apply, ownsMeta, margin = ARGV[4] == '1', ARGV[5] == '1', tonumber(ARGV[6])

local ranges, subs = {}, {}
local i = 8
for _ = 1, tonumber(ARGV[7]) do
  ranges[#ranges + 1] = { tonumber(ARGV[i]), tonumber(ARGV[i + 1]) }
  i = i + 2
end
for _ = 1, tonumber(ARGV[i]) do
  subs[#subs + 1] = { ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]) }
  i = i + 3
end

if lo > last then return { 0, 0, 0, 0, 0, lo } end

-- every entry from lo through the expired buckets, then the context after them, in start order
local L = {}
local function add(r, b, key, expired)
  for j = 1, #r, 2 do
    local m = r[j]
    local flags, _, d, whoAt = readMember(m)
    local e = { start = bucketStart(b) + tonumber(r[j + 1]), member = m, key = key, b = b, expired = expired,
      orphan = hasFlag(flags, ORPHAN), who = string.sub(m, whoAt) }
    if basisOf(flags) == OPEN then
      e.endt = INF
    else
      e.endt = memberTime(flags, d, e.start)
    end
    L[#L + 1] = e
  end
end

local bucketsRead, sizes = 0, {}
for b = lo, last do
  local key = prefix .. b
  local r = rcall('ZRANGE', key, 0, -1, 'WITHSCORES')
  if #r > 0 then
    bucketsRead = bucketsRead + 1
    sizes[b] = #r / 2
    add(r, b, key, true)
  end
end

if #L > 0 then
  -- After the expired buckets: the first group (an orphan end there is bounded by what comes
  -- before it) and, with holds on holders, every entry that may lie within the margin of one.
  local reach = -INF
  if #subs > 0 then reach = cutoff + margin end
  local found = false
  local b = last + 1
  while b <= hi and (not found or reach >= bucketStart(b)) do
    local key = prefix .. b
    local r = {}
    if reach >= bucketStart(b) then r = rcall('ZRANGE', key, '-inf', reach - bucketStart(b), 'BYSCORE', 'WITHSCORES') end
    if #r == 0 and not found then
      local f = rcall('ZRANGE', key, 0, 0, 'WITHSCORES')
      if f[1] then r = rcall('ZRANGE', key, f[2], f[2], 'BYSCORE', 'WITHSCORES') end
    end
    if #r > 0 then
      found = true
      add(r, b, key, false)
    end
    b = b + 1
  end
end

-- what each entry covers: an orphan end reaches back to the group before it (timeindex/coverage.ts)
local groupStart, before = nil, -INF
for j = 1, #L do
  local e = L[j]
  if e.start ~= groupStart then
    before = groupStart or -INF
    groupStart = e.start
  end
  e.from = e.orphan and before or e.start
end

local function meets(e, from, to) return e.from <= to and e.endt >= from end

local near = {}
for j = 1, #L do
  local e = L[j]
  for k = 1, #subs do
    local s = subs[k]
    if e.who == s[1] and meets(e, s[2], s[3]) then
      e.held = true
      near[#near + 1] = { e.from - margin, e.endt + margin }
      break
    end
  end
end

-- the first entry of the next group, for each entry
local nextOf = {}
for j = #L - 1, 1, -1 do
  if L[j + 1].start ~= L[j].start then nextOf[j] = j + 1 else nextOf[j] = nextOf[j + 1] end
end

-- decided from the latest back, because an entry stays when the orphan end after it stays
for j = #L, 1, -1 do
  local e = L[j]
  local why
  if not e.expired or e.endt >= cutoff then
    why = 'live'
  elseif e.held then
    why = 'hold'
  else
    for k = 1, #ranges do
      if meets(e, ranges[k][1], ranges[k][2]) then why = 'hold'; break end
    end
    if not why then
      for k = 1, #near do
        if meets(e, near[k][1], near[k][2]) then why = 'hold'; break end
      end
    end
    local n = nextOf[j]
    while not why and n and L[n].start == L[nextOf[j]].start do
      if L[n].orphan and L[n].why then why = L[n].why end
      n = n + 1
      if n > #L then n = nil end
    end
  end
  e.why = why
end

local removed, byHold, live, gone = 0, 0, 0, {}
local doomed = {}
for j = 1, #L do
  local e = L[j]
  if e.expired then
    if e.why == nil then
      removed = removed + 1
      gone[e.b] = (gone[e.b] or 0) + 1
      local list = doomed[e.key]
      if not list then
        list = {}
        doomed[e.key] = list
      end
      list[#list + 1] = e.member
    elseif e.why == 'hold' then
      byHold = byHold + 1
    else
      live = live + 1
    end
  end
end

if apply then
  for key, members in pairs(doomed) do
    for s = 1, #members, 500 do
      rcall('ZREM', key, unpack(members, s, math.min(s + 499, #members)))
    end
  end
end

local emptied, first = 0, nil
for b = lo, last do
  if sizes[b] then
    if (gone[b] or 0) == sizes[b] then
      emptied = emptied + 1
    elseif first == nil then
      first = b
    end
  end
end
first = first or last + 1

if apply and ownsMeta and first > lo then
  rcall('HSET', KEYS[1], 'lo', first)
  if first > hi then rcall('HSET', KEYS[1], 'hi', first) end
  -- a bounded end lies within its holding, which starts in a bucket from `first` on when it stays
  rcall('ZREMRANGEBYSCORE', prefix .. 'u', '-inf', '(' .. bucketStart(first))
end

return { bucketsRead, removed, emptied, byHold, live, first }
