--[[
  The numbers of the stored format (docs/time-index.md), one definition for every script.
  timeindex/format.ts holds the same values; test/timeindex/format.test.ts checks they agree.
]]
-- a bucket is 2^31 ms, so that a start relative to its bucket fits a 32-bit listpack integer
local BW = 2147483648
-- the largest time a member stores relative to its bucket (a u32)
local U32 = 4294967295
-- end basis, bits 0-2 of a member's flags byte
local OPEN, RELEASED, SUPERSEDED, SCHEDULED, EXPIRED, STOP, ORPHANED = 0, 1, 2, 3, 4, 5, 6
-- the key beside a lease chain holding its bounded ends: the chain prefix and this
local BOUNDS = 'u'
-- the flag bits above the end basis
local INFERRED, ORPHAN, SEEN_START, LONG = 8, 16, 32, 64
