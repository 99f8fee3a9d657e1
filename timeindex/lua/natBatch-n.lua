--[[
  Merges NAT port-block events of many public IPs (a single Redis only: in Cluster mode each
  IP's keys live in their own slot, and natEvents-2 is called per IP), each event on its own,
  in order. The result is the same as natEvents-2 called per IP with that IP's events.
  Input (key count first):
    KEYS[2a-1], KEYS[2a]   registry r:{ip} and meta m:{ip} of address a
    ARGV[1]                number of chains, c
    ARGV[2 .. c+1]         per chain: struct '>HHHH' (address a, first port, block span, length
                           of the chain id) .. chain id .. key prefix of its buckets a:{ip}:<cid>:
    then per event, one packed value: struct '>BBHHdd' (kind 1 alloc, 2 release, 3 interim;
      1 when it restates an allocation time, else 0; chain; profile id; event time; that
      allocation time or 0) .. inside address
  Output: per event, 1, or { code, detail } (includes/codes.lua); a failed event leaves its
    chain as it was
]]
--- @include "includes/general"
--- @include "includes/raw"

local metas, spans = {}, {}
local chains = {}
local nc = tonumber(ARGV[1])
for c = 1, nc do
  local a, first, cspan, len = struct.unpack('>HHHH', ARGV[c + 1])
  local cid = string.sub(ARGV[c + 1], 9, 8 + len)
  local M = metas[a]
  if not M then
    M = openMeta(KEYS[2 * a], 'span')
    metas[a] = M
    spans[a] = tonumber(M.extra or -1)
  end
  chains[c] = { C = openChain(string.sub(ARGV[c + 1], 9 + len), M, false), a = a, first = first, span = cspan, cid = cid }
end

local out = {}
for i = nc + 2, #ARGV do
  local kind, restates, c, profile, at, allocatedAt, whoAt = struct.unpack('>BBHHdd', ARGV[i])
  local who = string.sub(ARGV[i], whoAt)
  if restates == 0 then allocatedAt = nil end
  local ch = chains[c]
  local C = ch.C
  if ch.span > spans[ch.a] then
    spans[ch.a] = ch.span
    rcall('HSET', KEYS[2 * ch.a], 'span', ch.span)
  end
  local done
  if kind == 1 then
    done = rawStart(C, who, at, profile, nil)
  elseif kind == 2 then
    done = not allocatedAt and rawEnd(C, who, at, RELEASED)
  else
    done = not allocatedAt and rawSeen(C, who, at)
  end
  if not done and not ch.registered then
    ch.registered = true
    -- a chain is registered before its first write and never unregistered, so a chain new to the
    -- registry holds nothing: an allocation becomes its one entry, which is all the merge would do
    if rcall('ZADD', KEYS[2 * ch.a - 1], ch.first, ch.cid) == 1 and kind == 1 then
      done = rawFirst(C, who, at, profile, nil)
    end
  end
  if done then
    -- the raw path only merges into a chain that has an entry, so one its first write registered
    out[#out + 1] = 1
  else
    out[#out + 1] = apply(C, function() mergeNat(C, kind, who, at, allocatedAt, profile) end)
  end
end
return out
