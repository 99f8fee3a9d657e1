--[[
  Both hops of one or more look-ups in one call, on a single Redis only (the keys of many
  addresses, and key names computed here, do not share a Cluster slot). Per window: the
  allocation chains of the public IP whose block holds the port (as natStab); for each of their
  entries whose coverage meets the window, the lease chain of its inside address (IPv4) in the
  VRF its profile names, over the part of the window the entry covers (as leaseStab); and with no
  NAT record on the address, its own lease chain in the direct VRF when the caller names it.
  Whatever is not read here (an IPv6 inside address, an unknown profile) the caller reads itself.
  Input:
    KEYS[1] profile dictionary                   {whohad}:dict
    then per window: registry r:{ip}, meta m:{ip}
    ARGV per window, six arguments:
      key prefix of the IP                        a:{ip}:
      port, or -1 for every chain on the address
      window start, window end (epoch ms, inclusive)
      direct lease meta key lm:{vrf|ip}, or '' to leave direct leases to the caller
      direct lease chain prefix l:{vrf|ip}:
  Output: per window, either
    { 0 } / { 0, pairs, bounds }  no NAT record; pairs = { start1, member1, ... } of the direct
                          lease chain, bounds = its bounded ends (includes/bounds.lua)
    { 1, chain... }       chain = { cid, entry... } oldest first (ties in the order natStab gives),
                          entry = { start, member } or { start, member, vrf, from, to, pairs,
                          bounds } when its lease chain was read over [from, to]
]]
--- @include "includes/walk"
--- @include "includes/bounds"

local HUGE = math.huge

-- What an entry covers, as timeindex/coverage.ts says: a holding [start, end) up to end - 1, an
-- orphan end back to just after the entry before it (after its observed end, else its start).
local function observed(b) return b == RELEASED or b == EXPIRED or b == STOP end

-- collect's pairs in chain order: by start, entries of one start in the order collect gave them
local function sorted(found)
  local es = {}
  for i = 1, #found, 2 do
    local flags, profile, d, whoAt = readMember(found[i + 1])
    local start = found[i]
    local basis = basisOf(flags)
    local e = { start = start, member = found[i + 1], n = i, profile = profile, whoAt = whoAt, basis = basis, orphan = hasFlag(flags, ORPHAN) }
    if basis ~= OPEN then e.endt = memberTime(flags, d, start) end
    es[#es + 1] = e
  end
  table.sort(es, function(a, b) return a.start < b.start or (a.start == b.start and a.n < b.n) end)
  return es
end

local function coverage(es, i)
  local e = es[i]
  if not e.orphan then return e.start, e.endt and e.endt - 1 or HUGE end
  local prev = es[i - 1]
  local after = -HUGE
  if prev then
    if not prev.orphan and observed(prev.basis) and prev.endt then after = prev.endt else after = prev.start end
  end
  return after + 1, e.start
end

local vrfs = {}
-- the VRF of a profile, or nil when it is unknown: `<vrf>\31<source>\31<ingest>`, or before
-- ingests were named `<vrf>|<source>` (timeindex/profiles.ts parseProfile)
local function vrfOf(id)
  local v = vrfs[id]
  if v == nil then
    local text = rcall('HGET', KEYS[1], 'i:' .. id)
    v = false
    if text then
      local sep = string.find(text, '\31', 1, true)
      if sep then
        v = string.sub(text, 1, sep - 1)
      else
        local cut = 0
        while true do
          local at = string.find(text, '|', cut + 1, true)
          if not at then break end
          cut = at
        end
        if cut > 0 then v = string.sub(text, 1, cut - 1) end
      end
    end
    vrfs[id] = v
  end
  return v or nil
end

local reads = {}
-- the pairs of a lease chain over [from, to] and its bounded ends, each chain and window read once a call
local function leases(meta, prefix, from, to)
  local id = prefix .. from .. ':' .. to
  local read = reads[id]
  if not read then
    local found = {}
    stab(prefix, from, to, nil, nil, meta, found)
    read = { found, boundsOf(prefix, found, to) }
    reads[id] = read
  end
  return read[1], read[2]
end

local out = {}
for w = 1, #ARGV / 6 do
  local a = 6 * w - 5
  local port, from, to = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local meta = rcall('HMGET', KEYS[2 * w + 1], 'lo', 'hi', 'span')
  if not meta[1] then
    if ARGV[a + 4] ~= '' then
      local pairs, bounds = leases(ARGV[a + 4], ARGV[a + 5], from, to)
      out[w] = { 0, pairs, bounds }
    else
      out[w] = { 0 }
    end
  else
    local lo, hi, span = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3] or 0)
    local cids
    if port >= 0 then
      cids = rcall('ZRANGE', KEYS[2 * w], math.max(0, port - span), port, 'BYSCORE')
    else
      cids = rcall('ZRANGE', KEYS[2 * w], 0, -1)
    end
    local window = { 1 }
    for i = 1, #cids do
      local cid = cids[i]
      local portEnd = tonumber(string.match(cid, '^.*|[*%d]*|(%d+)|[^|]*$'))
      if port < 0 or (portEnd and portEnd >= port) then
        local found = {}
        stab(ARGV[a] .. cid .. ':', from, to, lo, hi, nil, found)
        local es = sorted(found)
        local chain = { cid }
        for j = 1, #es do
          local e = es[j]
          local entry = { e.start, e.member }
          local cf, ct = coverage(es, j)
          local who = string.sub(e.member, e.whoAt)
          if cf <= to and ct >= from and #who == 4 then
            local vrf = vrfOf(e.profile)
            if vrf then
              local ip = string.format('%d.%d.%d.%d', string.byte(who, 1, 4))
              local lf, lt = math.max(from, cf), math.min(to, ct)
              -- the lease keys of timeindex/keys.ts (leaseKeys), built from the VRF found here
              local key = vrf .. '|' .. ip .. '}'
              entry[3], entry[4], entry[5] = vrf, lf, lt
              entry[6], entry[7] = leases('lm:{' .. key, 'l:{' .. key .. ':', lf, lt)
            end
          end
          chain[j + 1] = entry
        end
        window[#window + 1] = chain
      end
    end
    out[w] = window
  end
end
return out
