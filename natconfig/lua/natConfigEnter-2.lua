--[[
  Enters one NAT configuration version if no other was entered since the caller checked it
  against every stored version (the overlap check runs in natconfig/versions.ts on the versions
  as they were at generation ARGV[1]); otherwise changes nothing, so the caller checks again.
  Input:
    KEYS[1] the versions (id -> JSON)          {natconfig}:versions
    KEYS[2] the generation, bumped by every change {natconfig}:gen
    ARGV[1] generation the caller checked against ('0' when there was none)
    ARGV[2] the new version's id
    ARGV[3] its JSON
  Output: { 'ok', new generation } | { 'moved', current generation } | { 'taken' } (the id exists)
]]
local rcall = redis.call
local gen = rcall('GET', KEYS[2]) or '0'
if gen ~= ARGV[1] then
  return { 'moved', gen }
end
if rcall('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then
  return { 'taken' }
end
return { 'ok', tostring(rcall('INCR', KEYS[2])) }
