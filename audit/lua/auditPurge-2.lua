--[[
  Drops the access-log records before a stream id and anchors the chain at the last dropped
  record, in one step, so the records kept still verify from the anchor.
  Input:
    KEYS[1] the log stream                       {audit}:log
    KEYS[2] the anchor hash (seq, hash)          {audit}:anchor
    ARGV[1] first stream id to keep
    ARGV[2] seq of the last record dropped
    ARGV[3] hash of the last record dropped
  Output: the number of records dropped
]]
local n = redis.call('XTRIM', KEYS[1], 'MINID', ARGV[1])
if n > 0 then redis.call('HSET', KEYS[2], 'seq', ARGV[2], 'hash', ARGV[3]) end
return n
