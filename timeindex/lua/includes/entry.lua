--[[
  An entry of a chain as the merge sees it, decoded from its member and encoded back:
  e = { start, key, member, profile, basis, inferred, orphan, seenStart, who, endt | lastSeen }
]]
--- @include "member"

-- an end that was observed (rather than inferred from what came next or scheduled)
local function isObserved(b) return b == RELEASED or b == EXPIRED or b == STOP end

local function decode(member, start, key)
  local flags, profile, d, whoAt = readMember(member)
  local e = { start = start, key = key, member = member, profile = profile, basis = basisOf(flags),
    inferred = hasFlag(flags, INFERRED), orphan = hasFlag(flags, ORPHAN),
    seenStart = hasFlag(flags, SEEN_START), who = string.sub(member, whoAt) }
  local t = memberTime(flags, d, start)
  if e.basis == OPEN then
    if t > start then e.lastSeen = t end
  else
    e.endt = t
  end
  return e
end

local function encode(e)
  -- an open entry stores when it was last seen (at least its start), so that two open entries
  -- of one holder never share a member
  local t = e.endt
  if e.basis == OPEN then t = math.max(e.lastSeen or e.start, e.start) end
  local flags = e.basis + (e.inferred and INFERRED or 0) + (e.orphan and ORPHAN or 0)
  if e.basis == OPEN and e.lastSeen and e.lastSeen > e.start and e.seenStart then flags = flags + SEEN_START end
  local d = t - bucketStart(bucketOf(e.start))
  -- more than 49 days after the bucket began: whole epoch seconds, rounded outwards
  if d > U32 then d = math.ceil(t / 1000); flags = flags + LONG end
  return packMember(flags, e.profile, d, e.who)
end
