--[[
  Both hops of one or more look-ups in one call, on a single Redis only (the keys of many
  addresses, and key names computed here, do not share a Cluster slot). Per window: the
  allocation chains of the public IP whose block holds the port (as natStab); for each of their
  entries whose coverage meets the window, the lease chain of its inside address (IPv4) in the
  VRF its profile names, over the part of the window the entry covers (as leaseStab); and with no
  NAT record on the address, its own lease chain in the direct VRF when the caller names it.
  Whatever is not read here (an IPv6 inside address, an unknown profile) the caller reads itself.
  The key names are those of timeindex/keys.ts, built here from the address. A call carries one
  packed argument for all its windows and answers one packed string: eight strings a window in,
  and nested arrays of strings out, cost Node and Redis more to send and read than the reading
  they ask for.
  Input:
    KEYS[1] profile dictionary                   {whohad}:dict
    ARGV[1] the windows, packed, each struct '>Bc0i4ddB':
      the public IP (length, text), the port or -1 for every chain on the address, window start
      and end (epoch ms, inclusive), and k: 0 leaves direct leases to the caller, else ARGV[1 + k]
      is the VRF of the address's own lease chain
    ARGV[2...] those VRFs
  Output: one string, per window in order (numbers big-endian, u32 counts and lengths, starts
  and times as doubles of epoch ms; a string is its u32 length then its bytes):
    0                       no NAT record, direct leases left to the caller
    2 pairs bounds          no NAT record; the address's own lease chain in the direct VRF
    1 u32 chains, each:     cid (string), u32 entries oldest first (ties in the order natStab
                            gives), each: start, member (string), then 0, or 1 vrf (string),
                            from, to, pairs bounds when its lease chain was read over [from, to]
    pairs = u32 n, then n times start, member (string), in the order collect gave them;
    bounds = u32 n, then n strings: the bounded ends (includes/bounds.lua)
]]
--- @include "includes/walk"
--- @include "includes/bounds"

local HUGE = math.huge

-- What an entry covers, as timeindex/coverage.ts says: a holding [start, end) up to end - 1, an
-- orphan end back to just after the entry before it (after its observed end, else its start).
local function observed(b) return b == RELEASED or b == EXPIRED or b == STOP end

local function byStart(a, b) return a.start < b.start or (a.start == b.start and a.n < b.n) end

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
  if #es > 1 then table.sort(es, byStart) end
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
-- the pairs of a lease chain over [from, to] and its bounded ends, each chain and window read
-- once a call (keyed by the numbers themselves: a number made text costs a printf)
local function leases(meta, prefix, from, to)
  local byFrom = reads[prefix]
  if not byFrom then
    byFrom = {}
    reads[prefix] = byFrom
  end
  local byTo = byFrom[from]
  if not byTo then
    byTo = {}
    byFrom[from] = byTo
  end
  local read = byTo[to]
  if not read then
    local found = {}
    stab(prefix, from, to, nil, nil, meta, found)
    read = { found, boundsOf(prefix, found, to) }
    byTo[to] = read
  end
  return read[1], read[2]
end

-- the end port of a chain id (`<instance>|<first>|<last>|<protocol>`), nil for address-only NAT
local portEnds = {}
local function portEndOf(cid)
  local p = portEnds[cid]
  if p == nil then
    p = tonumber(string.match(cid, '^.*|[*%d]*|(%d+)|[^|]*$')) or false
    portEnds[cid] = p
  end
  return p or nil
end

-- an address's meta hash (lo, hi, span of its chains), read once a call
local metas = {}
local function metaOf(ip)
  local m = metas[ip]
  if not m then
    m = rcall('HMGET', 'm:{' .. ip .. '}', 'lo', 'hi', 'span')
    metas[ip] = m
  end
  return m
end

-- the reply, in pieces joined once at the end (layout in the header)
local buf = {}
local function str(s)
  buf[#buf + 1] = struct.pack('>I4', #s)
  buf[#buf + 1] = s
end
local function pairsAndBounds(found, bounds)
  buf[#buf + 1] = struct.pack('>I4', #found / 2)
  for k = 1, #found, 2 do
    buf[#buf + 1] = struct.pack('>dI4', found[k], #found[k + 1])
    buf[#buf + 1] = found[k + 1]
  end
  buf[#buf + 1] = struct.pack('>I4', #bounds)
  for k = 1, #bounds do str(bounds[k]) end
end

local packed, pos = ARGV[1], 1
while pos <= #packed do
  local ip, port, from, to, direct
  ip, port, from, to, direct, pos = struct.unpack('>Bc0i4ddB', packed, pos)
  local meta = metaOf(ip)
  if not meta[1] then
    if direct > 0 then
      local key = ARGV[1 + direct] .. '|' .. ip .. '}'
      buf[#buf + 1] = '\2'
      pairsAndBounds(leases('lm:{' .. key, 'l:{' .. key .. ':', from, to))
    else
      buf[#buf + 1] = '\0'
    end
  else
    local lo, hi, span = tonumber(meta[1]), tonumber(meta[2]), tonumber(meta[3] or 0)
    local cids
    if port >= 0 then
      cids = rcall('ZRANGE', 'r:{' .. ip .. '}', string.format('%d', math.max(0, port - span)), string.format('%d', port), 'BYSCORE')
    else
      cids = rcall('ZRANGE', 'r:{' .. ip .. '}', '0', '-1')
    end
    buf[#buf + 1] = '\1'
    -- the chain count, known once the chains are read
    local countAt = #buf + 1
    buf[countAt] = ''
    local chains = 0
    local prefix = 'a:{' .. ip .. '}:'
    for i = 1, #cids do
      local cid = cids[i]
      local portEnd = portEndOf(cid)
      if port < 0 or (portEnd and portEnd >= port) then
        local found = {}
        stab(prefix .. cid .. ':', from, to, lo, hi, nil, found)
        local es = sorted(found)
        chains = chains + 1
        str(cid)
        buf[#buf + 1] = struct.pack('>I4', #es)
        for j = 1, #es do
          local e = es[j]
          buf[#buf + 1] = struct.pack('>dI4', e.start, #e.member)
          buf[#buf + 1] = e.member
          local cf, ct = coverage(es, j)
          local vrf
          if cf <= to and ct >= from and #e.member - e.whoAt == 3 then vrf = vrfOf(e.profile) end
          if vrf then
            local ip4 = string.format('%d.%d.%d.%d', string.byte(e.member, e.whoAt, e.whoAt + 3))
            local lf, lt = math.max(from, cf), math.min(to, ct)
            -- the lease keys of timeindex/keys.ts (leaseKeys), built from the VRF found here
            local key = vrf .. '|' .. ip4 .. '}'
            buf[#buf + 1] = '\1'
            str(vrf)
            buf[#buf + 1] = struct.pack('>dd', lf, lt)
            pairsAndBounds(leases('lm:{' .. key, 'l:{' .. key .. ':', lf, lt))
          else
            buf[#buf + 1] = '\0'
          end
        end
      end
    end
    buf[countAt] = struct.pack('>I4', chains)
  end
end
return table.concat(buf)
