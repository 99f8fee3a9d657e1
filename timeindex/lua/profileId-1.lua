--[[
  Returns the small id of a profile (what a record shares with many others: its VRF, its
  source and the ingest that wrote it), creating it on first use.
  Input:
    KEYS[1] dictionary hash                      {whohad}:dict
    ARGV[1] profile text                         <vrf>US<source>US<ingest> (US: the unit separator
                                                 0x1f); <vrf>|<source> as written before ingests
                                                 were named (timeindex/profiles.ts)
  Output: the id (1..32767, stored in entries as a varint), or { profiles_full, the profile }
    when the dictionary is full (includes/codes.lua)
]]
local rcall = redis.call
--- @include "includes/codes"

local id = rcall('HGET', KEYS[1], 'p:' .. ARGV[1])
if id then return tonumber(id) end
id = rcall('HINCRBY', KEYS[1], 'n', 1)
if id > 32767 then return { CODE.PROFILES_FULL, ARGV[1] } end
rcall('HSET', KEYS[1], 'p:' .. ARGV[1], id, 'i:' .. id, ARGV[1])
return id
