--[[
  The member layout of docs/time-index.md, read, written and its flags decoded in one place: a
  flags byte, the profile id as a varint (one byte below 128, else two with the high bit set), a
  u32 time, then who held it.
]]
--- @include "bucket"

-- flags, profile id, the u32, and the position where the holder starts
local function readMember(m)
  local flags, b = string.byte(m, 1, 2)
  local profile, at
  if b < 128 then
    profile, at = b, 3
  else
    profile, at = (b - 128) * 256 + string.byte(m, 3), 4
  end
  return flags, profile, (struct.unpack('>I4', m, at)), at + 4
end

local function packMember(flags, profile, u32, who)
  local p
  if profile < 128 then p = string.char(profile) else p = string.char(128 + math.floor(profile / 256), profile % 256) end
  return string.char(flags) .. p .. struct.pack('>I4', u32) .. who
end

local function hasFlag(flags, bit) return math.floor(flags / bit) % 2 == 1 end
local function basisOf(flags) return flags % 8 end
local function isOrphanMember(m) return hasFlag(string.byte(m, 1), ORPHAN) end

-- The instant a member's u32 stands for, in an entry starting at `start`: times count from the
-- start of its bucket, so that two holdings of one holder in one bucket never share a member;
-- times too far out for that are whole epoch seconds (the long flag).
local function memberTime(flags, u32, start)
  if hasFlag(flags, LONG) then return u32 * 1000 end
  return bucketStart(bucketOf(start)) + u32
end
