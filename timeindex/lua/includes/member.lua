--[[
  The member layout of docs/time-index.md, read and written in one place: a flags byte, the
  profile id as a varint (one byte below 128, else two with the high bit set), a u32 time, then
  who held it.
]]

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
