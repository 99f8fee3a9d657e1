--[[
  Drops the access-log records before a stream id and moves each affected chain's anchor to its
  last dropped record, in one step, so the records kept still verify from the anchors.
  Input:
    KEYS[1] the log stream                         {audit}:log
    KEYS[2] the chain anchors (chain -> "seq hash") {audit}:anchors
    ARGV[1] first stream id to keep
    then pairs: chain, "seq hash" of its last dropped record
  Output: the number of records dropped
]]
local n = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if n > 0 then
  for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
end
return n
