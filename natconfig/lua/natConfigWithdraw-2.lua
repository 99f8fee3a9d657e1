--[[
  Takes back a version whose entry the access log could not record (an unrecorded change is
  refused whole), unless a later version already names it as the one it supersedes.
  Input:
    KEYS[1] the versions (id -> JSON)          {natconfig}:versions
    KEYS[2] the generation                     {natconfig}:gen
    ARGV[1] the version's id
    ARGV[2] the text a version superseding it would hold: "supersedes":"<id>"
  Output: 'gone' (removed, or never there) | 'kept' (another version depends on it)
]]
local rcall = redis.call
if rcall('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 'gone'
end
local all = rcall('HVALS', KEYS[1])
for i = 1, #all do
  if string.find(all[i], ARGV[2], 1, true) then
    return 'kept'
  end
end
rcall('HDEL', KEYS[1], ARGV[1])
rcall('INCR', KEYS[2])
return 'gone'
