--[[
  Bucket arithmetic: which bucket an instant falls in, and where a bucket begins.
]]
--- @include "format"

local function bucketOf(ms) return math.floor(ms / BW) end
local function bucketStart(b) return b * BW end
